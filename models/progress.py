"""How far the region has got: coverage, the stage funnel, the pace and a plain status.

Every figure can be asked "as of" a past day. It is then read from the history
(when each conversation started, and its stage changes in the log), never from
today's state, so the answer for a day stays what it was on that day.

The cost follows the number of areas and conversations, not the log: one query
reads each begun area's start, and one reads the latest stage change of each
conversation through a partial index holding only stage changes.
"""
import functools
import math
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

import numpy as np
from sqlalchemy import func
from sqlmodel import Session, col, select

from models import clock
from models.areas import AreaDirectory, UnknownArea, county_or_kind, normalise
from models.errors import InputError
from models.regions import ENGLAND, REGIONS, region_named
from models.stages import STAGES
from models.tables import ActionItem, Area, Conversation, ConversationArea, LogEntry
from models.text import parse_date

WEEKS_SHOWN = 8
AS_OF = re.compile(r"(?i)\b(as of)\b")

# --- the forecast's rules (FORECAST_RULE and STATUS_RULE say them in words) ---
# The pace so far is read over the weeks since the first start, counted back from the day, at most this many;
# with fewer weeks since the first start, or fewer areas begun, than these, it is too early to project.
PACE_WEEKS = 8
MIN_WEEKS = 3
MIN_STARTS = 3
# The projection: this many runs of the coming weeks, each week's starts drawn at random from the weeks
# observed. Seeded, so the same history always gives the same answer.
RUNS = 5000
SEED = 2011
HORIZON_WEEKS = 260  # five years: a run not done by then is not done
# The status follows from the chance that every area has begun by the target date: on track from ON_TRACK_CHANCE
# (so the 85% date is on or before the target), at risk from AT_RISK_CHANCE (the 50% date is), off track below.
ON_TRACK_CHANCE = 0.85
AT_RISK_CHANCE = 0.5
ON_TRACK, AT_RISK, OFF_TRACK, TOO_EARLY = "on track", "at risk", "off track", "too early to tell"
FORECAST_RULE = (
    f"the pace so far is the areas begun per week over the weeks since the first start (at most the last "
    f"{PACE_WEEKS}); {RUNS:,} simulated runs of the coming weeks, each week's starts drawn at random from those "
    "of the weeks observed, give the chance that every area has begun by the target date and the dates by which "
    f"half and 85% of the runs have. Under {MIN_WEEKS} weeks or {MIN_STARTS} areas begun, it is too early to project."
)
STATUS_RULE = (
    f"On track: at least an {ON_TRACK_CHANCE:.0%} chance that every area has begun by the target date. "
    f"At risk: at least {AT_RISK_CHANCE:.0%}. Off track: less, or the target date has passed with areas not "
    f"begun. Too early to tell: fewer than {MIN_WEEKS} weeks since the first start or {MIN_STARTS} areas begun."
)


@dataclass(frozen=True)
class Scope:
    """The areas a progress answer covers: England, a region, a county, an HMA or one area."""

    name: str
    kind: str  # "england", "region", "county", "hma" or "area" ("all": every area loaded)
    codes: tuple[str, ...]
    region: str = ""  # the one region its areas lie in, whose target it is measured against ("": several)

    @property
    def is_england(self) -> bool:
        return self.kind == "england"


def region_scope(directory: AreaDirectory, region: str) -> Scope:
    """Every area of `region`; every area loaded when none of `region`'s is."""
    if region not in directory.regions:
        regions = directory.regions
        name = regions[0] if len(regions) == 1 else "all areas"
        return Scope(name, "all", tuple(a.code for a in directory.areas), name if len(regions) == 1 else "")
    return Scope(region, "region", tuple(a.code for a in directory.within(region).areas), region)


def england_scope(directory: AreaDirectory) -> Scope:
    return Scope(ENGLAND, "england", tuple(a.code for a in directory.areas))


