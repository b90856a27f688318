"""`scbot console`: the bot offline, driven from a terminal.

Each `/sc` line typed goes through the same Bolt app and handlers as a real
Slack request, shaped and signed as Slack sends it. A stand-in on loopback
plays Slack's Web API and a real RQ worker runs the jobs. Whatever the bot
sends to Slack is shown in the terminal (screen.py, as text drawn by
render.py): messages in the team channel, thread replies, ephemeral replies,
and buttons as numbered choices; modals are asked as prompts (forms.py).
"""
import itertools
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import TextIO

import redis
from rq import Queue
from slack_bolt import BoltResponse
from slack_bolt.request import BoltRequest

from bot.app import create_app
from bot.clock import tick
from bot.offline import payloads as slack_payloads
from bot.offline.forms import FormFiller
from bot.offline.people import People, user_id
from bot.offline.render import CHANNEL_NAME, GUTTER, Renderer
from bot.offline.screen import HOME, Screen
from bot.offline.standin import BOT_USER, SlackStandIn
from bot.services import QUEUES, Services, redis_url
from bot.settings import Settings
from bot.views import conversation as conversation_views
from bot.views.ids import ShortcutId
from jobs.canvas import enqueue_rebuild
from jobs.membership import read_members
from models import clock
from models.areas import load_directory
from models.conversations import conversations_posted_in, view_conversation
from models.db import get_engine, session_scope
from models.migrate import upgrade
from models.regions import ENGLAND, REGIONS, Teams, region_named
from models.team import roster

CLOCK_FILE = "console-clock"  # in the data folder: the instant /time moved the clock to, for the next session
QUIET_SECONDS = 0.3  # no new call to Slack for this long, and no job in hand: the bot is done
SETTLE_LIMIT_SECONDS = 10.0
# A name typed after @, as Slack's @ menu would link it (not the middle of an email address).
TYPED_MENTION = re.compile(r"(?<![\w.@<|])@([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")
SPECIAL_MENTIONS = {"channel", "here", "everyone"}
# Canvas markdown as read: a mention ![](@U…) or ![](#C…), a mark behind a backslash, an entity.
CANVAS_MARKUP = re.compile(r"!\[\]\(([@#])([A-Z0-9]+)\)|\\(.)|&(amp|lt|gt);")

HELP = f"""\
Console lines:
  /sc ...         a slash command, as you; @name mentions someone
  3, press 3      press the button numbered [3]
  /user NAME      become someone else (who joins the channel you type in)
  /leave, /join   take yourself out of, or back into, the channel you type in ({CHANNEL_NAME} at first)
  /region NAME    type in that region's team channel instead, as a member (e.g. /region West Midlands);
                  /region alone lists the regions and their channels
  /time INSTANT   move the clock (e.g. /time 2011-01-10T09:00) and send what falls due; kept for the
                  next session until /time now lets it run from today
  @scbot ...      mention the bot in the channel you type in, e.g. @scbot how are we doing?
  /message TEXT   write a message in #notes, a channel the bot is not in
  /shortcut       use “Log to Single Conversation” on the latest message in #notes
  /home           open the bot's App Home tab
  /canvas         rebuild the coverage canvas of the channel you type in now, and read it
  /help           this list
  /quit           leave (end of input and Ctrl-C do too)
Type /sc help for the bot's commands."""
HINT = "Type a /sc command (/sc help lists them), a button's number, or /help for the console's own lines."


