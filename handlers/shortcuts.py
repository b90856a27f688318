"""The "Log to Single Conversation" message shortcut: on any message, a form to log it in a conversation's thread.

The shortcut is acknowledged at once; afterwards the message's link is asked of Slack and the form opened with
the shortcut's trigger id. The form is saved in handlers/forms.py, which then calls `tell_where`.
"""
import json
import logging
import re

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.services import Services
from bot.views.conversation import message_logged
from bot.views.forms import message_log_modal
from bot.views.ids import ShortcutId
from handlers.conversations import region_offered
from handlers.errors import problem
from handlers.permissions import Who, only
from jobs.threads import region_channel
from models.conversations import SourceMessage, get_conversation
from models.errors import InputError
from models.slack_text import read_sent_text
from models.values import OUT_OF_DATE

log = logging.getLogger("scbot")

CHANNEL = re.compile(r"[CDG][A-Z0-9]{2,20}")
TS = re.compile(r"\d{1,12}\.\d{1,9}")
PERSON = re.compile(r"[UW][A-Z0-9]{2,20}")
# chat.getPermalink's answer for a private channel or direct message the bot is not in: no link, but the
# person can still log the message.
UNSEEN = ("channel_not_found", "message_not_found")


def read_message(body: dict) -> tuple[SourceMessage, str, str, list[str]]:
    """The shortcut's message: where it is, its author ("" for an app), its text as written (Slack's escaping
    undone, once, here) and the names of any files it shares."""
    message, channel = body.get("message"), body.get("channel")
    if not isinstance(message, dict) or not isinstance(channel, dict):
        raise InputError(OUT_OF_DATE)
    source = SourceMessage(channel.get("id"), message.get("ts"))
    if not (isinstance(source.channel, str) and CHANNEL.fullmatch(source.channel)
            and isinstance(source.ts, str) and TS.fullmatch(source.ts)):
        raise InputError(OUT_OF_DATE)
    author = message.get("user")
    text = message.get("text")
    files = message.get("files")
    return (source, author if isinstance(author, str) and PERSON.fullmatch(author) else "",
            read_sent_text(text).strip() if isinstance(text, str) else "",
            [f["name"] for f in files if isinstance(f, dict) and isinstance(f.get("name"), str)]
            if isinstance(files, list) else [])


def permalink(client: WebClient, source: SourceMessage) -> str:
    """The message's link, "" where Slack gives none."""
    try:
        return client.chat_getPermalink(channel=source.channel, message_ts=source.ts)["permalink"]
    except SlackApiError as error:
        if error.response.get("error") in UNSEEN:
            return ""
        raise


def form_metadata(source: SourceMessage, reply_url: str) -> str:
    """What the form carries back: the message, and where to tell the person once it is logged."""
    return json.dumps({"channel": source.channel, "ts": source.ts, "url": source.url, "reply": reply_url})


def read_form_metadata(metadata: object) -> tuple[SourceMessage, str]:
    """The message and the reply address a form carries; a form not shaped as this bot writes it is refused."""
    try:
        carried = json.loads(metadata) if isinstance(metadata, str) else None
    except ValueError:
        carried = None
    if not isinstance(carried, dict) or not all(isinstance(carried.get(key), str)
                                                for key in ("channel", "ts", "url", "reply")):
        raise InputError(OUT_OF_DATE)
    source = SourceMessage(carried["channel"], carried["ts"], carried["url"])
    if not (CHANNEL.fullmatch(source.channel) and TS.fullmatch(source.ts)
            and (not source.url or source.url.startswith("https://"))
            and (not carried["reply"] or carried["reply"].startswith(("https://", "http://")))):
        raise InputError(OUT_OF_DATE)
    return source, carried["reply"]


def tell_where(services: Services):
    """A lazy listener for the shortcut's form: once its note is saved (`sc_saved` in the context, set in the
    acknowledgement), the person is told where it went, in the message's channel. The shortcut's response_url
    reaches channels and direct messages the bot is not in (for 30 minutes, as Slack keeps it)."""
    def told(view: dict, context: BoltContext) -> None:
        _, reply_url = read_form_metadata(view.get("private_metadata"))
        if "sc_saved" not in context or not reply_url:
            return  # refused (the form said why), or Slack gave no address to answer at
        with services.session() as session:
            conversation = get_conversation(session, context["sc_saved"])
        said = message_logged(conversation.title, conversation.card_url,
                              region_channel(services, conversation.region))
        answer = WebhookClient(reply_url).send_dict({"response_type": "ephemeral", **said})
        if answer.status_code != 200:
            log.warning("could not tell where a message was logged: response_url answered %s", answer.status_code)
    return told


def register(app: App, services: Services) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()  # the form follows; nothing here waits on Slack

    def open_form(body: dict, client: WebClient, respond: Respond) -> None:
        try:
            source, author, text, files = read_message(body)
            source = SourceMessage(source.channel, source.ts, permalink(client, source))
            reply_url = body.get("response_url") if isinstance(body.get("response_url"), str) else ""
            # The areas of the region the message is in (its team channel's), or the person's own: region_offered.
            region = region_offered(services, body["user"]["id"], source.channel)
            client.views_open(trigger_id=body["trigger_id"], view=message_log_modal(
                services.directory().within(region), text, source, author, source.written_at, files,
                form_metadata(source, reply_url)))
        except Exception as error:  # noqa: BLE001 - the one place this lazy listener's failure is answered
            respond(problem(error))

    app.message_shortcut(ShortcutId.LOG_MESSAGE, middleware=[only(services, Who.TEAM)])(
        ack=acknowledge, lazy=[open_form])
