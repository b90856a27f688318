"""Text people type, and names from imported files, are shown as typed on every surface: never a
mention, a link or markup that Slack acts on."""
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session

from bot.clock import tick
from bot.offline.payloads import as_slack_sends
from bot.views import conversation as conversation_views
from bot.views import reminders as reminder_views
from bot.views.extracts import files_comment, status_message
from bot.views.home import home_view
from bot.views.mentions import (
    lead_answer,
    not_begun_answer,
    overdue_answer,
    short_progress,
)
from bot.views.progress import progress_message
from jobs import worker_services
from jobs.reminders import send_digest
from models import clock
from models.areas import load_directory
from models.conversations import ConversationView
from models.db import get_engine
from models.migrate import upgrade
from models.progress import measure, not_begun, scope_of
from models.reminders import Digest, Moved, Nudge
from models.tables import ActionItem, Conversation, ExtractRequest, LogEntry, Reminder
from tests.workspace import MEMBER, TEAM_CHANNEL, MarkupWalk

HOSTILE = "<!channel> & <b>x</b> =1+1 <http://evil|click>"
ESCAPED = "&lt;!channel&gt; &amp; &lt;b&gt;x&lt;/b&gt; =1+1 &lt;http://evil|click&gt;"


def shown(mrkdwn: str) -> str:
    """What a person reads of mrkdwn: Slack turns its three escapes back into the characters."""
    return mrkdwn.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def carrying(sent: list[tuple[str, dict]]) -> dict[str, int]:
    """How many payloads of each kind hold the hostile text, escaped."""
    found: dict[str, int] = {}
    for method, payload in sent:
        if ESCAPED in json.dumps(payload).replace("\\u0026", "&") or ESCAPED in str(payload):
            found[method] = found.get(method, 0) + 1
    return found


def opened(workspace, count: int) -> dict:
    view = workspace.slack.wait_for("views.open", count)[-1].args["view"]
    return json.loads(view) if isinstance(view, str) else view


def assert_shown_as_typed(sent: list[tuple[str, dict]]) -> MarkupWalk:
    walk = MarkupWalk()
    walk.check(sent)
    assert walk.payloads == len(sent) and walk.strings > len(sent)
    return walk


# --- the walker itself ---------------------------------------------------------------------------

@pytest.mark.parametrize("payload", [
    {"text": "Reminder: <!channel>"},
    {"text": "ok", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "<!here> look"}}]},
    {"text": "ok", "blocks": json.dumps([{"type": "section", "fields": [{"type": "mrkdwn", "text": "<!subteam^S1>"}]}])},
    {"view": json.dumps({"type": "home", "blocks": [{"type": "context", "elements": [
        {"type": "mrkdwn", "text": "<http://evil|click>"}]}]})},
    {"initial_comment": "Extract #1 for <b>x</b>"},
    {"text": "<mailto:a@b.c|mail me>"},
    {"text": "<!everyone>"},
])
def test_the_walker_finds_user_markup_wherever_slack_formats_text(payload):
    assert MarkupWalk().live_markup(payload)


def test_the_walker_lets_the_bots_own_markup_and_unformatted_fields_be():
    payload = {
        "text": f"<@{MEMBER}> in <#{TEAM_CHANNEL}>: <https://em-housing.slack.com/archives/C0TEAM/p1|See it here.> {ESCAPED}",
        "blocks": [{"type": "header", "text": {"type": "plain_text", "text": HOSTILE}},
                   {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": HOSTILE},
                                                     "value": HOSTILE, "action_id": "x"}]}],
        "view": {"type": "modal", "private_metadata": HOSTILE, "blocks": [{"type": "input", "element": {
            "type": "plain_text_input", "initial_value": HOSTILE}}]},
        "files": json.dumps([{"id": "F1", "title": HOSTILE}]),
        "errors": {"areas": HOSTILE},
    }
    walk = MarkupWalk()
    assert walk.live_markup(payload) == []
    assert walk.strings >= 3


# --- every input, every surface, over HTTP -------------------------------------------------------

