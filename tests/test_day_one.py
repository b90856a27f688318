"""A team's first week over HTTP, as Slack sends the requests: buttons in direct messages, stages moved past
others or named ambiguously, actions that mention someone or give a past date, `/sc show`'s notes, and
extracts outside the figures' years."""
from bot.clock import tick
from bot.offline import payloads as slack_payloads
from jobs import worker_services
from models import clock
from models.tables import ActionItem, Conversation, ExtractRequest, LogEntry, Reminder
from tests.workspace import MEMBER, TEAM_CHANNEL

DM = "D" + MEMBER[1:]  # the app's direct messages with MEMBER, where a post to MEMBER's id lands


def buttons_of(message: dict) -> dict[str, dict]:
    """{button text: button with its block_id} of a message or an acknowledgement."""
    return {e["text"]["text"]: {**e, "block_id": b.get("block_id", "b")} for b in message.get("blocks", [])
            if b["type"] == "actions" for e in b["elements"]}


def press_in_dm(workspace, button: dict, message: dict):
    """A button on a message in the app's DM with MEMBER, shaped as Slack sends it: the DM's channel, the
    message's ts and the message itself."""
    body, content_type = slack_payloads.block_action(button, MEMBER, "member", DM, message["ts"],
                                                     workspace.slack.response_url(MEMBER), message)
    return workspace.post(body, content_type)


def test_snooze_and_done_pressed_on_a_reminder_in_a_direct_message(workspace):
    workspace.command("start Leicester")
    workspace.command("remind Leicester 2099-01-10 14:00 Call the housing officer")
    clock.configure("Europe/London")
    assert len(tick(worker_services(), clock.parse_instant("2099-01-10T14:00"))) == 1
    workspace.run_jobs()
    [(key, reminder_message)] = [(k, m) for k, m in workspace.slack.messages.items() if k[0] == DM]
    assert buttons_of(reminder_message).keys() == {"Snooze 1 hour", "Done"}

    assert press_in_dm(workspace, buttons_of(reminder_message)["Snooze 1 hour"], reminder_message).status == 200
    [snoozed] = workspace.responses()
    assert snoozed["replace_original"] and "Snoozed: I'll remind you again" in snoozed["text"]
    assert workspace.rows(Reminder)[0].closed_at is None

    press_in_dm(workspace, buttons_of(reminder_message)["Done"], reminder_message)
    done = workspace.responses(2)[1]
    assert done["replace_original"] and "Reminder done: Call the housing officer" in done["text"]
    assert workspace.rows(Reminder)[0].closed_how == "done"


def stage_changes(workspace) -> list[tuple[str, str, str]]:
    return [(e.stage_from, e.stage_to, e.text) for e in workspace.rows(LogEntry) if e.kind == "stage"]


def test_moving_past_a_stage_waits_for_the_button_and_the_log_names_what_was_skipped(workspace):
    workspace.command("start Leicester")
    workspace.command("stage Leicester evidence")
    asked = workspace.command("stage Leicester signed").json
    assert ("Moving to *Local Investment Agreement signed (5 of 6)* skips 2 stages: Local Investment Plan drafted, "
            "Local Investment Plan agreed. Nothing changes until you confirm") in asked["text"]
    assert workspace.rows(Conversation)[0].stage == "evidence" and len(stage_changes(workspace)) == 1

    workspace.press(buttons_of(asked)["Skip to Local Investment Agreement signed"])
    [moved] = workspace.responses()
    assert moved["replace_original"] and "is now at *Local Investment Agreement signed (5 of 6)*" in moved["text"]
    assert workspace.rows(Conversation)[0].stage == "agreement-signed"
    assert stage_changes(workspace)[-1] == (
        "evidence", "agreement-signed", "Stage: Shared evidence base → Local Investment Agreement signed, skipping "
        "Local Investment Plan drafted and Local Investment Plan agreed.")
    workspace.run_jobs()
    [card] = workspace.channel_messages()
    posted = workspace.slack.thread(TEAM_CHANNEL, card["ts"])[-1]["blocks"][0]["text"]["text"]
    assert posted.endswith("(skipped Local Investment Plan drafted, Local Investment Plan agreed)")

    # Pressed again, or after the stage has moved on since, the button changes nothing.
    workspace.press(buttons_of(asked)["Skip to Local Investment Agreement signed"])
    assert "already at the stage `agreement-signed`" in workspace.responses(2)[1]["text"]
    workspace.command("stage Leicester engaged")  # back: no question asked
    stale = workspace.command("stage Leicester plan-agreed").json
    workspace.command("stage Leicester evidence")  # someone moves it on before the button is pressed
    workspace.press(buttons_of(stale)["Skip to Local Investment Plan agreed"])
    assert "was moved to the stage `evidence` since; nothing was changed" in workspace.responses(3)[2]["text"]
    assert workspace.rows(Conversation)[0].stage == "evidence"


