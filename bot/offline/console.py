"""`scbot console`: the bot offline, driven from a terminal.

Each `/sc` line typed goes through the same Bolt app and handlers as a real
Slack request, shaped and signed as Slack sends it. A stand-in on loopback
plays Slack's Web API and a real RQ worker runs the jobs. Whatever the bot
sends to Slack is shown in the terminal: messages in the team channel, thread
replies, ephemeral replies, modals as prompts and buttons as numbered choices.
"""
import itertools
import json
import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TextIO

import redis
from rq import Queue
from slack_bolt import BoltResponse
from slack_bolt.request import BoltRequest
from sqlmodel import col, select

from bot.app import create_app
from bot.clock import tick
from bot.offline import payloads as slack_payloads
from bot.offline.standin import BOT_USER, SlackStandIn
from bot.services import QUEUES, Services, redis_url
from bot.settings import Settings
from bot.views import conversation as conversation_views
from models import clock
from models.areas import load_directory
from models.conversations import view_conversation
from models.db import get_engine, session_scope
from models.migrate import upgrade
from models.tables import Conversation

CHANNEL_NAME = "#single-conversations"
QUIET_SECONDS = 0.3  # no new call to Slack for this long, and no job in hand: the bot is done
SETTLE_LIMIT_SECONDS = 10.0
INTERNAL_CALLS = {"auth.test", "conversations.members", "chat.getPermalink", "users.info", "conversations.open",
                  "files.getUploadURLExternal", "file_upload", "files.info"}
HOME = "home"  # where a button on the App Home tab is, in place of a channel
WIDTH = 88
GUTTER = "  │ "
# Slack's markup: <@U1|name>, <#C1>, <!channel>, <https://...|text>.
MARKUP = re.compile(r"<([@#!]?)([^>|]*)(?:\|([^>]*))?>")
EMPHASIS = re.compile(r"(?<![\w*_])([*_])(?=\S)([^*_\n]+?)(?<=\S)\1(?![\w*_])")  # *bold*, _italic_
# A name typed after @, as Slack's @ menu would link it (not the middle of an email address).
TYPED_MENTION = re.compile(r"(?<![\w.@<|])@([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")
SPECIAL_MENTIONS = {"channel", "here", "everyone"}

HELP = f"""\
Console lines:
  /sc ...         a slash command, as you; @name mentions someone
  3, press 3      press the button numbered [3]
  /user NAME      become someone else (who joins {CHANNEL_NAME})
  /leave, /join   take yourself out of, or back into, {CHANNEL_NAME}
  /time INSTANT   move the clock (e.g. /time 2011-01-10T09:00) and send what falls due
  @scbot ...      mention the bot in {CHANNEL_NAME}, e.g. @scbot how are we doing?
  /home           open the bot's App Home tab
  /help           this list
  /quit           leave (end of input and Ctrl-C do too)
Type /sc help for the bot's commands."""
HINT = "Type a /sc command (/sc help lists them), a button's number, or /help for the console's own lines."
FORM_HELP = "(blank takes the [default], - empties a field, cancel closes the form unsent)"


def run_console(settings: Settings, user_name: str = "alice",
                stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
    """Type `/sc` lines as `user_name` until /quit or the end of `stdin`; what Slack would show goes to `stdout`."""
    if not user_id(user_name):
        sys.exit(f"“{user_name}” is not a user name: use letters and digits, e.g. --user alice.")
    settings.sc_data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.effective_database_url)
    channel = settings.sc_team_channel or "C0TEAM"
    with SlackStandIn(team_channel=channel, users={BOT_USER: "scbot"}) as standin:
        console_settings = settings.model_copy(update={
            "slack_bot_token": "xoxb-console", "slack_signing_secret": secrets.token_hex(16),
            "slack_api_url": standin.api_url, "sc_team_channel": channel,
            "redis_url": redis_url(settings),
            "sc_membership_ttl": 0,  # so that /leave and /join take effect at once
            # Without SC_MANAGERS the console's first user is a manager, to try /sc settings.
            "sc_managers": settings.sc_managers or user_id(user_name),
        })
        restore_cards(standin, console_settings)
        worker = start_worker(console_settings)
        try:
            Console(console_settings, standin, worker, stdin, stdout).run(user_name)
        except KeyboardInterrupt:
            print("\nBye.", file=stdout)
        finally:
            stop_worker(worker)


