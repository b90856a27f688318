"""A test's view of Slack: it sends the bot requests as Slack would and reads what the bot sent back."""
import json
import re
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

from rq import Queue, SimpleWorker
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from sqlmodel import Session, select

from bot.offline import payloads as slack_payloads
from bot.offline.local_services import descendants, wait_until
from bot.services import QUEUES
from models.team import roster
from tests.standin import StandInWithControls

SECRET = "test-signing-secret"
TEAM_CHANNEL = "C0TEAM"
MEMBER = "U0MEMBER"  # in the team channel
STAFF = "U0STAFF"  # listed in SC_STAFF, not in the channel
OUTSIDER = "U0OUTSIDE"  # neither
MANAGER = "U0BOSS"  # in SC_MANAGERS


@dataclass
class Reply:
    status: int
    text: str

    @property
    def json(self) -> dict:
        return json.loads(self.text) if self.text else {}

    @property
    def message_text(self) -> str:
        """All the text a person would read in an ephemeral reply."""
        return everything_said(self.json)


def everything_said(body: dict) -> str:
    parts = [body.get("text", "")]
    for block in body.get("blocks", []):
        parts.append((block.get("text") or {}).get("text", ""))
        parts.extend(f.get("text", "") for f in block.get("fields", []))
    return "\n".join(parts)


