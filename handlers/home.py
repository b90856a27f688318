"""The App Home tab: the caller's conversations and actions, the region's coverage, and buttons to act."""
from slack_bolt import App
from slack_sdk import WebClient
from sqlmodel import col, select

from bot.services import Services
from bot.views import forms
from bot.views.home import home_view
from handlers import commands
from handlers.replies import team_button
from models import clock
from models.conversations import conversation_titles, open_actions
from models.progress import measure, scope_of
from models.tables import Conversation

EXTRACT = "extract"


def extract_form():
    """The form of `/sc extract`, when the extracts module has registered it; None otherwise."""
    write = commands.WRITES.get(EXTRACT)
    return write.form if write else None


def register(app: App, services: Services) -> None:
    @app.event("app_home_opened")
    def publish_home(event: dict, client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        client.views_publish(user_id=event["user"], view=home(services, event["user"]))

    def open_start(body: dict, action: dict, respond, client: WebClient, user: str) -> None:
        client.views_open(trigger_id=body["trigger_id"], view=forms.start_modal(services.directory(), user))

    def open_extract(body: dict, action: dict, respond, client: WebClient, user: str) -> None:
        form = extract_form()
        if form:
            client.views_open(trigger_id=body["trigger_id"], view=form(services, "", user))

    app.action("home_start")(team_button(services, open_start))
    app.action("home_extract")(team_button(services, open_extract))


def home(services: Services, user: str) -> dict:
    directory = services.directory()
    with services.session() as session:
        progress = measure(session, directory, scope_of(directory, ""), clock.today(), services.reminder_settings(session).target_date)
        mine = list(session.exec(select(Conversation).where(Conversation.lead_user_id == user)
                                 .order_by(col(Conversation.last_activity_at).desc())))
        actions = open_actions(session, owner=user)
        titles = conversation_titles(session, {a.conversation_id for a in actions})
    return home_view(progress, mine, actions, titles, can_extract=extract_form() is not None)
