"""Reading the team channel's whole member list from Slack into the database (see models.team).

Join and leave events keep the list current; the clock also queues
`refresh_members` every few minutes, in case an event went missing. A process
that finds the list never read (a new install, a new SC_TEAM_CHANNEL) reads it
in a thread of its own, so that no acknowledgement waits for Slack.
"""
import logging
import threading
import time
from datetime import datetime, timezone

from slack_sdk.errors import SlackApiError

from bot.services import Services
from jobs import worker_services
from models.errors import ServiceDown
from models.team import list_read, read_whole_list

log = logging.getLogger("scbot")
# A failed background read (Slack or the database away) is tried again no sooner than this.
RETRY_SECONDS = 30.0


def read_members(services: Services) -> int:
    """Read the whole list from Slack and store it; returns how many are in the channel."""
    channel = services.settings.sc_team_channel
    if not channel:
        return 0
    asked_at = datetime.now(timezone.utc)  # real time, not the bot's (pinnable) clock: it orders events
    members: set[str] = set()
    for page in services.client.conversations_members(channel=channel, limit=1000):
        members.update(page["members"])
    with services.session() as session:
        read_whole_list(session, channel, members, asked_at)
    services.forget_team_members()
    return len(members)


def refresh_members() -> int:
    """The clock's periodic job."""
    return read_members(worker_services())


class _Background:
    busy = False
    tried = -RETRY_SECONDS
    guard = threading.Lock()


def read_in_background(services: Services) -> None:
    """Read the list in a thread of its own, unless one is reading already or a read failed lately."""
    with _Background.guard:
        if _Background.busy or time.monotonic() - _Background.tried < RETRY_SECONDS:
            return
        _Background.busy, _Background.tried = True, time.monotonic()

    def read() -> None:
        try:
            log.info("read %d members of the team channel", read_members(services))
        except (SlackApiError, ServiceDown, OSError) as error:
            log.warning("could not read the team channel's members (%s); trying again later", error)
        finally:
            with _Background.guard:
                _Background.busy = False

    threading.Thread(target=read, name="team-members", daemon=True).start()


def read_if_never_read(services: Services) -> None:
    """At start: read the list in the background if it has never been read."""
    if not services.settings.sc_team_channel:
        return
    try:
        with services.session() as session:
            known = list_read(session, services.settings.sc_team_channel)
    except ServiceDown as error:
        log.warning("%s; the team channel's members will be read when someone needs them", error)
        return
    if not known:
        read_in_background(services)
