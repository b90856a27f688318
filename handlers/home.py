"""The App Home tab: the caller's conversations and actions, their region's coverage, and buttons to act."""
from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.services import Services
from bot.views import forms
from bot.views.home import home_view
from bot.views.ids import ActionId
from handlers.extracts import extract_form
from handlers.permissions import Who, only
from models import clock
from models.confidence import latest_assessments
from models.conversations import conversation_titles, led_by, open_actions
from models.progress import region_scope


def register(app: App, services: Services) -> None:
    @app.event("app_home_opened")
    def publish_home(event: dict, client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        client.views_publish(user_id=event["user"], view=home(services, event["user"]))

    team_only = [only(services, Who.TEAM)]

    @app.action(ActionId.HOME_START, middleware=team_only)
    def open_start(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=forms.start_modal(services.directory(),
                                                                               body["user"]["id"]))

    @app.action(ActionId.HOME_EXTRACT, middleware=team_only)
    def open_extract(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=extract_form(services))


def home(services: Services, user: str) -> dict:
    """The figures are those of the person's region: of the first team they are in, else the environment's."""
    region = services.team_of(user).region
    with services.session() as session:
        progress = services.measure(session, region_scope(services.directory(), region), clock.today())
        mine = led_by(session, user)
        actions = open_actions(session, owner=user)
        titles = conversation_titles(session, {a.conversation_id for a in actions})
        confidence = latest_assessments(session, [c.id for c in mine])
    return home_view(progress, mine, actions, titles, confidence)
