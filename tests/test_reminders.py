"""Reminders toward the target: the clock, exactly-once delivery, and personal reminders."""
import math
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry
from slack_sdk import WebClient
from sqlmodel import select

from bot.clock import tick
from jobs import Later, job_id, worker_services
from jobs.reminders import send_digest
from models import clock
from models.areas import load_directory
from models.conversations import Details, add_action, start_conversation
from models.errors import InputError
from models.reminders import (
    GRACE,
    ReminderSettings,
    When,
    add_reminder,
    digest,
    digest_slot,
    is_working_day,
    nudge_slot,
    parse_when,
)
from models.tables import Conversation, Delivery, LogEntry, Reminder
from tests.workspace import MANAGER, MEMBER, OUTSIDER, TEAM_CHANNEL

LONDON = "Europe/London"
MONDAY = "2011-01-10T09:00:00+00:00"


def at(text: str) -> datetime:
    clock.configure(LONDON)
    return clock.parse_instant(text)


def settings(**changes) -> ReminderSettings:
    base = dict(digest_weekday=0, digest_time=datetime.strptime("09:00", "%H:%M").time(),
                digest_channel=TEAM_CHANNEL, stale_days=21, target_date=date(2011, 4, 1))
    return ReminderSettings(**{**base, **changes})


# --- the rules ---------------------------------------------------------------------

def test_a_digest_missed_over_a_weekend_is_sent_once_late_then_not_again():
    assert digest_slot(settings(), at("2011-01-04T10:00")).isoformat() == "2011-01-03T09:00:00+00:00"
    assert digest_slot(settings(), at("2011-01-10T08:59")) is None  # last week's is too old to send now
    assert digest_slot(settings(), at("2011-01-10T09:00")).isoformat() == MONDAY
    # Down from Friday to Tuesday: Tuesday's first tick still finds Monday's digest, the same one.
    assert digest_slot(settings(), at("2011-01-11T15:00")).isoformat() == MONDAY
    assert digest_slot(settings(), at("2011-01-10T09:00") + GRACE + timedelta(minutes=1)) is None


def test_nudges_only_on_working_days_in_england():
    assert is_working_day(date(2011, 1, 4))
    assert not is_working_day(date(2011, 1, 3))  # New Year's Day bank holiday, moved to the Monday
    assert not is_working_day(date(2011, 1, 8))  # a Saturday
    assert nudge_slot(at("2011-01-03T10:00")) is None
    assert nudge_slot(at("2011-01-04T08:59")) is None
    assert nudge_slot(at("2011-01-04T09:30")).isoformat() == "2011-01-04T09:00:00+00:00"


@pytest.mark.parametrize("typed, due, repeat, rest", [
    ("tomorrow 9am Call Jo", "2011-01-06 09:00", "", "Call Jo"),
    ("in 3 days chase the LIP", "2011-01-08 15:30", "", "chase the LIP"),
    ("in 2 hours ring back", "2011-01-05 17:30", "", "ring back"),
    ("2011-01-10 14:00 board meeting", "2011-01-10 14:00", "", "board meeting"),
    ("every monday 9:00 check the numbers", "2011-01-10 09:00", "weekly", "check the numbers"),
    ("next friday send figures", "2011-01-14 09:00", "", "send figures"),  # next week's, as for due dates
    ("friday 2pm prep for the 10am meeting", "2011-01-07 14:00", "", "prep for the 10am meeting"),
])
def test_when_is_the_longest_leading_phrase_that_reads_as_a_time(typed, due, repeat, rest):
    when, text = parse_when(typed, at("2011-01-05T15:30"))
    assert (f"{when.due_at:%Y-%m-%d %H:%M}", when.repeat, text) == (due, repeat, rest)


@pytest.mark.parametrize("typed, says", [
    ("yesterday call Jo", "is in the past"), ("2010-12-01 call Jo", "is in the past"),
    ("soonish call Jo", "Times that work: `tomorrow 9am`"),
])
def test_a_when_that_does_not_work_says_what_does(typed, says):
    with pytest.raises(InputError, match=says):
        parse_when(typed, at("2011-01-05T15:30"))


# --- the clock and the workers, against the real server's database -------------------

