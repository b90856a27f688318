"""`scbot console`, driven as a person would type into it.

Each session starts a real worker, so one scripted session serves most tests;
each test reads what one typed line led to.
"""
import io
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import redis
from sqlmodel import col, select

from bot.offline.console import run_console
from bot.services import start_embedded_redis
from bot.settings import Settings
from bot.views.forms import area_options
from models.areas import load_directory
from models.db import get_engine, session_scope
from models.migrate import upgrade
from models.national_areas import import_national_areas
from models.regions import set_team
from models.tables import LogEntry

PROMPT = re.compile(r"^\w+> (.*)$", re.MULTILINE)
LEICESTER_THREAD = "#single-conversations, in the thread of “Single Conversation: Leicester”"
CARD_UPDATED = "#single-conversations: card updated"
ONLY_YOU = "(only you can see this)"


def console_settings(data_dir, redis_url) -> Settings:
    return Settings(sc_data_dir=data_dir, redis_url=redis_url, database_url="", sc_team_channel="C0TEAM",
                    sc_staff="", sc_now="")


def transcript(settings: Settings, *lines: str) -> str:
    """All a console session showed, its lines typed in turn."""
    stdout = io.StringIO()
    run_console(settings, stdin=io.StringIO("".join(line + "\n" for line in lines)), stdout=stdout)
    return stdout.getvalue()


def run(settings: Settings, *lines: str) -> list[tuple[str, str]]:
    """(typed line, what it led to) for each line of a console session."""
    parts = PROMPT.split(transcript(settings, *lines))
    return list(zip(parts[1::2], parts[2::2]))[:-1]  # the last prompt met the end of input


def sections(output: str) -> list[tuple[str, str]]:
    """(heading, content) of each thing shown, e.g. ("(only you can see this)", "...")."""
    found: list[tuple[str, list[str]]] = []
    for line in output.splitlines():
        if line.startswith("  │"):
            found[-1][1].append(line[4:])
        elif line.strip():
            found.append((line.strip(), []))
    return [(heading, "\n".join(content)) for heading, content in found]


def shown(output: str, heading: str) -> str:
    matches = [content for h, content in sections(output) if h == heading]
    assert len(matches) == 1, f"expected one “{heading}” in:\n{output}"
    return matches[0]


@pytest.fixture(scope="module")
def settings(tmp_path_factory, redis_server_url):
    # The morning is one in the programme's own time: its due dates are still to come.
    settings = console_settings(tmp_path_factory.mktemp("console"), redis_server_url).model_copy(
        update={"sc_now": "2010-11-02T09:00"})
    upgrade(settings.effective_database_url)
    return settings


@pytest.fixture(scope="module")
def session(settings):
    """A morning's work in one console session: {line typed at the prompt: what it led to}."""
    with session_scope(get_engine(settings.effective_database_url)) as db:
        directory = load_directory(db)
    choices = [option["value"] for group in area_options(directory) for option in group["options"]]
    hma, derby = (choices.index(value) + 1 for value in ("hma:Nottingham Core HMA", "area:" + directory.resolve("Derby").codes[0]))
    transcript = run(
        settings,
        "/sc start Leicester",
        "/sc log Leicester Met the housing team",
        "/sc stage Leicester evidence",
        "/sc action Leicester Send the SHMA figures due 2011-01-14 @bob",
        "/sc show Leicester",
        "1", r"Phoned about the plan\nSecond line",  # Log update, then its form
        "/sc start", f"{hma}, {derby}", "", "", "", "", str(hma),  # areas, lead, contacts, date, notes; areas again
        "/leave", "/sc log Leicester Written by an outsider", "/join",
        "/sc log Leicester <!channel> the meeting moved & <b>",
        "/user bob", "/sc actions", "press 1",
        "/sc show leicester",
    )
    lines = [line for line, _ in transcript]
    assert len(set(lines)) == len(lines), "each line at the prompt is looked up by its text"
    return dict(transcript)


def test_start_posts_the_card_and_the_start_entry_in_its_thread(session):
    output = session["/sc start Leicester"]
    assert "Started the Single Conversation with Leicester, stage Engaged; you lead it." in shown(output, ONLY_YOU)
    card = shown(output, "#single-conversations: new message")
    assert card.startswith("Single Conversation: Leicester\n")
    for line in ("Areas: Leicester", "Lead: @alice", "Stage: Engaged (1 of 6)", "Open actions: 0",
                 "[1] Log update   [2] Set stage   [3] Edit details"):
        assert line in card.splitlines()
    entry = shown(output, LEICESTER_THREAD)
    assert entry.startswith("@alice · ") and entry.endswith("\nStarted the Single Conversation with Leicester.")


