"""How far the region has got: coverage, the stage funnel, the pace and a plain status.

Every figure can be asked "as of" a past day. It is then read from the history
(when each conversation started, and its stage changes in the log), never from
today's state, so the answer for a day stays what it was on that day.

The cost follows the number of areas and conversations, not the log: one query
reads each begun area's start, and one reads the latest stage change of each
conversation through a partial index holding only stage changes.
"""
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import clock
from models.areas import AreaDirectory, UnknownArea, normalise
from models.errors import InputError
from models.stages import STAGES
from models.tables import ActionItem, Area, Conversation, ConversationArea, LogEntry
from models.text import parse_date

WEEKS_SHOWN = 8
# The pace so far is the areas begun per week over this many weeks (fewer, if the first start was later).
PACE_WEEKS = 8
# At least this share of the pace needed still counts as "at risk" rather than "off track".
AT_RISK_SHARE = 0.75
AS_OF = re.compile(r"(?i)\b(as of)\b")
ON_TRACK, AT_RISK, OFF_TRACK = "on track", "at risk", "off track"
STATUS_RULE = (
    "On track: the pace so far (areas begun in the last 8 weeks, per week) begins every area by the target date. "
    "At risk: it is at least three quarters of the pace needed. "
    "Off track: less, or the target date has passed with areas not begun."
)


@dataclass(frozen=True)
class Scope:
    """The areas a progress answer covers: the whole list, a region, a county, an HMA or one area."""

    name: str
    kind: str  # "all", "region", "county", "hma" or "area"
    codes: tuple[str, ...]


def scope_of(directory: AreaDirectory, text: str) -> Scope:
    """What `/sc progress <text>` covers; an empty text means every area."""
    text = text.strip()
    if not text:
        regions = sorted({a.region for a in directory.areas if a.region})
        name = regions[0] if len(regions) == 1 else "all areas"
        return Scope(name, "all", tuple(a.code for a in directory.areas))
    key = normalise(text)
    for kind, attribute in (("county", "county"), ("region", "region")):
        members = tuple(a.code for a in directory.areas if normalise(getattr(a, attribute)) == key)
        if members:
            return Scope(getattr(directory.by_code[members[0]], attribute), kind, members)
    try:
        group = directory.resolve(text)
    except UnknownArea as error:
        counties = sorted({a.county for a in directory.areas if a.county})
        raise InputError(
            f"I don't know an area group called “{text}”. Name a county (such as {counties[0] if counties else 'Derbyshire'}),"
            " an HMA or an area" + (f"; did you mean {' or '.join(error.suggestions)}?" if error.suggestions else ".")
            + " `/sc areas` lists them."
        ) from None
    return Scope(group.name, group.kind, group.codes)


@dataclass(frozen=True)
class Tally:
    name: str
    begun: int
    total: int


@dataclass(frozen=True)
class Week:
    monday: date
    conversations: int  # conversations started that week
    areas: int  # areas they cover


@dataclass(frozen=True)
class Forecast:
    """Where the pace so far leads, and the status it earns (STATUS_RULE)."""

    pace_needed: float | None  # areas a week from now to the target; None once it has passed
    pace_so_far: float  # areas a week lately
    projected: date | None  # when every area will have begun at the pace so far
    status: str
    reason: str


@dataclass(frozen=True)
class Progress(Forecast):
    """The figures as they stood on `as_of`, with their forecast; made whole by `measure`."""

    scope: Scope
    as_of: date
    target: date
    total: int
    groups_by: str  # what `groups` is broken down by: "HMA" or "region"
    groups: tuple[Tally, ...]
    counties: tuple[Tally, ...]
    funnel: dict[str, int]  # stage -> conversations at it
    weeks: tuple[Week, ...]
    start_days: tuple[date, ...]  # the day each begun area began, in order (the burn-up chart's)

    @property
    def begun(self) -> int:
        return len(self.start_days)

    @property
    def remaining(self) -> int:
        return self.total - self.begun

    @property
    def share(self) -> float:
        return self.begun / self.total if self.total else 0.0


@dataclass(frozen=True)
class ProgressRequest:
    """`/sc progress [group] [share] [as of DATE] [chart]`, read."""

    scope: Scope
    as_of: date
    share: bool
    chart: bool
    group_text: str  # as typed, for a job to read again

    @property
    def today(self) -> bool:
        return self.as_of == clock.today()