def scope_of(directory: AreaDirectory, text: str, region: str = "") -> Scope:
    """What `/sc progress <text>` covers, asked from `region`'s team: an empty text means the region (every area
    when none is given); a county, HMA or area is looked for in the region first, then anywhere."""
    text = text.strip()
    if not text:
        return region_scope(directory, region)
    named = region_named(text)
    if named == ENGLAND:
        return england_scope(directory)
    if named:
        if named not in directory.regions:
            raise InputError(f"No area of {named} is loaded yet, so there is no progress to show for it.")
        return region_scope(directory, named)
    key = normalise(text)
    own = directory.within(region)
    for place in (own, directory):
        members = tuple(a.code for a in place.areas if normalise(a.county) == key)
        if members:
            return _scope(directory, place.by_code[members[0]].county, "county", members)
    try:
        group = directory.region_first(region).resolve(text)
    except UnknownArea as error:
        counties = sorted({a.county for a in own.areas or directory.areas if a.county})
        raise InputError(
            f"I don't know an area group called “{text}”. Name a county (such as "
            f"{counties[0] if counties else 'Derbyshire'}), an HMA or an area"
            + (f"; did you mean {' or '.join(error.suggestions)}?" if error.suggestions else ".")
            + " `/sc areas` lists them."
        ) from None
    return _scope(directory, group.name, group.kind, group.codes)


def _scope(directory: AreaDirectory, name: str, kind: str, codes: tuple[str, ...]) -> Scope:
    regions = {directory.by_code[code].region for code in codes}
    return Scope(name, kind, codes, regions.pop() if len(regions) == 1 else "")


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
    """Where the pace so far leads, and the status it earns (FORECAST_RULE, STATUS_RULE)."""

    weekly: tuple[int, ...]  # areas begun in each week observed, oldest first (at most PACE_WEEKS)
    pace_so_far: float | None  # their mean, areas a week; None while it is too early to project
    pace_needed: float | None  # areas a week from now to the target; None once it has passed
    chance: float | None  # the share of runs with every area begun by the target; None while too early
    p50: date | None  # the day half the runs have every area begun by (None: not within HORIZON_WEEKS)
    p85: date | None  # the day 85% of them have
    status: str
    reason: str


@dataclass(frozen=True)
class Progress(Forecast):
    """The figures as they stood on `as_of`, with their forecast; made whole by `measure`."""

    scope: Scope
    as_of: date
    target: date
    total: int
    groups_by: str  # what `groups` is broken down by: "region", "HMA" or "county" (groups_by)
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
    region: str = ""  # whose team asked: where `group_text` is looked for first

    @property
    def today(self) -> bool:
        return self.as_of == clock.today()


def parse_progress(directory: AreaDirectory, args: str, now: datetime, region: str = "") -> ProgressRequest:
    """Asked from `region`'s team (its channel, or one of its members): a place is looked for there first."""
    words = args.split()
    flags = {w.lower() for w in words} & {"share", "chart"}
    text = " ".join(w for w in words if w.lower() not in ("share", "chart"))
    group_text, as_of_said, day_text = AS_OF.split(text, maxsplit=1) if AS_OF.search(text) else (text, "", "")
    as_of = parse_as_of(day_text, now) if as_of_said else now.date()
    return ProgressRequest(scope_of(directory, group_text, region), as_of, "share" in flags, "chart" in flags,
                           group_text.strip(), region)


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


@dataclass(frozen=True)
class History:
    """What the figures of any scope are read from, up to an instant: each begun area's start, and each
    conversation's stage by then. Read once, it serves every region of England's answer."""

    starts: dict[str, tuple[int, datetime]]
    stages: dict[int, str]


def read_history(session: Session, before: datetime) -> History:
    return History(starts_by_area(session, before), stages_as_of(session, before))


# What a scope's areas are counted by: several regions by region; a region by HMA where it has them (the East
# Midlands), else by county, an area outside any county with the others of its kind ("London boroughs"). Areas
# outside any region or HMA are counted together, under a name saying so.
NOT_IN = {"region": "No region", "HMA": "Not in an HMA"}


def groups_by(areas: list[Area]) -> str:
    if len({a.region for a in areas}) > 1:
        return "region"
    if any(a.hma for a in areas):
        return "HMA"
    return "county" if any(a.county for a in areas) else "kind of authority"  # London has no counties


