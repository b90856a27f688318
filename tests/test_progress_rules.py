"""Progress figures, against the hand-counted history in tests/progress_fixture.py, on SQLite and PostgreSQL."""
from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session

from models import clock
from models.areas import load_directory
from models.db import get_engine
from models.errors import InputError
from models.progress import (
    AT_RISK,
    OFF_TRACK,
    ON_TRACK,
    STATUS_RULE,
    Progress,
    forecast,
    measure,
    not_begun,
    overdue_actions,
    parse_progress,
    scope_of,
)
from models.stages import STAGES
from tests.conftest import CLEARED_TABLES
from tests.progress_fixture import build_history

TARGET = date(2011, 4, 1)
NOW = clock.parse_instant("2010-12-15T12:00+00:00")


@pytest.fixture(scope="module")
def engine(backend):
    """The backend's database (SQLite, then PostgreSQL), holding the history alone."""
    engine = get_engine(backend.database_url)
    with engine.begin() as connection:
        for table in CLEARED_TABLES:
            connection.execute(text(f"DELETE FROM {table}"))
    build_history(engine)
    return engine


@pytest.fixture(scope="module")
def directory(engine):
    with Session(engine) as session:
        return load_directory(session)


def progress(engine, directory, group: str = "", as_of: date = date(2010, 12, 15)) -> Progress:
    with Session(engine) as session:
        return measure(session, directory, scope_of(directory, group), as_of, TARGET)


def test_the_region_today(engine, directory):
    p = progress(engine, directory)
    assert (p.scope.name, p.begun, p.total, round(p.share, 2)) == ("East Midlands", 8, 40, 0.2)
    assert p.funnel == {"engaged": 3, "evidence": 2, "plan-drafted": 1, "plan-agreed": 0,
                        "agreement-signed": 0, "delivery": 0}
    assert [(w.monday, w.conversations, w.areas) for w in p.weeks] == [
        (date(2010, 10, 25), 0, 0), (date(2010, 11, 1), 0, 0), (date(2010, 11, 8), 1, 1),
        (date(2010, 11, 15), 0, 0), (date(2010, 11, 22), 1, 1), (date(2010, 11, 29), 0, 0),
        (date(2010, 12, 6), 1, 1), (date(2010, 12, 13), 1, 1)]
    # 4 areas begun in the last 8 weeks; 32 left over the 107 days to 1 Apr 2011.
    assert p.pace_so_far == 0.5
    assert round(p.pace_needed, 2) == 2.09
    assert p.projected == date(2012, 3, 7)  # 32 / 0.5 = 64 weeks = 448 days on
    assert p.status == OFF_TRACK


def test_by_hma_and_by_county(engine, directory):
    p = progress(engine, directory)
    hmas = {t.name: (t.begun, t.total) for t in p.groups}
    assert p.groups_by == "HMA"
    assert hmas["Derby HMA"] == (3, 3)
    assert hmas["Leicester & Leicestershire HMA"] == (1, 8)
    assert hmas["Nottingham Core HMA"] == (1, 5)
    assert hmas["Northern HMA (North Derbyshire & Bassetlaw)"] == (1, 4)
    assert hmas["Central Lincolnshire HMA"] == (0, 3)
    assert sum(b for b, _ in hmas.values()) == 8
    counties = {t.name: (t.begun, t.total) for t in p.counties}
    assert counties == {"Derbyshire": (4, 8), "Leicestershire": (0, 7), "Lincolnshire": (0, 7),
                        "Northamptonshire": (0, 7), "Nottinghamshire": (1, 7)}


