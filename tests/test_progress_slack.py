"""`/sc progress`, `/sc report`, mentions and the App Home, over HTTP against the stand-in.

The figures come from the hand-counted history in tests/progress_fixture.py.
"""
import io
import re
import subprocess
from datetime import date, datetime

import pytest
import redis
from openpyxl import load_workbook
from rq import Queue
from sqlalchemy import text

from bot.offline.local_services import free_port
from jobs.progress import post_chart
from models.db import get_engine
from models.migrate import upgrade
from tests.conftest import bot_environment, serve, wait_healthy
from tests.progress_fixture import OTHER, TODAY, build_history
from tests.workspace import (
    MANAGER,
    MEMBER,
    TEAM_CHANNEL,
    Workspace,
    assert_valid_block_kit,
    everything_said,
)

DM = "D" + MEMBER[1:]  # the stand-in's direct messages with MEMBER


@pytest.fixture
def history(workspace):
    with workspace.engine.begin() as connection:
        connection.execute(text("DELETE FROM progressupload"))
    build_history(workspace.engine)
    return workspace


def test_progress_as_of_a_day_answers_the_caller_alone(history):
    reply = history.command("progress as of 2010-12-15")
    said = reply.message_text
    assert reply.json["response_type"] == "ephemeral"
    assert "Progress: East Midlands as of 15 Dec 2010" in said
    assert "*8 of 40 areas have begun* (20%)" in said
    assert "*Off track*: every area has begun by the target date in none of the 5,000 simulated runs" in said
    assert "*Pace so far*\n0.5 areas a week over the last 8 weeks" in said and "*Pace needed*\n2.1 areas a week" in said
    # 32 to go at one area or none a week, even odds: 63 weeks for half the runs, 72 for 85% (test_progress_rules).
    assert "*Every area begun by*\n29 Feb 2012 in half the runs,\n2 May 2012 in 85%" in said
    assert "*Target*\n1 Apr 2011" in said and "5,000 simulated runs of the coming weeks" in str(reply.json["blocks"])
    assert "• Derby HMA: 3 of 3" in said and "• Leicester &amp; Leicestershire HMA: 1 of 8" in said
    assert "• Derbyshire: 4 of 8" in said and "• Nottinghamshire: 1 of 7" in said
    assert "• Engaged: 3\n• Shared evidence base: 2\n• Local Investment Plan drafted: 1\n" in said
    assert "• w/c 8 Nov: 1\n• w/c 15 Nov: 0\n• w/c 22 Nov: 1" in said


def test_progress_earlier_is_read_from_the_history_and_share_posts_in_channel(history):
    reply = history.command("progress share as of 30 Nov 2010")
    said = reply.message_text
    assert reply.json["response_type"] == "in_channel"
    assert "*6 of 40 areas have begun* (15%)" in said
    assert "• Engaged: 2\n• Shared evidence base: 1\n• Local Investment Plan drafted: 1\n" in said
    assert "*Pace so far*\n0.6 areas a week over the last 8 weeks" in said and "in half the runs" in said


def test_progress_for_a_county(history):
    said = history.command("progress Derbyshire as of 2010-12-15").message_text
    assert "*Derbyshire* as of 15 Dec 2010: *4 of 8 areas have begun* (50%)" in said
    assert "• Engaged: 2\n• Shared evidence base: 1\n" in said


@pytest.mark.parametrize("typed, answer", [
    ("progress Narnia", "I don't know an area group called “Narnia”"),
    ("progress as of last blursday", "I couldn't read “last blursday” as a date"),
    ("progress as of 2099-01-01", "1 Jan 2099 has not happened yet"),
])
def test_progress_bad_input_gets_a_short_answer(history, typed, answer):
    reply = history.command(typed)
    assert reply.status == 200 and answer in reply.message_text
    assert reply.json["response_type"] == "ephemeral"


