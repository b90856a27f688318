"""Reminders toward the target date: what is due at an instant, and personal reminders.

The clock asks `due_at(instant)` what to send; each item carries a key naming
what it is and the instant it was due for. A Delivery row under that key is
written when it is sent, so asking again, from a second clock or after a
restart, finds nothing more to send.
"""
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum

import dateparser
import holidays
from sqlalchemy import and_, not_, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import clock
from models.absence import away_at, returning
from models.areas import AreaDirectory
from models.confidence import (
    DEFAULT_DAYS,
    Disagreement,
    disagreements,
    due_for_assessment,
)
from models.conversations import log_name
from models.errors import InputError, NotFound, Refused
from models.progress import (
    Progress,
    group_of,
    groups_by,
    measure,
    region_scope,
    starts_by_area,
)
from models.regions import Team, Teams
from models.tables import (
    Absence,
    ActionItem,
    BotSetting,
    ConfidenceAssessment,
    Conversation,
    ConversationArea,
    Delivery,
    LogEntry,
    Reminder,
)
from models.team import roster
from models.text import WEEKDAYS, check_text, weekday_date
from models.values import OUT_OF_DATE

# A run missed by up to this long (a clock down over a weekend) still happens, once.
GRACE = timedelta(hours=72)
NUDGE_TIME = time(9, 0)
DEFAULT_TIME = time(9, 0)  # a day named without a time of day
COUNTDOWN_DAYS = (90, 60, 30, 14, 7)
REMINDER_TEXT_MAX = 1000
WHEN_EXAMPLES = ("`tomorrow 9am`, `in 3 days`, `in 2 hours`, `friday 2pm`, `2011-01-10 14:00` "
                 "or `every monday 9:00`")
_TIME_OF_DAY = re.compile(r"(?i)\b\d{1,2}(:\d{2})?\s*(am|pm)\b|\b\d{1,2}:\d{2}\b|\bnoon\b|\bmidnight\b")
_FROM_NOW = re.compile(r"(?i)^in\s+\d+\s+(minute|hour|day|week)s?$")
# The longest time phrase read: "every monday at 9:30 am" is five words, "next friday at 2pm" four.
WHEN_WORDS = 6
_NAMED_DAY = re.compile(r"(?i)^((?:(?:next|this|on)\s+)?[a-z]{3,9})(?:\s+(?:at\s+)?(.+))?$")
_EVERY = re.compile(r"(?i)^every\s+(" + "|".join(WEEKDAYS) + r")s?(?:\s+(?:at\s+)?(.+))?$")


# --- the team's reminder settings ------------------------------------------------

@dataclass
class ReminderSettings:
    digest_weekday: int  # 0 is Monday
    digest_time: time
    digest_channel: str
    stale_days: int
    target_date: date
    # When managers last saved them ("" never), as read: a save from a form showing an older version is refused.
    version: str = ""
    confidence_days: int = DEFAULT_DAYS  # a delivery confidence older than this earns the lead a nudge
    region: str = ""  # whose settings these are (models.regions)

    @classmethod
    def load(cls, session: Session, region: str, team_channel: str, target_date: date) -> "ReminderSettings":
        """The region team's defaults, overridden by what its managers set in Slack."""
        rows = list(session.exec(select(BotSetting).where(BotSetting.region == region)))
        stored = {s.key: s.value for s in rows}
        return cls(
            digest_weekday=int(stored.get("digest_weekday", 0)),
            digest_time=time.fromisoformat(stored.get("digest_time", "09:00")),
            digest_channel=stored.get("digest_channel", team_channel),
            stale_days=int(stored.get("stale_days", 21)),
            target_date=date.fromisoformat(stored.get("target_date", target_date.isoformat())),
            confidence_days=int(stored.get("confidence_days", DEFAULT_DAYS)),
            version=max(s.changed_at for s in rows).isoformat() if rows else "",
            region=region,
        )

    def save(self, session: Session, user: str, seen: str) -> None:
        """Store these settings, if they are still at the version `seen` (the form's): of two saves at once,
        or a save from a form opened before another, only the first takes effect."""
        if not 1 <= self.stale_days <= 365:
            raise InputError("The quiet-conversation threshold must be between 1 and 365 days.", field="stale_days")
        if not 1 <= self.confidence_days <= 365:
            raise InputError("Delivery confidence is due again after between 1 and 365 days.",
                             field="confidence_days")
        if not isinstance(self.digest_channel, str) or not re.fullmatch(r"[CG][A-Z0-9]{2,20}", self.digest_channel):
            raise InputError("Choose the digest's channel from the list.", field="digest_channel")
        if not TARGET_YEARS[0] <= self.target_date.year <= TARGET_YEARS[1]:
            raise InputError(f"Choose a target date between {TARGET_YEARS[0]} and {TARGET_YEARS[1]}.",
                             field="target_date")
        now = clock.now()
        if seen:
            # Conditional on the version seen; the row lock makes concurrent saves take turns.
            try:
                seen_at = datetime.fromisoformat(seen)
            except ValueError:
                raise InputError(OUT_OF_DATE) from None
            if session.exec(update(BotSetting).where(col(BotSetting.region) == self.region,
                                                     col(BotSetting.changed_at) == seen_at)
                            .values(changed_at=now, changed_by=user)).rowcount == 0:
                raise Refused(SETTINGS_CHANGED)
        values = {"digest_weekday": str(self.digest_weekday), "digest_time": self.digest_time.strftime("%H:%M"),
                  "digest_channel": self.digest_channel, "stale_days": str(self.stale_days),
                  "target_date": self.target_date.isoformat(), "confidence_days": str(self.confidence_days)}
        rows = [BotSetting(region=self.region, key=key, value=value, changed_by=user, changed_at=now)
                for key, value in values.items()]
        try:
            if seen:
                for row in rows:
                    session.merge(row)
            else:
                session.add_all(rows)  # never saved: inserts, which fail if another save got there first
            session.flush()
        except IntegrityError:
            raise Refused(SETTINGS_CHANGED) from None


