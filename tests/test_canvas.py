"""The coverage canvas in the team channel: made once, brought up to date by a worker soon after a change and
at most once a minute, one edit however many changes, made again when someone deletes it, a standalone canvas
shared in the channel where the plan refuses channel canvases, 429s waited out; `/sc canvas` for managers.

`queue_canvas` is the clock's question, asked every few seconds; `a_minute_passes` moves the last edit back a
minute, as the real-time test lets a real minute pass."""
import os
import re
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from rq.job import Job, JobStatus
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import text
from sqlmodel import Session

from bot.clock import queue_canvas
from bot.offline.local_services import wait_until
from bot.settings import get_settings
from bot.views.canvas import TITLE
from jobs import worker_services
from jobs.canvas import canvas_job_id
from models.tables import TeamCanvas
from tests.test_console import console_settings, run
from tests.test_workers import scbot_worker, signal_all
from tests.workspace import MANAGER, MEMBER, TEAM_CHANNEL

CELL = re.compile(r"(?<!\\)\|")
# Fifty stage changes, moving Leicester on and back, ending at "plan-agreed".
BURST = (["plan-drafted", "plan-agreed", "evidence"] * 17)[:50]


@pytest.fixture
def team(workspace):
    """The workspace, with no canvas recorded from an earlier test."""
    with workspace.engine.begin() as connection:
        connection.execute(text("DELETE FROM teamcanvas"))
    return workspace


def a_minute_passes(workspace) -> None:
    """As if the canvas had been edited a minute earlier than it was."""
    with Session(workspace.engine) as session:
        canvas = session.get(TeamCanvas, TEAM_CHANNEL)
        canvas.changed_at -= timedelta(seconds=61)
        session.add(canvas)
        session.commit()


def clear_of_midnight(seconds: float = 120) -> None:
    """Wait, if need be, until the team's day has at least `seconds` left: the canvas shows how many days since
    each area's last change, so the day turning during a test is a real change to it."""
    now = datetime.now(ZoneInfo(get_settings().sc_timezone))
    left = (datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), now.tzinfo) - now).total_seconds()
    if left < seconds:
        time.sleep(left + 1)


def the_canvas(slack) -> dict:
    [canvas] = slack.canvases_in(TEAM_CHANNEL)
    return canvas


def row(slack, area: str) -> list[str]:
    """The area's cells on the team channel's canvas: area, stage, lead, delivery confidence, days since, next
    action."""
    for line in the_canvas(slack)["markdown"].splitlines():
        cells = [cell.strip() for cell in CELL.split(line)[1:-1]]
        if cells and cells[0] == area:
            return cells
    raise AssertionError(f"{area} is not on the canvas")


def ok_calls(slack, method: str) -> list:
    return [c for c in slack.all_calls() if c.method == method and c.args["_status"] == 200]


def command(workspace, text: str, user: str = MEMBER) -> str:
    reply = workspace.command(text, user)
    assert reply.status == 200
    return reply.message_text


