"""The request gate: what a request from Slack meets before Bolt's listeners read it.

Over HTTP (`RequestGate`, in front of Bolt in the WSGI app), in this order:
- a body over 1 MB is refused with 413; no more than 1 MB and a byte of it is kept;
- a timestamp or signature that is missing, malformed (not ASCII digits / `v0=` and 64 hex digits, or sent
  twice), more than five minutes off, or a signature that does not match the body: 401;
- a signed body that Slack would never send (not UTF-8, bad JSON, JSON that is not an object, a form
  without the fields Bolt reads, an unknown content type): 400;
- an exact replay (same timestamp and signature) of a request taken in the last five minutes: 200, and
  nothing is done. Slack's own retries carry new signatures, so they pass (the event id then keeps an
  event from being taken twice: handlers/events.py).
Each refusal is logged on one line with its reason; never the body.

In Bolt itself, for HTTP, Socket Mode and the console alike (`OwnWorkspace`): a request for another
workspace or app than the bot's own is refused (401) before authorization, and Bolt is told who the bot
is from one auth.test at start, instead of asking Slack again with the slow client.
"""
import hashlib
import hmac
import json
import logging
import re
import threading
import time
from urllib.parse import parse_qsl

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from slack_bolt import BoltResponse
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.settings import Settings
from models.errors import ServiceDown

log = logging.getLogger("scbot.gate")

MAX_BODY = 1024 * 1024
# A refused body up to this size is read to its end (and dropped), so that the client sees the 413.
DRAIN_LIMIT = 8 * MAX_BODY
# Slack's rule: a request signed more than five minutes from now is refused.
FRESH_SECONDS = 5 * 60
REDIS_PAUSE_SECONDS = 10
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
# A slash command, what Bolt needs of it to find its listener and the person.
_COMMAND_FIELDS = ("command", "user_id", "team_id", "text")
# Per kind of interactive payload and event, the members Bolt's matchers read without looking first.
_SHAPES: dict[str, dict[str, type]] = {
    "block_actions": {"actions": list, "user": dict},
    "view_submission": {"view": dict, "user": dict},
    "view_closed": {"view": dict, "user": dict},
    "block_suggestion": {"action_id": str, "user": dict},
    "shortcut": {"callback_id": str, "user": dict},
    "message_action": {"callback_id": str, "user": dict},
    "event_callback": {"event": dict},
    "url_verification": {"challenge": str},
}


