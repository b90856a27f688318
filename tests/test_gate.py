"""The request gate: what a forged, malformed, oversized or replayed request meets, and the server's start."""
import hashlib
import hmac
import http.client
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, text

from bot.offline import payloads as slack_payloads
from bot.offline.local_services import free_port, wait_until
from models.db import get_engine
from models.migrate import upgrade
from models.tables import Conversation, LogEntry
from tests.conftest import POSTGRES_URL, fresh_database
from tests.workspace import MEMBER, SECRET, TEAM_CHANNEL

TS, SIG = "X-Slack-Request-Timestamp", "X-Slack-Signature"
FORM = "application/x-www-form-urlencoded"


def signature(body: bytes, timestamp: bytes | str, secret: str = SECRET) -> str:
    timestamp = timestamp.encode() if isinstance(timestamp, str) else timestamp
    return "v0=" + hmac.new(secret.encode(), b"v0:" + timestamp + b":" + body, hashlib.sha256).hexdigest()


def signed(body: bytes, content_type: str = FORM, timestamp: int | None = None) -> list[tuple[str, str]]:
    timestamp = str(timestamp or int(time.time()))
    return [("Content-Type", content_type), (TS, timestamp), (SIG, signature(body, timestamp))]


def send(base_url: str, body: bytes, headers: list[tuple[str, str | bytes]], length: bool = True,
         chunked: bool = False) -> tuple[int, bytes]:
    """A POST with exactly these headers (repeated or not ASCII, as a forger would send them)."""
    url = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=20)
    try:
        connection.putrequest("POST", "/slack/events")
        for name, value in headers:
            connection.putheader(name, value)
        if chunked:
            connection.putheader("Transfer-Encoding", "chunked")
            connection.endheaders()
            step = 64 * 1024
            try:
                for start in range(0, len(body), step):
                    piece = body[start:start + step]
                    connection.send(b"%x\r\n%s\r\n" % (len(piece), piece))
                connection.send(b"0\r\n\r\n")
            except OSError:
                pass  # the server answered and closed before the whole body was sent
        else:
            if length:
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


class ServerLog:
    """What the server wrote to its log since this was made."""

    def __init__(self, path: Path):
        self.path = path
        self.start = path.stat().st_size

    def new(self) -> str:
        with open(self.path, "rb") as log:
            log.seek(self.start)
            return log.read().decode("utf-8", "replace")

    @property
    def growth(self) -> int:
        return self.path.stat().st_size - self.start


def server_log(backend) -> ServerLog:
    return ServerLog(Path(backend.env["SC_DATA_DIR"]) / "server.log")


def command_body(workspace, text: str, **fields) -> bytes:
    body, _ = slack_payloads.slash_command(text, MEMBER, "member", TEAM_CHANNEL,
                                           workspace.slack.response_url(MEMBER))
    return urllib.parse.urlencode({**dict(urllib.parse.parse_qsl(body)), **fields}).encode()


def start_leicester(workspace) -> int:
    """A conversation to write to, with everything its start queued done; the number of its log entries."""
    status, _ = send(workspace.base_url, *_signed_command(workspace, "start Leicester"))
    assert status == 200
    wait_until(lambda: workspace.rows(Conversation), what="the conversation to start")
    workspace.run_jobs()
    return len(workspace.rows(LogEntry))


def _signed_command(workspace, text: str, **fields) -> tuple[bytes, list]:
    body = command_body(workspace, text, **fields)
    return body, signed(body)


def assert_no_traceback(log: ServerLog) -> None:
    written = log.new()
    assert "Traceback" not in written and " 500 " not in written, written[-2000:]


# --- 401: timestamp and signature -------------------------------------------------------------------

