"""Form submissions. A mistake is shown beside the field it concerns and nothing is saved."""
from datetime import date

from slack_bolt import Ack, App

from bot.services import Services
from handlers.replies import NOT_TEAM, thread_note
from models.areas import AreaGroup
from models.conversations import (
    Details,
    add_log_entry,
    get_conversation,
    set_stage,
    start_conversation,
    update_details,
)
from models.errors import InputError, ServiceDown
from models.text import LOG_TEXT_MAX, check_text


def _values(view: dict) -> dict[str, dict]:
    """{block_id: element state} from a submitted view."""
    return {block_id: next(iter(elements.values())) for block_id, elements in view["state"]["values"].items()}


def _details(values: dict) -> Details:
    meeting = values.get("first_meeting", {}).get("selected_date")
    return Details(
        lead_user_id=values["lead"]["selected_user"],
        contacts=values.get("contacts", {}).get("value") or "",
        first_meeting_on=date.fromisoformat(meeting) if meeting else None,
        notes=values.get("notes", {}).get("value") or "",
    ).checked()


def _chosen_areas(services: Services, state: dict) -> AreaGroup:
    """The start form's areas: one HMA, or one or more areas (or a typed name on a long list)."""
    directory = services.directory()
    if "value" in state:
        return directory.resolve(state["value"] or "")
    chosen = [option["value"] for option in state.get("selected_options") or []]
    hmas = [value.removeprefix("hma:") for value in chosen if value.startswith("hma:")]
    codes = [value.removeprefix("area:") for value in chosen if value.startswith("area:")]
    if hmas and (codes or len(hmas) > 1):
        raise InputError("Choose one HMA, or one or more areas, not both.")
    if hmas:
        return directory.hma_group(hmas[0])
    if not codes:
        raise InputError("Choose at least one area or an HMA.")
    if len(codes) == 1:
        return directory.area_group(codes[0])
    names = sorted(directory.by_code[code].name for code in codes)
    return AreaGroup(", ".join(names), "areas", tuple(codes))


def register(app: App, services: Services) -> None:
    def submitted(field: str):
        """A view_submission listener: saves, or shows what was wrong beside `field`."""
        def decorator(save):
            def listener(ack: Ack, body: dict, view: dict) -> None:
                user = body["user"]["id"]
                try:
                    if not services.is_team_member(user):
                        raise InputError(NOT_TEAM)
                    conversation_id, key = save(_values(view), view["private_metadata"], user)
                except (InputError, ServiceDown) as error:
                    ack(response_action="errors", errors={field: str(error)[:2000]})
                    return
                ack()
                thread_note(services, conversation_id, key)
            return listener
        return decorator

    @submitted("areas")
    def start(values: dict, metadata: str, user: str):
        group = _chosen_areas(services, values["areas"])
        with services.session() as session:
            conversation = start_conversation(session, services.directory(), group, _details(values), user)
        return conversation.id, "start"

    @submitted("text")
    def log(values: dict, metadata: str, user: str):
        text = check_text("log entry", values["text"].get("value") or "", LOG_TEXT_MAX)
        with services.session() as session:
            entry = add_log_entry(session, get_conversation(session, int(metadata)), user, text)
        return entry.conversation_id, f"entry-{entry.id}"

    @submitted("stage")
    def stage(values: dict, metadata: str, user: str):
        chosen = values["stage"]["selected_option"]["value"]
        with services.session() as session:
            entry = set_stage(session, get_conversation(session, int(metadata)), chosen, user)
        return entry.conversation_id, f"entry-{entry.id}"

    @submitted("notes")
    def edit(values: dict, metadata: str, user: str):
        with services.session() as session:
            entry = update_details(session, get_conversation(session, int(metadata)), _details(values), user)
        return entry.conversation_id, f"entry-{entry.id}"

    app.view("start_conversation")(start)
    app.view("log_entry")(log)
    app.view("set_stage")(stage)
    app.view("edit_details")(edit)