def test_a_private_chart_goes_to_the_callers_direct_messages_once(history):
    said = history.command("progress chart as of 2010-12-15").message_text
    assert "The burn-up chart is on its way to your direct messages with me" in said
    [job] = Queue("documents", connection=history.redis).jobs
    assert history.run_jobs() == 1
    [chart] = history.slack.files.values()
    asked = datetime.fromisoformat(job.args[5])  # asked_at
    assert chart["name"] == f"burn-up-east-midlands-as-of-2010-12-15-made-{asked:%Y-%m-%d-%H%M}.png"
    assert chart["content"].startswith(b"\x89PNG") and chart["shared"]["channel"] == DM
    # The same job again (a retry) uploads nothing more.
    assert post_chart(*job.args) == {"uploaded": False}
    assert post_chart(*job.args[:-1]) == {"uploaded": False}  # as a job queued before regions carried it
    assert len(history.slack.files) == 1


def test_a_shared_chart_goes_to_the_channel(history):
    reply = history.command("progress Derby HMA share chart as of 2010-12-15")
    assert reply.json["response_type"] == "in_channel" and "follows in this channel" in reply.message_text
    history.run_jobs()
    [chart] = history.slack.files.values()
    assert chart["shared"]["channel"] == TEAM_CHANNEL and chart["title"].startswith("Burn-up chart: Derby HMA")


def test_the_report_is_for_managers(history):
    reply = history.command("report", user=MEMBER)
    assert "Only managers" in reply.message_text
    history.settle()
    assert not history.slack.calls_to("chat.postMessage")


def report(history, text: str = "report as of 2010-12-20") -> dict[str, dict]:
    """Ask for a report as a manager and run its job: the files it put in Slack, by name."""
    before, posts = set(history.slack.files), len(history.slack.calls_to("chat.postMessage"))
    reply = history.command(text, user=MANAGER)
    assert "Building the progress report" in reply.message_text
    history.slack.wait_for("chat.postMessage", posts + 1)  # the report's thread, then its job is queued
    history.settle()
    assert history.run_jobs() == 1
    return {f["name"]: f for key, f in history.slack.files.items() if key not in before}


def pdf_text(content: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True).stdout.decode()


def test_a_manager_gets_the_report_in_the_thread_of_the_request(history):
    history.slack.users[OTHER] = "Olive"
    try:
        files = report(history)
    finally:
        del history.slack.users[OTHER]
    [request] = [c for c in history.slack.calls_to("chat.postMessage") if "asked for the progress report" in c.args["text"]]
    assert "asked for the progress report for East Midlands as of 20 Dec 2010" in request.args["text"]
    [pdf] = [name for name in files if name.endswith(".pdf")]
    assert re.fullmatch(r"progress-east-midlands-as-of-2010-12-20-made-\d{4}-\d\d-\d\d-\d{4}\.pdf", pdf)
    assert set(files) == {pdf, pdf.replace(".pdf", ".xlsx")}
    thread = {f["shared"]["thread_ts"] for f in files.values()}
    posted = [ts for (channel, ts), m in history.slack.messages.items() if "asked for the progress report" in m["text"]]
    assert thread == set(posted)
    assert files[pdf]["content"].startswith(b"%PDF")
    workbook = load_workbook(io.BytesIO(files[pdf.replace(".pdf", ".xlsx")]["content"]))
    areas = list(workbook["Areas"].values)
    assert len(areas) == 41  # a header and the 40 areas
    leads = {row[0]: row[7] for row in areas[1:]}
    assert (leads["Leicester"], leads["Derby"], leads["Gedling"], leads["Bolsover"]) == ("member", "Olive", "Olive", None)
    assert next(row for row in areas if row[0] == "Leicester")[5] == "Local Investment Plan drafted"
    assert [row[1] for row in workbook["Stages"].values][1:4] == [3, 2, 1]
    # At risk: no entry for over 21 days (the quiet-days setting's default) by the end of 20 Dec, so none since
    # 29 Nov: Leicester (22 Nov), then Derby HMA's three areas (29 Nov 10:00).
    assert [row[0] for row in workbook["At risk"].values][1:] == ["Leicester", "Amber Valley", "Derby", "South Derbyshire"]
    summary = dict(workbook["Summary"].values)
    assert summary["Status"] == "off track" and summary["Chance every area has begun by the target"] == 0
    assert summary["Every area begun by, in half the runs"].date() > date(2011, 4, 1)
    said = pdf_text(files[pdf]["content"])
    assert "no entry for over 21 days" in said and "Olive" in said and "U0" not in said


