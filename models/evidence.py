"""An evidence pack's content: the figures for an area (or group of areas) by topic, beside its
comparators, with commentary, notes on what does not exist, and the credits of every figure.

Everything here comes from the statistics store. HMA, county and group totals
are sums of their areas' counts (rates are worked out from those sums);
medians and ratios cannot be added up, so groups have none. Region and
England figures are the published ones where the store holds them.

Areas abolished since (Northamptonshire's seven districts in 2021, Dorset's and
Suffolk's in 2019, Cumbria's, North Yorkshire's and Somerset's in 2023...): the
national files publish several series only for the successor (models.lineage).
Such a figure is shown as the successor's, in a row of its own, and the pack says
the district has none; a successor's figure is never given to a district. An area
whose code changed after 2011 (Gateshead's in 2013) is the same authority: its
figures published under the later code are its own, and the pack says under which.

Affordable housing supply publishes no row where an area delivered none of a
tenure: its area rows add up exactly to England's total (checked against the
national file for every year). So in a year England has a figure for a tenure,
an area without a row delivered none, and the pack says "none recorded".
"""
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from models import commentary, lineage
from models.areas import AreaDirectory
from models.lineage import Successor
from models.statistics import (
    ENGLAND,
    INDICATORS,
    REGION_CODES,
    TOPICS,
    Credit,
    Indicator,
    credit,
    figures_for,
    period_key,
    sources,
)
from models.tables import Area

# What the commentary says about each indicator: its change, a comparison, a rank in the region.
SAY = {
    "dwellings": {"change"},
    "vacant_long_term": {"change"},
    "vacancy_rate": {"change", "compare", "rank"},
    "long_term_vacancy_rate": {"compare", "rank"},
    "net_additional_dwellings": {"change", "rank"},
    "affordable_social_rent": {"change"},
    "median_house_price": {"change", "compare", "rank"},
    "affordability_median": {"change", "compare", "rank"},
    "affordability_lower_quartile": {"change", "compare"},
    "population": {"change"},
    "households": {"change"},
}
# The chart drawn for each topic.
CHARTS = {"stock": "vacancy_rate", "supply": "net_additional_dwellings", "prices": "median_house_price",
          "people": "population"}
# Part of an area that lies in another HMA than the one the areas file gives it (its notes column): Ashfield's
# Hucknall is in the Nottingham Core HMA. Totals are of whole districts, so each total touched says so.
SPLIT_PARTS = {"E07000170": ("Hucknall", "Nottingham Core HMA")}


@dataclass(frozen=True)
class Subject:
    """What an extract is about: one area, several, an HMA, a county or the region."""

    name: str
    kind: str  # area, areas, hma, county, region
    codes: tuple[str, ...]

    @property
    def is_group(self) -> bool:
        return self.kind != "area"


@dataclass
class Row:
    """One line of a table: an area, a successor, a group total or a comparator."""

    label: str  # as the table shows it
    role: str  # area, successor, total, county, hma, region, england
    code: str  # the code its figures are published under
    values: dict[str, float]
    sources: set[str] = field(default_factory=set)  # the files the figures were loaded from
    name: str = ""  # as a sentence names it: the label without "(total of …)", keeping every qualifier
    none_recorded: set[str] = field(default_factory=set)  # periods with no published row, read as none
    derived: bool = False  # worked out by the bot (a sum, or a rate of sums), not published
    kind: str = ""  # what the spreadsheets call it, where the role does not say enough: "2021 successor"

    def __post_init__(self):
        self.name = self.name or self.label


@dataclass
class Table:
    indicator: Indicator
    periods: list[str]
    rows: list[Row]
    credits: list[Credit] = field(default_factory=list)

    @property
    def sources(self) -> list[str]:
        return sorted(set().union(*(row.sources for row in self.rows)))

    @property
    def label(self) -> str:
        note = f" ({self.indicator.period_note})" if self.indicator.period_note else ""
        return self.indicator.label + note


def cell(row: Row, period: str, unit: str) -> str:
    """A figure as the documents print it: "none recorded" where no row was published and the publisher's
    totals show that means none; a dash where there is no figure."""
    if period in row.none_recorded:
        return commentary.NONE
    value = row.values.get(period)
    return "–" if value is None else commentary.number(value, unit)


