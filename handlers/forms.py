"""Form submissions for conversations. A mistake is shown beside the field it concerns and nothing is saved."""
from datetime import date

from slack_bolt import Ack, App

from bot.services import Services
from bot.views.forms import notice_modal
from bot.views.ids import FormId
from handlers.permissions import Who, only
from handlers.replies import QUEUE_DOWN, queue_thread
from models.areas import AreaGroup
from models.conversations import (
    Details,
    add_log_entry,
    get_conversation,
    set_stage,
    start_conversation,
    update_details,
)
from models.errors import InputError
from models.text import LOG_TEXT_MAX, check_text
from models.values import whole_number


def form_values(view: dict) -> dict[str, dict]:
    """{block_id: element state} from a submitted view (Slack sends `state: {}` for a form with no inputs)."""
    values = (view.get("state") or {}).get("values") or {}
    return {block_id: next(iter(elements.values()), {}) for block_id, elements in values.items()
            if isinstance(elements, dict)}


def _details(values: dict) -> Details:
    meeting = values.get("first_meeting", {}).get("selected_date")
    lead = values.get("lead", {}).get("selected_user")
    if not lead:
        raise InputError("Choose who leads the conversation.", field="lead")
    try:
        first_meeting = date.fromisoformat(meeting) if meeting else None
    except ValueError:
        raise InputError("Choose the date of the first meeting from the calendar.", field="first_meeting") from None
    return Details(lead_user_id=lead, contacts=values.get("contacts", {}).get("value") or "",
                   first_meeting_on=first_meeting, notes=values.get("notes", {}).get("value") or "").checked()


def _chosen_areas(services: Services, state: dict) -> AreaGroup:
    """The start form's areas: chosen from the list, or typed where the list would be too long."""
    directory = services.directory()
    if "value" in state:
        return directory.resolve(state["value"] or "")
    return directory.chosen([option["value"] for option in state.get("selected_options") or []])


def register(app: App, services: Services) -> None:
    def saved(save):
        """A view_submission listener: `save(values, metadata, user)` saves the change and returns its
        conversation's id. The form closes once the change is saved and its thread post queued; if the
        queue is away, the form says the thread will catch up."""
        def listener(ack: Ack, body: dict, view: dict) -> None:
            conversation_id = save(form_values(view), view.get("private_metadata", ""), body["user"]["id"])
            if queue_thread(services, conversation_id):
                ack()
            else:
                ack(response_action="update", view=notice_modal(f":hourglass: Saved. {QUEUE_DOWN}"))
        return listener

    def start(values: dict, metadata: str, user: str) -> int:
        group = _chosen_areas(services, values.get("areas", {}))
        with services.session() as session:
            return start_conversation(session, services.directory(), group, _details(values), user).id

    def log(values: dict, metadata: str, user: str) -> int:
        text = check_text("log entry", values.get("text", {}).get("value") or "", LOG_TEXT_MAX)
        with services.session() as session:
            return add_log_entry(session, get_conversation(session, whole_number(metadata)), user, text).conversation_id

    def stage(values: dict, metadata: str, user: str) -> int:
        chosen = (values.get("stage", {}).get("selected_option") or {}).get("value", "")
        with services.session() as session:
            return set_stage(session, get_conversation(session, whole_number(metadata)), chosen, user).conversation_id

    def edit(values: dict, metadata: str, user: str) -> int:
        with services.session() as session:
            conversation = get_conversation(session, whole_number(metadata))
            return update_details(session, conversation, _details(values), user).conversation_id

    team_only = [only(services, Who.TEAM)]
    for form, save in ((FormId.START, start), (FormId.LOG, log), (FormId.STAGE, stage), (FormId.EDIT, edit)):
        app.view(form, middleware=team_only)(saved(save))