def region_history() -> None:
    """A hand-counted history: Leicester begun 1 Dec 2010 (then quiet), Derby 4 Jan 2011,
    Nottingham Core HMA (5 areas) 7 Jan 2011, with an action due 7 Jan owned by OUTSIDER."""
    with worker_services().session() as session:
        directory = load_directory(session)
        for when, name in (("2010-12-01T10:00", "Leicester"), ("2011-01-04T11:00", "Derby"),
                           ("2011-01-07T12:00", "Nottingham Core HMA")):
            clock.pin(at(when))
            conversation = start_conversation(session, directory, directory.resolve(name),
                                              Details(lead_user_id=MEMBER), MEMBER)
            session.flush()
        add_action(session, conversation, "Send the SHMA", OUTSIDER, date(2011, 1, 7), MEMBER)
    clock.pin(None)


@pytest.fixture
def region(workspace):
    region_history()
    return workspace


def sent(workspace) -> list[str]:
    return sorted(d.key for d in workspace.rows(Delivery))


def test_the_monday_digest_tells_the_true_figures(region):
    with worker_services().session() as session:
        figures = digest(session, load_directory(session), settings(), at("2011-01-10T09:00"))
    progress = figures.progress
    assert (progress.begun, progress.total, figures.days_to_target) == (7, 40, 81)
    assert [(m.title, m.by) for m in figures.moved] == [("Derby", MEMBER), ("Nottingham Core HMA", MEMBER)]
    assert progress.pace_needed == pytest.approx(33 / (81 / 7))
    # As /sc progress reckons it: the 6 weeks back from 10 Jan to Leicester's start (30 Nov to 10 Jan): 1 (Leicester),
    # none for four weeks, then 6 (Derby and the HMA's 5).
    assert progress.weekly == (1, 0, 0, 0, 0, 6) and progress.pace_so_far == pytest.approx(7 / 6)
    # 33 to go by 1 Apr, 11 whole weeks off, each a 6, a 1 or none (1/6, 1/6, 4/6): six weeks of 6 do it, or
    # five and at least three weeks of 1 among the other six (each a 1 with chance 1/5).
    sixes = [math.comb(11, k) * (1 / 6) ** k * (5 / 6) ** (11 - k) for k in range(12)]
    ones = sum(math.comb(6, j) * 0.2 ** j * 0.8 ** (6 - j) for j in range(3, 7))
    by_hand = sum(sixes[6:]) + sixes[5] * ones
    assert by_hand == pytest.approx(0.0066, abs=1e-4)
    assert abs(progress.chance - by_hand) < 4 * math.sqrt(by_hand * (1 - by_hand) / 5000)
    assert progress.status == "off track"
    assert "Leicester & Leicestershire HMA" in figures.not_begun
    assert "Leicester" not in figures.not_begun["Leicester & Leicestershire HMA"]


def test_the_digest_names_who_moved_things_as_slack_shows_them_without_pinging(region):
    region.slack.users[OUTSIDER] = "Olive"
    with worker_services().session() as session:
        directory = load_directory(session)
        clock.pin(at("2011-01-08T10:00"))
        start_conversation(session, directory, directory.resolve("Rutland"), Details(lead_user_id=OUTSIDER),
                           OUTSIDER)
        clock.pin(at("2011-01-09T10:00"))
        start_conversation(session, directory, directory.resolve("Corby"), Details(lead_user_id=MEMBER), "U0GONE")
    clock.pin(None)
    region.slack.departed.add(MEMBER)
    try:
        assert send_digest(MONDAY) == f"sent to {TEAM_CHANNEL}"
    finally:
        del region.slack.users[OUTSIDER]
    [post] = [c.args for c in region.slack.calls_to("chat.postMessage")]
    [this_week] = [b["text"]["text"] for b in post["blocks"]
                   if b["type"] == "section" and b["text"]["text"].startswith("*This week*")]
    assert this_week.split("\n")[1:] == [
        "• *Derby*: Started the Single Conversation with Derby. — member (left the workspace)",
        "• *Nottingham Core HMA*: Started the Single Conversation with Nottingham Core HMA. — member (left the workspace)",
        "• *Rutland*: Started the Single Conversation with Rutland. — Olive",
        "• *Corby*: Started the Single Conversation with Corby. — someone Slack does not know",
    ]
    assert "<@" not in str(post["blocks"]) and "U0" not in str(post["blocks"])


