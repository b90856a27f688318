"""Real Slack's habits, where they differ from a naive reading: command text arrives entity-escaped, form
inputs do not; channels the bot is not in refuse its posts and uploads; forms arrive in shapes of every kind."""
import json
import time
from urllib.parse import parse_qsl, quote, urlencode

import pytest
from rq import Queue

from bot.offline import payloads as slack_payloads
from bot.services import QUEUES
from jobs.reminders import send_digest
from models.slack_text import read_sent_text
from models.tables import ActionItem, Conversation, Delivery, ExtractRequest, LogEntry
from tests.workspace import MANAGER, MEMBER, TEAM_CHANNEL

DM = "D" + MEMBER[1:]  # the stand-in's direct messages with MEMBER
ELSEWHERE = "C0ELSEWHERE"  # a public channel the bot is not in


def opened(workspace) -> dict:
    view = workspace.slack.wait_for("views.open")[0].args["view"]
    return json.loads(view) if isinstance(view, str) else view


# --- command text: read once ------------------------------------------------------------------------

@pytest.mark.parametrize("sent, meant", [
    ("Leicester R&amp;D budget &lt;draft&gt;", "Leicester R&D budget <draft>"),
    ("Northern HMA (North Derbyshire &amp; Bassetlaw)", "Northern HMA (North Derbyshire & Bassetlaw)"),
    ("typed &amp;amp; literally", "typed &amp; literally"),  # decoded once, never twice
    ("ask <@U0JO|jo> and <@W0ENT>", "ask <@U0JO|jo> and <@W0ENT>"),  # people stay as Slack named them
    ("see <#C0TEAM|single-conversations>", "see <#C0TEAM|single-conversations>"),
    ("<!here> <!channel> <!subteam^S0LEADS|@leads>", "@here @channel @leads"),  # words, never pings
    ("<https://example.org/a?b=1&amp;c=2> or <http://example.org|example.org>",
     "https://example.org/a?b=1&c=2 or example.org"),
    ("&lt;!channel&gt; typed as text", "<!channel> typed as text"),
])
def test_slack_escaping_is_undone_once(sent, meant):
    assert read_sent_text(sent) == meant


def sent_by_slack(workspace, text: str, channel: str = TEAM_CHANNEL, user: str = MEMBER):
    """A slash command whose `text` is exactly as Slack sends it (already escaped)."""
    form = dict(parse_qsl(slack_payloads.slash_command("", user, user.lower(), channel,
                                                       workspace.slack.response_url(user))[0]))
    return workspace.post(urlencode({**form, "text": text}), "application/x-www-form-urlencoded")


def test_a_log_with_ampersands_and_brackets_is_stored_as_typed_and_shown_once_escaped(workspace):
    workspace.command("start Leicester")
    # Byte for byte what Slack posts for `/sc log Leicester R&D budget <draft>`.
    body = ("token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0REGION&team_domain=em-housing&channel_id=C0TEAM"
            "&channel_name=single-conversations&user_id=U0MEMBER&user_name=member&command=%2Fsc"
            "&text=log+Leicester+R%26amp%3BD+budget+%26lt%3Bdraft%26gt%3B&api_app_id=A0SCBOT"
            "&is_enterprise_install=false&response_url=" + quote(workspace.slack.response_url(MEMBER), safe="")
            + f"&trigger_id=13345224609.738474920.{int(time.time())}")
    reply = workspace.post(body, "application/x-www-form-urlencoded")
    assert "Logged for *Leicester*" in reply.json["text"]
    assert [e.text for e in workspace.rows(LogEntry) if e.kind == "note"] == ["R&D budget <draft>"]
    workspace.run_jobs()
    [card] = workspace.channel_messages()
    entry = workspace.slack.thread(TEAM_CHANNEL, card["ts"])[1]
    assert "R&amp;D budget &lt;draft&gt;" in entry["blocks"][0]["text"]["text"]
    assert "R&amp;D budget &lt;draft&gt;" in entry["text"]
    shown = workspace.command("show Leicester").message_text
    assert "R&amp;D budget &lt;draft&gt;" in shown and "&amp;amp;" not in shown


def test_an_hma_with_an_ampersand_in_its_name_is_found(workspace):
    reply = sent_by_slack(workspace, "start Northern HMA (North Derbyshire &amp; Bassetlaw)")
    assert "Started the Single Conversation with *Northern HMA (North Derbyshire &amp; Bassetlaw)*" in reply.json["text"]
    [conversation] = workspace.rows(Conversation)
    assert conversation.title == "Northern HMA (North Derbyshire & Bassetlaw)"


