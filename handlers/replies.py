"""How listeners answer when a request can't be carried out."""
from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.services import Services
from bot.views.blocks import escape, message
from bot.views.forms import notice_modal
from jobs.threads import enqueue_sync
from models.errors import InputError, ServiceDown

NOT_TEAM = escape("Only the regional team can change Single Conversations: members of the team channel "
            "or staff listed in the bot's settings. You can still read them: try `/sc show <area>`.")


def ephemeral(body: dict) -> dict:
    return {"response_type": "ephemeral", **body}


def problem(error: Exception) -> dict:
    """The user-facing answer to a rule's refusal or a service being down."""
    if isinstance(error, InputError):
        link = getattr(error, "link", "")
        return ephemeral(message(":warning: " + escape(str(error)) + (f" <{link}|See it here.>" if link else "")))
    if isinstance(error, ServiceDown):
        return ephemeral(message(
            f":construction: {escape(str(error))} right now, so nothing was changed. "
            "Please try again in a minute."))
    raise error


def thread_note(services: Services, conversation_id: int, job_key: str) -> str:
    """Queue the thread's update; if Redis is away, say the thread will catch up."""
    try:
        enqueue_sync(services, conversation_id, job_key)
    except ServiceDown:
        return ("\n:hourglass: The job queue (Redis) is not answering, so the team channel's thread "
                "will catch up when it is back. Nothing is lost.")
    channel = services.settings.sc_team_channel
    return f" It will show in the conversation's thread in <#{channel}>." if channel else ""


def team_button(services: Services, press):
    """A button listener for the team only.

    It acknowledges at once, refuses anyone outside the team, and explains a
    mistake or a service being down in a reply that leaves the message as it
    was. `press(body, action, respond, client, user)` does the work.
    """
    def listener(ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient) -> None:
        ack()
        user = body["user"]["id"]
        try:
            if not services.is_team_member(user):
                tell(body, respond, client, ephemeral(message(NOT_TEAM)))
                return
            press(body, action, respond, client, user)
        except (InputError, ServiceDown) as error:
            tell(body, respond, client, problem(error))
    return listener


def tell(body: dict, respond: Respond, client: WebClient, reply: dict) -> None:
    """Answer a button press without touching its message: by response_url, or, on the
    Home tab (which has none), in a small modal."""
    if body.get("response_url"):
        respond({**reply, "replace_original": False})
    else:
        client.views_open(trigger_id=body["trigger_id"], view=notice_modal(reply["text"]))