def run_console(settings: Settings, user_name: str = "alice",
                stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
    """Type `/sc` lines as `user_name` until /quit or the end of `stdin`; what Slack would show goes to `stdout`."""
    if not user_id(user_name):
        sys.exit(f"“{user_name}” is not a user name: use letters and digits, e.g. --user alice.")
    settings.sc_data_dir.mkdir(parents=True, exist_ok=True)
    # SC_NOW when set; otherwise the instant an earlier session moved the clock to with /time, if any.
    pinned = settings.sc_now or saved_clock(settings.sc_data_dir)
    clock.configure(settings.sc_timezone, pinned)
    upgrade(settings.effective_database_url)
    channel = settings.sc_team_channel or "C0TEAM"
    # An embedded redis-server this console starts is stopped when it ends; one already running is left be.
    starts_redis = not settings.redis_url and not embedded_redis_running(settings.sc_data_dir)
    with SlackStandIn(team_channel=channel, users={BOT_USER: "scbot"}) as standin:
        console_settings = settings.model_copy(update={
            "slack_bot_token": "xoxb-console", "slack_signing_secret": secrets.token_hex(16),
            "slack_api_url": standin.api_url, "sc_team_channel": channel,
            "redis_url": redis_url(settings), "sc_now": pinned,
            "sc_membership_ttl": 0,  # so that /leave and /join take effect at once
            # Without SC_MANAGERS the console's first user is a manager, to try /sc settings.
            "sc_managers": settings.sc_managers or user_id(user_name),
        })
        services = Services(console_settings)
        open_team_channels(standin, services)  # before the app starts
        restore_cards(standin, console_settings, services.teams().channels)
        console = Console(console_settings, standin, start_worker(console_settings), stdin, stdout)
        try:
            console.run(user_name, clock_from="SC_NOW" if settings.sc_now else "/time" if pinned else "")
        except KeyboardInterrupt:
            print("\nBye.", file=stdout)
        finally:
            stop_worker(console.worker)
            if starts_redis:
                stop_embedded_redis(console_settings.redis_url)
                print(f"Stopped the redis-server this console started (its data is kept in "
                      f"{settings.sc_data_dir}/).", file=stdout)


def saved_clock(data_dir: Path) -> str:
    """The instant /time moved the clock to in an earlier session; "" when it was never moved (or let run)."""
    try:
        text = (data_dir / CLOCK_FILE).read_text().strip()
        clock.parse_instant(text)
    except (OSError, ValueError):
        return ""
    return text


def embedded_redis_running(data_dir: Path) -> bool:
    """Whether the embedded redis-server of this data folder is running (its pid file names a live process)."""
    try:
        os.kill(int((data_dir / "redis.pid").read_text().strip()), 0)
    except (OSError, ValueError):
        return False
    return True


def stop_embedded_redis(url: str) -> None:
    try:
        redis.Redis.from_url(url, socket_timeout=10).shutdown()  # saves its data first, as configured
    except redis.RedisError:
        pass  # already gone


def open_team_channels(standin: SlackStandIn, services: Services) -> None:
    """Every region's team channel is in the stand-in with the bot in it and the members the database remembers
    from earlier sessions, as in a workspace set up for them; each list is then read, as the bot would have
    read it by now, so a person in none of them is told where to ask rather than to try again in a minute."""
    opened = False
    with services.session() as session:
        for channel in services.teams().channels:
            opened = opened or channel not in standin.channel_members
            standin.joined.add(channel)
            standin.channel_members.setdefault(channel, set()).update(roster(session, channel).members)
    if opened:
        read_members(services)


def restore_cards(standin: SlackStandIn, settings: Settings, channels: list[str]) -> None:
    """Give the stand-in the cards posted by earlier console sessions in the team channels.

    The stand-in starts empty, but the database remembers where each card is,
    and the worker replies in the card's thread and updates the card there.
    """
    with session_scope(get_engine(settings.effective_database_url)) as session:
        directory = load_directory(session)
        cards = [(channel, c.card_ts, conversation_views.card_message(view_conversation(session, directory, c)))
                 for channel in channels for c in conversations_posted_in(session, channel)]
    for channel, ts, card in cards:
        standin.remember(channel, {"type": "message", "user": BOT_USER, "ts": ts, "thread_ts": None, **card})


def start_worker(settings: Settings) -> subprocess.Popen:
    """A real RQ worker with the console's settings, logging to the data folder."""
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": settings.slack_bot_token, "SLACK_SIGNING_SECRET": settings.slack_signing_secret,
        "SLACK_API_URL": settings.slack_api_url, "REDIS_URL": settings.redis_url,
        "DATABASE_URL": settings.effective_database_url, "SC_DATA_DIR": str(settings.sc_data_dir.resolve()),
        "SC_TEAM_CHANNEL": settings.sc_team_channel, "SC_STAFF": settings.sc_staff,
        "SC_MANAGERS": settings.sc_managers, "SC_TIMEZONE": settings.sc_timezone, "SC_NOW": settings.sc_now,
        "SC_TARGET_DATE": settings.sc_target_date.isoformat(),
    }
    with open(settings.sc_data_dir / "console-worker.log", "a") as log:
        # A session of its own: Ctrl-C is the console's to handle, and it stops the worker itself.
        return subprocess.Popen([sys.executable, "-m", "bot.cli", "worker"], env=env, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop_worker(worker: subprocess.Popen) -> None:
    worker.terminate()  # RQ's warm shutdown: a job in hand is finished first
    try:
        worker.wait(10)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


class Console:
    def __init__(self, settings: Settings, standin: SlackStandIn, worker: subprocess.Popen,
                 stdin: TextIO, stdout: TextIO):
        self.settings = settings
        self.standin = standin
        self.worker = worker
        self.app = create_app(settings)
        self.services = Services(settings)  # for the clock's ticks
        connection = redis.Redis.from_url(settings.redis_url)
        self.queues = [Queue(name, connection=connection) for name in QUEUES]
        self.stdin, self.stdout = stdin, stdout
        self.interactive = stdin is sys.stdin and stdin.isatty()
        self.people = People(standin.users)
        self.renderer = Renderer(settings.sc_team_channel, self.people)
        self.know_team_channels()
        self.forms = FormFiller(self.read, self.say, self.renderer, self.people)
        self.screen = Screen(self.say, standin, self.renderer, settings.sc_data_dir / "files", self.fill_form)
        self.user = ""
        self.keys = itertools.count(1)
        self.troubles = self.job_troubles()

    # --- the loop ----------------------------------------------------------------
    def run(self, user_name: str, clock_from: str = "") -> None:
        """`clock_from` says who set the clock: "SC_NOW", "/time" (an earlier session) or "" (it runs)."""
        if self.interactive:
            import readline  # noqa: F401  (line editing and history for input())
        self.become(user_name)
        self.say(f"Single Conversation bot, offline console. You are @{self.user}, a member of {self.here_name}.")
        self.say(f"Nothing goes to Slack: a stand-in plays it here. Data is kept in {self.settings.sc_data_dir}/.")
        self.tell_the_clock(clock_from)
        self.say("Type /sc help for the bot's commands, /help for the console's own.")
        try:
            line = self.read(f"{self.user}> ").strip()
            while line not in ("/quit", "/exit"):
                self.handle(line)
                line = self.read(f"{self.user}> ").strip()
        except EOFError:  # also in the middle of a form, which then goes unsent
            self.say()
        self.say("Bye.")

    def handle(self, line: str) -> None:
        command, _, rest = line.partition(" ")
        rest = rest.strip()
        pressed = re.fullmatch(r"(?:press\s+)?(\d+)", line)
        if command == "/sc":
            self.slash_command(rest)
        elif pressed:
            self.press(int(pressed.group(1)))
        elif command == "/user" and not user_id(rest):
            self.say("Who? For example /user bob.")
        elif command == "/user":
            self.become(rest.removeprefix("@"))
            self.say(f"You are now @{self.user}, a member of {self.here_name}.")
        elif command == "/leave":
            self.membership(joined=False)
            self.say(f"@{self.user} left {self.here_name}: the bot now treats you as outside the team. "
                     "/join to return.")
        elif command == "/join":
            self.membership(joined=True)
            self.say(f"@{self.user} joined {self.here_name}.")
        elif command == "/region":
            self.switch_region(rest)
        elif command == "/time":
            self.move_clock(rest)
        elif command in ("@scbot", "@bot"):
            self.mention(rest)
        elif command == "/message":
            self.write_note(rest)
        elif command == "/shortcut":
            self.log_latest_note()
        elif command == "/canvas":
            self.show_canvas()
        elif command == "/home":
            self.request(slack_payloads.event_callback(
                {"type": "app_home_opened", "user": self.user_id, "channel": "D" + self.user_id[1:],
                 "tab": "home", "event_ts": f"{time.time():.6f}"}), "")
        elif command == "/help":
            self.say(HELP)
        elif line:
            self.say(HINT)

    @property
    def here(self) -> str:
        """The channel the person types in: the team channel, or the region's team channel /region chose."""
        return self.renderer.here

    @property
    def here_name(self) -> str:
        return self.renderer.channel_name(self.here)

    def switch_region(self, text: str) -> None:
        """/region NAME: type in that region's team channel from now on, as a member of it."""
        teams = self.services.teams()
        region = region_named(text) if text else None
        team = teams.named(region) if region else None
        if team is None or not team.channel:
            why = (f"“{text}” is not a region of England. " if text and region in (None, ENGLAND) else
                   f"{region} has no team yet. " if text else f"You type in {self.here_name}. ")
            self.say(why + "The regions: " + "; ".join(
                f"{region} ({self.channel_of(teams, region)})" for region in REGIONS) + ".")
            self.say("`scbot region set` gives a region its team (`scbot demo-data --national` gives every one "
                     "a demo team).")
            return
        self.know_team_channels()  # a team set since the console began
        self.renderer.here = team.channel
        self.membership(joined=True)
        self.say(f"You now type in {self.here_name}, the {team.region} team's channel, as a member of it.")

    def channel_of(self, teams: Teams, region: str) -> str:
        team = teams.named(region)
        return self.renderer.channel_name(team.channel) if team and team.channel else "no team yet"

    def know_team_channels(self) -> None:
        """Every region's team channel in the stand-in (open_team_channels), shown by a name: #sc-west-midlands."""
        open_team_channels(self.standin, self.services)
        for team in self.services.teams().teams:
            if team.channel and team.channel != self.renderer.team_channel:
                self.renderer.channels.setdefault(team.channel, "sc-" + re.sub(r"[^a-z]+", "-", team.region.lower()))

    def tell_the_clock(self, set_by: str) -> None:
        """Which day the bot takes it to be, and, past the target date, how to work before it."""
        now = clock.now()
        how = {"SC_NOW": " (pinned by SC_NOW)", "/time": " (where /time left it in an earlier session)"}
        self.say(f"The clock reads {now:%a %-d %b %Y %H:%M}{how.get(set_by, ', today')}.")
        with self.services.session() as session:
            target = self.services.reminder_settings(session).target_date
        if now.date() > target:
            self.say(f"That is after the target date, {target:%-d %b %Y}, so /sc progress will say it has passed. "
                     "To work in the programme's own time, move the clock back, e.g. /time 2010-11-01T09:00; "
                     "the console keeps it for next time.")

    def move_clock(self, text: str) -> None:
        """/time INSTANT: the bot's clock moves there, and what falls due then is sent. The instant is kept in
        the data folder for the next session; /time now lets the clock run from today again."""
        if not text:
            self.say(f"It is {clock.now():%a %-d %b %Y %H:%M}. /time 2011-01-10T09:00 moves the clock; "
                     "/time now lets it run from today.")
            return
        try:
            instant = None if text == "now" else clock.parse_instant(text.replace(" ", "T", 1))
        except ValueError:
            self.say("Give an instant as YYYY-MM-DDTHH:MM, e.g. /time 2011-01-10T09:00, or /time now.")
            return
        saved = self.settings.sc_data_dir / CLOCK_FILE
        if instant is None:
            saved.unlink(missing_ok=True)
        else:
            saved.write_text(instant.isoformat() + "\n")
        clock.pin(instant)
        # The worker reads the clock too (a document's date, a digest's days to go): it starts again at the new time.
        stop_worker(self.worker)
        self.settings = self.settings.model_copy(update={"sc_now": instant.isoformat() if instant else ""})
        self.worker = start_worker(self.settings)
        instant = instant or clock.now()
        self.say(f"  (the clock is now {instant:%a %-d %b %Y %H:%M}" + (", and runs)" if text == "now" else ")"))
        with self.screen.output():
            tick(self.services, instant)
            self.settle()
            self.screen.show_new_calls()
        self.say()

    def show_canvas(self) -> None:
        """/canvas: the coverage canvas made afresh now, as a manager's /sc canvas does, then read out."""
        team = self.services.teams().of_channel(self.here)  # the region's whose channel you type in
        with self.screen.output():
            enqueue_rebuild(self.services, self.user_id, f"console-{next(self.keys)}", team)
            self.settle()
            self.screen.show_new_calls()
        channel = team.channel if team else self.services.team_of(self.user_id).channel
        where = self.renderer.channel_name(channel)
        canvases = self.standin.canvases_in(channel)
        if not canvases:
            self.say(f"  (there is no canvas in {where}: the bot's direct message says why)")
        for canvas in canvases:
            self.say(f"{where}: canvas “{canvas['title']}”")
            for line in canvas["markdown"].splitlines():
                self.say(GUTTER + CANVAS_MARKUP.sub(self.read_canvas_markup, line))
        self.say()

    def read_canvas_markup(self, match: re.Match) -> str:
        """A canvas mention as its person or channel, an escaped mark or entity as the character."""
        sigil, target, escaped, entity = match.groups()
        if sigil:
            return "@" + self.people.name_of(target) if sigil == "@" else self.renderer.channel_name(target)
        return escaped or {"amp": "&", "lt": "<", "gt": ">"}[entity]

    def read(self, prompt: str) -> str:
        if self.interactive:
            return input(prompt)
        self.stdout.write(prompt)
        line = self.stdin.readline()
        if not line:
            raise EOFError
        # Echo what was read, so that a piped session reads like a typed one.
        self.stdout.write(line if line.endswith("\n") else line + "\n")
        return line.rstrip("\n")

    def say(self, text: str = "") -> None:
        print(text, file=self.stdout, flush=True)

    # --- users -------------------------------------------------------------------
    @property
    def user_id(self) -> str:
        return user_id(self.user)

    def become(self, name: str) -> None:
        self.user = name
        self.people.learn(name)
        self.membership(joined=True)

    def membership(self, joined: bool) -> None:
        """The user joins or leaves the channel they type in, and the bot hears of it as from Slack (an event)."""
        members = self.standin.channel_members.setdefault(self.here, set())
        (members.add if joined else members.discard)(self.user_id)
        kind = "member_joined_channel" if joined else "member_left_channel"
        self.dispatch(slack_payloads.event_callback(
            {"type": kind, "user": self.user_id, "channel": self.here, "channel_type": "C",
             "event_ts": f"{time.time():.6f}"}))
        # An event is handled after its acknowledgement: wait until the bot has stored it.
        team = self.services.teams().of_channel(self.here)
        deadline = time.monotonic() + SETTLE_LIMIT_SECONDS
        while self.services.is_team_member(self.user_id, team) is not joined and time.monotonic() < deadline:
            time.sleep(0.01)

    def with_mentions(self, text: str) -> str:
        """@bob becomes <@UBOB|bob>, as when picked from Slack's @ menu; @channel becomes <!channel>."""
        def link(match: re.Match) -> str:
            name = match.group(1)
            return f"<!{name}>" if name in SPECIAL_MENTIONS else f"<@{self.people.learn(name)}|{name}>"

        return TYPED_MENTION.sub(link, text)

    # --- the message shortcut, on messages in #notes -----------------------------------
    def write_note(self, text: str) -> None:
        """A message in #notes, held by the stand-in as Slack holds it (its text in Slack's markup)."""
        if not text:
            self.say("What does it say? For example /message Met @jo about Leicester's SHMA & the draft plan")
            return
        # Written at the console's clock (a ts is seconds since 1970), kept apart from any other by its micros.
        ts = f"{clock.now().timestamp() + next(self.keys) / 1e6:.6f}"
        message = {"type": "message", "user": self.user_id, "ts": ts,
                   "text": slack_payloads.as_slack_sends(self.with_mentions(text)), "team": slack_payloads.TEAM["id"]}
        self.standin.remember(self.renderer.learn_channel("notes"), message)
        self.say("  (you wrote in #notes; /shortcut logs it to a Single Conversation)")

    def log_latest_note(self) -> None:
        notes = self.renderer.learn_channel("notes")
        written = [m for (channel, _ts), m in self.standin.messages.items() if channel == notes]
        if not written:
            self.say("There is no message in #notes yet: write one with /message, then /shortcut.")
            return
        key = f"shortcut-{next(self.keys)}"
        self.say("  (you chose “Log to Single Conversation” on the latest message in #notes)")
        self.request(slack_payloads.message_shortcut(
            ShortcutId.LOG_MESSAGE, written[-1], notes, self.user_id, self.user,  # the latest written
            self.standin.response_url(key)), key)

    # --- requests ----------------------------------------------------------------
    def mention(self, text: str) -> None:
        """A message in the team channel that mentions the bot; its answer comes in the thread."""
        ts = f"{time.time():.6f}"
        text = f"<@{BOT_USER}> {self.with_mentions(text)}"
        self.standin.remember(self.here,
                              {"type": "message", "user": self.user_id, "ts": ts, "text": text, "thread_ts": None})
        self.request(slack_payloads.event_callback(
            {"type": "app_mention", "user": self.user_id, "text": text, "ts": ts,
             "channel": self.here, "event_ts": ts}), "")

    def slash_command(self, text: str) -> None:
        key = f"command-{next(self.keys)}"
        self.request(slack_payloads.slash_command(
            self.with_mentions(text), self.user_id, self.user, self.here,
            self.standin.response_url(key)), key)

    def press(self, number: int) -> None:
        buttons = self.screen.buttons
        if not 1 <= number <= len(buttons):
            latest = f" The latest are [1] to [{len(buttons)}]." if buttons else ""
            self.say(f"There is no button [{number}].{latest}")
            return
        button = buttons[number - 1]
        if button.channel == HOME:
            self.say(f"  (you pressed “{button.element['text']['text']}” on the Home tab)")
            self.request(slack_payloads.home_action({**button.element, "block_id": button.block_id},
                                                    self.user_id, self.user), "")
            return
        key = button.reply_key or f"press-{next(self.keys)}"
        message = None if button.reply_key else self.standin.messages.get((button.channel, button.ts))
        if not button.reply_key:
            if message is None:
                self.say(f"  (the message with [{number}] is no longer in {self.renderer.channel_name(button.channel)})")
                return
            self.screen.pressed[key] = (button.channel, button.ts)
        self.say(f"  (you pressed “{button.element['text']['text']}”)")
        self.request(slack_payloads.block_action(
            {**button.element, "block_id": button.block_id}, self.user_id, self.user, button.channel,
            button.ts, self.standin.response_url(key), message), key)

    def request(self, payload: tuple[str, str], reply_key: str) -> None:
        """Dispatch a request, then show its acknowledgement and all it led to; its buttons become the latest."""
        with self.screen.output():
            self.screen.show_reply(self.dispatch(payload), reply_key)
            self.settle()
            self.screen.show_new_calls()
        self.say()

    def dispatch(self, payload: tuple[str, str]) -> BoltResponse:
        body, content_type = payload
        headers = {"content-type": content_type, **slack_payloads.sign(body, self.settings.slack_signing_secret)}
        return self.app.dispatch(BoltRequest(body=body, headers=headers))

    def settle(self) -> None:
        """Wait until the bot is done: no new call to Slack for a moment, and no job queued or running."""
        deadline = time.monotonic() + SETTLE_LIMIT_SECONDS
        count, quiet_since = len(self.standin.calls), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            if len(self.standin.calls) != count:
                count, quiet_since = len(self.standin.calls), time.monotonic()
            elif time.monotonic() - quiet_since >= QUIET_SECONDS and self.jobs_done():
                break
        else:
            self.say("  (the bot is still busy; what it does next shows after your next line)")
        self.warn_of_job_trouble()

    def jobs_done(self) -> bool:
        try:
            # A job a worker has taken but not yet begun waits in the queue's intermediate list.
            return all(q.count == 0 and not q.connection.llen(q.intermediate_queue_key)
                       and q.started_job_registry.count == 0 for q in self.queues)
        except redis.RedisError:
            return True  # the bot tells the user itself when Redis is away

    def job_troubles(self) -> int:
        try:
            return sum(q.failed_job_registry.count + q.scheduled_job_registry.count for q in self.queues)
        except redis.RedisError:
            return 0

    def warn_of_job_trouble(self) -> None:
        log = self.settings.sc_data_dir / "console-worker.log"
        if self.worker.poll() is not None:
            self.say(f"  (the job worker has stopped, so the team channel will not change; see {log})")
        troubles = self.job_troubles()
        if troubles > self.troubles:
            self.say(f"  (a job that updates the team channel failed; it will be retried. See {log})")
        self.troubles = troubles

    def fill_form(self, view: dict | None) -> None:
        """Fill in a form, and the form it shows next while that one asks something more."""
        while view:
            def submit(values: dict, shown: dict = view) -> BoltResponse:
                return self.dispatch(slack_payloads.view_submission(shown, values, self.user_id, self.user))

            taken = self.forms.fill(view, submit)
            if taken:
                self.settle()
            view = taken if isinstance(taken, dict) else None
