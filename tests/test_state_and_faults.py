"""Database faults answered clearly, state changed once under concurrent presses, forged values refused."""
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timezone

import psycopg
import pytest
from sqlalchemy import create_engine, event

from bot.offline.local_services import free_port, wait_until
from models.areas import load_directory
from models.conversations import Details, add_action, start_conversation
from models.db import get_engine, session_scope
from models.errors import ServiceDown
from models.migrate import upgrade
from models.tables import (
    ActionItem,
    BotSetting,
    Conversation,
    ExtractRequest,
    LogEntry,
    Reminder,
)
from models.team import read_whole_list
from tests.conftest import POSTGRES_URL, bot_environment, fresh_database, serve
from tests.workspace import MANAGER, MEMBER, TEAM_CHANNEL, Workspace

NOT_ACCEPTING = "The database is not accepting changes right now, so nothing was changed"


# --- database faults -------------------------------------------------------------------

def seed(database_url: str) -> tuple[int, int]:
    """Leicester's conversation with one open action, and the team channel's members as the bot read them
    while it could still write: (conversation id, action id)."""
    with session_scope(get_engine(database_url)) as session:
        read_whole_list(session, TEAM_CHANNEL, {MEMBER}, datetime.now(timezone.utc))
        directory = load_directory(session)
        conversation = start_conversation(session, directory, directory.resolve("Leicester"),
                                          Details(lead_user_id=MEMBER), MEMBER)
        action = add_action(session, conversation, "Send the figures", MEMBER, None, MEMBER)
        session.flush()
        ids = conversation.id, action.id
    get_engine(database_url).dispose()
    return ids


@contextmanager
def read_only_postgres(url: str):
    """New connections to the database start read-only, as on a standby or a database set so by its owner."""
    name = url.rpartition("/")[2]
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f"ALTER DATABASE {name} SET default_transaction_read_only = on")
    yield url


@contextmanager
def postgres_without_write_rights(url: str):
    """The bot's role may read every table and write none (as after a REVOKE)."""
    name = url.rpartition("/")[2]
    role = f"scbot_reader_{os.getpid()}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f"DROP ROLE IF EXISTS {role}")
        admin.execute(f"CREATE ROLE {role} LOGIN")
    with psycopg.connect(POSTGRES_URL.rpartition("/")[0] + f"/{name}", autocommit=True) as owner:
        owner.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
        owner.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    base = url.rpartition("/")[0].replace("postgres@", f"{role}@", 1)
    try:
        yield f"{base}/{name}"
    finally:
        get_engine(f"{base}/{name}").dispose()
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin.execute(f"DROP ROLE IF EXISTS {role}")


@contextmanager
def read_only_sqlite(url: str):
    """The file opened read-only (the tests run as root, for whom file modes don't stop a write)."""
    yield f"sqlite:///file:{url.removeprefix('sqlite:///')}?mode=ro&uri=true"


FAULTS = {
    "postgresql-read-only": ("postgresql", read_only_postgres),
    "postgresql-without-write-rights": ("postgresql", postgres_without_write_rights),
    "sqlite-read-only": ("sqlite", read_only_sqlite),
}


@pytest.fixture(params=list(FAULTS))
def unwritable(request, tmp_path, slack, redis_server_url):
    """`scbot serve` on a database that can be read but takes no change: (workspace, conversation id, action id)."""
    kind, fault = FAULTS[request.param]
    with fresh_database(kind, tmp_path) as writable:
        upgrade(writable)
        ids = seed(writable)
        with fault(writable) as database_url:
            env = bot_environment(database_url, redis_server_url, slack, tmp_path)
            port = free_port()
            process = serve(env, port, tmp_path / "server.log")
            bot = Workspace(f"http://127.0.0.1:{port}", slack, None, None)
            try:
                wait_until(lambda: process.poll() is None and bot_answers(bot), timeout=30, what="the server")
                slack.reset()
                slack.members.add(MEMBER)
                yield bot, *ids
            finally:
                process.terminate()
                process.wait(15)
                assert "Traceback" not in (tmp_path / "server.log").read_text()


