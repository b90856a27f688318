"""The database tables. Times are aware datetimes, kept in UTC."""
from datetime import date, datetime

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel, UniqueConstraint


class Area(SQLModel, table=True):
    """A local housing authority area, with the groups it belongs to."""

    code: str = Field(primary_key=True)  # GSS code, e.g. E07000032
    name: str = Field(index=True)
    official_name: str = ""
    kind: str = ""  # "Unitary authority" or "Shire district"
    county: str = ""  # empty for unitaries
    old_ons_code: str = ""  # e.g. 17UB
    region: str = ""
    hma: str = ""  # Housing Market Area
    successor_code: str = ""  # for areas abolished since (Northamptonshire, 2021)
    successor_name: str = ""


class Conversation(SQLModel, table=True):
    """A Single Conversation, covering one area or several (an HMA)."""

    id: int | None = Field(default=None, primary_key=True)
    title: str  # the area's or HMA's name, or the names of the areas it covers
    lead_user_id: str
    stage: str = "engaged"
    started_at: datetime
    started_by: str
    last_activity_at: datetime
    contacts: str = ""
    first_meeting_on: date | None = None
    notes: str = ""
    # The card in the team channel; its thread is the conversation's log.
    channel_id: str = ""
    card_ts: str = ""
    card_url: str = ""  # the card's permalink, for pointing people at the conversation
    region: str = Field(default="", index=True)  # its areas' region: whose team holds it


class ConversationArea(SQLModel, table=True):
    """Which areas a conversation covers. An area is in one conversation at most."""

    __table_args__ = (UniqueConstraint("area_code", name="uq_conversation_area_area"),)

    conversation_id: int = Field(foreign_key="conversation.id", primary_key=True)
    area_code: str = Field(foreign_key="area.code", primary_key=True)


class LogEntry(SQLModel, table=True):
    """One thing that happened in a conversation: a meeting, a stage change, an action."""

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    author_user_id: str
    created_at: datetime = Field(index=True)
    kind: str  # start, note, stage, action, action-done, details
    text: str
    stage_from: str = ""
    stage_to: str = ""
    # An action's entry: whose it is and when it is due (its text is the action's own).
    owner_user_id: str = ""
    due_on: date | None = None
    # Set once the entry is in the conversation's thread, so a retried post is skipped.
    slack_ts: str = ""
    # A note logged from a message elsewhere in Slack (the "Log to Single Conversation" shortcut): where the
    # message is, and its link (NULL when Slack gives none). Other entries leave them all NULL.
    source_channel: str | None = None
    source_ts: str | None = None
    source_url: str | None = None


# A message is logged to a conversation once, however many press Log at the same moment; only entries from a
# message are indexed (migration 0006).
LOG_ENTRY_SOURCE_INDEX = Index(
    "uq_logentry_source", LogEntry.conversation_id, LogEntry.source_channel, LogEntry.source_ts, unique=True,
    sqlite_where=text("source_ts IS NOT NULL"), postgresql_where=text("source_ts IS NOT NULL"),
)

# The entries not yet in their threads, which the clock looks for every minute (migration 0011): a handful in a
# table of hundreds of thousands, found without reading the rest. A query gives the planner this very condition,
# written out, not bound, for it to use the index.
UNPOSTED_ENTRY = text("slack_ts = ''")
LOG_ENTRY_UNPOSTED_INDEX = Index(
    "ix_logentry_unposted", LogEntry.conversation_id, sqlite_where=UNPOSTED_ENTRY, postgresql_where=UNPOSTED_ENTRY,
)


class ConfidenceAssessment(SQLModel, table=True):
    """A lead's or team member's delivery confidence in a conversation, with why, who and when
    (models.confidence); the newest of each conversation is the one that stands."""

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    rating: str  # a models.confidence.Rating
    reason: str
    assessed_by: str
    assessed_at: datetime


