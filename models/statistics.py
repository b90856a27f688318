"""The statistics store: housing figures by area, indicator and period, and how files are loaded into it.

Two kinds of file are read: the tidy long CSV the project ships (one row per
area, period and indicator, naming its source file), and the national files
as published, each in its own column layout. Loading is an upsert on (area,
indicator, period), so loading a file again changes nothing. A malformed row
is reported by file and line and the rest of the file still loads.
"""
import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, insert, update
from sqlmodel import Session, col, select

from models.errors import InputError
from models.tables import Statistic, StatisticSource

DATA = Path(__file__).resolve().parent / "data"
SHIPPED_STATISTICS = ("em_housing_indicators_2008_2011_long.csv", "em_comparators_2008_2011_long.csv")
# The national files as published, shipped for `scbot stats import` to load every region's figures from.
NATIONAL = DATA / "national"
# The Single Conversation years: those the shipped files are loaded for, and an extract asks for by default.
PACK_YEARS = (2008, 2011)
# What the national import keeps: English unitaries (E06), shire districts (E07), metropolitan districts (E08),
# London boroughs (E09), the regions (E12) and England; not counties, combined authorities or other nations.
IN_PACKS = re.compile(r"E0[6-9]\d{6}|E12\d{6}|E92000001")
ENGLAND = "E92000001"
REGION_CODES = {
    "North East": "E12000001", "North West": "E12000002", "Yorkshire and The Humber": "E12000003",
    "East Midlands": "E12000004", "West Midlands": "E12000005", "East of England": "E12000006",
    "London": "E12000007", "South East": "E12000008", "South West": "E12000009",
}


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    topic: str
    unit: str  # dwellings, persons, households, GBP, ratio, percent
    # Counts add up over areas; medians, ratios and rates do not.
    additive: bool
    # A rate worked out from two stored counts (numerator, denominator), never stored itself.
    rate_of: tuple[str, str] | None = None
    # Only periods ending in this month are shown (house prices: the year ending December).
    month: int = 0
    period_note: str = ""
    # A series that applies only in one region (London Affordable Rent): left out of other regions' packs.
    only_in: str = ""

    @property
    def noun(self) -> str:
        """What a sentence calls it: the label without its bracketed gloss."""
        return self.label.split(" (")[0]


TENURES = {
    "Social Rent": "social_rent", "Affordable Rent": "affordable_rent",
    "Intermediate Rent": "intermediate_rent", "Affordable Home Ownership": "home_ownership",
    "Shared Ownership": "shared_ownership", "First Homes": "first_homes",
    "London Affordable Rent": "london_affordable_rent", "Unknown": "unknown_tenure",
}

INDICATORS: dict[str, Indicator] = {i.key: i for i in [
    Indicator("dwellings", "Dwelling stock", "stock", "dwellings", True, period_note="at 31 March"),
    Indicator("vacant_all", "All vacant dwellings", "stock", "dwellings", True, period_note="in October"),
    Indicator("vacant_long_term", "Long-term vacant dwellings (empty over 6 months)", "stock", "dwellings", True,
              period_note="in October"),
    Indicator("vacancy_rate", "Vacancy rate (all vacant / stock)", "stock", "percent", False,
              rate_of=("vacant_all", "dwellings"), period_note="vacant in October over stock at 31 March"),
    Indicator("long_term_vacancy_rate", "Long-term vacancy rate (long-term vacant / stock)", "stock", "percent",
              False, rate_of=("vacant_long_term", "dwellings"),
              period_note="long-term vacant in October over stock at 31 March"),
    Indicator("net_additional_dwellings", "Net additional dwellings", "supply", "dwellings", True,
              period_note="financial year, April to March"),
    *[Indicator(f"affordable_{slug}", f"Affordable homes delivered: {name}", "supply", "dwellings", True,
                period_note="financial year, April to March", only_in="London" if slug.startswith("london") else "")
      for name, slug in TENURES.items()],
    Indicator("median_house_price", "Median house price", "prices", "GBP", False, month=12,
              period_note="year ending December"),
    Indicator("affordability_median", "Median house price to median earnings ratio", "prices", "ratio", False,
              period_note="prices in the year ending September, residence-based earnings"),
    Indicator("affordability_lower_quartile", "Lower-quartile house price to lower-quartile earnings ratio",
              "prices", "ratio", False, period_note="prices in the year ending September, residence-based earnings"),
    Indicator("population", "Population (ONS mid-year estimate)", "people", "persons", True,
              period_note="at 30 June"),
    Indicator("households", "Households (ONS 2018-based household projections)", "people", "households", True,
              period_note="projected, mid-year"),
]}

