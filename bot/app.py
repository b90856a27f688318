"""The app factory: one Bolt app, built from settings, for HTTP, Socket Mode and the console."""
import copy
import logging
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient

from bot.gate import OwnWorkspace
from bot.services import Services, make_quick_client
from bot.settings import Settings
from handlers import register_all


def create_app(settings: Settings, client: WebClient | None = None) -> App:
    """A Bolt app whose listeners share one set of services; tests inject `client`."""
    services = Services(settings, client)
    workspace = OwnWorkspace(settings, client or make_quick_client(settings))
    # Bolt is given the token with each request by `authorize`; a client of its own without one keeps it
    # from also checking the token itself (Bolt copies its settings: the API's address, retries).
    template = copy.copy(services.client)
    template.token = None
    app = App(
        client=template,
        signing_secret=settings.slack_signing_secret,
        # Over HTTP the request gate (bot/gate.py) has verified every request before Bolt reads it.
        request_verification_enabled=False,
        **workspace.bolt_options(),
        # An acknowledgement and a lazy listener for each request served at once, so none waits for a thread.
        listener_executor=ThreadPoolExecutor(max_workers=2 * settings.sc_threads, thread_name_prefix="listener"),
        logger=logging.getLogger("scbot"),
    )
    register_all(app, services)
    return app


def warm_up() -> None:
    """Load dateparser's language data now, not during the first request that reads a date."""
    import dateparser

    dateparser.parse("tomorrow 9am", languages=["en"])
