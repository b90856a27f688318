"""The app factory: one Bolt app, built from settings, for HTTP, Socket Mode and the console."""
import logging

from slack_bolt import App
from slack_sdk import WebClient

from bot.services import Services
from bot.settings import Settings
from handlers import register_all


def create_app(settings: Settings, client: WebClient | None = None) -> App:
    """A Bolt app whose listeners share one set of services; tests inject `client`."""
    services = Services(settings, client)
    app = App(
        client=services.client,
        signing_secret=settings.slack_signing_secret,
        # Start even when Slack is out of reach; /healthz and the first request will tell.
        token_verification_enabled=False,
        logger=logging.getLogger("scbot"),
    )
    register_all(app, services)
    return app
