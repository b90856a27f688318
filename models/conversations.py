"""Starting and logging Single Conversations: the rules Slack, the console and workers share."""
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import clock
from models.absence import Absence, lead_away
from models.areas import AreaDirectory, AreaGroup
from models.commentary import join as and_list
from models.confidence import latest_assessments
from models.errors import InputError, NotFound, Refused
from models.stages import FIRST_STAGE, STAGES, skipped_stages, stage_list
from models.tables import (
    UNPOSTED_ENTRY,
    ActionItem,
    ConfidenceAssessment,
    Conversation,
    ConversationArea,
    LogEntry,
)
from models.text import ACTION_TEXT_MAX, DETAILS_TEXT_MAX, LOG_TEXT_MAX, check_text

RECENT_ENTRIES = 5  # `/sc show`: this many of the latest notes, and as many of the other entries


class AlreadyStarted(Refused):
    def __init__(self, conversation: Conversation, subject: str):
        self.conversation = conversation
        self.link = conversation.card_url
        super().__init__(f"{subject} already in the Single Conversation “{conversation.title}”.")


class NoConversation(NotFound):
    def __init__(self, group: AreaGroup):
        self.group = group
        super().__init__(
            f"{group.name} has no Single Conversation yet. Start one with `/sc start {group.name}`."
        )


@dataclass
class Details:
    """What the start and edit forms carry besides the areas."""

    lead_user_id: str
    contacts: str = ""
    first_meeting_on: date | None = None
    notes: str = ""

    def checked(self) -> "Details":
        for what, text in (("contacts", self.contacts), ("notes", self.notes)):
            if len(text) > DETAILS_TEXT_MAX:
                raise InputError(
                    f"The {what} are {len(text):,} characters long; at most {DETAILS_TEXT_MAX:,} fit."
                )
        return self


def conversation_of(session: Session, group: AreaGroup) -> Conversation | None:
    """The conversation covering the area (or, for an HMA, covering any of its areas)."""
    return session.exec(
        select(Conversation)
        .join(ConversationArea, col(ConversationArea.conversation_id) == col(Conversation.id))
        .where(col(ConversationArea.area_code).in_(group.codes))
        .order_by(col(Conversation.id))
    ).first()


def require_conversation(session: Session, group: AreaGroup) -> Conversation:
    conversation = conversation_of(session, group)
    if conversation is None:
        raise NoConversation(group)
    return conversation


def get_conversation(session: Session, conversation_id: int) -> Conversation:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound("That conversation no longer exists.")
    return conversation


def area_codes_of(session: Session, conversation: Conversation) -> list[str]:
    return list(session.exec(
        select(ConversationArea.area_code).where(ConversationArea.conversation_id == conversation.id)
    ))


def start_conversation(
    session: Session, directory: AreaDirectory, group: AreaGroup, details: Details, started_by: str
) -> Conversation:
    """Begin the conversation for an area or HMA; refused when any of it has one already."""
    details.checked()
    _refuse_if_started(session, directory, group)
    now = clock.now()
    conversation = Conversation(
        title=group.name,
        lead_user_id=details.lead_user_id, stage=FIRST_STAGE,
        started_at=now, started_by=started_by, last_activity_at=now,
        contacts=details.contacts.strip(), first_meeting_on=details.first_meeting_on,
        notes=details.notes.strip(), region=directory.region_of(group),
    )
    session.add(conversation)
    session.flush()
    for code in group.codes:
        session.add(ConversationArea(conversation_id=conversation.id, area_code=code))
    session.add(LogEntry(
        conversation_id=conversation.id, author_user_id=started_by, created_at=now,
        kind="start", text=f"Started the Single Conversation with {group.name}.", stage_to=FIRST_STAGE,
    ))
    try:
        session.flush()
    except IntegrityError:
        # Someone else started one of these areas a moment ago.
        session.rollback()
        _refuse_if_started(session, directory, group)
        raise
    return conversation


