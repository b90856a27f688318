"""The anchor for one evidence pack: a raw render of the same content with the libraries alone.

`content(pack)` turns a pack into plain data (text, cells already formatted, chart series): what a
hand-written script would start from. `render(content)` then draws it as straight matplotlib,
WeasyPrint and openpyxl calls, with no template engine, no domain objects and no database: the same
cover, sections, commentary, notes, tables, four charts (same size and resolution), sources page and
stylesheet, with the same PDF options (whole fonts embedded), and a workbook with the same sheets,
cells, number formats, fonts and widths. `same_documents` checks that it is the same: the PDFs' text,
pages, images and fonts, and the workbooks' cells, so the comparison in bench/extracts.py is honest.
"""
import base64
import io
import re
import subprocess
import tempfile
import textwrap
from html import escape
from importlib.resources import files
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from weasyprint import HTML

from models import clock
from models.commentary import number

STYLE = re.search(r"<style>.*?</style>", files("templates").joinpath("evidence_pack.html.j2").read_text(),
                  re.DOTALL).group(0)
EXCEL_FORMATS = {"GBP": "£#,##0", "percent": "0.0%", "ratio": "0.00"}
NONE_FORMAT = '#,##0;-#,##0;"none recorded"'
KINDS = {"area": "area", "successor": "successor", "total": "total", "county": "county", "hma": "HMA",
         "region": "region",
         "england": "England"}


def content(pack) -> dict:
    """The pack as plain data, every figure already written as the documents show it, each chart as the
    series, colours and axis it draws."""
    from bot.documents.charts import chart_plan
    from bot.documents.figures import COMPILATION, CROWN, LEGEND, basis, member_names
    from models.evidence import cell

    sections = []
    for section in pack.sections:
        tables = [{
            "label": t.label, "periods": t.periods, "unit": t.indicator.unit,
            "source": "; ".join(c.line for c in t.credits),
            "rows": [{"label": r.label, "role": r.role, "kind": r.kind,
                      "cells": [cell(r, p, t.indicator.unit) for p in t.periods],
                      "values": [r.values.get(p) for p in t.periods],
                      "none": [p in r.none_recorded for p in t.periods],
                      "basis": "; ".join(sorted({basis(t, r, p) for p in t.periods if p in r.values}))}
                     for r in t.rows]} for t in section.tables]
        plan = chart_plan(section.chart) if section.chart else None
        chart = plan and {"kind": plan.kind, "title": plan.title, "unit": plan.unit, "periods": plan.periods,
                          "axis_from": plan.axis_from,
                          "series": [(s.label, s.values, s.colour, s.style) for s in plan.series],
                          "references": [(s.label, s.values[0][1], s.colour, s.style) for s in plan.references]}
        sections.append({"topic": section.topic, "title": section.title, "commentary": section.commentary,
                         "notes": section.notes, "tables": tables, "chart": chart})
    return {"name": pack.subject.name, "title": pack.title, "first": pack.first_year, "last": pack.last_year,
            "members": member_names(pack), "hma": pack.hma, "county": pack.county, "region": pack.region,
            "releases": pack.releases,
            "made": clock.local(pack.made_at), "sections": sections, "compilation": COMPILATION, "crown": CROWN,
            "legend": LEGEND, "sources": [(c.publisher, c.table, c.release, c.released, c.licence, c.compiled_by)
                                          for c in pack.credits]}


