"""A test's view of Slack: it sends the bot requests as Slack would and reads what the bot sent back."""
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from rq import SimpleWorker
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from sqlmodel import Session, select

from bot.offline import payloads as slack_payloads
from bot.services import QUEUES
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
    def __init__(self, base_url: str, slack: StandInWithControls, engine, redis_connection):
        self.base_url = base_url
        self.slack = slack
        self.engine = engine
        self.redis = redis_connection
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

    def settle(self, seconds: float = 0.4) -> None:
        """Give the server's lazy listeners time to act, before asserting they did nothing."""
        time.sleep(seconds)

    # --- Block Kit -----------------------------------------------------------
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
