"""Buttons on conversations: those on a card open its forms; Done closes an action."""
from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.services import Services
from bot.views import blocks, forms
from bot.views.ids import ActionId
from handlers.conversations import actions_list, conversation_card, moved_on
from handlers.permissions import Who, channel_of, check_conversation, only
from handlers.replies import conversation_note
from models.conversations import (
    complete_action,
    conversation_of_action,
    get_conversation,
    set_stage,
)
from models.stages import STAGES
from models.values import one_of, whole_number

FORMS = {ActionId.CARD_LOG: forms.log_modal, ActionId.CARD_STAGE: forms.stage_modal,
         ActionId.CARD_EDIT: forms.edit_modal}


def done_value(value: object) -> tuple[int, int | str]:
    """Done's value, "<action id>:<the list it is in>" (a conversation's card "c<id>", "mine" or "all"), so
    Done can draw that list again: the action's id, and the conversation's id or the list's name."""
    action_id, _, redraw = value.partition(":") if isinstance(value, str) else ("", "", "")
    return whole_number(action_id), (whole_number(redraw[1:]) if redraw.startswith("c")
                                     else one_of(redraw, ("mine", "all")))


def stage_value(value: object) -> tuple[int, str, str]:
    """A stage button's value, "<conversation id>:<the stage it was at>:<the stage chosen>"."""
    conversation_id, seen_at, stage = (value.split(":") + ["", ""])[:3] if isinstance(value, str) else ("", "", "")
    return whole_number(conversation_id), one_of(seen_at, STAGES), one_of(stage, STAGES)


def register(app: App, services: Services) -> None:
    team_only = [only(services, Who.TEAM)]

    # Each listener reads and checks the press before ack(): Bolt forgets an acknowledgement followed
    # by an error, and would answer the press 404 after 3 s instead of the refusal's 200.
    def open_card_form(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
        with services.session() as session:
            conversation = get_conversation(session, whole_number(action.get("value")))
        check_conversation(services, body["user"]["id"], conversation)
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=FORMS[action["action_id"]](conversation))

    def mark_done(ack: Ack, body: dict, action: dict, respond: Respond) -> None:
        user = body["user"]["id"]
        action_id, redraw = done_value(action.get("value"))
        with services.session() as session:
            conversation = conversation_of_action(session, action_id)
            check_conversation(services, user, conversation)
            item, changed = complete_action(session, action_id, user)
        ack()
        if changed:
            note = conversation_note(services, conversation)
            said = f":white_check_mark: Done: {blocks.escape(item.text)}.{note}"
        else:  # pressed twice, or by two people at once: the first press did it
            said = f":white_check_mark: Already done by <@{item.done_by}>: {blocks.escape(item.text)}."
        again = (conversation_card(services, redraw) if isinstance(redraw, int)
                 else actions_list(services, redraw, user, channel_of(body)))
        respond({"replace_original": True, "text": f"Done: {blocks.escape(item.text)}",
                 "blocks": [blocks.section(said), *again["blocks"]]})

    def choose_stage(ack: Ack, body: dict, action: dict, respond: Respond) -> None:
        """A stage chosen with a button: one of two the words could mean, or past the stages between."""
        conversation_id, seen_at, stage = stage_value(action.get("value"))
        with services.session() as session:
            conversation = get_conversation(session, conversation_id)
            check_conversation(services, body["user"]["id"], conversation)
            set_stage(session, conversation, stage, body["user"]["id"], seen_at=seen_at)
        ack()
        respond({"replace_original": True, **blocks.message(moved_on(services, conversation, stage))})

    for action_id in FORMS:
        app.action(action_id, middleware=team_only)(open_card_form)
    app.action(ActionId.STAGE_CHOSEN, middleware=team_only)(choose_stage)
    app.action(ActionId.ACTION_DONE, middleware=team_only)(mark_done)
