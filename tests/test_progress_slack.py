"""`/sc progress`, `/sc report`, mentions and the App Home, over HTTP against the stand-in.

The figures come from the hand-counted history in tests/progress_fixture.py.
"""
import io

import pytest
import redis
from openpyxl import load_workbook
from sqlalchemy import text

from bot.offline.local_services import free_port
from jobs.progress import post_chart
from models.db import get_engine
from models.migrate import upgrade
from models.tables import ProgressUpload
from tests.conftest import bot_environment, serve, wait_healthy
from tests.progress_fixture import TODAY, build_history
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
    assert "*Off track*: the pace so far is well short of the pace needed" in said
    assert "*Pace needed*\n2.1 areas a week" in said and "*Pace so far*\n0.5 areas a week" in said
    assert "*Every area begun by*\n7 Mar 2012" in said and "*Target*\n1 Apr 2011" in said
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
    assert "*Every area begun by*\n16 Dec 2011" in said


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
    assert history.run_jobs() == 1
    [chart] = history.slack.files.values()
    assert chart["name"] == "burn-up-2010-12-15.png" and chart["content"].startswith(b"\x89PNG")
    assert chart["shared"]["channel"] == DM
    # The same job again (a retry) uploads nothing more.
    [upload] = history.rows(ProgressUpload)
    assert post_chart(upload.request_key, "", MEMBER, "", "2010-12-15") == {"uploaded": False}
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


def test_a_manager_gets_the_report_in_the_thread_of_the_request(history):
    reply = history.command("report as of 2010-12-20", user=MANAGER)
    assert "Building the progress report" in reply.message_text
    [request] = history.slack.wait_for("chat.postMessage")
    assert "asked for the progress report for East Midlands as of 20 Dec 2010" in request.args["text"]
    history.slack.wait_for("chat.postMessage")
    assert history.run_jobs() == 1
    files = {f["name"]: f for f in history.slack.files.values()}
    assert set(files) == {"progress-2010-12-20.pdf", "progress-2010-12-20.xlsx"}
    thread = {f["shared"]["thread_ts"] for f in files.values()}
    posted = [ts for (channel, ts), m in history.slack.messages.items() if "asked for the progress report" in m["text"]]
    assert thread == set(posted)
    assert files["progress-2010-12-20.pdf"]["content"].startswith(b"%PDF")
    workbook = load_workbook(io.BytesIO(files["progress-2010-12-20.xlsx"]["content"]))
    areas = list(workbook["Areas"].values)
    assert len(areas) == 41  # a header and the 40 areas
    leicester = next(row for row in areas if row[0] == "Leicester")
    assert leicester[5] == "Local Investment Plan drafted" and leicester[7] == "member"
    assert [row[1] for row in workbook["Stages"].values][1:4] == [3, 2, 1]
    # Leicester's last activity was 22 Nov, 4 weeks before: at risk. Derby HMA's was 29 Nov.
    assert [row[0] for row in workbook["At risk"].values][1:] == ["Leicester"]


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
