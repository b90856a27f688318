"""Finding areas by what people type, and loading them from CSV."""
import copy
import csv
import functools
import re
import threading
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process
from sqlmodel import Session, select

from models.errors import InputError
from models.tables import Area

SHIPPED_AREAS = "em_local_authorities_2009_2011.csv"
MAX_SUGGESTIONS = 3
# Below this score a fuzzy candidate is noise rather than a near miss.
SUGGESTION_CUTOFF = 60
# The longest area name, in words, worth trying as a prefix of a command.
MAX_NAME_WORDS = 8
# What an area file may leave blank for an area already loaded, keeping what is stored (import_areas).
KEPT_WHEN_BLANK = ("official_name", "kind", "county", "old_ons_code", "region")


@dataclass(frozen=True)
class AreaGroup:
    """What a person can name: one area, or a Housing Market Area of several."""

    name: str
    kind: str  # "area" or "hma"
    codes: tuple[str, ...]


class UnknownArea(InputError):
    def __init__(self, query: str, suggestions: list[str]):
        self.query = query
        self.suggestions = suggestions
        hint = (
            "Did you mean " + _or_list(suggestions) + "?"
            if suggestions
            else "`/sc areas` lists every area and HMA."
        )
        super().__init__(f"I don't know an area called “{query}”. {hint}")


class AmbiguousArea(InputError):
    def __init__(self, query: str, candidates: list[str]):
        super().__init__(f"“{query}” could be {_or_list(candidates)}. Which one?")


def _or_list(names: list[str]) -> str:
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]


def normalise(text: str) -> str:
    text = text.lower().replace("&", " and ")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(text.split())


def _hma_short_names(hma: str) -> list[str]:
    """'Northern HMA (North Derbyshire & Bassetlaw)' is also 'Northern HMA' and 'Northern'."""
    without_note = re.sub(r"\s*\(.*\)\s*$", "", hma)
    without_suffix = re.sub(r"\s+HMA$", "", without_note, flags=re.IGNORECASE)
    return [hma, without_note, without_suffix]


def region_in_words(region: str) -> str:
    """A region as a sentence names it: "the West Midlands", but "London"."""
    return region if region in ("London", "Yorkshire and The Humber") else f"the {region}"


# An area outside any county is listed and counted with the others of its kind of authority.
KIND_GROUPS = {"London borough": "London boroughs", "Metropolitan district": "Metropolitan districts",
               "Unitary authority": "Unitary authorities", "Shire district": "Shire districts"}


def county_or_kind(area: Area) -> str:
    """The county of a shire district; for any other area, its kind of authority: "London boroughs"."""
    return area.county or KIND_GROUPS.get(area.kind, area.kind or "Other areas")


