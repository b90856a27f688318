"""Buttons: those on a conversation's card open forms; Done closes an action."""
from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import blocks
from bot.services import Services
from handlers.commands import conversation_card, show_actions
from handlers.replies import NOT_TEAM, ephemeral, problem, thread_note
from models.conversations import complete_action, get_conversation
from models.errors import InputError, ServiceDown

FORMS = {"card_log": blocks.log_modal, "card_stage": blocks.stage_modal, "card_edit": blocks.edit_modal}


def register(app: App, services: Services) -> None:
    def open_card_form(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond) -> None:
        ack()
        try:
            if not services.is_team_member(body["user"]["id"]):
                respond(ephemeral({**blocks.message(NOT_TEAM), "replace_original": False}))
                return
            with services.session() as session:
                conversation = get_conversation(session, int(action["value"]))
            client.views_open(trigger_id=body["trigger_id"], view=FORMS[action["action_id"]](conversation))
        except (InputError, ServiceDown) as error:
            respond({**problem(error), "replace_original": False})

    def mark_done(ack: Ack, body: dict, action: dict, respond: Respond) -> None:
        ack()
        user = body["user"]["id"]
        try:
            if not services.is_team_member(user):
                respond(ephemeral({**blocks.message(NOT_TEAM), "replace_original": False}))
                return
            action_id, _, redraw = action["value"].partition(":")
            with services.session() as session:
                item, changed = complete_action(session, int(action_id), user)
            note = thread_note(services, item.conversation_id, f"action-{item.id}-done") if changed else ""
            done = blocks.section(f":white_check_mark: Done: {blocks.escape(item.text)}.{note}")
            # Draw again the reply the button was in, now without the finished action.
            again = (conversation_card(services, int(redraw[1:])) if redraw.startswith("c")
                     else show_actions(services, redraw, user))
            respond({"replace_original": True, "text": f"Done: {item.text}", "blocks": [done, *again["blocks"]]})
        except (InputError, ServiceDown) as error:
            respond({**problem(error), "replace_original": False})

    for action_id in FORMS:
        app.action(action_id)(open_card_form)
    app.action("action_done")(mark_done)