class ActionItem(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    text: str
    owner_user_id: str
    due_on: date | None = None
    created_by: str
    created_at: datetime
    done_at: datetime | None = None
    done_by: str = ""


class SlackEvent(SQLModel, table=True):
    """Event ids already taken, so a retried delivery takes effect once."""

    event_id: str = Field(primary_key=True)
    received_at: datetime


# --- reminders


class Reminder(SQLModel, table=True):
    """A personal reminder, sent by direct message; `repeat` makes it weekly."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(index=True)
    conversation_id: int = Field(foreign_key="conversation.id")
    text: str
    due_at: datetime = Field(index=True)  # the next time it is due
    repeat: str = ""  # "" or "weekly"; a weekly reminder keeps due_at's weekday and time
    created_at: datetime
    closed_at: datetime | None = None  # cancelled, done, or (a one-off) sent
    closed_how: str = ""  # "cancelled", "done" or "sent"


class Delivery(SQLModel, table=True):
    """A reminder, digest, nudge or countdown that was sent, under a key naming what and for when.

    The key is written in the same breath as the send, so a restarted clock,
    a second clock, or a retried job never sends the same thing twice.
    """

    key: str = Field(primary_key=True)  # e.g. digest:2011-01-10T09:00, nudge:U1:2011-01-10
    sent_at: datetime
    channel: str = ""
    ts: str = ""


class Absence(SQLModel, table=True):
    """Someone away until a day (`/sc away`), with who covers for them (models.absence); one row a person,
    replaced by their next `/sc away`."""

    user_id: str = Field(primary_key=True)
    deputy_user_id: str = ""  # "": nobody, so the team channel covers
    since: datetime
    back_on: date  # the day they are back, from models.absence.BACK_TIME
    ended_at: datetime | None = None  # `/sc back` before that day


class BotSetting(SQLModel, table=True):
    """A setting a region's managers changed in Slack (/sc settings), overriding the environment's default."""

    region: str = Field(primary_key=True)
    key: str = Field(primary_key=True)
    value: str
    changed_by: str
    changed_at: datetime


# --- progress


# The stage history, and only it: the latest stage of each conversation as of a day is read
# from here, so `/sc progress as of` costs as much for 200,000 log entries as for 2,000. It holds every
# column that read needs, newest first, so no log entry's row is fetched (migration 0005).
STAGE_HISTORY_INDEX = Index(
    "ix_logentry_stage_history", LogEntry.conversation_id, LogEntry.created_at.desc(), LogEntry.id.desc(),
    LogEntry.stage_to, sqlite_where=text("stage_to <> ''"), postgresql_where=text("stage_to <> ''"),
)


class ProgressUpload(SQLModel, table=True):
    """A file a progress job put in Slack (a chart, a report), so a retried job uploads it once."""

    request_key: str = Field(primary_key=True)  # e.g. chart:<trigger id>, report:<channel>:<ts>
    name: str = Field(primary_key=True)  # the file's name, e.g. progress-2011-01-10.pdf
    file_id: str
    uploaded_at: datetime


# --- statistics and extracts

class StatisticSource(SQLModel, table=True):
    """A published file the figures came from, and whom to credit for it."""

    file: str = Field(primary_key=True)  # the national file's name, as published
    publisher: str = ""
    table: str = ""
    licence: str = ""
    compiled_by: str = ""


class Statistic(SQLModel, table=True):
    """One figure: an area's value of an indicator for a period."""

    __table_args__ = (UniqueConstraint("area_code", "indicator", "period", name="uq_statistic_figure"),)

    id: int | None = Field(default=None, primary_key=True)
    area_code: str = Field(index=True)  # GSS code: an authority, a 2021 successor, a region or England
    area_name: str = ""
    indicator: str = Field(index=True)
    period: str  # as published: "2010", "2010-11" (financial year) or "Dec 2010" (year ending)
    period_key: int  # year * 100 + month (0 for a whole year), for choosing and ordering
    value: float
    unit: str
    source_file: str = Field(foreign_key="statisticsource.file")


class ExtractRequest(SQLModel, table=True):
    """A request for an extract and evidence pack, saved before it is queued."""

    id: int | None = Field(default=None, primary_key=True)
    requested_by: str = Field(index=True)
    requested_at: datetime
    subject: str  # the area, areas, HMA, county or region asked for
    subject_kind: str  # area, areas, hma, county, region
    area_codes: str  # comma-separated GSS codes
    topics: str  # comma-separated
    formats: str  # comma-separated
    first_year: int
    last_year: int
    # waiting (the queue was down), queued, building, done, failed
    state: str = "waiting"
    attempt: int = 1
    reason: str = ""
    # Where the status message and the files go: the conversation's thread, or a direct message.
    channel_id: str = ""
    thread_ts: str = ""
    status_channel: str = ""
    status_ts: str = ""
    # Set once the files are in Slack, so a rerun never posts them again.
    file_ids: str = ""
    file_names: str = ""
    finished_at: datetime | None = None


# --- the team


class TeamChannel(SQLModel, table=True):
    """A team channel whose whole member list was read from Slack, and when (see models.team)."""

    channel_id: str = Field(primary_key=True)
    read_at: datetime


class TeamMember(SQLModel, table=True):
    """Whether a person is in a team channel, as last heard (Slack's full list, or a join or leave event);
    `changed_at` orders what was heard, so an older list never undoes a newer event."""

    channel_id: str = Field(primary_key=True)
    user_id: str = Field(primary_key=True)
    member: bool
    changed_at: datetime


# --- the coverage canvas


class TeamCanvas(SQLModel, table=True):
    """The coverage canvas in a team channel (models.canvas): created once, then replaced in place."""

    channel_id: str = Field(primary_key=True)
    canvas_id: str = ""  # "" until created, and again once Slack says someone deleted it
    kind: str = ""  # "channel": the channel's own canvas; "standalone": one shared in the channel
    shared: bool = False  # a standalone canvas is readable by the channel and its link posted there
    shown_mark: str = ""  # the change mark (models.canvas.change_mark) the canvas was last brought up to
    content_hash: str = ""  # of the markdown last sent, so an edit that would change nothing is not made
    problem: str = ""  # why Slack last refused to create it, said once to the managers
    changed_at: datetime | None = None  # when Slack last took its content: real time, not the bot's clock


# --- the regions' teams (models.regions)


class RegionTeam(SQLModel, table=True):
    """A region's team as `scbot region set` configured it: its team channel and target date."""

    region: str = Field(primary_key=True)  # as models.regions.REGIONS names it
    channel_id: str = ""
    target_date: date | None = None  # None: the environment's (SC_TARGET_DATE)
    changed_by: str
    changed_at: datetime


# Each region its own team channel, even when two `scbot region set` run at once (migration 0010).
REGION_TEAM_CHANNEL_INDEX = Index(
    "uq_regionteam_channel", RegionTeam.channel_id, unique=True,
    sqlite_where=text("channel_id <> ''"), postgresql_where=text("channel_id <> ''"),
)


class RegionPerson(SQLModel, table=True):
    """One of a region's staff (who may write without being in its channel) or managers."""

    region: str = Field(primary_key=True)
    user_id: str = Field(primary_key=True)
    role: str = Field(primary_key=True)  # models.regions.STAFF or MANAGER