def user_id(name: str) -> str:
    """The console's Slack-like id for a name: alice is UALICE; empty when the name has no letters."""
    letters = re.sub(r"[^A-Za-z0-9]", "", name)
    return "U" + letters.upper() if letters else ""


def restore_cards(standin: SlackStandIn, settings: Settings) -> None:
    """Give the stand-in the cards posted by earlier console sessions.

    The stand-in starts empty, but the database remembers where each card is,
    and the worker replies in the card's thread and updates the card there.
    """
    channel = settings.sc_team_channel
    with session_scope(get_engine(settings.effective_database_url)) as session:
        directory = load_directory(session)
        posted = session.exec(select(Conversation).where(
            Conversation.channel_id == channel, col(Conversation.card_ts) != ""))
        cards = {c.card_ts: conversation_views.card_message(view_conversation(session, directory, c)) for c in posted}
    for ts, card in cards.items():
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
    with open(settings.sc_data_dir / "console-worker.log", "w") as log:
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


@dataclass
class Button:
    element: dict
    block_id: str
    channel: str
    ts: str
    reply_key: str  # the response URL key of the ephemeral reply it is in; "" in a channel message


@dataclass
class Field:
    """How to ask for one form field: what to show first, the default, and how to read an answer."""

    read: Callable[[str], dict]  # an answer to the element's state; ValueError says what was wrong
    empty: dict  # the state of a field left empty
    default: dict | None = None
    default_label: str = ""
    hint: str = ""  # what to type, in the prompt
    choices: list[str] = field(default_factory=list)  # lines shown before the first prompt