def chart_png(chart: dict) -> bytes:
    money = FuncFormatter(lambda v, _p: number(v, chart["unit"]))
    series = chart["series"]
    if chart["kind"] == "ranked":
        figure = Figure(figsize=(6.4, 0.9 + 0.17 * len(series)), dpi=100)
        axes = figure.subplots()
        y = list(range(len(series)))
        axes.barh(y, [values[0][1] for _l, values, _c, _s in series], color=[c for _l, _v, c, _s in series],
                  height=0.7)
        axes.set_yticks(y, [label for label, *_rest in series])
        axes.invert_yaxis()
        for label, value, colour, style in chart["references"]:
            axes.axvline(value, color=colour, linestyle=style, linewidth=1.4,
                         label=f"{label} ({number(value, chart['unit'])})")
        axes.xaxis.set_major_formatter(money)
        axes.grid(axis="x", alpha=0.3)
        if chart["references"]:
            axes.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1, 1))
    else:
        figure = Figure(figsize=(6.4, 3.3), dpi=100)
        axes = figure.subplots()
        x = {p: i for i, p in enumerate(chart["periods"])}
        if chart["kind"] == "bars":
            width = 0.8 / len(series)
            for i, (label, values, colour, _style) in enumerate(series):
                axes.bar([x[p] + i * width for p, _v in values], [v for _p, v in values], width, label=label,
                         color=colour)
            axes.set_xticks([i + width * (len(series) - 1) / 2 for i in x.values()], chart["periods"])
        else:
            for label, values, colour, style in series:
                axes.plot([x[p] for p, _v in values], [v for _p, v in values], marker="o", linewidth=2,
                          label=label, color=colour, linestyle=style)
            axes.set_xticks(list(x.values()), chart["periods"])
            if chart["axis_from"] is None:
                axes.set_ylim(bottom=0)
            else:
                axes.set_ylim(bottom=chart["axis_from"])
                for dy in (0.0, 0.035):
                    axes.plot([-0.018, 0.018], [0.01 + dy, 0.045 + dy], transform=axes.transAxes, color="black",
                              clip_on=False, linewidth=1)
                axes.text(0.01, 0.02, f"Axis starts at {number(chart['axis_from'], chart['unit'])}, not zero",
                          transform=axes.transAxes, fontsize=7, color="#333333", ha="left", va="bottom")
        axes.yaxis.set_major_formatter(money)
        axes.grid(axis="y", alpha=0.3)
        handles, labels = axes.get_legend_handles_labels()  # as bot/documents/charts.py: below, wrapped
        axes.legend(handles, [textwrap.fill(label, 48) for label in labels], fontsize=7, frameon=False, ncol=2,
                    loc="upper center", bbox_to_anchor=(0.5, -0.12))
    axes.set_title(chart["title"], fontsize=10, loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=8)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=120)
    return out.getvalue()


def html(c: dict) -> str:
    e = escape
    hma = f"<dt>Housing Market Area</dt><dd>{e(c['hma'])}</dd>" if c["hma"] else ""
    hma += f"<dt>County</dt><dd>{e(c['county'])}</dd>" if c["county"] else ""
    parts = [f"""<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>{e(c['title'])}</title>
{STYLE}</head><body><section class="cover"><div class="band"><h1>{e(c['name'])}</h1>
<p class="sub">Housing evidence pack for the Single Conversation, {c['first']} to {c['last']}</p></div>
<dl><dt>Areas covered</dt><dd>{e(', '.join(c['members']))}</dd>{hma}<dt>Region</dt><dd>{e(c['region'])}</dd>
<dt>Topics</dt><dd>{e('; '.join(s['title'] for s in c['sections']))}</dd>
<dt>Figures</dt><dd>From {e(c['releases'])}: each table names its source and release, and the Sources page lists
them</dd>
<dt>Prepared</dt><dd>{c['made']:%-d %B %Y}, from the research service's statistics store</dd></dl>
<p class="credit">Commentary is written from the figures shown. {e(c['crown'])} Compilations credited on the Sources
page.</p></section>"""]
    for s in c["sections"]:
        parts.append(f"<section><h2>{e(s['title'])}</h2>")
        if s["commentary"]:
            parts.append('<div class="commentary">' + "".join(f"<p>{e(t)}</p>" for t in s["commentary"]) + "</div>")
        if s["notes"]:
            parts.append('<div class="notes">' + "".join(f"<p>{e(t)}</p>" for t in s["notes"]) + "</div>")
        if s["chart"]:
            uri = "data:image/png;base64," + base64.b64encode(chart_png(s["chart"])).decode()
            parts.append(f'<img class="chart" src="{uri}" alt="{e(s["chart"]["title"])}">')
        for t in s["tables"]:
            head = "".join(f"<th>{e(p)}</th>" for p in t["periods"])
            body = "".join(f'<tr class="{r["role"]}"><td>{e(r["label"])}</td>'
                           + "".join(f"<td>{e(v)}</td>" for v in r["cells"]) + "</tr>" for r in t["rows"])
            parts.append(f"<h3>{e(t['label'])}</h3><table><thead><tr><th>Area</th>{head}</tr></thead>"
                         f"<tbody>{body}</tbody></table><p class=\"source\">Source: {e(t['source'])}.</p>")
        if s["tables"]:
            parts.append(f'<p class="source">{e(c["legend"])}</p>')
        parts.append("</section>")
    rows = "".join(f"<tr><td>{e(p)}: {e(t)}</td><td>{e(r)}</td><td class=\"date\">{e(d)}</td><td>{e(li)}</td>"
                   f"<td>{e(by)}</td></tr>" for p, t, r, d, li, by in c["sources"])
    parts.append(f"""<section><h2>Sources</h2><table class="sources"><thead><tr><th>Publisher and table</th>
<th>Release</th><th>Published</th><th>Licence</th><th>Compiled by</th></tr></thead><tbody>{rows}</tbody></table>
<p>{e(c['compilation'])}</p><p>{e(c['crown'])}</p></section></body></html>""")
    return "".join(parts)


def pdf(c: dict) -> bytes:
    return HTML(string=html(c)).write_pdf(full_fonts=True)


