"""How listeners answer: replies only the person sees, answers to buttons, and the thread's catch-up note."""
from slack_bolt import Respond
from slack_sdk import WebClient

from bot.services import Services
from bot.views.forms import notice_modal
from jobs.threads import enqueue_sync, region_channel
from models.errors import ServiceDown
from models.tables import Conversation


def ephemeral(body: dict) -> dict:
    return {"response_type": "ephemeral", **body}


QUEUE_DOWN = ("The job queue (Redis) is not answering, so the conversation's thread will catch up when it is "
              "back. Nothing is lost.")


def queue_thread(services: Services, conversation_id: int) -> bool:
    """Queue the thread's update; False if Redis is away (the worker catches up when it is back)."""
    try:
        enqueue_sync(services, conversation_id)
    except ServiceDown:
        return False
    return True


def thread_note(services: Services, conversation_id: int, region: str = "", channel: str = "") -> str:
    """Queue the thread's update, and say where it will show: the channel of the conversation's card (`channel`),
    or before it is posted the team channel of its `region`; or that the thread will catch up."""
    if not queue_thread(services, conversation_id):
        return f"\n:hourglass: {QUEUE_DOWN}"
    channel = channel or region_channel(services, region)
    return f" It will show in the conversation's thread in <#{channel}>." if channel else ""


def conversation_note(services: Services, conversation: Conversation) -> str:
    """`thread_note` for a conversation at hand."""
    return thread_note(services, conversation.id, conversation.region, conversation.channel_id)


def tell(body: dict, respond: Respond | None, client: WebClient, reply: dict) -> None:
    """Answer a button press without touching its message: by response_url, or, on the
    Home tab (which has none), in a small modal."""
    if body.get("response_url") and respond is not None:
        respond({**reply, "replace_original": False})
    else:
        client.views_open(trigger_id=body["trigger_id"], view=notice_modal(reply["text"]))