def test_a_stage_word_that_could_mean_two_asks_which(workspace):
    workspace.command("start Leicester")
    workspace.command("stage Leicester evidence")
    asked = workspace.command("stage Leicester plan").json
    assert "“plan” could mean more than one stage" in asked["text"]
    assert list(buttons_of(asked)) == ["Local Investment Plan drafted", "Local Investment Plan agreed (skips 1)"]
    assert len(stage_changes(workspace)) == 1
    workspace.press(buttons_of(asked)["Local Investment Plan drafted"])
    assert "is now at *Local Investment Plan drafted (3 of 6)*" in workspace.responses()[0]["text"]
    assert workspace.rows(Conversation)[0].stage == "plan-drafted"


def test_a_mention_in_an_action_owns_it_and_stays_in_it(workspace):
    workspace.command("start Amber Valley")
    answer = workspace.command("action Amber Valley Ask <@U0DAVE|dave> about it due next friday").json
    assert "Action for <@U0DAVE>, due " in answer["text"] and "Ask <@U0DAVE> about it." in answer["text"]
    [action] = workspace.rows(ActionItem)
    assert (action.text, action.owner_user_id) == ("Ask <@U0DAVE> about it", "U0DAVE")
    assert action.due_on.weekday() == 4 and (action.due_on - clock.today()).days > 7 - clock.today().weekday()


def test_a_due_date_in_the_past_or_unreadable_is_refused_and_nothing_is_saved(workspace):
    workspace.command("start Leicester")
    for typed, says in (("due yesterday", "which has passed: give a due date from today on"),
                        ("due 2001-01-01", "which has passed"),
                        ("due by the thirty-first", "I couldn't read “the thirty-first”")):
        said = workspace.command(f"action Leicester Send the figures {typed}").message_text
        assert says in said and "Dates that work" in said
    workspace.settle()
    assert not workspace.rows(ActionItem)


def test_show_keeps_the_meeting_notes_in_sight_apart_from_stages_and_actions(workspace):
    workspace.command("start Leicester")
    workspace.command("log Leicester Met the housing team: they want the SHMA first")
    for stage in ("evidence", "plan-drafted", "plan-agreed"):
        workspace.command(f"stage Leicester {stage}")
    for n in range(3):
        workspace.command(f"action Leicester Task {n}")
    said = workspace.command("show Leicester").message_text
    notes, changes = said.split("*Latest notes*")[1].split("*Latest changes*")
    assert "Met the housing team: they want the SHMA first" in notes and "Stage" not in notes
    assert changes.count("\n•") == 5 and "Task 2" in changes and "Met the housing team" not in changes


def test_areas_by_county_leave_out_a_district_of_another_county_in_a_named_hma(workspace):
    derbyshire = workspace.command("areas Derbyshire").message_text
    assert "showing the county of Derbyshire" in derbyshire
    assert "• Erewash" in derbyshire and "• High Peak" in derbyshire and "• Bassetlaw" not in derbyshire
    assert "• Bassetlaw" in workspace.command("areas Nottinghamshire").message_text


def test_an_extract_outside_the_figures_years_is_refused_with_the_years_held(workspace):
    said = workspace.command("extract Leicester 2012-2015").message_text
    assert "“2012-2015” is outside the figures' years: the statistics store holds figures for 2008 to 2011 only" in said
    assert "`/sc extract Leicester 2008-2011`" in said
    workspace.settle()
    assert not workspace.rows(ExtractRequest) and not workspace.redis.keys("rq:job:*")
