"""A worker warmed up and already used builds the same documents as a fresh process."""
import io
import json
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook

from models.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
# Builds the packs named on its command line, one after another in one process (after warm() when asked),
# and prints the last one's XLSX cells and PDF as hex.
BUILD = """
import json, sys
from datetime import UTC, datetime
from bot.documents.evidence_pack import documents
from bot.documents.warm import warm
from models import clock
from models.areas import load_directory
from models.db import get_engine, session_scope
from models.evidence import Subject, build_pack
from models.statistics import TOPICS
clock.configure("Europe/London", "2011-03-31T17:00")
url, warm_first, names = sys.argv[1], sys.argv[2] == "warm", sys.argv[3:]
if warm_first:
    warm()
with session_scope(get_engine(url)) as session:
    directory = load_directory(session)
    for name in names:
        area = next(a for a in directory.areas if a.name == name)
        pack = build_pack(session, directory, Subject(name, "area", (area.code,)), list(TOPICS), 2008, 2011,
                          datetime(2011, 3, 31, 12, tzinfo=UTC))
        made = documents(pack, ["xlsx", "pdf"])
print(json.dumps([d.content.hex() for d in made]))
"""


def build(url: str, warm: bool, *names: str) -> tuple[bytes, bytes]:
    done = subprocess.run([sys.executable, "-c", BUILD, url, "warm" if warm else "fresh", *names], cwd=ROOT,
                          capture_output=True, text=True, check=True, timeout=300)
    xlsx, pdf = (bytes.fromhex(h) for h in json.loads(done.stdout.splitlines()[-1]))
    return xlsx, pdf


def what_it_says(documents: tuple[bytes, bytes], folder: Path) -> dict:
    xlsx, pdf = documents
    book = load_workbook(io.BytesIO(xlsx))
    path = folder / "pack.pdf"
    path.write_bytes(pdf)
    tool = lambda *command: subprocess.run([*command, str(path), *(["-"] if command[0] == "pdftotext" else [])],
                                           capture_output=True, text=True, check=True).stdout
    return {"cells": {s.title: [[(c.value, c.number_format) for c in row] for row in s.iter_rows()] for s in book},
            "text": tool("pdftotext", "-layout"), "images": tool("pdfimages", "-list"),
            "fonts": [line.split()[0].split("+")[-1] for line in tool("pdffonts").splitlines()[2:]]}


def test_a_warmed_up_worker_builds_the_same_documents_as_a_fresh_process(tmp_path):
    url = f"sqlite:///{tmp_path}/store.sqlite3"
    upgrade(url)
    fresh = what_it_says(build(url, False, "Derby"), tmp_path)
    # Warmed up, then another area's pack first: nothing of Leicester's, or of the warm-up's, reaches Derby's.
    warmed = what_it_says(build(url, True, "Leicester", "Derby"), tmp_path)
    # Derby's pack names Leicester where they tie in a rank; Leicester's HMA is named only in Leicester's.
    assert "Derby" in fresh["text"] and "Leicestershire HMA" not in fresh["text"]
    assert warmed == fresh
