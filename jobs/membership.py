"""Reading every region's team channel's whole member list from Slack into the database (see models.team).

Join and leave events keep the lists current; the clock also queues
`refresh_members` every few minutes, in case an event went missing. A process
that finds a list never read (a new install, a new SC_TEAM_CHANNEL, a region's
team just set) reads them in a thread of its own, so that no acknowledgement
waits for Slack.
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
# Why Slack last refused to list a channel's members (e.g. not_in_channel), by channel, as this process heard:
# a person refused for want of the list is told why, not to try again in a minute for ever.
refused_channels: dict[str, str] = {}


def read_members(services: Services) -> int:
    """Read each region's team channel's whole list from Slack and store it; returns how many are in them.
    A channel Slack refuses (the bot not in it yet) is logged and the others are read."""
    count, refused = 0, []
    for channel in services.teams().channels:
        try:
            count += _read_channel(services, channel)
            refused_channels.pop(channel, None)
        except SlackApiError as error:
            log.warning("could not read the members of %s: %s", channel, error.response.get("error"))
            refused_channels[channel] = str(error.response.get("error") or "an error")
            refused.append(error)
    services.forget_team_members()
    if refused and not count:
        raise refused[0]
    return count


def _read_channel(services: Services, channel: str) -> int:
    asked_at = datetime.now(timezone.utc)  # real time, not the bot's (pinnable) clock: it orders events
    members: set[str] = set()
    for page in services.client.conversations_members(channel=channel, limit=1000):
        members.update(page["members"])
    with services.session() as session:
        read_whole_list(session, channel, members, asked_at)
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
            log.info("read %d members of the team channels", read_members(services))
        except (SlackApiError, ServiceDown, OSError) as error:
            log.warning("could not read the team channels' members (%s); trying again later", error)
        finally:
            with _Background.guard:
                _Background.busy = False

    threading.Thread(target=read, name="team-members", daemon=True).start()


def read_if_never_read(services: Services) -> None:
    """At start: read the lists in the background if one of them has never been read."""
    try:
        channels = services.teams().channels
        with services.session() as session:
            known = all(list_read(session, channel) for channel in channels)
    except ServiceDown as error:
        log.warning("%s; the team channels' members will be read when someone needs them", error)
        return
    if not known:
        read_in_background(services)
