"""Requests shaped exactly as Slack sends them, signed with the signing secret.

The console uses these to put each typed line through the real Bolt app; the
tests use them to drive the HTTP endpoint. Shapes follow Slack's documentation
for slash commands, interactivity payloads and the Events API.
"""
import hashlib
import hmac
import itertools
import json
import re
import time
import uuid
from urllib.parse import urlencode

TEAM = {"id": "T0REGION", "domain": "em-housing"}
APP_ID = "A0SCBOT"
_sequence = itertools.count(1)


def sign(body: str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack adds: a timestamp and the v0 HMAC-SHA256 signature of the body."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    basestring = f"v0:{timestamp}:{body}".encode()
    digest = hmac.new(secret.encode(), basestring, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


def trigger_id() -> str:
    return f"{next(_sequence)}.{int(time.time())}.standin"


# What Slack writes as markup in a command's text: a person or a channel picked from its menus.
_PICKED = re.compile(r"(<(?:@[UW]|#[CG])[A-Z0-9]+(?:\|[^<>]*)?>)")


def as_slack_sends(typed: str) -> str:
    """A command's text as Slack sends it: `&`, `<` and `>` typed become `&amp;`, `&lt;` and `&gt;`; people
    and channels picked from the menus (written here as `<@U123|name>`, `<#C123|name>`) stay markup."""
    return "".join(part if odd else part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                   for odd, part in ((i % 2 == 1, p) for i, p in enumerate(_PICKED.split(typed))))


def slash_command(text: str, user_id: str, user_name: str, channel_id: str, response_url: str,
                  command: str = "/sc") -> tuple[str, str]:
    """(body, content type) of a slash command invocation; `text` as the person typed it."""
    form = {
        "token": "verification-token-unused", "team_id": TEAM["id"], "team_domain": TEAM["domain"],
        "channel_id": channel_id, "channel_name": "single-conversations", "user_id": user_id,
        "user_name": user_name, "command": command, "text": as_slack_sends(text), "api_app_id": APP_ID,
        "is_enterprise_install": "false", "response_url": response_url, "trigger_id": trigger_id(),
    }
    return urlencode(form), "application/x-www-form-urlencoded"


def _user(user_id: str, user_name: str) -> dict:
    return {"id": user_id, "username": user_name, "name": user_name, "team_id": TEAM["id"]}


def _interactive(payload: dict) -> tuple[str, str]:
    return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"


def block_action(action: dict, user_id: str, user_name: str, channel_id: str, message_ts: str,
                 response_url: str, message: dict | None = None) -> tuple[str, str]:
    """A button press; `action` is the button element as the app sent it, with its block_id."""
    payload = {
        "type": "block_actions", "user": _user(user_id, user_name), "api_app_id": APP_ID,
        "token": "verification-token-unused",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel_id,
                      "is_ephemeral": message is None},
        "trigger_id": trigger_id(), "team": TEAM, "enterprise": None, "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "single-conversations"},
        "state": {"values": {}}, "response_url": response_url,
        "actions": [{
            "action_id": action["action_id"], "block_id": action.get("block_id", "b"),
            "text": action.get("text", {"type": "plain_text", "text": ""}), "value": action.get("value", ""),
            "type": action.get("type", "button"), "action_ts": f"{time.time():.6f}",
        }],
    }
    if message is not None:
        payload["message"] = message
    return _interactive(payload)


def home_action(action: dict, user_id: str, user_name: str, view_id: str = "V0HOME") -> tuple[str, str]:
    """A button pressed on the App Home tab: no channel and no response_url, as Slack sends it."""
    payload = {
        "type": "block_actions", "user": _user(user_id, user_name), "api_app_id": APP_ID,
        "token": "verification-token-unused", "container": {"type": "view", "view_id": view_id},
        "trigger_id": trigger_id(), "team": TEAM, "enterprise": None, "is_enterprise_install": False,
        "view": {"id": view_id, "type": "home", "team_id": TEAM["id"], "app_id": APP_ID},
        "actions": [{
            "action_id": action["action_id"], "block_id": action.get("block_id", "b"),
            "text": action.get("text", {"type": "plain_text", "text": ""}), "value": action.get("value", ""),
            "type": action.get("type", "button"), "action_ts": f"{time.time():.6f}",
        }],
    }
    return _interactive(payload)


def message_shortcut(callback_id: str, message: dict, channel_id: str, user_id: str, user_name: str,
                     response_url: str) -> tuple[str, str]:
    """A message shortcut used on `message` (as Slack holds it: its text written in Slack's markup) in
    `channel_id`: api.slack.com/reference/interaction-payloads/shortcuts."""
    payload = {
        "type": "message_action", "token": "verification-token-unused", "action_ts": f"{time.time():.6f}",
        "team": TEAM, "user": _user(user_id, user_name), "api_app_id": APP_ID,
        "channel": {"id": channel_id, "name": "notes"}, "is_enterprise_install": False, "enterprise": None,
        "callback_id": callback_id, "trigger_id": trigger_id(), "response_url": response_url,
        "message_ts": message["ts"], "message": message,
    }
    return _interactive(payload)


def view_submission(view: dict, values: dict, user_id: str, user_name: str) -> tuple[str, str]:
    """A modal submitted with `values`: {block_id: {action_id: element state}}."""
    submitted = {**view, "id": view.get("id", "V0STANDIN"), "team_id": TEAM["id"],
                 "state": {"values": values}, "hash": f"{time.time():.6f}", "app_id": APP_ID}
    payload = {
        "type": "view_submission", "team": TEAM, "user": _user(user_id, user_name), "api_app_id": APP_ID,
        "token": "verification-token-unused", "trigger_id": trigger_id(), "view": submitted,
        "response_urls": [], "is_enterprise_install": False, "enterprise": None,
    }
    return _interactive(payload)


def event_callback(event: dict, event_id: str | None = None) -> tuple[str, str]:
    """An Events API delivery wrapping `event`."""
    body = {
        "token": "verification-token-unused", "team_id": TEAM["id"], "api_app_id": APP_ID,
        "event": event, "type": "event_callback",
        # Slack's event ids are unique across restarts; the bot keeps those it has taken.
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:12].upper()}", "event_time": int(time.time()),
        "authorizations": [{"enterprise_id": None, "team_id": TEAM["id"], "user_id": "U0SCBOT",
                            "is_bot": True, "is_enterprise_install": False}],
        "is_ext_shared_channel": False,
    }
    return json.dumps(body), "application/json"
