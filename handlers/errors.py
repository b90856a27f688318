"""The one error handler: every refusal, service outage or fault becomes an answer to the person.

Rules raise InputError (what was wrong and what would work) and ServiceDown (a
service is not answering); anything else is a fault on our side, logged with
its traceback. The answer goes where the person will see it: the slash
command's reply, beside the form's field, or a reply to the button.
"""
import json
import logging

from slack_bolt import App, BoltResponse, Respond
from slack_sdk import WebClient

from bot.views.blocks import escape, message
from bot.views.forms import notice_modal
from bot.views.mentions import MENTION_HELP
from handlers.replies import ephemeral, tell
from models.errors import InputError, Refused, ServiceDown
from models.text import NUL_REFUSED, nul_at

log = logging.getLogger("scbot")
FAULT = ("Something went wrong on my side and I could not finish that. Please try again; if it happens "
         "again, tell whoever runs the bot (the details are in its log).")


def sentence(error: Exception) -> str:
    """What the person reads, as plain text; a fault is logged with its traceback."""
    if isinstance(error, InputError):
        return str(error)
    if isinstance(error, ServiceDown):
        # The operator's clue, on one line: the cause's first line (a database's detail can run on).
        cause = str(error.__cause__ or "").strip().splitlines()[:1]
        log.warning("%s: %r", error, cause[0] if cause else "")
        return f"{error} right now, so nothing was changed. Please try again in a minute."
    log.error("unexpected fault", exc_info=error)
    return FAULT


def said(error: Exception) -> str:
    """The same in mrkdwn, with its icon and, for a refusal that points somewhere, the link."""
    icon = ("" if isinstance(error, Refused) else ":warning: " if isinstance(error, InputError)
            else ":construction: " if isinstance(error, ServiceDown) else ":boom: ")
    link = getattr(error, "link", "")
    return f"{icon}{escape(sentence(error))}" + (f" <{link}|See it here.>" if link else "")


def problem(error: Exception) -> dict:
    """An ephemeral reply explaining `error`."""
    return ephemeral(message(said(error)))


def answer(error: Exception, body: dict, response: BoltResponse | None, respond: Respond | None,
           client: WebClient) -> BoltResponse | None:
    """Bolt's global error handler. `response` is None once the request was acknowledged."""
    kind = body.get("type")
    if kind == "view_submission":
        view = body.get("view") or {}
        fields = [b.get("block_id") for b in view.get("blocks", []) if b.get("type") == "input"]
        if not fields:  # a form that only asks to confirm has no field to show the answer beside
            return _json({"response_action": "update", "view": notice_modal(said(error))})
        wanted = getattr(error, "field", "")
        field = wanted if wanted in fields else fields[0]
        return _json({"response_action": "errors", "errors": {field: sentence(error)[:2000]}})
    if kind == "event_callback":
        event = body.get("event") or {}
        if isinstance(error, ServiceDown) and response is not None:
            sentence(error)
            return BoltResponse(status=503, body="")  # not yet taken: Slack delivers it again later
        if isinstance(error, (InputError, ServiceDown)) and event.get("type") == "app_mention":
            client.chat_postMessage(channel=event["channel"], thread_ts=event.get("thread_ts") or event.get("ts"),
                                    text=f"{said(error)}\n{MENTION_HELP}")
        else:
            sentence(error)  # nobody to answer: at least log a fault
        # A refused event is taken (retrying would not help); a fault gets 500, so Slack tries it again.
        return BoltResponse(status=200, body="") if response is not None and isinstance(error, InputError) else None
    reply = problem(error)
    if body.get("command") and response is not None:
        return _json(reply)  # the slash command's own acknowledgement
    if kind == "block_actions":
        tell(body, respond, client, reply)
    elif respond is not None:
        respond(reply)
    return None if response is None else BoltResponse(status=200, body="")


def _json(body: dict) -> BoltResponse:
    return BoltResponse(status=200, body=json.dumps(body), headers={"content-type": "application/json"})


def refuse_nul(body: dict, next) -> None:
    """Global middleware: text holding a NUL character is refused before any listener reads it or stores it.
    On a form, the refusal shows beside the field that holds it."""
    where = nul_at(body)
    if where is not None:
        field = where[3] if where[:3] == ("view", "state", "values") and len(where) > 3 else ""
        raise InputError(NUL_REFUSED, field=field)
    next()


def register(app: App) -> None:
    app.error(answer)
    app.middleware(refuse_nul)  # the first global middleware: before an event is claimed