@dataclass
class Section:
    topic: str
    title: str
    tables: list[Table]
    commentary: list[str]
    notes: list[str]  # what does not exist, and why
    chart: Table | None = None


@dataclass
class Pack:
    subject: Subject
    first_year: int
    last_year: int
    sections: list[Section]
    credits: list[Credit]
    made_at: datetime
    hma: str = ""
    region: str = ""
    county: str = ""  # the county a shire district is compared with, where the project has no HMAs

    @property
    def title(self) -> str:
        return f"{self.subject.name}: housing evidence pack, {self.first_year} to {self.last_year}"

    @property
    def releases(self) -> str:
        """The releases the figures are from, for the cover: 'releases published 29 June 2020 to 22 May 2025'."""
        dated = sorted({c.released for c in self.credits}, key=_date_key)
        if not dated:
            return ""
        return f"as published {dated[0]}" if len(dated) == 1 else f"releases published {dated[0]} to {dated[-1]}"


def _date_key(text: str) -> tuple:
    try:
        return (0, datetime.strptime(text, "%d %B %Y"))
    except ValueError:
        return (1, text)


class _Figures:
    """The store's figures for a pack, with the sums and rates worked out from them."""

    def __init__(self, rows, areas: dict[str, Area], fill_codes: set[str]):
        self.areas = areas
        self.stored: dict[tuple[str, str], dict[str, float]] = {}
        self.source: dict[tuple[str, str], set[str]] = {}  # the files an area's series came from
        # An area's series published under its later code: (area, indicator) -> that code.
        self.published_as: dict[tuple[str, str], str] = {}
        renumbered = {later: code for code in areas if (later := lineage.renumbered(code))}
        for published, indicator, period, value, source_file in rows:
            area_code = renumbered.get(published, published)
            if area_code != published:
                self.published_as[(area_code, indicator)] = published
            self.stored.setdefault((area_code, indicator), {})[period] = value
            self.source.setdefault((area_code, indicator), set()).add(source_file)
        # What took each abolished area over, earliest first, and which areas each successor covers.
        self.chains: dict[str, tuple[Successor, ...]] = {code: chain for code, area in areas.items()
                                                         if (chain := successors_of(area))}
        self.successor_named = {s.code: s for chain in self.chains.values() for s in chain}
        self.covers: dict[str, set[str]] = {}
        for code, chain in self.chains.items():
            for successor in chain:
                self.covers.setdefault(successor.code, set()).add(code)
        self.none: dict[tuple[str, str], set[str]] = {}
        self._fill_none_recorded(fill_codes)

    def _fill_none_recorded(self, codes: set[str]) -> None:
        """Affordable supply: in a year England has a figure for a tenure, an area with no row delivered none."""
        for key in (k for k in INDICATORS if k.startswith("affordable_")):
            england = self.stored.get((ENGLAND, key))
            if not england:
                continue
            for code in codes:
                values = self.stored.setdefault((code, key), {})
                missing = set(england) - set(values)
                if missing:
                    values.update(dict.fromkeys(missing, 0.0))
                    self.none.setdefault((code, key), set()).update(missing)
                    self.source.setdefault((code, key), set()).update(self.source[(ENGLAND, key)])

    def own(self, code: str, indicator: Indicator) -> dict[str, float]:
        if indicator.rate_of:
            top, bottom = (self.own(code, INDICATORS[key]) for key in indicator.rate_of)
            return {p: 100 * top[p] / bottom[p] for p in top if bottom.get(p)}
        values = self.stored.get((code, indicator.key), {})
        if indicator.month:
            values = {p: v for p, v in values.items() if p.startswith("Dec ")}
        return values

    def none_recorded(self, code: str, indicator: Indicator) -> set[str]:
        return set() if indicator.rate_of else self.none.get((code, indicator.key), set())

    def code(self, code: str, indicator: Indicator) -> str:
        """The code an area's figures of the indicator are published under: its own, or its later one."""
        return next((self.published_as[(code, key)] for key in indicator.rate_of or (indicator.key,)
                     if (code, key) in self.published_as), code)

    def successor(self, code: str, indicator: Indicator) -> Successor | None:
        """The first authority that took the area over and has figures of the indicator."""
        return next((s for s in self.chains.get(code, ()) if self.own(s.code, indicator)), None)

    def total(self, codes: tuple[str, ...], indicator: Indicator) -> dict[str, float]:
        """A group's sum over its areas; an area without its own figure counts through its successor,
        but only when the group holds every area the successor covers."""
        if indicator.rate_of:
            top, bottom = (self.total(codes, INDICATORS[key]) for key in indicator.rate_of)
            return {p: 100 * top[p] / bottom[p] for p in top if bottom.get(p)}
        if not indicator.additive:
            return {}
        periods = sorted({p for code in codes for p in self.own(code, indicator)} |
                         {p for code in self._successors(codes) for p in self.own(code, indicator)})
        totals = {}
        for period in periods:
            value, counted, own = 0.0, set(), set()
            for code in codes:
                mine = self.own(code, indicator).get(period)
                if mine is not None:
                    value += mine
                    own.add(code)
                    continue
                successor = next((s.code for s in self.chains.get(code, ()) if period in self.own(s.code, indicator)
                                  and self.covers[s.code] <= set(codes)), None)
                if successor is None:
                    break
                if successor not in counted:
                    value += self.own(successor, indicator)[period]
                    counted.add(successor)
            else:
                # A successor's figure already holds any area it covers: never counted twice.
                if not any(self.covers[s] & own for s in counted):
                    totals[period] = value
        return totals

    def total_none_recorded(self, codes: tuple[str, ...], indicator: Indicator, totals: dict) -> set[str]:
        """The periods in which no area of the group has a published row: the total is none recorded."""
        members = set(codes) | self._successors(codes)
        return {p for p, v in totals.items() if v == 0 and all(
            p in self.none_recorded(c, indicator) or p not in self.own(c, indicator) for c in members)}

    def _successors(self, codes) -> set[str]:
        return {s.code for c in codes for s in self.chains.get(c, ())}

    def files(self, code: str, indicator: Indicator) -> set[str]:
        return set().union(*(self.source.get((code, key), ()) for key in indicator.rate_of or (indicator.key,)))

    def group_files(self, codes, indicator: Indicator) -> set[str]:
        found = set()
        for code in set(codes) | self._successors(codes):
            found |= self.files(code, indicator)
        return found


