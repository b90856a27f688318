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
from models.evidence import Pack, Row, Table

RISKY_START = ("=", "+", "-", "@", "\t", "\r")
EXCEL_FORMATS = {"GBP": "£#,##0", "percent": "0.0%", "ratio": "0.00"}
# A zero read from a row the publisher left out: still the number 0 to a formula, shown as the pack says it.
NONE_RECORDED_FORMAT = '#,##0;-#,##0;"none recorded"'
COMPILATION = ("Figures are loaded unchanged from the compilations named, which reproduce the publishers' tables. "
               "Totals for Housing Market Areas, counties and groups are sums of their areas' counts worked out by "
               "the bot; rates are worked out from those sums; medians and ratios are never summed. Region and "
               "England figures are the published ones where held.")
LEGEND = ("–: no figure published for that area and period. none recorded: the publisher lists no homes of that "
          "kind for the area that year; its area figures add up to England's total, so none were delivered.")
CROWN = "Statistics: Crown copyright (MHCLG, formerly DLUHC/DCLG, and ONS), Open Government Licence v3.0."
ROLE_NAMES = {"area": "area", "successor": "successor", "total": "total", "county": "county", "hma": "HMA",
              "region": "region",
              "england": "England"}


def basis(table: Table, row: Row, period: str) -> str:
    """Whether a figure is published, worked out by the bot, or read as none from a row the publisher left out."""
    if period in row.none_recorded:
        return "none recorded (no row published)"
    if table.indicator.rate_of:
        return "derived: rate of the sums of the areas' published counts" if row.derived else \
            "derived: rate of published counts"
    return "derived: sum of the areas' published figures" if row.derived else "published"


def credit_lines(table: Table) -> str:
    return "; ".join(c.line for c in table.credits)


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
        (f"County: {pack.county}" if pack.county else "", None),
        (f"Region: {pack.region}", None),
        (f"Figures: {pack.releases}; each table names its source and release, and the Sources sheet lists them.",
         None),
        (f"Made {clock.local(pack.made_at):%-d %B %Y %H:%M} from the bot's statistics store.", None),
        ("One sheet per topic; each table has a period per column, its period note in its title, and for each row "
         "whether its figures are published or worked out (Basis).", None),
        (LEGEND, None),
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
            sheet.append(["Area", "Kind", *table.periods, "Basis", "Source"])
            for cell in sheet[sheet.max_row]:
                cell.font, cell.fill = bold, head_fill
            unit = table.indicator.unit
            for row in table.rows:
                values = [row.values.get(p) for p in table.periods]
                if unit == "percent":  # stored as a number of percent; Excel's % format wants the fraction
                    values = [v / 100 if v is not None else None for v in values]
                kinds = sorted({basis(table, row, p) for p in table.periods if p in row.values})
                sheet.append([row.label, row.kind or ROLE_NAMES[row.role], *values, "; ".join(kinds),
                              credit_lines(table)])
                for column, period in enumerate(table.periods, start=3):
                    sheet.cell(sheet.max_row, column).number_format = (
                        NONE_RECORDED_FORMAT if period in row.none_recorded else EXCEL_FORMATS.get(unit, "#,##0"))
        if section.notes:
            sheet.append([])
            sheet.append(["Notes"])
            sheet.cell(sheet.max_row, 1).font = bold
            for note in section.notes:
                sheet.append([note])
        widest = max((len(t.periods) for t in section.tables), default=0)
        sheet.column_dimensions["A"].width = 58
        sheet.column_dimensions["B"].width = 14
        for column in range(3, 3 + widest):
            sheet.column_dimensions[get_column_letter(column)].width = 13
        sheet.column_dimensions[get_column_letter(3 + widest)].width = 40
        sheet.column_dimensions[get_column_letter(4 + widest)].width = 80
        sheet.freeze_panes = "C2"
    sources = book.create_sheet("Sources")
    sources.append(["Publisher", "Table", "Release", "Published", "Licence", "Compiled by"])
    for cell in sources[1]:
        cell.font, cell.fill = bold, head_fill
    for credit in pack.credits:
        sources.append([credit.publisher, credit.table, credit.release, credit.released, credit.licence,
                        credit.compiled_by])
    sources.append([])
    sources.append([COMPILATION])
    sources.append([CROWN])
    for column, width in zip("ABCDEF", (24, 70, 52, 18, 28, 50)):
        sources.column_dimensions[column].width = width
    for row in sources.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=False, vertical="top")
    neutralise_cells(book)  # area names, notes and source names come from imported files
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_number(value: float) -> str:
    """A figure as its source writes it: 53985, not 53985.0; 5.58; a worked-out rate to six places."""
    return str(int(value)) if float(value).is_integer() else repr(round(value, 6))


def csv_file(pack: Pack) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["area_code", "area", "kind", "topic", "indicator", "indicator_label", "period", "period_note",
                     "value", "unit", "basis", "publisher", "table", "release", "released", "licence"])
    for section in pack.sections:
        for table in section.tables:
            credits = table.credits
            for row in table.rows:
                for period in table.periods:
                    if period not in row.values:
                        continue
                    text = [neutralise(v) for v in (
                        row.code, row.label, row.kind or ROLE_NAMES[row.role], section.topic, table.indicator.key,
                        table.indicator.label, period, table.indicator.period_note)]
                    writer.writerow([*text, csv_number(row.values[period]), *(neutralise(v) for v in (
                        table.indicator.unit, basis(table, row, period), "; ".join(c.publisher for c in credits),
                        "; ".join(c.table for c in credits), "; ".join(c.release for c in credits),
                        "; ".join(c.released for c in credits), "; ".join(sorted({c.licence for c in credits}))))])
    return out.getvalue().encode("utf-8")
