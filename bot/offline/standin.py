"""A stand-in for Slack's Web API on loopback, for the console, the tests and the benchmarks.

It answers the methods the bot calls the way Slack does, keeps the messages
and modals it was sent, and records every call (response URLs included). A
subclass decides which calls Slack refuses (`refusal`) and which answers are
slow in coming (`hold`): the tests script faults, a benchmark plays Slack's
rate limits.
"""
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

BOT_USER = "U0SCBOT"


@dataclass
class Call:
    method: str  # a Web API method, or "response_url"
    args: dict
    at: float = field(default_factory=time.monotonic)


@dataclass
class Refusal:
    """Slack refusing a call: 429 with Retry-After when rate limited, or a server error."""

    status: int
    retry_after: int = 1


class SlackStandIn:
    def __init__(self, team_channel: str = "C0TEAM", members: set[str] | None = None,
                 users: dict[str, str] | None = None, token_prefix: str = "xoxb-"):
        self.team_channel = team_channel
        self.members = members if members is not None else set()
        # Each channel conversations.members answers for (the regions' team channels): the team channel's is members.
        self.channel_members: dict[str, set[str]] = {team_channel: self.members}
        self.users = users or {}  # user id -> display name
        self.departed: set[str] = set()  # users deactivated: Slack still takes posts to their DMs
        # Where the bot may post: the channels it is in. Its scopes (chat:write, not chat:write.public) let it
        # post nowhere else: a public channel answers not_in_channel, a private one is not even seen.
        self.joined: set[str] = {team_channel}
        self.private: set[str] = set()
        self.archived: set[str] = set()
        self.token_prefix = token_prefix
        self.calls: list[Call] = []
        self.messages: dict[tuple[str, str], dict] = {}
        self.views: dict[str, dict] = {}
        self.files: dict[str, dict] = {}  # file id -> name, title, content, where it was shared
        # Canvas id -> title, markdown, channel (a channel canvas's own), access (channel or user -> level),
        # edits, deleted. The plan's refusals: Slack's error for a channel canvas, or a standalone one ("": none).
        self.canvases: dict[str, dict] = {}
        self.channel_canvas_refusal = ""
        self.standalone_canvas_refusal = ""
        self._changed = threading.Condition()
        self._ts = itertools.count(1)  # for view ids
        self._last_ts = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # --- running -------------------------------------------------------------
    def start(self) -> "SlackStandIn":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "SlackStandIn":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def response_url(self, key: str = "r") -> str:
        return f"{self.base}/respond/{key}"

    # --- inspecting ------------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        with self._changed:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0, where=None) -> list[Call]:
        """The calls to `method` (matching `where`), once there are `count`; AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [c for c in self.calls if c.method == method and (where is None or where(c.args))]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"expected {count} call(s) to {method}, saw {len(found)}: "
                                         f"{[c.method for c in self.calls]}")
                self._changed.wait(remaining)

    def remember(self, channel: str, message: dict) -> None:
        """Hold a message posted before this stand-in started (the console's earlier sessions)."""
        with self._changed:
            self.messages[(channel, message["ts"])] = message

    def thread(self, channel: str, thread_ts: str) -> list[dict]:
        """The replies in a thread, oldest first."""
        with self._changed:
            return [m for (c, _ts), m in sorted(self.messages.items(), key=lambda kv: float(kv[0][1]))
                    if c == channel and m.get("thread_ts") == thread_ts]

    # --- answering -----------------------------------------------------------
    def refusal(self, method: str, args: dict) -> Refusal | None:
        """How Slack refuses this call, if it does; called with the stand-in's lock held. Never, here."""
        return None

    def hold(self, method: str, args: dict) -> None:
        """Called, without the lock, once the call is recorded and before it is answered: a slow Slack
        would take its time here. Answers at once, here."""

    def _record(self, method: str, args: dict) -> None:
        with self._changed:
            self.calls.append(Call(method, args))
            self._changed.notify_all()

    def _next_ts(self) -> str:
        # Slack's ts is the post time in microseconds; later messages always sort later.
        with self._changed:
            self._last_ts = max(self._last_ts + 1, int(time.time() * 1_000_000))
            return f"{self._last_ts // 1_000_000}.{self._last_ts % 1_000_000:06d}"

    def answer(self, method: str, args: dict) -> dict:
        handler = getattr(self, "_api_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        return handler(args)

    def _api_auth_test(self, args):
        return {"ok": True, "url": "https://em-housing.slack.com/", "team": "EM Housing", "user": "scbot",
                "team_id": "T0REGION", "user_id": BOT_USER, "bot_id": "B0SCBOT"}

    def refused_there(self, channel: str) -> str | None:
        """Slack's error for a post, update or upload in `channel` because of where it is, if any."""
        if channel[:1] in ("D", "U", "W"):
            return None  # the app's direct messages, deactivated people's included
        if channel in self.archived:
            return "is_archived"
        if channel in self.joined:
            return None
        return "channel_not_found" if channel in self.private else "not_in_channel"

    def _post(self, args: dict, ephemeral: bool = False) -> dict:
        channel = args.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not args.get("text") and not args.get("blocks"):
            return {"ok": False, "error": "no_text"}
        if channel[0] in "UW":
            # Posting to a user id lands in the app's direct messages with them.
            channel = "D" + channel[1:]
        if refused := self.refused_there(channel):
            return {"ok": False, "error": refused}
        # A reply may go under any message in the channel, people's as well as the bot's.
        ts = self._next_ts()
        message = {"type": "message", "user": BOT_USER, "ts": ts, "text": args.get("text", ""),
                   "blocks": _json_arg(args.get("blocks")) or [], "thread_ts": args.get("thread_ts")}
        if ephemeral:
            return {"ok": True, "message_ts": ts}
        with self._changed:
            self.messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _api_chat_postMessage(self, args):
        return self._post(args)

    def _api_chat_postEphemeral(self, args):
        return self._post(args, ephemeral=True)

    def _api_chat_update(self, args):
        key = (args.get("channel"), args.get("ts"))
        if key[0] in self.archived:
            return {"ok": False, "error": "is_archived"}
        with self._changed:
            if key not in self.messages:
                return {"ok": False, "error": "message_not_found"}
            self.messages[key].update(text=args.get("text", ""), blocks=_json_arg(args.get("blocks")) or [])
        return {"ok": True, "channel": key[0], "ts": key[1], "text": args.get("text", "")}

    def _api_chat_getPermalink(self, args):
        channel, ts = args.get("channel"), args.get("message_ts", "")
        if not channel or self.refused_there(channel) == "channel_not_found":
            return {"ok": False, "error": "channel_not_found"}  # a private channel the bot is not in
        if (channel, ts) not in self.messages:
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": channel,
                "permalink": f"https://em-housing.slack.com/archives/{channel}/p{ts.replace('.', '')}"}

    def _api_views_open(self, args):
        if not args.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        view = {**_json_arg(args.get("view")), "id": f"V{next(self._ts):08d}"}
        with self._changed:
            self.views[view["id"]] = view
        return {"ok": True, "view": view}

    def _api_conversations_members(self, args):
        if args.get("channel") not in self.channel_members:
            return {"ok": False, "error": "channel_not_found"}
        members = sorted(self.channel_members[args["channel"]])
        start = int(args.get("cursor") or 0)
        limit = int(args.get("limit") or 100)
        page = members[start:start + limit]
        cursor = str(start + limit) if start + limit < len(members) else ""
        return {"ok": True, "members": page, "response_metadata": {"next_cursor": cursor}}

    def _api_users_info(self, args):
        user = args.get("user", "")
        if user not in self.users:
            return {"ok": False, "error": "user_not_found"}
        # A deactivated account is still found, marked deleted (api.slack.com/methods/users.info).
        name = self.users[user]
        return {"ok": True, "user": {"id": user, "name": name, "real_name": name, "deleted": user in self.departed,
                                     "profile": {"display_name": name, "real_name": name}}}

    # Slack's upload flow: ask for an upload URL, send the bytes there, then complete the upload.
    def _api_files_getUploadURLExternal(self, args):
        if not args.get("filename") or not int(args.get("length") or 0):
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._ts):08d}"
        with self._changed:
            self.files[file_id] = {"id": file_id, "name": args["filename"], "length": int(args["length"]),
                                   "content": None, "shared": None}
        return {"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}

    def _receive_upload(self, file_id: str, content: bytes) -> bool:
        with self._changed:
            if file_id not in self.files:
                return False
            self.files[file_id]["content"] = content
            return True

    def _api_files_completeUploadExternal(self, args):
        uploads = _json_arg(args.get("files")) or []
        shared_in = args.get("channel_id") or args.get("channels")
        if shared_in and (refused := self.refused_there(shared_in)):
            return {"ok": False, "error": refused}
        with self._changed:
            if not uploads or any(self.files.get(u.get("id"), {}).get("content") is None for u in uploads):
                return {"ok": False, "error": "file_not_found"}
            done = []
            for upload in uploads:
                stored = self.files[upload["id"]]
                stored.update(title=upload.get("title") or stored["name"],
                              shared={"channel": args.get("channel_id"), "thread_ts": args.get("thread_ts")})
                done.append({"id": stored["id"], "name": stored["name"], "title": stored["title"]})
        channel = args.get("channel_id") or args.get("channels")
        if channel:
            ts = self._next_ts()
            with self._changed:
                self.messages[(channel, ts)] = {
                    "type": "message", "user": BOT_USER, "ts": ts, "thread_ts": args.get("thread_ts"),
                    "text": args.get("initial_comment", ""), "blocks": [], "files": done}
        return {"ok": True, "files": done}

    def _api_files_info(self, args):
        stored = self.files.get(args.get("file", ""))
        if stored is None:
            return {"ok": False, "error": "file_not_found"}
        return {"ok": True, "file": {"id": stored["id"], "name": stored["name"], "title": stored.get("title")}}

    def _api_conversations_open(self, args):
        # The app's direct messages with a user: "D" and the user id's tail, as chat.postMessage maps it.
        users = args.get("users", "")
        if not users or "," in users:
            return {"ok": False, "error": "users_list_not_supplied" if not users else "not_implemented"}
        return {"ok": True, "channel": {"id": "D" + users[1:], "is_im": True, "user": users}}

    def _api_views_publish(self, args):
        user = args.get("user_id", "")
        view = _json_arg(args.get("view")) or {}
        if not user or view.get("type") != "home":
            return {"ok": False, "error": "invalid_arguments"}
        view = {**view, "id": f"V{next(self._ts):08d}"}
        with self._changed:
            self.views[f"home:{user}"] = view  # the Home tab each user sees
        return {"ok": True, "view": view}

    # --- canvases (docs.slack.dev/reference/methods/canvases.edit and its neighbours) -------------------
    def canvases_in(self, channel: str) -> list[dict]:
        """The canvases the channel's members see, not deleted: its own canvas, and those shared with it."""
        with self._changed:
            return [dict(c) for c in self.canvases.values()
                    if not c["deleted"] and (c["channel"] == channel or channel in c["access"])]

    def _make_canvas(self, args: dict, channel: str | None) -> dict:
        document = _json_arg(args.get("document_content")) or {}
        if document and (document.get("type") != "markdown" or not isinstance(document.get("markdown"), str)):
            return {"ok": False, "error": "invalid_arguments"}
        canvas_id = f"F{next(self._ts):08d}"
        with self._changed:
            self.canvases[canvas_id] = {"id": canvas_id, "title": args.get("title") or "Untitled",
                                        "markdown": document.get("markdown", ""), "channel": channel,
                                        "access": {channel: "write"} if channel else {}, "edits": 0,
                                        "deleted": False}
        return {"ok": True, "canvas_id": canvas_id}

    def _live_canvas(self, canvas_id) -> dict | None:
        canvas = self.canvases.get(canvas_id or "")
        return canvas if canvas is not None and not canvas["deleted"] else None

    def _api_conversations_canvases_create(self, args):
        channel = args.get("channel_id", "")
        if not channel:
            return {"ok": False, "error": "invalid_arguments"}
        if self.channel_canvas_refusal:
            return {"ok": False, "error": self.channel_canvas_refusal}
        with self._changed:
            if any(c["channel"] == channel and not c["deleted"] for c in self.canvases.values()):
                return {"ok": False, "error": "channel_canvas_already_exists"}
        return self._make_canvas(args, channel)

    def _api_canvases_create(self, args):
        """A standalone canvas; with channel_id it is also tabbed in that channel."""
        if self.standalone_canvas_refusal:
            return {"ok": False, "error": self.standalone_canvas_refusal}
        return self._make_canvas(args, args.get("channel_id") or None)

    def _api_canvases_edit(self, args):
        changes = _json_arg(args.get("changes"))
        if not isinstance(changes, list) or len(changes) != 1 or not isinstance(changes[0], dict):
            return {"ok": False, "error": "invalid_arguments"}  # only one operation per call is supported
        change = changes[0]
        document = change.get("document_content") or {}
        markdown = document.get("markdown", "") if isinstance(document, dict) else None
        with self._changed:
            canvas = self._live_canvas(args.get("canvas_id"))
            if canvas is None:
                return {"ok": False, "error": "canvas_not_found"}
            operation = change.get("operation")
            if operation == "rename" and isinstance(change.get("title_content"), dict):
                canvas["title"] = change["title_content"].get("markdown", canvas["title"])
            elif not isinstance(markdown, str) or change.get("section_id"):
                return {"ok": False, "error": "invalid_arguments"}  # sections are not kept here
            elif operation == "replace":
                canvas["markdown"] = markdown
            elif operation == "insert_at_start":
                canvas["markdown"] = markdown + canvas["markdown"]
            elif operation == "insert_at_end":
                canvas["markdown"] += markdown
            else:
                return {"ok": False, "error": "invalid_arguments"}
            canvas["edits"] += 1
        return {"ok": True}

    def _api_canvases_delete(self, args):
        with self._changed:
            canvas = self._live_canvas(args.get("canvas_id"))
            if canvas is None:
                return {"ok": False, "error": "canvas_not_found"}
            canvas["deleted"] = True
        return {"ok": True}

    def _api_canvases_access_set(self, args):
        def ids(value) -> list[str]:
            value = _json_arg(value) if isinstance(value, str) and value.startswith("[") else value
            return [v for v in (value.split(",") if isinstance(value, str) else value or []) if v]

        channels, users = ids(args.get("channel_ids")), ids(args.get("user_ids"))
        if bool(channels) == bool(users):
            return {"ok": False, "error": "invalid_parameters"}  # one of them, not both
        if args.get("access_level") not in ("read", "write", "owner"):
            return {"ok": False, "error": "invalid_arguments"}
        with self._changed:
            canvas = self._live_canvas(args.get("canvas_id"))
            if canvas is None:
                return {"ok": False, "error": "canvas_not_found"}
            known = self.joined | self.private | self.archived | {self.team_channel}
            if any(channel not in known for channel in channels):
                return {"ok": False, "error": "channel_not_found"}
            if any(user not in self.users and user not in self.members for user in users):
                return {"ok": False, "error": "user_not_found"}
            canvas["access"].update(dict.fromkeys(channels + users, args["access_level"]))
        return {"ok": True}

    def _handler_class(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep the terminal for the console
                pass

            def _reply(self, status: int, body: dict | str, headers: dict | None = None):
                data = (body if isinstance(body, str) else json.dumps(body)).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the caller gave up (a killed worker): Slack would not mind either

            def _args(self) -> dict:
                url = urlparse(self.path)
                args = {k: v[0] for k, v in parse_qs(url.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                if raw:
                    if "json" in (self.headers.get("Content-Type") or ""):
                        args.update(json.loads(raw))
                    else:
                        args.update({k: v[0] for k, v in parse_qs(raw).items()})
                return args

            def do_GET(self):
                self.do_POST()

            def do_POST(self):
                path = urlparse(self.path).path
                args = {} if path.startswith("/upload/") else self._args()
                if path.startswith("/upload/"):
                    file_id = path.rsplit("/", 1)[-1]
                    length = int(self.headers.get("Content-Length") or 0)
                    stored = standin._receive_upload(file_id, self.rfile.read(length) if length else b"")
                    standin._record("file_upload", {"file_id": file_id})
                    self._reply(200 if stored else 404, "OK" if stored else "not found")
                    return
                if path.startswith("/respond/"):
                    standin._record("response_url", {**args, "key": path.rsplit("/", 1)[-1]})
                    self._reply(200, "ok")
                    return
                if not path.startswith("/api/"):
                    self._reply(404, {"ok": False, "error": "not_found"})
                    return
                method = path.removeprefix("/api/")
                token = (self.headers.get("Authorization") or "").removeprefix("Bearer ") or args.get("token", "")
                with standin._changed:
                    refusal = standin.refusal(method, args)
                standin._record(method, {**args, "_status": refusal.status if refusal else 200})
                standin.hold(method, args)
                if refusal is not None:
                    headers = {"Retry-After": str(refusal.retry_after)} if refusal.status == 429 else {}
                    self._reply(refusal.status, {"ok": False, "error": "ratelimited" if refusal.status == 429
                                                 else "internal_error"}, headers)
                    return
                if not token.startswith(standin.token_prefix):
                    self._reply(200, {"ok": False, "error": "not_authed" if not token else "invalid_auth"})
                    return
                self._reply(200, standin.answer(method, args))

        return Handler


def _json_arg(value):
    """Block and view arguments arrive as JSON text in form posts, as objects in JSON posts."""
    return json.loads(value) if isinstance(value, str) else value