def successors_of(area: Area) -> tuple[Successor, ...]:
    """What took an abolished area over, from the national list; for an area it does not know, the successor its
    areas file names (that layout's column is the 2021 unitary)."""
    chain = lineage.successors(area.code)
    if not chain and area.successor_code:
        chain = (Successor(area.successor_code, area.successor_name, "2021", "unitary"),)
    return chain


def group_name(name: str, codes, directory: AreaDirectory) -> str:
    """A group's name as every sentence and table gives it, saying which split areas its total counts whole
    or leaves out: 'Nottingham Core HMA (without Hucknall, part of Ashfield)'."""
    qualifiers = []
    for code, (part, hma) in SPLIT_PARTS.items():
        area = directory.by_code.get(code)
        if area is None:
            continue
        if code in codes and name == area.hma:
            qualifiers.append(f"including all of {area.name}, though its {part} part lies in the {hma}")
        elif code not in codes and name == hma:
            qualifiers.append(f"without {part}, part of {area.name}, which is counted in the {area.hma}")
    return f"{name} ({'; '.join(qualifiers)})" if qualifiers else name


def build_pack(session: Session, directory: AreaDirectory, subject: Subject, topics: list[str],
               first_year: int, last_year: int, made_at: datetime) -> Pack:
    members = [directory.by_code[code] for code in subject.codes]
    region = members[0].region
    region_areas = [a for a in directory.areas if a.region == region]
    region_codes = tuple(a.code for a in region_areas)
    hma = members[0].hma if subject.kind == "area" and len(directory.hmas.get(members[0].hma, [])) > 1 else ""
    # Where the project has no HMAs, a shire district is compared with its county (the sum of its districts).
    county = members[0].county if subject.kind == "area" and not members[0].hma else ""
    wanted = [i for i in INDICATORS.values() if i.topic in topics and i.only_in in ("", region)]
    stored_keys = {k for i in wanted for k in (i.rate_of or (i.key,))}
    chains = {a.code: successors_of(a) for a in region_areas}
    successors = {s.code for chain in chains.values() for s in chain}
    renumbered = {lineage.renumbered(code) for code in region_codes} - {""}
    codes = set(region_codes) | successors | renumbered | {REGION_CODES.get(region, ""), ENGLAND}
    # The areas on the affordable supply file's (current) boundaries: the last successors, not the districts.
    fill = {chains[a.code][-1].code if chains[a.code] else a.code for a in region_areas}
    figures = _Figures(figures_for(session, codes, stored_keys, first_year, last_year), directory.by_code, fill)
    context = _Context(figures, subject, members, region, region_areas, hma, directory, county)
    sections = [context.section(topic, [i for i in wanted if i.topic == topic]) for topic in topics]
    recorded = {s.file: s for s in sources(session, {f for s in sections for t in s.tables for f in t.sources})}
    for section in sections:
        for table in section.tables:
            table.credits = list(dict.fromkeys(
                credit(key, file, recorded.get(file))
                for key in table.indicator.rate_of or (table.indicator.key,)
                for file in sorted({f for row in table.rows for f in figures.files(row.code, INDICATORS[key])}
                                   or table.sources)))
    credits = list(dict.fromkeys(c for s in sections for t in s.tables for c in t.credits))
    return Pack(subject, first_year, last_year, sections, credits, made_at, hma, region, county)


