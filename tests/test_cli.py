"""`scbot` subcommands as an operator would run them."""
import os
import subprocess
import sys

from sqlmodel import Session, select

from models.areas import load_directory
from models.db import get_engine
from models.tables import Area

HEADER = "la_name,official_name,la_type_2009_11,county_2009_11,gss_code_lad11,old_ons_code_lad09,region,hma_2009\n"


def scbot(*args, env=None):
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)


def test_db_upgrade_seeds_the_region_once_then_areas_import_adds_another(tmp_path):
    env = {"SC_DATA_DIR": str(tmp_path), "DATABASE_URL": ""}
    first = scbot("db", "upgrade", env=env)
    assert first.returncode == 0 and "Loaded 40 areas" in first.stdout
    again = scbot("db", "upgrade", env=env)
    assert again.returncode == 0 and "Loaded" not in again.stdout

    other = tmp_path / "west_midlands.csv"
    other.write_text(HEADER + "Birmingham,Birmingham City Council,Metropolitan district,,E08000025,00CN,"
                              "West Midlands,Birmingham HMA\n")
    imported = scbot("areas", "import", str(other), env=env)
    assert imported.returncode == 0 and "Imported 1 areas" in imported.stdout

    engine = get_engine(f"sqlite:///{tmp_path / 'scbot.sqlite3'}")
    with Session(engine) as session:
        assert len(session.exec(select(Area)).all()) == 41
        directory = load_directory(session)
    assert directory.resolve("00cn").name == "Birmingham"
    assert directory.resolve("Birmingham HMA").codes == ("E08000025",)


def test_a_malformed_area_file_imports_nothing_and_says_why(tmp_path):
    env = {"SC_DATA_DIR": str(tmp_path), "DATABASE_URL": ""}
    scbot("db", "upgrade", env=env)
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "Nowhere,,,,,,,Some HMA\nSomewhere,,,,E0000001,,,Some HMA\n")
    result = scbot("areas", "import", str(bad), env=env)
    assert result.returncode != 0
    assert "line 2: an area needs a name and a GSS code" in result.stderr
    missing = scbot("areas", "import", str(tmp_path / "absent.csv"), env=env)
    assert missing.returncode != 0 and "Nothing imported" in missing.stderr
    engine = get_engine(f"sqlite:///{tmp_path / 'scbot.sqlite3'}")
    with Session(engine) as session:
        assert len(session.exec(select(Area)).all()) == 40


def test_socket_mode_needs_an_app_token():
    result = scbot("socket", env={"SLACK_APP_TOKEN": ""})
    assert result.returncode != 0 and "SLACK_APP_TOKEN" in result.stderr


def test_the_migrations_build_exactly_the_tables_the_code_uses(tmp_path):
    from alembic import command

    from models.migrate import alembic_config, upgrade

    url = f"sqlite:///{tmp_path / 'check.sqlite3'}"
    upgrade(url)
    command.check(alembic_config(url))  # raises if a model differs from the migrated schema


def test_an_older_database_keeps_its_actions_log_entries_as_structure(tmp_path):
    """Log entries written before 0003 held the owner and due date as markup in their text."""
    from alembic import command
    from sqlalchemy import create_engine, text

    from models.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    command.upgrade(alembic_config(url), "0002s")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO conversation (id, title, lead_user_id, stage, started_at, started_by, last_activity_at,"
            " contacts, notes, channel_id, card_ts, card_url) VALUES (1, 'Leicester', 'U1', 'engaged',"
            " '2010-11-01 09:00:00', 'U1', '2010-11-01 09:00:00', '', '', '', '', '')"))
        for entry_id, kind, said in [(1, "action", "Action for <@U2> (due 7 Jan 2011): Send the SHMA: v2"),
                                     (2, "action", "Action for <@U3>: Book the room"),
                                     (3, "action-done", "Done: Book the room"),
                                     (4, "note", "Action for <@U9>: a note that only looks like one")]:
            connection.execute(text(
                "INSERT INTO logentry (id, conversation_id, author_user_id, created_at, kind, text, stage_from,"
                " stage_to, slack_ts) VALUES (:id, 1, 'U1', '2010-11-01 09:00:00', :kind, :text, '', '', '')"),
                {"id": entry_id, "kind": kind, "text": said})
    command.upgrade(alembic_config(url), "heads")
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT kind, text, owner_user_id, due_on FROM logentry ORDER BY id")).all()
    assert [tuple(row) for row in rows] == [
        ("action", "Send the SHMA: v2", "U2", "2011-01-07"),
        ("action", "Book the room", "U3", None),
        ("action-done", "Book the room", "", None),
        ("note", "Action for <@U9>: a note that only looks like one", "", None),
    ]
