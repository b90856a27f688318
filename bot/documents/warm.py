"""Warming up: make a worker's first document as quick as its next.

The first pack a process builds pays, on top of the pack, for loading fonts (fontconfig, Pango and
matplotlib's), compiling the template and WeasyPrint's first layout: about 2.5 s here, twice the pack
itself. A forking worker calls `warm()` once before it takes jobs, so every job's process is forked
with all of that already done, and no job pays it.

It then freezes what the process holds (gc.freeze, as Python's documentation advises before fork): a
job's garbage collector no longer walks, and so copies page by page, the parent's hundreds of MB of
modules and fonts. Measured here, that alone makes a pack built in a forked job a quarter quicker.
"""
import gc
from datetime import UTC, datetime

from bot.documents.evidence_pack import documents
from models.evidence import Pack, Row, Section, Subject, Table
from models.statistics import CREDITS, INDICATORS, SOURCES

# A line chart, bold headings, italic comparator rows and figures: every font and path a pack uses.
_INDICATOR = INDICATORS["vacancy_rate"]
_FILE = next(iter(SOURCES))


def warm() -> None:
    """Build one small evidence pack (XLSX and PDF, with a chart) and throw it away; then freeze the
    process's objects for the processes forked from it."""
    table = Table(_INDICATOR, ["2010", "2011"], [
        Row("Warm-up", "area", "E06000000", {"2010": 3.1, "2011": 2.9}, {_FILE}),
        Row("Region", "region", "E12000000", {"2010": 3.3, "2011": 3.0}, {_FILE}),
        Row("England", "england", "E92000001", {"2010": 3.5, "2011": 3.2}, {_FILE}),
    ])
    section = Section(_INDICATOR.topic, "Warm-up", [table], ["A sentence of commentary."], ["A note."], table)
    pack = Pack(Subject("Warm-up", "area", ("E06000000",)), 2010, 2011, [section], [CREDITS["dwellings"]],
                datetime.now(UTC), "Warm-up HMA", "Warm-up region")
    documents(pack, ["xlsx", "pdf"])
    gc.collect()
    gc.freeze()
