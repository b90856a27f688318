"""Away and deputies: `/sc away until <date> [@deputy]` and `/sc back`.

While someone is away their nudges go to their deputy (or to the team channel when they named nobody, or
their deputy is away too), their personal reminders wait, and the cards of the conversations they lead name
who covers. They are back on the day they gave, from BACK_TIME (when the morning's nudges go), or at once
with `/sc back`; the reminders that waited are then due, and each is sent once under its usual key
(models.reminders.reminder_key).
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, col, select

from models import clock
from models.commands import MENTION, UNLINKED
from models.errors import InputError, Refused
from models.tables import Absence, Conversation, Reminder
from models.text import DATE_EXAMPLES, parse_date

# Back from the start of the working day on the day given: the morning's nudge then goes to them.
BACK_TIME = time(9, 0)
LONGEST = timedelta(days=366)
USAGE = ("Until when, and who covers? For example `/sc away until 2010-12-01 @jo`: until then your nudges go to "
         "Jo (or to the team channel if you name nobody) and your reminders wait for you. "
         f"Dates that work: {DATE_EXAMPLES}.")
NOT_AWAY = "You're not marked away, so there is nothing to come back from. `/sc away until <date> [@deputy]` marks you away."


@dataclass(frozen=True)
class AwayRequest:
    back_on: date
    deputy: str  # "": nobody


def parse_away(args: str, user: str, now: datetime) -> AwayRequest:
    """`until <date> [@deputy]`: the day they are back (after today, within a year) and, optionally, one
    person picked from Slack's @ menu who is not themselves."""
    deputies = list(dict.fromkeys(MENTION.findall(args)))
    if len(deputies) > 1:
        raise InputError("Name one deputy: mention only them with @.")
    rest = MENTION.sub(" ", args)
    unlinked = UNLINKED.search(rest)
    if unlinked:
        raise InputError(f"I can't tell who “@{unlinked.group(1)}” is: pick them from Slack's @ menu "
                         "so the name becomes a link.")
    said = " ".join(rest.split())
    if said.lower().startswith("until "):
        said = said[len("until "):].strip()
    if not said:
        raise InputError(USAGE)
    back_on = parse_date(said, now)
    if back_on <= now.date():
        raise InputError(f"“{said}” is {back_on:%-d %b %Y}: give the day you are back, after today. "
                         f"Dates that work: {DATE_EXAMPLES}.")
    if back_on - now.date() > LONGEST:
        raise InputError(f"“{said}” is {back_on:%-d %b %Y}, more than a year away: give the day you are back "
                         "within a year.")
    deputy = deputies[0] if deputies else ""
    if deputy == user:
        raise InputError("You can't cover for yourself: name a team member as your deputy, or nobody (your "
                         "nudges then go to the team channel).")
    return AwayRequest(back_on, deputy)


def check_deputy(request: AwayRequest, in_team: bool | None) -> None:
    """A deputy must be able to act on the nudges they get: a member of the team (`in_team`)."""
    if request.deputy and not in_team:
        raise InputError(f"<@{request.deputy}> is not in the team, so they couldn't log for your areas: name a "
                         "team member as your deputy, or nobody (your nudges then go to the team channel).")


def back_at(absence: Absence) -> datetime:
    """When they are back: BACK_TIME on the day they gave, in the team's timezone."""
    return datetime.combine(absence.back_on, BACK_TIME, tzinfo=clock.now().tzinfo)


def is_away(absence: Absence | None, instant: datetime) -> bool:
    return (absence is not None and absence.since <= instant < back_at(absence)
            and (absence.ended_at is None or instant < absence.ended_at))


def away_at(session: Session, instant: datetime) -> dict[str, Absence]:
    """Everyone away at `instant`, by their user id."""
    rows = session.exec(select(Absence).where(col(Absence.back_on) >= instant.date(),
                                              col(Absence.since) <= instant))
    return {a.user_id: a for a in rows if is_away(a, instant)}


def set_away(session: Session, user: str, request: AwayRequest, now: datetime) -> Absence | None:
    """Mark `user` away; returns the absence this one replaces, if they were away already."""
    row = session.get(Absence, user)
    replaced = Absence(**row.model_dump()) if is_away(row, now) else None
    session.merge(Absence(user_id=user, deputy_user_id=request.deputy, since=now, back_on=request.back_on,
                          ended_at=None))
    session.flush()
    return replaced


def come_back(session: Session, user: str, now: datetime) -> int:
    """`user` is back now; returns how many of their reminders waited for them (they are now due)."""
    row = session.get(Absence, user)
    if not is_away(row, now):
        raise Refused(NOT_AWAY)
    row.ended_at = now
    session.add(row)
    session.flush()
    return len(session.exec(select(Reminder.id).where(Reminder.user_id == user, col(Reminder.closed_at).is_(None),
                                                      col(Reminder.due_at) <= now)).all())


def returning(session: Session, since: datetime, instant: datetime) -> list[Absence]:
    """Those whose day back came after `since`, by `instant`, and who did not come back early."""
    rows = session.exec(select(Absence).where(col(Absence.back_on) >= since.date(),
                                              col(Absence.back_on) <= instant.date(),
                                              col(Absence.ended_at).is_(None)))
    return [a for a in rows if since < back_at(a) <= instant]


def cover_of(away: dict[str, Absence], user: str) -> str:
    """Who gets `user`'s nudges while they are away: their deputy, or "" (the team channel) when they named
    nobody or their deputy is away too."""
    deputy = away[user].deputy_user_id
    return deputy if deputy and deputy not in away else ""


def led_by(session: Session, user: str) -> list[int]:
    """The conversations `user` leads whose card is in Slack, to draw again when they go away or come back."""
    return list(session.exec(select(Conversation.id).where(Conversation.lead_user_id == user,
                                                           col(Conversation.card_ts) != "")))


def lead_away(session: Session, user: str) -> Absence | None:
    """`user`'s absence if they are away now."""
    row = session.get(Absence, user)
    return row if is_away(row, clock.now()) else None
