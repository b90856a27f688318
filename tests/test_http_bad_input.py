"""Bad input gets a clear answer and nothing is written."""
import time

import pytest

from bot.offline import payloads as slack_payloads
from models.tables import ActionItem, Conversation, LogEntry
from tests.workspace import MEMBER, OUTSIDER, SECRET, STAFF


def nothing_written(workspace) -> bool:
    workspace.settle()
    return not workspace.rows(LogEntry) and not workspace.rows(ActionItem)


def start(workspace, area="Leicester"):
    workspace.command(f"start {area}")
    workspace.slack.reset()
    return workspace.rows(LogEntry)


@pytest.mark.parametrize("text, expected", [
    ("start Leicster", "Did you mean Leicester"),
    ("log Nottngham Core met", "Did you mean Nottingham Core HMA"),
    ("show Zzyzx", "`/sc areas` lists every area and HMA"),
    ("stage Leicester drafted-plan", "Did you mean `plan-drafted`?"),
    ("stage Leicester", "The stages, in order: `engaged`, `evidence`, `plan-drafted`"),
    ("log", "Which area, and what happened?"),
    ("action Leicester", "The action is empty"),
    ("action Leicester Send figures due 31/02/2011", "Dates that work"),
    ("action Leicester Send figures due 2011-13-01", "is not a date in the calendar"),
    ("action Leicester Call back @jo", "pick them from Slack's @ menu"),
    ("action Leicester Agree <@U1|a> <@U2|b>", "one owner"),
    ("frobnicate", "I don't know `/sc frobnicate`"),
])
def test_mistakes_are_answered_in_the_acknowledgement(workspace, text, expected):
    before = start(workspace)
    reply = workspace.command(text)
    assert reply.status == 200
    assert reply.json["response_type"] == "ephemeral"
    assert expected in reply.message_text
    workspace.settle()
    assert workspace.rows(LogEntry) == before and not workspace.rows(ActionItem)
    # Answered once: the lazy listener does not repeat the complaint.
    assert not workspace.slack.calls_to("response_url")


def test_text_over_slacks_limit_is_refused(workspace):
    before = start(workspace)
    reply = workspace.command("log Leicester " + "x" * 2801)
    assert "2,801 characters long; Slack shows at most 2,800" in reply.message_text
    workspace.settle()
    assert workspace.rows(LogEntry) == before


def test_logging_an_area_without_a_conversation_offers_to_start_one(workspace):
    answer = workspace.command("log Gedling Met them").json
    assert "Gedling has no Single Conversation yet. Start one with `/sc start Gedling`." in answer["text"]
    assert nothing_written(workspace)


def test_setting_the_same_stage_again_changes_nothing(workspace):
    before = start(workspace)
    answer = workspace.command("stage Leicester engaged").json
    assert "already at the stage `engaged`" in answer["text"]
    assert workspace.rows(LogEntry) == before


def test_user_text_is_escaped_so_nobody_is_pinged(workspace):
    start(workspace)
    workspace.command("log Leicester <!channel> costs & <b>benefits</b>")
    workspace.run_jobs()
    [entry_post] = [c.args for c in workspace.slack.calls_to("chat.postMessage")
                    if "costs" in c.args.get("text", "")]
    shown = str(entry_post["blocks"]) + entry_post["text"]
    assert "&lt;!channel&gt; costs &amp; &lt;b&gt;benefits&lt;/b&gt;" in shown
    assert "<!channel>" not in shown
    # Stored as typed: escaping is for showing, not for keeping.
    assert workspace.rows(LogEntry)[-1].text == "<!channel> costs & <b>benefits</b>"


def test_people_outside_the_team_may_read_but_not_write(workspace):
    start(workspace)
    refusal = workspace.command("log Leicester I am not on the team", user=OUTSIDER)
    assert "Only the regional team can change Single Conversations" in refusal.message_text
    assert len(workspace.rows(LogEntry)) == 1
    assert "Single Conversation: Leicester" in workspace.command("show Leicester", user=OUTSIDER).message_text

    # Staff listed in SC_STAFF may write without being in the channel.
    assert "Logged" in workspace.command("log Leicester Staff can", user=STAFF).json["text"]

    # Joining the channel gives the right to write.
    workspace.join(OUTSIDER)
    assert "Started" in workspace.command("start Derby", user=OUTSIDER).json["text"]


@pytest.mark.parametrize("headers", [
    {},  # unsigned
    {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=" + "0" * 64},
    "stale",
    "other secret",
])
def test_requests_without_a_good_signature_get_401_and_change_nothing(workspace, headers):
    body, content_type = slack_payloads.slash_command("start Leicester", MEMBER, "member", "C0TEAM",
                                                      workspace.slack.response_url())
    if headers == "stale":
        headers = slack_payloads.sign(body, SECRET, timestamp=int(time.time()) - 6 * 60)
    elif headers == "other secret":
        headers = slack_payloads.sign(body, "not-the-secret")
    reply = workspace.post(body, content_type, headers=headers, signed=False)
    assert reply.status == 401
    workspace.settle()
    assert not workspace.rows(Conversation)
    assert not workspace.slack.calls_to("response_url")


def test_asking_for_the_log_form_of_an_area_without_a_conversation(workspace):
    assert workspace.command("log Gedling").text == ""
    [answer] = workspace.responses()
    assert "Gedling has no Single Conversation yet" in answer["text"]
    assert not workspace.slack.calls_to("views.open")


def test_outsiders_asking_for_a_form_are_refused(workspace):
    answer = workspace.command("start", user=OUTSIDER)
    assert "Only the regional team" in answer.message_text
    assert not workspace.slack.calls_to("views.open")