def parse_progress(directory: AreaDirectory, args: str, now: datetime) -> ProgressRequest:
    words = args.split()
    flags = {w.lower() for w in words} & {"share", "chart"}
    text = " ".join(w for w in words if w.lower() not in ("share", "chart"))
    group_text, as_of_said, day_text = AS_OF.split(text, maxsplit=1) if AS_OF.search(text) else (text, "", "")
    as_of = parse_as_of(day_text, now) if as_of_said else now.date()
    return ProgressRequest(scope_of(directory, group_text), as_of, "share" in flags, "chart" in flags,
                           group_text.strip())


def parse_as_of(text: str, now: datetime) -> date:
    """The day in `as of <day>`; refused when it has not happened yet."""
    if not text.strip():
        raise InputError("As of which day? For example `/sc progress as of 2010-12-01`.")
    day = parse_date(text, now)
    if day > now.date():
        raise InputError(f"{day:%-d %b %Y} has not happened yet, so there is no progress to show as of then. "
                         "Give a past day, such as `as of 2010-12-01`.")
    return day


def end_of(day: date) -> datetime:
    """The first instant after `day` in the team's timezone: history is read up to here."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=clock.now().tzinfo)


def starts_by_area(session: Session, before: datetime) -> dict[str, tuple[int, datetime]]:
    """Each area begun before `before`: its conversation and when it started."""
    rows = session.exec(
        select(ConversationArea.area_code, Conversation.id, Conversation.started_at)
        .join(Conversation, col(Conversation.id) == col(ConversationArea.conversation_id))
        .where(col(Conversation.started_at) < before)
    ).all()
    return {code: (conversation_id, started_at) for code, conversation_id, started_at in rows}


def stages_as_of(session: Session, before: datetime) -> dict[int, str]:
    """Each conversation's stage as it stood just before `before`: its latest stage change by then."""
    latest = (
        select(LogEntry.conversation_id, LogEntry.stage_to, func.row_number().over(
            partition_by=LogEntry.conversation_id,
            order_by=(col(LogEntry.created_at).desc(), col(LogEntry.id).desc()),
        ).label("newest"))
        .where(col(LogEntry.stage_to) != "", col(LogEntry.created_at) < before)
        .subquery()
    )
    return dict(session.exec(select(latest.c.conversation_id, latest.c.stage_to).where(latest.c.newest == 1)).all())


def measure(session: Session, directory: AreaDirectory, scope: Scope, as_of: date, target: date,
            before: datetime | None = None) -> Progress:
    """Progress as it stood on `as_of`; history is read up to `before` (default: the end of that day),
    so a digest due at 09:00 counts only what had happened by 09:00."""
    before = before or end_of(as_of)
    wanted = set(scope.codes)
    starts = {code: start for code, start in starts_by_area(session, before).items() if code in wanted}
    start_day = {code: clock.local(started_at).date() for code, (_, started_at) in starts.items()}
    stages = stages_as_of(session, before)
    funnel = dict.fromkeys(STAGES, 0)
    for conversation_id in {conversation_id for conversation_id, _ in starts.values()}:
        funnel[stages.get(conversation_id, "engaged")] += 1

    areas = [directory.by_code[code] for code in scope.codes]
    several_regions = len({a.region for a in areas}) > 1
    groups_by = "region" if several_regions else "HMA"
    groups = _tallies(areas, start_day, lambda a: a.region if several_regions else a.hma)
    counties = _tallies([a for a in areas if a.county], start_day, lambda a: a.county)

    this_monday = as_of - timedelta(days=as_of.weekday())
    mondays = [this_monday - timedelta(weeks=n) for n in range(WEEKS_SHOWN - 1, -1, -1)]
    weeks = []
    for monday in mondays:
        codes = [code for code, day in start_day.items() if monday <= day < monday + timedelta(weeks=1)]
        weeks.append(Week(monday, len({starts[code][0] for code in codes}), len(codes)))

    start_days = tuple(sorted(start_day.values()))
    return Progress(
        scope=scope, as_of=as_of, target=target, total=len(areas), groups_by=groups_by, groups=groups,
        counties=counties, funnel=funnel, weeks=tuple(weeks), start_days=start_days,
        **vars(forecast(start_days, len(areas), as_of, target)),
    )


def _tallies(areas: list[Area], start_day: dict[str, date], key) -> tuple[Tally, ...]:
    totals: dict[str, list[int]] = {}
    for area in areas:
        counts = totals.setdefault(key(area) or "(none)", [0, 0])
        counts[0] += area.code in start_day
        counts[1] += 1
    return tuple(Tally(name, begun, total) for name, (begun, total) in sorted(totals.items()))


