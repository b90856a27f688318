"""The commentary rules, checked on every sentence of every pack the shipped figures make: each of the 40
areas, every HMA, every county and the region, all four topics.

Every sentence must be one the rules below can read (an unreadable one fails), and each is checked
against the figures its own pack prints:
- a change is recomputed from the two printed figures (verb, percentage or percentage points);
- a comparison's above/below/the same is read from the printed figures;
- a rank is recomputed from the region pack's printed figures for the 2009 areas; a tie is "joint" and names
  every area sharing it; it says how many areas have a figure, and no 2021 unitary is ranked with them;
- a group's highest and lowest name every tied area, say how many areas have a figure, and never mix 2009
  areas with 2021 unitaries;
- a partial geography keeps its qualifier: "(East Midlands part)", and any Nottingham Core or Outer HMA total
  says what it does with Hucknall;
- affordable supply: "none recorded" where the publisher's totals show none, a total for every year.
"""
import csv
import re
from functools import cache

import pytest
from sqlmodel import Session

from models import clock
from models.areas import load_directory
from models.commentary import NONE, join, ordinal, printed_value
from models.db import get_engine
from models.evidence import Subject, build_pack, cell
from models.migrate import upgrade
from models.statistics import DATA, ENGLAND, TENURES, TOPICS

PERIOD = r"(?:[A-Z][a-z]{2} )?\d{4}(?:-\d{2})?"
NUM = r"(?:none recorded|-?£?\d[\d,]*(?:\.\d+)?%?)"
CHANGE = re.compile(rf"^(?P<what>.+?) in (?P<where>.+) (?P<verb>rose|fell) from (?P<a>{NUM}) in (?P<p0>{PERIOD}) "
                    rf"to (?P<b>{NUM}) in (?P<p1>{PERIOD})(?: \((?P<dir>up|down) (?P<size>[\d.]+)"
                    rf"(?P<kind>%| percentage points)\))?\.$")
UNCHANGED = re.compile(rf"^(?P<what>.+?) in (?P<where>.+) was unchanged at (?P<a>{NUM}) between (?P<p0>{PERIOD}) "
                       rf"and (?P<p1>{PERIOD})\.$")
LITTLE = re.compile(rf"^(?P<what>.+?) in (?P<where>.+) was little changed between (?P<p0>{PERIOD}) and "
                    rf"(?P<p1>{PERIOD}), at (?P<a>{NUM})\.$")
NEITHER = re.compile(rf"^(?P<what>.+?) in (?P<where>.+): none recorded in (?P<p0>{PERIOD}) or in (?P<p1>{PERIOD})\.$")
COMPARE = re.compile(rf"^In (?P<p>{PERIOD}) the (?P<what>.+?) in (?P<where>.+?) \((?P<v>{NUM})\) was (?P<rest>"
                     rf"(?:above|below|the same as) .+)\.$")
OTHER = re.compile(rf"(above|below|the same as) (.+?) \(({NUM})\)(?:, | and |$)")
RANK = re.compile(rf"^(?P<where>.+)'s (?P<what>.+?) \((?P<v>{NUM})\) was (?P<place>.+?) of the (?P<n>\d+) "
                  rf"(?:of the (?P<m>\d+) )?(?P<region>[A-Z][a-z]+ [A-Z][a-z]+) areas \(2009 boundaries\) with a "
                  rf"figure for (?P<p>{PERIOD})\.$")
SPREAD = re.compile(rf"^(?:Across its (?P<all>\d+) areas|Of the (?P<n>\d+) of its (?P<m>\d+) areas with a figure|"
                    rf"Across the (?P<u>\d+) 2021 unitaries covering its areas), in (?P<p>{PERIOD}) the "
                    rf"(?P<what>.+?) was (?:highest in (?P<high>.+?) \((?P<hv>{NUM})(?: each)?\) and lowest in "
                    rf"(?P<low>.+?) \((?P<lv>{NUM})(?: each)?\)|the same in every one \((?P<same>{NUM}) each\))\."
                    rf"(?: (?P<left>.+), on 2021 boundaries, (?:is|are) not compared with the 2009 areas\.)?$")
