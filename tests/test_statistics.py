"""The statistics store, its imports, the evidence pack's content and commentary, and safe documents."""
import csv
import io
import subprocess
import sys

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from bot.documents.figures import csv_file, neutralise, xlsx
from models import clock
from models.areas import load_directory
from models.db import get_engine
from models.evidence import Subject, build_pack
from models.extracts import parse_extract
from models.migrate import upgrade
from models.statistics import DATA, import_statistics
from models.tables import Area, Statistic

SHIPPED = DATA / "em_housing_indicators_2008_2011_long.csv"


@pytest.fixture
def store(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    upgrade(url)  # seeds the areas and the shipped figures
    with Session(get_engine(url)) as session:
        yield session


def test_first_run_loads_the_shipped_figures_and_importing_again_changes_nothing(store):
    with open(SHIPPED) as handle:
        published = [r for r in csv.DictReader(handle) if r["value"]]
    assert len(store.exec(select(Statistic).where(Statistic.source_file != "")).all()) >= len(published)
    report = import_statistics(store, SHIPPED)
    assert (report.added, report.updated, report.unchanged, report.problems) == (0, 0, len(published), [])


def test_a_malformed_row_is_reported_by_file_and_line_and_the_rest_load(store, tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text(
        "geography_code,la_name,period,indicator,value,unit,source_file\n"
        "E06000016,Leicester,2012,population_mid_year,331000,persons,oi_housing__population_all_ages.csv\n"
        "E06000016,Leicester,2013,population_mid_year,lots,persons,oi_housing__population_all_ages.csv\n"
        "Leicester,Leicester,2013,population_mid_year,1,persons,oi_housing__population_all_ages.csv\n"
        "E06000016,Leicester,2013,rainfall,1,mm,oi_housing__population_all_ages.csv\n"
        "E06000016,Leicester,someday,population_mid_year,1,persons,oi_housing__population_all_ages.csv\n"
        "E06000016,Leicester,2014,population_mid_year,,persons,oi_housing__population_all_ages.csv\n")
    report = import_statistics(store, path)
    assert report.added == 1 and report.blank == 1
    assert [p.split(":")[0] for p in report.problems] == [f"mixed.csv, line {n}" for n in (3, 4, 5, 6)]
    assert "“lots” is not a number" in report.problems[0]
    assert "not a GSS code" in report.problems[1]
    stored = store.exec(select(Statistic).where(Statistic.area_code == "E06000016",
                                                Statistic.period == "2012")).one()
    assert stored.value == 331000 and stored.indicator == "population"


def test_national_files_load_in_their_own_layouts(store, tmp_path):
    wide = tmp_path / "lufisher__ons_table6c_lq_affordability_2002_2022.csv"
    wide.write_text('"Table 6c - Ratio of lower quartile house price to lower quartile earnings",,,,,\n'
                    "Region code,Region name ,Local authority code,Local authority name,2012,2013\n"
                    "E12000004,East Midlands,E06000016,Leicester,5.60,5.75\n"
                    ",,,,,\n")
    ratios = tmp_path / "oi_housing__hp_to_wage_ratio__converted_from_parquet.csv"
    ratios.write_text("geography_code,date,value\nE06000016,2012,5.9\nE06000015,2012,x\n")
    vacant = tmp_path / "oi_housing__vacant_dwellings_households_AllCombined_Cleaned_2024.csv"
    vacant.write_text("geography_code,geography_name,Measure,date,Value\n"
                      "E06000016,Leicester,LongTermVacants,2012,1700\nE06000016,Leicester,SecondHomes,2012,9\n")
    assert import_statistics(store, wide).added == 2
    report = import_statistics(store, ratios)
    assert report.added == 1 and report.problems == [f"{ratios.name}, line 3: the value “x” is not a number"]
    report = import_statistics(store, vacant)
    assert (report.added, report.not_used) == (1, 1)
    figures = {(s.indicator, s.period): s.value for s in store.exec(
        select(Statistic).where(Statistic.area_code == "E06000016", Statistic.period_key >= 201200))}
    assert figures == {("affordability_lower_quartile", "2012"): 5.6, ("affordability_lower_quartile", "2013"): 5.75,
                       ("affordability_median", "2012"): 5.9, ("vacant_long_term", "2012"): 1700}


def test_scbot_stats_import_reports_and_fails_on_a_file_it_cannot_read(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    upgrade(url)
    other = tmp_path / "areas.csv"
    other.write_text("name,colour\nLeicester,red\n")
    result = subprocess.run([sys.executable, "-m", "bot.cli", "stats", "import", str(SHIPPED), str(other)],
                            check=False, capture_output=True, text=True,
                            env={**__import__("os").environ, "DATABASE_URL": url})
    assert result.returncode == 1
    assert "em_housing_indicators_2008_2011_long.csv: 0 added, 0 updated, 2,120 unchanged" in result.stdout
    assert "Nothing imported from" in result.stderr and "not a statistics file" in result.stderr


def test_a_northamptonshire_district_shows_its_successors_figures_as_the_successors(store):
    directory = load_directory(store)
    spec = parse_extract(directory, "Corby prices", (2008, 2011))
    [section] = build_pack(store, directory, spec.subject, ["prices"], 2008, 2011, clock.now()).sections
    price = next(t for t in section.tables if t.indicator.key == "median_house_price")
    assert [r.role for r in price.rows] == ["successor", "region", "england"]
    assert price.rows[0].label.startswith("North Northamptonshire (2021 successor unitary")
    assert price.rows[0].code == "E06000061"
    assert any(n.startswith("Median house price, ") and "no figure for Corby on its own" in n for n in section.notes)
    assert not any(r.label == "Corby" for r in price.rows)
    assert all("Corby" not in s.split(" in ")[1][:6] for s in section.commentary if " in " in s)


def test_an_area_with_no_figures_for_a_topic_still_gets_a_pack_that_says_so(store):
    directory = load_directory(store)
    [section] = build_pack(store, directory, Subject("Leicester", "area", ("E06000016",)), ["people"],
                           1995, 1996, clock.now()).sections
    assert section.tables == [] and section.commentary == []
    assert section.notes == ["The store holds no figures on population and households for Leicester in these years."]


def test_text_a_spreadsheet_would_run_is_neutralised(store):
    area = store.get(Area, "E06000016")
    area.name = "=HYPERLINK(\"http://evil\",\"Leicester\")"
    store.add(area)
    store.flush()
    directory = load_directory(store)
    pack = build_pack(store, directory, Subject(area.name, "area", ("E06000016",)), ["people"], 2008, 2011,
                      clock.now())
    book = load_workbook(io.BytesIO(xlsx(pack)))
    names = [row[0] for row in book["People"].iter_rows(values_only=True) if row[0]]
    assert "'=HYPERLINK(\"http://evil\",\"Leicester\")" in names
    assert not any(str(n).startswith("=") for n in names)
    rows = list(csv.reader(io.StringIO(csv_file(pack).decode())))
    assert any(r[1] == "'=HYPERLINK(\"http://evil\",\"Leicester\")" for r in rows)
    assert [neutralise(t) for t in ("+1", "-1", "@SUM(A1)", "\tx", "\rx", "Derby")] == [
        "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx", "Derby"]
