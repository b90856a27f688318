"""`scbot demo-data --national`: every English authority of 2010, a made-up national history and a demo team
for each region, for the console and benchmarks.

The areas are the 326 English local authorities of 2010 (models.national_areas,
as `scbot regions import` loads them). The history is random but repeatable (a
fixed seed): starts from October 2009 to March 2011, stage changes after them,
and log entries spread over each conversation's life, written with bulk inserts.
"""
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.db import session_scope
from models.errors import InputError
from models.national_areas import import_national_areas
from models.regions import REGIONS, set_team
from models.stages import STAGES
from models.tables import (
    ActionItem,
    Area,
    Conversation,
    ConversationArea,
    LogEntry,
    ProgressUpload,
    RegionTeam,
)

FIRST_START = datetime(2009, 10, 1, 9, tzinfo=UTC)
LAST_DAY = datetime(2011, 3, 31, 17, tzinfo=UTC)
LEADS = [f"U0LEAD{n:02d}" for n in range(1, 41)]
BATCH = 5000
# A demo team's channel is C0<abbreviation>, its staff U0<abbreviation>STAFF, its manager U0<abbreviation>MGR.
ABBREVIATIONS = dict(zip(REGIONS, ("NE", "NW", "YH", "EM", "WM", "EE", "LDN", "SE", "SW"), strict=True))


@dataclass
class DemoSummary:
    areas: int
    conversations: int
    log_entries: int
    actions: int


def build_national(engine: Engine, log_entries: int = 200_000, begun_share: float = 0.9,
                   replace: bool = False, seed: int = 2009) -> DemoSummary:
    """Load every English authority (as `scbot regions import` does) and write a national history."""
    with session_scope(engine) as session:
        if session.scalar(select(func.count()).select_from(Conversation)) and not replace:
            raise InputError("The database already holds conversations. Pass --replace to delete them "
                             "and build the national data set instead.")
        import_national_areas(session)
    with engine.begin() as connection:
        for table in (ProgressUpload, ActionItem, LogEntry, ConversationArea, Conversation):
            connection.execute(delete(table))
        regions = dict(connection.execute(select(Area.code, Area.region)).all())
        codes = sorted(regions)

        rng = random.Random(seed)
        begun = rng.sample(codes, round(len(codes) * begun_share))
        span = (LAST_DAY - FIRST_START).total_seconds()
        conversations, links, entries, actions = [], [], [], []
        stage_keys = list(STAGES)
        for number, code in enumerate(begun, start=1):
            started = FIRST_START + timedelta(seconds=rng.random() * span * 0.95)
            lead = rng.choice(LEADS)
            conversations.append({"id": number, "title": code, "lead_user_id": lead, "stage": "engaged", "started_at": started,
                                      "started_by": lead, "last_activity_at": started, "contacts": "", "notes": "",
                                      "region": regions[code], "channel_id": "",
                                      "card_ts": "demo", "card_url": ""})  # "demo": no card for the worker to post
            links.append({"conversation_id": number, "area_code": code})
            entries.append(_entry(number, lead, started, "start", stage_to="engaged"))
            at, stage = started, 0
            while stage < len(stage_keys) - 1 and rng.random() < 0.6:
                at += timedelta(days=rng.uniform(10, 90))
                if at > LAST_DAY:
                    break
                entries.append(_entry(number, lead, at, "stage", stage_keys[stage], stage_keys[stage + 1]))
                stage += 1
            conversations[-1]["stage"] = stage_keys[stage]
            due = started + timedelta(days=rng.uniform(7, 120))
            actions.append({"conversation_id": number, "text": "Send the evidence base", "owner_user_id": lead,
                                "due_on": due.date(), "created_by": lead, "created_at": started,
                                "done_at": due if due < LAST_DAY and rng.random() < 0.7 else None, "done_by": ""})
        notes = max(0, log_entries - len(entries))
        for _ in range(notes):
            conversation = rng.choice(conversations)
            life = (LAST_DAY - conversation["started_at"]).total_seconds()
            at = conversation["started_at"] + timedelta(seconds=rng.random() * life)
            entries.append(_entry(conversation["id"], conversation["lead_user_id"], at, "note"))
            conversation["last_activity_at"] = max(conversation["last_activity_at"], at)
        names = dict(connection.execute(select(Area.code, Area.name)).all())
        for conversation in conversations:
            conversation["title"] = names[conversation["title"]]
        entries.sort(key=lambda entry: entry["created_at"])  # ids in time order, as the bot writes them
        for table, rows in ((Conversation, conversations), (ConversationArea, links), (LogEntry, entries),
                            (ActionItem, actions)):
            for start in range(0, len(rows), BATCH):
                connection.execute(insert(table), rows[start:start + BATCH])
        if connection.dialect.name == "postgresql":
            # Rows were given their ids: move each id sequence past them.
            for table in ("conversation", "logentry", "actionitem"):
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"))
    # Fresh statistics, so the first queries after a bulk load are planned for the rows now there.
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    return DemoSummary(len(codes), len(conversations), len(entries), len(actions))


def set_demo_teams(session: Session, keep: str, at: datetime) -> list[str]:
    """A demo team for every region with none set, but `keep` (the region whose team the environment sets);
    returns the regions given one."""
    have = set(session.scalars(select(RegionTeam.region))) | {keep}
    given = [region for region in REGIONS if region not in have]
    for region in given:
        abbreviation = ABBREVIATIONS[region]
        set_team(session, region, f"C0{abbreviation}", {f"U0{abbreviation}STAFF"}, {f"U0{abbreviation}MGR"},
                 target_date=None, by="scbot demo-data", at=at)
    return given


def _entry(conversation_id: int, author: str, at: datetime, kind: str, stage_from: str = "",
           stage_to: str = "") -> dict:
    words = {"start": "Started the Single Conversation.", "stage": f"Stage: {stage_from} → {stage_to}.",
             "note": "Met the housing team."}
    return {"conversation_id": conversation_id, "author_user_id": author, "created_at": at, "kind": kind,
                "text": words[kind], "stage_from": stage_from, "stage_to": stage_to, "slack_ts": "posted"}
