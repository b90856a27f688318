"""The documents of an extract, made from a Pack: XLSX and CSV of the figures, the PDF evidence pack
(Jinja2 HTML, autoescaped, made into PDF by WeasyPrint) with matplotlib charts, and a DOCX to edit.

Text that a spreadsheet would run as a formula (starting with =, +, -, @, tab or
CR) is neutralised in XLSX and CSV with a leading apostrophe, as OWASP advises.
"""
import base64
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display in a worker
import matplotlib.pyplot as plt
from docx import Document
from docx.shared import Pt
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from weasyprint import HTML

from models import clock
from models.commentary import number
from models.evidence import Pack, Row, Table

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
RISKY_START = ("=", "+", "-", "@", "\t", "\r")
EXCEL_FORMATS = {"GBP": "£#,##0", "percent": "0.0%", "ratio": "0.00"}
COMPILATION = ("East Midlands figures curated for this bot from the national files in "
               "em_housing_indicators_2008_2011_long.csv; region and England rows from the same national files.")
ROLE_NAMES = {"area": "area", "successor": "2021 successor", "total": "total", "hma": "HMA", "region": "region",
              "england": "England"}
MAX_CHART_LINES = 7
NAVY, TEAL, GREY = "#1f3a5f", "#2a9d8f", "#8d99ae"

_html = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                    undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_html.filters["figure"] = lambda value, unit: "–" if value is None else number(value, unit)


@dataclass(frozen=True)
class Document_:
    filename: str
    title: str
    content: bytes


def neutralise(text: str) -> str:
    """Text a spreadsheet will show as text, never run as a formula."""
    return "'" + text if text.startswith(RISKY_START) else text


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def documents(pack: Pack, formats: list[str]) -> list[Document_]:
    """The files asked for, in the order asked."""
    base = f"{slug(pack.subject.name)}-{pack.first_year}-{pack.last_year}"
    makers = {
        "xlsx": (f"{base}-figures.xlsx", "Figures (XLSX)", xlsx),
        "pdf": (f"{base}-evidence-pack.pdf", "Evidence pack (PDF)", pdf),
        "csv": (f"{base}-figures.csv", "Figures for analysts (CSV)", csv_file),
        "docx": (f"{base}-evidence-pack.docx", "Evidence pack to edit (DOCX)", docx),
    }
    return [Document_(makers[f][0], f"{pack.subject.name}: {makers[f][1]}", makers[f][2](pack)) for f in formats]


def _sources_of(row: Row) -> str:
    return "; ".join(sorted(row.sources))


# --- XLSX ----------------------------------------------------------------------------

def xlsx(pack: Pack) -> bytes:
    book = Workbook()
    about = book.active
    about.title = "About"
    bold, title = Font(bold=True), Font(bold=True, size=14, color="1F3A5F")
    head_fill = PatternFill("solid", fgColor="DCE6F0")
    lines = [
        (pack.title, title),
        (f"Areas: {', '.join(_member_names(pack))}", None),
        (f"Housing Market Area: {pack.hma}" if pack.hma else "", None),
        (f"Region: {pack.region}", None),
        (f"Made {clock.local(pack.made_at):%-d %B %Y %H:%M} from the bot's statistics store.", None),
        ("One sheet per topic; each table has a period per column. Sources and licences: the Sources sheet.",
         None),
    ]
    for text, font in lines:
        if text:
            about.append([neutralise(text)])
            if font:
                about.cell(about.max_row, 1).font = font
    about.column_dimensions["A"].width = 110
    for section in pack.sections:
        sheet = book.create_sheet(section.topic.capitalize())
        sheet.append([neutralise(f"{pack.subject.name}: {section.title}")])
        sheet.cell(1, 1).font = title
        for table in section.tables:
            sheet.append([])
            sheet.append([neutralise(table.label)])
            sheet.cell(sheet.max_row, 1).font = bold
            sheet.append(["Area", "Kind", *table.periods, "Source file"])
            for cell in sheet[sheet.max_row]:
                cell.font, cell.fill = bold, head_fill
            unit = table.indicator.unit
            for row in table.rows:
                values = [row.values.get(p) for p in table.periods]
                if unit == "percent":  # stored as a number of percent; Excel's % format wants the fraction
                    values = [v / 100 if v is not None else None for v in values]
                sheet.append([neutralise(row.label), ROLE_NAMES[row.role], *values, _sources_of(row)])
                for column in range(3, 3 + len(table.periods)):
                    sheet.cell(sheet.max_row, column).number_format = EXCEL_FORMATS.get(unit, "#,##0")
        if section.notes:
            sheet.append([])
            sheet.append(["Notes"])
            sheet.cell(sheet.max_row, 1).font = bold
            for note in section.notes:
                sheet.append([neutralise(note)])
        sheet.column_dimensions["A"].width = 58
        sheet.column_dimensions["B"].width = 14
        for column in range(3, 3 + max((len(t.periods) for t in section.tables), default=0)):
            sheet.column_dimensions[get_column_letter(column)].width = 13
        sheet.column_dimensions[get_column_letter(3 + max((len(t.periods) for t in section.tables), default=0))
                                ].width = 60
        sheet.freeze_panes = "C2"
    sources = book.create_sheet("Sources")
    sources.append(["Source file", "Publisher", "Table", "Licence", "Compiled by"])
    for cell in sources[1]:
        cell.font, cell.fill = bold, head_fill
    for source in pack.sources:
        sources.append([neutralise(v) for v in (source.file, source.publisher, source.table, source.licence,
                                                source.compiled_by)])
    sources.append([])
    sources.append([COMPILATION])
    sources.append(["Statistics: Crown copyright (DLUHC/MHCLG/DCLG and ONS), Open Government Licence v3.0."])
    for column, width in zip("ABCDE", (62, 14, 58, 26, 60)):
        sources.column_dimensions[column].width = width
    for row in sources.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=False, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _member_names(pack: Pack) -> list[str]:
    seen = []
    for section in pack.sections:
        for table in section.tables:
            seen += [r.label for r in table.rows if r.role == "area" and r.label not in seen]
    return seen or [pack.subject.name]