def test_as_of_an_earlier_day_reads_the_history(engine, directory):
    p = progress(engine, directory, as_of=date(2010, 11, 30))
    assert (p.begun, p.total) == (6, 40)
    # Gedling moved to evidence on 2 Dec; Rutland and High Peak began later still.
    assert p.funnel["engaged"] == 2 and p.funnel["evidence"] == 1 and p.funnel["plan-drafted"] == 1
    assert p.pace_so_far == 0.625  # Derby HMA's 3, Chesterfield, Gedling over 8 weeks; Leicester is older
    assert p.projected == date(2011, 12, 16)
    assert p.status == OFF_TRACK
    before_any = progress(engine, directory, as_of=date(2010, 10, 1))
    assert before_any.begun == 0 and sum(before_any.funnel.values()) == 0 and before_any.projected is None


def test_a_county_narrows_it(engine, directory):
    p = progress(engine, directory, "derbyshire")
    assert (p.scope.kind, p.scope.name, p.begun, p.total) == ("county", "Derbyshire", 4, 8)
    assert p.funnel["engaged"] == 2 and p.funnel["evidence"] == 1  # Chesterfield, High Peak; Derby HMA


def test_an_hma_all_begun_is_on_track(engine, directory):
    p = progress(engine, directory, "Derby HMA")
    assert (p.begun, p.total, p.status, p.projected) == (3, 3, ON_TRACK, date(2010, 10, 13))


def test_the_status_rule():
    def status(start_days: list[date], total: int, as_of: date) -> tuple[str, date | None]:
        pace = forecast(start_days=tuple(start_days), total=total, as_of=as_of, target=TARGET)
        return pace.status, pace.projected
    # One area a Monday from 3 Jan to 21 Feb: on Sunday 27 Feb that is 8 in 8 weeks, 1 a week,
    # with 33 days (4.7 weeks) to the target.
    weekly = [date(2011, 1, 3) + timedelta(weeks=n) for n in range(8)]
    sunday = date(2011, 2, 27)
    assert status(weekly, 12, sunday) == (ON_TRACK, date(2011, 3, 27))  # 4 left: 4 weeks
    # 5 left needs 1.06 a week: 1 a week is over three quarters of that, but lands on 3 Apr.
    assert status(weekly, 13, sunday) == (AT_RISK, date(2011, 4, 3))
    assert status(weekly, 20, sunday)[0] == OFF_TRACK  # 12 left needs 2.5 a week
    assert status(weekly, 12, date(2011, 4, 2))[0] == OFF_TRACK  # the target has passed
    assert status([], 5, date(2011, 1, 1)) == (OFF_TRACK, None)  # nothing begun yet


def test_what_mentions_ask(engine, directory):
    with Session(engine) as session:
        names = [a.name for a in not_begun(session, directory, scope_of(directory, "Derbyshire"))]
        overdue = overdue_actions(session, date(2010, 12, 15))
    assert names == ["Bolsover", "Derbyshire Dales", "Erewash", "North East Derbyshire"]
    assert [(a.text, title) for a, title in overdue] == [("Send the SHMA figures", "Chesterfield")]


@pytest.mark.parametrize("typed, message", [
    ("Narnia", "I don't know an area group called “Narnia”"),
    ("as of someday", "I couldn't read “someday” as a date"),
    ("as of 2010-12-16", "16 Dec 2010 has not happened yet"),
    ("as of", "As of which day?"),
])
def test_bad_input_says_what_works(directory, typed, message):
    with pytest.raises(InputError, match=message):
        parse_progress(directory, typed, NOW)


def test_the_request_is_read_in_any_order(directory):
    request = parse_progress(directory, "chart Nottingham Core share as of 2010-12-01", NOW)
    assert (request.scope.name, request.as_of, request.share, request.chart) == (
        "Nottingham Core HMA", date(2010, 12, 1), True, True)
    assert parse_progress(directory, "", NOW).as_of == date(2010, 12, 15)


def test_the_help_states_the_status_rule():
    from bot.views.blocks import render_text

    said = render_text("help.md.j2", stages=STAGES)
    assert "• Status: " + STATUS_RULE in said and "/sc progress" in said and "who leads Leicester?" in said