def xlsx(c: dict) -> bytes:
    book = Workbook()
    bold, title = Font(bold=True), Font(bold=True, size=14, color="1F3A5F")
    fill = PatternFill("solid", fgColor="DCE6F0")
    about = book.active
    about.title = "About"
    for text in (c["title"], f"Areas: {', '.join(c['members'])}",
                 f"Housing Market Area: {c['hma']}" if c["hma"] else "",
                 f"County: {c['county']}" if c["county"] else "", f"Region: {c['region']}",
                 f"Figures: {c['releases']}; each table names its source and release, and the Sources sheet lists "
                 "them.",
                 f"Made {c['made']:%-d %B %Y %H:%M} from the bot's statistics store.",
                 "One sheet per topic; each table has a period per column, its period note in its title, and for "
                 "each row whether its figures are published or worked out (Basis).", c["legend"]):
        if text:
            about.append([text])
    about["A1"].font = title
    about.column_dimensions["A"].width = 110
    for s in c["sections"]:
        sheet = book.create_sheet(s["topic"].capitalize())
        sheet.append([f"{c['name']}: {s['title']}"])
        sheet["A1"].font = title
        for t in s["tables"]:
            sheet.append([])
            sheet.append([t["label"]])
            sheet.cell(sheet.max_row, 1).font = bold
            sheet.append(["Area", "Kind", *t["periods"], "Basis", "Source"])
            for cell in sheet[sheet.max_row]:
                cell.font, cell.fill = bold, fill
            scale = 100 if t["unit"] == "percent" else 1
            for r in t["rows"]:
                sheet.append([r["label"], r["kind"] or KINDS[r["role"]], *(v / scale if v is not None else None
                                                             for v in r["values"]), r["basis"], t["source"]])
                for column, none in enumerate(r["none"], start=3):
                    sheet.cell(sheet.max_row, column).number_format = (
                        NONE_FORMAT if none else EXCEL_FORMATS.get(t["unit"], "#,##0"))
        if s["notes"]:
            sheet.append([])
            sheet.append(["Notes"])
            sheet.cell(sheet.max_row, 1).font = bold
            for note in s["notes"]:
                sheet.append([note])
        widest = max((len(t["periods"]) for t in s["tables"]), default=0)
        for column, width in [(1, 58), (2, 14), *((n, 13) for n in range(3, 3 + widest)), (3 + widest, 40),
                              (4 + widest, 80)]:
            sheet.column_dimensions[get_column_letter(column)].width = width
        sheet.freeze_panes = "C2"
    sources = book.create_sheet("Sources")
    sources.append(["Publisher", "Table", "Release", "Published", "Licence", "Compiled by"])
    for cell in sources[1]:
        cell.font, cell.fill = bold, fill
    for source in c["sources"]:
        sources.append(list(source))
    sources.append([])
    sources.append([c["compilation"]])
    sources.append([c["crown"]])
    for column, width in zip("ABCDEF", (24, 70, 52, 18, 28, 50)):
        sources.column_dimensions[column].width = width
    for row in sources.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=False, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render(c: dict) -> tuple[bytes, bytes]:
    return xlsx(c), pdf(c)


# --- is it the same? ---------------------------------------------------------------------------

def _pdf_facts(pdf_bytes: bytes) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pack.pdf"
        path.write_bytes(pdf_bytes)
        tool = lambda *command: subprocess.run([*command, str(path), *(["-"] if command[0] == "pdftotext" else [])],
                                               capture_output=True, text=True, check=True).stdout
        images = [line.split()[3:5] for line in tool("pdfimages", "-list").splitlines()[2:]]
        fonts = sorted(line.split()[0].split("+")[-1] for line in tool("pdffonts").splitlines()[2:])
        pages = re.search(r"Pages:\s+(\d+)", tool("pdfinfo")).group(1)
        return {"words": tool("pdftotext").split(), "images (width, height)": images, "fonts": fonts,
                "pages": pages}


def _cells(xlsx_bytes: bytes) -> dict:
    book = load_workbook(io.BytesIO(xlsx_bytes))
    return {sheet.title: [[(c.value, c.number_format, c.font.b) for c in row] for row in sheet.iter_rows()]
            for sheet in book}


def same_documents(project: tuple[bytes, bytes], anchor: tuple[bytes, bytes]) -> list[str]:
    """What differs between the project's (xlsx, pdf) and the anchor's; empty when they are the same."""
    differences = []
    if _cells(project[0]) != _cells(anchor[0]):
        differences.append("xlsx cells")
    ours, theirs = _pdf_facts(project[1]), _pdf_facts(anchor[1])
    differences += [f"pdf {key}" for key in ours if ours[key] != theirs[key]]
    return differences
