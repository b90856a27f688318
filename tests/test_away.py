"""Away and deputies over HTTP: `/sc away until <date> [@deputy]` and `/sc back`, with the clock's nudges,
reminders and digest, on a server whose clock says Monday 22 November 2010, 10:00."""
from datetime import datetime

import pytest
import redis

from bot.clock import tick
from jobs import worker_services
from models import clock
from models.absence import AwayRequest, set_away
from models.conversations import require_conversation
from models.db import get_engine
from models.migrate import upgrade
from models.reminders import When, add_reminder
from models.tables import Absence, Delivery, Reminder
from tests.conftest import CLEARED_TABLES, clean_slate, running_bot
from tests.workspace import (
    MEMBER,
    OUTSIDER,
    TEAM_CHANNEL,
    Workspace,
)

NOW = "2010-11-22T10:00"  # a Monday
DEPUTY = "U0DEPUTY"


def at(when: str) -> datetime:
    return clock.parse_instant(when)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def pinned(request, tmp_path_factory, redis_server_url, slack):
    """`scbot serve` on each backend with SC_NOW at NOW."""
    with running_bot(request.param, tmp_path_factory.mktemp(f"away-{request.param}"), redis_server_url, slack,
                     SC_NOW=NOW) as bot:
        yield Workspace(bot.base_url, slack, get_engine(bot.database_url), redis.Redis.from_url(redis_server_url),
                        bot.pid), bot.env


@pytest.fixture
def team(pinned, slack, monkeypatch):
    """A clean slate on the pinned server, MEMBER and DEPUTY in the team; jobs run here read its settings and
    this process's clock says NOW until a test moves it."""
    workspace, env = pinned
    with clean_slate(workspace, env, slack, monkeypatch, NOW, CLEARED_TABLES):
        slack.users.update({DEPUTY: "deputy"})
        workspace.join(MEMBER)
        workspace.join(DEPUTY)
        yield workspace
        slack.users.pop(DEPUTY, None)


def run_at(team: Workspace, when: str) -> list[str]:
    """The clock looks at `when`, and a worker (whose clock says `when` too) sends what it queued."""
    clock.pin(at(when))
    queued = tick(worker_services(), at(when))
    team.run_jobs()
    return queued


def posts_to(team: Workspace, channel: str) -> list[str]:
    return [str(c.args["blocks"]) for c in team.slack.calls_to("chat.postMessage") if c.args["channel"] == channel]


def leicester_with_work(team: Workspace) -> None:
    """Leicester led by MEMBER, with an action due Tuesday and a reminder for Wednesday 14:00."""
    team.command("start Leicester")
    team.command("action Leicester Send the SHMA figures due 2010-11-23")
    assert "I'll remind you" in team.command("remind Leicester 2010-11-24 14:00 Call the housing officer").json["text"]
    team.run_jobs()


def test_away_moves_nudges_to_the_deputy_holds_reminders_and_the_day_back_releases_them_once(team):
    leicester_with_work(team)
    reply = team.command(f"away until 2010-12-01 <@{DEPUTY}|deputy>").json["text"]
    assert reply.startswith(f":palm_tree: You're away until 1 Dec 2010 (back that morning): <@{DEPUTY}> gets your "
                            "nudges, and your reminders wait for you until then.")
    team.run_jobs()
    card = team.slack.calls_to("chat.update")[-1].args
    assert f"*Lead*\\n<@{MEMBER}>\\n_away until 1 Dec 2010; <@{DEPUTY}> covers_" in str(card["blocks"])
    assert f"_away until 1 Dec 2010; <@{DEPUTY}> covers_" in team.command("show Leicester").message_text
    [word] = posts_to(team, DEPUTY)
    assert f"<@{MEMBER}> is away until 1 Dec 2010 and named you to cover: their nudges come to you" in word
    team.slack.reset()

    assert f"nudge:{MEMBER}:2010-11-23" in run_at(team, "2010-11-23T09:00")
    [nudge] = posts_to(team, DEPUTY)
    assert f"<@{MEMBER}> is away until 1 Dec 2010 and you cover for them" in nudge and "Send the SHMA figures" in nudge
    assert not posts_to(team, MEMBER)
    assert not any(k.startswith("reminder:") for k in run_at(team, "2010-11-24T14:00"))  # the reminder waits
    team.slack.reset()
    queued = run_at(team, "2010-11-29T09:00")  # Monday: the digest, and the nudge again
    assert f"nudge:{MEMBER}:2010-11-29" in queued and not any(k.startswith("reminder:") for k in queued)
    [digest] = [said for said in posts_to(team, TEAM_CHANNEL) if "Weekly Single Conversation digest" in said]
    assert "*Away*\\n• member, back 1 Dec 2010: deputy covers" in digest
    [nudge] = posts_to(team, DEPUTY)
    assert "you cover for them" in nudge and not posts_to(team, MEMBER)

    # The day back, from 09:00: the reminder goes once, the nudge is theirs again, the card no longer names a deputy.
    assert not any(k.startswith("reminder:") for k in run_at(team, "2010-12-01T08:59"))
    team.slack.reset()
    queued = run_at(team, "2010-12-01T09:00")
    [reminder] = team.rows(Reminder)
    assert sorted(queued) == sorted([f"back:{MEMBER}:2010-12-01", f"nudge:{MEMBER}:2010-12-01",
                                     f"reminder:{reminder.id}:2010-11-24T14:00:00+00:00"])
    to_member = posts_to(team, MEMBER)
    assert len(to_member) == 2 and sum("Call the housing officer" in said for said in to_member) == 1
    assert not posts_to(team, DEPUTY)
    [card] = [c.args for c in team.slack.calls_to("chat.update")]
    assert "away until" not in str(card["blocks"]) and DEPUTY not in str(card["blocks"])
    assert run_at(team, "2010-12-01T09:01") == []
    assert run_at(team, "2010-12-02T10:00") == [f"nudge:{MEMBER}:2010-12-02"]
    assert len(posts_to(team, MEMBER)) == 3  # Thursday's nudge only


