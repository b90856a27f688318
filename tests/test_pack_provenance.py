"""Every figure in every format of an evidence pack says where it is from: its period, publisher, table and
release, whether it is published or worked out, and under which licence; and the charts show the subject's
own areas honestly (their 2021 unitaries labelled, axes from zero or marked, colours told apart)."""
import csv
import io
import subprocess

import pytest
from docx import Document
from docx.text.paragraph import Paragraph
from openpyxl import load_workbook
from sqlmodel import Session

from bot.documents.charts import COMPARATORS, chart_plan, topic_chart_png
from bot.documents.evidence_pack import documents
from models import clock
from models.areas import load_directory
from models.db import get_engine
from models.evidence import Subject, build_pack
from models.migrate import upgrade
from models.statistics import TOPICS

BASES = {"published", "none recorded (no row published)", "derived: sum of the areas' published figures",
         "derived: rate of published counts", "derived: rate of the sums of the areas' published counts"}


@pytest.fixture(scope="module")
def packs(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('provenance') / 'store.sqlite3'}"
    upgrade(url)
    with Session(get_engine(url)) as session:
        directory = load_directory(session)
        subjects = [Subject("Corby", "area", ("E07000150",)),
                    Subject("Nottingham Core HMA", "hma", tuple(a.code for a in directory.hmas["Nottingham Core HMA"])),
                    Subject("Derbyshire", "county", tuple(a.code for a in directory.areas if a.county == "Derbyshire"))]
        return {s.name: build_pack(session, directory, s, list(TOPICS), 2008, 2011, clock.now()) for s in subjects}


@pytest.fixture(scope="module")
def files(packs):
    return {name: {d.filename.rsplit(".", 1)[-1]: d.content for d in documents(pack, ["xlsx", "csv", "docx", "pdf"])}
            for name, pack in packs.items()}


def test_every_spreadsheet_row_names_its_basis_and_source_release_and_every_title_its_period(packs, files):
    for name, pack in packs.items():
        book = load_workbook(io.BytesIO(files[name]["xlsx"]))
        for section in pack.sections:
            rows = list(book[section.topic.capitalize()].iter_rows())
            for table in section.tables:
                at = next(i for i, r in enumerate(rows) if r[0].value == table.label)
                assert table.indicator.period_note and table.indicator.period_note in table.label
                width = 4 + len(table.periods)  # area, kind, the periods, basis, source
                assert [c.value for c in rows[at + 1]][:width] == ["Area", "Kind", *table.periods, "Basis", "Source"]
                for row, cells in zip(table.rows, rows[at + 2:at + 2 + len(table.rows)], strict=True):
                    values = [c.value for c in cells][:width]
                    assert values[0] == row.label
                    assert values[-2] and set(values[-2].split("; ")) <= BASES, values
                    assert values[-1] == "; ".join(c.line for c in table.credits)
                    assert all(c.release in values[-1] and c.released in values[-1] for c in table.credits)
                    for period, box in zip(table.periods, cells[2:], strict=False):
                        if period in row.none_recorded:
                            assert box.value == 0 and "none recorded" in box.number_format
        sources = list(book["Sources"].iter_rows(values_only=True))
        assert sources[0] == ("Publisher", "Table", "Release", "Published", "Licence", "Compiled by")
        assert len([r for r in sources[1:] if r[0]]) - 2 == len(pack.credits)
        for credit in pack.credits:
            assert (credit.publisher, credit.table, credit.release, credit.released, credit.licence,
                    credit.compiled_by) in sources
        text = " ".join(str(v) for sheet in ("About", "Sources") for r in book[sheet].iter_rows(values_only=True)
                        for v in r if v)
        assert ".csv" not in text and "em_housing" not in text
        assert f"Figures: {pack.releases}" in text and "published 29 June 2020 to 22 May 2025" in pack.releases