def forecast(start_days: tuple[date, ...], total: int, as_of: date, target: date) -> Forecast:
    """The pace needed, the pace so far, the projected date and the status (STATUS_RULE), for `total`
    areas of which those begun began on `start_days` (in order)."""
    remaining = total - len(start_days)
    pace_so_far = 0.0
    if start_days:
        span = min(PACE_WEEKS * 7, max(7, (as_of - start_days[0]).days + 1))
        recent = sum(1 for day in start_days if (as_of - day).days < span)
        pace_so_far = recent / (span / 7)
    if remaining == 0:
        return Forecast(0.0, pace_so_far, start_days[-1] if start_days else as_of, ON_TRACK, "every area has begun")
    projected = as_of + timedelta(days=math.ceil(remaining / pace_so_far * 7)) if pace_so_far else None
    if as_of >= target:
        return Forecast(None, pace_so_far, projected, OFF_TRACK,
                        f"the target date has passed with {remaining} areas not begun")
    pace_needed = remaining / ((target - as_of).days / 7)
    if projected and projected <= target:
        return Forecast(pace_needed, pace_so_far, projected, ON_TRACK,
                        "at the pace so far every area begins by the target date")
    if pace_so_far >= AT_RISK_SHARE * pace_needed:
        return Forecast(pace_needed, pace_so_far, projected, AT_RISK,
                        "the pace so far is a little short of the pace needed")
    return Forecast(pace_needed, pace_so_far, projected, OFF_TRACK, "the pace so far is well short of the pace needed")


# --- what mentions ask ---------------------------------------------------------------

def not_begun(session: Session, directory: AreaDirectory, scope: Scope) -> list[Area]:
    begun = set(session.exec(select(ConversationArea.area_code)))
    return sorted((directory.by_code[code] for code in scope.codes if code not in begun), key=lambda a: a.name)


def overdue_actions(session: Session, today: date) -> list[tuple[ActionItem, str]]:
    """Open actions due before today, the longest overdue first, with their conversation's title."""
    rows = session.exec(
        select(ActionItem, Conversation.title)
        .join(Conversation, col(Conversation.id) == col(ActionItem.conversation_id))
        .where(col(ActionItem.done_at).is_(None), col(ActionItem.due_on) < today)
        .order_by(col(ActionItem.due_on), col(ActionItem.id))
    ).all()
    return [(action, title) for action, title in rows]


# --- the report --------------------------------------------------------------------

# A begun area whose conversation has had no activity for this long is at risk of stalling.
STALLED_DAYS = 28


@dataclass(frozen=True)
class AreaLine:
    """One area in the report, as it stood on the day."""

    area: Area
    title: str = ""  # its conversation's
    stage: str = ""
    lead_user_id: str = ""  # the lead today: lead changes are not kept as history
    started_on: date | None = None
    last_activity: datetime | None = None

    @property
    def begun(self) -> bool:
        return self.started_on is not None


def area_lines(session: Session, directory: AreaDirectory, scope: Scope, as_of: date) -> list[AreaLine]:
    before = end_of(as_of)
    starts = starts_by_area(session, before)
    stages = stages_as_of(session, before)
    in_scope = set(scope.codes)
    wanted = {conversation_id for code, (conversation_id, _) in starts.items() if code in in_scope}
    conversations = {c.id: c for c in session.exec(select(Conversation).where(col(Conversation.id).in_(wanted)))}
    last = dict(session.exec(
        select(LogEntry.conversation_id, func.max(LogEntry.created_at))
        .where(col(LogEntry.conversation_id).in_(wanted), col(LogEntry.created_at) < before)
        .group_by(LogEntry.conversation_id)
    ).all())
    lines = []
    for code in scope.codes:
        area = directory.by_code[code]
        if code not in starts:
            lines.append(AreaLine(area))
            continue
        conversation_id, started_at = starts[code]
        conversation = conversations[conversation_id]
        lines.append(AreaLine(area, conversation.title, stages.get(conversation_id, "engaged"),
                              conversation.lead_user_id, clock.local(started_at).date(),
                              last.get(conversation_id)))
    return sorted(lines, key=lambda line: (line.area.hma, line.area.name))


def stalled(lines: list[AreaLine], as_of: date) -> list[AreaLine]:
    """Begun areas with no activity in the STALLED_DAYS before the day, the quietest first."""
    quiet = [line for line in lines if line.begun and line.last_activity
             and (as_of - clock.local(line.last_activity).date()).days >= STALLED_DAYS]
    return sorted(quiet, key=lambda line: line.last_activity)

