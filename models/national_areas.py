"""Every English local housing authority of 2009-2011, from the shipped national files (`scbot regions import`).

The authorities are those active on 1 April 2010 in mySociety's list: the
structural changes of 1 April 2009 applied (Cornwall, Durham, Northumberland,
Shropshire, Wiltshire, Bedford, Central Bedfordshire, Cheshire East, Cheshire
West and Chester as unitaries, their old districts gone), those of 2019-2023 not
(the Dorset, Suffolk, Somerset, Buckinghamshire, Cumbria, North Yorkshire and
Northamptonshire districts still there). That is 326: 201 shire districts, 56
unitaries (the Council of the Isles of Scilly among them: a local housing
authority of its own), 36 metropolitan districts, 32 London boroughs and the
City of London. Each carries the GSS code it had in 2010-2011 (LAD11, as the
shipped East Midlands file), not the one it has today; the region comes from
drkane's ONS lookup where mySociety leaves it blank (authorities abolished in
2019). The East Midlands areas are the shipped East Midlands file's rows, HMAs
and all.
"""
import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, select

from models.areas import SHIPPED_AREAS, read_areas_csv
from models.tables import Area

DATA = Path(__file__).resolve().parent / "data"
NATIONAL = DATA / "national"
ACTIVE_ON = "2010-04-01"
# mySociety's kinds of authority that are local housing authorities, named as the East Midlands file names them.
KINDS = {"NMD": "Shire district", "UA": "Unitary authority", "MD": "Metropolitan district",
         "LBO": "London borough", "CC": "City of London"}
# Where mySociety's names are not those of 2010 (it gives today's): the name and official name in 2010.
NAMES_IN_2010 = {
    "E07000146": ("King's Lynn and West Norfolk", "Borough Council of King's Lynn and West Norfolk"),  # ONS's spelling
    "E07000112": ("Shepway", "Shepway District Council"),  # Folkestone and Hythe from 2018
    "E07000070": ("Chelmsford", "Chelmsford Borough Council"),  # a city from 2012
    "E09000011": ("Greenwich", "London Borough of Greenwich"),  # a royal borough from 2012
    "E08000031": ("Wolverhampton", "Wolverhampton City Council"),  # City of Wolverhampton Council from 2015
    "E08000017": ("Doncaster", "Doncaster Metropolitan Borough Council"),  # a city from 2022
}
# Where mySociety's county is wrong: it puts Forest Heath in Surrey (SRY); it was in Suffolk (ONS's lookup agrees).
COUNTY_IN_2010 = {"E07000201": "Suffolk"}


@dataclass(frozen=True)
class RegionsImport:
    """What `scbot regions import` did: areas added and changed, and each region's areas now loaded."""

    added: int
    changed: int
    per_region: dict[str, int]


def national_areas() -> list[Area]:
    """The 326 English local housing authorities of 2010, the East Midlands ones as the shipped file has them."""
    regions = {}
    with open(NATIONAL / "drkane__la_all_codes.csv", newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            regions[row["LADCD"]] = row["RGNNM"]
    with open(NATIONAL / "mysociety__uk_local_authorities_future.csv", newline="", encoding="utf-8-sig") as handle:
        rows = [row for row in csv.DictReader(handle) if row["nation"] == "England"]
    # "Buckinghamshire County" and "Dorset County" are the county councils' names; the county is Buckinghamshire.
    counties = {row["local-authority-code"]: row["nice-name"].removesuffix(" County")
                for row in rows if row["local-authority-type"] == "CTY"}
    east_midlands = {area.code: area for area in read_areas_csv(DATA / SHIPPED_AREAS)}
    areas = []
    for row in rows:
        active = (row["start-date"] or "0000") <= ACTIVE_ON and (not row["end-date"] or row["end-date"] > ACTIVE_ON)
        if not active or row["local-authority-type"] not in KINDS:
            continue
        # A code given since 2011 (Gateshead's in 2013, Northumberland's in 2020, four in Hertfordshire
        # in 2020-21) has the code of 2010-2011 as its former code.
        code = (row["former-gss-codes"].split(",")[0] or row["gss-code"]).strip()
        if code in east_midlands:
            areas.append(east_midlands[code])
            continue
        name, official_name = NAMES_IN_2010.get(code, (row["nice-name"], row["official-name"]))
        areas.append(Area(
            code=code, name=name, official_name=official_name, kind=KINDS[row["local-authority-type"]],
            county=COUNTY_IN_2010.get(code) or counties.get(row["county-la"], ""),
            # The SNAC code (00CH); mySociety's "old ONS code" is the older numeric one for unitaries (390).
            old_ons_code=row["snac"] or row["old-ons-la-code"],
            region=row["region"] or regions.get(row["gss-code"], "") or regions.get(code, ""),
        ))
    return areas


def import_national_areas(session: Session) -> RegionsImport:
    """Add or bring up to date every English authority of 2010; run again, it changes nothing. An area loaded
    with an HMA (by `scbot areas import` or the first run's seeding) keeps it, and its successor: HMAs are
    the regions' own files' to say."""
    known = {area.code: area for area in session.exec(select(Area))}
    added = changed = 0
    for area in national_areas():
        old = known.get(area.code)
        if old is None:
            session.add(area)
            added += 1
            continue
        fields = area.model_dump(exclude={"hma", "successor_code", "successor_name"} if old.hma else set())
        if any(getattr(old, key) != value for key, value in fields.items()):
            for key, value in fields.items():
                setattr(old, key, value)
            session.add(old)
            changed += 1
    session.flush()
    per_region = Counter(session.exec(select(Area.region)))
    return RegionsImport(added, changed, dict(per_region))
