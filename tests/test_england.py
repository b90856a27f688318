"""England at a glance over HTTP: `/sc progress England` (anyone, anywhere, `as of` too) and `/sc report England`
(the national managers), against the national demo history (`scbot demo-data --national`: every English area
and a team for every region), with the West Midlands' target moved to 1 June 2011 (`scbot region set`).
The server's clock says 31 March 2011, 17:00."""
import io
import re
import subprocess

import pytest
import redis
from openpyxl import load_workbook

from bot.offline import payloads as slack_payloads
from models.db import get_engine
from models.regions import REGIONS
from tests.conftest import reading_as_the_bot, running_bot
from tests.test_regions_rhythm import scbot
from tests.workspace import (
    MANAGER,
    MEMBER,
    OUTSIDER,
    TEAM_CHANNEL,
    Reply,
    Workspace,
)

NOW = "2011-03-31T17:00"
WM, WM_MANAGER = "C0WM", "U0WMMGR"
# A region's line in the England answer: "<icon> *<region>*: <begun> of <total> (<share>), <status>. Target <day>.
# Every area begun by: <when>."
REGION_LINE = re.compile(r"^:\w+: \*(?P<region>[^*]+)\*: (?P<begun>\d+) of (?P<total>\d+) \((?P<share>\d+%)\), "
                         r"(?P<status>[a-z ]+)\. Target (?P<target>[^.]+)\. Every area begun by: (?P<when>.+)\.$")


def national_history(env: dict) -> None:
    scbot(env, "demo-data", "--national", "--log-entries", "3000")
    scbot(env, "region", "set", "West Midlands", "--channel", WM, "--managers", WM_MANAGER, "--target", "2011-06-01")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def england(request, tmp_path_factory, redis_server_url, slack):
    folder = tmp_path_factory.mktemp(f"england-{request.param}")
    with running_bot(request.param, folder, redis_server_url, slack, prepare=national_history, SC_NOW=NOW) as bot:
        yield Workspace(bot.base_url, slack, get_engine(bot.database_url), redis.Redis.from_url(redis_server_url),
                        bot.pid), bot.env


@pytest.fixture
def nation(england, slack, monkeypatch):
    workspace, env = england
    workspace.redis.flushdb()
    slack.reset()
    slack.joined.add(WM)
    with reading_as_the_bot(workspace, env, monkeypatch, NOW):
        yield workspace


def ask(workspace: Workspace, typed: str, user: str = OUTSIDER, channel: str = "D0OUTSIDE") -> Reply:
    body, content_type = slack_payloads.slash_command(typed, user, user.lower(), channel,
                                                      workspace.slack.response_url(user))
    return workspace.post(body, content_type)


def region_lines(said: str) -> dict[str, dict]:
    return {m["region"]: m.groupdict() for m in (REGION_LINE.match(line) for line in said.split("\n")) if m}


def own_answer(said: str) -> dict:
    """A region's own `/sc progress <region>` answer, read as its England line says it."""
    head = re.search(r"\*(?P<region>[^*]+)\*(?: as of [^:]+)?: \*(?P<begun>\d+) of (?P<total>\d+) areas have begun\* "
                     r"\((?P<share>\d+%)\)\. :\w+: \*(?P<status>[^*]+)\*", said)
    target = re.search(r"\*Target\*\n(?P<target>.+)", said)
    when = re.search(r"\*Every area begun by\*\n(?P<when>(?:.+\n.+ in 85%)|.+)", said)
    return {**head.groupdict(), "status": head["status"].lower(), "target": target["target"],
            "when": when["when"].replace("\n", " ")}