TENURE_TOTAL = re.compile(rf"^From (?P<p0>{PERIOD}) to (?P<p1>{PERIOD}), (?P<total>[\d,]+|no) affordable homes were "
                     rf"recorded as delivered in (?P<where>.+?): (?P<parts>.+)\.$")


@pytest.fixture(scope="module")
def packs(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('rules') / 'store.sqlite3'}"
    upgrade(url)
    with Session(get_engine(url)) as session:
        directory = load_directory(session)
        subjects = [Subject(a.name, "area", (a.code,)) for a in directory.areas]
        subjects += [Subject(h, "hma", tuple(a.code for a in areas)) for h, areas in directory.hmas.items()]
        counties = sorted({a.county for a in directory.areas if a.county})
        subjects += [Subject(c, "county", tuple(a.code for a in directory.areas if a.county == c)) for c in counties]
        subjects.append(Subject("East Midlands", "region", tuple(a.code for a in directory.areas)))
        built = {s.name: build_pack(session, directory, s, list(TOPICS), 2008, 2011, clock.now()) for s in subjects}
    assert len(built) == 40 + 11 + 5 + 1  # areas, HMAs, counties, the region
    return built


def test_the_packs_cover_every_kind_of_subject(packs):
    kinds = [p.subject.kind for p in packs.values()]
    assert (kinds.count("area"), kinds.count("hma"), kinds.count("county"), kinds.count("region")) == (40, 11, 5, 1)


def sentences(packs):
    for pack in packs.values():
        for section in pack.sections:
            for sentence in section.commentary:
                yield pack, section, sentence


def table_of(section, what):
    [table] = [t for t in section.tables if t.indicator.noun.lower() == what.lower()]
    return table


def row_named(table, name):
    [row] = [r for r in table.rows if r.name == name]
    return row


def printed(table, row, period):
    return cell(row, period, table.indicator.unit)


def test_every_sentence_is_one_the_rules_can_check(packs):
    unread = [s for _p, _s, s in sentences(packs)
              if not any(p.match(s) for p in (CHANGE, UNCHANGED, LITTLE, NEITHER, COMPARE, RANK, SPREAD, TENURE_TOTAL))]
    assert unread == []


def test_every_stated_change_is_recomputed_from_the_printed_figures(packs):
    checked = 0
    for _pack, section, sentence in sentences(packs):
        found = next((m for p in (CHANGE, UNCHANGED, LITTLE, NEITHER) if (m := p.match(sentence))), None)
        if not found:
            continue
        table = table_of(section, found["what"])
        row = row_named(table, found["where"])
        a, b = printed(table, row, found["p0"]), printed(table, row, found["p1"])
        # The whole period the table covers, first to last.
        assert (found["p0"], found["p1"]) == (table.periods[0], table.periods[-1]), sentence
        if found.re is CHANGE:
            assert (found["a"], found["b"]) == (a, b), sentence
            assert a != b and (printed_value(b) > printed_value(a)) == (found["verb"] == "rose"), sentence
            if table.indicator.unit == "percent":
                assert found["kind"] == " percentage points", sentence
                assert found["size"] == f"{abs(printed_value(b) - printed_value(a)):.1f}", sentence
            elif table.indicator.unit != "ratio" and printed_value(a) > 0:
                assert found["size"] + "%" == f"{abs(printed_value(b) - printed_value(a)) / printed_value(a):.1%}"
            else:
                assert found["size"] is None, sentence
        elif found.re is NEITHER:
            assert a == b == NONE, sentence
        else:
            assert a == b == found["a"], sentence
        checked += 1
    assert checked > 500


def test_every_comparison_agrees_with_the_printed_figures(packs):
    checked = 0
    for _pack, section, sentence in sentences(packs):
        if not (found := COMPARE.match(sentence)):
            continue
        table = table_of(section, found["what"])
        mine = printed(table, row_named(table, found["where"]), found["p"])
        assert found["v"] == mine, sentence
        others = OTHER.findall(found["rest"])
        assert others, sentence
        for relation, name, value in others:
            other = printed(table, row_named(table, name), found["p"])
            assert value == other, sentence
            expected = ("the same as" if other == mine else
                        "above" if printed_value(mine) > printed_value(other) else "below")
            assert relation == expected, sentence
            checked += 1
    assert checked > 200