def bot_answers(bot: Workspace) -> bool:
    try:
        return bot.get("/healthz").status in (200, 503)
    except OSError:
        return False


def test_a_database_that_takes_no_changes_is_named_on_every_surface(unwritable):
    bot, conversation_id, action_id = unwritable
    # A slash command: answered in the acknowledgement, which is where the write fails.
    reply = bot.command("log Leicester Met the housing team")
    assert reply.status == 200
    answer = reply.json
    assert NOT_ACCEPTING in answer["text"]

    # A form: the answer shows beside the field.
    log_form = {"type": "modal", "callback_id": "log_entry", "private_metadata": str(conversation_id),
                "blocks": [{"type": "input", "block_id": "text", "label": {"type": "plain_text", "text": "x"},
                            "element": {"type": "plain_text_input", "action_id": "text"}}]}
    reply = bot.submit(log_form, {"text": {"text": {"type": "plain_text_input", "value": "Met them"}}})
    assert reply.status == 200 and NOT_ACCEPTING in reply.json["errors"]["text"]

    # A button: a reply beside the message, which is left as it was.
    bot.press({"action_id": "action_done", "value": f"{action_id}:mine", "block_id": f"action-{action_id}"})
    [answer] = bot.responses()
    assert NOT_ACCEPTING in answer["text"] and answer["replace_original"] is False

    # An event: 503, so that Slack delivers it again once the database takes changes.
    mention = {"type": "app_mention", "user": MEMBER, "text": "<@U0SCBOT> hello", "ts": "1700000000.000100",
               "channel": TEAM_CHANNEL, "event_ts": "1700000000.000100"}
    assert bot.event(mention, "EvREADONLY").status == 503


def test_a_full_disk_is_named_as_not_accepting_changes(tmp_path):
    """SQLite's own "database or disk is full", brought about by capping the file at its present size."""
    url = f"sqlite:///{tmp_path / 'full.sqlite3'}"
    upgrade(url)
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def no_room(connection, _record):
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        connection.execute(f"PRAGMA max_page_count={pages}")

    now = datetime.now(timezone.utc)
    with pytest.raises(ServiceDown, match="^The database is not accepting changes$"):
        with session_scope(engine) as session:
            session.add(Conversation(title="Leicester", lead_user_id=MEMBER, stage="engaged", started_at=now,
                                     started_by=MEMBER, last_activity_at=now, notes="x" * 200_000))
    engine.dispose()


# --- NUL characters ------------------------------------------------------------------------

def log_form(conversation_id) -> dict:
    return {"type": "modal", "callback_id": "log_entry", "private_metadata": str(conversation_id),
            "blocks": [{"type": "input", "block_id": "text", "label": {"type": "plain_text", "text": "x"},
                        "element": {"type": "plain_text_input", "action_id": "text"}}]}


def test_a_nul_character_is_refused_on_every_surface_and_nothing_is_stored(workspace):
    workspace.command("start Leicester")
    [conversation] = workspace.rows(Conversation)
    # Refused in the acknowledgement: no listener runs, so there is nothing to wait for.
    for text in ("log Leicester Met\x00them", "action Leicester Call\x00 Jo", "remind Leicester tomorrow Call\x00",
                 "start Rut\x00land"):
        assert "NUL character" in workspace.command(text).message_text
    reply = workspace.submit(log_form(conversation.id), {"text": {"text": {"type": "plain_text_input",
                                                                           "value": "Met\x00them"}}})
    assert "NUL character" in reply.json["errors"]["text"]
    workspace.press({"action_id": "action_done", "value": "1\x00:mine"})
    [refusal] = workspace.responses()
    assert "NUL character" in refusal["text"]
    mention = {"type": "app_mention", "user": MEMBER, "text": "<@U0SCBOT> who leads Leicester\x00",
               "ts": "1700000000.000300", "channel": TEAM_CHANNEL, "event_ts": "1700000000.000300"}
    workspace.slack.remember(TEAM_CHANNEL, {"ts": mention["ts"], "user": MEMBER, "text": mention["text"]})
    assert workspace.event(mention, "EvNUL").status == 200  # taken: a retry would be refused the same way
    [answer] = workspace.slack.wait_for("chat.postMessage", where=lambda args: args.get("thread_ts"))
    assert "NUL character" in answer.args["text"]
    assert [e.kind for e in workspace.rows(LogEntry)] == ["start"]
    assert len(workspace.rows(Conversation)) == 1