def test_a_mention_naming_an_hma_with_an_ampersand_is_answered_about_it(workspace):
    workspace.command("start Northern HMA (North Derbyshire & Bassetlaw)")
    asked = "<@U0SCBOT> who leads Northern HMA (North Derbyshire &amp; Bassetlaw)?"
    workspace.event({"type": "app_mention", "user": MEMBER, "text": asked, "ts": "1700000000.000700",
                     "channel": TEAM_CHANNEL, "event_ts": "1700000000.000700"}, "EvAMPERSAND")
    [answer] = workspace.slack.wait_for("chat.postMessage", where=lambda a: a.get("thread_ts") == "1700000000.000700")
    assert f"<@{MEMBER}>" in answer.args["text"]
    assert "&amp;amp;" not in answer.args["text"]


def test_an_action_names_its_owner_by_the_mention_slack_sends(workspace):
    workspace.command("start Leicester")
    reply = sent_by_slack(workspace, "action Leicester Send the R&amp;D figures <@U0JO|jo>")
    assert "Action for <@U0JO>" in reply.json["text"]
    [action] = workspace.rows(ActionItem)
    assert (action.owner_user_id, action.text) == ("U0JO", "Send the R&D figures")


def test_a_channel_named_in_a_log_is_shown_as_that_channel_and_a_special_mention_as_words(workspace):
    workspace.command("start Leicester")
    sent_by_slack(workspace, "log Leicester Moved to <#C0PLANS|plans> &amp; told <!here>")
    workspace.run_jobs()
    [card] = workspace.channel_messages()
    entry = workspace.slack.thread(TEAM_CHANNEL, card["ts"])[1]["blocks"][0]["text"]["text"]
    assert "Moved to <#C0PLANS> &amp; told @here" in entry


def test_form_inputs_arrive_as_typed_and_are_stored_so(workspace):
    """Slack sends a plain_text_input's value as typed, not entity-escaped: it is not decoded."""
    workspace.command("start Leicester")
    workspace.command("log Leicester")
    view = opened(workspace)
    typed = "R&D budget <draft> &amp; more"
    assert workspace.submit(view, {"text": {"text": {"type": "plain_text_input", "value": typed}}}).text == ""
    assert typed in [e.text for e in workspace.rows(LogEntry)]


# --- forms in every shape -----------------------------------------------------------------------

def submit_raw(workspace, view: dict, state):
    """A view submission whose `state` is exactly `state`."""
    body, content_type = slack_payloads.view_submission(view, {}, MEMBER, "member")
    payload = json.loads(dict(parse_qsl(body))["payload"])
    payload["view"]["state"] = state
    return workspace.post(urlencode({"payload": json.dumps(payload)}), content_type)


def log_view(workspace) -> dict:
    workspace.command("start Leicester")
    workspace.command("log Leicester")
    return opened(workspace)


@pytest.mark.parametrize("state, said", [
    ({}, "empty"),  # what Slack sends for a form with no inputs
    ({"values": {}}, "empty"),
    ([], "empty"),
    ("garbled", "empty"),
    ({"values": []}, "empty"),
    ({"values": {"text": "Met them"}}, "empty"),
    ({"values": {"text": {"text": "Met them"}}}, "empty"),
    ({"values": {"text": {"text": {"type": "plain_text_input", "value": ["Met", "them"]}}}}, "out of date"),
    ({"values": {"text": {"text": {"type": "plain_text_input", "value": 42}}}}, "out of date"),
])
def test_a_log_form_in_any_shape_is_answered_beside_the_field(workspace, state, said):
    view = log_view(workspace)
    reply = submit_raw(workspace, view, state)
    assert reply.status == 200 and reply.json["response_action"] == "errors"
    assert said in reply.json["errors"]["text"]
    assert [e.kind for e in workspace.rows(LogEntry)] == ["start"]


def start_view(workspace) -> dict:
    workspace.command("start")
    return opened(workspace)


def rutland(**lead) -> dict:
    return {"areas": {"areas": {"type": "multi_static_select", "selected_options": [{"value": "area:E06000017"}]}},
            "lead": {"lead": {"type": "users_select", **lead}}}


@pytest.mark.parametrize("lead, said", [
    ({}, "Choose who leads"), ({"selected_user": None}, "Choose who leads"), ({"selected_user": ""}, "Choose who leads"),
    ({"selected_user": "nobody"}, "Choose who leads"), ({"selected_user": "<!channel>"}, "Choose who leads"),
    ({"selected_user": 42}, "out of date"), ({"selected_user": ["U0LEAD"]}, "out of date"),
    ({"selected_user": {"id": "U0LEAD"}}, "out of date"),
])
def test_a_start_form_with_no_person_as_lead_is_refused_beside_the_lead(workspace, lead, said):
    reply = workspace.submit(start_view(workspace), rutland(**lead))
    assert reply.json["response_action"] == "errors" and said in reply.json["errors"]["lead"]
    assert not workspace.rows(Conversation)