def test_every_rank_is_recomputed_ties_are_joint_and_only_2009_areas_are_ranked(packs):
    region = packs["East Midlands"]
    checked = 0
    for pack, section, sentence in sentences(packs):
        if not (found := RANK.match(sentence)):
            continue
        assert pack.subject.kind == "area", sentence
        regional = table_of(next(s for s in region.sections if s.topic == section.topic), found["what"])
        figures = [(r.name, printed(regional, r, found["p"])) for r in regional.rows
                   if r.role == "area" and found["p"] in r.values]
        mine = dict(figures)[found["where"]]
        assert found["v"] == mine, sentence
        assert int(found["n"]) == len(figures) and int(found["m"] or found["n"]) == 40, sentence
        position = 1 + sum(printed_value(v) > printed_value(mine) for _n, v in figures)
        tied = [n for n, v in figures if v == mine and n != found["where"]]
        lowest = not any(printed_value(v) < printed_value(mine) for _n, v in figures)
        if tied:
            word = "highest" if position == 1 else "lowest" if lowest else f"{ordinal(position)} highest"
            assert found["place"] == f"joint {word}, with {join(tied)},", sentence
        else:
            word = "highest" if position == 1 else "lowest" if lowest else f"{ordinal(position)} highest"
            assert found["place"] == f"the {word}", sentence
        checked += 1
    assert checked > 150


def test_every_highest_and_lowest_names_all_tied_areas_and_ranks_like_with_like(packs):
    checked = 0
    for pack, section, sentence in sentences(packs):
        if not (found := SPREAD.match(sentence)):
            continue
        assert pack.subject.kind != "area", sentence
        table = table_of(section, found["what"])
        period = found["p"]
        areas = [r for r in table.rows if r.role == "area" and period in r.values]
        unitaries = [r for r in table.rows if r.role == "successor" and period in r.values]
        basis = unitaries if found["u"] else areas
        assert basis and all(r.role == basis[0].role for r in basis), sentence
        if found["u"]:
            assert not areas and int(found["u"]) == len(unitaries), sentence
        elif found["all"]:
            assert int(found["all"]) == len(areas) == len(pack.subject.codes), sentence
        else:
            assert (int(found["n"]), int(found["m"])) == (len(areas), len(pack.subject.codes)), sentence
            assert found["left"] == (join([r.name for r in unitaries]) if unitaries else None), sentence
        shown = [(r.name, printed(table, r, period)) for r in basis]
        values = [printed_value(v) for _n, v in shown]
        if found["same"]:
            assert len(set(values)) == 1, sentence
        else:
            assert found["high"] == join([n for n, v in shown if printed_value(v) == max(values)]), sentence
            assert found["low"] == join([n for n, v in shown if printed_value(v) == min(values)]), sentence
            assert printed_value(found["hv"]) == max(values) and printed_value(found["lv"]) == min(values), sentence
        checked += 1
    assert checked > 60


def test_partial_geographies_keep_their_qualifiers_in_every_sentence_and_table(packs):
    for _pack, section, sentence in sentences(packs):
        if "Peterborough sub-regional HMA" in sentence:
            assert "Peterborough sub-regional HMA (East Midlands part)" in sentence, sentence
        if "Nottingham Core HMA" in sentence or "Nottingham Outer HMA" in sentence:
            assert "Hucknall" in sentence, sentence
    for pack in packs.values():
        for section in pack.sections:
            for table in section.tables:
                for row in table.rows:
                    if row.role in ("total", "hma") and ("Nottingham Core" in row.label
                                                         or "Nottingham Outer" in row.label):
                        assert "Hucknall" in row.label and "Hucknall" in row.name, row.label
                    if "Peterborough" in row.label:
                        assert "(East Midlands part)" in row.label, row.label