def region_targets(session: Session, teams: Teams) -> dict[str, date]:
    """Each configured region's target date, as its managers set it, else as its team was configured."""
    stored = dict(session.exec(select(BotSetting.region, BotSetting.value)
                               .where(BotSetting.key == "target_date")).all())
    return {team.region: date.fromisoformat(stored[team.region]) if team.region in stored else team.target_date
            for team in teams.teams}


# A target outside these is a slip or forged (the countdowns count back from it).
TARGET_YEARS = (2000, 2100)
SETTINGS_CHANGED = ("Someone saved the reminder settings after you opened this form, so yours were not saved. "
                    "Open `/sc settings` again to see theirs and change them from there.")


# --- what is due -------------------------------------------------------------------

class Kind(StrEnum):
    """What a due item is; jobs.reminders.SENDERS says which job sends each kind."""

    DIGEST = "digest"
    COUNTDOWN = "countdown"
    NUDGE = "nudge"
    REMINDER = "reminder"
    BACK = "back"  # someone's day back from being away (models.absence)


@dataclass(frozen=True)
class Due:
    """Something to send: `key` names it and its instant; `args` are what its kind's sender takes."""

    key: str
    kind: Kind
    args: tuple


def _at(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=clock.now().tzinfo)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in holidays.country_holidays("GB", subdiv="ENG", years=day.year)


def digest_slot(settings: ReminderSettings, instant: datetime) -> datetime | None:
    """The latest digest time at or before `instant`, if it was missed by no more than GRACE."""
    day = instant.date() - timedelta(days=(instant.weekday() - settings.digest_weekday) % 7)
    slot = _at(day, settings.digest_time)
    if slot > instant:
        slot -= timedelta(days=7)
    return slot if instant - slot <= GRACE else None


def nudge_slot(instant: datetime) -> datetime | None:
    """Nudges go once on each working day, from NUDGE_TIME."""
    slot = _at(instant.date(), NUDGE_TIME)
    return slot if instant >= slot and is_working_day(instant.date()) else None


def countdown_slots(settings: ReminderSettings, instant: datetime) -> list[tuple[int, datetime]]:
    slots = [(days, _at(settings.target_date - timedelta(days=days), settings.digest_time))
             for days in COUNTDOWN_DAYS]
    return [(days, slot) for days, slot in slots if slot <= instant <= slot + GRACE]


def delivery_key(kind: Kind, region: str, home_region: str, rest: str) -> str:
    """What a region's digest, countdown or nudge is sent under. The keys name the region, but the environment's
    region (`home_region`) keeps the keys it had before there were several: a database upgraded mid-week must
    not send its digest again."""
    return f"{kind}:{rest}" if region == home_region else f"{kind}:{region}:{rest}"


