"""What the bot sent to Slack, shown in the terminal as it would appear there.

Each call the stand-in recorded becomes a section: a message in a channel or
thread, an ephemeral reply, the Home tab, uploaded files (saved to open). The
buttons shown are numbered, so that the person can press them by number.
"""
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from slack_bolt import BoltResponse

from bot.offline.render import GUTTER, Renderer
from bot.offline.standin import SlackStandIn

INTERNAL_CALLS = {"auth.test", "conversations.members", "chat.getPermalink", "users.info", "conversations.open",
                  "files.getUploadURLExternal", "file_upload", "files.info"}
HOME = "home"  # where a button on the App Home tab is, in place of a channel


@dataclass
class Button:
    element: dict
    block_id: str
    channel: str
    ts: str
    reply_key: str  # the response URL key of the ephemeral reply it is in; "" in a channel message


class Screen:
    def __init__(self, say: Callable[..., None], standin: SlackStandIn, renderer: Renderer, files_folder: Path,
                 open_form: Callable[[dict], None]):
        self.say = say
        self.standin = standin
        self.renderer = renderer
        self.files_folder = files_folder
        self.open_form = open_form  # a modal the bot opened, to fill in
        self.shown = 0  # how many of the stand-in's calls have been shown
        self.buttons: list[Button] = []  # the latest output's, numbered from 1
        self.batch: list[Button] = []  # those of the output being shown
        self.pressed: dict[str, tuple[str, str]] = {}  # response URL key -> (channel, ts) of the message pressed

    @contextmanager
    def output(self) -> Iterator[None]:
        """What is shown inside is one output: its buttons, if it has any, become the latest."""
        self.batch = []
        yield
        if self.batch:
            self.buttons = self.batch

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
                what = "card" if self.renderer.title(message).startswith("Single Conversation") else "message"
                self.show_message(f"{self.renderer.channel_name(args['channel'])}: {what} updated",
                                  message, args["channel"], args["ts"])
            elif call.method == "views.open":
                self.open_form(decoded(args)["view"])
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
        if body.get("replace_original") and key in self.pressed:  # a message in a channel or DM, redrawn
            channel, ts = self.pressed[key]
            self.show_message(f"{self.renderer.channel_name(channel)}: message updated", body, channel, ts)
            return
        if body.get("response_type") == "in_channel":  # a command's answer shared with the channel
            heading = f"{self.renderer.channel_name(self.renderer.here)}: new message, for everyone"
        else:
            heading = "(only you can see this" + (": your earlier reply, updated)" if body.get("replace_original")
                                                  else ")")
        self.show_message(heading, body, self.renderer.here, f"{time.time():.6f}", key)

    def show_post(self, args: dict) -> None:
        channel, thread = landing(args["channel"]), args.get("thread_ts")
        message = decoded(args)
        where = self.renderer.channel_name(channel)
        heading = f"{where}, in the thread of “{self.title_of(channel, thread)}”" if thread else f"{where}: new message"
        self.show_message(heading, message, channel, self.posted_ts(channel, message))

    def show_files(self, args: dict) -> None:
        """Files the bot uploaded: shown where they went, and saved in the data folder to open."""
        folder = self.files_folder
        folder.mkdir(parents=True, exist_ok=True)
        channel, thread = args.get("channel_id") or args.get("channels", ""), args.get("thread_ts")
        where = self.renderer.channel_name(channel) if channel else "(not shared)"
        heading = f"{where}, in the thread of “{self.title_of(channel, thread)}”" if thread else where
        self.say()
        self.say(f"  {heading}: files")
        if args.get("initial_comment"):
            self.say(GUTTER + self.renderer.clean(args["initial_comment"]))
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
        return self.renderer.title(self.standin.messages.get((channel, ts), {}))

    def show_message(self, heading: str, message: dict, channel: str, ts: str, reply_key: str = "") -> None:
        def label(element: dict, block_id: str) -> str:
            self.batch.append(Button(element, block_id, channel, ts, reply_key))
            return f"[{len(self.batch)}] {element['text']['text']}"

        self.say()
        self.say(f"  {heading}")
        for line in self.renderer.lines(message, label):
            self.say((GUTTER + line).rstrip())


def landing(channel: str) -> str:
    """Where a post lands: one to a user id goes to the app's direct messages with them, as in Slack."""
    return "D" + channel[1:] if channel[:1] in ("U", "W") else channel


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
