"""An evidence pack's content: the figures for an area (or group of areas) by topic, beside its
comparators, with commentary, notes on what does not exist, and the sources.

Everything here comes from the statistics store. HMA, county and group totals
are sums of their areas' counts (rates are worked out from those sums);
medians and ratios cannot be added up, so groups have none. Region and
England figures are the published ones where the store holds them.

Northamptonshire: the seven districts were abolished in 2021 and several
series exist only for the two successor unitaries. Such a figure is shown as
the successor's, in a row of its own, and the pack says the district has none.
"""
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from models import commentary
from models.areas import AreaDirectory
from models.statistics import (
    ENGLAND,
    INDICATORS,
    REGION_CODES,
    TOPICS,
    Indicator,
    figures_for,
    period_key,
    sources,
)
from models.tables import Area, StatisticSource

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

    label: str
    role: str  # area, successor, total, hma, region, england
    code: str
    values: dict[str, float]
    sources: set[str] = field(default_factory=set)


@dataclass
class Table:
    indicator: Indicator
    periods: list[str]
    rows: list[Row]

    @property
    def sources(self) -> list[str]:
        return sorted(set().union(*(row.sources for row in self.rows)))

    @property
    def label(self) -> str:
        note = f" ({self.indicator.period_note})" if self.indicator.period_note else ""
        return self.indicator.label + note


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
    sources: list[StatisticSource]
    made_at: datetime
    hma: str = ""
    region: str = ""

    @property
    def title(self) -> str:
        return f"{self.subject.name}: housing evidence pack, {self.first_year} to {self.last_year}"


class _Figures:
    """The store's figures for a pack, with the sums and rates worked out from them."""

    def __init__(self, rows, areas: dict[str, Area]):
        self.stored: dict[tuple[str, str], dict[str, float]] = {}
        self.source: dict[tuple[str, str], set[str]] = {}  # the files an area's series came from
        for area_code, indicator, period, value, source_file in rows:
            self.stored.setdefault((area_code, indicator), {})[period] = value
            self.source.setdefault((area_code, indicator), set()).add(source_file)
        self.areas = areas
        # Which abolished areas each successor covers.
        self.covers: dict[str, set[str]] = {}
        for area in areas.values():
            if area.successor_code:
                self.covers.setdefault(area.successor_code, set()).add(area.code)

    def own(self, code: str, indicator: Indicator) -> dict[str, float]:
        if indicator.rate_of:
            top, bottom = (self.own(code, INDICATORS[key]) for key in indicator.rate_of)
            return {p: 100 * top[p] / bottom[p] for p in top if bottom.get(p)}
        values = self.stored.get((code, indicator.key), {})
        if indicator.month:
            values = {p: v for p, v in values.items() if p.startswith("Dec ")}
        return values

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
            value, counted = 0.0, set()
            for code in codes:
                mine = self.own(code, indicator).get(period)
                if mine is not None:
                    value += mine
                    continue
                successor = self.areas[code].successor_code if code in self.areas else ""
                theirs = self.own(successor, indicator).get(period) if successor else None
                if theirs is None or not self.covers[successor] <= set(codes):
                    break
                if successor not in counted:
                    value += theirs
                    counted.add(successor)
            else:
                totals[period] = value
        return totals

    def _successors(self, codes) -> set[str]:
        return {self.areas[c].successor_code for c in codes if c in self.areas and self.areas[c].successor_code}

    def published_or_total(self, code: str, codes: tuple[str, ...], indicator: Indicator) -> dict[str, float]:
        if indicator.rate_of:
            top, bottom = (self.published_or_total(code, codes, INDICATORS[k]) for k in indicator.rate_of)
            return {p: 100 * top[p] / bottom[p] for p in top if bottom.get(p)}
        return self.own(code, indicator) or self.total(codes, indicator)

    def files(self, code: str, indicator: Indicator) -> set[str]:
        return set().union(*(self.source.get((code, key), ()) for key in indicator.rate_of or (indicator.key,)))


def _group_files(figures: _Figures, codes, indicator: Indicator) -> set[str]:
    found = set()
    for code in set(codes) | figures._successors(codes):
        found |= figures.files(code, indicator)
    return found


def build_pack(session: Session, directory: AreaDirectory, subject: Subject, topics: list[str],
               first_year: int, last_year: int, made_at: datetime) -> Pack:
    members = [directory.by_code[code] for code in subject.codes]
    region = members[0].region
    region_areas = [a for a in directory.areas if a.region == region]
    region_codes = tuple(a.code for a in region_areas)
    hma = members[0].hma if subject.kind == "area" and len(directory.hmas.get(members[0].hma, [])) > 1 else ""
    wanted = [i for i in INDICATORS.values() if i.topic in topics]
    stored_keys = {k for i in wanted for k in (i.rate_of or (i.key,))}
    codes = set(region_codes) | {a.successor_code for a in region_areas if a.successor_code}
    codes |= {REGION_CODES.get(region, ""), ENGLAND}
    figures = _Figures(figures_for(session, codes, stored_keys, first_year, last_year), directory.by_code)
    context = _Context(figures, subject, members, region, region_areas, hma, directory)
    sections = [context.section(topic, [i for i in wanted if i.topic == topic]) for topic in topics]
    files = set()
    for section in sections:
        for table in section.tables:
            for row in table.rows:
                files |= row.sources
    return Pack(subject, first_year, last_year, sections, sources(session, files), made_at, hma, region)


