"""An East Midlands database made before regions (revision 0009) carried forward by `scbot db upgrade`: every row
kept, each conversation the East Midlands', the settings its managers saved the East Midlands'. On SQLite and
PostgreSQL; down to 0009 and up again too."""
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import Session

from models.areas import SHIPPED_AREAS, read_areas_csv
from models.db import get_engine
from models.migrate import alembic_config
from models.national_areas import DATA
from models.reminders import ReminderSettings
from tests.conftest import fresh_database
from tests.test_cli import scbot

AT = datetime(2010, 11, 1, 9, 0, tzinfo=UTC)
NOTTINGHAM_CORE = ["E06000018", "E07000036", "E07000172", "E07000173", "E07000176"]
# What a single-region database held at 0009, table by table (areas are the shipped file's).
ROWS = {
    "conversation": [
        {"id": n, "title": title, "lead_user_id": "UJO", "stage": stage, "started_at": AT, "started_by": "UJO",
         "last_activity_at": AT, "contacts": "Ann at the council", "first_meeting_on": date(2010, 11, 8),
         "notes": "", "channel_id": "C0TEAM", "card_ts": f"100.{n}", "card_url": f"https://x/p{n}"}
        for n, title, stage in [(1, "Leicester", "evidence"), (2, "Nottingham Core HMA", "engaged"),
                                (3, "Derby", "plan-drafted")]],
    "conversationarea": [{"conversation_id": 1, "area_code": "E06000016"},
                         {"conversation_id": 3, "area_code": "E06000015"}]
    + [{"conversation_id": 2, "area_code": code} for code in NOTTINGHAM_CORE],
    "logentry": [
        {"id": 1, "conversation_id": 1, "author_user_id": "UJO", "created_at": AT, "kind": "start", "text": "Started.",
         "stage_from": "", "stage_to": "engaged", "slack_ts": "101.1", "owner_user_id": "", "due_on": None,
         "source_channel": None, "source_ts": None, "source_url": None},
        {"id": 2, "conversation_id": 1, "author_user_id": "UJO", "created_at": AT, "kind": "action",
         "text": "Send the SHMA", "stage_from": "", "stage_to": "", "slack_ts": "101.2", "owner_user_id": "UBOB",
         "due_on": date(2011, 1, 14), "source_channel": None, "source_ts": None, "source_url": None},
        {"id": 3, "conversation_id": 2, "author_user_id": "UBOB", "created_at": AT, "kind": "note",
         "text": "From #notes: met the planners", "stage_from": "", "stage_to": "", "slack_ts": "",
         "owner_user_id": "", "due_on": None, "source_channel": "CNOTES", "source_ts": "99.1",
         "source_url": "https://x/notes/p991"}],
    "actionitem": [{"id": 1, "conversation_id": 1, "text": "Send the SHMA", "owner_user_id": "UBOB",
                    "due_on": date(2011, 1, 14), "created_by": "UJO", "created_at": AT, "done_at": None,
                    "done_by": ""}],
    "reminder": [{"id": 1, "user_id": "UJO", "conversation_id": 3, "text": "Call the housing officer",
                  "due_at": AT, "repeat": "weekly", "created_at": AT, "closed_at": None, "closed_how": ""}],
    "extractrequest": [{"id": 1, "requested_by": "UJO", "requested_at": AT, "subject": "Leicester",
                        "subject_kind": "area", "area_codes": "E06000016", "topics": "prices", "formats": "xlsx,pdf",
                        "first_year": 2008, "last_year": 2011, "state": "done", "attempt": 1, "reason": "",
                        "channel_id": "C0TEAM", "thread_ts": "100.1", "status_channel": "C0TEAM",
                        "status_ts": "102.1", "file_ids": "F1,F2", "file_names": "a.xlsx,a.pdf", "finished_at": AT}],
    "botsetting": [{"key": key, "value": value, "changed_by": "UMANAGER", "changed_at": AT}
                   for key, value in [("digest_weekday", "2"), ("digest_time", "10:30"), ("digest_channel", "CDIGEST"),
                                      ("stale_days", "14"), ("target_date", "2011-06-01"),
                                      ("confidence_days", "30")]],
    "delivery": [{"key": "digest:2010-11-01T09:00", "sent_at": AT, "channel": "CDIGEST", "ts": "103.1"},
                 {"key": "nudge:UJO:2010-11-01", "sent_at": AT, "channel": "DUJO", "ts": "103.2"}],
    "confidenceassessment": [{"id": 1, "conversation_id": 1, "rating": "amber-green", "reason": "Good start",
                              "assessed_by": "UJO", "assessed_at": AT}],
    "absence": [{"user_id": "UBOB", "deputy_user_id": "UJO", "since": AT, "back_on": date(2010, 11, 15),
                 "ended_at": None}],
    "teammember": [{"channel_id": "C0TEAM", "user_id": "UJO", "member": True, "changed_at": AT}],
    "teamchannel": [{"channel_id": "C0TEAM", "read_at": AT}],
}


