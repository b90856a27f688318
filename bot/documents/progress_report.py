"""The progress report as documents: a PDF (WeasyPrint, from an HTML template) and a spreadsheet."""
import io
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from bot.documents.charts import data_uri
from bot.documents.figures import neutralise_cells
from bot.documents.pdf import write_pdf
from bot.views.progress import all_begun_by, forecast_line, pace
from models import clock
from models.areas import normalise
from models.confidence import ConfidenceSummary, disagreement_rule, rating_of
from models.progress import FORECAST_RULE, STATUS_RULE, AreaLine, Progress, group_of
from models.stages import STAGES
from templates import environment

SOURCES = ("Area names, codes, counties and Housing Market Areas: ONS Geoportal and the East Midlands Regional "
           "Plan (March 2009), Crown copyright, Open Government Licence v3.0.")
HEADING = Font(bold=True, color="FFFFFF")
HEADING_FILL = PatternFill("solid", fgColor="1D4F91")


def report_pdf(p: Progress, lines: list[AreaLine], at_risk: list[AreaLine], names: dict[str, str], quiet_days: int,
               chart_png: bytes, confidence: ConfidenceSummary = ConfidenceSummary(),
               regions: tuple[Progress, ...] = ()) -> bytes:
    return write_pdf(report_html(p, lines, at_risk, names, quiet_days, chart_png, confidence, regions))


def report_html(p: Progress, lines: list[AreaLine], at_risk: list[AreaLine], names: dict[str, str],
                quiet_days: int, chart_png: bytes, confidence: ConfidenceSummary = ConfidenceSummary(),
                regions: tuple[Progress, ...] = ()) -> str:
    """`names`: each lead and assessor as Slack shows them; `quiet_days`: the quiet-days setting that puts an
    area at risk; `regions`: England's report has a row for each region, measured against its own target."""
    return environment.get_template("progress_report.html.j2").render(
        p=p, lines=lines, at_risk=at_risk, names=names, stages=STAGES, forecast_rule=FORECAST_RULE, regions=regions,
        group_of=group_of,
        status_rule=STATUS_RULE, pace=pace, all_begun_by=all_begun_by,
        quiet_days=quiet_days, local=clock.local, chart_uri=data_uri(chart_png),
        confidence=confidence, rating_of=rating_of, disagreement_rule=disagreement_rule(quiet_days),
    )


def file_name(kind: str, p: Progress, asked_at: datetime, extension: str) -> str:
    """A document's name, carrying its group and the instant it was asked for, so that no report or chart
    overwrites another in a downloads folder: `progress-derbyshire-2010-12-20-1405.pdf`, and for a past day
    `progress-derbyshire-as-of-2010-12-01-made-2010-12-20-1405.pdf`."""
    asked = clock.local(asked_at)
    group = normalise(p.scope.name).replace(" ", "-")
    made = f"{asked:%Y-%m-%d-%H%M}" if asked.date() == p.as_of else f"as-of-{p.as_of}-made-{asked:%Y-%m-%d-%H%M}"
    return f"{kind}-{group}-{made}.{extension}"


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


def report_xlsx(p: Progress, lines: list[AreaLine], at_risk: list[AreaLine], names: dict[str, str],
                quiet_days: int, confidence: ConfidenceSummary = ConfidenceSummary(),
                regions: tuple[Progress, ...] = ()) -> bytes:
    workbook = Workbook()
    summary = workbook.active
    summary.title = "Summary"
    rows = [
        ["Single Conversation progress", p.scope.name], ["As of", p.as_of], ["Target", p.target],
        ["Areas", p.total], ["Begun", p.begun], ["Share begun", p.share], ["Status", p.status],
        ["Why", p.reason], ["Pace needed (areas a week)", p.pace_needed],
        ["Pace so far (areas a week)", p.pace_so_far], ["Weeks the pace is read over", len(p.weekly)],
        ["Chance every area has begun by the target", p.chance],
        ["Every area begun by, in half the runs", p.p50], ["Every area begun by, in 85% of the runs", p.p85],
        ["Forecast", forecast_line(p)], ["How it is forecast", FORECAST_RULE[0].upper() + FORECAST_RULE[1:]],
        ["Status rule", STATUS_RULE],
        ["At risk", f"Begun, with no entry for over {quiet_days} days (the setting that nudges leads)"],
    ]
    for label, value in rows:
        summary.append([label, value])
        share = label in ("Share begun", "Chance every area has begun by the target")
        number_format = "0%" if share else {date: "d mmm yyyy", float: "0.00"}.get(type(value))
        if number_format:
            summary.cell(summary.max_row, 2).number_format = number_format
    summary.column_dimensions["A"].width, summary.column_dimensions["B"].width = 40, 60
    if regions:
        _sheet(workbook, "Regions", ["Region", "Areas", "Begun", "Share begun", "Status", "Why", "Target",
                                     "Chance every area has begun by the target",
                                     "Every area begun by, in half the runs", "Every area begun by, in 85% of the runs"],
               [[r.scope.name, r.total, r.begun, r.share, r.status, r.reason, r.target, r.chance, r.p50, r.p85]
                for r in regions])
    _sheet(workbook, "Areas", ["Area", "GSS code", "County", "HMA", "Region", "Stage", "Conversation", "Lead",
                               "Started", "Last activity"],
           [[line.area.name, line.area.code, line.area.county, line.area.hma, line.area.region,
             STAGES[line.stage] if line.begun else "not begun", line.title,
             names[line.lead_user_id] if line.begun else None, line.started_on, _day(line.last_activity)]
            for line in lines])
    _sheet(workbook, "Stages", ["Stage", "Conversations"], [[STAGES[s], n] for s, n in p.funnel.items()])
    _sheet(workbook, "Starts per week", ["Week commencing", "Conversations started", "Areas begun"],
           [[w.monday, w.conversations, w.areas] for w in p.weeks])
    _sheet(workbook, "At risk", ["Area", "Conversation", "Lead", "Last activity"],
           [[line.area.name, line.title, names[line.lead_user_id], _day(line.last_activity)]
            for line in at_risk])
    _sheet(workbook, "Delivery confidence", ["Conversation", "Rating", "Assessed", "By", "Why"],
           [[c.title, rating_of(a).label, _day(a.assessed_at), names[a.assessed_by], a.reason]
            for c, a in confidence.standing])
    if confidence.disagreeing is not None:
        _sheet(workbook, "Confidence and log", ["Conversation", "Rating", "Assessed", "Why it disagrees"],
               [[d.conversation.title, rating_of(d.assessment).label, _day(d.assessment.assessed_at), d.why]
                for d in confidence.disagreeing])
    _sheet(workbook, "Sources", ["Source"], [[SOURCES]])
    neutralise_cells(workbook)  # leads' Slack names and area names are anyone's text
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