@dataclass
class _Context:
    figures: _Figures
    subject: Subject
    members: list[Area]
    region: str
    region_areas: list[Area]
    hma: str
    directory: AreaDirectory

    def rows(self, indicator: Indicator) -> tuple[list[Row], list[str]]:
        f, rows, notes = self.figures, [], []
        shown_successors = set()
        for area in self.members:
            own = f.own(area.code, indicator)
            if own or not area.successor_code:
                rows.append(Row(area.name, "area", area.code, own, f.files(area.code, indicator)))
                continue
            theirs = f.own(area.successor_code, indicator)
            notes.append(self._absent_note(area, indicator, bool(theirs)))
            if theirs and area.successor_code not in shown_successors:
                shown_successors.add(area.successor_code)
                covered = sorted(self.directory.by_code[c].name for c in f.covers[area.successor_code])
                rows.append(Row(f"{area.successor_name} (2021 successor unitary: {', '.join(covered)})",
                                "successor", area.successor_code, theirs, f.files(area.successor_code, indicator)))
        if self.subject.is_group and self.subject.kind != "region":
            total = f.total(self.subject.codes, indicator)
            if total:
                rows.append(Row(f"{self.subject.name} (total of its {len(self.members)} areas)", "total", "",
                                total, _group_files(f, self.subject.codes, indicator)))
        if self.hma:
            hma_codes = tuple(a.code for a in self.directory.hmas[self.hma])
            total = f.total(hma_codes, indicator)
            if total:
                rows.append(Row(f"{self.hma} (total of its {len(hma_codes)} areas)", "hma", "", total,
                                _group_files(f, hma_codes, indicator)))
        region_code = REGION_CODES.get(self.region, "")
        region_codes = tuple(a.code for a in self.region_areas)
        values = f.published_or_total(region_code, region_codes, indicator)
        if values:
            published = bool(f.own(region_code, indicator))
            files = f.files(region_code, indicator) if published else _group_files(f, region_codes, indicator)
            label = self.region + ("" if published else f" (total of its {len(region_codes)} areas)")
            rows.append(Row(label, "region", region_code, values, files))
        england = f.own(ENGLAND, indicator)
        if england:
            rows.append(Row("England", "england", ENGLAND, england, f.files(ENGLAND, indicator)))
        return rows, notes

    def _absent_note(self, area: Area, indicator: Indicator, successor_has: bool) -> str:
        if successor_has:
            return (f"No figure exists for {area.name} for “{indicator.label}”: it is published only for "
                    f"{area.successor_name}, the unitary that replaced {area.name} in 2021, and is shown as "
                    f"{area.successor_name}'s.")
        return f"No figure exists for {area.name} for “{indicator.label}” in these years."

    def section(self, topic: str, indicators: list[Indicator]) -> Section:
        tables, notes, said = [], [], []
        for indicator in indicators:
            rows, absent = self.rows(indicator)
            notes += absent
            if not any(row.values for row in rows):
                continue
            periods = sorted({p for row in rows for p in row.values}, key=period_key)
            tables.append(Table(indicator, periods, rows))
        for table in tables:
            said += self.commentary(table)
        if not tables:
            notes.append(f"The store holds no figures on {TOPICS[topic].lower()} for {self.subject.name} "
                         f"in these years.")
        if self.subject.is_group and any(i.additive is False and not i.rate_of for i in indicators):
            notes.append("Medians and ratios cannot be added up over areas, so there is no total for "
                         f"{self.subject.name}; each area's own figure is shown.")
        chart = next((t for t in tables if t.indicator.key == CHARTS.get(topic)), None)
        return Section(topic, TOPICS[topic], tables, said, list(dict.fromkeys(notes)), chart)

    def main_row(self, table: Table) -> Row | None:
        """The row the commentary is about: the area (or its successor), or the group's total."""
        wanted = ("total",) if self.subject.is_group else ("area", "successor")
        if self.subject.kind == "region":
            wanted = ("region",)
        return next((r for r in table.rows if r.role in wanted and r.values), None)

    def commentary(self, table: Table) -> list[str]:
        say = SAY.get(table.indicator.key, set())
        indicator, unit = table.indicator, table.indicator.unit
        what = indicator.label.split(" (")[0]
        row = self.main_row(table)
        sentences = []
        if row is None:
            if self.subject.is_group:
                sentences += self._spread(table)
            return sentences
        where = row.label.split(" (")[0]
        periods = [p for p in table.periods if p in row.values]
        first, last = periods[0], periods[-1]
        if "change" in say and first != last:
            sentences.append(commentary.change(what, where, unit, first, row.values[first], last,
                                               row.values[last]))
        if "compare" in say:
            others = [(self._comparator_name(r), r.values[last]) for r in table.rows
                      if r.role in ("hma", "region", "england") and r is not row and last in r.values]
            if others:
                sentences.append(commentary.comparison(what, where, unit, last, row.values[last], others))
        if "rank" in say and row.role == "area":
            ranked = sorted(((v, a.name) for a in self.region_areas
                             if (v := self.figures.own(a.code, indicator).get(last)) is not None), reverse=True)
            position = next(i for i, (_v, name) in enumerate(ranked, start=1) if name == row.label)
            sentences.append(commentary.rank(what, where, last, position, len(ranked), self.region))
        if self.subject.is_group and "compare" in say:
            sentences += self._spread(table)
        return sentences

    def _spread(self, table: Table) -> list[str]:
        last = table.periods[-1]
        members = [(r.label.split(" (")[0], r.values[last]) for r in table.rows
                   if r.role in ("area", "successor") and last in r.values]
        if len(members) < 2:
            return []
        members.sort(key=lambda m: m[1])
        what = table.indicator.label.split(" (")[0]
        return [commentary.spread(what, last, table.indicator.unit, members[-1], members[0])]

    def _comparator_name(self, row: Row) -> str:
        return {"hma": f"the {row.label.split(' (')[0]}", "region": f"the {self.region} region",
                "england": "England"}[row.role]