def _refuse_if_started(session: Session, directory: AreaDirectory, group: AreaGroup) -> None:
    existing = session.exec(
        select(ConversationArea).where(col(ConversationArea.area_code).in_(group.codes))
    ).all()
    if existing:
        conversation = session.get(Conversation, existing[0].conversation_id)
        names = [directory.by_code[link.area_code].name for link in existing
                 if link.conversation_id == conversation.id]
        if group.kind == "hma" and len(names) == len(group.codes):
            names = [group.name]
        subject = names[0] + " is" if len(names) == 1 else ", ".join(names) + " are"
        raise AlreadyStarted(conversation, subject)


def _record(session: Session, conversation: Conversation, entry: LogEntry) -> LogEntry:
    conversation.last_activity_at = entry.created_at
    session.add(conversation)
    session.add(entry)
    session.flush()
    return entry


def add_log_entry(session: Session, conversation: Conversation, author: str, text: str) -> LogEntry:
    text = check_text("log entry", text, LOG_TEXT_MAX)
    return _record(session, conversation, LogEntry(
        conversation_id=conversation.id, author_user_id=author, created_at=clock.now(),
        kind="note", text=text,
    ))


# `log_note` in plain SQL, without the ORM's unit of work or SQLAlchemy's statement compiling: the conversation
# covering any of the areas gets its last activity, and the note its entry.
_ENTRY_COLUMNS = ("conversation_id, author_user_id, created_at, kind, text, stage_from, stage_to, owner_user_id, "
                  "due_on, slack_ts")
# PostgreSQL: one statement, committed on its own (one round trip to the server instead of four).
_POSTGRESQL_NOTE = f"""WITH touched AS (
    UPDATE conversation SET last_activity_at = %(now)s
    WHERE id = (SELECT conversation_id FROM conversationarea WHERE area_code = ANY(%(codes)s)
                ORDER BY conversation_id LIMIT 1)
    RETURNING id, title, channel_id)
INSERT INTO logentry ({_ENTRY_COLUMNS})
SELECT id, %(author)s, %(now)s, 'note', %(text)s, '', '', '', NULL, '' FROM touched
RETURNING conversation_id, (SELECT title FROM touched), (SELECT channel_id FROM touched)"""
# SQLite: two statements in one transaction (in process: no round trips to save).
_SQLITE_TOUCH = """UPDATE conversation SET last_activity_at = :now
    WHERE id = (SELECT conversation_id FROM conversationarea WHERE area_code IN ({codes})
                ORDER BY conversation_id LIMIT 1)
    RETURNING id, title, channel_id"""
_SQLITE_NOTE = (f"INSERT INTO logentry ({_ENTRY_COLUMNS}) "
                "VALUES (:id, :author, :now, 'note', :text, '', '', '', NULL, '')")


def log_note(session: Session, group: AreaGroup, author: str, text: str) -> tuple[int, str, str]:
    """`add_log_entry` for the conversation covering `group`, for the busiest write there is (a `/sc log`, in its
    acknowledgement): the conversation's (id, title, card's channel: "" until posted). It must be the first thing
    done in its session."""
    text = check_text("log entry", text, LOG_TEXT_MAX)
    now = clock.now()
    if session.get_bind().dialect.name == "postgresql":
        connection = session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        found = connection.exec_driver_sql(_POSTGRESQL_NOTE, {"now": now, "codes": list(group.codes),
                                                              "author": author, "text": text}).first()
    else:
        connection = session.connection()
        # The instant as the ORM stores it (SQLite has no timestamps: text in SQLAlchemy's format).
        stamp = LogEntry.__table__.c.created_at.type.dialect_impl(connection.dialect).bind_processor(
            connection.dialect)(now)
        codes = {f"code{i}": code for i, code in enumerate(group.codes)}
        found = connection.exec_driver_sql(_SQLITE_TOUCH.format(codes=", ".join(f":{name}" for name in codes)),
                                           {"now": stamp, **codes}).first()
        if found is not None:
            connection.exec_driver_sql(_SQLITE_NOTE, {"id": found[0], "author": author, "now": stamp, "text": text})
    if found is None:
        raise NoConversation(group)
    return found[0], found[1], found[2]