@dataclass
class _Context:
    figures: _Figures
    subject: Subject
    members: list[Area]
    region: str
    region_areas: list[Area]
    hma: str
    directory: AreaDirectory
    county: str = ""

    def rows(self, indicator: Indicator) -> tuple[list[Row], list[tuple[Area, lineage.Successor | None]]]:
        """The table's rows, and the members with no figure of their own (with the successor that has one)."""
        f, rows, absent = self.figures, [], []
        shown_successors = set()
        for area in self.members:
            own = f.own(area.code, indicator)
            if own or area.code not in f.chains:
                rows.append(Row(area.name, "area", f.code(area.code, indicator), own, f.files(area.code, indicator),
                                none_recorded=f.none_recorded(area.code, indicator)))
                if not own:
                    absent.append((area, None))
                continue
            successor = f.successor(area.code, indicator)
            absent.append((area, successor))
            if successor and successor.code not in shown_successors:
                shown_successors.add(successor.code)
                covered = sorted(self.directory.by_code[c].name for c in f.covers[successor.code])
                rows.append(Row(f"{successor.name} ({successor.year} successor {successor.kind}: {', '.join(covered)})",
                                "successor", successor.code, f.own(successor.code, indicator),
                                f.files(successor.code, indicator), name=f"{successor.name} ({successor.year} "
                                f"{successor.kind})", none_recorded=f.none_recorded(successor.code, indicator),
                                kind=f"{successor.year} successor"))
        if self.subject.is_group and self.subject.kind != "region":
            rows += self._total_row("total", self.subject.name, self.subject.codes, indicator)
        if self.hma:
            rows += self._total_row("hma", self.hma, tuple(a.code for a in self.directory.hmas[self.hma]), indicator)
        if self.county:
            rows += self._total_row("county", self.county, tuple(a.code for a in self.region_areas
                                                                 if a.county == self.county), indicator)
        region_code = REGION_CODES.get(self.region, "")
        published = f.own(region_code, indicator)
        if published:
            rows.append(Row(self.region, "region", region_code, published, f.files(region_code, indicator),
                            name=f"the {self.region} region"))
        else:
            rows += self._total_row("region", self.region, tuple(a.code for a in self.region_areas), indicator)
        england = f.own(ENGLAND, indicator)
        if england:
            rows.append(Row("England", "england", ENGLAND, england, f.files(ENGLAND, indicator)))
        return rows, absent

    def _total_row(self, role: str, name: str, codes: tuple[str, ...], indicator: Indicator) -> list[Row]:
        f = self.figures
        total = f.total(codes, indicator)
        if not total:
            return []
        named = group_name(name, codes, self.directory)
        qualifier = named[len(name) + 2:-1]
        label = f"{name} (total of its {len(codes)} areas{'; ' + qualifier if qualifier else ''})"
        if role == "region":
            named = f"the {name} region (total of its {len(codes)} areas)"
        elif role == "hma":
            named = f"the {named}"
        elif role == "county":
            named = f"the county of {name} (total of its {len(codes)} areas)"
        return [Row(label, role, "", total, f.group_files(codes, indicator), name=named, derived=True,
                    none_recorded=f.total_none_recorded(codes, indicator, total))]

    def section(self, topic: str, indicators: list[Indicator]) -> Section:
        tables, said, notes = [], [], []
        successor_only: dict[Successor, tuple[list[str], list[Indicator]]] = {}
        without: dict[str, list[Indicator]] = {}
        renumbered: dict[str, str] = {}  # area name -> the later code its figures are published under
        for indicator in indicators:
            rows, absent = self.rows(indicator)
            # A series with no figure at all in these years (a tenure not yet recorded) is left out, unsaid.
            if not any(row.values for row in rows):
                continue
            periods = sorted({p for row in rows for p in row.values}, key=period_key)
            tables.append(Table(indicator, periods, rows))
            for area, successor in absent:
                if successor:
                    names, series = successor_only.setdefault(successor, ([], []))
                    names += [area.name] if area.name not in names else []
                    series += [indicator] if indicator not in series else []
                else:
                    without.setdefault(area.name, []).append(indicator)
            for area in self.members:
                if (later := self.figures.code(area.code, indicator)) != area.code:
                    renumbered[area.name] = later
        for table in tables:
            said += self.commentary(table)
        if topic == "supply":
            said += self._affordable_total(tables)
        # Each absence said once: one note for the series published on 2021 boundaries only, one per area
        # for the series it has no figure for, however many tables.
        by_series: dict[tuple, list[tuple[Successor, list[str]]]] = {}
        for successor, (names, series) in successor_only.items():
            by_series.setdefault(tuple(series), []).append((successor, names))
        for series, successors in by_series.items():
            districts = commentary.join([n for _s, names in successors for n in names])
            shown = commentary.join([f"{successor.name} (covering {commentary.join(names)})"
                                     for successor, names in successors])
            years = _boundaries([successor for successor, _names in successors])
            notes.append(f"{_series(series)}: published on {years} boundaries only, so the source has no figure for "
                         f"{districts} on {'its' if ' and ' not in districts else 'their'} own; the tables show "
                         f"{shown}, the {years} {_kinds([successor for successor, _names in successors])}.")
        for name, series in without.items():
            notes.append(f"The source has no figure for {name} for {_series(series)} in these years.")
        local_only = [t.indicator for t in tables if not t.indicator.additive and not t.indicator.rate_of
                      and not any(r.role in ("region", "england") for r in t.rows)]
        if local_only:
            notes.append(f"{_series(local_only)}: published for local authorities only; the source has no figure "
                         f"for the {self.region} region or England.")
        for name, later in renumbered.items():
            notes.append(f"{name}'s figures are published under the code it was given after 2011 ({later}), "
                         "with a minor boundary change; the authority is the same.")
        if not tables:
            notes.append(f"The store holds no figures on {TOPICS[topic].lower()} for {self.subject.name} "
                         f"in these years.")
        if self.subject.kind not in ("area", "region") and any(
                not t.indicator.additive and not t.indicator.rate_of for t in tables):
            notes.append("Medians and ratios cannot be added up over areas, so there is no figure of that kind "
                         f"for {self.subject.name} as a whole; each area's own figure is shown.")
        chart = next((t for t in tables if t.indicator.key == CHARTS.get(topic)), None)
        return Section(topic, TOPICS[topic], tables, said, notes, chart)

    def main_row(self, table: Table) -> Row | None:
        """The row the commentary is about: the area (or its successor), the group's total, or the region."""
        wanted = ("total",) if self.subject.is_group else ("area", "successor")
        if self.subject.kind == "region":
            wanted = ("region",)
        return next((r for r in table.rows if r.role in wanted and r.values), None)

    def commentary(self, table: Table) -> list[str]:
        say = SAY.get(table.indicator.key, set())
        indicator, unit = table.indicator, table.indicator.unit
        what = indicator.noun
        row = self.main_row(table)
        sentences = []
        if row is None:
            if self.subject.is_group and "compare" in say:
                sentences += self._spread(table)
            return sentences
        periods = [p for p in table.periods if p in row.values]
        first, last = periods[0], periods[-1]
        shown = lambda r, p: cell(r, p, unit)  # noqa: E731 - the sentence states what the table prints
        if "change" in say and first != last:
            sentences.append(commentary.change(what, row.name, unit, first, row.values[first], shown(row, first),
                                               last, row.values[last], shown(row, last)))
        if "compare" in say:
            others = [(r.name, shown(r, last)) for r in table.rows
                      if r.role in ("county", "hma", "region", "england") and r is not row and last in r.values]
            if others:
                sentences.append(commentary.comparison(what, row.name, last, shown(row, last), others))
        if "rank" in say and row.role == "area":
            figures = [(a.name, commentary.number(values[last], unit))
                       for a in self.region_areas if last in (values := self.figures.own(a.code, indicator))]
            sentences.append(commentary.rank(what, row.name, last, figures, len(self.region_areas), self.region))
        if self.subject.is_group and "compare" in say:
            sentences += self._spread(table)
        return sentences

    def _spread(self, table: Table) -> list[str]:
        """Highest and lowest of the group's areas, like with like: the 2009 areas, or else their successors
        (the 2021 unitaries)."""
        last, unit = table.periods[-1], table.indicator.unit
        areas = [r for r in table.rows if r.role == "area" and last in r.values]
        successors = [r for r in table.rows if r.role == "successor" and last in r.values]
        basis, left_out = (areas, successors) if len(areas) >= 2 else (successors, [])
        if len(basis) < 2:
            return []
        counted = len(self.members) if basis is areas else len(successors)
        later = [self.figures.successor_named[r.code] for r in successors]
        return [commentary.spread(table.indicator.noun, last, [(r.name, cell(r, last, unit)) for r in basis],
                                  counted, f"{_boundaries(later)} {_kinds(later)}" if basis is successors else "areas",
                                  [r.name for r in left_out], _boundaries(later) if later else "")]

    def _affordable_total(self, tables: list[Table]) -> list[str]:
        """All the affordable homes recorded over the whole period, by tenure, from the printed figures."""
        tenures = [t for t in tables if t.indicator.key.startswith("affordable_")]
        parts, where = [], ""
        for table in tenures:
            row = self.main_row(table)
            if row is None:
                return []
            where = row.name
            parts.append((table.indicator.noun.split(": ", 1)[1],
                          [cell(row, p, table.indicator.unit) for p in table.periods if p in row.values]))
        if not parts:
            return []
        periods = sorted({p for t in tenures for p in t.periods}, key=period_key)
        return [commentary.tenure_total(where, periods[0], periods[-1], parts)]


def _boundaries(successors: list[Successor]) -> str:
    """The years of the boundaries successors' figures are on: '2021', '2019 and 2023'."""
    return commentary.join(sorted({s.year for s in successors}))


def _kinds(successors: list[Successor]) -> str:
    """What the successors are: 'unitary', 'unitaries', 'districts', 'authorities'."""
    kinds = {s.kind for s in successors}
    kind = kinds.pop() if len(kinds) == 1 else "authority"
    if len(successors) == 1:
        return kind
    return kind[:-1] + "ies" if kind.endswith("y") else kind + "s"


def _series(indicators) -> str:
    """Series named once each, tenures together: 'Affordable homes delivered (Social Rent and Affordable Rent)'."""
    names, tenures = [], []
    for indicator in indicators:
        head, _, tenure = indicator.noun.partition(": ")
        if tenure:
            tenures.append(tenure)
            if head not in names:
                names.append(head)
        else:
            names.append(indicator.noun)
    return commentary.join([f"{n} ({commentary.join(tenures)})" if n == "Affordable homes delivered" else n
                            for n in names])