TOPICS = {
    "stock": "Dwellings and vacancy",
    "supply": "New supply: net additions and affordable homes",
    "prices": "House prices and affordability",
    "people": "Population and households",
}

# The credit every figure carries, by the national file it came from (README of the shared data).
OPEN_INNOVATIONS = "open-innovations/housing (CC BY 4.0)"
OGL = "Open Government Licence v3.0"
SOURCES = {
    "oi_housing__vacant_dwellings_households_AllCombined_Cleaned_2024.csv": StatisticSource(
        file="oi_housing__vacant_dwellings_households_AllCombined_Cleaned_2024.csv",
        publisher="DLUHC; ONS", table="Live tables 125 and 615; ONS household projections table 406",
        licence=OGL, compiled_by=OPEN_INNOVATIONS),
    "oi_housing__net_additional_dwellings_by_local_authority.csv": StatisticSource(
        file="oi_housing__net_additional_dwellings_by_local_authority.csv",
        publisher="DLUHC", table="Live table 122", licence=OGL, compiled_by=OPEN_INNOVATIONS),
    "oi_housing__median_house_prices.csv": StatisticSource(
        file="oi_housing__median_house_prices.csv", publisher="ONS",
        table="House price statistics for small areas, table 2a", licence=OGL, compiled_by=OPEN_INNOVATIONS),
    "oi_housing__hp_to_wage_ratio__converted_from_parquet.csv": StatisticSource(
        file="oi_housing__hp_to_wage_ratio__converted_from_parquet.csv", publisher="ONS",
        table="Housing affordability, table 5c", licence=OGL,
        compiled_by=OPEN_INNOVATIONS + "; parquet converted to CSV, values unchanged"),
    "oi_housing__affordable_homes_by_tenure.csv": StatisticSource(
        file="oi_housing__affordable_homes_by_tenure.csv", publisher="DLUHC",
        table="Affordable housing supply, by tenure", licence=OGL, compiled_by=OPEN_INNOVATIONS),
    "oi_housing__population_all_ages.csv": StatisticSource(
        file="oi_housing__population_all_ages.csv", publisher="ONS", table="Mid-year population estimates",
        licence=OGL, compiled_by=OPEN_INNOVATIONS),
    "lufisher__ons_table6c_lq_affordability_2002_2022.csv": StatisticSource(
        file="lufisher__ons_table6c_lq_affordability_2002_2022.csv", publisher="ONS",
        table="Housing affordability, table 6c", licence=OGL, compiled_by="lu-fisher/Homelessness-reasons"),
}



@dataclass(frozen=True)
class Credit:
    """Where a series was published: publisher, table, the release its figures are from and when that release
    came out, its licence, and who compiled the file the bot loaded it from."""

    publisher: str
    table: str
    release: str
    released: str
    licence: str = OGL
    compiled_by: str = OPEN_INNOVATIONS

    @property
    def line(self) -> str:
        """'MHCLG, Live table 122 (Housing supply: net additional dwellings, England: 2023 to 2024, published
        28 November 2024)'"""
        return f"{self.publisher}, {self.table} ({self.release}, published {self.released})"