class Refusal(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status


class RequestGate:
    """WSGI middleware in front of Bolt's SlackRequestHandler: POST requests to Slack's path go from here to
    Bolt's App as read here; anything else to the handler."""

    PATH = "/slack/events"  # Bolt's, as SlackRequestHandler serves it

    def __init__(self, slack, settings: Settings):
        if not settings.slack_signing_secret:
            raise ValueError("SLACK_SIGNING_SECRET is not set: no request could be told from a forgery")
        self.slack = slack
        self.secret = settings.slack_signing_secret.encode()
        self.seen = SeenRequests(settings)

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != self.PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.slack(environ, start_response)
        try:
            raw = _read_body(environ)
            timestamp, signature = self._verify(environ, raw)
            request = _bolt_request(raw, environ)
            if not self.seen.first_time(timestamp, signature):
                log.info("ignored a replayed request from %s (timestamp %d)", environ.get("REMOTE_ADDR"), timestamp)
                return _answer(start_response, 200, "")
        except Refusal as refusal:
            log.info("refused a request from %s with %d: %s", environ.get("REMOTE_ADDR"), refusal.status, refusal)
            return _answer(start_response, refusal.status, "")
        # The request as read here goes to Bolt, answered as Bolt's WSGI adapter would: read once, not twice.
        answer = self.slack.app.dispatch(request)
        response = WsgiHttpResponse(status=answer.status, headers=answer.headers, body=answer.body)
        start_response(response.status, response.get_headers())
        return response.get_body()

    def _verify(self, environ, raw: bytes) -> tuple[int, str]:
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
        # Twice-sent headers arrive joined by a comma, so they fail these too.
        if not _TIMESTAMP.fullmatch(timestamp) or not _SIGNATURE.fullmatch(signature):
            raise Refusal(401, "no well-formed timestamp and signature")
        if abs(time.time() - int(timestamp)) > FRESH_SECONDS:
            raise Refusal(401, "stale timestamp")
        # Over the raw bytes, so that a body that is not even UTF-8 is judged by its signature first.
        expected = "v0=" + hmac.new(self.secret, b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise Refusal(401, "signature does not match")
        return int(timestamp), signature


def _read_body(environ) -> bytes:
    declared = environ.get("CONTENT_LENGTH") or ""
    if declared and not declared.isdigit():
        raise Refusal(400, f"Content-Length {declared[:20]!r}")
    stream = environ["wsgi.input"]
    if declared and int(declared) > MAX_BODY:
        if int(declared) <= DRAIN_LIMIT:
            _read(stream, DRAIN_LIMIT, keep=False)
        raise Refusal(413, f"declared body of {declared[:20]} bytes")
    body = _read(stream, MAX_BODY + 1)
    if len(body) > MAX_BODY:
        _read(stream, DRAIN_LIMIT, keep=False)
        raise Refusal(413, "body over 1 MB")
    return body


def _read(stream, limit: int, keep: bool = True) -> bytes:
    """Up to `limit` bytes of the body; read and dropped unless `keep`. A body left unread past a few kB
    makes gunicorn close the connection, before a client still sending could read the answer: up to
    DRAIN_LIMIT is read so that it can."""
    chunks, size = [], 0
    while size < limit:
        chunk = stream.read(min(limit - size, 64 * 1024))
        if not chunk:
            break
        size += len(chunk)
        if keep:
            chunks.append(chunk)
    return b"".join(chunks)


def _bolt_request(raw: bytes, environ) -> BoltRequest:
    """The request as Bolt should be handed it, once it is known to be what Slack sends; Refusal (400) if not."""
    content_type = environ.get("CONTENT_TYPE", "")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Refusal(400, "body is not UTF-8") from None
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json":
        body = _json_object(text)
    elif kind == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True, errors="strict")
        except (ValueError, UnicodeDecodeError):
            raise Refusal(400, "form not URL-encoded") from None
        form = dict(pairs)
        if len(form) != len(pairs):
            raise Refusal(400, "a form field sent twice")
        if "payload" in form:
            body = _json_object(form["payload"])
        elif "ssl_check" in form:
            body = form  # Slack checking the certificate: Bolt answers it
        elif all(isinstance(form.get(name), str) for name in _COMMAND_FIELDS) and form["user_id"]:
            body = form
            # Bolt reads any form holding the word "payload" as an interactive payload, and would lose a
            # slash command whose text says it: spelt with an escaped "p", the form means the same.
            text = text.replace("payload", "%70ayload")
        else:
            raise Refusal(400, "a form that is neither a slash command nor an interactive payload")
    else:
        raise Refusal(400, f"content type {kind[:40]!r}")
    _check_shape(body)
    try:
        request = BoltRequest(body=text, query=environ.get("QUERY_STRING", ""),
                              headers=WsgiHttpRequest(environ).get_headers())
    except (TypeError, ValueError, AttributeError, KeyError, IndexError):
        raise Refusal(400, "a body Bolt cannot read") from None
    if request.body != body:
        raise Refusal(400, "a body Bolt would read otherwise")
    return request


def _json_object(text: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError:
        raise Refusal(400, "bad JSON") from None
    if not isinstance(value, dict) or not isinstance(value.get("type"), str):
        raise Refusal(400, "JSON that is not a Slack payload")
    return value


def _check_shape(body: dict) -> None:
    for member, kind in _SHAPES.get(body.get("type", ""), {}).items():
        if not isinstance(body.get(member), kind):
            raise Refusal(400, f"{body['type']} without a well-formed {member}")
    if body.get("type") == "block_actions" and not (
            body["actions"] and all(isinstance(a, dict) and isinstance(a.get("action_id"), str)
                                    for a in body["actions"])):
        raise Refusal(400, "block_actions without actions")
    if body.get("type") in ("view_submission", "view_closed") and not isinstance(body["view"].get("callback_id"), str):
        raise Refusal(400, "a view without its callback_id")
    if body.get("type") == "event_callback" and not isinstance(body["event"].get("type"), str):
        raise Refusal(400, "an event without its type")


def _answer(start_response, status: int, text: str):
    body = text.encode()
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    phrase = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 413: "Content Too Large"}[status]
    start_response(f"{status} {phrase}", headers)
    return [body]


class SeenRequests:
    """The signed requests taken in the last five minutes, by timestamp and signature.

    Kept in Redis (SET NX, expiring when the timestamp goes stale), which every process shares. While Redis
    is not answering, they are kept in this process's memory instead: a replay then reaching another
    process is taken, which is the price of not refusing Slack's requests during a Redis outage.
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self._redis: redis.Redis | None = None
        self._local: dict[str, float] = {}
        self._lock = threading.Lock()
        self._redis_down_until = 0.0

    def first_time(self, timestamp: int, signature: str) -> bool:
        now = time.time()
        lasts = max(1, int(timestamp + FRESH_SECONDS - now) + 1)
        key = f"scbot:request:{timestamp}:{signature[3:]}"
        if now < self._redis_down_until:
            return self._first_here(key, now + lasts, now)
        try:
            return bool(self.redis.set(key, b"", nx=True, ex=lasts))
        except (redis.RedisError, OSError, RuntimeError) as error:
            log.warning("Redis is not answering (%s): replays are refused by this process alone for %d s",
                        error, REDIS_PAUSE_SECONDS)
            # Not asked again for a while, so that an unreachable Redis costs one request its timeout, not each.
            self._redis_down_until = now + REDIS_PAUSE_SECONDS
            return self._first_here(key, now + lasts, now)

    def _first_here(self, key: str, until: float, now: float) -> bool:
        with self._lock:
            for old in [k for k, t in self._local.items() if t < now]:
                del self._local[old]
            if key in self._local:
                return False
            self._local[key] = until
            return True

    @property
    def redis(self) -> redis.Redis:
        if self._redis is None:
            from bot.services import redis_url

            # Short timeouts and no retries: the acknowledgement cannot wait for an absent Redis.
            self._redis = redis.Redis.from_url(redis_url(self.settings), socket_timeout=0.5,
                                               socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
        return self._redis


class OwnWorkspace:
    """Who the bot is (its workspace, app and bot user), learnt from one auth.test with the quick client;
    SC_TEAM_ID and SC_APP_ID, when set, name the workspace and app instead. Until Slack has answered,
    requests are answered that Slack is not answering, and it is asked again at most every 10 seconds."""

    RETRY_SECONDS = 10.0

    def __init__(self, settings: Settings, client: WebClient):
        self.settings = settings
        self.client = client
        self._identity: dict | None = None
        self._asked = float("-inf")
        self._lock = threading.Lock()
        self.learn()

    def learn(self) -> dict | None:
        with self._lock:
            if self._identity is None and time.monotonic() - self._asked >= self.RETRY_SECONDS:
                self._asked = time.monotonic()
                try:
                    self._identity = dict(self.client.auth_test().data)
                    log.info("serving workspace %s, app %s", self.team_id,
                             self.app_id or "not named by Slack (SC_APP_ID would pin it)")
                except (SlackApiError, OSError) as error:
                    log.warning("Slack did not say who the bot is (auth.test: %s); asking again on a request",
                                getattr(error, "response", {}).get("error") if isinstance(error, SlackApiError)
                                else type(error).__name__)
            return self._identity

    @property
    def team_id(self) -> str:
        return self.settings.sc_team_id or (self._identity or {}).get("team_id", "")

    @property
    def app_id(self) -> str:
        return self.settings.sc_app_id or (self._identity or {}).get("app_id", "")

    def bolt_options(self) -> dict:
        """Bolt's `before_authorize` and `authorize`, as plain functions (Bolt passes them arguments by name)."""

        def refuse_others(body: dict, context, next) -> BoltResponse | None:
            """Only the bot's own workspace and app are served."""
            if body.get("type") == "url_verification" or "ssl_check" in body:
                return next()
            if not self.team_id and self.learn() is None:
                raise ServiceDown("Slack API")
            app_id = body.get("api_app_id")
            if context.team_id != self.team_id or (self.app_id and app_id != self.app_id):
                log.warning("refused a request for workspace %.40r, app %.40r", context.team_id, app_id)
                return BoltResponse(status=401, body="")
            return next()

        def authorize(enterprise_id, team_id, user_id) -> AuthorizeResult:
            """The bot's own token and identity, without a call to Slack once known."""
            identity = self._identity or self.learn()
            if identity is None:
                raise ServiceDown("Slack API")
            return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id,
                                   bot_id=identity.get("bot_id"), bot_user_id=identity.get("user_id"),
                                   bot_token=self.settings.slack_bot_token)

        return {"before_authorize": refuse_others, "authorize": authorize}