def group_of(area: Area, by: str) -> str:
    if by in NOT_IN:
        return (area.region if by == "region" else area.hma) or NOT_IN[by]
    return county_or_kind(area)


def measure(session: Session, directory: AreaDirectory, scope: Scope, as_of: date, target: date,
            before: datetime | None = None, history: History | None = None) -> Progress:
    """Progress as it stood on `as_of`; history is read up to `before` (default: the end of that day),
    so a digest due at 09:00 counts only what had happened by 09:00, unless `history` is given, read so."""
    history = history or read_history(session, before or end_of(as_of))
    wanted = set(scope.codes)
    starts = {code: start for code, start in history.starts.items() if code in wanted}
    start_day = {code: clock.local(started_at).date() for code, (_, started_at) in starts.items()}
    funnel = dict.fromkeys(STAGES, 0)
    for conversation_id in {conversation_id for conversation_id, _ in starts.values()}:
        funnel[history.stages.get(conversation_id, "engaged")] += 1

    areas = [directory.by_code[code] for code in scope.codes]
    by = groups_by(areas)
    groups = _tallies(areas, start_day, lambda a: group_of(a, by))
    # Counted by county as well, unless that is what the groups are.
    counties = (() if by in ("county", "kind of authority")
                else _tallies([a for a in areas if a.county], start_day, lambda a: a.county))

    this_monday = as_of - timedelta(days=as_of.weekday())
    mondays = [this_monday - timedelta(weeks=n) for n in range(WEEKS_SHOWN - 1, -1, -1)]
    weeks = []
    for monday in mondays:
        codes = [code for code, day in start_day.items() if monday <= day < monday + timedelta(weeks=1)]
        weeks.append(Week(monday, len({starts[code][0] for code in codes}), len(codes)))

    start_days = tuple(sorted(start_day.values()))
    return Progress(
        scope=scope, as_of=as_of, target=target, total=len(areas), groups_by=by, groups=groups,
        counties=counties, funnel=funnel, weeks=tuple(weeks), start_days=start_days,
        **vars(forecast(start_days, len(areas), as_of, target)),
    )


@dataclass(frozen=True)
class National:
    """England at a glance: the country's progress, and each region's against its own target."""

    england: Progress
    regions: tuple[Progress, ...]  # the regions with areas loaded, in ONS order


def measure_england(session: Session, directory: AreaDirectory, as_of: date, targets: dict[str, date],
                    national_target: date) -> National:
    """Each region measured as `/sc progress <region> as of <as_of>` measures it (`targets`: each region's
    target date, `national_target` for England's and any region without one), from one reading of the history."""
    history = read_history(session, end_of(as_of))
    regions = tuple(measure(session, directory, region_scope(directory, region), as_of,
                            targets.get(region, national_target), history=history)
                    for region in REGIONS if region in directory.regions)
    return National(measure(session, directory, england_scope(directory), as_of, national_target, history=history),
                    regions)


def target_of(scope: Scope, targets: dict[str, date], national_target: date) -> date:
    """The target date a scope is measured against: its region's, else (England, or areas of several) the national."""
    return targets.get(scope.region, national_target)


def _tallies(areas: list[Area], start_day: dict[str, date], key) -> tuple[Tally, ...]:
    totals: dict[str, list[int]] = {}
    for area in areas:
        counts = totals.setdefault(key(area), [0, 0])
        counts[0] += area.code in start_day
        counts[1] += 1
    return tuple(Tally(name, begun, total) for name, (begun, total) in sorted(totals.items()))


def weekly_starts(start_days: tuple[date, ...], as_of: date) -> tuple[int, ...]:
    """Areas begun in each week observed, oldest first: the weeks counted back from `as_of` (its last day) to
    the first start, at most PACE_WEEKS. The oldest may begin up to six days before the first start, days
    counted as observed with nothing begun: so no start is left out, and the pace is never overstated."""
    if not start_days:
        return ()
    weeks = min(PACE_WEEKS, math.ceil(((as_of - start_days[0]).days + 1) / 7))
    counts = [0] * weeks
    for day in start_days:
        back = (as_of - day).days // 7  # 0: the week ending on as_of
        if 0 <= back < weeks:
            counts[weeks - 1 - back] += 1
    return tuple(counts)