@dataclass(frozen=True)
class SourceMessage:
    """A message elsewhere in Slack that a note is logged from: its channel and ts, and its link ("" when Slack
    gives none: a conversation the bot is not in)."""

    channel: str
    ts: str
    url: str = ""

    @property
    def written_at(self) -> datetime:
        """When the message was written: its ts is the time in seconds since 1970."""
        return datetime.fromtimestamp(float(self.ts), timezone.utc)


def source_of(entry: LogEntry) -> SourceMessage | None:
    """The message a note was logged from, if it was."""
    return SourceMessage(entry.source_channel, entry.source_ts, entry.source_url or "") if entry.source_ts else None


class AlreadyLogged(Refused):
    def __init__(self, title: str, logged_on: date | None):
        when = f" on {logged_on:%-d %b %Y}" if logged_on else ""
        super().__init__(f"That message is already in the log of {title} (logged{when}), so it was not logged "
                         "again. Choose another area, or Cancel.", field="areas")


def log_from_message(session: Session, group: AreaGroup, author: str, text: str,
                     source: SourceMessage) -> tuple[int, str]:
    """A note from a message elsewhere in Slack, for the conversation covering `group`, linking back to it: the
    conversation's (id, title). Refused when the message is in that conversation's log already; the unique
    index decides, so of two sent at the same moment one is logged and the other refused."""
    text = check_text("log entry", text, LOG_TEXT_MAX)
    conversation = require_conversation(session, group)
    now = clock.now()
    entries = LogEntry.__table__
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    added = session.execute(insert(entries).values(
        conversation_id=conversation.id, author_user_id=author, created_at=now, kind="note", text=text,
        source_channel=source.channel, source_ts=source.ts, source_url=source.url or None,
    ).on_conflict_do_nothing().returning(entries.c.id)).first()
    if added is None:
        logged_at = session.exec(select(LogEntry.created_at).where(
            LogEntry.conversation_id == conversation.id, LogEntry.source_channel == source.channel,
            LogEntry.source_ts == source.ts)).first()
        raise AlreadyLogged(conversation.title, clock.local(logged_at).date() if logged_at else None)
    conversation.last_activity_at = now
    session.add(conversation)
    session.flush()
    return conversation.id, conversation.title


def set_stage(session: Session, conversation: Conversation, stage: str, author: str, seen_at: str = "") -> LogEntry:
    """Move the conversation on from the stage it was read at; if someone moved it meanwhile, nothing changes.

    `seen_at` is the stage the person saw when they chose (a button that confirms skipping stages): nothing
    changes if the conversation has moved from there since. The log entry names any stages skipped."""
    if stage not in STAGES:
        raise InputError(f"“{stage}” is not a stage. The stages, in order: {stage_list()}.", field="stage")
    if stage == conversation.stage:
        raise InputError(f"{conversation.title} is already at the stage `{stage}` ({STAGES[stage]}).", field="stage")
    was = conversation.stage
    if seen_at and seen_at != was:
        raise InputError(f"{conversation.title} was moved to the stage `{was}` since; nothing was changed.",
                         field="stage")
    skipped = skipped_stages(was, stage)
    # Conditional, so that of two changes at the same moment only one is recorded (the row lock decides).
    moved = session.exec(update(Conversation).where(col(Conversation.id) == conversation.id,
                                                    col(Conversation.stage) == was).values(stage=stage))
    if moved.rowcount != 1:
        session.refresh(conversation)
        if conversation.stage == stage:
            raise InputError(f"{conversation.title} is already at the stage `{stage}` ({STAGES[stage]}).",
                             field="stage")
        raise InputError(f"{conversation.title} was moved to the stage `{conversation.stage}` a moment ago; "
                         "nothing was changed. Open the form again to choose from there.", field="stage")
    passed = f", skipping {and_list([STAGES[s] for s in skipped])}" if skipped else ""
    entry = LogEntry(
        conversation_id=conversation.id, author_user_id=author, created_at=clock.now(),
        kind="stage", stage_from=was, stage_to=stage, text=f"Stage: {STAGES[was]} → {STAGES[stage]}{passed}.",
    )
    return _record(session, conversation, entry)