def region_due(session: Session, settings: ReminderSettings, home_region: str, instant: datetime) -> list[Due]:
    """A region's digest and countdowns (to its channel, when it has one) and its nudges, due at `instant`."""
    due: list[Due] = []
    region = settings.region

    def key(kind: Kind, rest: str) -> str:
        return delivery_key(kind, region, home_region, rest)

    slot = digest_slot(settings, instant)
    if slot and settings.digest_channel:
        due.append(Due(key(Kind.DIGEST, slot.isoformat()), Kind.DIGEST, (slot.isoformat(), region)))
    for days, slot in countdown_slots(settings, instant) if settings.digest_channel else ():
        due.append(Due(key(Kind.COUNTDOWN, f"{settings.target_date}:{days}"), Kind.COUNTDOWN,
                       (days, slot.isoformat(), region)))
    slot = nudge_slot(instant)
    if slot:
        for user in sorted(nudges(session, settings, slot)):
            due.append(Due(key(Kind.NUDGE, f"{user}:{slot.date()}"), Kind.NUDGE, (user, slot.isoformat(), region)))
    return due


def due_at(session: Session, regions: list[ReminderSettings], home_region: str, instant: datetime) -> list[Due]:
    """Everything due at `instant` that has not been sent: each region's (`regions`: their settings) and each
    person's own."""
    due = [item for settings in regions for item in region_due(session, settings, home_region, instant)]
    for absence in returning(session, instant - GRACE, instant):
        due.append(Due(f"back:{absence.user_id}:{absence.back_on}", Kind.BACK,
                       (absence.user_id, absence.back_on.isoformat())))
    away = away_at(session, instant)
    for reminder in session.exec(
        select(Reminder).where(col(Reminder.closed_at).is_(None), col(Reminder.due_at) <= instant)
    ):
        if reminder.user_id in away:
            continue  # it waits for them (models.absence), then goes under the same key, once
        due.append(Due(reminder_key(reminder), Kind.REMINDER, (reminder.id, reminder.due_at.isoformat())))
    sent = set(session.exec(select(Delivery.key).where(col(Delivery.key).in_([d.key for d in due]))))
    return [d for d in due if d.key not in sent]


def reminder_key(reminder: Reminder) -> str:
    return f"reminder:{reminder.id}:{reminder.due_at.isoformat()}"


def was_sent(session: Session, key: str) -> bool:
    return session.get(Delivery, key) is not None


def record_sent(session: Session, key: str, channel: str, ts: str) -> None:
    session.add(Delivery(key=key, sent_at=clock.now(), channel=channel, ts=ts))


# --- nudges --------------------------------------------------------------------

@dataclass
class Nudge:
    """One person's nudge for a day: their quiet conversations and their actions due, each action with its
    conversation's title, and the conversations they lead whose delivery confidence is due again, each with
    its last assessment (None: never assessed)."""

    quiet: list[Conversation]
    actions: list[tuple[ActionItem, str]]
    unassessed: list[tuple[Conversation, ConfidenceAssessment | None]] = field(default_factory=list)


def of_region(settings: ReminderSettings) -> list:
    """The condition picking the conversations of the settings' region: none (every one), for settings of none."""
    return [Conversation.region == settings.region] if settings.region else []


def nudges(session: Session, settings: ReminderSettings, instant: datetime) -> dict[str, Nudge]:
    """Who to nudge at `instant` about the conversations of the settings' region (every conversation, for
    settings of none): leads of conversations quiet for stale_days, owners of actions due, leads of
    conversations not assessed for confidence_days."""
    quiet_since = instant - timedelta(days=settings.stale_days)
    mine = of_region(settings)
    people: dict[str, Nudge] = {}
    for conversation in session.exec(
        select(Conversation).where(col(Conversation.last_activity_at) < quiet_since,
                                   col(Conversation.started_at) <= instant, *mine)
        .order_by(col(Conversation.last_activity_at))
    ):
        people.setdefault(conversation.lead_user_id, Nudge([], [])).quiet.append(conversation)
    for action, title in session.exec(
        select(ActionItem, Conversation.title)
        .join(Conversation, col(Conversation.id) == col(ActionItem.conversation_id))
        .where(col(ActionItem.done_at).is_(None), col(ActionItem.due_on) <= instant.date(),
               col(ActionItem.created_at) <= instant, *mine)
        .order_by(col(ActionItem.due_on), col(ActionItem.id))
    ):
        people.setdefault(action.owner_user_id, Nudge([], [])).actions.append((action, title))
    for conversation, last in due_for_assessment(session, instant, settings.confidence_days, settings.region):
        people.setdefault(conversation.lead_user_id, Nudge([], [])).unassessed.append((conversation, last))
    return people