# --- CSV -----------------------------------------------------------------------------

def csv_file(pack: Pack) -> bytes:
    by_file = {s.file: s for s in pack.sources}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["area_code", "area", "kind", "topic", "indicator", "indicator_label", "period", "value", "unit",
                     "source_file", "publisher", "table", "licence"])
    for section in pack.sections:
        for table in section.tables:
            for row in table.rows:
                files = sorted(row.sources)
                sources = [by_file[f] for f in files if f in by_file]
                for period in table.periods:
                    if period not in row.values:
                        continue
                    writer.writerow([neutralise(v) if isinstance(v, str) else v for v in (
                        row.code, row.label, ROLE_NAMES[row.role], section.topic, table.indicator.key,
                        table.indicator.label, period, round(row.values[period], 6), table.indicator.unit,
                        "; ".join(files), "; ".join(s.publisher for s in sources),
                        "; ".join(s.table for s in sources), "; ".join(sorted({s.licence for s in sources})))])
    return out.getvalue().encode("utf-8")


# --- charts and PDF -------------------------------------------------------------------

def chart_png(pack: Pack, table: Table) -> str:
    """A small chart of a topic's headline table, as a PNG data URI."""
    unit = table.indicator.unit
    rows = [r for r in table.rows if r.values]
    if len(rows) > MAX_CHART_LINES:  # a big group: its total and comparators, not every area
        rows = [r for r in rows if r.role not in ("area", "successor")] or rows[:MAX_CHART_LINES]
    figure, axes = plt.subplots(figsize=(6.4, 2.8), dpi=100)
    x = list(range(len(table.periods)))
    if table.indicator.additive:
        # Counts differ in scale by orders of magnitude between an area and England: show the subject only.
        subject_rows = [r for r in rows if r.role in ("area", "successor", "total")] or rows[:1]
        width = 0.8 / len(subject_rows)
        for i, row in enumerate(subject_rows):
            axes.bar([p + i * width for p in x], [row.values.get(p, 0) for p in table.periods], width,
                     label=row.label.split(" (")[0], color=[NAVY, TEAL, GREY][i % 3])
        axes.set_xticks([p + width * (len(subject_rows) - 1) / 2 for p in x], table.periods)
    else:
        colours = [NAVY, TEAL, "#e76f51", "#f4a261", GREY, "#6d597a", "#264653"]
        for i, row in enumerate(rows):
            points = [(j, row.values[p]) for j, p in enumerate(table.periods) if p in row.values]
            axes.plot([j for j, _ in points], [v for _, v in points], marker="o", linewidth=2,
                      label=row.label.split(" (")[0], color=colours[i % len(colours)])
        axes.set_xticks(x, table.periods)
    axes.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _p: number(v, unit)))
    axes.set_title(table.label, fontsize=10, loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", alpha=0.3)
    axes.tick_params(labelsize=8)
    axes.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1, 1))
    figure.tight_layout()
    out = io.BytesIO()
    # PNG: WeasyPrint draws matplotlib's SVG glyph by glyph, several times slower.
    figure.savefig(out, format="png", dpi=120)
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def pdf_html(pack: Pack) -> str:
    charts = {s.topic: chart_png(pack, s.chart) for s in pack.sections if s.chart}
    return _html.get_template("evidence_pack.html.j2").render(
        pack=pack, charts=charts, made=clock.local(pack.made_at), members=_member_names(pack),
        compilation=COMPILATION, sources={s.file: s for s in pack.sources})


def pdf(pack: Pack) -> bytes:
    # Whole fonts: subsetting them costs more time than the bytes it saves.
    return HTML(string=pdf_html(pack), base_url=str(TEMPLATES)).write_pdf(full_fonts=True)


# --- DOCX ----------------------------------------------------------------------------

def docx(pack: Pack) -> bytes:
    document = Document()
    document.styles["Normal"].font.name = "Calibri"
    document.styles["Normal"].font.size = Pt(10)
    document.add_heading(pack.title, level=0)
    document.add_paragraph(f"Areas: {', '.join(_member_names(pack))}. Made "
                           f"{clock.local(pack.made_at):%-d %B %Y} from the bot's statistics store by the East "
                           "Midlands research service, for the Single Conversation.")
    for section in pack.sections:
        document.add_heading(section.title, level=1)
        for sentence in section.commentary:
            document.add_paragraph(sentence)
        for note in section.notes:
            document.add_paragraph(note, style="Intense Quote")
        for table in section.tables:
            document.add_paragraph(table.label, style="Heading 3")
            grid = document.add_table(rows=1, cols=1 + len(table.periods), style="Light Grid Accent 1")
            for cell, text in zip(grid.rows[0].cells, ["Area", *table.periods]):
                cell.text = text
            for row in table.rows:
                cells = grid.add_row().cells
                cells[0].text = row.label
                for cell, period in zip(cells[1:], table.periods):
                    value = row.values.get(period)
                    cell.text = number(value, table.indicator.unit) if value is not None else "–"
    document.add_heading("Sources", level=1)
    for source in pack.sources:
        document.add_paragraph(f"{source.publisher}, {source.table} ({source.file}); {source.licence}; compiled by "
                               f"{source.compiled_by}.", style="List Bullet")
    document.add_paragraph(COMPILATION)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
