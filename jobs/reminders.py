"""Sending what the clock found due. Each job carries the instant it was due for.

Exactly once: a Redis lock per delivery key keeps two workers apart, the
Delivery table is checked before sending and written right after, and the
clock never queues a key that is already sent or still pending (a job waiting
out Slack's 429 is pending: it runs again, under the same id, on RQ's
scheduler; see jobs.slack_job).

A direct message goes only to someone still in the workspace: Slack accepts a
post to a deactivated person's DM without complaint, so `users.info` is asked
first (its answer kept for PERSON_SECONDS); for someone gone, the message goes
to the team channel instead.
"""
import json
from datetime import date, datetime

from slack_sdk.errors import SlackApiError

from bot.services import Services
from bot.views import reminders as reminder_messages
from bot.views.blocks import day
from jobs import (
    job_id,
    lock,
    post_message,
    refused_there,
    slack_job,
    tell,
    worker_services,
)
from jobs.threads import enqueue_redraws
from models.absence import away_at, cover_of, led_by
from models.conversations import get_conversation
from models.regions import Team
from models.reminders import (
    Kind,
    ReminderSettings,
    after_sending,
    delivery_key,
    digest,
    log_names,
    nudges,
    record_sent,
    reminder_key,
    was_sent,
)
from models.tables import Reminder

# Slack's answers when a person can no longer be messaged (left the workspace).
UNREACHABLE = {"user_not_found", "user_disabled", "account_inactive", "channel_not_found", "cannot_dm_bot",
               "user_not_visible"}
# How long Slack's word on a person (whether they are still in the workspace, the name it shows) is trusted.
PERSON_SECONDS = 3600
# What a report or digest calls an id Slack does not know (never the id itself).
UNKNOWN_PERSON = "someone Slack does not know"


def person(services: Services, user: str) -> dict | None:
    """Slack's word on `user` (users.info), kept for PERSON_SECONDS: {"left": bool, "name": the name Slack
    shows}; None for an id Slack does not know. A 429 or another fault is raised, for the job to retry."""
    key = f"scbot:slack-user:{user}"
    known = services.redis.get(key)
    if known is not None:
        return json.loads(known) or None
    try:
        found = services.client.users_info(user=user)["user"]
    except SlackApiError as error:
        if error.response.get("error") not in UNREACHABLE:
            raise
        said = {}
    else:
        profile = found.get("profile") or {}
        # As Slack shows a person: the display name they chose, else their full name, else their handle.
        said = {"left": bool(found.get("deleted")), "name": profile.get("display_name") or
                profile.get("real_name") or found.get("real_name") or found.get("name") or UNKNOWN_PERSON}
    services.redis.set(key, json.dumps(said), ex=PERSON_SECONDS)
    return said or None


def has_left(services: Services, user: str) -> bool:
    """Whether Slack says `user` has left the workspace (users.info: `deleted`). An id Slack does not know is
    left to the post itself, whose error then sends the fallback."""
    said = person(services, user)
    return bool(said and said["left"])


def display_names(services: Services, users: set[str]) -> dict[str, str]:
    """Each person as Slack names them, for reports and digests, which name people without pinging them."""
    names = {}
    for user in users:
        said = person(services, user)
        names[user] = (said["name"] + (" (left the workspace)" if said["left"] else "")) if said else UNKNOWN_PERSON
    return names


def _deliver(services: Services, team: Team, key: str, channel: str, body: dict, fallback=None,
             on_sent=None) -> str:
    """Send `body` to `channel` once for `key`. With `fallback`, `channel` is a person: if they have left
    the workspace, `fallback()` gives the (channel, body) to send instead. `team`: whose managers chose the
    channel, told if it refuses."""
    with lock(services, f"delivery:{key}"):
        with services.session() as session:
            if was_sent(session, key):
                return "already sent"
        if fallback is not None and has_left(services, channel):
            (channel, body), fallback = fallback(), None
        try:
            try:
                reply = post_message(services, channel, **body)
            except SlackApiError as error:
                # A 429 (jobs.slack_job runs the job again after it) and other faults fail the job; RQ retries it.
                if fallback is None or error.response.get("error") not in UNREACHABLE:
                    raise
                channel, body = fallback()
                reply = post_message(services, channel, **body)
        except SlackApiError as error:
            why = refused_there(error)
            if why is None:
                raise
            # No retry would deliver it: it is recorded as dealt with (no ts), and the managers, who choose
            # the channel, are told once.
            teams = services.teams()
            for manager in sorted(team.managers | teams.national_managers):
                tell(services, manager, f":warning: The {key.split(':')[0]} due now couldn't go to <#{channel}>: "
                                        f"{why}. Choose another channel with `/sc settings`, or let me in there.")
            reply = {"channel": channel, "ts": ""}
        with services.session() as session:
            record_sent(session, key, reply["channel"], reply["ts"])
            if on_sent is not None:
                on_sent(session)
        return f"sent to {reply['channel']}" if reply["ts"] else f"refused by {channel}"


