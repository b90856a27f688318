"""`/sc extract` over HTTP against the stand-in: the request, the status message, the files."""
import csv
import io
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from models.tables import ExtractRequest
from tests.workspace import MEMBER, OUTSIDER, TEAM_CHANNEL

SHIPPED = Path(__file__).resolve().parent.parent / "models" / "data" / "em_housing_indicators_2008_2011_long.csv"


def shipped(code: str, indicator: str, period: str) -> float:
    with open(SHIPPED, newline="") as handle:
        for row in csv.DictReader(handle):
            if (row["geography_code"], row["indicator"], row["period"]) == (code, indicator, period):
                return float(row["value"])
    raise KeyError((code, indicator, period))


def uploaded(workspace, suffix: str) -> dict:
    [found] = [f for f in workspace.slack.files.values() if f["name"].endswith(suffix) and f.get("shared")]
    return found


def status_texts(workspace) -> list[str]:
    return [c.args.get("text", "") for c in workspace.slack.calls
            if c.method in ("chat.postMessage", "chat.update") and "Extract #" in c.args.get("text", "")]


def test_extract_for_an_area_without_a_conversation_arrives_in_a_direct_message(workspace):
    reply = workspace.command("extract Leicester")
    assert reply.status == 200
    [answer] = workspace.responses()
    assert "queued" in answer["text"] and "direct message" in answer["text"]
    [request] = workspace.rows(ExtractRequest)
    assert (request.subject, request.state, request.formats) == ("Leicester", "queued", "xlsx,pdf")
    assert workspace.run_jobs() == 1
    assert {f["name"] for f in workspace.slack.files.values()} == {
        "leicester-2008-2011-figures.xlsx", "leicester-2008-2011-evidence-pack.pdf"}
    assert [f["shared"] for f in workspace.slack.files.values()] == [{"channel": "D" + MEMBER[1:], "thread_ts": None}] * 2
    # One status message, updated in place: queued, building, done.
    [post] = workspace.slack.calls_to("chat.postMessage")
    assert post.args["channel"] == MEMBER
    assert [t.split(":")[0] for t in status_texts(workspace)] == [f"Extract #{request.id} for Leicester"] * 3
    assert status_texts(workspace)[-1].endswith("done")
    [request] = workspace.rows(ExtractRequest)
    assert request.state == "done" and len(request.file_ids.split(",")) == 2


def test_the_spreadsheet_holds_the_shipped_figures_as_numbers_with_sources(workspace):
    workspace.command("extract Leicester")
    workspace.responses()
    workspace.run_jobs()
    book = load_workbook(io.BytesIO(uploaded(workspace, ".xlsx")["content"]))
    assert book.sheetnames == ["About", "Stock", "Supply", "Prices", "People", "Sources"]
    stock = [list(r) for r in book["Stock"].iter_rows(values_only=True)]
    header = next(r for r in stock if r[0] == "Area")
    leicester = next(r for r in stock if r[0] == "Leicester")  # the first table: dwelling stock
    assert header[2:6] == ["2008", "2009", "2010", "2011"]
    assert leicester[2:6] == [shipped("E06000016", "dwellings_vacancy_households:Dwellings", p)
                                   for p in ("2008", "2009", "2010", "2011")]
    assert (header[6], leicester[6]) == ("Basis", "published")
    assert leicester[7] == ("MHCLG (formerly DLUHC), Live table 125: dwelling stock estimates by local authority "
                            "district (Dwelling stock estimates, England: 31 March 2024, published 22 May 2025)")
    kinds = [r[1] for r in stock if r[0] and r[1] and r[0] != "Area"][:4]
    assert kinds == ["area", "HMA", "region", "England"]
    prices = [list(r) for r in book["Prices"].iter_rows(values_only=True)]
    row = next(r for r in prices if r[0] == "Leicester")
    assert row[2:6] == [shipped("E06000016", "median_house_price_year_ending", f"Dec {y}")
                             for y in range(2008, 2012)]
    cell = next(c for c in book["Prices"]["C"] if c.value == row[2])
    assert cell.number_format == "£#,##0"
    sources = list(book["Sources"].iter_rows(values_only=True))
    assert sources[0] == ("Publisher", "Table", "Release", "Published", "Licence", "Compiled by")
    prices_source = next(r for r in sources if r[1] and r[1].startswith("House price statistics for small areas"))
    assert prices_source[2:5] == ("Housing affordability in England and Wales: 2024", "24 March 2025",
                                  "Open Government Licence v3.0")
    assert not any(".csv" in str(value) for r in sources for value in r)  # no internal file names


def test_the_evidence_pack_reads_true_to_the_figures(workspace, tmp_path):
    workspace.command("extract Derby stock as pdf")
    workspace.responses()
    workspace.run_jobs()
    pdf = tmp_path / "pack.pdf"
    pdf.write_bytes(uploaded(workspace, ".pdf")["content"])
    words = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                    check=True).stdout.split())
    first = shipped("E06000015", "dwellings_vacancy_households:LongTermVacants", "2008")
    last = shipped("E06000015", "dwellings_vacancy_households:LongTermVacants", "2011")
    verb = "rose" if last > first else "fell"
    assert (f"Long-term vacant dwellings in Derby {verb} from {first:,.0f} in 2008 to {last:,.0f} in 2011"
            in words)
    assert "Derby HMA" in words and "England" in words and "Sources" in words
    assert "Open Government Licence v3.0" in words