def test_nudges_name_each_items_area_and_a_log_command_that_reads_back(region):
    """Two actions both called “Send the note”; a quiet conversation of two areas chosen one by one, titled
    “Ashfield, Mansfield”, which `/sc log Ashfield, Mansfield …` would read as Ashfield and the words
    “Mansfield …”: its nudge suggests `/sc log Ashfield …`, which logs to it as typed."""
    with worker_services().session() as session:
        directory = load_directory(session)
        clock.pin(at("2010-12-01T10:00"))
        chosen = directory.chosen([f"area:{directory.resolve(name).codes[0]}" for name in ("Mansfield", "Ashfield")])
        both = start_conversation(session, directory, chosen, Details(lead_user_id=MEMBER), MEMBER)
        clock.pin(at("2011-01-05T10:00"))
        for name in ("Leicester", "Derby"):
            conversation = session.exec(select(Conversation).where(Conversation.title == name)).one()
            add_action(session, conversation, "Send the note", MEMBER, date(2011, 1, 7), MEMBER)
        session.flush()
        both_id = both.id
    clock.pin(None)
    tick(worker_services(), at("2011-01-10T09:00"))
    region.run_jobs()
    [nudge] = [c.args for c in region.slack.calls_to("chat.postMessage") if c.args["channel"] == MEMBER]
    said = nudge["blocks"][0]["text"]["text"].split("\n")
    assert said[:3] == ["*Actions due*", "• *Leicester*: Send the note (due 7 Jan 2011)",
                        "• *Derby*: Send the note (due 7 Jan 2011)"]
    [quiet] = [line for line in said if line.startswith("• *Ashfield, Mansfield*: last entry")]
    assert quiet.endswith("`/sc log Ashfield ...`")
    # Begun over 28 days ago and never assessed: their delivery confidence is due (models.confidence).
    assert said[-3:] == ["*Delivery confidence due again*",
                         "• *Ashfield, Mansfield*: never assessed. `/sc confidence Ashfield &lt;rating&gt; &lt;why&gt;`",
                         "• *Leicester*: never assessed. `/sc confidence Leicester &lt;rating&gt; &lt;why&gt;`"]
    assert nudge["text"] == "Good morning: 5 things to look at in your Single Conversations"

    region.command("log Ashfield Met the housing team")
    region.settle()
    [entry] = [e for e in region.rows(LogEntry) if e.kind == "note"]
    assert (entry.conversation_id, entry.text) == (both_id, "Met the housing team")


def scbot_clock(run_at: str) -> str:
    result = subprocess.run([sys.executable, "-m", "bot.cli", "clock", "--run-at", run_at], check=True,
                            capture_output=True, text=True, env=dict(os.environ), timeout=60)
    return result.stdout


def test_clock_run_at_on_a_monday_posts_one_digest_and_again_nothing(region):
    first = scbot_clock("2011-01-10T09:00")
    assert "queued 3" in first and f"digest:{MONDAY}" in first
    assert f"nudge:{MEMBER}:2011-01-10" in first and f"nudge:{OUTSIDER}:2011-01-10" in first
    region.run_jobs()
    [digest_post] = [c.args for c in region.slack.calls_to("chat.postMessage") if c.args["channel"] == TEAM_CHANNEL]
    said = str(digest_post["blocks"])
    assert "7 of 40 areas have begun* (18%)" in said and "81 days" in said and "Off track" in said
    assert ("Pace so far 1.2 areas a week over the last 6 weeks; every area begun by the target, 1 Apr 2011, "
            "needs 2.9 areas a week. Half the runs have every area begun by ") in said
    assert "As of Monday 10 January 2011, 09:00" in said
    nudges = {c.args["channel"]: str(c.args["blocks"]) for c in region.slack.calls_to("chat.postMessage")
              if c.args["channel"] != TEAM_CHANNEL}
    assert "Leicester" in nudges[MEMBER] and "Quiet for over 21 days" in nudges[MEMBER]
    assert "• *Nottingham Core HMA*: Send the SHMA (due 7 Jan 2011)" in nudges[OUTSIDER]
    assert "Derby" not in nudges[OUTSIDER]

    assert "queued 0" in scbot_clock("2011-01-10T09:00")
    assert "queued 0" in scbot_clock("2011-01-10T09:05")
    region.run_jobs()
    assert len(region.slack.calls_to("chat.postMessage")) == 3


def test_two_clocks_and_a_job_run_twice_send_once(region):
    services = worker_services()
    monday = at("2011-01-10T09:00")
    first, second = tick(services, monday), tick(services, monday)
    assert f"digest:{MONDAY}" in first and second == []  # the second clock finds it already queued
    # Even if both had queued it, and RQ ran it twice, it goes once.
    assert send_digest(MONDAY) == f"sent to {TEAM_CHANNEL}"
    assert send_digest(MONDAY) == "already sent"
    region.run_jobs()
    assert len([c for c in region.slack.calls_to("chat.postMessage") if c.args["channel"] == TEAM_CHANNEL]) == 1


