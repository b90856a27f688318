"""Documents open safely: no spreadsheet cell runs as a formula, and a PDF loads nothing but the bot's own files."""
import base64
import io
import subprocess
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlmodel import Session

from bot.documents import pdf as pdf_module
from bot.documents.evidence_pack import docx
from bot.documents.figures import csv_file, xlsx
from bot.documents.pdf import OWN_FILES, allowed, write_pdf
from bot.documents.progress_report import report_xlsx
from models import clock
from models.areas import load_directory
from models.db import get_engine
from models.evidence import Subject, build_pack
from models.migrate import upgrade
from models.progress import area_lines, measure, scope_of, stalled
from models.tables import Area
from tests.progress_fixture import LEAD, OTHER, build_history

FORMULA = '=HYPERLINK("http://evil","Leicester")'
# The smallest PNG there is: one transparent pixel.
PIXEL = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")


@pytest.fixture
def store(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    upgrade(url)  # seeds the areas and the shipped figures
    engine = get_engine(url)
    build_history(engine)
    with Session(engine) as session:
        leicester = session.get(Area, "E06000016")
        leicester.name = FORMULA  # as an imported areas file could name it
        session.add(leicester)
        session.commit()
    with Session(engine) as session:
        yield session


def text_cells(book):
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
            if isinstance(cell.value, str)]


def assert_no_formula(book) -> None:
    cells = text_cells(book)
    assert cells
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert not [c.value for c in cells if c.value.startswith(("=", "+", "-", "@", "\t", "\r"))]


def test_the_progress_report_spreadsheet_shows_a_formula_like_name_as_text(store):
    directory = load_directory(store)
    scope = scope_of(directory, "")
    as_of = date(2010, 12, 15)
    progress = measure(store, directory, scope, as_of, date(2011, 4, 1))
    lines = area_lines(store, directory, scope, as_of)
    # A lead whose Slack name is a formula, another whose name is a DDE command.
    names = {LEAD: "=1+1", OTHER: "@SUM(A1)|cmd"}
    book = load_workbook(io.BytesIO(report_xlsx(progress, lines, stalled(lines, as_of, 21), names, 21)))
    assert_no_formula(book)
    shown = {c.value for c in text_cells(book)}
    assert {"'=1+1", "'@SUM(A1)|cmd", "'" + FORMULA} <= shown


def test_the_evidence_pack_figures_and_docx_show_a_formula_like_name_as_text(store):
    directory = load_directory(store)
    subject = Subject(FORMULA, "area", ("E06000016",))
    pack = build_pack(store, directory, subject, ["people", "stock"], 2008, 2011, clock.now())
    book = load_workbook(io.BytesIO(xlsx(pack)))
    assert_no_formula(book)
    assert "'" + FORMULA in {c.value for c in text_cells(book)}
    assert all(not line.startswith("=") for line in csv_file(pack).decode().splitlines())
    document = Document(io.BytesIO(docx(pack)))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert "'" + FORMULA in cells and FORMULA not in cells


class Recorder(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):
        Recorder.hits.append(self.path)
        body = PIXEL
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def web_server():
    """A server on loopback that records every request, to prove nothing asked it for anything."""
    Recorder.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def images_in(pdf: bytes) -> int:
    listing = subprocess.run(["pdfimages", "-list", "-"], input=pdf, capture_output=True, check=True).stdout
    # After two lines of heading, a line per image: page, number, then "image" (or "smask", its transparency).
    return sum(line.split()[2] == "image" for line in listing.decode().splitlines()[2:])


def test_a_pdf_loads_data_uris_and_no_other_file_and_nothing_from_the_network(web_server, tmp_path, monkeypatch):
    secret = tmp_path / "secret.png"
    secret.write_bytes(PIXEL)
    asked = []
    fetch = pdf_module.OwnFilesOnly.fetch
    monkeypatch.setattr(pdf_module.OwnFilesOnly, "fetch", lambda self, url, headers=None: (
        asked.append(url), fetch(self, url, headers))[1])
    data_uri = "data:image/png;base64," + base64.b64encode(PIXEL).decode()
    refused = [f"file://{secret}", "file:///etc/passwd", f"{web_server}/image.png", f"{web_server}/style.css",
               f"{web_server}/font.woff", f"{web_server}/import.css"]
    html = f"""<html><head>
      <link rel="stylesheet" href="{refused[3]}">
      <style>@import url("{refused[5]}"); @font-face {{ font-family: x; src: url("{refused[4]}"); }}
             body {{ background: url("file:///etc/passwd"); }}</style></head>
      <body><p>hello</p><img src="{refused[0]}"><img src="{refused[2]}"><img src="{data_uri}"></body></html>"""
    document = write_pdf(html)
    assert document.startswith(b"%PDF")
    assert set(refused) <= set(asked), "WeasyPrint did not ask for everything the page names"
    assert Recorder.hits == []
    assert images_in(document) == 1  # the data: URI's, and not the local file's


@pytest.mark.parametrize("url, ok", [
    ("data:image/png;base64,AAAA", True),
    (OWN_FILES.as_uri() + "/evidence_pack.html.j2", True),
    (OWN_FILES.as_uri() + "/../bot/settings.py", False),
    (OWN_FILES.as_uri() + "/%2e%2e/%2e%2e/etc/passwd", False),
    ("file:///etc/passwd", False),
    ("file://otherhost" + str(OWN_FILES) + "/x", False),
    ("http://127.0.0.1/", False),
    ("https://example.org/x.png", False),
    ("ftp://example.org/x", False),
])
def test_only_data_uris_and_the_bots_own_files_may_be_loaded(url, ok):
    assert allowed(url) is ok
