"""SQLite's one writer at a time: the bot's writers queue for it (models.db) rather than sleep in SQLite's busy
handler, and a writer that cannot get its turn in time is told the database is not answering.

Two engines on one file stand for two processes: each has its own queue, and they meet at the file's lock."""
import threading
import time

import pytest
from sqlalchemy import text

from models.db import SQLITE_BUSY_MS, _make_engine, session_scope
from models.errors import ServiceDown
from models.migrate import upgrade

NOTE = text("INSERT INTO botsetting (region, key, value, changed_by, changed_at) "
            "VALUES ('East Midlands', :key, 'x', 'U1', '2026-01-01')")


@pytest.fixture
def two_processes(tmp_path):
    url = f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    upgrade(url)
    first, second = _make_engine(url), _make_engine(url)
    yield first, second
    first.dispose()
    second.dispose()


def keys(engine) -> list[str]:
    with engine.connect() as connection:
        return connection.execute(text("SELECT key FROM botsetting ORDER BY key")).scalars().all()


def test_a_second_writer_waits_its_turn_and_goes_once_the_first_commits(two_processes):
    first, second = two_processes
    took: list[float] = []

    def write_second():
        began = time.monotonic()
        with session_scope(second) as session:
            session.execute(NOTE, {"key": "second"})
        took.append(time.monotonic() - began)

    with session_scope(first) as session:
        session.execute(NOTE, {"key": "first"})
        waiting = threading.Thread(target=write_second)
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive()  # still queued behind the first writer's open transaction
    waiting.join(SQLITE_BUSY_MS / 1000)
    assert not waiting.is_alive() and took and took[0] < SQLITE_BUSY_MS / 1000
    assert keys(first) == ["first", "second"]


def test_a_writer_kept_waiting_past_the_busy_timeout_is_told_the_database_is_not_answering(two_processes):
    first, second = two_processes
    with session_scope(first) as session:
        session.execute(NOTE, {"key": "first"})
        began = time.monotonic()
        with pytest.raises(ServiceDown) as refused:
            with session_scope(second) as other:
                other.execute(NOTE, {"key": "second"})
        waited = time.monotonic() - began
    assert "database" in str(refused.value)
    assert SQLITE_BUSY_MS / 1000 <= waited < SQLITE_BUSY_MS / 1000 + 1.5  # within Slack's 3 seconds
    assert keys(first) == ["first"]  # nothing of the refused write
    with session_scope(second) as session:  # its turn was given back: it writes at once now
        session.execute(NOTE, {"key": "second"})
    assert keys(second) == ["first", "second"]