def _header_cases(body: bytes) -> dict[str, list[tuple[str, str | bytes]]]:
    now = str(int(time.time()))
    good = signature(body, now)
    arabic = "١٧٠٠٠٠٠٠٠٠".encode()  # digits, but not ASCII ones
    decimal = now + ".5"
    return {
        "neither": [],
        "no signature": [(TS, now)],
        "no timestamp": [(SIG, good)],
        "empty timestamp": [(TS, ""), (SIG, signature(body, ""))],
        "non-numeric timestamp": [(TS, "soon"), (SIG, signature(body, "soon"))],
        "decimal timestamp": [(TS, decimal), (SIG, signature(body, decimal))],
        "negative timestamp": [(TS, "-1"), (SIG, signature(body, "-1"))],
        "huge timestamp": [(TS, "9" * 40), (SIG, signature(body, "9" * 40))],
        "non-ASCII timestamp": [(TS, arabic), (SIG, signature(body, arabic))],
        "timestamp sent twice": [(TS, now), (TS, now), (SIG, good)],
        "signature sent twice": [(TS, now), (SIG, good), (SIG, good)],
        "non-ASCII signature": [(TS, now), (SIG, ("v0=" + "é" * 64).encode("latin-1"))],
        "signature without v0=": [(TS, now), (SIG, good[3:])],
        "signature in capitals": [(TS, now), (SIG, good.upper())],
        "stale timestamp": [(TS, str(int(now) - 301)), (SIG, signature(body, str(int(now) - 301)))],
        "other secret": [(TS, now), (SIG, signature(body, now, "not-the-secret"))],
    }


@pytest.mark.parametrize("case", list(_header_cases(b"")))
def test_a_missing_or_malformed_timestamp_or_signature_gets_401(workspace, backend, case):
    log = server_log(backend)
    body = command_body(workspace, "start Leicester")
    status, answer = send(workspace.base_url, body, [("Content-Type", FORM), *_header_cases(body)[case]])
    assert status == 401 and answer == b""
    assert "refused a request" in log.new()
    assert_no_traceback(log)
    # The same body, well signed, is served: only the headers were wrong.
    assert send(workspace.base_url, body, signed(body))[0] == 200
    wait_until(lambda: workspace.rows(Conversation), what="the well-signed start")


# --- 413: size ----------------------------------------------------------------------------------------

FORGED = "2011-01-10 09:00:00,000 scbot ERROR forged line"


def test_a_body_over_1_mb_gets_413_unread_and_unlogged(workspace, backend):
    log = server_log(backend)
    huge = (b"payload=" + (b"x" * 1000 + b"\n" + FORGED.encode() + b"\n") * 5000)  # about 5 MB
    for _ in range(3):
        assert send(workspace.base_url, huge, [("Content-Type", FORM)])[0] == 413
    # Signed or not, 1 MB and a byte is too much; so is a body of undeclared length.
    just_over = b"x" * (1024 * 1024 + 1)
    assert send(workspace.base_url, just_over, signed(just_over))[0] == 413
    assert send(workspace.base_url, huge, [("Content-Type", FORM)], chunked=True)[0] == 413
    assert log.growth < 5000
    assert FORGED not in log.new()
    assert_no_traceback(log)
    # 1 MB exactly is read, and judged by its signature.
    assert send(workspace.base_url, just_over[1:], signed(just_over[1:]))[0] == 400
    assert workspace.get("/healthz").status == 200


# --- log lines --------------------------------------------------------------------------------------

def test_no_text_from_a_request_can_start_a_log_line(workspace, backend):
    log = server_log(backend)
    # Bolt logs a request no listener takes, with code to handle it that quotes the command as sent.
    body = command_body(workspace, "hello", command="/sc\n" + FORGED)
    send(workspace.base_url, body, signed(body))
    body = command_body(workspace, "hello", team_id="T0REGION\r\n" + FORGED)
    assert send(workspace.base_url, body, signed(body))[0] == 401
    body = command_body(workspace, "hello", command="/sc\u2028" + FORGED + "\x1b[2J")
    send(workspace.base_url, body, signed(body))
    unsigned = ("token=x&text=\n" + FORGED).encode()
    send(workspace.base_url, unsigned, [("Content-Type", FORM), (TS, "1\x1b[2J")])
    written = log.new()
    assert "\\n" + FORGED in written  # logged, escaped
    assert not [line for line in written.splitlines() if line.startswith(FORGED) or "\x1b" in line]


# --- 400: signed junk ---------------------------------------------------------------------------------