class AreaDirectory:
    """Every known area and HMA, indexed by the names people use for them."""

    def __init__(self, areas: list[Area]):
        self._lock = threading.Lock()
        self._within: dict[str, AreaDirectory] = {}
        self._region_first: dict[str, AreaDirectory] = {}
        # The directory whose names are read before this one's, and whose near misses alone are suggested
        # (a region's: see region_first).
        self._first: AreaDirectory | None = None
        self.areas = sorted(areas, key=lambda a: a.name)
        self.by_code = {a.code: a for a in self.areas}
        members: dict[str, list[Area]] = defaultdict(list)
        for area in self.areas:
            if area.hma:
                members[area.hma].append(area)
        self.hmas: dict[str, list[Area]] = dict(sorted(members.items()))
        # key -> {group: rank}; a lower rank wins, so "Derby" is the city, not "Derby HMA".
        self._index: dict[str, dict[AreaGroup, int]] = defaultdict(dict)
        for area in self.areas:
            group = AreaGroup(area.name, "area", (area.code,))
            for key in (area.name, area.official_name, area.code, area.old_ons_code):
                self._add(key, group, rank=0)
        for hma in self.hmas:
            full, *short = _hma_short_names(hma)
            self._add(full, self.hma_group(hma), rank=0)
            for key in short:
                self._add(key, self.hma_group(hma), rank=1)

    def _add(self, key: str, group: AreaGroup, rank: int) -> None:
        key = normalise(key)
        if key:
            self._index[key][group] = min(rank, self._index[key].get(group, rank))

    def hma_group(self, hma: str) -> AreaGroup:
        return AreaGroup(hma, "hma", tuple(a.code for a in self.hmas[hma]))

    def area_group(self, code: str) -> AreaGroup:
        return AreaGroup(self.by_code[code].name, "area", (code,))

    def _exact(self, text: str) -> AreaGroup | None:
        if self._first is not None:
            found = self._first._exact(text)
            if found is not None:
                return found
        ranked = self._index.get(normalise(text))
        if not ranked:
            return None
        best = min(ranked.values())
        found = [group for group, rank in ranked.items() if rank == best]
        if len(found) > 1:
            raise AmbiguousArea(text, sorted(g.name for g in found))
        return found[0]

    def suggestions(self, text: str) -> list[str]:
        index = (self._first or self)._index
        names: list[str] = []
        matches = process.extract(
            normalise(text), list(index), scorer=fuzz.WRatio, limit=12,
            score_cutoff=SUGGESTION_CUTOFF,
        )
        for key, _score, _ in matches:
            for group in sorted(index[key], key=lambda g: g.name):
                if group.name not in names:
                    names.append(group.name)
        return names[:MAX_SUGGESTIONS]

    def resolve(self, text: str) -> AreaGroup:
        """The area or HMA that `text` names in full."""
        text = text.strip().strip("\"'“”")
        if not text:
            raise InputError("Name an area or HMA, for example `Leicester` or `Nottingham Core HMA`.")
        group = self._exact(text)
        if group is None:
            raise UnknownArea(text, self.suggestions(text))
        return group

    def split_leading(self, text: str) -> tuple[AreaGroup, str]:
        """The area named at the start of `text`, and what follows it.

        The longest run of leading words that names an area wins, so
        'North West Leicestershire met the team' finds North West Leicestershire.
        A quoted name ("Nottingham Core HMA" ...) is taken as it stands.
        """
        text = text.strip()
        if not text:
            raise InputError("Name an area or HMA first, for example `Leicester`.")
        quoted = re.match(r"^[\"“']([^\"”']+)[\"”']\s*(.*)$", text, re.DOTALL)
        if quoted:
            return self.resolve(quoted.group(1)), _tidy_rest(quoted.group(2))
        words = list(re.finditer(r"\S+", text))
        for count in range(min(len(words), MAX_NAME_WORDS), 0, -1):
            group = self._exact(text[: words[count - 1].end()])
            if group is not None:
                return group, _tidy_rest(text[words[count - 1].end():])
        # No prefix names an area: suggest for the prefix that comes closest.
        best_query, best_score = words[0].group(), -1.0
        for count in range(1, min(len(words), 4) + 1):
            query = text[: words[count - 1].end()]
            match = process.extractOne(normalise(query), list((self._first or self)._index), scorer=fuzz.ratio)
            if match and match[1] > best_score:
                best_query, best_score = query, match[1]
        raise UnknownArea(best_query, self.suggestions(best_query))

    def chosen(self, values: list[str]) -> AreaGroup:
        """A form's choice of areas: one HMA ("hma:<name>"), or one or more areas ("area:<code>")."""
        hmas = [value.removeprefix("hma:") for value in values if value.startswith("hma:")]
        codes = [value.removeprefix("area:") for value in values if value.startswith("area:")]
        if hmas and (codes or len(hmas) > 1):
            raise InputError("Choose one HMA, or one or more areas, not both.", field="areas")
        if any(code not in self.by_code for code in codes) or any(hma not in self.hmas for hma in hmas):
            raise InputError("That list of areas is out of date: open the form again.", field="areas")
        if hmas:
            return self.hma_group(hmas[0])
        if not codes:
            raise InputError("Choose at least one area or an HMA.", field="areas")
        if len(codes) == 1:
            return self.area_group(codes[0])
        group = AreaGroup(", ".join(sorted(self.by_code[code].name for code in codes)), "areas", tuple(codes))
        self.region_of(group)  # refused unless they lie in one region
        return group

    @functools.cached_property
    def regions(self) -> list[str]:
        return sorted({area.region for area in self.areas if area.region})

    def within(self, region: str) -> "AreaDirectory":
        """The directory of one region's areas (itself when it holds no other region's)."""
        if self.regions == [region]:
            return self
        with self._lock:
            if region not in self._within:
                self._within[region] = AreaDirectory([area for area in self.areas if area.region == region])
            return self._within[region]

    def region_first(self, region: str) -> "AreaDirectory":
        """This directory reading names as the region's team would: the region's own areas and HMAs first, then
        any other area of England by its exact name; near misses are suggested from the region's alone."""
        own = self.within(region)
        if own is self or not own.areas:
            return self
        with self._lock:
            if region not in self._region_first:
                reader = copy.copy(self)  # the same areas and caches, read region first
                reader._first = own
                self._region_first[region] = reader
            return self._region_first[region]

    def region_of(self, group: AreaGroup) -> str:
        """The region of a group's areas; refused when they lie in more than one (a region's team holds a
        conversation, so its areas are one region's)."""
        named: dict[str, str] = {}  # each region, and the first of its areas
        for code in sorted(group.codes, key=lambda code: self.by_code[code].name):
            named.setdefault(self.by_code[code].region, self.by_code[code].name)
        if len(named) > 1:
            (first, region), *others = sorted((name, region) for region, name in named.items())
            said = f"{first} is in {region_in_words(region)}" + "".join(
                f", {name} in {region_in_words(region)}" for name, region in others)
            raise InputError(f"{said}: a conversation's areas lie in one region, held by its team. Choose the "
                             "areas of one region.", field="areas")
        return next(iter(named))

    def groups(self) -> list[tuple[str, list[Area]]]:
        """The areas as lists show them: by HMA where they have one, else by county, else by kind of authority
        (a region without HMAs groups by county)."""
        by_county: dict[str, list[Area]] = defaultdict(list)
        by_kind: dict[str, list[Area]] = defaultdict(list)
        for area in self.areas:
            if not area.hma:
                (by_county if area.county else by_kind)[county_or_kind(area)].append(area)
        return [*self.hmas.items(), *sorted(by_county.items()), *sorted(by_kind.items())]

    def names(self, group: AreaGroup) -> list[str]:
        return [self.by_code[code].name for code in group.codes]

    def matching(self, text: str) -> tuple[str, list[Area]]:
        """What `/sc areas <text>` lists, and how the text was read. A county named in full gives the areas of
        its county council; an area or HMA named in full gives itself or its areas; anything else, the areas
        whose own name, HMA or county has the text in it. An HMA's note in brackets, as in “Northern HMA
        (North Derbyshire & Bassetlaw)”, describes the HMA and is not its name, so it matches nothing."""
        key = normalise(text)
        counties = {normalise(name): a.county for a in self.areas if a.county
                    for name in (a.county, f"{a.county} county", f"{a.county} county council")}
        if key in counties:
            county = counties[key]
            return f"the county of {county}", [a for a in self.areas if a.county == county]
        try:
            group = self._exact(text)
        except AmbiguousArea:
            group = None
        if group is not None:
            return group.name, [self.by_code[code] for code in group.codes]
        found = [a for a in self.areas
                 if any(key in normalise(name) for name in (a.name, a.county, _hma_short_names(a.hma)[1]))]
        return f"{len(found)} with “{text.strip()}” in the name of the area, its HMA or its county", found


