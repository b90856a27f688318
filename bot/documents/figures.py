"""An extract's figures as spreadsheets: XLSX to read, CSV for analysts.

Text that a spreadsheet would run as a formula (starting with =, +, -, @, tab or
CR) is neutralised in every cell of both with a leading apostrophe, as OWASP
advises; the DOCX's tables and the progress report's spreadsheet do the same.
"""
import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from models import clock
from models.evidence import Pack, Row

RISKY_START = ("=", "+", "-", "@", "\t", "\r")
EXCEL_FORMATS = {"GBP": "£#,##0", "percent": "0.0%", "ratio": "0.00"}
COMPILATION = ("East Midlands figures curated for this bot from the national files in "
               "em_housing_indicators_2008_2011_long.csv; region and England rows from the same national files.")
ROLE_NAMES = {"area": "area", "successor": "2021 successor", "total": "total", "hma": "HMA", "region": "region",
              "england": "England"}


def neutralise(text: str) -> str:
    """Text a spreadsheet will show as text, never run as a formula."""
    return "'" + text if text.startswith(RISKY_START) else text


def neutralise_cells(book: Workbook) -> None:
    """Every text cell of the workbook neutralised: one pass, so no cell is forgotten."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                # openpyxl stores text starting with "=" as a formula: setting it again re-reads it as text.
                if isinstance(cell.value, str) and cell.value.startswith(RISKY_START):
                    cell.value = neutralise(cell.value)


def member_names(pack: Pack) -> list[str]:
    """The areas the pack is about, in the order its tables show them."""
    seen = []
    for section in pack.sections:
        for table in section.tables:
            seen += [r.label for r in table.rows if r.role == "area" and r.label not in seen]
    return seen or [pack.subject.name]


def _sources_of(row: Row) -> str:
    return "; ".join(sorted(row.sources))


def xlsx(pack: Pack) -> bytes:
    book = Workbook()
    about = book.active
    about.title = "About"
    bold, title = Font(bold=True), Font(bold=True, size=14, color="1F3A5F")
    head_fill = PatternFill("solid", fgColor="DCE6F0")
    lines = [
        (pack.title, title),
        (f"Areas: {', '.join(member_names(pack))}", None),
        (f"Housing Market Area: {pack.hma}" if pack.hma else "", None),
        (f"Region: {pack.region}", None),
        (f"Made {clock.local(pack.made_at):%-d %B %Y %H:%M} from the bot's statistics store.", None),
        ("One sheet per topic; each table has a period per column. Sources and licences: the Sources sheet.",
         None),
    ]
    for text, font in lines:
        if text:
            about.append([text])
            if font:
                about.cell(about.max_row, 1).font = font
    about.column_dimensions["A"].width = 110
    for section in pack.sections:
        sheet = book.create_sheet(section.topic.capitalize())
        sheet.append([f"{pack.subject.name}: {section.title}"])
        sheet.cell(1, 1).font = title
        for table in section.tables:
            sheet.append([])
            sheet.append([table.label])
            sheet.cell(sheet.max_row, 1).font = bold
            sheet.append(["Area", "Kind", *table.periods, "Source file"])
            for cell in sheet[sheet.max_row]:
                cell.font, cell.fill = bold, head_fill
            unit = table.indicator.unit
            for row in table.rows:
                values = [row.values.get(p) for p in table.periods]
                if unit == "percent":  # stored as a number of percent; Excel's % format wants the fraction
                    values = [v / 100 if v is not None else None for v in values]
                sheet.append([row.label, ROLE_NAMES[row.role], *values, _sources_of(row)])
                for column in range(3, 3 + len(table.periods)):
                    sheet.cell(sheet.max_row, column).number_format = EXCEL_FORMATS.get(unit, "#,##0")
        if section.notes:
            sheet.append([])
            sheet.append(["Notes"])
            sheet.cell(sheet.max_row, 1).font = bold
            for note in section.notes:
                sheet.append([note])
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
        sources.append([source.file, source.publisher, source.table, source.licence, source.compiled_by])
    sources.append([])
    sources.append([COMPILATION])
    sources.append(["Statistics: Crown copyright (DLUHC/MHCLG/DCLG and ONS), Open Government Licence v3.0."])
    for column, width in zip("ABCDE", (62, 14, 58, 26, 60)):
        sources.column_dimensions[column].width = width
    for row in sources.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=False, vertical="top")
    neutralise_cells(book)  # area names, notes and source names come from imported files
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


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
