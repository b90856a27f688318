"""Form submissions for conversations. A mistake is shown beside the field it concerns and nothing is saved."""
import re
from datetime import date

from slack_bolt import Ack, App, BoltContext

from bot.services import Services
from bot.views.forms import notice_modal, stage_skip_modal
from bot.views.ids import FormId
from handlers.conversations import directory_for, may_write
from handlers.permissions import Who, check_conversation, only
from handlers.replies import QUEUE_DOWN, queue_thread
from handlers.shortcuts import read_form_metadata, tell_where
from models.areas import AreaGroup
from models.conversations import (
    Details,
    add_log_entry,
    get_conversation,
    log_from_message,
    set_stage,
    start_conversation,
    update_details,
)
from models.errors import InputError
from models.stages import STAGES, skipped_stages
from models.tables import Conversation
from models.text import LOG_TEXT_MAX, check_text
from models.values import OUT_OF_DATE, whole_number

# A person picked from Slack's user menu.
USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")


def form_values(view: dict) -> dict[str, dict]:
    """{block_id: element state} from a submitted view. Slack sends `state: {}` for a form with no inputs;
    anything not shaped as Slack shapes it is left out, so the form says the field needs filling in."""
    state = view.get("state")
    values = state.get("values") if isinstance(state, dict) else None
    if not isinstance(values, dict):
        return {}
    elements = {block_id: next(iter(block.values()), None) for block_id, block in values.items()
                if isinstance(block, dict)}
    return {block_id: element for block_id, element in elements.items() if isinstance(element, dict)}


def _given(values: dict, block_id: str, key: str = "value") -> str:
    """A field's text as the person gave it (Slack sends inputs as typed, not escaped), empty when not given;
    refused beside the field when it is not text, as Slack never sends it."""
    given = values.get(block_id, {}).get(key)
    if given is not None and not isinstance(given, str):
        raise InputError(OUT_OF_DATE, field=block_id)
    return given or ""


def _option(values: dict, block_id: str) -> str:
    """The value of the option chosen in a select, empty when none."""
    option = values.get(block_id, {}).get("selected_option")
    if option is not None and not isinstance(option, dict):
        raise InputError(OUT_OF_DATE, field=block_id)
    return _given({block_id: option or {}}, block_id)


def _details(values: dict) -> Details:
    meeting = _given(values, "first_meeting", "selected_date")
    lead = _given(values, "lead", "selected_user")
    if not USER_ID.fullmatch(lead):
        raise InputError("Choose who leads the conversation.", field="lead")
    try:
        first_meeting = date.fromisoformat(meeting) if meeting else None
    except ValueError:
        raise InputError("Choose the date of the first meeting from the calendar.", field="first_meeting") from None
    return Details(lead_user_id=lead, contacts=_given(values, "contacts"), first_meeting_on=first_meeting,
                   notes=_given(values, "notes")).checked()


def _chosen_areas(services: Services, state: dict, user: str) -> AreaGroup:
    """The start form's areas: chosen from the list, or typed where the list would be too long (read as
    `/sc` reads them, region first); the message shortcut's form offers one area or HMA. Refused, beside
    the areas, unless `user` is in their region's team."""
    group = _areas_given(services, state, user)
    try:
        may_write(services, user, group)
    except InputError as error:
        raise InputError(str(error), field="areas") from None
    return group


def _areas_given(services: Services, state: dict, user: str) -> AreaGroup:
    directory = services.directory()
    if "value" in state:
        return directory_for(services, user).resolve(_given({"areas": state}, "areas"))
    if "selected_option" in state:
        return directory.chosen([_option({"areas": state}, "areas")])
    chosen = state.get("selected_options") or []
    if not isinstance(chosen, list) or not all(isinstance(option, dict) for option in chosen):
        raise InputError(OUT_OF_DATE, field="areas")
    return directory.chosen([_given({"areas": option}, "areas") for option in chosen])