def snapshot(engine) -> dict[str, list[tuple]]:
    """Every row of the tables above and the areas, as the database holds them now (its columns at this
    revision)."""
    tables = sa.MetaData()
    tables.reflect(engine, only=["area", *ROWS])
    with engine.connect() as connection:
        return {name: [dict(row._mapping) for row in connection.execute(
            sa.select(table).order_by(*table.primary_key.columns))] for name, table in tables.tables.items()}


def without(rows: dict[str, list[dict]], table: str, column: str) -> dict[str, list[dict]]:
    return {**rows, table: [{k: v for k, v in row.items() if k != column} for row in rows[table]]}


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_an_east_midlands_database_of_0009_upgrades_with_nothing_lost(kind, tmp_path):
    with fresh_database(kind, tmp_path) as url:
        config = alembic_config(url)
        command.upgrade(config, "0009")
        engine = get_engine(url)
        tables = sa.MetaData()
        tables.reflect(engine)
        with engine.begin() as connection:
            connection.execute(tables.tables["area"].insert(),
                               [area.model_dump() for area in read_areas_csv(DATA / SHIPPED_AREAS)])
            for name, rows in ROWS.items():
                connection.execute(tables.tables[name].insert(), rows)
        before = snapshot(engine)
        assert {name: len(rows) for name, rows in before.items()} == {
            "area": 40, **{name: len(rows) for name, rows in ROWS.items()}}

        upgraded = scbot("db", "upgrade", env={"DATABASE_URL": url, "SC_DATA_DIR": str(tmp_path)})
        assert upgraded.returncode == 0, upgraded.stderr
        assert "Loaded" not in upgraded.stdout  # the areas were there: none seeded again
        engine.dispose()
        after = snapshot(engine)
        assert [row.pop("region") for row in after["conversation"]] == ["East Midlands"] * 3
        assert {row.pop("region") for row in after["botsetting"]} == {"East Midlands"}
        assert after == before
        with Session(engine) as session:
            settings = ReminderSettings.load(session, "East Midlands", "C0TEAM", date(2011, 4, 1))
            other = ReminderSettings.load(session, "West Midlands", "C0WM", date(2011, 4, 1))
        assert (settings.digest_weekday, settings.digest_channel, settings.stale_days, settings.target_date,
                settings.confidence_days) == (2, "CDIGEST", 14, date(2011, 6, 1), 30)
        assert (other.digest_channel, other.stale_days, other.target_date) == ("C0WM", 21, date(2011, 4, 1))

        # Down to 0009 and up again: the same rows each way.
        command.downgrade(config, "0009")
        engine.dispose()
        assert snapshot(engine) == before
        command.upgrade(config, "heads")
        engine.dispose()
        again = snapshot(engine)
        assert [row.pop("region") for row in again["conversation"]] == ["East Midlands"] * 3
        assert without(again, "botsetting", "region") == before



@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_database_gives_each_region_its_own_channel(kind, tmp_path):
    """Two `scbot region set` runs at once each find the channel free before either saves: the database keeps the
    second from saving it. A team with no channel yet ("") may be many regions'."""
    with fresh_database(kind, tmp_path) as url:
        assert scbot("db", "upgrade", env={"DATABASE_URL": url, "SC_DATA_DIR": str(tmp_path)}).returncode == 0
        engine = get_engine(url)
        team = sa.MetaData()
        team.reflect(engine, only=["regionteam"])
        insert = team.tables["regionteam"].insert()

        def region(name: str, channel: str) -> dict:
            return {"region": name, "channel_id": channel, "changed_by": "U0ADMIN", "changed_at": AT}

        with engine.begin() as connection:
            connection.execute(insert, [region("West Midlands", "C0SHARED"), region("North East", "")])
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
            connection.execute(insert, [region("London", "C0SHARED")])
        with engine.begin() as connection:
            connection.execute(insert, [region("South West", "")])
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT COUNT(*) FROM regionteam")).scalar() == 3