def update_details(session: Session, conversation: Conversation, details: Details, author: str) -> LogEntry:
    details.checked()
    changes = []
    if details.lead_user_id != conversation.lead_user_id:
        changes.append("lead")
    if details.contacts.strip() != conversation.contacts:
        changes.append("contacts")
    if details.first_meeting_on != conversation.first_meeting_on:
        changes.append("first meeting")
    if details.notes.strip() != conversation.notes:
        changes.append("notes")
    if not changes:
        raise InputError("Nothing changed.")
    conversation.lead_user_id = details.lead_user_id
    conversation.contacts = details.contacts.strip()
    conversation.first_meeting_on = details.first_meeting_on
    conversation.notes = details.notes.strip()
    return _record(session, conversation, LogEntry(
        conversation_id=conversation.id, author_user_id=author, created_at=clock.now(),
        kind="details", text="Updated the " + ", ".join(changes) + ".",
    ))


def add_action(
    session: Session, conversation: Conversation, text: str, owner: str, due_on: date | None, author: str
) -> ActionItem:
    text = check_text("action", text, ACTION_TEXT_MAX)
    now = clock.now()
    action = ActionItem(
        conversation_id=conversation.id, text=text, owner_user_id=owner, due_on=due_on,
        created_by=author, created_at=now,
    )
    session.add(action)
    _record(session, conversation, LogEntry(
        conversation_id=conversation.id, author_user_id=author, created_at=now,
        kind="action", text=text, owner_user_id=owner, due_on=due_on,
    ))
    return action


def conversation_of_action(session: Session, action_id: int) -> Conversation:
    action = session.get(ActionItem, action_id)
    if action is None:
        raise NotFound("That action no longer exists.")
    return get_conversation(session, action.conversation_id)


def complete_action(session: Session, action_id: int, user: str) -> tuple[ActionItem, bool]:
    """Mark an action done, once: of Done pressed twice, or by two people at once, only the first changes it
    (a conditional update, decided by the row lock); the others find it done, and by whom."""
    now = clock.now()
    done = session.exec(update(ActionItem).where(col(ActionItem.id) == action_id, col(ActionItem.done_at).is_(None))
                        .values(done_at=now, done_by=user))
    action = session.get(ActionItem, action_id, populate_existing=True)
    if action is None:
        raise NotFound("That action no longer exists.")
    if done.rowcount != 1:
        return action, False
    conversation = get_conversation(session, action.conversation_id)
    _record(session, conversation, LogEntry(
        conversation_id=conversation.id, author_user_id=user, created_at=now,
        kind="action-done", text=action.text, owner_user_id=action.owner_user_id,
    ))
    return action, True


@dataclass
class ConversationView:
    """Everything `/sc show` and the card need, read in one go."""

    conversation: Conversation
    area_names: list[str]
    log_name: str = ""  # what to type after `/sc log` to reach it
    lead_away: Absence | None = None  # the lead's absence, now (models.absence): who covers is on the card
    notes: list[LogEntry] = field(default_factory=list)  # the latest meeting notes and updates, newest first
    changes: list[LogEntry] = field(default_factory=list)  # the latest of the rest: stages, actions, details
    open_actions: list[ActionItem] = field(default_factory=list)
    confidence: ConfidenceAssessment | None = None  # the delivery confidence that stands (models.confidence)


def log_name(directory: AreaDirectory, conversation: Conversation, codes: list[str]) -> str:
    """The name to type in `/sc log <name> ...` for a conversation covering `codes`: its title where that names
    its area or HMA; else (areas chosen one by one, titled “Ashfield, Mansfield”, which `/sc log` would read
    as Ashfield and the words “Mansfield, ...”) the name of its first area."""
    try:
        named = set(directory.resolve(conversation.title).codes) <= set(codes)
    except InputError:
        named = False
    return conversation.title if named or not codes else min(directory.by_code[code].name for code in codes)


