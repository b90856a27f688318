"""Buttons on conversations: those on a card open its forms; Done closes an action."""
from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.services import Services
from bot.views import blocks, forms
from bot.views.ids import ActionId
from handlers.conversations import actions_list, conversation_card
from handlers.permissions import Who, only
from handlers.replies import thread_note
from models.conversations import complete_action, get_conversation
from models.values import whole_number

FORMS = {ActionId.CARD_LOG: forms.log_modal, ActionId.CARD_STAGE: forms.stage_modal,
         ActionId.CARD_EDIT: forms.edit_modal}


def register(app: App, services: Services) -> None:
    team_only = [only(services, Who.TEAM)]

    def open_card_form(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
        ack()
        with services.session() as session:
            conversation = get_conversation(session, whole_number(action["value"]))
        client.views_open(trigger_id=body["trigger_id"], view=FORMS[action["action_id"]](conversation))

    def mark_done(ack: Ack, body: dict, action: dict, respond: Respond) -> None:
        ack()
        user = body["user"]["id"]
        # The value is "<action id>:<the list it is in>", so Done can draw that list again.
        action_id, _, redraw = action["value"].partition(":")
        conversation_id = whole_number(redraw[1:]) if redraw.startswith("c") else None
        with services.session() as session:
            item, changed = complete_action(session, whole_number(action_id), user)
        note = thread_note(services, item.conversation_id, f"action-{item.id}-done") if changed else ""
        done = blocks.section(f":white_check_mark: Done: {blocks.escape(item.text)}.{note}")
        again = (conversation_card(services, conversation_id) if conversation_id is not None
                 else actions_list(services, redraw, user))
        respond({"replace_original": True, "text": f"Done: {blocks.escape(item.text)}",
                 "blocks": [done, *again["blocks"]]})

    for action_id in FORMS:
        app.action(action_id, middleware=team_only)(open_card_form)
    app.action(ActionId.ACTION_DONE, middleware=team_only)(mark_done)
