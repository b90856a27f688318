"""Evidence packs for every region, from the shipped national statistics files: `scbot stats import` loads them,
an extract for any English area compares it with its county, its region and England, and every published figure
in a pack is the one the national file gives under the code and period the pack shows."""
import csv
import io
import os
import subprocess
import sys

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, func, select

from bot.documents.evidence_pack import documents
from bot.documents.figures import csv_file
from models import clock
from models.areas import load_directory
from models.db import get_engine
from models.evidence import Subject, build_pack
from models.migrate import upgrade
from models.statistics import TENURES, TOPICS
from models.tables import Area, Statistic
from tests.conftest import fresh_database

NATIONAL = os.path.join(os.path.dirname(__file__), "..", "models", "data", "national")
VACANCY = "oi_housing__vacant_dwellings_households_AllCombined_Cleaned_2024.csv"
NET = "oi_housing__net_additional_dwellings_by_local_authority.csv"
PRICES = "oi_housing__median_house_prices.csv"
RATIO = "oi_housing__hp_to_wage_ratio__converted_from_parquet.csv"
SUPPLY = "oi_housing__affordable_homes_by_tenure.csv"
POPULATION = "oi_housing__population_all_ages.csv"
TABLE_6C = "lufisher__ons_table6c_lq_affordability_2002_2022.csv"
# Each series: the national file it is published in and its Measure there.
PUBLISHED_IN = {
    "dwellings": (VACANCY, "Dwellings"), "vacant_all": (VACANCY, "AllVacants"),
    "vacant_long_term": (VACANCY, "LongTermVacants"), "households": (VACANCY, "HouseholdProjection"),
    "net_additional_dwellings": (NET, "net_additional_dwellings"), "median_house_price": (PRICES, "Median"),
    "population": (POPULATION, "population"), "affordability_median": (RATIO, ""),
    "affordability_lower_quartile": (TABLE_6C, ""),
    **{f"affordable_{slug}": (SUPPLY, name) for name, slug in TENURES.items()},
}