def test_back_releases_the_reminders_that_waited_each_once(team):
    """Away since Saturday (set then, in this process's clock), a reminder due Sunday waits; `/sc back` on
    Monday releases it at the clock's next look, once, and the nudges are theirs again."""
    leicester_with_work(team)
    with worker_services().session() as session:
        clock.pin(at("2010-11-20T10:00"))
        set_away(session, MEMBER, AwayRequest(at("2010-12-01T00:00").date(), DEPUTY), clock.now())
        conversation = require_conversation(session, worker_services().directory().resolve("Leicester"))
        add_reminder(session, MEMBER, conversation, When(at("2010-11-21T12:00"), ""), "Read the SHMA")
    assert run_at(team, "2010-11-21T12:00") == []
    clock.pin(at(NOW))
    reply = team.command("back").json["text"]
    assert reply == ":wave: Welcome back. Your nudges come to you again. The 1 reminder that waited for you " \
                    "arrives within a minute."
    team.run_jobs()
    card = team.slack.calls_to("chat.update")[-1].args
    assert "away until" not in str(card["blocks"])
    [read_it] = [r for r in team.rows(Reminder) if r.text == "Read the SHMA"]
    assert f"reminder:{read_it.id}:2010-11-21T12:00:00+00:00" in run_at(team, "2010-11-22T10:00")
    assert run_at(team, "2010-11-22T10:01") == []
    assert [said for said in posts_to(team, MEMBER) if "Read the SHMA" in said]
    assert len(posts_to(team, MEMBER)) == 1
    assert run_at(team, "2010-11-23T09:00") == [f"nudge:{MEMBER}:2010-11-23"]
    assert len(posts_to(team, MEMBER)) == 2 and not posts_to(team, DEPUTY)
    assert "not marked away" in team.command("back").message_text


def test_with_nobody_named_the_team_channel_has_the_nudges_and_the_digest_says_so(team):
    leicester_with_work(team)
    reply = team.command("away until next wednesday").json["text"]  # 1 Dec 2010
    assert "away until 1 Dec 2010" in reply and f"your nudges go to <#{TEAM_CHANNEL}>, as you named nobody" in reply
    run_at(team, "2010-11-29T09:00")
    [nudge] = [said for said in posts_to(team, TEAM_CHANNEL) if "who is away until" in said]
    assert f"For <@{MEMBER}>, who is away until 1 Dec 2010" in nudge and "Send the SHMA figures" in nudge
    [digest] = [said for said in posts_to(team, TEAM_CHANNEL) if "Weekly Single Conversation digest" in said]
    assert "• member, back 1 Dec 2010: nobody named, so their nudges come to this channel" in digest
    assert not posts_to(team, MEMBER)


def test_a_deputy_away_too_passes_the_nudge_to_the_team_channel(team):
    leicester_with_work(team)
    team.command(f"away until 2010-12-01 <@{DEPUTY}>")
    team.command(f"away until 2010-11-30 <@{MEMBER}|member>", user=DEPUTY)
    team.run_jobs()
    team.slack.reset()  # the words to the deputies named
    run_at(team, "2010-11-23T09:00")
    assert not posts_to(team, DEPUTY) and not posts_to(team, MEMBER)
    [nudge] = [said for said in posts_to(team, TEAM_CHANNEL) if "who is away until" in said]
    assert f"For <@{MEMBER}>, who is away until 1 Dec 2010" in nudge