def test_a_job_answered_429_is_put_off_not_slept_on_and_not_queued_twice(region):
    """(tests/test_workers.py shows it sent after Retry-After by a running worker, in real time.)"""
    services = worker_services()
    region.slack.fail_next("chat.postMessage", status=429, times=50, retry_after=30)
    tick(services, at("2011-01-10T09:00"))
    began = time.monotonic()
    region.run_jobs()
    assert time.monotonic() - began < 10  # three jobs answered 429 with Retry-After 30: nobody slept on it
    job = Job.fetch(job_id(f"digest:{MONDAY}"), connection=services.redis)
    assert job.get_status() == JobStatus.SCHEDULED  # RQ's scheduler runs it again after Retry-After
    due_in = (ScheduledJobRegistry("slack", connection=services.redis).get_scheduled_time(job)
              - datetime.now(UTC)).total_seconds()
    assert 20 < due_in <= 30
    assert f"digest:{MONDAY}" not in sent(region)
    assert f"digest:{MONDAY}" not in tick(services, at("2011-01-10T09:01"))
    region.slack.clear_faults()
    with pytest.raises(Later):  # Slack's wait holds the channel back for every worker
        send_digest(MONDAY)
    assert f"digest:{MONDAY}" not in sent(region)


def test_slack_takes_a_post_to_someone_who_has_left_and_says_so_only_in_users_info(region):
    region.slack.departed.add(MEMBER)
    client = WebClient(token="xoxb-test", base_url=region.slack.api_url)
    assert client.chat_postMessage(channel=MEMBER, text="Are you there?")["ok"]
    assert client.users_info(user=MEMBER)["user"]["deleted"] is True


def test_a_lead_who_has_left_is_nudged_and_reminded_in_the_channel_once(region):
    region.slack.departed.add(MEMBER)
    with worker_services().session() as session:
        [leicester] = [c for c in session.exec(select(Conversation)) if c.title == "Leicester"]
        add_reminder(session, MEMBER, leicester, When(at("2011-01-10T09:00"), ""), "Call the housing officer")
    tick(worker_services(), at("2011-01-10T09:00"))
    region.run_jobs()
    tick(worker_services(), at("2011-01-10T10:00"))
    region.run_jobs()

    def in_channel() -> list[str]:
        return [str(c.args["blocks"]) for c in region.slack.calls_to("chat.postMessage")
                if c.args["channel"] == TEAM_CHANNEL and "whom I could not reach" in str(c.args["blocks"])]

    [nudge, reminder] = sorted(in_channel(), key=lambda said: "Call the housing officer" in said)
    assert f"<@{MEMBER}>" in nudge and "Quiet for over 21 days" in nudge
    assert f"<@{MEMBER}>" in reminder and "Call the housing officer" in reminder
    assert {f"nudge:{MEMBER}:2011-01-10"} < set(sent(region))
    assert [r.closed_how for r in region.rows(Reminder)] == ["sent"]
    # Slack would have taken a DM to the deactivated account without a word: none was sent.
    assert not [c for c in region.slack.calls_to("chat.postMessage") if c.args["channel"] == MEMBER]
    assert len([c for c in region.slack.calls_to("users.info") if c.args["user"] == MEMBER]) == 1  # kept


def test_database_down_when_the_job_fires_it_fails_and_later_sends_once(region, monkeypatch):
    from bot.settings import get_settings
    from models.errors import ServiceDown

    good = os.environ["DATABASE_URL"]
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:9/none")
    get_settings.cache_clear()
    worker_services.cache_clear()
    with pytest.raises(ServiceDown):
        send_digest(MONDAY)
    assert not region.slack.calls_to("chat.postMessage")
    monkeypatch.setenv("DATABASE_URL", good)
    get_settings.cache_clear()
    worker_services.cache_clear()
    assert send_digest(MONDAY).startswith("sent")
    assert send_digest(MONDAY) == "already sent"


# --- personal reminders over HTTP ------------------------------------------------------

