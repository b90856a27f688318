"""The documents of an extract, made from a Pack: the figures (XLSX, CSV), the PDF evidence pack
(the HTML template made into PDF by WeasyPrint, with a chart per topic) and a DOCX to edit."""
import io
import re
from dataclasses import dataclass

from docx import Document
from docx.shared import Pt

from bot.documents.charts import data_uri, topic_chart_png
from bot.documents.figures import COMPILATION, csv_file, member_names, neutralise, xlsx
from bot.documents.pdf import write_pdf
from models import clock
from models.commentary import number
from models.evidence import Pack
from templates import environment


@dataclass(frozen=True)
class Document_:
    filename: str
    title: str
    content: bytes


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


def figure(value: float | None, unit: str) -> str:
    """A figure as a table cell shows it; a dash where there is none."""
    return "–" if value is None else number(value, unit)


def pdf_html(pack: Pack) -> str:
    charts = {s.topic: data_uri(topic_chart_png(s.chart)) for s in pack.sections if s.chart}
    return environment.get_template("evidence_pack.html.j2").render(
        pack=pack, charts=charts, made=clock.local(pack.made_at), members=member_names(pack),
        compilation=COMPILATION, sources={s.file: s for s in pack.sources}, figure=figure)


def pdf(pack: Pack) -> bytes:
    # Whole fonts: subsetting them costs more time than the bytes it saves.
    return write_pdf(pdf_html(pack), full_fonts=True)


def docx(pack: Pack) -> bytes:
    document = Document()
    document.styles["Normal"].font.name = "Calibri"
    document.styles["Normal"].font.size = Pt(10)
    document.add_heading(pack.title, level=0)
    document.add_paragraph(f"Areas: {', '.join(member_names(pack))}. Made "
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
                cells[0].text = neutralise(row.label)  # a table pasted into a spreadsheet runs no formula
                for cell, period in zip(cells[1:], table.periods):
                    cell.text = figure(row.values.get(period), table.indicator.unit)
    document.add_heading("Sources", level=1)
    for source in pack.sources:
        document.add_paragraph(f"{source.publisher}, {source.table} ({source.file}); {source.licence}; compiled by "
                               f"{source.compiled_by}.", style="List Bullet")
    document.add_paragraph(COMPILATION)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
