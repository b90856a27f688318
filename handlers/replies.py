"""How listeners answer: replies only the person sees, answers to buttons, and the thread's catch-up note."""
from slack_bolt import Respond
from slack_sdk import WebClient

from bot.services import Services
from bot.views.forms import notice_modal
from jobs.threads import enqueue_sync
from models.errors import ServiceDown


def ephemeral(body: dict) -> dict:
    return {"response_type": "ephemeral", **body}


def thread_note(services: Services, conversation_id: int, job_key: str) -> str:
    """Queue the thread's update; if Redis is away, say the thread will catch up."""
    try:
        enqueue_sync(services, conversation_id, job_key)
    except ServiceDown:
        return ("\n:hourglass: The job queue (Redis) is not answering, so the team channel's thread "
                "will catch up when it is back. Nothing is lost.")
    channel = services.settings.sc_team_channel
    return f" It will show in the conversation's thread in <#{channel}>." if channel else ""


def tell(body: dict, respond: Respond | None, client: WebClient, reply: dict) -> None:
    """Answer a button press without touching its message: by response_url, or, on the
    Home tab (which has none), in a small modal."""
    if body.get("response_url") and respond is not None:
        respond({**reply, "replace_original": False})
    else:
        client.views_open(trigger_id=body["trigger_id"], view=notice_modal(reply["text"]))