def register(app: App, services: Services) -> None:
    def writable(session, conversation_id: str, user: str) -> Conversation:
        """The form's conversation, if `user` may write to it."""
        conversation = get_conversation(session, whole_number(conversation_id))
        check_conversation(services, user, conversation)
        return conversation

    def saved(save):
        """A view_submission listener: `save(values, metadata, user)` saves the change and returns its
        conversation's id. The form closes once the change is saved and its thread post queued; if the
        queue is away, the form says the thread will catch up."""
        def listener(ack: Ack, body: dict, view: dict, context: BoltContext) -> None:
            metadata = view.get("private_metadata")
            conversation_id = save(form_values(view), metadata if isinstance(metadata, str) else "", body["user"]["id"])
            context["sc_saved"] = conversation_id  # for a lazy listener that says where the change went
            if queue_thread(services, conversation_id):
                ack()
            else:
                ack(response_action="update", view=notice_modal(f":hourglass: Saved. {QUEUE_DOWN}"))
        return listener

    def start(values: dict, metadata: str, user: str) -> int:
        group = _chosen_areas(services, values.get("areas", {}), user)
        with services.session() as session:
            return start_conversation(session, services.directory(), group, _details(values), user).id

    def log(values: dict, metadata: str, user: str) -> int:
        text = check_text("log entry", _given(values, "text"), LOG_TEXT_MAX)
        with services.session() as session:
            conversation = writable(session, metadata, user)
            return add_log_entry(session, conversation, user, text).conversation_id

    def from_message(values: dict, metadata: str, user: str) -> int:
        source, _ = read_form_metadata(metadata)
        try:
            text = check_text("log entry", _given(values, "text"), LOG_TEXT_MAX)
        except InputError as error:
            raise InputError(str(error), field="text") from None  # beside the text, not the first field
        group = _chosen_areas(services, values.get("areas", {}), user)
        with services.session() as session:
            return log_from_message(session, group, user, text, source)[0]

    def stage(values: dict, metadata: str, user: str) -> int:
        # "<id>:<stage shown>[:<stage chosen>]": a form left open while someone moved the stage on changes
        # nothing; the third part is a skip the person has confirmed.
        conversation_id, _, shown = metadata.partition(":")
        shown, _, confirmed = shown.partition(":")
        with services.session() as session:
            conversation = writable(session, conversation_id, user)
            chosen = confirmed or _option(values, "stage")
            return set_stage(session, conversation, chosen, user, seen_at=shown).conversation_id

    def stage_or_ask(ack: Ack, body: dict, view: dict, context: BoltContext) -> None:
        """Moving on past other stages is confirmed first, as `/sc stage` asks with a button."""
        conversation_id, _, shown = str(view.get("private_metadata") or "").partition(":")
        chosen = _option(form_values(view), "stage")
        with services.session() as session:
            conversation = writable(session, conversation_id, body["user"]["id"])
        if chosen in STAGES and shown == conversation.stage and skipped_stages(shown, chosen):
            ack(response_action="update", view=stage_skip_modal(conversation, chosen))
            return
        saved(stage)(ack, body, view, context)

    def edit(values: dict, metadata: str, user: str) -> int:
        with services.session() as session:
            conversation = writable(session, metadata, user)
            return update_details(session, conversation, _details(values), user).conversation_id

    team_only = [only(services, Who.TEAM)]
    for form, save in ((FormId.START, start), (FormId.LOG, log), (FormId.STAGE_SKIP, stage), (FormId.EDIT, edit)):
        app.view(form, middleware=team_only)(saved(save))
    app.view(FormId.STAGE, middleware=team_only)(stage_or_ask)
    # Saved in the request's own thread, so the person is told where it went only once it is saved.
    app.view(FormId.LOG_MESSAGE, middleware=[*team_only, app.listener_runner.listener_executor.in_request_thread])(
        ack=saved(from_message), lazy=[tell_where(services)])