def _region(services: Services, session, region: str) -> tuple[Team, ReminderSettings]:
    """The team of `region` ("": the environment's) and its settings."""
    team = services.teams().of_region(region)
    return team, services.reminder_settings(session, team)


def _key(services: Services, kind: Kind, team: Team, rest: str) -> str:
    return delivery_key(kind, team.region, services.teams().default_region, rest)


@slack_job
def send_digest(slot: str, region: str = "") -> str:
    """`region`'s digest ("": the environment's region's) for the week up to `slot`."""
    services = worker_services()
    as_of = datetime.fromisoformat(slot)
    with services.session() as session:
        team, settings = _region(services, session, region)
        figures = digest(session, services.directory(), settings, as_of, team)
    body = reminder_messages.digest_message(figures, display_names(services, figures.people))
    return _deliver(services, team, _key(services, Kind.DIGEST, team, slot), settings.digest_channel, body)


@slack_job
def send_countdown(days: int, slot: str, region: str = "") -> str:
    services = worker_services()
    with services.session() as session:
        team, settings = _region(services, session, region)
        figures = digest(session, services.directory(), settings, datetime.fromisoformat(slot), team)
    body = reminder_messages.countdown_message(days, f"{settings.target_date:%-d %B %Y}", figures.progress)
    return _deliver(services, team, _key(services, Kind.COUNTDOWN, team, f"{settings.target_date}:{days}"),
                    settings.digest_channel, body)


@slack_job
def send_nudge(user: str, slot: str, region: str = "") -> str:
    """`user`'s morning nudge about the conversations of `region` ("": the environment's region)."""
    services = worker_services()
    instant = datetime.fromisoformat(slot)
    with services.session() as session:
        team, settings = _region(services, session, region)
        nudge = nudges(session, settings, instant).get(user)
        if nudge is None:
            return "nothing to nudge about any more"
        names = log_names(session, services.directory(), nudge.quiet + [c for c, _ in nudge.unassessed])
        away = away_at(session, instant)
    # Someone away is covered by their deputy, else by the team channel (models.absence).
    absence = away.get(user)
    to = cover_of(away, user) if absence else user
    key = _key(services, Kind.NUDGE, team, f"{user}:{instant.date()}")

    def to_channel():
        return settings.digest_channel, reminder_messages.nudge_message(nudge, settings.stale_days, names,
                                                                        fallback_for=user, away=absence)

    if not to:
        return _deliver(services, team, key, *to_channel())
    body = reminder_messages.nudge_message(nudge, settings.stale_days, names, away=absence)
    return _deliver(services, team, key, to, body, fallback=to_channel)


@slack_job
def send_reminder(reminder_id: int, due: str) -> str:
    services = worker_services()
    with services.session() as session:
        reminder = session.get(Reminder, reminder_id)
        if reminder is None or reminder.closed_at is not None or reminder.due_at.isoformat() != due:
            return "cancelled, done or moved since it was due"
        conversation = get_conversation(session, reminder.conversation_id)
        team, settings = _region(services, session, conversation.region)  # its region's channel, if need be
        key = reminder_key(reminder)
    body = reminder_messages.reminder_message(reminder, conversation.title, conversation.card_url)

    def to_channel():
        return settings.digest_channel, reminder_messages.reminder_message(
            reminder, conversation.title, conversation.card_url, fallback_for=reminder.user_id)

    def move_on(session):
        stored = session.get(Reminder, reminder_id)
        after_sending(session, stored)

    return _deliver(services, team, key, reminder.user_id, body, fallback=to_channel, on_sent=move_on)


@slack_job
def send_back(user: str, back_on: str) -> str:
    """Someone's day back has come: the cards of the conversations they lead stop naming who covers. (Their
    reminders that waited are due again at the clock's same look, each under its own key.)"""
    services = worker_services()
    key = f"back:{user}:{back_on}"
    with services.session() as session:
        if was_sent(session, key):
            return "already done"
        led = led_by(session, user)
    enqueue_redraws(services, led, job_id(key))
    with services.session() as session:
        record_sent(session, key, "", "")
    return f"{len(led)} cards to draw again"


@slack_job
def tell_deputy(user: str, deputy: str, back_on: str) -> str:
    """A word to the deputy someone named with `/sc away`."""
    tell(worker_services(), deputy, f":palm_tree: <@{user}> is away until {day(date.fromisoformat(back_on))} and "
                                    "named you to cover: their nudges come to you until then.")
    return f"told {deputy}"


# The job that sends each kind of due item; the clock queues it with the item's args.
SENDERS = {Kind.DIGEST: send_digest, Kind.COUNTDOWN: send_countdown, Kind.NUDGE: send_nudge,
           Kind.REMINDER: send_reminder, Kind.BACK: send_back}