_STOCK = "Dwelling stock estimates, England: 31 March 2024"
_AFFORDABILITY = ("ONS", "Housing affordability in England and Wales: 2024", "24 March 2025")
# Each indicator's publication, by the release the shipped figures are from. The figures are the revised
# series as those releases give them, not the first estimates published in 2008-2012. Release dates are the
# publishers' own (GOV.UK and ONS release pages); each release was matched to the compilation's latest figures.
CREDITS: dict[str, Credit] = {
    "dwellings": Credit("MHCLG (formerly DLUHC)", "Live table 125: dwelling stock estimates by local authority "
                        "district", _STOCK, "22 May 2025"),
    "vacant_all": Credit("MHCLG (formerly DLUHC)", "Live table 615: vacant dwellings by local authority district",
                         _STOCK, "22 May 2025"),
    "vacant_long_term": Credit("MHCLG (formerly DLUHC)", "Live table 615: vacant dwellings by local authority "
                               "district", _STOCK, "22 May 2025"),
    "net_additional_dwellings": Credit("MHCLG (formerly DLUHC)", "Live table 122: net additional dwellings by "
                                       "local authority district", "Housing supply: net additional dwellings, "
                                       "England: 2023 to 2024", "28 November 2024"),
    **{f"affordable_{slug}": Credit("MHCLG (formerly DLUHC)", "Affordable housing supply open data, completions "
                                    "by tenure and local authority", "Affordable housing supply in England: 2023 to "
                                    "2024", "21 November 2024") for slug in TENURES.values()},
    "median_house_price": Credit("ONS", "House price statistics for small areas, table 2a: median price paid by "
                                 "local authority", _AFFORDABILITY[1], _AFFORDABILITY[2]),
    "affordability_median": Credit("ONS", "Housing affordability, table 5c: median house price to median "
                                   "residence-based earnings", _AFFORDABILITY[1], _AFFORDABILITY[2],
                                   compiled_by=OPEN_INNOVATIONS + "; parquet converted to CSV, values unchanged"),
    "affordability_lower_quartile": Credit("ONS", "Housing affordability, table 6c: lower-quartile house price to "
                                           "lower-quartile residence-based earnings",
                                           "Housing affordability in England and Wales: 2022", "22 March 2023",
                                           compiled_by="lu-fisher/Homelessness-reasons"),
    "population": Credit("ONS", "Mid-year population estimates, local authorities, all ages",
                         "Population estimates for England and Wales: mid-2023", "15 July 2024"),
    "households": Credit("ONS", "2018-based household projections for England, table 406: households by local "
                         "authority (principal projection)", "Household projections for England: 2018-based",
                         "29 June 2020"),
}


def credit(indicator: str, file: str, recorded: StatisticSource | None = None) -> Credit:
    """The credit for one stored series: its publication where the bot knows the file, else what was recorded
    when the file was imported."""
    if file in SOURCES and indicator in CREDITS:
        return CREDITS[indicator]
    recorded = recorded or StatisticSource(file=file)
    return Credit(recorded.publisher or "Publisher not recorded", recorded.table or f"the imported file {file}",
                  "release not recorded", "on a date not recorded", recorded.licence or "licence not recorded",
                  recorded.compiled_by or "imported as published")


# Indicator names in the tidy long CSV, and the `Measure` values of the national files.
LONG_NAMES = {
    "dwellings_vacancy_households:Dwellings": "dwellings",
    "dwellings_vacancy_households:AllVacants": "vacant_all",
    "dwellings_vacancy_households:LongTermVacants": "vacant_long_term",
    "dwellings_vacancy_households:HouseholdProjection": "households",
    "net_additional_dwellings": "net_additional_dwellings",
    "median_house_price_year_ending": "median_house_price",
    "median_house_price_to_median_residence_earnings_ratio": "affordability_median",
    "lower_quartile_house_price_to_lq_residence_earnings_ratio": "affordability_lower_quartile",
    "population_mid_year": "population",
    **{f"affordable_homes_delivered:{name}": f"affordable_{slug}" for name, slug in TENURES.items()},
}
MEASURES = {
    "Dwellings": "dwellings", "AllVacants": "vacant_all", "LongTermVacants": "vacant_long_term",
    "HouseholdProjection": "households", "net_additional_dwellings": "net_additional_dwellings",
    "Median": "median_house_price", "population": "population",
    **{name: f"affordable_{slug}" for name, slug in TENURES.items()},
}
# The one national file without a Measure column: median price to median earnings.
NO_MEASURE = "affordability_median"