def raw(file: str) -> dict[tuple[str, str, str], float]:
    """A national file as published: (code, measure, period) -> value, read with the csv module alone."""
    with open(os.path.join(NATIONAL, file), newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    if file == TABLE_6C:
        header = rows[1]
        years = [(i, y) for i, y in enumerate(header) if y.isdigit()]
        return {(row[2], "", year): float(row[i]) for row in rows[2:] if len(row) > 3
                for i, year in years if row[i].strip() not in ("", ":")}
    header = [c.lower() for c in rows[0]]
    at = {c: header.index(c) for c in header}
    return {(row[at["geography_code"]], row[at["measure"]] if "measure" in at else "", row[at["date"]]):
            float(row[at["value"]]) for row in rows[1:] if row[at["value"]].strip()}


@pytest.fixture(scope="module")
def published():
    return {file: raw(file) for file in {f for f, _m in PUBLISHED_IN.values()}}


def scbot(url: str, *words: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli", *words], check=True, capture_output=True, text=True,
                          env={**os.environ, "DATABASE_URL": url})


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(request, tmp_path_factory):
    with fresh_database(request.param, tmp_path_factory.mktemp("national")) as url:
        upgrade(url)  # the East Midlands areas and figures, as every deployment starts
        with Session(get_engine(url)) as session:
            leicester = east_midlands_pack(session)
        scbot(url, "regions", "import")
        first = scbot(url, "stats", "import")
        again = scbot(url, "stats", "import")
        with Session(get_engine(url)) as session:
            yield session, first.stdout, again.stdout, leicester


def east_midlands_pack(session) -> bytes:
    directory = load_directory(session)
    pack = build_pack(session, directory, Subject("Leicester", "area", ("E06000016",)), list(TOPICS), 2008, 2011,
                      clock.now())
    return csv_file(pack)


def pack_for(session, name: str, topics=tuple(TOPICS)):
    directory = load_directory(session)
    [area] = [a for a in directory.areas if a.name == name]
    return build_pack(session, directory, Subject(area.name, "area", (area.code,)), list(topics), 2008, 2011,
                      clock.now())


def table(pack, key: str):
    return next(t for s in pack.sections for t in s.tables if t.indicator.key == key)


def notes(pack) -> list[str]:
    return [n for s in pack.sections for n in s.notes]


def test_stats_import_loads_every_region_and_england_once(store):
    session, first, again, _leicester = store
    assert first.count(" added") == 7 and "malformed" not in first
    assert again.count(" 0 added, 0 updated,") == 7, again
    regions = session.exec(select(Statistic.area_code).where(Statistic.indicator == "dwellings",
                                                             Statistic.period == "2011",
                                                             Statistic.area_code.like("E12%"))).all()
    assert sorted(regions) == [f"E1200000{n}" for n in range(1, 10)]
    assert session.exec(select(func.min(Statistic.period_key), func.max(Statistic.period_key))).one() == \
        (200800, 201112)
    # Every English area of 2010 has figures, under its own code or the one that holds it today (ONS's lookup).
    with open(os.path.join(NATIONAL, "drkane__la_all_codes.csv"), newline="", encoding="utf-8-sig") as handle:
        today = {row["LADCD"]: row["LADCD_ACTIVE"] for row in csv.DictReader(handle)}
    held = set(session.exec(select(Statistic.area_code).distinct()).all())
    areas = session.exec(select(Area.code)).all()
    assert len(areas) == 326
    assert [code for code in areas if code not in held and today.get(code) not in held] == []


def test_the_east_midlands_packs_are_unchanged_by_the_national_import(store):
    session, _first, _again, leicester = store
    assert east_midlands_pack(session) == leicester


def test_a_west_midlands_district_is_compared_with_its_county_region_and_england(store, published):
    session = store[0]
    pack = pack_for(session, "Stratford-on-Avon")
    assert (pack.region, pack.county, pack.hma) == ("West Midlands", "Warwickshire", "")
    warwickshire = session.exec(select(Area.code).where(Area.county == "Warwickshire")).all()
    assert len(warwickshire) == 5
    net = table(pack, "net_additional_dwellings")
    assert [(r.label, r.role, r.code) for r in net.rows] == [
        ("Stratford-on-Avon", "area", "E07000221"), ("Warwickshire (total of its 5 areas)", "county", ""),
        ("West Midlands", "region", "E12000005"), ("England", "england", "E92000001")]
    raw_net = published[NET]
    assert net.rows[1].values["2010-11"] == sum(raw_net[(c, "net_additional_dwellings", "2010-11")]
                                                for c in warwickshire)
    assert net.rows[0].values["2011-12"] == raw_net[("E07000221", "net_additional_dwellings", "2011-12")]
    price = table(pack, "median_house_price")
    assert price.rows[0].values["Dec 2011"] == published[PRICES][("E07000221", "Median", "Dec 2011")]
    assert price.rows[1].values["Dec 2011"] == published[PRICES][("E12000005", "Median", "Dec 2011")]
    assert any("above the West Midlands region" in s for s in pack.sections[2].commentary)
    said = " ".join(s for section in pack.sections for s in section.commentary)
    assert "the county of Warwickshire (total of its 5 areas)" in said
    assert "of the 30 West Midlands areas" in said
    assert any(n.startswith("Median house price to median earnings ratio and Lower-quartile") and
               "no figure for the West Midlands region or England" in n for n in notes(pack))


def test_every_published_figure_is_the_national_files_under_the_code_and_period_shown(store, published):
    session = store[0]
    checked = 0
    for name in ("Stratford-on-Avon", "Birmingham", "Gateshead", "Taunton Deane", "Christchurch"):
        pack = pack_for(session, name)
        for section in pack.sections:
            for t in section.tables:
                if t.indicator.rate_of:
                    continue
                file, measure = PUBLISHED_IN[t.indicator.key]
                for row in (r for r in t.rows if not r.derived):
                    assert row.sources == {file}, (name, t.indicator.key, row.label)
                    for period, value in row.values.items():
                        if period not in row.none_recorded:
                            assert published[file][(row.code, measure, period)] == value, (name, row.label, period)
                            checked += 1
        sources = load_workbook(io.BytesIO(documents(pack, ["xlsx"])[0].content))["Sources"]
        listed = [r[1] for r in sources.iter_rows(values_only=True)]
        assert all(c.table in listed for c in pack.credits)
    assert checked > 500


def test_birmingham_has_no_county_and_gateshead_is_shown_under_its_later_code(store):
    session = store[0]
    birmingham = table(pack_for(session, "Birmingham", ["stock"]), "dwellings")
    assert [r.role for r in birmingham.rows] == ["area", "region", "england"]
    gateshead = pack_for(session, "Gateshead", ["stock"])
    assert session.get(Area, "E08000020").name == "Gateshead"
    assert table(gateshead, "dwellings").rows[0].code == "E08000037"
    assert table(gateshead, "dwellings").rows[0].label == "Gateshead"
    assert any("published under the code it was given after 2011 (E08000037)" in n for n in notes(gateshead))


def test_a_successors_figure_is_labelled_as_the_successors_and_never_given_to_a_district(store):
    session = store[0]
    christchurch = pack_for(session, "Christchurch", ["prices", "supply"])
    price = table(christchurch, "median_house_price")
    assert price.rows[0].label == ("Bournemouth, Christchurch and Poole (2019 successor unitary: Bournemouth, "
                                   "Christchurch, Poole)")
    assert price.rows[0].role == "successor" and not any(r.label == "Christchurch" for r in price.rows)
    # The successor also covers two unitaries outside Dorset: there is no Dorset total of affordable homes.
    assert not any(r.role == "county" for r in table(christchurch, "affordable_social_rent").rows)
    taunton = pack_for(session, "Taunton Deane", ["prices"])
    assert table(taunton, "affordability_lower_quartile").rows[0].code == "E07000246"
    assert table(taunton, "median_house_price").rows[0].code == "E06000066"
    assert any("published on 2019 boundaries only" in n and "Somerset West and Taunton (covering Taunton Deane), "
               "the 2019 district" in n for n in notes(taunton))


def test_the_west_midlands_pdf_and_spreadsheet_carry_the_county_and_the_sources(store, tmp_path):
    pack = pack_for(store[0], "Stratford-on-Avon")
    pdf, xlsx_file = (d.content for d in documents(pack, ["pdf", "xlsx"]))
    (tmp_path / "pack.pdf").write_bytes(pdf)
    text = " ".join(subprocess.run(["pdftotext", str(tmp_path / "pack.pdf"), "-"], check=True, capture_output=True,
                                   text=True).stdout.split())
    for words in ("County", "Warwickshire (total of its 5 areas)", "West Midlands", "England", "Sources",
                  "open-innovations/housing (CC BY 4.0)", "Open Government Licence v3.0"):
        assert words in text, words
    about = [r[0] for r in load_workbook(io.BytesIO(xlsx_file))["About"].iter_rows(values_only=True)]
    assert "County: Warwickshire" in about and "Region: West Midlands" in about