def test_a_personal_reminder_arrives_once_and_can_be_snoozed_and_done(workspace):
    workspace.command("start Leicester")
    workspace.run_jobs()
    confirmation = workspace.command("remind Leicester 2099-01-10 14:00 Call the housing officer").json
    assert "I'll remind you 10 Jan 2099 14:00 about *Leicester*: Call the housing officer" in confirmation["text"]
    [reminder] = workspace.rows(Reminder)

    services = worker_services()
    assert tick(services, at("2099-01-10T13:59")) == []
    assert tick(services, at("2099-01-10T14:00")) == [f"reminder:{reminder.id}:{reminder.due_at.isoformat()}"]
    assert tick(services, at("2099-01-10T14:01")) == []
    workspace.run_jobs()
    [dm] = [c.args for c in workspace.slack.calls_to("chat.postMessage") if c.args["channel"] == MEMBER]
    assert "Call the housing officer" in dm["text"]
    assert "<https://em-housing.slack.com/archives/C0TEAM/p" in str(dm["blocks"])
    workspace.run_jobs()
    assert tick(services, at("2099-01-10T15:30")) == []

    buttons = {e["action_id"]: e for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"]}
    workspace.press(buttons["reminder_snooze"])
    snoozed = [r for r in workspace.responses() if r.get("replace_original")][0]
    assert "Snoozed" in snoozed["text"]
    [reminder] = workspace.rows(Reminder)
    assert reminder.closed_at is None
    workspace.press(buttons["reminder_done"])
    workspace.responses(2)
    assert workspace.rows(Reminder)[0].closed_how == "done"


def test_reminders_list_has_cancel_buttons(workspace):
    workspace.command("start Leicester")
    workspace.command("remind Leicester every monday 9:00 Check the numbers")
    listing = workspace.command("reminders")
    assert "every week" in listing.message_text and "Check the numbers" in listing.message_text
    [cancel] = [b["accessory"] for b in listing.json["blocks"] if "accessory" in b]
    workspace.press(cancel)
    workspace.responses()
    assert workspace.rows(Reminder)[0].closed_how == "cancelled"
    assert "no reminders" in workspace.command("reminders").message_text


@pytest.mark.parametrize("text, says", [
    ("remind Leicester whenever Call Jo", "Times that work"),
    ("remind Leicester 2001-01-01 Call Jo", "is in the past"),
    ("remind Leicester tomorrow 9am", "What should I remind you of?"),
    ("remind Leicster tomorrow Call Jo", "Did you mean Leicester"),
    ("remind", "Which area, when, and what?"),
])
def test_bad_reminders_are_answered_and_nothing_is_saved(workspace, text, says):
    reply = workspace.command(text)
    assert says in reply.message_text
    workspace.settle()
    assert not workspace.rows(Reminder)


def test_a_reminder_for_an_area_without_a_conversation_offers_to_start_one(workspace):
    offer = workspace.command("remind Gedling tomorrow 9am Call Jo").json
    assert "Gedling has no Single Conversation yet" in offer["text"]
    button = offer["blocks"][0]["accessory"]
    workspace.press(button)
    started = [r for r in workspace.responses() if r.get("replace_original")][0]
    assert "Started the Single Conversation with *Gedling*" in started["text"]
    assert not workspace.rows(Reminder)


def test_managers_change_the_digest_without_restarting_the_clock(workspace):
    assert "Only managers" in workspace.command("settings", user=MEMBER).message_text
    workspace.join(MANAGER)
    workspace.command("settings", user=MANAGER)
    view = workspace.slack.wait_for("views.open")[0].args["view"]
    values = {
        "digest_day": {"digest_day": {"type": "static_select", "selected_option": {"value": "wednesday"}}},
        "digest_time": {"digest_time": {"type": "timepicker", "selected_time": "10:30"}},
        "digest_channel": {"digest_channel": {"type": "channels_select", "selected_channel": "C0DIGEST"}},
        "stale_days": {"stale_days": {"type": "plain_text_input", "value": "many"}},
        "target_date": {"target_date": {"type": "datepicker", "selected_date": "2011-06-01"}},
    }
    assert "number of days" in workspace.submit(view, values, user=MANAGER).json["errors"]["stale_days"]
    values["stale_days"]["stale_days"]["value"] = "14"
    saved = workspace.submit(view, values, user=MANAGER).json
    assert saved["response_action"] == "update"  # the form now says what was saved
    said = " ".join(block["text"]["text"] for block in saved["view"]["blocks"])
    for setting in ("<#C0DIGEST> on Wednesdays at 10:30", "quiet for 14 days", "1 Jun 2011"):
        assert setting in said
    services = worker_services()
    assert tick(services, at("2011-01-10T09:00")) == []
    assert tick(services, at("2011-01-12T10:30")) == ["digest:2011-01-12T10:30:00+00:00"]
    workspace.run_jobs()
    [post] = [c.args for c in workspace.slack.calls_to("chat.postMessage")]
    assert post["channel"] == "C0DIGEST" and "140 days" in str(post["blocks"])