def test_the_csv_has_a_period_note_a_source_a_basis_and_numbers_as_the_source_writes_them(packs, files):
    rows = list(csv.DictReader(io.StringIO(files["Nottingham Core HMA"]["csv"].decode())))
    assert rows
    for row in rows:
        for column in ("period_note", "publisher", "table", "release", "released", "licence"):
            assert row[column], (column, row)
        assert row["basis"] in BASES, row
        assert not row["value"].endswith(".0"), row
        float(row["value"])
        if row["basis"].startswith("derived: sum"):
            assert row["area_code"] == "" and row["kind"] in ("total", "region")
        if row["kind"] in ("area", "England") and row["unit"] == "dwellings":
            assert "." not in row["value"]
    nottingham = next(r for r in rows if r["area"] == "Nottingham" and r["indicator"] == "dwellings")
    assert (nottingham["period"], nottingham["period_note"], nottingham["basis"]) == ("2008", "at 31 March", "published")
    assert nottingham["release"] == "Dwelling stock estimates, England: 31 March 2024"
    none = [r for r in rows if r["basis"].startswith("none recorded")]
    assert none and all(r["value"] == "0" for r in none)
    households = next(r for r in rows if r["indicator"] == "households")
    assert "ONS 2018-based household projections" in households["indicator_label"]


def test_every_docx_table_has_a_source_line_and_the_docx_has_the_charts(packs, files):
    for name, pack in packs.items():
        document = Document(io.BytesIO(files[name]["docx"]))
        body = document.element.body
        tables = [t for s in pack.sections for t in s.tables]
        found = body.findall("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tbl")
        assert len(found) == len(tables)
        for element, table in zip(found, tables, strict=True):
            line = Paragraph(element.getnext(), document).text
            assert line == f"Source: {'; '.join(c.line for c in table.credits)}.", line
        assert len(document.inline_shapes) == sum(1 for s in pack.sections if s.chart) == 4
        text = "\n".join(p.text for p in document.paragraphs)
        assert all(c.released in text and c.licence in text for c in pack.credits)


def test_the_pdf_sources_page_lists_each_release_and_licence_and_no_file_names(packs, files, tmp_path):
    path = tmp_path / "pack.pdf"
    path.write_bytes(files["Corby"]["pdf"])
    words = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                    check=True).stdout.split())
    words = words.replace("\ufb00", "ff").replace("\ufb01", "fi").replace("\ufb02", "fl")  # the font's ligatures
    assert ".csv" not in words and "em_housing" not in words
    assert "Figures From releases published 29 June 2020 to 22 May 2025" in words
    for credit in packs["Corby"].credits:
        assert credit.released in words and credit.release.split(":")[0] in words
    assert "none recorded: the publisher lists no homes of that kind" in words


def test_charts_show_the_subjects_areas_with_successor_labels_distinct_colours_and_honest_axes(packs):
    derbyshire = {s.topic: chart_plan(s.chart) for s in packs["Derbyshire"].sections}
    prices = derbyshire["prices"]
    assert prices.kind == "ranked" and len(prices.series) == 8  # every district, not only region and England
    assert {r.label for r in prices.references} == {"the East Midlands region", "England"}
    corby = {s.topic: chart_plan(s.chart) for s in packs["Corby"].sections}
    line = corby["prices"]
    assert line.kind == "lines" and line.series[0].label == "North Northamptonshire (2021 unitary)"
    assert line.axis_from and line.axis_from > 0  # prices far from zero: the axis is marked as broken
    assert corby["supply"].kind == "bars" and corby["supply"].axis_from is None  # bars always start at zero
    for plan in [*derbyshire.values(), *corby.values()]:
        if plan.kind != "ranked":
            looks = [(s.colour, s.style) for s in plan.series]
            assert len(looks) == len(set(looks)), plan
    assert {c for c, _s in COMPARATORS.values()} <= {"#666666", "#000000"}
    assert topic_chart_png(packs["Corby"].sections[2].chart).startswith(b"\x89PNG")
