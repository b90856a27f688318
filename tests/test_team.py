"""Who may write: the team channel's members, as the bot hears of them from Slack, and answers that never wait.

Writes are saved and answered in the acknowledgement; who may write is known from the database, not asked
of Slack; no input, however long, holds up an acknowledgement."""
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from jobs.membership import refresh_members
from models.commands import COMMAND_TEXT_MAX
from models.db import session_scope
from models.tables import Conversation, LogEntry, Reminder
from models.team import heard, read_whole_list, roster
from tests.workspace import MEMBER, OUTSIDER, TEAM_CHANNEL

NOT_TEAM = "Only the regional team can change Single Conversations"


def test_joining_and_leaving_the_team_channel_changes_who_may_write(workspace):
    assert NOT_TEAM in workspace.command("start Derby", user=OUTSIDER).message_text
    workspace.join(OUTSIDER)
    assert "Started the Single Conversation with *Derby*" in workspace.command("start Derby", user=OUTSIDER).json["text"]
    workspace.leave(OUTSIDER)
    assert NOT_TEAM in workspace.command("log Derby Still here?", user=OUTSIDER).message_text
    assert [e.kind for e in workspace.rows(LogEntry)] == ["start"]


def test_an_event_slack_never_delivered_is_caught_by_the_periodic_read(workspace):
    # OUTSIDER joins, but the bot misses the event; the clock's read of the whole list finds them.
    workspace.slack.members.add(OUTSIDER)
    assert NOT_TEAM in workspace.command("start Derby", user=OUTSIDER).message_text
    assert refresh_members() == 2
    assert "Started" in workspace.command("start Derby", user=OUTSIDER).json["text"]
    # And MEMBER leaves unheard: the next read takes the right away.
    workspace.slack.members.discard(MEMBER)
    refresh_members()
    assert NOT_TEAM in workspace.command("log Derby Met them").message_text


def test_a_list_read_before_a_leave_does_not_bring_the_leaver_back(tmp_path):
    from models.db import get_engine
    from models.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'team.sqlite3'}"
    upgrade(url)
    asked, left = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc), datetime(2026, 1, 5, 9, 0, 1, tzinfo=timezone.utc)
    with session_scope(get_engine(url)) as session:
        assert roster(session, TEAM_CHANNEL).includes(MEMBER) is None  # never read: not known either way
        heard(session, TEAM_CHANNEL, "U0JO", False, left)  # Jo leaves while Slack's list is on its way
        heard(session, TEAM_CHANNEL, "U0NEW", True, left)  # and someone new joins
        read_whole_list(session, TEAM_CHANNEL, {MEMBER, "U0JO"}, asked)  # the list, asked for before either
    with session_scope(get_engine(url)) as session:
        team = roster(session, TEAM_CHANNEL)
        assert (team.includes(MEMBER), team.includes("U0JO"), team.includes("U0NEW")) == (True, False, True)
        assert team.includes(OUTSIDER) is False  # the list is read: anyone not on it is outside
        # An older event, delivered late, changes nothing either.
        heard(session, TEAM_CHANNEL, "U0JO", True, left - timedelta(minutes=5))
    with session_scope(get_engine(url)) as session:
        assert roster(session, TEAM_CHANNEL).includes("U0JO") is False


def test_a_busy_conversation_makes_one_thread_job_and_every_entry_reaches_the_thread(workspace):
    workspace.command("start Leicester")
    for n in range(5):
        assert "Logged" in workspace.command(f"log Leicester Meeting {n}").json["text"]
    assert len(workspace.rows(LogEntry)) == 6  # each saved by the time it was acknowledged
    assert workspace.run_jobs() == 1
    [card] = workspace.channel_messages()
    thread = [m["text"] for m in workspace.slack.thread(TEAM_CHANNEL, card["ts"])]
    assert len(thread) == 6 and all(f"Meeting {n}" in thread[n + 1] for n in range(5))
    # A write after the job began queues a new one.
    workspace.command("log Leicester Later")
    assert workspace.run_jobs() == 1
    assert "Later" in workspace.slack.thread(TEAM_CHANNEL, card["ts"])[-1]["text"]
    workspace.settle()
    assert not workspace.slack.calls_to("response_url")  # every answer came in its acknowledgement


def test_a_command_longer_than_any_can_be_is_refused_before_it_is_read(workspace):
    workspace.command("start Leicester")
    for text in ("log Leicester " + "word " * 700, "remind Leicester tomorrow 9am " + "x" * 4000,
                 "nosuchcommand " + "y" * 3500):
        started = time.monotonic()
        said = workspace.command(text).message_text
        assert time.monotonic() - started < 3
        assert f"the longest a command can be is {COMMAND_TEXT_MAX:,}" in said
    assert [e.kind for e in workspace.rows(LogEntry)] == ["start"] and not workspace.rows(Reminder)


def test_long_reminders_from_many_people_at_once_hold_up_nobody(workspace):
    """The time of a reminder is read from its first few words, however long the reminder is."""
    workspace.command("start Leicester")
    long_reminder = "remind Leicester tomorrow 9am Call the housing officer about " + "the plan " * 100
    many_words = "remind Leicester " + " ".join(["soon"] * 400)  # no time in it at all
    with ThreadPoolExecutor(21) as pool:
        started = time.monotonic()
        reminders = [pool.submit(workspace.command, long_reminder) for _ in range(10)]
        unread = [pool.submit(workspace.command, many_words, OUTSIDER) for _ in range(5)]
        unread += [pool.submit(workspace.command, many_words) for _ in range(5)]
        help_reply = pool.submit(workspace.command, "help", OUTSIDER)
        said = [r.result().message_text for r in reminders]
        refused = [r.result().message_text for r in unread]
        assert "/sc start" in help_reply.result().message_text
        assert time.monotonic() - started < 3
    assert all("I'll remind you" in s for s in said)
    assert all(NOT_TEAM in s for s in refused[:5])
    assert all("I couldn't read when to remind you in “soon soon soon soon soon soon …”" in s for s in refused[5:])
    assert len(workspace.rows(Reminder)) == 10


def test_writes_are_saved_when_acknowledged_and_slack_is_not_called_before(workspace):
    reply = workspace.command("start Rutland")
    assert "Started the Single Conversation with *Rutland*" in reply.json["text"]
    [conversation] = workspace.rows(Conversation)  # saved before the acknowledgement
    assert conversation.title == "Rutland"
    workspace.settle()
    assert not [c for c in workspace.slack.calls if c.method != "auth.test"]  # the thread waits for the worker