def _payload(value) -> bytes:
    return urllib.parse.urlencode({"payload": value if isinstance(value, str) else json.dumps(value)}).encode()


JUNK = {
    "binary": (b"\x00\xff\xfe" * 100, FORM),
    "invalid UTF-8 form": (b"command=%2Fsc&text=\xc3\x28&user_id=U0MEMBER", FORM),
    "invalid UTF-8 escaped": (b"command=%2Fsc&text=%C3%28&user_id=U0MEMBER&team_id=T0REGION", FORM),
    "payload of bad JSON": (_payload("{not json"), FORM),
    "payload holding a list": (_payload([1, 2]), FORM),
    "payload without a type": (_payload({"user": {"id": MEMBER}}), FORM),
    "block_actions without actions": (_payload({"type": "block_actions", "user": {"id": MEMBER}}), FORM),
    "block_actions with a string": (_payload({"type": "block_actions", "user": {"id": MEMBER}, "actions": "x"}), FORM),
    "block_actions with an empty list": (_payload({"type": "block_actions", "user": {"id": MEMBER}, "actions": []}), FORM),
    "view_submission without its view": (_payload({"type": "view_submission", "user": {"id": MEMBER}, "view": []}), FORM),
    "team as a number": (_payload({"type": "block_actions", "user": {"id": MEMBER}, "team": 5,
                                   "actions": [{"action_id": "x"}]}), FORM),
    "slash command without user_id": (b"command=%2Fsc&text=log+Leicester+x&team_id=T0REGION&api_app_id=A0SCBOT", FORM),
    "slash command with an empty user_id": (b"command=%2Fsc&text=log&team_id=T0REGION&user_id=", FORM),
    "a field sent twice": (b"command=%2Fsc&text=log&team_id=T0REGION&team_id=T0OTHER&user_id=U0MEMBER", FORM),
    "form of nothing Slack sends": (b"hello=world", FORM),
    "not a form": (b"just some words", FORM),
    "empty body": (b"", FORM),
    "JSON list": (b"[1, 2]", "application/json"),
    "bad JSON": (b"{\"type\": ", "application/json"),
    "event without an event": (json.dumps({"type": "event_callback", "event": "x"}).encode(), "application/json"),
    "JSON as text/plain": (json.dumps({"type": "event_callback", "event": {"type": "app_mention"}}).encode(),
                           "text/plain"),
    "XML": (b"<xml/>", "application/xml"),
    "no content type": (b"command=%2Fsc&text=log&team_id=T0REGION&user_id=U0MEMBER", ""),
}


@pytest.mark.parametrize("case", list(JUNK))
def test_signed_junk_gets_400_and_does_nothing(workspace, backend, case):
    log = server_log(backend)
    body, content_type = JUNK[case]
    headers = [h for h in signed(body, content_type) if h[1]]
    status, _ = send(workspace.base_url, body, headers)
    assert status == 400
    assert_no_traceback(log)
    assert not workspace.rows(Conversation) and not workspace.slack.calls_to("response_url")


def test_a_slash_command_that_says_payload_is_read_as_typed(workspace):
    """Bolt reads any form holding the word as an interactive payload; the gate hands it over unmistakable."""
    before = start_leicester(workspace)
    body, headers = _signed_command(workspace, "log Leicester The payload of the survey arrived")
    assert send(workspace.base_url, body, headers)[0] == 200
    wait_until(lambda: len(workspace.rows(LogEntry)) > before, what="the entry")
    assert workspace.rows(LogEntry)[-1].text == "The payload of the survey arrived"


# --- 401: another workspace or app ---------------------------------------------------------------