def test_the_report_names_leads_as_slack_shows_them_asking_slack_once(history):
    """A lead Slack does not know is said so, never shown as an id; each lead is asked of Slack once
    (users.info, kept an hour), however many reports."""
    files = report(history)
    report(history, "report Derbyshire as of 2010-12-20")
    asked = [c.args["user"] for c in history.slack.calls_to("users.info")]
    assert sorted(asked) == ["U0MEMBER", "U0OTHER"]
    workbook = load_workbook(io.BytesIO(next(f for n, f in files.items() if n.endswith(".xlsx"))["content"]))
    cells = [str(cell) for sheet in workbook for row in sheet.values for cell in row]
    assert "someone Slack does not know" in cells and "member" in cells
    assert not [cell for cell in cells if "U0" in cell]
    assert "U0" not in pdf_text(next(f for n, f in files.items() if n.endswith(".pdf"))["content"])


def test_a_county_report_does_not_overwrite_the_regions_of_the_same_day(history):
    region = report(history)
    county = report(history, "report Derbyshire as of 2010-12-20")
    assert len(set(region) | set(county)) == 4
    assert all(name.startswith("progress-derbyshire-as-of-2010-12-20-made-") for name in county)
    assert all(name.startswith("progress-east-midlands-as-of-2010-12-20-made-") for name in region)


def test_one_quiet_days_setting_puts_areas_at_risk_and_nudges_leads(history):
    """Managers set it to 28 days: the report's areas at risk follow (Derby HMA, quiet 21 days, no longer)."""
    with history.engine.begin() as connection:
        connection.execute(text("INSERT INTO botsetting (region, key, value, changed_by, changed_at) "
                                "VALUES ('East Midlands', 'stale_days', '28', 'U0MANAGER', '2010-12-20 09:00:00')"))
    files = report(history)
    workbook = load_workbook(io.BytesIO(next(f for n, f in files.items() if n.endswith(".xlsx"))["content"]))
    assert [row[0] for row in workbook["At risk"].values][1:] == ["Leicester"]
    assert "no entry for over 28 days" in pdf_text(next(f for n, f in files.items() if n.endswith(".pdf"))["content"])


# --- a server whose clock says 15 Dec 2010 ----------------------------------------------

@pytest.fixture(scope="module")
def pinned(tmp_path_factory, redis_server_url, slack):
    """`scbot serve` on a database holding the history, with SC_NOW at the fixture's today."""
    folder = tmp_path_factory.mktemp("pinned")
    database_url = f"sqlite:///{folder / 'scbot.sqlite3'}"
    upgrade(database_url)
    build_history(get_engine(database_url))
    env = {**bot_environment(database_url, redis_server_url, slack, folder), "SC_NOW": TODAY}
    port = free_port()
    process = serve(env, port, folder / "server.log")
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base_url, process)
        yield Workspace(base_url, slack, get_engine(database_url), redis.Redis.from_url(redis_server_url))
    finally:
        process.terminate()
        process.wait(15)


@pytest.fixture
def bot(pinned, slack):
    slack.reset()
    slack.members.clear()
    slack.members.add(MEMBER)
    yield pinned
    for method, payload in pinned.sent_payloads():
        assert_valid_block_kit(method, payload)
    pinned.acks.clear()


def test_plain_progress_is_as_of_today(bot):
    said = bot.command("progress").message_text
    assert "Progress: East Midlands\n" in said and "as of" not in said.split("\n")[0]
    assert "*8 of 40 areas have begun* (20%)" in said


def ask(bot, text: str, ts: str) -> str:
    bot.event({"type": "app_mention", "user": MEMBER, "text": f"<@U0SCBOT> {text}", "ts": ts,
               "channel": TEAM_CHANNEL, "event_ts": ts}, f"Ev{ts.replace('.', '')}")
    [reply] = bot.slack.wait_for("chat.postMessage", where=lambda a: a.get("thread_ts") == ts)
    return reply.args["text"]