def test_a_logged_meeting_is_replied_in_the_thread(session):
    output = session["/sc log Leicester Met the housing team"]
    assert "Logged for Leicester." in shown(output, ONLY_YOU)
    assert shown(output, LEICESTER_THREAD).endswith("\nMet the housing team")
    assert "Open actions: 0" in shown(output, CARD_UPDATED)


def test_a_new_stage_shows_on_the_card(session):
    output = session["/sc stage Leicester evidence"]
    assert "Leicester is now at Shared evidence base (2 of 6)." in shown(output, ONLY_YOU)
    assert shown(output, LEICESTER_THREAD).endswith(":arrow_right: Stage: Engaged → Shared evidence base")
    assert "Stage: Shared evidence base (2 of 6)" in shown(output, CARD_UPDATED).splitlines()


def test_an_action_with_a_due_date_and_show(session):
    output = session["/sc action Leicester Send the SHMA figures due 2011-01-14 @bob"]
    assert "Action for @bob, due 14 Jan 2011 on Leicester: Send the SHMA figures." in shown(output, ONLY_YOU)
    assert shown(output, LEICESTER_THREAD).endswith(":pushpin: Action for @bob (due 14 Jan 2011): Send the SHMA figures")
    assert "Open actions: 1" in shown(output, CARD_UPDATED).splitlines()

    conversation = shown(session["/sc show Leicester"], ONLY_YOU).splitlines()
    assert conversation[0] == "Single Conversation: Leicester"
    assert "Stage: Shared evidence base (2 of 6)" in conversation
    assert "[1] Log update   [2] Set stage   [3] Edit details" in conversation
    assert any(line.endswith("@alice: Met the housing team") for line in conversation)
    assert "Send the SHMA figures" in conversation
    assert any(line.startswith("@bob · due 14 Jan 2011") and line.endswith("[4] Done") for line in conversation)


def test_pressing_log_update_asks_with_the_form_then_posts_in_the_thread(session):
    output = session["1"]
    assert "(you pressed “Log update”)" in output
    assert "Form: Log update" in output
    assert r"What happened (\n for a new line): Phoned about the plan\nSecond line" in output
    assert "Sent the form “Log update”." in output
    assert shown(output, LEICESTER_THREAD).endswith("\nPhoned about the plan\nSecond line")
    assert "Last activity: " in shown(output, CARD_UPDATED)


def test_the_start_form_asks_again_for_areas_when_an_hma_and_an_area_are_chosen(session):
    output = session["/sc start"]
    assert "Form: Start a conversation" in output
    assert "Nottingham Core HMA" in output and "Lead (a user's name) [@alice]:" in output
    assert ":warning: Areas: Choose one HMA, or one or more areas, not both." in output
    assert output.count("Areas (numbers, with commas): ") == 2
    assert output.count("Lead (a user's name)") == 1, "only the field in error is asked again"
    card = shown(output, "#single-conversations: new message").splitlines()
    assert card[0] == "Single Conversation: Nottingham Core HMA"
    assert "Areas: Broxtowe, Erewash, Gedling, Nottingham, Rushcliffe" in card
    assert "Started the Single Conversation with Nottingham Core HMA." in shown(
        output, "#single-conversations, in the thread of “Single Conversation: Nottingham Core HMA”")


def test_someone_outside_the_team_channel_is_refused_and_nothing_is_written(session, settings):
    assert "left #single-conversations" in session["/leave"]
    output = session["/sc log Leicester Written by an outsider"]
    assert [heading for heading, _ in sections(output)] == [ONLY_YOU]
    assert shown(output, ONLY_YOU).startswith("Only the regional team can change Single Conversations")
    assert "outsider" not in session["/sc show leicester"]
    with session_scope(get_engine(settings.effective_database_url)) as db:
        assert not db.exec(select(LogEntry).where(col(LogEntry.text).contains("outsider"))).all()


def test_typed_text_is_shown_as_typed_never_as_a_ping(session):
    output = session["/sc log Leicester <!channel> the meeting moved & <b>"]
    assert shown(output, LEICESTER_THREAD).endswith("\n<!channel> the meeting moved & <b>")
    assert "@channel" not in output


def test_done_on_an_ephemeral_list_updates_that_list(session):
    assert "You are now @bob" in session["/user bob"]
    listed = shown(session["/sc actions"], ONLY_YOU).splitlines()
    assert listed[1:] == ["Leicester: Send the SHMA figures", listed[2]] and listed[2].endswith("[1] Done")
    output = session["press 1"]
    assert "(you pressed “Done”)" in output
    assert "Done: Send the SHMA figures" in shown(output, "(only you can see this: your earlier reply, updated)")
    assert shown(output, LEICESTER_THREAD).endswith(":white_check_mark: Done: Send the SHMA figures")