class FormClosed(Exception):
    pass


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
        self.user = ""
        self.shown = 0  # how many of the stand-in's calls have been shown
        self.buttons: list[Button] = []  # the latest output's, numbered from 1
        self.batch: list[Button] = []  # those of the output being shown
        self.keys = itertools.count(1)
        self.troubles = self.job_troubles()

    # --- the loop ----------------------------------------------------------------
    def run(self, user_name: str) -> None:
        if self.interactive:
            import readline  # noqa: F401  (line editing and history for input())
        self.become(user_name)
        self.say(f"Single Conversation bot, offline console. You are @{self.user}, a member of {CHANNEL_NAME}.")
        self.say(f"Nothing goes to Slack: a stand-in plays it here. Data is kept in {self.settings.sc_data_dir}/.")
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
            self.say(f"You are now @{self.user}, a member of {CHANNEL_NAME}.")
        elif command == "/leave":
            self.standin.members.discard(self.user_id)
            self.say(f"@{self.user} left {CHANNEL_NAME}: the bot now treats you as outside the team. /join to return.")
        elif command == "/join":
            self.standin.members.add(self.user_id)
            self.say(f"@{self.user} joined {CHANNEL_NAME}.")
        elif command == "/time":
            self.move_clock(rest)
        elif command in ("@scbot", "@bot"):
            self.mention(rest)
        elif command == "/home":
            self.request(slack_payloads.event_callback(
                {"type": "app_home_opened", "user": self.user_id, "channel": "D" + self.user_id[1:],
                 "tab": "home", "event_ts": f"{time.time():.6f}"}), "")
        elif command == "/help":
            self.say(HELP)
        elif line:
            self.say(HINT)

    def move_clock(self, text: str) -> None:
        """/time INSTANT: the bot's clock moves there, and what falls due then is sent."""
        if not text:
            self.say(f"It is {clock.now():%a %-d %b %Y %H:%M}. /time 2011-01-10T09:00 moves the clock.")
            return
        try:
            instant = clock.parse_instant(text.replace(" ", "T", 1))
        except ValueError:
            self.say("Give an instant as YYYY-MM-DDTHH:MM, e.g. /time 2011-01-10T09:00.")
            return
        clock.pin(instant)
        self.say(f"  (the clock is now {instant:%a %-d %b %Y %H:%M})")
        self.batch = []
        tick(self.services, instant)
        self.settle()
        self.show_new_calls()
        if self.batch:
            self.buttons = self.batch
        self.say()

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

    def learn(self, name: str) -> str:
        uid = user_id(name)
        self.standin.users[uid] = name
        return uid

    def name_of(self, uid: str) -> str:
        # Someone not seen in this session is from an earlier one: the console made their id from their name.
        return self.standin.users.get(uid, uid.removeprefix("U").lower())

    def become(self, name: str) -> None:
        self.user = name
        self.standin.members.add(self.learn(name))

    def with_mentions(self, text: str) -> str:
        """@bob becomes <@UBOB|bob>, as when picked from Slack's @ menu; @channel becomes <!channel>."""
        def link(match: re.Match) -> str:
            name = match.group(1)
            return f"<!{name}>" if name in SPECIAL_MENTIONS else f"<@{self.learn(name)}|{name}>"

        return TYPED_MENTION.sub(link, text)

    # --- requests ----------------------------------------------------------------
    def mention(self, text: str) -> None:
        """A message in the team channel that mentions the bot; its answer comes in the thread."""
        ts = f"{time.time():.6f}"
        text = f"<@{BOT_USER}> {self.with_mentions(text)}"
        self.standin.remember(self.settings.sc_team_channel,
                              {"type": "message", "user": self.user_id, "ts": ts, "text": text, "thread_ts": None})
        self.request(slack_payloads.event_callback(
            {"type": "app_mention", "user": self.user_id, "text": text, "ts": ts,
             "channel": self.settings.sc_team_channel, "event_ts": ts}), "")

    def slash_command(self, text: str) -> None:
        key = f"command-{next(self.keys)}"
        self.request(slack_payloads.slash_command(
            self.with_mentions(text), self.user_id, self.user, self.settings.sc_team_channel,
            self.standin.response_url(key)), key)

    def press(self, number: int) -> None:
        if not 1 <= number <= len(self.buttons):
            latest = f" The latest are [1] to [{len(self.buttons)}]." if self.buttons else ""
            self.say(f"There is no button [{number}].{latest}")
            return
        button = self.buttons[number - 1]
        if button.channel == HOME:
            self.say(f"  (you pressed “{button.element['text']['text']}” on the Home tab)")
            self.request(slack_payloads.home_action({**button.element, "block_id": button.block_id},
                                                    self.user_id, self.user), "")
            return
        key = button.reply_key or f"press-{next(self.keys)}"
        message = None if button.reply_key else self.standin.messages[(button.channel, button.ts)]
        self.say(f"  (you pressed “{button.element['text']['text']}”)")
        self.request(slack_payloads.block_action(
            {**button.element, "block_id": button.block_id}, self.user_id, self.user, button.channel,
            button.ts, self.standin.response_url(key), message), key)

    def request(self, payload: tuple[str, str], reply_key: str) -> None:
        """Dispatch a request, then show its acknowledgement and all it led to; its buttons become the latest."""
        self.batch = []
        self.show_reply(self.dispatch(payload), reply_key)
        self.settle()
        self.show_new_calls()
        if self.batch:
            self.buttons = self.batch
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
            return all(q.count == 0 and q.started_job_registry.count == 0 for q in self.queues)
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

    # --- showing what the bot sent -------------------------------------------------
    def show_new_calls(self) -> None:
        # A form filled in below dispatches more requests; their calls are shown by this same loop.
        while self.shown < len(self.standin.calls):
            call = self.standin.calls[self.shown]
            self.shown += 1
            args = call.args
            if call.method == "response_url":
                self.show_ephemeral(args, args["key"])
            elif call.method == "chat.postMessage":
                self.show_post(args)
            elif call.method == "chat.update":
                message = decoded(args)
                what = "card" if self.title_of_message(message).startswith("Single Conversation") else "message"
                self.show_message(f"{self.channel_name(args['channel'])}: {what} updated",
                                  message, args["channel"], args["ts"])
            elif call.method == "views.open":
                self.fill_form(decoded(args)["view"])
            elif call.method == "views.publish":
                self.show_message("Home tab", decoded(args)["view"], HOME, "")
            elif call.method == "files.completeUploadExternal":
                self.show_files(args)
            elif call.method not in INTERNAL_CALLS:
                self.say(f"  (the bot called {call.method})")

    def show_reply(self, response: BoltResponse, key: str) -> None:
        """An acknowledgement: empty, or an ephemeral reply."""
        if response.status != 200:
            self.say(f"  (the bot answered HTTP {response.status}: {response.body})")
        elif response.body:
            try:
                self.show_ephemeral(json.loads(response.body), key)
            except ValueError:
                self.show_ephemeral({"text": response.body}, key)

    def show_ephemeral(self, body: dict, key: str) -> None:
        if body.get("response_type") == "in_channel":  # a command's answer shared with the channel
            heading = f"{CHANNEL_NAME}: new message, for everyone"
        else:
            heading = "(only you can see this" + (": your earlier reply, updated)" if body.get("replace_original")
                                                  else ")")
        self.show_message(heading, body, self.settings.sc_team_channel, f"{time.time():.6f}", key)

    def show_post(self, args: dict) -> None:
        channel, thread = args["channel"], args.get("thread_ts")
        message = decoded(args)
        where = self.channel_name(channel)
        heading = f"{where}, in the thread of “{self.title_of(channel, thread)}”" if thread else f"{where}: new message"
        self.show_message(heading, message, channel, self.posted_ts(channel, message))

    def show_files(self, args: dict) -> None:
        """Files the bot uploaded: shown where they went, and saved in the data folder to open."""
        folder = self.settings.sc_data_dir / "files"
        folder.mkdir(parents=True, exist_ok=True)
        channel, thread = args.get("channel_id") or args.get("channels", ""), args.get("thread_ts")
        where = self.channel_name(channel) if channel else "(not shared)"
        heading = f"{where}, in the thread of “{self.title_of(channel, thread)}”" if thread else where
        self.say()
        self.say(f"  {heading}: files")
        if args.get("initial_comment"):
            self.say(GUTTER + self.clean(args["initial_comment"]))
        for upload in decoded_list(args.get("files")):
            stored = self.standin.files.get(upload["id"], {})
            path = folder / stored.get("name", upload["id"])
            path.write_bytes(stored.get("content") or b"")
            self.say(f"{GUTTER}📎 {upload.get('title') or path.name}  → {path}")

    def posted_ts(self, channel: str, message: dict) -> str:
        """Where the stand-in keeps a message posted with buttons (the call itself doesn't say)."""
        wanted = buttons_in(message)
        if not wanted:
            return ""
        for (where, ts), kept in reversed(list(self.standin.messages.items())):
            if where == channel and buttons_in(kept) == wanted:
                return ts
        return ""

    def title_of(self, channel: str, ts: str) -> str:
        return self.title_of_message(self.standin.messages.get((channel, ts), {}))

    def title_of_message(self, message: dict) -> str:
        headers = [b["text"]["text"] for b in message.get("blocks") or [] if b["type"] == "header"]
        return headers[0] if headers else self.clean(message.get("text", "an earlier message"))

    def show_message(self, heading: str, message: dict, channel: str, ts: str, reply_key: str = "") -> None:
        def label(element: dict, block_id: str) -> str:
            self.batch.append(Button(element, block_id, channel, ts, reply_key))
            return f"[{len(self.batch)}] {element['text']['text']}"

        self.say()
        self.say(f"  {heading}")
        for line in self.render(message, label):
            self.say((GUTTER + line).rstrip())

    def render(self, message: dict, label: Callable[[dict, str], str]) -> list[str]:
        """Block Kit as lines of text; `label` numbers each button."""
        if not message.get("blocks"):
            return self.clean(message.get("text", "")).splitlines()
        lines = []
        for block in message["blocks"]:
            kind, block_id = block["type"], block.get("block_id", "")
            if kind == "header":
                title = block["text"]["text"]
                lines += [title, "─" * len(title)]
            elif kind == "section":
                text = self.clean(block["text"]["text"]).splitlines() if block.get("text") else []
                for item in block.get("fields", []):
                    text += self.field_lines(item["text"])
                accessory = block.get("accessory", {})
                if accessory.get("type") == "button":
                    text = text or [""]
                    text[-1] += "   " + label(accessory, block_id)
                lines += text
            elif kind == "context":
                lines.append("  ".join(self.clean(e.get("text", "")) for e in block["elements"]))
            elif kind == "divider":
                lines.append("┄" * 40)
            elif kind == "actions":
                lines.append("   ".join(label(e, block_id) for e in block["elements"] if e["type"] == "button"))
        return lines

    def field_lines(self, text: str) -> list[str]:
        """A field, '*Label*\\nvalue', as 'Label: value'."""
        head, _, value = text.partition("\n")
        first, *more = self.clean(value).splitlines() or [""]
        return [f"{self.clean(head)}: {first}", *("    " + line for line in more)]

    def clean(self, text: str) -> str:
        """Slack's mrkdwn as a person would read it in Slack."""
        def markup(match: re.Match) -> str:
            sigil, target, label = match.groups()
            if sigil == "@":
                return "@" + self.name_of(target)
            if sigil == "#":
                return CHANNEL_NAME if target == self.settings.sc_team_channel else "#" + (label or target)
            if sigil == "!":
                return label or "@" + target  # <!channel> pings everyone in Slack
            return f"{label} ({target})" if label else target

        text = EMPHASIS.sub(r"\2", MARKUP.sub(markup, text))
        return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")

    def channel_name(self, channel: str) -> str:
        if channel == self.settings.sc_team_channel:
            return CHANNEL_NAME
        if channel[0] in "UWD":  # posted to a person: the app's direct messages with them
            return f"direct message to @{self.name_of('U' + channel[1:])}"
        return f"#{channel}"

    # --- forms -----------------------------------------------------------------
    def fill_form(self, view: dict) -> None:
        """A modal, asked field by field, then submitted; fields the bot finds wrong are asked again."""
        title = view["title"]["text"]
        inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
        self.say()
        self.say(f"  Form: {title}")
        self.say(f"  {FORM_HELP}")
        values = {}
        try:
            for block in view["blocks"]:
                if block["type"] == "input":
                    values[block["block_id"]] = self.ask(block)
                else:
                    for line in self.render({"blocks": [block]}, lambda element, block_id: ""):
                        self.say(GUTTER + line)
            while True:
                response = self.dispatch(slack_payloads.view_submission(view, values, self.user_id, self.user))
                errors = json.loads(response.body).get("errors", {}) if response.body else {}
                if response.status != 200 or not errors:
                    break
                for block_id, error in errors.items():
                    name = inputs[block_id]["label"]["text"] if block_id in inputs else block_id
                    self.say(f"  :warning: {name}: {self.clean(error)}")
                if not set(errors) & set(inputs):
                    raise FormClosed
                for block_id in errors:
                    if block_id in inputs:
                        values[block_id] = self.ask(inputs[block_id], again=True)
        except FormClosed:
            self.say(f"  The form “{title}” was closed; nothing was sent.")
            return
        if response.status != 200:
            self.say(f"  (the bot answered HTTP {response.status}: {response.body})")
            return
        self.say(f"  Sent the form “{title}”.")
        self.settle()

    def ask(self, block: dict, again: bool = False) -> dict:
        """One input block's state, {action_id: state}, as Slack would send it."""
        element = block["element"]
        form_field = self.field_for(element)
        optional = block.get("optional", False)
        if not again:
            for line in ([block["hint"]["text"]] if block.get("hint") else []) + form_field.choices:
                self.say(f"    {line}")
        about = ", ".join(filter(None, [form_field.hint, "optional" if optional else ""]))
        prompt = (f"  {block['label']['text']}" + (f" ({about})" if about else "")
                  + (f" [{form_field.default_label}]" if form_field.default is not None else "") + ": ")
        while True:
            answer = self.read(prompt).strip()
            if answer.lower() == "cancel":
                raise FormClosed
            if answer == "" and form_field.default is not None:
                return {element["action_id"]: form_field.default}
            if answer == "" and not optional:
                self.say("    This one is needed.")
                continue
            if answer == "" or (answer == "-" and optional):
                return {element["action_id"]: form_field.empty}
            try:
                return {element["action_id"]: form_field.read(answer)}
            except ValueError as error:
                self.say(f"    {error}")

    def field_for(self, element: dict) -> Field:
        kind = element["type"]
        if kind == "plain_text_input":
            return self.text_field(element)
        if kind in ("static_select", "multi_static_select"):
            return self.select_field(element)
        if kind == "users_select":
            return self.user_field(element)
        if kind == "datepicker":
            return self.date_field(element)
        if kind == "timepicker":
            return self.time_field(element)
        if kind == "channels_select":
            return self.channel_field(element)
        self.say(f"  The console can't fill in a {kind} field.")
        raise FormClosed

    def text_field(self, element: dict) -> Field:
        multiline, limit = element.get("multiline", False), element.get("max_length", 3000)

        def read(answer: str) -> dict:
            value = answer.replace("\\n", "\n") if multiline else answer
            if len(value) > limit:
                raise ValueError(f"That is {len(value):,} characters; at most {limit:,} fit.")
            return {"type": "plain_text_input", "value": value}

        initial = element.get("initial_value")
        return Field(read, {"type": "plain_text_input", "value": None},
                     {"type": "plain_text_input", "value": initial} if initial else None,
                     shorten(initial or ""), "\\n for a new line" if multiline else "")

    def select_field(self, element: dict) -> Field:
        multiple = element["type"] == "multi_static_select"
        groups = element.get("option_groups") or [{"options": element.get("options", [])}]
        options, choices = [], []
        for group in groups:
            if "label" in group:
                choices.append(group["label"]["text"])
            start = len(options)
            options += group["options"]
            choices += pack([f"[{start + n}] {o['text']['text']}" for n, o in enumerate(group["options"], 1)])

        def read(answer: str) -> dict:
            numbers = [int(n) for n in re.split(r"[,\s]+", answer) if n.isdigit()]
            if not numbers or any(not 1 <= n <= len(options) for n in numbers) or len(numbers) > 1 and not multiple:
                raise ValueError(f"Type {'numbers' if multiple else 'a number'} from 1 to {len(options)}.")
            chosen = [options[n - 1] for n in dict.fromkeys(numbers)]
            return ({"type": element["type"], "selected_options": chosen} if multiple
                    else {"type": element["type"], "selected_option": chosen[0]})

        if multiple:
            empty = {"type": element["type"], "selected_options": []}
            initial = element.get("initial_options")
        else:
            empty = {"type": element["type"], "selected_option": None}
            initial = [element["initial_option"]] if element.get("initial_option") else None
        default = read(", ".join(str(options.index(o) + 1) for o in initial)) if initial else None
        return Field(read, empty, default, ", ".join(o["text"]["text"] for o in initial or []),
                     "numbers, with commas" if multiple else "a number", choices)

    def user_field(self, element: dict) -> Field:
        def read(answer: str) -> dict:
            name = answer.removeprefix("@")
            if not user_id(name):
                raise ValueError("Type a user's name, e.g. alice.")
            return {"type": "users_select", "selected_user": self.learn(name)}

        initial = element.get("initial_user")
        return Field(read, {"type": "users_select", "selected_user": None},
                     {"type": "users_select", "selected_user": initial} if initial else None,
                     "@" + self.name_of(initial or ""), "a user's name")

    def date_field(self, element: dict) -> Field:
        def read(answer: str) -> dict:
            try:
                return {"type": "datepicker", "selected_date": date.fromisoformat(answer).isoformat()}
            except ValueError:
                raise ValueError("Type a date as YYYY-MM-DD, e.g. 2011-01-31.") from None

        initial = element.get("initial_date")
        return Field(read, {"type": "datepicker", "selected_date": None},
                     read(initial) if initial else None, initial or "", "YYYY-MM-DD")


    def time_field(self, element: dict) -> Field:
        def read(answer: str) -> dict:
            try:
                time.strptime(answer, "%H:%M")
            except ValueError:
                raise ValueError("Type a time as HH:MM, e.g. 09:00.") from None
            return {"type": "timepicker", "selected_time": answer.zfill(5)}

        initial = element.get("initial_time")
        return Field(read, {"type": "timepicker", "selected_time": None},
                     read(initial) if initial else None, initial or "", "HH:MM")

    def channel_field(self, element: dict) -> Field:
        def read(answer: str) -> dict:
            name = answer.removeprefix("#")
            if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
                raise ValueError("Type a channel, e.g. #single-conversations.")
            team = name == CHANNEL_NAME.removeprefix("#") or name == self.settings.sc_team_channel
            return {"type": "channels_select", "selected_channel": self.settings.sc_team_channel if team else name}

        initial = element.get("initial_channel")
        return Field(read, {"type": "channels_select", "selected_channel": None},
                     {"type": "channels_select", "selected_channel": initial} if initial else None,
                     self.channel_name(initial) if initial else "", "a channel")


def decoded(args: dict) -> dict:
    """A message or view as the app sent it: blocks and views arrive as JSON text in form posts."""
    return {key: json.loads(value) if key in ("blocks", "view") and isinstance(value, str) else value
            for key, value in args.items()}


def decoded_list(value) -> list[dict]:
    return json.loads(value) if isinstance(value, str) else value or []


def buttons_in(message: dict) -> list[dict]:
    found = []
    for block in message.get("blocks") or []:
        found += [e for e in block.get("elements", []) if block["type"] == "actions" and e["type"] == "button"]
        if block.get("accessory", {}).get("type") == "button":
            found.append(block["accessory"])
    return found


def pack(items: list[str], indent: str = "  ", width: int = WIDTH) -> list[str]:
    """Items on as few lines as fit, never split."""
    lines: list[str] = []
    for item in items:
        if lines and len(lines[-1]) + 3 + len(item) <= width:
            lines[-1] += "   " + item
        else:
            lines.append(indent + item)
    return lines


def shorten(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