class Workspace:
    def __init__(self, base_url: str, slack: StandInWithControls, engine, redis_connection,
                 server_pid: int | None = None):
        self.base_url = base_url
        self.slack = slack
        self.engine = engine
        self.redis = redis_connection
        self.server_pid = server_pid  # `scbot serve`'s, so that settle() can watch its workers
        self.acks: list[dict] = []

    # --- sending -------------------------------------------------------------
    def post(self, body: str, content_type: str, headers: dict | None = None, signed: bool = True,
             path: str = "/slack/events") -> Reply:
        all_headers = {"Content-Type": content_type}
        if signed:
            all_headers.update(slack_payloads.sign(body, SECRET))
        all_headers.update(headers or {})
        request = urllib.request.Request(self.base_url + path, data=body.encode(), headers=all_headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                reply = Reply(response.status, response.read().decode())
        except urllib.error.HTTPError as error:
            reply = Reply(error.code, error.read().decode())
        if reply.status == 200 and reply.text.startswith("{"):
            self.acks.append(reply.json)
        return reply

    def get(self, path: str) -> Reply:
        try:
            with urllib.request.urlopen(self.base_url + path, timeout=10) as response:
                return Reply(response.status, response.read().decode())
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read().decode())

    def command(self, text: str, user: str = MEMBER) -> Reply:
        body, content_type = slack_payloads.slash_command(
            text, user, user.lower(), TEAM_CHANNEL, self.slack.response_url(user))
        return self.post(body, content_type)

    def press(self, button: dict, user: str = MEMBER, message: dict | None = None) -> Reply:
        body, content_type = slack_payloads.block_action(
            button, user, user.lower(), TEAM_CHANNEL, (message or {}).get("ts", "1.1"),
            self.slack.response_url(user), message)
        return self.post(body, content_type)

    def press_in_home(self, button: dict, user: str = MEMBER) -> Reply:
        return self.post(*slack_payloads.home_action(button, user, user.lower()))

    def submit(self, view: dict, values: dict, user: str = MEMBER) -> Reply:
        body, content_type = slack_payloads.view_submission(view, values, user, user.lower())
        return self.post(body, content_type)

    def event(self, event: dict, event_id: str, retry: int | None = None) -> Reply:
        body, content_type = slack_payloads.event_callback(event, event_id)
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        return self.post(body, content_type, headers)

    # --- the team channel ----------------------------------------------------
    def join(self, user: str) -> None:
        """`user` joins the team channel, and Slack tells the bot so (member_joined_channel)."""
        self.slack.members.add(user)
        self._tell_membership(user, joined=True)

    def leave(self, user: str) -> None:
        """`user` leaves the team channel, and Slack tells the bot so (member_left_channel)."""
        self.slack.members.discard(user)
        self._tell_membership(user, joined=False)

    def _tell_membership(self, user: str, joined: bool) -> None:
        kind = "member_joined_channel" if joined else "member_left_channel"
        event = {"type": kind, "user": user, "channel": TEAM_CHANNEL, "channel_type": "C",
                 "event_ts": f"{time.time():.6f}"}
        assert self.event(event, f"Ev{uuid.uuid4().hex[:12].upper()}").status == 200
        # The event is acknowledged before it is handled: wait until the bot has stored it.
        wait_until(lambda: self.in_team(user) is joined, timeout=10, what=f"the bot to hear that {user} {kind}")

    def in_team(self, user: str) -> bool | None:
        """What the bot's database says of `user` and the team channel (None: not known yet)."""
        with Session(self.engine) as session:
            return roster(session, TEAM_CHANNEL).includes(user)

    # --- what came back ------------------------------------------------------
    def responses(self, count: int = 1, user: str = MEMBER, timeout: float = 10) -> list[dict]:
        """What the bot sent to `user`'s response_url (the lazy listener's answers)."""
        calls = self.slack.wait_for("response_url", count, timeout, where=lambda a: a["key"] == user)
        return [c.args for c in calls]

    def run_jobs(self) -> int:
        """Drain the queues with a real RQ worker, in this process; returns the jobs it ran."""
        worker = SimpleWorker(QUEUES, connection=self.redis)
        worker.work(burst=True, logging_level="WARNING")
        worker.refresh()  # RQ keeps the counts in Redis
        return worker.successful_job_count

    def channel_messages(self) -> list[dict]:
        return [m for (channel, _ts), m in sorted(self.slack.messages.items(), key=lambda kv: float(kv[0][1]))
                if channel == TEAM_CHANNEL and not m.get("thread_ts")]

    def rows(self, table) -> list:
        """The table's rows in the order they were written."""
        with Session(self.engine) as session:
            return list(session.exec(select(table).order_by(*table.__table__.primary_key.columns)))

    def settle(self, quiet: float = 0.25, timeout: float = 15) -> None:
        """Wait until the bot has finished the work the requests sent so far gave it, before asserting
        that it did nothing more: for `quiet` seconds on end, every thread of the server's workers idle
        and none having run, no call reaching the stand-in or waiting on its answer, no RQ job running
        or newly queued.

        Each request is answered only after Bolt has handed its listeners to the worker's threads, so
        work not yet done shows here as a thread that is running, runnable, or waiting on anything but
        a lock or its pool's queue (Slack, the database, a sleep before a retry). Linux's /proc only.
        """
        assert self.server_pid, "settle() watches a running `scbot serve`"
        deadline = time.monotonic() + timeout
        last, quiet_since = None, time.monotonic()
        while True:
            busy, now_seen = self._activity()
            now = time.monotonic()
            if busy or now_seen != last:
                last, quiet_since = now_seen, now
            elif now - quiet_since >= quiet:
                return
            if now > deadline:
                raise AssertionError(f"the bot was still at work after {timeout} s: {now_seen}")
            time.sleep(0.01)

    def _activity(self) -> tuple[bool, tuple]:
        """Whether the server is at work now, and a fingerprint of everything that changes when it works."""
        busy, threads = False, []
        for worker in descendants(self.server_pid, depth=1):  # gunicorn's workers
            for task in Path(f"/proc/{worker}/task").iterdir():
                if task.name == str(worker):
                    continue  # gunicorn's own loop, which wakes every second to tell the arbiter it lives
                try:
                    state = (task / "stat").read_text().rsplit(")", 1)[1].split()[0]
                    waiting_in = (task / "wchan").read_text()
                    ran = (task / "schedstat").read_text().split()[0]  # nanoseconds on a CPU, ever
                except (FileNotFoundError, ProcessLookupError, IndexError):
                    continue  # the thread just ended
                # An idle pool thread waits on a futex for its next task; any other wait is work under
                # way: a sleep before a retry, an answer from Slack or the database.
                busy = busy or state != "S" or "futex" not in waiting_in
                threads.append((task.name, ran))
        jobs = []
        if self.redis is not None:
            for name in QUEUES:
                queue = Queue(name, connection=self.redis)
                running = queue.started_job_registry.get_job_ids()
                busy = busy or bool(running)
                jobs.append((name, tuple(queue.get_job_ids())))
        busy = busy or self.slack.answering > 0
        return busy, (tuple(sorted(threads)), tuple(jobs), len(self.slack.all_calls()))

    # --- Block Kit -----------------------------------------------------------
    def everything_sent(self) -> list[tuple[str, dict]]:
        """Every acknowledgement the server answered with and every call the bot made to Slack."""
        return [("ack", ack) for ack in self.acks] + [(call.method, call.args) for call in self.slack.all_calls()]

    def sent_payloads(self) -> list[tuple[str, dict]]:
        payloads = [("ack", ack) for ack in self.acks if "blocks" in ack or "text" in ack]
        for call in self.slack.calls:
            if call.method in ("chat.postMessage", "chat.update", "chat.postEphemeral", "response_url"):
                payloads.append((call.method, call.args))
            elif call.method in ("views.open", "views.update", "views.push"):
                payloads.append((call.method, {"view": call.args["view"]}))
        return payloads


