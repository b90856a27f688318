"""The "Log to Single Conversation" message shortcut, over HTTP against the stand-in Slack, and in the console.

A message shortcut arrives as Slack sends it (type message_action, the manifest's callback id, the message as
Slack holds it: its text in Slack's markup); the form opens with the shortcut's trigger id; the note is saved
in the form's acknowledgement and posted in the conversation's thread with a link back to the message.
"""
import io
import json
import re
import threading
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from bot.offline import payloads
from bot.offline.console import run_console
from bot.views.forms import area_options
from bot.views.ids import FormId, ShortcutId
from models.areas import load_directory
from models.db import get_engine, session_scope
from models.migrate import upgrade
from models.tables import Conversation, LogEntry
from models.text import LOG_TEXT_MAX, NUL_REFUSED
from tests.test_console import console_settings
from tests.workspace import MEMBER, OUTSIDER, TEAM_CHANNEL

NOTES = "C0NOTES"  # a public channel the bot is not in
PRIVATE = "G0PRIVATE"  # a private one it is not in: Slack gives the bot no link to its messages
OFFICER = "U0OFFICER"
LEICESTER, DERBY = "E06000016", "E06000015"
WRITTEN = "1294056000.000100"  # 3 Jan 2011 12:00 in London
LINK = "https://em-housing.slack.com/archives/C0NOTES/p1294056000000100"


def slack_message(text: str, ts: str = WRITTEN, **more) -> dict:
    """A person's message as Slack holds it and sends it in a shortcut: `text` in Slack's markup."""
    return {"type": "message", "user": OFFICER, "ts": ts, "text": text, "team": "T0REGION", **more}


def use_shortcut(workspace, message: dict, channel: str = NOTES, user: str = MEMBER):
    """The person uses the shortcut on `message`, which is in `channel`: (the acknowledgement, its trigger id)."""
    workspace.slack.remember(channel, message)
    body, content_type = payloads.message_shortcut(ShortcutId.LOG_MESSAGE, message, channel, user, user.lower(),
                                                   workspace.slack.response_url(user))
    trigger = json.loads(parse_qs(body)["payload"][0])["trigger_id"]
    return workspace.post(body, content_type), trigger


def opened_form(workspace, count: int = 1) -> dict:
    view = workspace.slack.wait_for("views.open", count)[-1].args["view"]
    return json.loads(view) if isinstance(view, str) else view


def field(view: dict, block_id: str) -> dict:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)["element"]


def said(view: dict) -> str:
    return "\n".join(b["text"]["text"] for b in view["blocks"] if b["type"] == "section")


def chosen(code: str, text: str) -> dict:
    return {"areas": {"areas": {"type": "static_select", "selected_option": {
        "text": {"type": "plain_text", "text": code}, "value": code}}},
            "text": {"text": {"type": "plain_text_input", "value": text}}}


def notes(workspace) -> list[LogEntry]:
    return [e for e in workspace.rows(LogEntry) if e.kind == "note"]


def thread_replies(workspace) -> list[str]:
    [conversation] = [c for c in workspace.rows(Conversation) if c.title == "Leicester"]
    return [m["blocks"][0]["text"]["text"] for m in workspace.slack.thread(TEAM_CHANNEL, conversation.card_ts)]


def told(workspace, user: str = MEMBER) -> list[dict]:
    return [c.args for c in workspace.slack.calls_to("response_url") if c.args["key"] == user]


def test_the_manifest_declares_the_shortcut_the_bot_answers():
    manifest = (Path(__file__).parent.parent / "manifest.yml").read_text()
    shortcuts = manifest.split("  shortcuts:\n", 1)[1].split("\n  slash_commands:", 1)[0]
    assert re.search(r"- name: Log to Single Conversation\n\s+type: message\n\s+callback_id: (\w+)",
                     shortcuts).group(1) == ShortcutId.LOG_MESSAGE