# --- concurrent presses take effect once ------------------------------------------------------

def at_once(count: int, press) -> list:
    """`press(i)` from `count` threads released together, as when a button is pressed on several screens."""
    start = threading.Barrier(count)

    def one(i):
        start.wait()
        return press(i)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def answers(workspace, before: int, count: int) -> list[str]:
    """The texts of the `count` replies to buttons after the first `before`, once they have all come."""
    return [r["text"] for r in workspace.responses(before + count, timeout=30)[before:]]


def started(workspace) -> Conversation:
    assert "Started" in workspace.command("start Leicester").message_text
    return workspace.rows(Conversation)[0]


def test_done_pressed_eight_times_at_once_is_done_once(workspace):
    started(workspace)
    workspace.command("action Leicester Send the SHMA figures")
    [action] = workspace.rows(ActionItem)
    at_once(8, lambda _: workspace.press({"action_id": "action_done", "value": f"{action.id}:mine"}))
    replies = [r["blocks"][0]["text"]["text"] for r in workspace.responses(8, timeout=30)]
    assert sum("Done: Send the SHMA figures" in r for r in replies) == 1
    assert sum(f"Already done by <@{MEMBER}>" in r for r in replies) == 7
    workspace.run_jobs()
    assert [e.kind for e in workspace.rows(LogEntry)] == ["start", "action", "action-done"]
    [card] = workspace.channel_messages()
    assert len(workspace.slack.thread(TEAM_CHANNEL, card["ts"])) == 3  # start, the action, its Done


def stage_form(conversation_id) -> dict:
    return {"type": "modal", "callback_id": "set_stage", "private_metadata": str(conversation_id),
            "blocks": [{"type": "input", "block_id": "stage", "label": {"type": "plain_text", "text": "Stage"},
                        "element": {"type": "static_select", "action_id": "stage", "options": []}}]}


def chosen_stage(key: str) -> dict:
    return {"stage": {"stage": {"type": "static_select", "selected_option": {"value": key}}}}


def test_a_stage_chosen_eight_times_at_once_is_recorded_once(workspace):
    conversation = started(workspace)
    replies = at_once(8, lambda _: workspace.submit(stage_form(conversation.id), chosen_stage("plan-drafted")))
    assert sum(r.text == "" for r in replies) == 1
    refusals = [r.json["errors"]["stage"] for r in replies if r.text]
    assert len(refusals) == 7 and all("already at the stage `plan-drafted`" in r for r in refusals)
    assert [(e.kind, e.stage_to) for e in workspace.rows(LogEntry)] == [("start", "engaged"),
                                                                        ("stage", "plan-drafted")]


def test_reminder_buttons_pressed_eight_times_at_once_take_effect_once(workspace):
    started(workspace)
    workspace.command("remind Leicester 2099-01-10 14:00 Call the housing officer")
    workspace.command("remind Leicester 2099-01-11 14:00 Send the minutes")
    first, second = workspace.rows(Reminder)

    at_once(8, lambda _: workspace.press({"action_id": "reminder_snooze", "value": str(first.id)}))
    said = answers(workspace, 0, 8)
    assert sum(text.startswith(":zzz: Snoozed: I'll remind you again") for text in said) == 1
    assert sum(text.startswith(":zzz: Already snoozed: I'll remind you again") for text in said) == 7
    when = {text.rpartition("again ")[2] for text in said}
    assert len(when) == 1  # every answer names the one time it is due
    snoozed = workspace.rows(Reminder)[0]
    assert snoozed.closed_at is None and snoozed.due_at < first.due_at

    at_once(8, lambda _: workspace.press({"action_id": "reminder_done", "value": str(first.id)}))
    said = answers(workspace, 8, 8)
    assert sum(":white_check_mark: Reminder done:" in text for text in said) == 1
    assert sum(":white_check_mark: Reminder already done:" in text for text in said) == 7

    at_once(8, lambda _: workspace.press({"action_id": "reminder_cancel", "value": str(second.id)}))
    said = answers(workspace, 16, 8)
    assert sum(":white_check_mark: Reminder cancelled:" in text for text in said) == 1
    assert sum(":white_check_mark: Reminder already cancelled:" in text for text in said) == 7
    assert [(r.closed_how, r.closed_at is not None) for r in workspace.rows(Reminder)] == [("done", True),
                                                                                          ("cancelled", True)]