def test_each_change_shows_after_a_worker_run_and_a_burst_of_50_makes_one_edit(team):
    clear_of_midnight()
    services = worker_services()
    command(team, "start Leicester")
    command(team, "stage Leicester evidence")
    assert queue_canvas(services)
    assert not queue_canvas(services)  # the clock's next look finds it waiting
    team.run_jobs()
    assert the_canvas(team.slack)["title"] == TITLE
    assert row(team.slack, "Leicester") == ["Leicester", "Shared evidence base (2 of 6)", f"![](@{MEMBER})", "–", "0",
                                            "–"]
    assert row(team.slack, "Blaby") == ["Blaby", "not begun", "–", "–", "–", "–"]
    markdown = the_canvas(team.slack)["markdown"]
    assert "## Leicester &amp; Leicestershire HMA (1 of 8 begun)" in markdown
    assert "**1 of 40 areas have begun (2%).**" in markdown

    for n, stage in enumerate(BURST):
        assert "is now at" in command(team, f"stage Leicester {stage}")
        assert not queue_canvas(services)  # made under a minute ago: not edited yet
    a_minute_passes(team)
    command(team, "action Leicester Send the SHMA figures due 2099-01-10")
    assert queue_canvas(services)
    assert not queue_canvas(services)  # the job waiting brings every change
    team.run_jobs()
    assert len(ok_calls(team.slack, "canvases.edit")) == 1
    assert row(team.slack, "Leicester")[1] == "Local Investment Plan agreed (4 of 6)"
    assert row(team.slack, "Leicester")[5] == f"Send the SHMA figures, due 10 Jan 2099, ![](@{MEMBER})"
    assert len(ok_calls(team.slack, "conversations.canvases.create")) == 1
    assert not team.slack.calls_to("canvases.create")

    # A note changes nothing the canvas shows today: no edit is made, and the clock is satisfied.
    command(team, "log Leicester Met the housing team")
    assert not queue_canvas(services)
    a_minute_passes(team)
    assert queue_canvas(services)
    team.run_jobs()
    assert len(ok_calls(team.slack, "canvases.edit")) == 1
    assert not queue_canvas(services)