@pytest.mark.parametrize("values, field", [
    ({"areas": {"areas": {"type": "multi_static_select", "selected_options": "area:E06000017"}}}, "areas"),
    ({"areas": {"areas": {"type": "multi_static_select", "selected_options": ["area:E06000017"]}}}, "areas"),
    ({"areas": {"areas": {"type": "multi_static_select", "selected_options": [{"value": 17}]}}}, "areas"),
    ({"areas": {"areas": {"type": "plain_text_input", "value": {"text": "Rutland"}}}}, "areas"),
    ({**rutland(selected_user=MEMBER), "first_meeting": {"first_meeting": {"selected_date": 20101115}}},
     "first_meeting"),
    ({**rutland(selected_user=MEMBER), "notes": {"notes": {"type": "plain_text_input", "value": ["a"]}}}, "notes"),
])
def test_wrong_shaped_start_forms_are_answered_beside_the_field(workspace, values, field):
    reply = workspace.submit(start_view(workspace), values)
    assert reply.status == 200 and reply.json["response_action"] == "errors" and field in reply.json["errors"]
    assert not workspace.rows(Conversation)


def stage_view(workspace) -> dict:
    workspace.command("start Leicester")
    workspace.run_jobs()
    [card] = workspace.channel_messages()
    button = next({**e, "block_id": "b"} for b in card["blocks"] if b["type"] == "actions"
                  for e in b["elements"] if e["action_id"] == "card_stage")
    workspace.press(button, message=card)
    return opened(workspace)


@pytest.mark.parametrize("chosen", ["evidence", ["evidence"], {"value": ["evidence"]}, {"value": None}])
def test_wrong_shaped_stage_choices_are_answered_not_a_fault(workspace, chosen):
    reply = workspace.submit(stage_view(workspace), {"stage": {"stage": {"type": "static_select",
                                                                          "selected_option": chosen}}})
    assert reply.status == 200 and "stage" in reply.json["errors"]
    [conversation] = workspace.rows(Conversation)
    assert conversation.stage == "engaged"


def test_a_stage_form_left_open_while_the_stage_moved_changes_nothing(workspace):
    view = stage_view(workspace)
    assert "now at" in workspace.command("stage Leicester evidence").json["text"]  # someone else, meanwhile
    pick = {"stage": {"stage": {"type": "static_select", "selected_option": {"value": "delivery"}}}}
    reply = workspace.submit(view, pick)
    assert "was moved to the stage `evidence` since" in reply.json["errors"]["stage"]
    [conversation] = workspace.rows(Conversation)
    assert conversation.stage == "evidence"


# --- channels the bot is not in ---------------------------------------------------------------------

def failed_or_retrying(workspace) -> list[str]:
    """Jobs RQ holds as failed, or waiting to be retried."""
    found = []
    for name in QUEUES:
        queue = Queue(name, connection=workspace.redis)
        found += queue.failed_job_registry.get_job_ids() + queue.scheduled_job_registry.get_job_ids()
    return found


def direct_messages(workspace, user: str = MEMBER) -> list[str]:
    return [m["text"] for (channel, _), m in sorted(workspace.slack.messages.items()) if channel == "D" + user[1:]]


def test_a_chart_shared_where_the_bot_is_not_comes_privately_with_why_once(workspace):
    reply = sent_by_slack(workspace, "progress share chart", channel=ELSEWHERE)
    assert reply.json["response_type"] == "in_channel"
    workspace.run_jobs()
    refused = [c for c in workspace.slack.calls_to("files.completeUploadExternal") if c.args["channel_id"] == ELSEWHERE]
    assert len(refused) == 1  # not retried: another try would be refused the same
    [chart] = [f for f in workspace.slack.files.values() if f["shared"]]
    assert chart["shared"]["channel"] == DM and chart["name"].startswith("burn-up-")
    [note] = [t for t in direct_messages(workspace) if "couldn't go to" in t]
    assert f"The burn-up chart couldn't go to <#{ELSEWHERE}>: I'm not in that channel" in note
    assert "/invite @scbot" in note
    assert failed_or_retrying(workspace) == []


def test_a_passing_fault_on_the_chart_is_still_retried(workspace):
    sent_by_slack(workspace, "progress share chart")
    workspace.slack.fail_next("files.completeUploadExternal", status=503, times=10)
    workspace.run_jobs()
    assert len(failed_or_retrying(workspace)) == 1
    assert not [t for t in direct_messages(workspace) if "couldn't go to" in t]