def _other(kind: str, workspace, field: str) -> tuple[bytes, str]:
    other = {"team": "T0OTHER", "app": "A0OTHER"}[field]
    if kind == "command":
        key = {"team": "team_id", "app": "api_app_id"}[field]
        return command_body(workspace, "start Leicester", **{key: other}), FORM
    if kind == "button":
        body, content_type = slack_payloads.home_action({"action_id": "home_start", "value": ""}, MEMBER, "member")
        payload = json.loads(dict(urllib.parse.parse_qsl(body))["payload"])
        if field == "team":
            payload["team"]["id"] = other
        else:
            payload["api_app_id"] = other
        return _payload(payload), content_type
    body, content_type = slack_payloads.event_callback(
        {"type": "app_mention", "user": MEMBER, "text": "<@U0SCBOT> hello", "ts": "1700000000.000900",
         "channel": TEAM_CHANNEL, "event_ts": "1700000000.000900"})
    event = json.loads(body)
    if field == "team":
        event["team_id"] = event["authorizations"][0]["team_id"] = other
    else:
        event["api_app_id"] = other
    return json.dumps(event).encode(), content_type


@pytest.mark.parametrize("kind", ["command", "button", "event"])
@pytest.mark.parametrize("field", ["team", "app"])
def test_a_request_for_another_workspace_or_app_gets_401(workspace, backend, kind, field):
    log = server_log(backend)
    body, content_type = _other(kind, workspace, field)
    status, _ = send(workspace.base_url, body, signed(body, content_type))
    assert status == 401
    assert "refused a request for workspace" in log.new()
    assert_no_traceback(log)
    assert not workspace.rows(Conversation)
    assert not workspace.slack.calls


# --- replays ------------------------------------------------------------------------------------------

def test_an_exact_replay_takes_no_effect(workspace, backend):
    before = start_leicester(workspace)
    log = server_log(backend)
    body, headers = _signed_command(workspace, "log Leicester Met the housing team")
    first = send(workspace.base_url, body, headers)
    replay = send(workspace.base_url, body, headers)
    assert first[0] == 200 and replay == (200, b"")
    # Answered by the gate before Bolt: nothing of the replay is left running.
    assert log.new().count("ignored a replayed request") == 1

    def posted():
        workspace.run_jobs()
        return [c for c in workspace.slack.calls_to("chat.postMessage")
                if "Met the housing team" in c.args.get("text", "")]

    wait_until(posted, what="the entry's post in the thread")
    assert len(workspace.rows(LogEntry)) == before + 1
    assert len(posted()) == 1
    # The same words sent again by the person are a new request, and taken.
    body, headers = _signed_command(workspace, "log Leicester Met the housing team")
    assert send(workspace.base_url, body, headers)[0] == 200
    wait_until(lambda: len(workspace.rows(LogEntry)) == before + 2, what="the second entry")


def test_a_replay_is_refused_while_redis_is_down(server_with, tmp_path):
    bot, _process, env = server_with(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    log = ServerLog(tmp_path / "server.log")
    body = command_body(bot, "start Rutland")
    headers = signed(body)
    assert send(bot.base_url, body, headers)[0] == 200
    assert send(bot.base_url, body, headers) == (200, b"")
    written = log.new()
    assert written.count("ignored a replayed request") == 1
    assert written.count("replays are refused by this process alone") == 1


def test_slacks_retry_of_an_event_carries_a_new_signature_and_takes_effect_once(workspace, backend):
    log = server_log(backend)
    mention = {"type": "app_mention", "user": MEMBER, "text": "<@U0SCBOT> hello", "ts": "1700000000.000300",
               "channel": TEAM_CHANNEL, "event_ts": "1700000000.000300"}
    body = slack_payloads.event_callback(mention, "Ev0GATE")[0].encode()
    now = int(time.time())
    # The first delivery was lost; Slack's first retry is signed anew, and taken.
    retry = [*signed(body, "application/json", now - 2), ("X-Slack-Retry-Num", "1")]
    assert send(workspace.base_url, body, retry)[0] == 200
    # Someone replays that delivery exactly: refused by the gate. Slack's second retry: taken, not answered again.
    assert send(workspace.base_url, body, retry) == (200, b"")
    second = [*signed(body, "application/json", now), ("X-Slack-Retry-Num", "2")]
    assert send(workspace.base_url, body, second)[0] == 200
    [reply] = workspace.slack.wait_for("chat.postMessage")
    assert reply.args["thread_ts"] == "1700000000.000300"
    assert log.new().count("ignored a replayed request") == 1
    assert len(workspace.slack.calls_to("chat.postMessage")) == 1


# --- start-up -----------------------------------------------------------------------------------------

def scbot(*args, **env):
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "SLACK_BOT_TOKEN": "xoxb-x", "SLACK_SIGNING_SECRET": "s",
                               "SLACK_APP_TOKEN": "xapp-x", **env})