MONTHS = {m: i for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1)}


def period_key(period: str) -> int:
    """'2010' -> 201000, '2010-11' -> 201000 (the year it starts), 'Dec 2010' -> 201012."""
    period = period.strip()
    if m := re.fullmatch(r"(\d{4})(?:-\d{2})?", period):
        return int(m.group(1)) * 100
    if (m := re.fullmatch(r"([A-Z][a-z]{2}) (\d{4})", period)) and m.group(1) in MONTHS:
        return int(m.group(2)) * 100 + MONTHS[m.group(1)]
    raise ValueError(f"the period “{period}” is not a year, a financial year or a month and year")


@dataclass
class Figure:
    """One row of a file, read and checked, before it is stored."""

    line: int
    area_code: str
    area_name: str
    indicator: str
    period: str
    value: float
    source_file: str


@dataclass
class ImportReport:
    file: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    blank: int = 0  # published without a value: there is no figure to store
    not_used: int = 0  # measures the store does not keep
    left_out: int = 0  # figures for other areas or years than the import was asked for
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (f"{self.file}: {self.added:,} added, {self.updated:,} updated, {self.unchanged:,} unchanged"
                + (f", {self.blank:,} blank" if self.blank else "")
                + (f", {self.not_used:,} not used" if self.not_used else "")
                + (f", {self.left_out:,} for other areas or years left out" if self.left_out else ""))
        if self.problems:
            text += f"; {len(self.problems):,} malformed row(s) skipped:\n  " + "\n  ".join(self.problems[:20])
            if len(self.problems) > 20:
                text += f"\n  …and {len(self.problems) - 20:,} more"
        return text


class _Skip(Exception):
    """A row with nothing to store (blank, or a measure not kept); not a mistake."""

    def __init__(self, why: str):
        self.why = why


# How ONS tables mark a figure that is not available: a cell without a figure, as a blank one is.
NOT_AVAILABLE = {"", ":", "[x]"}
# Codes a compilation mistyped, each with the one it means: open-innovations' vacancy file gives North Yorkshire's
# 2004-2022 rows as E066000065 (the name beside them North Yorkshire, its 2023-2024 rows E06000065).
MISTYPED = {"E066000065": "E06000065"}
# Rows of a file that summarise others rather than give a period's figure (the affordability file's averages).
SUMMARY_PERIODS = {"5-year average"}


def _number(text: str) -> float:
    text = (text or "").strip().replace(",", "")
    if text in NOT_AVAILABLE:
        raise _Skip("blank")
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"the value “{text}” is not a number") from None


def _code(text: str) -> str:
    code = (text or "").strip()
    code = MISTYPED.get(code, code)
    if not re.fullmatch(r"[EWSNK]\d{8}", code):
        raise ValueError(f"“{code}” is not a GSS code")
    return code


def _read_long(name: str, rows: Iterator[tuple[int, list[str]]], header: list[str]) -> Iterator:
    """The tidy long CSV: geography_code, la_name, period, indicator, value, unit, source_file."""
    at = {column: header.index(column) for column in header}
    for line, row in rows:
        try:
            cell = lambda column: row[at[column]] if at[column] < len(row) else ""
            indicator = LONG_NAMES.get(cell("indicator").strip())
            if indicator is None:
                raise ValueError(f"the indicator “{cell('indicator')}” is not one the store keeps")
            source = cell("source_file").strip()
            if source not in SOURCES:
                raise ValueError(f"the source file “{source}” is not a known publication")
            period = cell("period").strip()
            period_key(period)
            yield Figure(line, _code(cell("geography_code")), cell("la_name").strip(), indicator, period,
                         _number(cell("value")), source)
        except (_Skip, ValueError) as error:
            yield line, error