def log_names(session: Session, directory: AreaDirectory, conversations: list[Conversation]) -> dict[int, str]:
    """The name to type in `/sc log <name> ...` for each conversation (models.conversations.log_name)."""
    ids = [c.id for c in conversations]
    codes: dict[int, list[str]] = {}
    for conversation_id, code in session.exec(select(ConversationArea.conversation_id, ConversationArea.area_code)
                                              .where(col(ConversationArea.conversation_id).in_(ids))):
        codes.setdefault(conversation_id, []).append(code)
    return {c.id: log_name(directory, c, codes.get(c.id, [])) for c in conversations}


# --- personal reminders ------------------------------------------------------------

@dataclass
class When:
    due_at: datetime
    repeat: str  # "" or "weekly"


def parse_when(text: str, now: datetime) -> tuple[When, str]:
    """The longest leading phrase of `text` that reads as a time, and the rest (the reminder's text).

    Only the first WHEN_WORDS words are tried, so a long reminder costs no more to read than a short one."""
    words = text.split()
    for count in range(min(len(words), WHEN_WORDS), 0, -1):
        when = _read_when(" ".join(words[:count]), now)
        if when is not None:
            if when.due_at <= now:
                raise InputError(f"“{' '.join(words[:count])}” is in the past ({when.due_at:%-d %b %Y %H:%M}). "
                                 f"Times that work: {WHEN_EXAMPLES}.")
            return when, " ".join(words[count:])
    tried = " ".join(words[:WHEN_WORDS]) + (" …" if len(words) > WHEN_WORDS else "")
    raise InputError(f"I couldn't read when to remind you in “{tried}”. Times that work: {WHEN_EXAMPLES}.")


def _read_when(phrase: str, now: datetime) -> When | None:
    every = _EVERY.match(phrase)
    if every:
        at = _time_of_day(every.group(2), now) if every.group(2) else DEFAULT_TIME
        if at is None:
            return None
        days_ahead = (WEEKDAYS.index(every.group(1).lower()) - now.weekday()) % 7
        due = _at(now.date() + timedelta(days=days_ahead), at)
        return When(due if due > now else due + timedelta(days=7), "weekly")
    if not re.search(r"\d|[a-z]", phrase, re.IGNORECASE):
        return None
    named = _NAMED_DAY.match(phrase)
    day = weekday_date(named.group(1), now) if named else None
    if day is not None:  # the days of the week as dates read them: `next friday` is next week's
        at = _time_of_day(named.group(2), now) if named.group(2) else DEFAULT_TIME
        return When(_at(day, at), "") if at else None
    parsed = dateparser.parse(phrase, languages=["en"], settings={
        "DATE_ORDER": "DMY", "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": now.replace(tzinfo=None), "RETURN_AS_TIMEZONE_AWARE": False,
    })
    if parsed is None:
        return None
    due = parsed.replace(tzinfo=now.tzinfo)
    if not _FROM_NOW.match(phrase) and not _TIME_OF_DAY.search(phrase):
        due = _at(due.date(), DEFAULT_TIME)
    return When(due, "")


def _time_of_day(text: str, now: datetime) -> time | None:
    parsed = dateparser.parse(text, languages=["en"], settings={"RELATIVE_BASE": now.replace(tzinfo=None)})
    return parsed.time() if parsed and _TIME_OF_DAY.search(text) else None


def add_reminder(session: Session, user: str, conversation: Conversation, when: When, text: str) -> Reminder:
    text = check_text("reminder", text, REMINDER_TEXT_MAX)
    reminder = Reminder(user_id=user, conversation_id=conversation.id, text=text, due_at=when.due_at,
                        repeat=when.repeat, created_at=clock.now())
    session.add(reminder)
    session.flush()
    return reminder


def open_reminders(session: Session, user: str) -> list[Reminder]:
    return list(session.exec(select(Reminder).where(Reminder.user_id == user, col(Reminder.closed_at).is_(None))
                             .order_by(col(Reminder.due_at))))


def _own_reminder(session: Session, reminder_id: int, user: str) -> Reminder:
    reminder = session.get(Reminder, reminder_id, populate_existing=True)
    if reminder is None or reminder.user_id != user:
        raise NotFound("That reminder is not one of yours.")
    return reminder


def close_reminder(session: Session, reminder_id: int, user: str, how: str) -> tuple[Reminder, bool]:
    """Cancel or finish a reminder (a one-off that was sent, too); only its owner may. Of presses at the same
    moment only the first changes it (a conditional update, decided by the row lock): (reminder, changed)."""
    closed = session.exec(update(Reminder).where(
        col(Reminder.id) == reminder_id, col(Reminder.user_id) == user,
        or_(col(Reminder.closed_at).is_(None), col(Reminder.closed_how) == "sent"),
    ).values(closed_at=clock.now(), closed_how=how))
    return _own_reminder(session, reminder_id, user), closed.rowcount == 1