@cache
def published_affordable() -> set[tuple[str, str, str]]:
    with open(DATA / "em_housing_indicators_2008_2011_long.csv", newline="") as handle:
        return {(r["geography_code"], "affordable_" + TENURES[r["indicator"].split(":")[1]], r["period"])
                for r in csv.DictReader(handle) if r["indicator"].startswith("affordable_homes_delivered")}


def test_affordable_supply_reads_no_published_row_as_none_recorded_and_totals_every_year(packs):
    published = published_affordable()
    none_cells = 0
    for pack in packs.values():
        [supply] = [s for s in pack.sections if s.topic == "supply"]
        tenures = [t for t in supply.tables if t.indicator.key.startswith("affordable_")]
        assert {t.indicator.key for t in tenures} == {"affordable_social_rent", "affordable_affordable_rent",
                                                      "affordable_intermediate_rent", "affordable_home_ownership"}
        for table in tenures:
            england = next(r for r in table.rows if r.code == ENGLAND)
            assert table.periods == sorted(england.values), table.label
            for row in table.rows:
                if row.role == "england":
                    continue
                # Every area (or its 2021 unitary), total and the region has a figure for every year.
                assert set(row.values) == set(england.values), (pack.subject.name, table.label, row.label)
                for period in table.periods:
                    shown = printed(table, row, period)
                    assert shown != "–", (pack.subject.name, row.label, period)
                    if row.role in ("area", "successor"):
                        has_row = (row.code, table.indicator.key, period) in published
                        assert (shown == NONE) == (not has_row), (row.label, table.label, period)
                        none_cells += shown == NONE
            assert any(r.role == "region" for r in table.rows), table.label
            if pack.subject.kind in ("hma", "county"):
                assert any(r.role == "total" for r in table.rows), (pack.subject.name, table.label)
    assert none_cells > 100


def test_the_region_and_hma_totals_are_the_sums_of_their_areas_printed_figures(packs):
    for name in ("East Midlands", "Leicester & Leicestershire HMA", "Northamptonshire"):
        [supply] = [s for s in packs[name].sections if s.topic == "supply"]
        for table in [t for t in supply.tables if t.indicator.key.startswith("affordable_")]:
            total = next(r for r in table.rows if r.role in ("total", "region"))
            parts = [r for r in table.rows if r.role in ("area", "successor") and r.values]
            for period in table.periods:
                assert printed_value(printed(table, total, period)) == sum(
                    printed_value(printed(table, r, period)) for r in parts), (name, table.label, period)


def test_the_affordable_commentary_covers_the_whole_period_from_the_printed_figures(packs):
    checked = 0
    for _pack, section, sentence in sentences(packs):
        if not (found := TENURE_TOTAL.match(sentence)):
            continue
        tenures = [t for t in section.tables if t.indicator.key.startswith("affordable_")]
        assert (found["p0"], found["p1"]) == (min(p for t in tenures for p in t.periods),
                                              max(p for t in tenures for p in t.periods)), sentence
        total = 0
        for part, table in zip(found["parts"].split("; "), tenures, strict=True):
            row = row_named(table, found["where"])
            value = sum(printed_value(printed(table, row, p)) for p in table.periods)
            assert part == f"{table.indicator.noun.split(': ')[1]} {f'{value:,.0f}' if value else NONE}", sentence
            total += value
        assert found["total"] == (f"{total:,.0f}" if total else "no"), sentence
        checked += 1
    assert checked == 57


def test_absences_are_said_once_and_never_for_a_series_the_pack_shows(packs):
    for pack in packs.values():
        for section in pack.sections:
            assert len(section.notes) == len(set(section.notes))
            assert len(section.notes) <= 4, (pack.subject.name, section.notes)
            for note in section.notes:
                assert "No figure exists" not in note
                for absent in ("First Homes", "London Affordable Rent", "Shared Ownership", "Unknown"):
                    assert absent not in note, note
            if pack.subject.kind == "region":
                assert not any("no total" in n or "as a whole" in n for n in section.notes), section.notes