def test_hostile_text_reaches_every_surface_as_typed_and_no_mention_fires(workspace):
    ws = workspace
    ws.command("start Leicester")
    ws.command(f"log Leicester {HOSTILE}")
    answers = [ws.command(typed).message_text for typed in (f"action Leicester {HOSTILE} due 2099-01-10",
                                                           f"remind Leicester 2099-01-10 14:00 {HOSTILE}")]
    assert all(HOSTILE in shown(answer) for answer in answers)
    ws.run_jobs()
    [card] = ws.channel_messages()
    thread = [m for m in ws.slack.thread(TEAM_CHANNEL, card["ts"])]
    assert sum(HOSTILE in shown(m["text"]) for m in thread) == 2  # the log entry and the action

    # Mistakes echo what was typed.
    for typed in (f"stage Leicester {HOSTILE}", f"extract Leicester {HOSTILE}", f"show {HOSTILE}", HOSTILE):
        reply = ws.command(typed)
        assert reply.status == 200 and "<!channel>" in shown(reply.message_text), typed

    # What was saved, shown back.
    assert HOSTILE in shown(ws.command("show Leicester").message_text)
    listing = ws.command("actions")
    assert HOSTILE in shown(listing.message_text)
    assert HOSTILE in shown(ws.command("reminders").message_text)
    [done] = [b["accessory"] for b in listing.json["blocks"] if "accessory" in b]
    ws.press(done)
    [reply] = ws.slack.wait_for("response_url", where=lambda a: a.get("replace_original"))
    assert HOSTILE in shown(reply.args["text"])

    # Forms: the details and a log entry typed into modals.
    ws.press([e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]
              if e["action_id"] == "card_edit"][0], message=card)
    edit = opened(ws, 1)
    values = {"lead": {"lead": {"type": "users_select", "selected_user": MEMBER}},
              "contacts": {"contacts": {"type": "plain_text_input", "value": HOSTILE}},
              "first_meeting": {"first_meeting": {"type": "datepicker", "selected_date": None}},
              "notes": {"notes": {"type": "plain_text_input", "value": HOSTILE}}}
    assert ws.submit(edit, values).status == 200
    ws.press([e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]
              if e["action_id"] == "card_log"][0], message=card)
    log_form = opened(ws, 2)
    assert ws.submit(log_form, {"text": {"text": {"type": "plain_text_input", "value": HOSTILE}}}).status == 200

    # A title from an imported areas file: the card, the reminder, the digest, Home and a mention's answer.
    with ws.engine.begin() as connection:
        connection.execute(text("UPDATE conversation SET title = :t"), {"t": HOSTILE})
    ws.settle()
    ws.run_jobs()
    [card] = ws.channel_messages()
    assert HOSTILE in shown(card["text"])
    assert card["blocks"][0]["text"] == {"type": "plain_text", "text": f"Single Conversation: {HOSTILE}",
                                         "emoji": True}  # plain text: shown as it is, never formatted
    said = [f["text"] for b in card["blocks"] for f in b.get("fields", [])]
    said += [b["text"]["text"] for b in card["blocks"] if b["type"] == "section" and "text" in b]
    assert f"*Local authority contacts*\n{ESCAPED}" in said and f"*Notes*\n{ESCAPED}" in said

    [reminder] = ws.rows(Reminder)
    services = worker_services()
    assert tick(services, clock.local(reminder.due_at)) == [f"reminder:{reminder.id}:{reminder.due_at.isoformat()}"]
    ws.run_jobs()
    [dm] = [c.args for c in ws.slack.calls_to("chat.postMessage") if c.args["channel"] == MEMBER]
    assert shown(dm["text"]) == f"Reminder: {HOSTILE}"

    monday = clock.now().replace(hour=9, minute=0, second=0, microsecond=0)
    assert send_digest((monday - timedelta(days=monday.weekday())).isoformat()).startswith("sent")

    ws.event({"type": "app_home_opened", "user": MEMBER, "channel": "D" + MEMBER[1:], "tab": "home",
              "event_ts": "1.1"}, "EvHOSTILEHOME")
    ws.slack.wait_for("views.publish")
    ws.event({"type": "app_mention", "user": MEMBER, "text": f"<@U0SCBOT> who leads {as_slack_sends(HOSTILE)}",
              "ts": "1700000000.000200", "channel": TEAM_CHANNEL, "event_ts": "1700000000.000200"}, "EvHOSTILEASK")
    [answer] = ws.slack.wait_for("chat.postMessage", where=lambda a: a.get("thread_ts") == "1700000000.000200")
    assert "<b>x</b> =1+1 <http://evil|click>" in shown(answer.args["text"])
    ws.settle()

    sent = ws.everything_sent()
    assert_shown_as_typed(sent)
    seen = carrying(sent)
    for method in ("ack", "response_url", "chat.postMessage", "chat.update", "views.publish"):
        assert seen.get(method), f"no {method} carried the hostile text: {seen}"
    assert not any("<!channel>" in m.get("text", "") for m in ws.slack.messages.values())