def test_a_later_session_carries_on_in_the_same_threads(session, settings):
    later = dict(run(settings, "/sc start Derby", "/sc log Leicester Back after the weekend"))
    started = later["/sc start Derby"]
    assert shown(started, "#single-conversations: new message").startswith("Single Conversation: Derby\n")
    # The new card must not take the place of one posted in the earlier session.
    output = later["/sc log Leicester Back after the weekend"]
    assert shown(output, LEICESTER_THREAD).endswith("\nBack after the weekend")
    assert shown(output, CARD_UPDATED).startswith("Single Conversation: Leicester\n")


def test_the_clock_mentions_the_home_tab_and_files_in_the_console(tmp_path, redis_server_url):
    settings = console_settings(tmp_path, redis_server_url)
    steps = dict(run(settings,
                     "/time 2010-11-01T10:00", "/sc start Leicester",
                     "/sc remind Leicester tomorrow 9am Call the housing officer",
                     "/time 2010-11-02T09:00",
                     "@scbot who leads Leicester?",
                     "/home",
                     "/sc progress as of 2010-11-01 chart"))
    reminder = shown(steps["/time 2010-11-02T09:00"], "direct message to @alice: new message")
    assert "Reminder about Leicester" in reminder and "Call the housing officer" in reminder
    assert "[1] Snooze 1 hour   [2] Done" in reminder
    answer = steps["@scbot who leads Leicester?"]
    assert "in the thread of “@scbot who leads Leicester?”" in answer and "@alice leads Leicester" in answer
    home = shown(steps["/home"], "Home tab")
    assert "1 of 40 areas have begun" in home and "Leicester" in home
    chart = steps["/sc progress as of 2010-11-01 chart"]
    [saved] = re.findall(rf"→ ({re.escape(str(tmp_path / 'files'))}/burn-up-\S*2010-11-01\S*\.png)", chart)
    assert Path(saved).read_bytes().startswith(b"\x89PNG")


def test_buttons_in_a_direct_message_and_the_extract_and_settings_forms(tmp_path, redis_server_url):
    settings = console_settings(tmp_path, redis_server_url)
    steps = run(settings,
                "/time 2010-11-02T10:00", "/sc start Leicester", "/sc remind Leicester in 2 hours Call the planners",
                "/time 2010-11-02T12:00", "1", "2",  # Snooze, then Done, on the reminder in the DM
                "/sc extract", "Leicester", "prices", "3", "2010", "2011",  # area, topics, CSV, years
                "/sc settings", "3", "10:30", "#digest", "14", "30", "2011-06-01")
    output = dict(steps)  # a form's answers are read within the line that opened it
    reminder = shown(output["/time 2010-11-02T12:00"], "direct message to @alice: new message")
    assert "Call the planners" in reminder and "[1] Snooze 1 hour   [2] Done" in reminder
    snoozed = shown(output["1"], "direct message to @alice: message updated")
    assert "Snoozed: I'll remind you again 2 Nov 2010 13:00." in snoozed
    assert "Reminder done: Call the planners" in shown(output["2"], "direct message to @alice: message updated")

    extract = output["/sc extract"]
    assert "can't fill in" not in extract and "Sent the form “Data extract”." in extract
    assert "Topics (numbers, with commas)" in extract and "[1] stock: Dwellings and vacancy" in extract
    assert re.search(r"📎 Leicester: Figures for analysts \(CSV\)  → \S+\.csv", extract), extract

    saved = output["/sc settings"]
    assert "Sent the form “Reminder settings”." in saved
    for setting in ("The weekly digest goes to #digest on Wednesdays at 10:30.",
                    "quiet for 14 days", "delivery confidence is over 30 days old",
                    "every area is to have begun, is 1 Jun 2011"):
        assert setting in saved


def test_the_banner_says_the_date_and_the_clock_chosen_with_time_is_kept(tmp_path, redis_server_url):
    settings = console_settings(tmp_path, redis_server_url)
    first = transcript(settings, "/time 2010-11-02T10:00")
    banner = first.split("alice> ")[0]
    assert f"The clock reads {datetime.now(ZoneInfo('Europe/London')):%a %-d %b %Y}" in banner
    assert "That is after the target date, 1 Apr 2011, so /sc progress will say it has passed." in banner
    assert "move the clock back, e.g. /time 2010-11-01T09:00" in banner

    banner, asked = transcript(settings, "/time", "/time now").split("alice> ")[:2]
    assert "The clock reads Tue 2 Nov 2010 10:00 (where /time left it in an earlier session)." in banner
    assert "target date" not in banner and "It is Tue 2 Nov 2010 10:00." in asked

    assert ", today." in transcript(settings).split("alice> ")[0]  # /time now let it run again