def test_extract_goes_to_the_conversations_thread(workspace):
    workspace.command("start Leicester")
    workspace.run_jobs()
    [card] = workspace.channel_messages()
    workspace.command("extract Leicester people as csv")
    [answer] = workspace.responses()
    assert f"<#{TEAM_CHANNEL}>" in answer["text"]
    workspace.run_jobs()
    [status] = [m for m in workspace.slack.thread(TEAM_CHANNEL, card["ts"])
                if "Extract #" in m["text"] and not m.get("files")]
    assert status["text"].endswith("done")
    [csv_file] = workspace.slack.files.values()
    assert csv_file["shared"] == {"channel": TEAM_CHANNEL, "thread_ts": card["ts"]}
    rows = list(csv.DictReader(io.StringIO(csv_file["content"].decode())))
    population = next(r for r in rows if r["area"] == "Leicester" and r["indicator"] == "population"
                      and r["period"] == "2010")
    assert float(population["value"]) == shipped("E06000016", "population_mid_year", "2010")
    assert (population["publisher"], population["release"]) == ("ONS", "Population estimates for England and "
                                                                 "Wales: mid-2023")
    assert population["licence"] == "Open Government Licence v3.0"


@pytest.mark.parametrize("command, expected", [
    ("extract Leicster", "Did you mean Leicester"),
    ("extract Derbyshre", "Derbyshire"),
    ("extract Leicester stok", "Did you mean `stock`"),
    ("extract Leicester as pfd", "Did you mean `pdf`"),
    ("extract Leicester as", "Which format?"),
    ("extract Leicester 2011-2008", "the first year, then the last"),
    ("extract Leicester pdf", "put `as` before it"),
])
def test_a_mistake_is_explained_and_nothing_is_saved_or_queued(workspace, command, expected):
    reply = workspace.command(command)
    assert expected in reply.message_text
    workspace.settle()
    assert workspace.rows(ExtractRequest) == []
    assert workspace.run_jobs() == 0


def test_only_the_team_may_request(workspace):
    answer = workspace.command("extract Leicester", user=OUTSIDER)
    assert "Only the regional team" in answer.message_text
    assert workspace.rows(ExtractRequest) == []


def test_extracts_lists_my_requests_and_their_state(workspace):
    workspace.command("extract Rutland prices as csv")
    workspace.responses()
    workspace.run_jobs()
    listing = workspace.command("extracts").message_text
    assert "done" in listing and "Rutland: prices, 2008-2011, as csv" in listing
    assert "rutland-2008-2011-figures.csv" in listing
    assert "no extracts" in workspace.command("extracts", user=OUTSIDER).message_text


def test_the_form_requests_an_hma(workspace):
    workspace.command("extract")
    [_opened] = workspace.slack.wait_for("views.open")
    view = workspace.slack.views[next(iter(workspace.slack.views))]
    assert view["callback_id"] == "extract_request"
    values = {
        "areas": {"areas": {"type": "multi_static_select", "selected_options": [
            {"value": "hma:Leicester & Leicestershire HMA"}]}},
        "topics": {"topics": {"type": "checkboxes", "selected_options": [{"value": "stock"}]}},
        "formats": {"formats": {"type": "checkboxes", "selected_options": [{"value": "xlsx"}]}},
        "first_year": {"first_year": {"type": "static_select", "selected_option": {"value": "2009"}}},
        "last_year": {"last_year": {"type": "static_select", "selected_option": {"value": "2011"}}},
    }
    assert workspace.submit(view, values).status == 200
    workspace.slack.wait_for("chat.postMessage")
    workspace.run_jobs()
    [request] = workspace.rows(ExtractRequest)
    assert (request.subject, request.subject_kind, request.state) == ("Leicester & Leicestershire HMA", "hma", "done")
    book = load_workbook(io.BytesIO(uploaded(workspace, ".xlsx")["content"]))
    stock = list(book["Stock"].iter_rows(values_only=True))
    assert any(r[0] == "Leicester & Leicestershire HMA (total of its 8 areas)" for r in stock)
    assert next(r for r in stock if r[0] == "Area")[2:5] == ("2009", "2010", "2011")


def test_the_form_explains_a_choice_it_cannot_use(workspace):
    workspace.command("extract")
    workspace.slack.wait_for("views.open")
    view = workspace.slack.views[next(iter(workspace.slack.views))]
    values = {
        "areas": {"areas": {"type": "multi_static_select", "selected_options": [{"value": "area:E06000016"}]}},
        "topics": {"topics": {"type": "checkboxes", "selected_options": []}},
        "formats": {"formats": {"type": "checkboxes", "selected_options": [{"value": "pdf"}]}},
        "first_year": {"first_year": {"type": "static_select", "selected_option": {"value": "2008"}}},
        "last_year": {"last_year": {"type": "static_select", "selected_option": {"value": "2011"}}},
    }
    reply = workspace.submit(view, values)
    assert reply.json == {"response_action": "errors", "errors": {"topics": "Choose at least one topic."}}
    assert workspace.rows(ExtractRequest) == []
