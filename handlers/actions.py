"""Buttons: those on a conversation's card open forms; Done closes an action."""
from slack_bolt import App, Respond
from slack_sdk import WebClient

from bot.services import Services
from bot.views import blocks, forms
from handlers.commands import conversation_card, show_actions
from handlers.replies import team_button, thread_note
from models.conversations import complete_action, get_conversation

FORMS = {"card_log": forms.log_modal, "card_stage": forms.stage_modal, "card_edit": forms.edit_modal}


def register(app: App, services: Services) -> None:
    def open_card_form(body: dict, action: dict, respond: Respond, client: WebClient, user: str) -> None:
        with services.session() as session:
            conversation = get_conversation(session, int(action["value"]))
        client.views_open(trigger_id=body["trigger_id"], view=FORMS[action["action_id"]](conversation))

    def mark_done(body: dict, action: dict, respond: Respond, client: WebClient, user: str) -> None:
        action_id, _, redraw = action["value"].partition(":")
        with services.session() as session:
            item, changed = complete_action(session, int(action_id), user)
        note = thread_note(services, item.conversation_id, f"action-{item.id}-done") if changed else ""
        done = blocks.section(f":white_check_mark: Done: {blocks.escape(item.text)}.{note}")
        # Draw again the reply the button was in, now without the finished action.
        again = (conversation_card(services, int(redraw[1:])) if redraw.startswith("c")
                 else show_actions(services, redraw, user))
        respond({"replace_original": True, "text": f"Done: {item.text}", "blocks": [done, *again["blocks"]]})

    for action_id in FORMS:
        app.action(action_id)(team_button(services, open_card_form))
    app.action("action_done")(team_button(services, mark_done))