def test_a_shortcut_opens_the_form_and_logs_the_message_in_leicesters_thread_once(workspace):
    workspace.command("start Leicester")
    workspace.run_jobs()
    message = slack_message("Met Leicester's housing team &amp; agreed the SHMA &lt;draft&gt; with <@U0MEMBER>")
    reply, trigger = use_shortcut(workspace, message)
    assert reply.status == 200 and reply.text == ""

    [opened] = workspace.slack.wait_for("views.open")
    assert opened.args["trigger_id"] == trigger
    view = opened_form(workspace)
    assert view["callback_id"] == FormId.LOG_MESSAGE
    # Slack's escaping undone once: the text as the officer wrote it, the person picked from the menu kept.
    written = "Met Leicester's housing team & agreed the SHMA <draft> with <@U0MEMBER>"
    assert field(view, "text")["initial_value"] == written
    assert said(view) == f"From <@{OFFICER}> in <#{NOTES}>, 3 Jan 2011 12:00. <{LINK}|Open the message>."
    assert field(view, "areas")["type"] == "static_select"

    assert workspace.submit(view, chosen("area:" + LEICESTER, written)).text == ""
    [entry] = notes(workspace)
    assert (entry.text, entry.source_channel, entry.source_ts, entry.source_url) == (written, NOTES, WRITTEN, LINK)
    [answer] = workspace.responses()
    [card] = workspace.rows(Conversation)
    assert answer["response_type"] == "ephemeral"
    assert answer["text"] == (f":memo: Logged in the Single Conversation with *Leicester*: see "
                              f"<{card.card_url}|its thread>.")
    workspace.run_jobs()
    assert thread_replies(workspace)[-1].endswith(
        f":link: From <{LINK}|a message> of 3 Jan 2011 12:00\n"
        "Met Leicester's housing team &amp; agreed the SHMA &lt;draft&gt; with <@U0MEMBER>")

    # Again, from the same form and from a fresh one: nothing is logged twice.
    refused = workspace.submit(view, chosen("area:" + LEICESTER, written)).json
    assert refused["response_action"] == "errors"
    assert refused["errors"]["areas"].startswith("That message is already in the log of Leicester (logged on ")
    use_shortcut(workspace, message)
    again = opened_form(workspace, 2)
    assert workspace.submit(again, chosen("area:" + LEICESTER, "Edited, but the same message")).json[
        "errors"]["areas"].startswith("That message is already in the log of Leicester")
    workspace.run_jobs()
    workspace.settle()
    assert len(notes(workspace)) == 1
    assert sum(LINK in reply for reply in thread_replies(workspace)) == 1
    assert len(told(workspace)) == 1


def test_the_same_message_may_go_to_another_conversation(workspace):
    workspace.command("start Leicester")
    workspace.command("start Derby")
    use_shortcut(workspace, slack_message("Joint meeting on the A52 corridor"))
    view = opened_form(workspace)
    for code in (LEICESTER, DERBY):
        assert workspace.submit(view, chosen("area:" + code, "Joint meeting on the A52 corridor")).text == ""
    assert sorted(e.conversation_id for e in notes(workspace)) == sorted(c.id for c in workspace.rows(Conversation))