def _read_measures(name: str, rows: Iterator[tuple[int, list[str]]], header: list[str]) -> Iterator:
    """The open-innovations layout: geography_code, [geography_name,] date, value, [Measure]."""
    at = {column.lower(): i for i, column in enumerate(header)}
    for line, row in rows:
        try:
            cell = lambda column: row[at[column]] if column in at and at[column] < len(row) else ""
            if "measure" in at:
                indicator = MEASURES.get(cell("measure").strip())
                if indicator is None:
                    raise _Skip("not used")
            else:
                indicator = NO_MEASURE
            period = cell("date").strip()
            if period in SUMMARY_PERIODS:
                raise _Skip("not used")
            period_key(period)
            yield Figure(line, _code(cell("geography_code")), cell("geography_name").strip(), indicator, period,
                         _number(cell("value")), name)
        except (_Skip, ValueError) as error:
            yield line, error


def _read_table_6c(name: str, rows: Iterator[tuple[int, list[str]]], header: list[str]) -> Iterator:
    """ONS affordability table 6c, wide: one column a year, after the area's code and name."""
    years = [(i, column.strip()) for i, column in enumerate(header) if re.fullmatch(r"\d{4}", column.strip())]
    code_at = next(i for i, column in enumerate(header) if column.strip().lower() == "local authority code")
    for line, row in rows:
        if not any(cell.strip() for cell in row):
            continue  # the table's blank trailing rows
        try:
            code = _code(row[code_at] if code_at < len(row) else "")
        except ValueError as error:
            yield line, error
            continue
        for i, year in years:
            try:
                yield Figure(line, code, row[code_at + 1].strip(), "affordability_lower_quartile", year,
                             _number(row[i] if i < len(row) else ""), name)
            except (_Skip, ValueError) as error:
                yield line, error


def _layout(path: Path, lines: list[list[str]]):
    """(reader, header index) for the file's layout, told apart by its columns."""
    for index, row in enumerate(lines[:3]):
        columns = {c.strip().lower() for c in row}
        if {"geography_code", "period", "indicator", "value", "source_file"} <= columns:
            return _read_long, index
        if {"geography_code", "date", "value"} <= columns:
            return _read_measures, index
        if "local authority code" in columns and any(re.fullmatch(r"\d{4}", c.strip()) for c in row):
            return _read_table_6c, index
    raise InputError(f"{path.name} is not a statistics file the store can read: expected the tidy long layout "
                     "(geography_code, period, indicator, value, source_file), an open-innovations/housing "
                     "file (geography_code, date, value) or ONS affordability table 6c.")


def read_figures(path: Path) -> tuple[list[Figure], ImportReport]:
    """Every figure in a file, and a report of the rows that gave none."""
    report = ImportReport(path.name)
    with open(path, newline="", encoding="utf-8-sig") as handle:
        lines = list(csv.reader(handle))
    if not lines:
        raise InputError(f"{path.name} is empty.")
    reader, header_at = _layout(path, lines)
    numbered = ((number, row) for number, row in enumerate(lines[header_at + 1:], start=header_at + 2))
    figures: dict[tuple[str, str, str], Figure] = {}
    for item in reader(path.name, numbered, lines[header_at]):
        if isinstance(item, Figure):
            key = (item.area_code, item.indicator, item.period)
            if key in figures and figures[key].value != item.value:
                report.problems.append(f"{path.name}, line {item.line}: {item.area_code} {item.indicator} "
                                       f"{item.period} repeats line {figures[key].line} with another value")
                continue
            figures[key] = item
            continue
        line, error = item
        if isinstance(error, _Skip):
            if error.why == "blank":
                report.blank += 1
            else:
                report.not_used += 1
        else:
            report.problems.append(f"{path.name}, line {line}: {error}")
    return list(figures.values()), report