@pytest.mark.parametrize("as_of", ["", " as of 2010-09-01"])
def test_england_lists_every_region_and_each_line_is_the_regions_own_answer(nation, as_of):
    reply = ask(nation, f"progress England{as_of}")  # anyone, in a direct message
    said = reply.message_text
    assert reply.json["response_type"] == "ephemeral"
    assert ("Progress: England" + (" as of 1 Sep 2010" if as_of else "")) in said
    lines = region_lines(said)
    assert list(lines) == list(REGIONS)
    total = re.search(r"\*England\*(?: as of [^:]+)?: \*(\d+) of (\d+) areas have begun\*", said)
    assert int(total[2]) == 326 == sum(int(line["total"]) for line in lines.values())
    assert int(total[1]) == sum(int(line["begun"]) for line in lines.values())
    for region, line in lines.items():
        own = own_answer(ask(nation, f"progress {region}{as_of}", user=MEMBER, channel=TEAM_CHANNEL).message_text)
        assert {key: line[key] for key in own} == own, region
    assert lines["West Midlands"]["target"] == "1 Jun 2011" and lines["London"]["target"] == "1 Apr 2011"


def test_a_region_without_hmas_is_counted_by_county(nation):
    said = ask(nation, "progress", user=WM_MANAGER, channel=WM).message_text
    assert "Progress: West Midlands" in said and "*By county*\n• Metropolitan districts: " in said
    assert "• Staffordshire: " in said and "• Unitary authorities: " in said and "By HMA" not in said
    said = ask(nation, "progress", user=MEMBER, channel=TEAM_CHANNEL).message_text
    assert "Progress: East Midlands" in said and "*By HMA*\n" in said


def test_london_with_no_counties_is_counted_by_kind_of_authority(nation):
    said = ask(nation, "progress London", user=MEMBER, channel=TEAM_CHANNEL).message_text
    assert "Progress: London" in said and "*By kind of authority*\n• City of London: " in said
    assert "• London boroughs: " in said and "By county" not in said


def report(workspace: Workspace, typed: str, user: str, channel: str) -> dict[str, dict]:
    """Ask for a report and run its job: the files it put in Slack, by name."""
    before, posts = set(workspace.slack.files), len(workspace.slack.calls_to("chat.postMessage"))
    assert "Building the progress report" in ask(workspace, typed, user, channel).message_text
    workspace.slack.wait_for("chat.postMessage", posts + 1)
    workspace.settle()
    assert workspace.run_jobs() == 1
    return {f["name"]: f for key, f in workspace.slack.files.items() if key not in before}


def pdf_text(content: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True,
                          check=True).stdout.decode()


def test_the_national_report_has_a_row_per_region_then_per_area(nation):
    files = report(nation, "report England", MANAGER, TEAM_CHANNEL)
    [pdf] = [name for name in files if name.endswith(".pdf")]
    assert pdf.startswith("progress-england-2011-03-31-") and pdf.replace(".pdf", ".xlsx") in files
    workbook = load_workbook(io.BytesIO(files[pdf.replace(".pdf", ".xlsx")]["content"]))
    regions = list(workbook["Regions"].values)
    assert [row[0] for row in regions[1:]] == list(REGIONS)
    west = dict(zip(regions[0], next(row for row in regions if row[0] == "West Midlands")))
    assert west["Areas"] == 30 and west["Target"].date().isoformat() == "2011-06-01"
    areas = list(workbook["Areas"].values)
    assert len(areas) == 327  # a header and every English area, region by region
    in_order = [row[4] for row in areas[1:]]
    assert sorted(set(in_order), key=in_order.index) == list(REGIONS)
    said = pdf_text(files[pdf]["content"])
    assert "Single Conversation progress: England" in said and "By region" in said and "West Midlands" in said


def test_england_s_report_is_the_national_managers_and_a_regions_its_managers(nation):
    refused = ask(nation, "report England", WM_MANAGER, WM).message_text
    assert "The report for England is for the national managers" in refused
    assert "Only managers" in ask(nation, "report England", MEMBER, TEAM_CHANNEL).message_text
    assert "is for the managers of East Midlands" in ask(nation, "report East Midlands", WM_MANAGER, WM).message_text
    nation.settle()
    assert not nation.slack.calls_to("chat.postMessage")
    files = report(nation, "report", WM_MANAGER, WM)
    assert all(name.startswith("progress-west-midlands-2011-03-31-") for name in files) and len(files) == 2