@contextmanager
def scbot_clock(log_path):
    """`scbot clock` with the test's settings, in real time."""
    with open(log_path, "a") as log:
        process = subprocess.Popen([sys.executable, "-m", "bot.cli", "clock"], env=dict(os.environ),
                                   stdout=log, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        signal_all(process, 9)
        process.wait(10)


def test_in_real_time_the_clock_and_a_worker_keep_the_canvas_within_a_minute_and_to_an_edit_a_minute(
        team, backend, tmp_path):
    """scbot clock and scbot worker as shipped: two changes show within seconds; a burst of 50 that follows
    shows once a minute has passed since, in one edit, one canvas throughout. (About 80 s of real time.)"""
    if backend.name != "sqlite":
        pytest.skip("the clock and the worker do the same on PostgreSQL; real time is spent once")
    with scbot_worker(tmp_path / "worker.log", "--queue", "slack"), scbot_clock(tmp_path / "clock.log"):
        command(team, "start Leicester")
        command(team, "stage Leicester evidence")
        changed = time.monotonic()
        wait_until(lambda: team.slack.canvases_in(TEAM_CHANNEL) and row(team.slack, "Leicester")[1].startswith(
            "Shared evidence"), 30, 0.1, "the canvas to show Leicester's stage")
        assert time.monotonic() - changed < 15
        for stage in BURST:
            command(team, f"stage Leicester {stage}")
        changed = time.monotonic()
        wait_until(lambda: row(team.slack, "Leicester")[1].startswith("Local Investment Plan agreed"), 90, 0.1,
                   "the canvas to show the burst's last stage")
        # The rest of the minute since the canvas was made, the clock's next look (5 s) and the worker's turn.
        assert time.monotonic() - changed < 75
    writes = sorted(c.at for c in ok_calls(team.slack, "conversations.canvases.create")
                    + ok_calls(team.slack, "canvases.edit"))
    assert len(ok_calls(team.slack, "conversations.canvases.create")) == 1
    assert len(writes) == 2, writes  # the canvas made, then one edit for the 50 changes
    assert writes[1] - writes[0] >= 59, writes


def test_a_canvas_someone_deleted_is_made_again_and_only_once(team):
    services = worker_services()
    command(team, "start Leicester")
    queue_canvas(services)
    team.run_jobs()
    first = the_canvas(team.slack)["id"]
    team.slack.delete_canvas(first)
    command(team, "stage Leicester evidence")
    a_minute_passes(team)
    assert queue_canvas(services)
    team.run_jobs()
    second = the_canvas(team.slack)
    assert second["id"] != first and "Shared evidence base" in row(team.slack, "Leicester")[1]
    assert [c.args["_status"] for c in team.slack.calls_to("canvases.edit")] == [200]  # answered canvas_not_found
    assert team.rows(TeamCanvas)[0].canvas_id == second["id"]
    assert len(ok_calls(team.slack, "conversations.canvases.create")) == 2


def test_where_the_plan_refuses_channel_canvases_a_standalone_canvas_is_shared_in_the_channel(team):
    services = worker_services()
    team.slack.refuse_channel_canvases()
    command(team, "start Leicester")
    queue_canvas(services)
    team.run_jobs()
    canvas = the_canvas(team.slack)
    assert canvas["channel"] is None and canvas["access"] == {TEAM_CHANNEL: "read"}
    [shared] = [m for m in team.channel_messages() if canvas["id"] in m["text"]]
    assert f"<https://em-housing.slack.com/docs/T0REGION/{canvas['id']}|{TITLE}>" in shared["text"]
    command(team, "stage Leicester evidence")
    a_minute_passes(team)
    assert queue_canvas(services)
    team.run_jobs()
    assert "Shared evidence base" in row(team.slack, "Leicester")[1]
    assert len(team.slack.calls_to("canvases.create")) == 1 and len(ok_calls(team.slack, "canvases.edit")) == 1
    assert len([m for m in team.channel_messages() if canvas["id"] in m["text"]]) == 1  # its link posted once


def test_a_429_puts_the_edit_off_until_slack_allows_and_nothing_is_lost(team, tmp_path):
    services = worker_services()
    command(team, "start Leicester")
    queue_canvas(services)
    team.run_jobs()
    team.slack.fail_next("canvases.edit", status=429, retry_after=2)
    command(team, "stage Leicester evidence")
    a_minute_passes(team)
    assert queue_canvas(services)
    team.run_jobs()
    assert row(team.slack, "Leicester")[1].startswith("Engaged")
    job = Job.fetch(canvas_job_id(TEAM_CHANNEL), connection=services.redis)
    assert job.get_status() == JobStatus.SCHEDULED  # RQ's scheduler runs it again after Retry-After
    assert not queue_canvas(services)  # and the clock does not queue a second
    with scbot_worker(tmp_path / "worker.log", "--queue", "slack"):
        wait_until(lambda: "Shared evidence" in row(team.slack, "Leicester")[1], 30, 0.1, "the edit, later")
    limited, edited = team.slack.calls_to("canvases.edit")
    # Again after Retry-After, less the part of a second RQ's scheduler drops (it keeps whole seconds).
    assert (limited.args["_status"], edited.args["_status"]) == (429, 200) and edited.at - limited.at > 1
    assert len(team.slack.canvases_in(TEAM_CHANNEL)) == 1 and not queue_canvas(services)


def test_only_managers_rebuild_the_canvas_and_it_is_rebuilt_even_when_nothing_changed(team):
    refused = command(team, "canvas")
    assert "Only managers" in refused
    team.settle()
    assert not team.slack.calls_to("conversations.canvases.create")
    assert team.redis.llen("rq:queue:slack") == 0 and not team.rows(TeamCanvas)
    said = command(team, "canvas", user=MANAGER)
    assert "Rebuilding the coverage canvas" in said and f"<#{TEAM_CHANNEL}>" in said
    team.run_jobs()
    assert row(team.slack, "Leicester")[1] == "not begun"
    command(team, "canvas now please", user=MANAGER)  # words after it change nothing
    team.run_jobs()
    assert len(ok_calls(team.slack, "canvases.edit")) == 1 and len(team.slack.canvases_in(TEAM_CHANNEL)) == 1


def test_a_canvas_slack_refuses_outright_is_told_to_the_managers_once_and_not_tried_every_minute(team):
    services = worker_services()
    team.slack.refuse_channel_canvases("free_team_canvas_tab_already_exists")
    team.slack.refuse_standalone_canvases()
    command(team, "start Leicester")
    queue_canvas(services)
    team.run_jobs()
    told = [c for c in team.slack.calls_to("chat.postMessage") if c.args["channel"] == MANAGER]
    assert len(told) == 1 and "couldn't keep the coverage canvas" in told[0].args["text"]
    assert "allows a channel one canvas" in told[0].args["text"]
    assert not queue_canvas(services)  # nothing changed since: not tried again
    command(team, "stage Leicester evidence")
    assert queue_canvas(services)  # never made: tried at once
    team.run_jobs()
    assert len([c for c in team.slack.calls_to("chat.postMessage") if c.args["channel"] == MANAGER]) == 1
    command(team, "canvas", user=MANAGER)  # asked again: told again
    team.run_jobs()
    assert len([c for c in team.slack.calls_to("chat.postMessage") if c.args["channel"] == MANAGER]) == 2
    assert team.slack.canvases_in(TEAM_CHANNEL) == []


def test_what_people_typed_shows_on_the_canvas_as_typed_in_its_one_row(team):
    command(team, "start Leicester")
    said = command(team, "action Leicester <!channel> *now* | [x](http://evil.example) ![](#C0OTHER) `rm` "
                         "_ok_ ~no~ # \\ for them due 2099-01-10")
    assert "Action for" in said
    queue_canvas(worker_services())
    team.run_jobs()
    action = row(team.slack, "Leicester")[5]
    assert action == (r"&lt;!channel&gt; \*now\* \| \[x\](http://evil.example) !\[\](\#C0OTHER) \`rm\` "
                      rf"\_ok\_ \~no\~ \# \\ for them, due 10 Jan 2099, ![](@{MEMBER})")
    assert "<" not in the_canvas(team.slack)["markdown"]  # and the escaping walk finds no live markup


def test_the_stand_in_takes_canvas_calls_as_slack_documents_them(slack):
    slack.reset()
    client = WebClient(token="xoxb-test", base_url=slack.api_url)
    document = {"type": "markdown", "markdown": "# one"}
    made = client.conversations_canvases_create(channel_id=TEAM_CHANNEL, document_content=document)["canvas_id"]

    def error(call, **args) -> str:
        with pytest.raises(SlackApiError) as refused:
            call(**args)
        return refused.value.response["error"]

    assert error(client.conversations_canvases_create, channel_id=TEAM_CHANNEL,
                 document_content=document) == "channel_canvas_already_exists"
    change = {"operation": "replace", "document_content": {"type": "markdown", "markdown": "# two"}}
    assert error(client.canvases_edit, canvas_id=made, changes=[change, change]) == "invalid_arguments"
    client.canvases_edit(canvas_id=made, changes=[change])
    assert slack.canvases_in(TEAM_CHANNEL)[0]["markdown"] == "# two"
    assert error(client.canvases_access_set, canvas_id=made, access_level="read", channel_ids=[TEAM_CHANNEL],
                 user_ids=[MEMBER]) == "invalid_parameters"
    assert error(client.canvases_access_set, canvas_id=made, access_level="read",
                 channel_ids=["C0NOWHERE"]) == "channel_not_found"
    client.canvases_delete(canvas_id=made)
    assert error(client.canvases_edit, canvas_id=made, changes=[change]) == "canvas_not_found"
    assert slack.canvases_in(TEAM_CHANNEL) == []
    slack.reset()


def test_the_console_reads_the_canvas_out(tmp_path, redis_server_url):
    settings = console_settings(tmp_path, redis_server_url)
    said = dict(run(settings, "/sc start Leicester", "/sc stage Leicester evidence", "/canvas"))["/canvas"]
    assert "#single-conversations: canvas “Single Conversation coverage”" in said
    assert "| Leicester | Shared evidence base (2 of 6) | @alice | – | 0 | – |" in said
    assert "## Leicester & Leicestershire HMA (1 of 8 begun)" in said