def test_quit_stops_the_embedded_redis_server_it_started_and_no_other(tmp_path):
    settings = Settings(sc_data_dir=tmp_path, redis_url="", database_url="", sc_team_channel="C0TEAM",
                        sc_staff="", sc_now="2010-11-02T10:00")
    said = transcript(settings, "/sc start Leicester", "/quit")
    assert "Stopped the redis-server this console started" in said
    assert not (tmp_path / "redis.pid").exists()

    url = start_embedded_redis(tmp_path)  # running before the console starts: another process's
    try:
        said = transcript(settings, "/sc show Leicester", "/quit")
        assert "Single Conversation: Leicester" in said and "Stopped the redis-server" not in said
        assert redis.Redis.from_url(url).ping()
    finally:
        redis.Redis.from_url(url).shutdown()


def test_region_types_in_that_regions_team_channel_as_a_member_of_it(tmp_path, redis_server_url):
    settings = console_settings(tmp_path, redis_server_url).model_copy(update={"sc_now": "2010-11-02T09:00"})
    upgrade(settings.effective_database_url)
    with session_scope(get_engine(settings.effective_database_url)) as db:
        import_national_areas(db)
        set_team(db, "West Midlands", "C0WM", set(), {"U0WMMGR"}, None, "test", datetime.now(UTC))
    steps = dict(run(settings, "/region", "/region Wessex", "/region north east", "/region west midlands",
                     "/user carol", "/sc start Birmingham", "/leave", "/sc log Birmingham Written by an outsider",
                     "/join", "/region East Midlands"))
    regions = steps["/region"]
    assert "You type in #single-conversations. The regions: North East (no team yet);" in regions
    assert "East Midlands (#single-conversations); West Midlands (#sc-west-midlands);" in regions
    assert "“Wessex” is not a region of England. The regions: North East" in steps["/region Wessex"]
    assert "North East has no team yet. The regions:" in steps["/region north east"]
    assert ("You now type in #sc-west-midlands, the West Midlands team's channel, as a member of it."
            in steps["/region west midlands"])
    # carol is in the West Midlands channel alone: she may start Birmingham there, and its card goes there.
    assert "You are now @carol, a member of #sc-west-midlands." in steps["/user carol"]
    started = steps["/sc start Birmingham"]
    assert "Started the Single Conversation with Birmingham" in shown(started, ONLY_YOU)
    assert shown(started, "#sc-west-midlands: new message").startswith("Single Conversation: Birmingham\n")
    assert "left #sc-west-midlands" in steps["/leave"]
    assert [heading for heading, _ in sections(steps["/sc log Birmingham Written by an outsider"])] == [ONLY_YOU]
    with session_scope(get_engine(settings.effective_database_url)) as db:
        assert not db.exec(select(LogEntry).where(col(LogEntry.text).contains("outsider"))).all()
    assert ("You now type in #single-conversations, the East Midlands team's channel, as a member of it."
            in steps["/region East Midlands"])


def test_a_skip_of_stages_is_confirmed_in_its_own_form_and_canvas_reads_the_regions(tmp_path, redis_server_url):
    """The stage form answers a skip with a second form, asked in turn (cancel sends nothing, yes moves it on);
    /canvas after /region is that region's canvas."""
    settings = console_settings(tmp_path, redis_server_url).model_copy(update={"sc_now": "2010-11-02T09:00"})
    upgrade(settings.effective_database_url)
    with session_scope(get_engine(settings.effective_database_url)) as db:
        import_national_areas(db)
        set_team(db, "West Midlands", "C0WM", set(), {"U0WMMGR"}, None, "test", datetime.now(UTC))
    output = transcript(settings, "/region west midlands", "/sc start Coventry", "/sc show Coventry",
                        "2", "6", "cancel", "2", "6", "yes", "/canvas", "/sc start", "/sc areas")
    assert output.count("Form: Skip stages?") == 2
    assert "The form “Skip stages?” was closed; nothing was sent." in output
    assert "Sent the form “Skip stages?”." in output
    assert output.count("Stage: Engaged → Delivery") == 1
    assert "#sc-west-midlands: canvas “Single Conversation coverage”" in output
    assert "# Coverage: West Midlands" in output and "# Coverage: East Midlands" not in output
    # A console line typed where a form asks closes the form rather than being taken as its answer.
    assert "/sc areas is a console line, not an answer: the form is closed; type it again." in output
    assert "The form “Start a conversation” was closed; nothing was sent." in output