def test_a_deputy_who_has_left_the_workspace_passes_the_nudge_to_the_team_channel(team):
    leicester_with_work(team)
    team.command(f"away until 2010-12-01 <@{DEPUTY}>")
    team.run_jobs()
    team.slack.reset()
    team.slack.departed.add(DEPUTY)
    run_at(team, "2010-11-23T09:00")
    assert not posts_to(team, DEPUTY) and not posts_to(team, MEMBER)
    [nudge] = [said for said in posts_to(team, TEAM_CHANNEL) if "who is away until" in said]
    assert f"For <@{MEMBER}>, who is away until 1 Dec 2010" in nudge


def test_saying_it_again_replaces_the_absence_and_says_so(team):
    team.command(f"away until 2010-12-01 <@{DEPUTY}|deputy>")
    reply = team.command("away until 2010-12-03").json["text"]
    assert "away until 3 Dec 2010" in reply
    assert reply.endswith(f"This replaces your absence until 1 Dec 2010, <@{DEPUTY}> covering.")
    [absence] = team.rows(Absence)
    assert (str(absence.back_on), absence.deputy_user_id) == ("2010-12-03", "")


@pytest.mark.parametrize("typed, says", [
    ("away until 2010-11-01", "“2010-11-01” is 1 Nov 2010: give the day you are back, after today."),
    ("away until today", "give the day you are back, after today"),
    ("away until blursday", "I couldn't read “blursday” as a date"),
    ("away until 2010-02-30", "is not a date in the calendar"),
    ("away until 2012-01-10", "more than a year away"),
    ("away", "Until when, and who covers?"),
    (f"away <@{DEPUTY}>", "Until when, and who covers?"),
    (f"away until 2010-12-01 <@{MEMBER}|member>", "You can't cover for yourself"),
    (f"away until 2010-12-01 <@{OUTSIDER}|olive>", f"<@{OUTSIDER}> is not in the team"),
    (f"away until 2010-12-01 <@{DEPUTY}> <@{OUTSIDER}>", "Name one deputy"),
    ("away until 2010-12-01 @jo", "pick them from Slack's @ menu"),
    ("back", "You're not marked away"),
])
def test_bad_input_is_answered_and_nothing_is_saved(team, typed, says):
    assert says in team.command(typed).message_text
    team.settle()
    assert not team.rows(Absence) and not team.slack.calls_to("chat.update")


def test_only_the_team_goes_away(team):
    assert "Only the regional team" in team.command("away until 2010-12-01", user=OUTSIDER).message_text
    assert "Only the regional team" in team.command("back", user=OUTSIDER).message_text
    team.settle()
    assert not team.rows(Absence)


def test_help_names_away_and_back(team):
    said = team.command("help").message_text
    assert "`/sc away until &lt;date&gt; [@deputy]`" in said or "`/sc away until <date> [@deputy]`" in said
    assert "`/sc back`" in said


def test_a_covered_nudge_run_twice_is_sent_once(team):
    """A nudge job run twice (RQ retrying it) for someone away sends once, to their deputy's DM."""
    from jobs.reminders import send_nudge

    leicester_with_work(team)
    team.command(f"away until 2010-12-01 <@{DEPUTY}>")
    clock.pin(at("2010-11-23T09:00"))
    team.run_jobs()
    assert send_nudge(MEMBER, "2010-11-23T09:00:00+00:00") == f"sent to D{DEPUTY[1:]}"
    assert send_nudge(MEMBER, "2010-11-23T09:00:00+00:00") == "already sent"
    assert [d.key for d in team.rows(Delivery)] == [f"nudge:{MEMBER}:2010-11-23"]


def test_away_and_back_in_the_console(tmp_path, redis_server_url):
    """As typed into `scbot console`: the card names who covers while the lead is away, and not after."""
    from tests.test_console import CARD_UPDATED, ONLY_YOU, console_settings, run, shown

    settings = console_settings(tmp_path, redis_server_url).model_copy(update={"sc_now": NOW})
    upgrade(settings.effective_database_url)
    said = dict(run(settings, "/user bob", "/join", "/user alice", "/sc start Leicester",
                    "/sc away until 2010-12-01 @bob", "/sc back"))
    away = said["/sc away until 2010-12-01 @bob"]
    assert "You're away until 1 Dec 2010 (back that morning): @bob gets your nudges" in shown(away, ONLY_YOU)
    assert "away until 1 Dec 2010; @bob covers" in shown(away, CARD_UPDATED)
    back = said["/sc back"]
    assert "Welcome back. Your nudges come to you again." in shown(back, ONLY_YOU)
    assert "away until" not in shown(back, CARD_UPDATED)
