"""The progress report as documents: a PDF (WeasyPrint, from an HTML template) and a spreadsheet."""
import io
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from bot.documents.charts import data_uri
from bot.documents.figures import neutralise_cells
from bot.documents.pdf import write_pdf
from bot.views.progress import pace
from models import clock
from models.progress import STALLED_DAYS, STATUS_RULE, AreaLine, Progress
from models.stages import STAGES
from templates import environment

SOURCES = ("Area names, codes, counties and Housing Market Areas: ONS Geoportal and the East Midlands Regional "
           "Plan (March 2009), Crown copyright, Open Government Licence v3.0.")
HEADING = Font(bold=True, color="FFFFFF")
HEADING_FILL = PatternFill("solid", fgColor="1D4F91")


def report_pdf(p: Progress, lines: list[AreaLine], at_risk: list[AreaLine], names: dict[str, str],
               chart_png: bytes) -> bytes:
    html = environment.get_template("progress_report.html.j2").render(
        p=p, lines=lines, at_risk=at_risk, names=names, stages=STAGES, rule=STATUS_RULE, pace=pace,
        stalled_days=STALLED_DAYS, local=clock.local, chart_uri=data_uri(chart_png),
    )
    return write_pdf(html)


def _sheet(workbook: Workbook, title: str, header: list[str], rows: list[list]) -> None:
    sheet = workbook.create_sheet(title)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font, cell.fill = HEADING, HEADING_FILL
    for row in rows:
        sheet.append(row)
    for n, name in enumerate(header, start=1):
        width = max([len(str(name))] + [len(str(row[n - 1])) for row in rows if row[n - 1] is not None])
        sheet.column_dimensions[get_column_letter(n)].width = min(width + 2, 60)
        if rows and isinstance(rows[0][n - 1], date):
            for cell in sheet[get_column_letter(n)][1:]:
                cell.number_format = "d mmm yyyy"
    sheet.freeze_panes = "A2"


def _day(instant: datetime | None) -> date | None:
    return clock.local(instant).date() if instant else None


def report_xlsx(p: Progress, lines: list[AreaLine], at_risk: list[AreaLine], names: dict[str, str]) -> bytes:
    workbook = Workbook()
    summary = workbook.active
    summary.title = "Summary"
    for row in [
        ["Single Conversation progress", p.scope.name], ["As of", p.as_of], ["Target", p.target],
        ["Areas", p.total], ["Begun", p.begun], ["Share begun", p.share], ["Status", p.status],
        ["Why", p.reason], ["Pace needed (areas a week)", p.pace_needed],
        ["Pace so far (areas a week)", p.pace_so_far], ["Every area begun by", p.projected],
        ["Status rule", STATUS_RULE],
    ]:
        summary.append(row)
    summary["B6"].number_format = "0%"
    for cell in ("B2", "B3", "B11"):
        summary[cell].number_format = "d mmm yyyy"
    for cell in ("B9", "B10"):
        summary[cell].number_format = "0.00"
    summary.column_dimensions["A"].width, summary.column_dimensions["B"].width = 28, 60
    _sheet(workbook, "Areas", ["Area", "GSS code", "County", "HMA", "Region", "Stage", "Conversation", "Lead",
                               "Started", "Last activity"],
           [[line.area.name, line.area.code, line.area.county, line.area.hma, line.area.region,
             STAGES[line.stage] if line.begun else "not begun", line.title,
             names.get(line.lead_user_id, line.lead_user_id), line.started_on, _day(line.last_activity)]
            for line in lines])
    _sheet(workbook, "Stages", ["Stage", "Conversations"], [[STAGES[s], n] for s, n in p.funnel.items()])
    _sheet(workbook, "Starts per week", ["Week commencing", "Conversations started", "Areas begun"],
           [[w.monday, w.conversations, w.areas] for w in p.weeks])
    _sheet(workbook, "At risk", ["Area", "Conversation", "Lead", "Last activity"],
           [[line.area.name, line.title, names.get(line.lead_user_id, line.lead_user_id), _day(line.last_activity)]
            for line in at_risk])
    _sheet(workbook, "Sources", ["Source"], [[SOURCES]])
    neutralise_cells(workbook)  # leads' Slack names and area names are anyone's text
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
