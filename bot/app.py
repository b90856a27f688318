"""The app factory: one Bolt app, built from settings, for HTTP, Socket Mode and the console."""
import copy
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient

from bot.gate import OwnWorkspace
from bot.services import Services, make_quick_client
from bot.settings import Settings
from handlers import register_all


class ListenerExecutor(ThreadPoolExecutor):
    """Bolt's listener executor. Bolt hands each listener's ack function to it and polls every 10 ms for its
    ack(); a listener whose acknowledgement never waits on Slack (the `/sc` command: its reads, and its writes
    saved in the acknowledgement) has `in_request_thread` as its last middleware and is run in the request's
    own thread instead, so no hand-over to a pool thread and no poll. Other listeners, and every lazy
    listener, run on the pool as Bolt does it."""

    def __init__(self, max_workers: int):
        super().__init__(max_workers=max_workers, thread_name_prefix="listener")
        self._here = threading.local()

    def in_request_thread(self, next) -> None:
        """Listener middleware: Bolt submits this listener's ack function next, from this thread."""
        self._here.next = True
        next()

    def submit(self, fn, /, *args, **kwargs) -> Future:
        if not getattr(self._here, "next", False):
            return super().submit(fn, *args, **kwargs)
        self._here.next = False  # only the ack function; its lazy listeners go to the pool
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # as a pool thread would keep it: Bolt's own wrapper answers errors
            future.set_exception(error)
        return future


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
        listener_executor=ListenerExecutor(max_workers=2 * settings.sc_threads),
        logger=logging.getLogger("scbot"),
    )
    register_all(app, services)
    return app


def warm_up() -> None:
    """Load dateparser's language data now, not during the first request that reads a date."""
    import dateparser

    dateparser.parse("tomorrow 9am", languages=["en"])