def in_packs(figure: Figure) -> bool:
    """An English authority's, region's or England's figure for one of the Single Conversation years."""
    return IN_PACKS.fullmatch(figure.area_code) is not None and \
        PACK_YEARS[0] <= period_key(figure.period) // 100 <= PACK_YEARS[1]


def import_statistics(session: Session, path: Path | str, keep=None) -> ImportReport:
    """Load a file's figures (those `keep` accepts, if given): new ones added, changed ones updated, the same
    ones left alone."""
    path = Path(path)
    figures, report = read_figures(path)
    if keep is not None:
        kept = [f for f in figures if keep(f)]
        report.left_out, figures = len(figures) - len(kept), kept
    for source in {f.source_file for f in figures}:
        known = SOURCES.get(source) or StatisticSource(file=source, compiled_by="imported as published")
        session.merge(StatisticSource(**known.model_dump()))
    session.flush()
    existing = {}
    for indicator in {f.indicator for f in figures}:
        rows = session.exec(select(Statistic.id, Statistic.area_code, Statistic.period, Statistic.value,
                                   Statistic.source_file).where(Statistic.indicator == indicator))
        existing.update({(code, indicator, period): (id_, value, source)
                         for id_, code, period, value, source in rows})
    new, changed = [], []
    for f in figures:
        stored = existing.get((f.area_code, f.indicator, f.period))
        if stored is None:
            new.append({"area_code": f.area_code, "area_name": f.area_name, "indicator": f.indicator,
                            "period": f.period, "period_key": period_key(f.period), "value": f.value,
                            "unit": INDICATORS[f.indicator].unit, "source_file": f.source_file})
        elif stored[1] != f.value or stored[2] != f.source_file:
            changed.append({"id": stored[0], "value": f.value, "source_file": f.source_file})
        else:
            report.unchanged += 1
    if new:
        session.execute(insert(Statistic), new)
    if changed:
        session.execute(update(Statistic), changed)
    report.added, report.updated = len(new), len(changed)
    return report


def seed_statistics(session: Session) -> list[ImportReport]:
    """Load the shipped East Midlands figures when the store is empty."""
    if session.exec(select(Statistic.id).limit(1)).first() is not None:
        return []
    return [import_statistics(session, DATA / name) for name in SHIPPED_STATISTICS]


def import_national(session: Session) -> list[ImportReport]:
    """Load the shipped national files: every English authority, region and England, for the Single
    Conversation years. Loading them again changes nothing."""
    return [import_statistics(session, NATIONAL / name, keep=in_packs) for name in SOURCES]


def figures_for(session: Session, codes: Iterable[str], indicators: Iterable[str],
                first_year: int, last_year: int) -> list[tuple[str, str, str, float, str]]:
    """The stored figures for these areas and indicators whose periods start within the years:
    (area code, indicator, period, value, source file), in period order."""
    return list(session.exec(
        select(Statistic.area_code, Statistic.indicator, Statistic.period, Statistic.value,
               Statistic.source_file).where(
            col(Statistic.area_code).in_(list(codes)), col(Statistic.indicator).in_(list(indicators)),
            col(Statistic.period_key) >= first_year * 100, col(Statistic.period_key) <= last_year * 100 + 12,
        ).order_by(col(Statistic.period_key))
    ))


def sources(session: Session, files: Iterable[str]) -> list[StatisticSource]:
    return list(session.exec(select(StatisticSource).where(col(StatisticSource.file).in_(sorted(set(files))))
                             .order_by(col(StatisticSource.file))))


def stored_years(session: Session) -> tuple[int, int] | None:
    """The first and last year the store holds figures for."""
    low, high = session.exec(select(func.min(Statistic.period_key), func.max(Statistic.period_key))).one()
    return (low // 100, high // 100) if low is not None else None
