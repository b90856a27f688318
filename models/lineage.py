"""What became of each 2009-2011 authority's GSS code since: a new code for the same authority, or a successor.

The national statistics files are published on later boundaries: Gateshead's figures are under the code it was
given in 2013 (E08000037, not E08000020), the Dorset districts' only under Dorset Council's (E06000059), Taunton
Deane's under Somerset West and Taunton's (2019) in one file and Somerset's (2023) in others. Read from the shipped
mySociety list (its former GSS codes and what replaced each authority), once per process.
"""
import csv
import functools
from dataclasses import dataclass
from pathlib import Path

LIST = Path(__file__).resolve().parent / "data" / "national" / "mysociety__uk_local_authorities_future.csv"
KINDS = {"UA": "unitary", "NMD": "district"}


@dataclass(frozen=True)
class Successor:
    """An authority that took over an abolished one (with others): its code, name, first year and kind."""

    code: str
    name: str
    year: str
    kind: str  # unitary, district


@functools.cache
def _lookup() -> tuple[dict[str, str], dict[str, tuple[Successor, ...]]]:
    with open(LIST, newline="", encoding="utf-8-sig") as handle:
        rows = [row for row in csv.DictReader(handle) if row["nation"] == "England"]
    by_letters = {row["local-authority-code"]: row for row in rows}
    renumbered, successors = {}, {}
    for row in rows:
        for former in filter(None, (c.strip() for c in row["former-gss-codes"].split(","))):
            renumbered[former] = row["gss-code"]
        chain, later = [], row
        # A county is replaced by several authorities; a district or unitary by one, which may itself be replaced.
        while (letters := later["replaced-by"]) and "," not in letters and letters in by_letters:
            later = by_letters[letters]
            kind = KINDS.get(later["local-authority-type"], later["local-authority-type-name"].lower())
            chain.append(Successor(later["gss-code"], later["nice-name"], later["start-date"][:4], kind))
        if chain:
            successors[row["gss-code"]] = tuple(chain)
    return renumbered, successors


def renumbered(code: str) -> str:
    """The code the same authority has had since, when it changed after 2011 (a minor boundary change); else ''."""
    return _lookup()[0].get(code, "")


def successors(code: str) -> tuple[Successor, ...]:
    """The authorities that took the area over, earliest first; none for an authority still in being."""
    return _lookup()[1].get(code, ())