def forecast(start_days: tuple[date, ...], total: int, as_of: date, target: date) -> Forecast:
    """The pace so far and needed, the simulated outlook and the status (FORECAST_RULE, STATUS_RULE), for
    `total` areas of which those begun began on `start_days` (in order)."""
    remaining = total - len(start_days)
    weekly = weekly_starts(start_days, as_of)
    to_target = (target - as_of).days
    pace_needed = remaining / (to_target / 7) if to_target > 0 else None
    if remaining == 0:
        done = start_days[-1] if start_days else as_of
        return Forecast(weekly, _mean(weekly), pace_needed, 1.0, done, done, ON_TRACK, "every area has begun")
    passed = f"the target date has passed with {remaining} areas not begun"
    if not start_days or (as_of - start_days[0]).days + 1 < 7 * MIN_WEEKS or len(start_days) < MIN_STARTS:
        return Forecast(weekly, None, pace_needed, None, None, None, *(
            (OFF_TRACK, passed) if to_target <= 0 else (TOO_EARLY, _too_early(start_days))))
    done_weeks = finishing_weeks(weekly, remaining, max(0, to_target // 7))
    chance = float((done_weeks <= to_target // 7).mean()) if to_target > 0 else 0.0
    p50, p85 = (_percentile_day(done_weeks, share, as_of) for share in (0.5, 0.85))
    outlook = Forecast(weekly, _mean(weekly), pace_needed, chance, p50, p85, "", "")
    if to_target <= 0:
        return replace(outlook, status=OFF_TRACK, reason=passed)
    if not any(weekly):
        return replace(outlook, status=OFF_TRACK, reason=f"no area has begun in the last {len(weekly)} weeks")
    status = ON_TRACK if chance >= ON_TRACK_CHANCE else AT_RISK if chance >= AT_RISK_CHANCE else OFF_TRACK
    return replace(outlook, status=status,
                   reason=f"every area has begun by the target date in {runs_share(chance)} simulated runs")


def _mean(weekly: tuple[int, ...]) -> float | None:
    return sum(weekly) / len(weekly) if len(weekly) >= MIN_WEEKS else None


def _too_early(start_days: tuple[date, ...]) -> str:
    if not start_days:
        return "no area has begun yet"
    if len(start_days) < MIN_STARTS:
        begun = "1 area has" if len(start_days) == 1 else f"{len(start_days)} areas have"
        return f"only {begun} begun, too few to project"
    return f"the first area began under {MIN_WEEKS} weeks ago, too soon to project"


def runs_share(chance: float) -> str:
    """How many of the runs, in words: “all 5,000”, “62% of the 5,000”, never a rounded 0% or 100%."""
    if chance in (0, 1):
        return f"{'all' if chance else 'none of the'} {RUNS:,}"
    said = f"{chance:.0%}"
    said = {"100%": "over 99%", "0%": "under 1%"}.get(said, said)
    return f"{said} of the {RUNS:,}"


def _percentile_day(done_weeks: np.ndarray, share: float, as_of: date) -> date | None:
    """The day by which `share` of the runs have every area begun (None: not within HORIZON_WEEKS)."""
    weeks = int(done_weeks[math.ceil(share * len(done_weeks)) - 1])
    return as_of + timedelta(weeks=weeks) if weeks <= HORIZON_WEEKS else None


def _runs(weekly: tuple[int, ...]):
    """The runs' areas begun in the coming weeks, CHUNK_WEEKS at a time: (RUNS, CHUNK_WEEKS) arrays of
    running totals, each week's starts drawn from `weekly`; the same for the same `weekly`, every time."""
    rng = np.random.default_rng(SEED)
    observed = np.array(weekly, dtype=np.int32)
    total = np.zeros((RUNS, 1), dtype=np.int32)
    while True:
        draws = observed[rng.integers(0, len(observed), size=(RUNS, CHUNK_WEEKS))]
        running = total + np.cumsum(draws, axis=1, dtype=np.int32)
        total = running[:, -1:]
        yield running


CHUNK_WEEKS = 52
NEVER = np.iinfo(np.int32).max


@functools.lru_cache(maxsize=256)
def finishing_weeks(weekly: tuple[int, ...], remaining: int, weeks_wanted: int) -> np.ndarray:
    """The week each run has every area begun in (1: the week after the day), sorted; NEVER for runs not done
    by the last week simulated. Weeks are simulated until `weeks_wanted` are and 85% of the runs are done, or
    HORIZON_WEEKS; so the chance by the target and the 50% and 85% dates are exact for the runs. Kept, since
    /sc progress asks the same question of the same history again and again (the result is read-only)."""
    done = np.full(RUNS, NEVER, dtype=np.int32)
    if any(weekly):
        simulated = 0
        for running in _runs(weekly):
            finished = running >= remaining
            first = np.argmax(finished, axis=1)
            now_done = (done == NEVER) & finished[:, -1]
            done[now_done] = simulated + 1 + first[now_done]
            simulated += running.shape[1]
            if simulated >= HORIZON_WEEKS or (simulated >= weeks_wanted and (done != NEVER).mean() >= 0.85):
                break
    done.sort()
    done.setflags(write=False)
    return done


def coverage_band(p: "Progress", weeks: int, shares: tuple[float, ...] = (0.15, 0.5, 0.85)) -> list[tuple]:
    """For each of the next `weeks` weeks, its last day and the areas begun by then at each share of the runs
    (the burn-up chart's band): the 15% line reaches every area on the 85% date, the 50% line on the 50% date."""
    if p.pace_so_far is None or not any(p.weekly) or not p.remaining:
        return []
    rows = []
    for running in _runs(p.weekly):
        levels = np.quantile(running, shares, axis=0, method="inverted_cdf")
        for column in range(running.shape[1]):
            if len(rows) == weeks:
                return rows
            rows.append((p.as_of + timedelta(weeks=len(rows) + 1),
                         *(min(p.total, p.begun + int(level[column])) for level in levels)))
    return rows


# --- what mentions ask ---------------------------------------------------------------

def not_begun(session: Session, directory: AreaDirectory, scope: Scope) -> list[Area]:
    begun = set(session.exec(select(ConversationArea.area_code)))
    return sorted((directory.by_code[code] for code in scope.codes if code not in begun), key=lambda a: a.name)


def overdue_actions(session: Session, today: date, region: str | None = None) -> list[tuple[ActionItem, str]]:
    """Open actions due before today (of `region`'s conversations alone, if given), the longest overdue first,
    with their conversation's title."""
    query = (select(ActionItem, Conversation.title)
             .join(Conversation, col(Conversation.id) == col(ActionItem.conversation_id))
             .where(col(ActionItem.done_at).is_(None), col(ActionItem.due_on) < today))
    if region is not None:
        query = query.where(Conversation.region == region)
    rows = session.exec(query.order_by(col(ActionItem.due_on), col(ActionItem.id))).all()
    return [(action, title) for action, title in rows]


# --- the report --------------------------------------------------------------------

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
    by = groups_by([line.area for line in lines])
    order = {region: n for n, region in enumerate(REGIONS)}
    return sorted(lines, key=lambda line: (order.get(line.area.region, len(order)), group_of(line.area, by),
                                           line.area.name))


def stalled(lines: list[AreaLine], as_of: date, quiet_days: int) -> list[AreaLine]:
    """Begun areas at risk of stalling: no entry in their conversation for over `quiet_days` by the end of the
    day, the quietest first. `quiet_days` is the team's one quiet-days setting, the one that nudges leads."""
    quiet_since = end_of(as_of) - timedelta(days=quiet_days)
    quiet = [line for line in lines if line.begun and line.last_activity and line.last_activity < quiet_since]
    return sorted(quiet, key=lambda line: line.last_activity)