def assert_valid_block_kit(method: str, payload: dict) -> None:
    """Every message and modal the bot sends must pass slack_sdk's own validation."""
    view = payload.get("view")
    if view is not None:
        view = json.loads(view) if isinstance(view, str) else view
        View(**view).validate_json()
        blocks = view["blocks"]
    else:
        blocks = payload.get("blocks") or []
        blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
        assert payload.get("text") or payload.get("response_action"), f"{method} without fallback text"
    assert len(blocks) <= 50 if view is None else len(blocks) <= 100
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None, f"{method}: unknown block {block}"
        parsed.validate_json()


# Markup Slack acts on in the text it formats: only these come from the bot itself, a user picked from
# the @ menu, a channel, and a link to a message in this workspace. Anything else after "<" (<!channel>,
# <!here>, <!subteam^…>, <http://…|…>, <b>) is user text that was not escaped.
OWN_MARKUP = re.compile(r"<(?:@[UW][A-Z0-9]+(?:\|[^<>]*)?>|#[CDG][A-Z0-9]+(?:\|[^<>]*)?>|https://em-housing\.slack\.com/)")
# Fields Slack shows as typed, or does not show: never formatted, so never acted on.
UNFORMATTED = {"value", "private_metadata", "initial_value", "errors", "title", "filename", "alt_text"}


@dataclass
class MarkupWalk:
    """The strings walked so far, and the ones holding markup the bot should have escaped."""

    payloads: int = 0
    strings: int = 0

    def check(self, sent: list[tuple[str, dict]]) -> None:
        for method, payload in sent:
            assert not (live := self.live_markup(payload)), f"{method} sent unescaped user text: {live}"

    def live_markup(self, payload) -> list[str]:
        """Every string of `payload` Slack would format that holds markup the bot never writes."""
        self.payloads += 1
        found: list[str] = []

        def walk(value, key: str = "") -> None:
            if key in UNFORMATTED:
                return
            if isinstance(value, str) and value[:1] in "[{":
                try:  # blocks, views and file lists arrive as JSON text in form posts
                    value = json.loads(value)
                except ValueError:
                    pass
            if isinstance(value, dict):
                if value.get("type") != "plain_text":  # shown as typed: <!channel> there is only text
                    for name, item in value.items():
                        walk(item, name)
            elif isinstance(value, list):
                for item in value:
                    walk(item, key)
            elif isinstance(value, str):
                self.strings += 1
                if any(not OWN_MARKUP.match(value, at.start()) for at in re.finditer("<", value)):
                    found.append(value)

        walk(payload)
        return found
