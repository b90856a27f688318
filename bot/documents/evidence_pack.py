"""The documents of an extract, made from a Pack: the figures (XLSX, CSV), the PDF evidence pack
(the HTML template made into PDF by WeasyPrint, with a chart per topic) and a DOCX to edit."""
import io
import re
from dataclasses import dataclass

from docx import Document
from docx.shared import Inches, Pt

from bot.documents.charts import data_uri, topic_chart_png
from bot.documents.figures import (
    COMPILATION,
    CROWN,
    LEGEND,
    credit_lines,
    csv_file,
    member_names,
    neutralise,
    xlsx,
)
from bot.documents.pdf import write_pdf
from models import clock
from models.evidence import Pack, cell
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


def pdf_html(pack: Pack, pictures: dict[str, bytes]) -> str:
    return environment.get_template("evidence_pack.html.j2").render(
        pack=pack, charts={topic: data_uri(png) for topic, png in pictures.items()}, made=clock.local(pack.made_at),
        members=member_names(pack), compilation=COMPILATION, legend=LEGEND, crown=CROWN, cell=cell,
        credit_lines=credit_lines)


def charts(pack: Pack) -> dict[str, bytes]:
    """Each topic's chart as PNG, by topic."""
    return {s.topic: topic_chart_png(s.chart) for s in pack.sections if s.chart}


def pdf(pack: Pack) -> bytes:
    # Whole fonts: subsetting them costs more time than the bytes it saves.
    return write_pdf(pdf_html(pack, charts(pack)), full_fonts=True)


def docx(pack: Pack) -> bytes:
    document = Document()
    document.styles["Normal"].font.name = "Calibri"
    document.styles["Normal"].font.size = Pt(10)
    document.add_heading(pack.title, level=0)
    document.add_paragraph(f"Areas: {', '.join(member_names(pack))}. Figures: {pack.releases} (each table names "
                           f"its source and release; the Sources list at the end gives each licence). Made "
                           f"{clock.local(pack.made_at):%-d %B %Y} from the bot's statistics store by the "
                           f"{pack.region} research service, for the Single Conversation.")
    document.add_paragraph(LEGEND)
    pictures = charts(pack)
    for section in pack.sections:
        document.add_heading(section.title, level=1)
        for sentence in section.commentary:
            document.add_paragraph(sentence)
        for note in section.notes:
            document.add_paragraph(note, style="Intense Quote")
        if section.topic in pictures:
            document.add_picture(io.BytesIO(pictures[section.topic]), width=Inches(6.3))
        for table in section.tables:
            document.add_paragraph(table.label, style="Heading 3")
            grid = document.add_table(rows=1, cols=1 + len(table.periods), style="Light Grid Accent 1")
            for box, text in zip(grid.rows[0].cells, ["Area", *table.periods]):
                box.text = text
            for row in table.rows:
                boxes = grid.add_row().cells
                boxes[0].text = neutralise(row.label)  # a table pasted into a spreadsheet runs no formula
                for box, period in zip(boxes[1:], table.periods):
                    box.text = cell(row, period, table.indicator.unit)
            source = document.add_paragraph(f"Source: {credit_lines(table)}.")
            source.runs[0].font.size = Pt(8)
    document.add_heading("Sources", level=1)
    for credit in pack.credits:
        document.add_paragraph(f"{credit.publisher}, {credit.table}. Release: {credit.release}, published "
                               f"{credit.released}. Licence: {credit.licence}. Compiled by {credit.compiled_by}.",
                               style="List Bullet")
    document.add_paragraph(COMPILATION)
    document.add_paragraph(CROWN)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
