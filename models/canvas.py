"""A region's coverage canvas in its team channel: what it says, and the record of where it is.

It shows the region's coverage and forecast, then every area by HMA (by county, in a region without HMAs) with
its conversation's stage, lead, delivery confidence, days since its last log entry and next open action, as they
stand today. Read here as plain data; bot/views/canvas.py writes it as markdown, and jobs/canvas.py puts it in Slack.

What it shows moves only when a log entry is written (every change to a conversation writes one: a start,
a note, a stage, an action and its Done, new details, a delivery confidence), when the day turns (days since, the forecast as of
today) or when the target date moves. `change_marks` names that state in a few characters, so the clock
can tell every few seconds, without drawing the canvas, whether the one in Slack is behind; it is brought
level at most once a minute (EDIT_SPACING), so a burst of changes makes an edit or two.
"""
import itertools
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from models import clock
from models.areas import AreaDirectory
from models.confidence import latest_assessments
from models.conversations import open_actions, stages_by_area
from models.progress import NOT_IN, Progress, group_of, groups_by, measure, region_scope
from models.tables import ActionItem, ConfidenceAssessment, LogEntry, TeamCanvas

# The canvas is edited no sooner than this after Slack last took its content.
EDIT_SPACING = timedelta(minutes=1)


@dataclass(frozen=True)
class AreaRow:
    """One area as the canvas shows it; an area not begun has only its name."""

    name: str
    stage: str = ""  # "" while not begun
    lead_user_id: str = ""
    quiet_days: int | None = None  # whole days since its conversation's last log entry
    next_action: ActionItem | None = None  # its conversation's first open action: the soonest due, else the oldest
    confidence: ConfidenceAssessment | None = None  # its conversation's delivery confidence that stands

    @property
    def begun(self) -> bool:
        return bool(self.stage)


@dataclass(frozen=True)
class HmaRows:
    name: str
    rows: tuple[AreaRow, ...]

    @property
    def begun(self) -> int:
        return sum(row.begun for row in self.rows)


@dataclass(frozen=True)
class CanvasContent:
    progress: Progress  # the whole region's, as of today
    hmas: tuple[HmaRows, ...]  # by name (HMA, or county where the region has no HMAs), areas in none last


def canvas_content(session: Session, directory: AreaDirectory, region: str, today: date,
                   target: date) -> CanvasContent:
    """`region`'s canvas (every area's, when none of its areas is loaded)."""
    scope = region_scope(directory, region)
    progress = measure(session, directory, scope, today, target)
    conversations = stages_by_area(session)
    shown = {conversations[code].id for code in scope.codes if code in conversations}
    next_actions: dict[int, ActionItem] = {}
    for action in open_actions(session):  # soonest due first, then undated oldest first
        if action.conversation_id in shown:
            next_actions.setdefault(action.conversation_id, action)
    confidence = latest_assessments(session, shown)

    def row(area) -> AreaRow:
        conversation = conversations.get(area.code)
        if conversation is None:
            return AreaRow(area.name)
        return AreaRow(area.name, conversation.stage, conversation.lead_user_id,
                       (today - clock.local(conversation.last_activity_at).date()).days,
                       next_actions.get(conversation.id), confidence.get(conversation.id))

    areas = [directory.by_code[code] for code in scope.codes]
    by = groups_by(areas)
    # Areas in no group (no HMA, no county) last.
    in_order = sorted(areas, key=lambda a: (group_of(a, by) == NOT_IN.get(by), group_of(a, by), a.name))
    return CanvasContent(progress, tuple(
        HmaRows(group, tuple(row(area) for area in members))
        for group, members in itertools.groupby(in_order, key=lambda a: group_of(a, by))))


def change_marks(session: Session, today: date, targets: dict[str, date]) -> dict[str, str]:
    """What each region's canvas depends on, in a few characters: the latest log entry (anywhere: one indexed
    read, where a region's own would scan its entries; a canvas a change leaves as it was is not edited, by its
    content hash), the day and the region's target date."""
    latest = session.exec(select(func.max(LogEntry.id))).one() or 0
    return {region: f"{latest}/{today.isoformat()}/{target.isoformat()}" for region, target in targets.items()}


# --- where it is ------------------------------------------------------------------------

def canvas_of(session: Session, channel: str) -> TeamCanvas:
    """The channel's canvas record, made empty (no canvas yet) when there is none."""
    canvas = session.get(TeamCanvas, channel)
    if canvas is None:
        canvas = TeamCanvas(channel_id=channel)
        session.add(canvas)
    return canvas


def is_behind(session: Session, channel: str, mark: str, now: datetime) -> bool:
    """Whether the canvas shows less than `mark` and may be edited at `now` (real time)."""
    canvas = session.get(TeamCanvas, channel)
    if canvas is None:
        return True
    spaced = canvas.changed_at is None or now - canvas.changed_at >= EDIT_SPACING
    return canvas.shown_mark != mark and spaced


def record_created(session: Session, channel: str, canvas_id: str, kind: str) -> None:
    """A canvas is in Slack: recorded at once, so that no run ever makes a second one."""
    canvas = canvas_of(session, channel)
    canvas.canvas_id, canvas.kind, canvas.shared = canvas_id, kind, kind == "channel"
    canvas.content_hash, canvas.problem = "", ""


def record_shared(session: Session, channel: str) -> None:
    canvas_of(session, channel).shared = True


def forget_canvas(session: Session, channel: str) -> None:
    """Slack says the canvas is gone (someone deleted it): the next run makes another."""
    canvas = canvas_of(session, channel)
    canvas.canvas_id, canvas.kind, canvas.shared, canvas.content_hash = "", "", False, ""


def record_shown(session: Session, channel: str, mark: str, content_hash: str, sent_at: datetime | None) -> None:
    """The canvas shows `mark`; `sent_at` is when its content went to Slack (None: it was already so)."""
    canvas = canvas_of(session, channel)
    canvas.shown_mark, canvas.content_hash, canvas.problem = mark, content_hash, ""
    canvas.changed_at = sent_at or canvas.changed_at


def record_problem(session: Session, channel: str, mark: str, problem: str) -> bool:
    """Slack refused to make the canvas: nothing is tried again until something changes. True when this
    is a new refusal, to be told."""
    canvas = canvas_of(session, channel)
    new = canvas.problem != problem
    canvas.shown_mark, canvas.problem = mark, problem
    return new