@pytest.mark.parametrize("where, said", [
    ("archived", "that channel is archived"),
    ("private", "I can't see that channel"),
    ("public", "I'm not in that channel"),
])
def test_a_thread_the_bot_cannot_post_in_tells_the_author_once(workspace, where, said):
    if where == "archived":
        workspace.slack.archived.add(TEAM_CHANNEL)
    else:
        workspace.slack.joined.discard(TEAM_CHANNEL)
        if where == "private":
            workspace.slack.private.add(TEAM_CHANNEL)
    workspace.command("start Leicester")
    workspace.run_jobs()
    posts = workspace.slack.calls_to("chat.postMessage")
    assert [c.args["channel"] for c in posts] == [TEAM_CHANNEL, MEMBER]
    [note] = direct_messages(workspace)
    assert "Your change to *Leicester* is saved, but I couldn't post it in its thread" in note and said in note
    assert failed_or_retrying(workspace) == []
    [conversation] = workspace.rows(Conversation)
    assert not conversation.card_ts  # still to post, once the bot can


def test_a_refused_thread_is_tried_again_later_not_every_minute_and_each_change_is_told_once(workspace, monkeypatch):
    from bot.clock import catch_up
    from jobs import threads, worker_services

    colleague = "U0COLLEAGUE"
    workspace.join(colleague)
    workspace.slack.joined.discard(TEAM_CHANNEL)
    workspace.command("start Leicester")
    workspace.run_jobs()
    services = worker_services()
    # The clock's minute passes: the refusal holds for now, so nothing is queued and no one is told again.
    assert catch_up(services) == 0
    assert workspace.run_jobs() == 0
    [note] = direct_messages(workspace)
    assert "I'll try again every 10 minutes and post it once I can" in note
    # A new change is tried at once: only its own author hears, and only of it.
    workspace.command("log Leicester Met the housing team", user=colleague)
    workspace.run_jobs()
    assert len(direct_messages(workspace)) == 1 and len(direct_messages(workspace, colleague)) == 1
    # The bot is invited; once the refusal lapses (one second here, ten minutes in use), the clock's next
    # minute brings the thread level with nobody told again.
    workspace.slack.joined.add(TEAM_CHANNEL)
    monkeypatch.setattr(threads, "HOLD_SECONDS", 1)
    workspace.command("log Leicester Sent the figures", user=colleague)  # refused once more, held for 1 s now
    workspace.slack.joined.discard(TEAM_CHANNEL)
    workspace.run_jobs()
    workspace.slack.joined.add(TEAM_CHANNEL)
    assert catch_up(services) == 0
    time.sleep(1.1)  # real time passing: the one-second hold lapses
    assert catch_up(services) == 1
    workspace.run_jobs()
    [card] = workspace.channel_messages()
    texts = [m["text"] for m in workspace.slack.thread(TEAM_CHANNEL, card["ts"])]
    assert len(texts) == 3 and "Met the housing team" in texts[1] and "Sent the figures" in texts[2]
    assert len(direct_messages(workspace)) == 1 and len(direct_messages(workspace, colleague)) == 2
    assert catch_up(services) == 0 and failed_or_retrying(workspace) == []


def test_an_extract_for_a_conversation_in_an_archived_channel_comes_privately(workspace):
    workspace.command("start Rutland")
    workspace.run_jobs()
    workspace.slack.archived.add(TEAM_CHANNEL)
    workspace.command("extract Rutland stock")
    workspace.responses()
    workspace.run_jobs()
    [request] = workspace.rows(ExtractRequest)
    assert request.state == "done" and request.status_channel == DM
    notes = [t for t in direct_messages(workspace) if "couldn't go to" in t]
    assert notes == [f":warning: Extract #{request.id} couldn't go to <#{TEAM_CHANNEL}>: that channel is archived. "
                     "It comes here instead."]
    assert {f["shared"]["channel"] for f in workspace.slack.files.values() if f["shared"]} == {DM}
    assert failed_or_retrying(workspace) == []


def test_a_digest_refused_by_its_channel_is_not_retried_and_the_managers_hear_once(workspace):
    workspace.slack.joined.discard(TEAM_CHANNEL)
    slot = "2011-01-10T09:00:00+00:00"
    assert send_digest(slot) == f"refused by {TEAM_CHANNEL}"
    assert send_digest(slot) == "already sent"
    [note] = direct_messages(workspace, MANAGER)
    assert f"The digest due now couldn't go to <#{TEAM_CHANNEL}>: I'm not in that channel" in note
    assert "/sc settings" in note
    [delivery] = workspace.rows(Delivery)
    assert (delivery.key, delivery.ts) == (f"digest:{slot}", "")


def test_the_stand_in_takes_replies_under_messages_the_bot_did_not_post(workspace):
    from slack_sdk import WebClient

    client = WebClient(token="xoxb-test", base_url=workspace.slack.api_url)
    reply = client.chat_postMessage(channel=TEAM_CHANNEL, thread_ts="1700000000.000100", text="under a person's message")
    assert reply["ok"] and reply["message"]["thread_ts"] == "1700000000.000100"