def view_conversation(session: Session, directory: AreaDirectory, conversation: Conversation) -> ConversationView:
    """The conversation with its latest notes and, apart, its latest other entries, so that a run of stage
    changes and actions never hides what was said at the meetings."""
    def latest(*kind) -> list[LogEntry]:
        return list(session.exec(
            select(LogEntry).where(LogEntry.conversation_id == conversation.id, *kind)
            .order_by(col(LogEntry.created_at).desc(), col(LogEntry.id).desc()).limit(RECENT_ENTRIES)))

    codes = list(area_codes_of(session, conversation))
    return ConversationView(
        conversation=conversation,
        area_names=sorted(directory.by_code[code].name for code in codes),
        log_name=log_name(directory, conversation, codes),
        lead_away=lead_away(session, conversation.lead_user_id),
        notes=latest(LogEntry.kind == "note"),
        changes=latest(LogEntry.kind != "note"),
        open_actions=open_actions(session, conversation_id=conversation.id),
        confidence=latest_assessments(session, [conversation.id]).get(conversation.id),
    )


def open_actions(session: Session, conversation_id: int | None = None, owner: str | None = None,
                 region: str | None = None) -> list[ActionItem]:
    query = select(ActionItem).where(col(ActionItem.done_at).is_(None))
    if conversation_id is not None:
        query = query.where(ActionItem.conversation_id == conversation_id)
    if owner is not None:
        query = query.where(ActionItem.owner_user_id == owner)
    if region is not None:
        query = query.join(Conversation, Conversation.id == ActionItem.conversation_id).where(
            Conversation.region == region)
    # Dated actions first, soonest first; undated ones after, oldest first.
    return list(session.exec(query.order_by(
        col(ActionItem.due_on).is_(None), col(ActionItem.due_on), col(ActionItem.id)
    )))


def led_by(session: Session, user: str) -> list[Conversation]:
    """The conversations `user` leads, the most recently active first."""
    return list(session.exec(select(Conversation).where(Conversation.lead_user_id == user)
                             .order_by(col(Conversation.last_activity_at).desc())))


def conversation_titles(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.exec(select(Conversation.id, Conversation.title).where(col(Conversation.id).in_(ids))).all())


def stages_by_area(session: Session) -> dict[str, Conversation]:
    """Each area that has begun, with its conversation."""
    rows = session.exec(
        select(ConversationArea.area_code, Conversation)
        .join(Conversation, col(Conversation.id) == col(ConversationArea.conversation_id))
    ).all()
    return {code: conversation for code, conversation in rows}


def unposted_conversations(session: Session) -> list[Conversation]:
    """Conversations whose card or some log entries are not yet in Slack, by id."""
    with_unposted = select(LogEntry.conversation_id).where(UNPOSTED_ENTRY).distinct()
    return list(session.exec(select(Conversation).where(
        (Conversation.card_ts == "") | col(Conversation.id).in_(with_unposted)).order_by(col(Conversation.id))))


def unposted_entries(session: Session, conversation_id: int) -> list[LogEntry]:
    """The conversation's log entries not yet in its thread, oldest first."""
    return list(session.exec(
        select(LogEntry).where(LogEntry.conversation_id == conversation_id, LogEntry.slack_ts == "")
        .order_by(col(LogEntry.created_at), col(LogEntry.id))
    ))


def record_card(session: Session, conversation_id: int, channel_id: str, card_ts: str) -> None:
    """The card is in Slack: where it is, so that it is never posted again and its thread can follow."""
    conversation = get_conversation(session, conversation_id)
    conversation.channel_id, conversation.card_ts = channel_id, card_ts
    session.add(conversation)


def record_card_link(session: Session, conversation_id: int, card_url: str) -> None:
    conversation = get_conversation(session, conversation_id)
    conversation.card_url = card_url
    session.add(conversation)


def record_entry_posted(session: Session, entry_id: int, slack_ts: str) -> None:
    entry = session.get(LogEntry, entry_id)
    entry.slack_ts = slack_ts
    session.add(entry)


def conversations_posted_in(session: Session, channel: str) -> list[Conversation]:
    """The conversations whose card is posted in `channel`."""
    return list(session.exec(
        select(Conversation).where(Conversation.channel_id == channel, col(Conversation.card_ts) != "")))