# --- names from imported files, through every view -----------------------------------------------

@pytest.fixture
def hostile_directory(tmp_path):
    """The region's areas, one of them and its HMA named with markup, as an imported file could."""
    url = f"sqlite:///{tmp_path / 'areas.sqlite3'}"
    upgrade(url)
    with get_engine(url).begin() as connection:
        connection.execute(text("UPDATE area SET name = :n, hma = :h WHERE code = 'E06000016'"),
                           {"n": HOSTILE, "h": HOSTILE + " HMA"})
    with Session(get_engine(url)) as session:
        yield session, load_directory(session)


def test_area_and_hma_names_are_shown_as_typed_in_every_view(hostile_directory):
    session, directory = hostile_directory
    clock.configure("Europe/London")
    today = clock.today()
    progress = measure(session, directory, scope_of(directory, HOSTILE + " HMA"), today, date(2099, 1, 1))
    conversation = Conversation(id=1, title=HOSTILE, lead_user_id=MEMBER, stage="engaged", started_at=clock.now(),
                                last_activity_at=clock.now(), contacts=HOSTILE, notes=HOSTILE)
    action = ActionItem(id=1, conversation_id=1, text=HOSTILE, owner_user_id=MEMBER, due_on=today,
                        created_by=MEMBER, created_at=clock.now())
    reminder = Reminder(id=1, conversation_id=1, user_id=MEMBER, text=HOSTILE, due_at=clock.now(),
                        created_at=clock.now())
    request = ExtractRequest(id=1, subject=HOSTILE, subject_kind="area", area_codes="E06000016", requested_by=MEMBER,
                             requested_at=clock.now(), state="failed", reason=HOSTILE, first_year=2008,
                             last_year=2011, topics="people", formats="pdf")
    entry = LogEntry(id=1, conversation_id=1, author_user_id=MEMBER, kind="note", text=HOSTILE, created_at=clock.now())
    view = ConversationView(conversation, [HOSTILE], notes=[entry], open_actions=[action])
    bodies = [
        conversation_views.areas_message(directory, {}, ""),
        conversation_views.areas_message(directory, {}, HOSTILE),
        conversation_views.message("", conversation_views.action_blocks([action], {1: HOSTILE}, "all")),
        progress_message(progress),
        home_view(progress, [conversation], [action], {1: HOSTILE}),
        reminder_views.reminder_message(reminder, HOSTILE, ""),
        reminder_views.reminder_message(reminder, HOSTILE, "https://em-housing.slack.com/archives/C0TEAM/p1",
                                        fallback_for=MEMBER),
        reminder_views.reminders_list([reminder], {1: HOSTILE}),
        reminder_views.nudge_message(Nudge(actions=[(action, HOSTILE)], quiet=[conversation]), 21,
                                     {conversation.id: HOSTILE}, fallback_for=MEMBER),
        # A Slack display name is anyone's text too.
        reminder_views.digest_message(Digest(clock.now(), progress, [Moved(HOSTILE, HOSTILE, MEMBER)], {}),
                                      {MEMBER: HOSTILE}),
        status_message(request),
        {"text": files_comment(request)},
        {"text": short_progress(progress)},
        {"text": lead_answer(HOSTILE, conversation)},
        {"text": lead_answer(HOSTILE, None)},
        {"text": not_begun_answer(HOSTILE, not_begun(session, directory, progress.scope))},
        {"text": overdue_answer([(action, HOSTILE)], today + timedelta(days=3))},
        conversation_views.card_message(view),
        conversation_views.show_message(view),
        conversation_views.log_entry_message(entry),
    ]
    sent = [("view", body) for body in bodies]
    assert_shown_as_typed(sent)
    assert carrying(sent) == {"view": len(bodies)}