def test_the_same_message_sent_twice_at_once_is_logged_once(workspace):
    workspace.command("start Leicester")
    use_shortcut(workspace, slack_message("Cabinet agreed the plan"))
    view = opened_form(workspace)
    both = threading.Barrier(2)
    replies = []

    def send() -> None:
        both.wait()
        replies.append(workspace.submit(view, chosen("area:" + LEICESTER, "Cabinet agreed the plan")))

    senders = [threading.Thread(target=send) for _ in range(2)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    assert sorted(r.text == "" for r in replies) == [False, True]
    [refusal] = [r.json for r in replies if r.text]
    assert refusal["errors"]["areas"].startswith("That message is already in the log of Leicester")
    workspace.settle()
    assert len(notes(workspace)) == 1 and len(told(workspace)) == 1


def test_outsiders_get_no_form_and_log_nothing(workspace):
    workspace.command("start Leicester")
    use_shortcut(workspace, slack_message("A note"), user=OUTSIDER)
    [refusal] = workspace.responses(user=OUTSIDER)
    assert "Only the regional team" in refusal["text"]

    use_shortcut(workspace, slack_message("A note"))
    view = opened_form(workspace)
    workspace.leave(MEMBER)  # the form was opened while they were in the team
    reply = workspace.submit(view, chosen("area:" + LEICESTER, "A note")).json
    assert "Only the regional team" in reply["errors"]["areas"]
    workspace.settle()
    assert not notes(workspace) and not told(workspace)
    assert len(workspace.slack.calls_to("views.open")) == 1


@pytest.mark.parametrize("choice, error", [
    ("area:" + DERBY, "Derby has no Single Conversation yet. Start one with `/sc start Derby`."),
    ("area:E99999999", "That list of areas is out of date: open the form again."),
    ("hma:Nowhere HMA", "That list of areas is out of date: open the form again."),
    ("", "Choose at least one area or an HMA."),
], ids=["not-begun", "unknown-area", "unknown-hma", "none"])
def test_an_area_without_a_conversation_or_unknown_is_refused_beside_the_chooser(workspace, choice, error):
    workspace.command("start Leicester")
    use_shortcut(workspace, slack_message("A note"))
    reply = workspace.submit(opened_form(workspace), chosen(choice, "A note"))
    assert reply.json == {"response_action": "errors", "errors": {"areas": error}}
    assert not notes(workspace)


def test_a_file_share_with_no_text_asks_for_the_text_and_links_to_the_file(workspace):
    workspace.command("start Leicester")
    shared = slack_message("", subtype="file_share", upload=False,
                           files=[{"id": "F0MINUTES", "name": "minutes <3 Jan>.pdf", "title": "Minutes"}])
    use_shortcut(workspace, shared)
    view = opened_form(workspace)
    assert "initial_value" not in field(view, "text")
    assert (":warning: This message has no text I can copy: it shares *minutes &lt;3 Jan&gt;.pdf*. "
            "Write what to log below.") in said(view)
    blank = workspace.submit(view, chosen("area:" + LEICESTER, "  ")).json
    assert blank["errors"] == {"text": "The log entry is empty: write what to record after the area."}
    assert workspace.submit(view, chosen("area:" + LEICESTER, "Minutes of the 3 Jan meeting")).text == ""
    [entry] = notes(workspace)
    assert (entry.text, entry.source_url) == ("Minutes of the 3 Jan meeting", LINK)


def test_an_apps_message_of_attachments_only_names_no_person(workspace):
    use_shortcut(workspace, {"type": "message", "subtype": "bot_message", "bot_id": "B0ALERTS",
                             "username": "Planning alerts", "ts": WRITTEN, "text": "",
                             "attachments": [{"fallback": "New application", "text": "New application"}]})
    view = opened_form(workspace)
    assert said(view).startswith(f"From an app in <#{NOTES}>, 3 Jan 2011 12:00.")
    assert "it has only attachments" in said(view)


def test_a_message_slack_gives_no_link_to_is_logged_saying_so(workspace):
    workspace.command("start Leicester")
    workspace.slack.private.add(PRIVATE)
    use_shortcut(workspace, slack_message("Forwarded from the council"), channel=PRIVATE)
    view = opened_form(workspace)
    assert "I can't link to it, as it is in a conversation I'm not in" in said(view)
    assert workspace.submit(view, chosen("area:" + LEICESTER, "Forwarded from the council")).text == ""
    [entry] = notes(workspace)
    assert (entry.source_channel, entry.source_url) == (PRIVATE, None)
    workspace.run_jobs()
    assert thread_replies(workspace)[-1].endswith(
        ":link: From a message of 3 Jan 2011 12:00 in a conversation I can't link to\nForwarded from the council")


def test_a_message_longer_than_a_log_entry_is_cut_to_fit_and_a_longer_text_refused(workspace):
    workspace.command("start Leicester")
    long = " ".join(["word"] * 1000)  # 4,999 characters
    use_shortcut(workspace, slack_message(long))
    view = opened_form(workspace)
    assert field(view, "text")["initial_value"] == long[:LOG_TEXT_MAX]
    assert field(view, "text")["max_length"] == LOG_TEXT_MAX
    assert ":scissors: The message is 4,999 characters long and a log entry holds 2,800" in said(view)
    too_long = workspace.submit(view, chosen("area:" + LEICESTER, "x" * (LOG_TEXT_MAX + 1))).json
    assert too_long["errors"]["text"].startswith("The log entry is 2,801 characters long")
    assert not notes(workspace)


def test_nul_is_refused_in_the_message_and_in_the_form(workspace):
    workspace.command("start Leicester")
    use_shortcut(workspace, slack_message("Pasted\x00text"))
    [refusal] = workspace.responses()
    assert "NUL character" in refusal["text"]
    use_shortcut(workspace, slack_message("Clean text"))
    view = opened_form(workspace)
    reply = workspace.submit(view, chosen("area:" + LEICESTER, "Edited\x00in the form"))
    assert reply.json == {"response_action": "errors", "errors": {"text": NUL_REFUSED}}
    workspace.settle()
    assert not notes(workspace) and len(workspace.slack.calls_to("views.open")) == 1


@pytest.mark.parametrize("metadata", [
    "", "not json", "{}", json.dumps({"channel": "C1; DROP", "ts": WRITTEN, "url": "", "reply": ""}),
    json.dumps({"channel": NOTES, "ts": WRITTEN, "url": "javascript:alert(1)", "reply": ""}),
    json.dumps({"channel": NOTES, "ts": WRITTEN, "url": "", "reply": "file:///etc/passwd"}),
])
def test_a_forged_form_is_refused(workspace, metadata):
    workspace.command("start Leicester")
    use_shortcut(workspace, slack_message("A note"))
    view = {**opened_form(workspace), "private_metadata": metadata}
    reply = workspace.submit(view, chosen("area:" + LEICESTER, "A note"))
    assert "out of date or not one of mine" in reply.json["errors"]["areas"]
    assert not notes(workspace)


def test_help_names_the_shortcut(workspace):
    assert "*Log to Single Conversation*" in workspace.command("help").message_text


def test_the_console_logs_a_message_from_notes(tmp_path, redis_server_url):
    settings = console_settings(tmp_path, redis_server_url).model_copy(update={"sc_now": "2010-11-02T09:00"})
    stdout = io.StringIO()
    upgrade(settings.effective_database_url)
    with session_scope(get_engine(settings.effective_database_url)) as db:
        options = [option["value"] for group in area_options(load_directory(db)) for option in group["options"]]
    leicester = str(options.index("area:" + LEICESTER) + 1)
    lines = ["/sc start Leicester", "/message Met the housing team & agreed <the draft>", "/shortcut", leicester, "",
             "/shortcut", leicester, "", "cancel"]
    run_console(settings, stdin=io.StringIO("".join(line + "\n" for line in lines)), stdout=stdout)
    output = stdout.getvalue()
    assert "Form: Log to conversation" in output
    assert ":memo: Logged in the Single Conversation with Leicester: see its thread" in output
    assert re.search(r":link: From a message \(https://em-housing\.slack\.com/archives/CNOTES/p\d+\) of .*\n"
                     r".*Met the housing team & agreed <the draft>\n", output)
    assert "That message is already in the log of Leicester" in output