def _tidy_rest(rest: str) -> str:
    """Drop the separator people put after an area name ('Leicester: met...')."""
    return re.sub(r"^[\s:;,|\-–—]+", "", rest).strip()


def load_directory(session: Session) -> AreaDirectory:
    return AreaDirectory(list(session.exec(select(Area))))


def read_areas_csv(path: Path | str) -> list[Area]:
    """Areas from a CSV laid out like the shipped East Midlands file."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = {"la_name", "gss_code_lad11", "hma_2009"} - set(reader.fieldnames or [])
        if missing:
            raise InputError(f"{path} lacks the column(s) {', '.join(sorted(missing))}.")
        areas = []
        for line, row in enumerate(reader, start=2):
            if not row["gss_code_lad11"].strip() or not row["la_name"].strip():
                raise InputError(f"{path}, line {line}: an area needs a name and a GSS code.")
            county = row.get("county_2009_11", "").strip()
            areas.append(Area(
                code=row["gss_code_lad11"].strip(),
                name=row["la_name"].strip(),
                official_name=row.get("official_name", "").strip(),
                kind=row.get("la_type_2009_11", "").strip(),
                county="" if county.startswith("n/a") else county,
                old_ons_code=row.get("old_ons_code_lad09", "").strip(),
                region=row.get("region", "").strip(),
                hma=row["hma_2009"].strip(),
                successor_code=row.get("successor_2021_gss", "").strip(),
                successor_name=row.get("successor_2021_name", "").strip(),
            ))
        return areas


def import_areas(session: Session, path: Path | str) -> int:
    """Add or update the areas in a CSV; returns how many it holds. What a row leaves blank of an area already
    loaded (its region, county, kind, official name, old code) stays as it was: a region's HMA file may say no
    more than its areas' HMAs. A region it names must be one of England's."""
    # Imported here: models.regions reads names with this module's normalise.
    from models.regions import ENGLAND, region_named

    areas = read_areas_csv(path)
    for line, area in enumerate(areas, start=2):
        if area.region:
            region = region_named(area.region)
            if region in (None, ENGLAND):
                raise InputError(f"{path}, line {line}: “{area.region}” is not a region of England.")
            area.region = region
        stored = session.get(Area, area.code)
        for key in KEPT_WHEN_BLANK if stored else ():
            if not getattr(area, key):
                setattr(area, key, getattr(stored, key))
        session.merge(area)
    return len(areas)


def seed_areas(session: Session) -> int:
    """Load the shipped East Midlands areas when the table is empty."""
    if session.exec(select(Area).limit(1)).first() is not None:
        return 0
    return import_areas(session, Path(__file__).resolve().parent / "data" / SHIPPED_AREAS)