@pytest.mark.parametrize("mode, missing", [
    ("serve", "SLACK_SIGNING_SECRET"), ("serve", "SLACK_BOT_TOKEN"),
    ("socket", "SLACK_APP_TOKEN"), ("socket", "SLACK_BOT_TOKEN"),
])
def test_serve_and_socket_refuse_to_start_without_their_secrets(mode, missing):
    result = scbot(mode, "--port", str(free_port()), **{missing: ""}) if mode == "serve" else scbot(mode, **{missing: ""})
    assert result.returncode != 0
    assert re.search(rf"scbot {mode}: .*{missing}.* not set", result.stderr)
    assert "Traceback" not in result.stderr


# --- /healthz: a database that takes no changes ---------------------------------------------------

def test_healthz_names_a_postgresql_database_that_takes_no_changes(server_with, tmp_path):
    with fresh_database("postgresql", tmp_path, name=f"scbot_gate_{os.getpid()}") as url:
        upgrade(url)
        bot, _process, _ = server_with(healthy=True, DATABASE_URL=url)
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f"ALTER DATABASE {name} SET default_transaction_read_only = on")
            # The server's connections end; the ones it opens next are read-only.
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
        answer = wait_until(lambda: (reply := bot.get("/healthz")).status == 503 and reply, timeout=15,
                            what="/healthz to answer 503")
        assert answer.json["down"] == ["database"]
        assert answer.json["checks"]["database"] == "not accepting changes"
        get_engine(url).dispose()


def test_healthz_names_an_sqlite_file_that_cannot_be_written(server_with, tmp_path):
    path = tmp_path / "readonly.sqlite3"
    url = f"sqlite:///{path}"
    upgrade(url)
    get_engine(url).dispose()
    # Root writes through file permissions; the immutable attribute stops it too.
    lock = ["chattr", "+i", str(path)] if os.geteuid() == 0 else ["chmod", "444", str(path)]
    subprocess.run(lock, check=True)
    try:
        bot, _process, _ = server_with(DATABASE_URL=url)  # waits for /healthz to answer 503
        answer = bot.get("/healthz")
        assert answer.json["checks"] == {"database": "not accepting changes", "redis": "ok"}
        with create_engine(url).connect() as connection:  # still readable
            assert connection.execute(text("SELECT count(*) FROM area")).scalar() > 0
    finally:
        subprocess.run(["chattr", "-i", str(path)] if os.geteuid() == 0 else ["chmod", "644", str(path)])


# --- Socket Mode --------------------------------------------------------------------------------------

def test_socket_mode_serves_only_the_bots_own_workspace_and_app(slack, redis_server_url, tmp_path):
    """Socket Mode skips the HTTP gate (Slack's own connection, opened with the app token), not the pinning."""
    from slack_bolt.request import BoltRequest

    from bot.app import create_app
    from bot.settings import Settings

    url = f"sqlite:///{tmp_path / 'socket.sqlite3'}"
    upgrade(url)
    settings = Settings(_env_file=None, slack_bot_token="xoxb-test", slack_api_url=slack.api_url, database_url=url,
                        redis_url=redis_server_url, sc_data_dir=tmp_path, sc_team_channel=TEAM_CHANNEL,
                        sc_app_id=slack_payloads.APP_ID)
    app = create_app(settings)
    command = dict(urllib.parse.parse_qsl(slack_payloads.slash_command(
        "help", MEMBER, "member", TEAM_CHANNEL, slack.response_url(MEMBER))[0]))

    def dispatch(**fields):
        return app.dispatch(BoltRequest(body={**command, **fields}, mode="socket_mode"))

    assert dispatch(team_id="T0OTHER").status == 401
    assert dispatch(api_app_id="A0OTHER").status == 401
    own = dispatch()
    assert own.status == 200 and "/sc log" in own.body