def settings_values(stale_days: int) -> dict:
    return {
        "digest_day": {"digest_day": {"type": "static_select", "selected_option": {"value": "wednesday"}}},
        "digest_time": {"digest_time": {"type": "timepicker", "selected_time": "10:30"}},
        "digest_channel": {"digest_channel": {"type": "channels_select", "selected_channel": "C0DIGEST"}},
        "stale_days": {"stale_days": {"type": "plain_text_input", "value": str(stale_days)}},
        "target_date": {"target_date": {"type": "datepicker", "selected_date": "2011-06-01"}},
    }


def settings_form(workspace, opened: int) -> dict:
    workspace.command("settings", user=MANAGER)
    view = workspace.slack.wait_for("views.open", opened)[-1].args["view"]
    return json.loads(view) if isinstance(view, str) else view


def test_settings_saved_eight_times_at_once_are_saved_once(workspace):
    for opened in (1, 2):  # the first save ever, then a change to saved settings
        view = settings_form(workspace, opened)
        replies = at_once(8, lambda i: workspace.submit(view, settings_values(10 + i), user=MANAGER))
        # The one save turns the form into what was saved; the others are refused beside the first field.
        [saved] = [i for i, r in enumerate(replies) if r.json["response_action"] == "update"]
        refusals = [r.json["errors"]["digest_day"] for r in replies if r.json["response_action"] == "errors"]
        assert len(refusals) == 7 and all("Someone saved the reminder settings after you opened" in r
                                          for r in refusals)
        rows = workspace.rows(BotSetting)
        assert {row.key: row.value for row in rows}["stale_days"] == str(10 + saved)
        assert len({row.changed_at for row in rows}) == 1  # every value from the one save
    # A form opened before that save is out of date too.
    assert "Someone saved" in workspace.submit(view, settings_values(30), user=MANAGER).json["errors"]["digest_day"]


# --- forged values ---------------------------------------------------------------------------

OUT_OF_DATE = "out of date or not one of mine"


def test_forged_button_values_are_refused_and_nothing_is_written(workspace):
    conversation = started(workspace)
    workspace.command("action Leicester Send the SHMA figures")
    workspace.command("remind Leicester 2099-01-10 14:00 Call the housing officer")
    [action], [reminder] = workspace.rows(ActionItem), workspace.rows(Reminder)
    forged = [
        {"action_id": "action_done", "value": f"{action.id}:cabc"},  # once marked done before failing
        {"action_id": "action_done", "value": f"{action.id}:everyone"},
        {"action_id": "action_done", "value": "abc:mine"},
        {"action_id": "action_done", "value": "²:mine"},  # a digit to str.isdigit, not to int()
        {"action_id": "action_done", "value": 7},
        {"action_id": "action_done"},
        {"action_id": "card_log", "value": f"{conversation.id}; DROP TABLE conversation"},
        {"action_id": "card_stage", "value": ["1"]},
        {"action_id": "reminder_snooze", "value": f"{reminder.id}x"},
        {"action_id": "reminder_cancel", "value": ""},
        {"action_id": "start_offered", "value": "Gedling; Rushcliffe"},
        {"action_id": "extract_retry", "value": "-1"},
    ]
    for button in forged:
        workspace.press(button)
    refusals = workspace.responses(len(forged))
    assert all(OUT_OF_DATE in r["text"] and r["replace_original"] is False for r in refusals), refusals
    assert workspace.rows(ActionItem)[0].done_at is None
    assert workspace.rows(Reminder)[0].due_at == reminder.due_at
    assert len(workspace.rows(Conversation)) == 1
    assert [e.kind for e in workspace.rows(LogEntry)] == ["start", "action"]
    assert not workspace.slack.calls_to("views.open")