def snooze_reminder(session: Session, reminder_id: int, user: str, until: datetime) -> tuple[Reminder, bool]:
    """Due again at `until`, open, unless it is already snoozed (open and due again before `until`): Snooze
    pressed twice, or at once on two screens, snoozes it once (a conditional update, decided by the row
    lock), and the later presses find it snoozed: (reminder, changed)."""
    # Open and due again by `until` (give or take the moments between presses at once): snoozed already.
    already = and_(col(Reminder.closed_at).is_(None), col(Reminder.due_at) > clock.now(),
                   col(Reminder.due_at) <= until + timedelta(minutes=1))
    snoozed = session.exec(update(Reminder).where(
        col(Reminder.id) == reminder_id, col(Reminder.user_id) == user, not_(already),
    ).values(due_at=until, closed_at=None, closed_how=""))
    return _own_reminder(session, reminder_id, user), snoozed.rowcount == 1


def after_sending(session: Session, reminder: Reminder) -> None:
    """A weekly reminder moves to next week; a one-off is finished (Snooze opens it again)."""
    if reminder.repeat == "weekly":
        # One that waited while its owner was away is sent once, then due again in the coming week.
        reminder.due_at += timedelta(days=7)
        while reminder.due_at <= clock.now():
            reminder.due_at += timedelta(days=7)
    else:
        reminder.closed_at, reminder.closed_how = clock.now(), "sent"
    session.add(reminder)


# --- the weekly digest -------------------------------------------------------------

@dataclass
class Moved:
    """A start or stage change in the week before a digest."""

    title: str  # the conversation's
    text: str
    by: str  # who made it: a Slack user id


@dataclass
class Digest:
    """A region's coverage as of an instant, for its weekly digest: /sc progress's figures,
    with the week's moves and the areas still to begin."""

    as_of: datetime
    progress: Progress
    moved: list[Moved]  # in the week before as_of, oldest first (starts, stages and delivery confidence)
    not_begun: dict[str, list[str]]  # HMA (or county, in a region without HMAs) -> area names
    disagreeing: list[Disagreement] = field(default_factory=list)  # confidence and the log, at as_of
    away: list[Absence] = field(default_factory=list)  # who is away at as_of, soonest back first

    @property
    def days_to_target(self) -> int:
        return (self.progress.target - self.as_of.date()).days

    @property
    def people(self) -> set[str]:
        """Everyone the digest names."""
        return {m.by for m in self.moved} | {a.user_id for a in self.away} | {a.deputy_user_id for a in self.away
                                                                           if a.deputy_user_id}


def digest(session: Session, directory: AreaDirectory, settings: ReminderSettings, as_of: datetime,
           team: Team | None = None) -> Digest:
    """The settings' region's digest (every area's, for settings of none). Of those away it names the ones of
    `team` (its staff, managers and channel) and the leads of the region's conversations; everyone, without."""
    scope = region_scope(directory, settings.region)
    progress = measure(session, directory, scope, as_of.date(), settings.target_date, before=as_of)
    begun = starts_by_area(session, as_of)
    areas = [directory.by_code[code] for code in scope.codes]
    by = groups_by(areas)
    not_begun: dict[str, list[str]] = {}
    for area in sorted(areas, key=lambda a: (group_of(a, by), a.name)):
        if area.code not in begun:
            not_begun.setdefault(group_of(area, by), []).append(area.name)
    mine = of_region(settings)
    moved = session.exec(
        select(Conversation.title, LogEntry.text, LogEntry.author_user_id)
        .join(Conversation, col(Conversation.id) == col(LogEntry.conversation_id))
        .where(col(LogEntry.kind).in_(["start", "stage", "confidence"]),
               col(LogEntry.created_at) > as_of - timedelta(days=7),
               col(LogEntry.created_at) <= as_of, *mine)
        .order_by(col(LogEntry.created_at), col(LogEntry.id))
    ).all()
    away = sorted(away_at(session, as_of).values(), key=lambda a: (a.back_on, a.user_id))
    if team is not None:
        leads = set(session.exec(select(Conversation.lead_user_id).where(*mine)))
        members = roster(session, team.channel) if team.channel else None
        away = [a for a in away if a.user_id in leads | team.staff | team.managers
                or (members is not None and members.includes(a.user_id))]
    return Digest(as_of, progress, [Moved(*row) for row in moved], not_begun,
                  disagreements(session, as_of, settings.stale_days, scope.codes if settings.region else None),
                  away)