@pytest.mark.parametrize("question, answer", [
    ("how are we doing?", "*East Midlands*: *8 of 40 areas have begun* (20%). :red_circle: *Off track*"),
    ("progress in Derbyshire", "*Derbyshire*: *4 of 8 areas have begun* (50%)"),
    ("who leads Leicester?", "<@U0MEMBER> leads *Leicester*, at Local Investment Plan drafted, begun 4 Oct 2010."),
    ("who leads Bolsover?", "Bolsover has not begun yet"),
    ("which areas have not started in Derbyshire?",
     "*4 areas in Derbyshire have not begun:*\n• Bolsover\n• Derbyshire Dales\n• Erewash\n• North East Derbyshire"),
    ("what’s overdue?", "*1 overdue actions:*\n• *Chesterfield*: Send the SHMA figures (<@U0MEMBER>, due 13 Dec 2010, 2 days ago)"),
    ("sing me a song", "Mention me with a question like “how are we doing?”"),
    ("progress in Narnia", "I don't know an area group called “narnia”"),
])
def test_mentions_are_answered_in_the_thread(bot, question, answer):
    assert answer in ask(bot, question, f"1700000{abs(hash(question)) % 1000:03d}.000100")


def test_the_app_home_shows_the_callers_work_and_the_coverage(bot):
    bot.event({"type": "app_home_opened", "user": MEMBER, "channel": DM, "tab": "home",
               "event_ts": "1700000500.000100"}, "EvHome1")
    bot.slack.wait_for("views.publish")
    view = bot.slack.views[f"home:{MEMBER}"]
    said = everything_said(view)
    assert "*East Midlands: 8 of 40 areas have begun* (20%)" in said
    assert "`" + "▓" * 6 + "░" * 24 + "`" in said
    # MEMBER leads Leicester, Chesterfield and High Peak, the latest active first.
    assert said.index("*High Peak*") < said.index("*Chesterfield*") < said.index("*Leicester*")
    assert "*Leicester*\nLocal Investment Plan drafted · last activity 22 Nov 2010 10:00" in said
    assert "*Your open actions* (2)" in said and "Send the SHMA figures · due 13 Dec 2010 *(overdue)*" in said
    buttons = [e["action_id"] for b in view["blocks"] for e in b.get("elements", []) + [b.get("accessory") or {}]
               if e.get("type") == "button"]
    assert buttons.count("card_log") == 3 and "home_start" in buttons
    assert_valid_block_kit("views.publish", {"view": view})


def test_the_home_buttons_open_the_start_and_extract_forms(bot):
    bot.event({"type": "app_home_opened", "user": MEMBER, "channel": DM, "tab": "home",
               "event_ts": "1700000600.000100"}, "EvHome2")
    bot.slack.wait_for("views.publish")
    view = bot.slack.views[f"home:{MEMBER}"]
    [row] = [b for b in view["blocks"] if b["type"] == "actions"]
    pressed = {e["action_id"]: e for e in row["elements"]}
    assert set(pressed) == {"home_start", "home_extract"}  # /sc extract is registered
    for action_id in ("home_start", "home_extract"):
        bot.press_in_home({**pressed[action_id], "block_id": row.get("block_id", "home")})
        bot.slack.wait_for("views.open", 1 if action_id == "home_start" else 2)
    start, extract = [c.args["view"] for c in bot.slack.calls_to("views.open")]
    assert start["callback_id"] == "start_conversation" and extract["callback_id"] != "start_conversation"


def test_outsiders_pressing_home_buttons_are_told_in_a_modal(bot):
    from tests.workspace import OUTSIDER

    bot.press_in_home({"action_id": "home_start", "value": "start", "block_id": "home"}, user=OUTSIDER)
    [notice] = [c.args["view"] for c in bot.slack.wait_for("views.open")]
    assert "Only the regional team" in str(notice["blocks"]) and notice.get("callback_id") is None
