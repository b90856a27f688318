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
    FORECAST_RULE,
    OFF_TRACK,
    ON_TRACK,
    STATUS_RULE,
    Progress,
    area_lines,
    measure,
    not_begun,
    overdue_actions,
    parse_progress,
    scope_of,
    stalled,
)
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
    # The last 8 whole weeks (21 Oct to 15 Dec): Chesterfield, Gedling, Rutland and High Peak in weeks 3, 5, 7
    # and 8; 32 left over the 107 days to 1 Apr 2011.
    assert p.weekly == (0, 0, 1, 0, 1, 0, 1, 1) and p.pace_so_far == 0.5
    assert round(p.pace_needed, 2) == 2.09
    # Each simulated week begins one area or none, even odds: 15 weeks to the target begin 15 at most.
    assert (p.chance, p.status) == (0.0, OFF_TRACK)
    # 32 begun takes n weeks with P(Binomial(n, 1/2) >= 32) >= 1/2: 63 weeks (exactly 1/2), 72 for 85% (0.855).
    assert p.p50 == date(2010, 12, 15) + timedelta(weeks=63) and p.p85 == date(2010, 12, 15) + timedelta(weeks=72)


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
    # Derby HMA's 3, Chesterfield, Gedling over the 8 whole weeks from 5 Oct; Leicester (4 Oct) is older.
    assert p.weekly == (0, 3, 0, 0, 0, 1, 0, 1) and p.pace_so_far == 0.625
    assert p.status == OFF_TRACK
    before_any = progress(engine, directory, as_of=date(2010, 10, 1))
    assert before_any.begun == 0 and sum(before_any.funnel.values()) == 0
    assert (before_any.status, before_any.p50) == ("too early to tell", None)


def test_a_county_narrows_it(engine, directory):
    p = progress(engine, directory, "derbyshire")
    assert (p.scope.kind, p.scope.name, p.begun, p.total) == ("county", "Derbyshire", 4, 8)
    assert p.funnel["engaged"] == 2 and p.funnel["evidence"] == 1  # Chesterfield, High Peak; Derby HMA


def test_an_hma_all_begun_is_on_track(engine, directory):
    p = progress(engine, directory, "Derby HMA")
    assert (p.begun, p.total, p.status, p.p50) == (3, 3, ON_TRACK, date(2010, 10, 13))


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
    from bot.views.help import help_text

    said = help_text()
    assert "• Status: " + STATUS_RULE in said and "• Forecast: " + FORECAST_RULE in said and "/sc progress" in said and "who leads Leicester?" in said


def test_report_table_rows_never_split_across_pages(engine, directory):
    """Leads with long Slack display names (80 characters, Slack's longest) make rows of several lines; each
    row stays whole on one page, and each table's header row starts every page it runs onto."""
    from weasyprint import HTML

    from bot.documents.charts import burn_up_png
    from bot.documents.progress_report import report_html

    with Session(engine) as session:
        p = measure(session, directory, scope_of(directory, ""), date(2010, 12, 20), TARGET)
        lines = area_lines(session, directory, p.scope, p.as_of)
    names = {"U0MEMBER": "Margaret Montgomery-Fitzwilliam, Housing Strategy and Enabling Lead (East)",
             "U0OTHER": "Olivia Oyelaran-Whitfield, Strategic Housing Market Assessment Programme Officer"}
    document = HTML(string=report_html(p, lines, stalled(lines, p.as_of, 21), names, 21, burn_up_png(p))).render()
    pages_of_row: dict[int, set[int]] = {}
    headers_on: list[int] = []

    def rows(box, page: int) -> None:
        if getattr(box, "element_tag", None) == "tr":
            if box.element.find("td") is not None:
                pages_of_row.setdefault(id(box.element), set()).add(page)
            elif page not in headers_on:
                headers_on.append(page)
        for child in getattr(box, "children", None) or []:
            rows(child, page)

    for number, page in enumerate(document.pages):
        rows(page._page_box, number)
    assert len(document.pages) >= 3 and len(pages_of_row) > 50
    assert [pages for pages in pages_of_row.values() if len(pages) > 1] == []
    assert headers_on == list(range(len(document.pages)))  # the area table's header on each page it runs to