def test_forged_settings_are_refused_beside_their_field(workspace):
    view = settings_form(workspace, 1)
    for block, element, forged, says in [
        ("digest_channel", "selected_channel", "<!channel>", "Choose the digest's channel"),
        ("target_date", "selected_date", "0001-01-01", "Choose a target date between 2000 and 2100"),
        ("stale_days", "value", "²", "Give the number of days"),
        ("digest_day", "selected_option", "monday", "Fill in every field"),
    ]:
        values = settings_values(14)
        values[block][block][element] = forged
        reply = workspace.submit(view, values, user=MANAGER)
        assert says in reply.json["errors"][block], (block, reply.json)
    reply = workspace.submit({**view, "private_metadata": "last tuesday"}, settings_values(14), user=MANAGER)
    assert OUT_OF_DATE in reply.json["errors"]["digest_day"]
    assert not workspace.rows(BotSetting)


def extract_view() -> dict:
    def block(block_id):
        return {"type": "input", "block_id": block_id, "label": {"type": "plain_text", "text": block_id},
                "element": {"type": "checkboxes", "action_id": block_id, "options": []}}
    return {"type": "modal", "callback_id": "extract_request", "private_metadata": "",
            "blocks": [block(b) for b in ("areas", "topics", "formats", "first_year", "last_year")]}


def extract_values(areas=("area:E06000016",), topics=("prices",), formats=("xlsx",), first="2008",
                   last="2011") -> dict:
    def options(values):
        return [{"text": {"type": "plain_text", "text": v}, "value": v} for v in values]
    return {
        "areas": {"areas": {"type": "multi_static_select", "selected_options": options(areas)}},
        "topics": {"topics": {"type": "checkboxes", "selected_options": options(topics)}},
        "formats": {"formats": {"type": "checkboxes", "selected_options": options(formats)}},
        "first_year": {"first_year": {"type": "static_select", "selected_option": {"value": first}}},
        "last_year": {"last_year": {"type": "static_select", "selected_option": {"value": last}}},
    }


@pytest.mark.parametrize("forged, field, says", [
    ({"first": "1", "last": "9999"}, "first_year", "holds figures for 2008 to 2011 only: choose years between"),
    ({"first": "2008", "last": "2031"}, "first_year", "holds figures for 2008 to 2011 only: choose years between"),
    ({"formats": ("exe",)}, "formats", "That form is out of date"),
    ({"formats": ("xlsx", "../../etc/passwd")}, "formats", "That form is out of date"),
    ({"topics": ("secrets",)}, "topics", "That form is out of date"),
    ({"areas": ("county:Atlantis",)}, "areas", "That form is out of date"),
    ({"areas": ("region:Leicestershire",)}, "areas", "That form is out of date"),  # a county, not a region
    ({"areas": ("hma:Nowhere HMA",)}, "areas", "That form is out of date"),
    ({"areas": ("area:E99999999",)}, "areas", "That form is out of date"),
    ({"first": "twenty"}, "areas", OUT_OF_DATE),
])
def test_forged_extract_forms_are_refused_and_nothing_is_queued(workspace, forged, field, says):
    reply = workspace.submit(extract_view(), extract_values(**forged))
    assert reply.json["response_action"] == "errors" and says in reply.json["errors"][field], reply.json
    assert not workspace.rows(ExtractRequest)
    assert not workspace.redis.keys("rq:job:*")


def test_a_good_extract_form_is_still_taken(workspace):
    assert workspace.submit(extract_view(), extract_values()).text == ""
    [request] = workspace.rows(ExtractRequest)
    assert (request.formats, request.first_year, request.last_year) == ("xlsx", 2008, 2011)
