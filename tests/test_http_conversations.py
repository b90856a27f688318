"""Starting and logging conversations over HTTP, as Slack would send the requests."""
import time

from rq import Queue
from rq.job import Job

from models.tables import ActionItem, Conversation, ConversationArea, LogEntry
from tests.workspace import MEMBER, TEAM_CHANNEL


def test_start_posts_a_card_whose_thread_holds_the_log(workspace):
    reply = workspace.command("start Leicester")
    assert reply.status == 200
    # Answered in the acknowledgement, saved by then.
    answer = reply.json
    assert "Started the Single Conversation with *Leicester*" in answer["text"]
    assert answer["response_type"] == "ephemeral"

    [conversation] = workspace.rows(Conversation)
    assert (conversation.title, conversation.lead_user_id, conversation.stage) == ("Leicester", MEMBER, "engaged")

    assert workspace.run_jobs() == 1
    [card] = workspace.channel_messages()
    assert "Single Conversation: Leicester" in card["text"]
    buttons = [e["text"]["text"] for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["Log update", "Set stage", "Edit details"]
    [start_entry] = workspace.slack.thread(TEAM_CHANNEL, card["ts"])
    assert "Started the Single Conversation with Leicester" in start_entry["text"]


def test_log_stage_and_action_reach_the_thread_in_order(workspace):
    workspace.command("start Leicester")
    workspace.run_jobs()
    # One after another, as a person types them.
    assert "Logged" in workspace.command("log Leicester Met the housing team at City Hall").json["text"]
    assert "is now at" in workspace.command("stage leicester evidence").json["text"]
    assert "Action for <@U0OWNER>" in workspace.command(
        "action Leicester Send the SHMA figures due 2030-01-10 <@U0OWNER|owner>").json["text"]
    workspace.run_jobs()

    [card] = workspace.channel_messages()
    thread = [m["text"] for m in workspace.slack.thread(TEAM_CHANNEL, card["ts"])]
    assert len(thread) == 4
    assert "Met the housing team at City Hall" in thread[1]
    assert "Shared evidence base" in workspace.slack.thread(TEAM_CHANNEL, card["ts"])[2]["blocks"][0]["text"]["text"]
    assert "Send the SHMA figures" in thread[3]
    # The card moved on with the conversation.
    assert "Engaged (1 of 6)" in str(workspace.slack.calls_to("chat.postMessage")[0].args["blocks"])
    assert workspace.slack.calls_to("chat.update")
    assert "Shared evidence base (2 of 6)" in str(card["blocks"])

    [action] = workspace.rows(ActionItem)
    assert (action.owner_user_id, str(action.due_on)) == ("U0OWNER", "2030-01-10")
    stages = [(e.stage_from, e.stage_to) for e in workspace.rows(LogEntry) if e.kind == "stage"]
    assert stages == [("engaged", "evidence")]


def test_jobs_run_twice_post_nothing_twice(workspace):
    workspace.command("start Derby")
    workspace.command("log Derby First meeting")
    workspace.run_jobs()
    posts = len(workspace.slack.calls_to("chat.postMessage"))
    # RQ may run a job again (a retry after a crash): same ids, nothing new in Slack.
    from jobs.threads import sync_thread

    [conversation] = workspace.rows(Conversation)
    assert sync_thread(conversation.id) == {"card_posted": False, "entries_posted": 0}
    assert len(workspace.slack.calls_to("chat.postMessage")) == posts == 3


def test_an_hma_conversation_covers_its_areas(workspace):
    assert "Started" in workspace.command("start Nottingham Core HMA").json["text"]
    codes = {link.area_code for link in workspace.rows(ConversationArea)}
    assert codes == {"E06000018", "E07000172", "E07000036", "E07000173", "E07000176"}

    # A member area logs into the HMA's conversation, and cannot start its own.
    assert "Logged for *Nottingham Core HMA*" in workspace.command("log Gedling Spoke to the planning lead").json["text"]
    refusal = workspace.command("start Gedling").json["text"]
    assert "Gedling is already in the Single Conversation “Nottingham Core HMA”" in refusal
    assert len(workspace.rows(Conversation)) == 1


def test_starting_twice_is_refused_with_a_link(workspace):
    workspace.command("start Leicester")
    workspace.run_jobs()
    refusal = workspace.command("start LEICESTER").json["text"]
    assert "Leicester is already in the Single Conversation" in refusal
    assert "<https://em-housing.slack.com/archives/C0TEAM/p" in refusal
    assert len(workspace.rows(Conversation)) == 1


def test_areas_are_found_by_code_old_code_and_any_case(workspace):
    answers = " ".join(workspace.command(text).json["text"] for text in ("start e07000032", "start 17UC"))
    assert "Amber Valley" in answers and "Bolsover" in answers


def test_show_and_areas_answer_at_once(workspace):
    workspace.command("start Leicester")
    workspace.command("action Leicester Book the next meeting")
    shown = workspace.command("show leicester")
    assert shown.status == 200
    said = shown.message_text
    for expected in ("Single Conversation: Leicester", "*Lead*", "Engaged (1 of 6)", "Started",
                     "Latest changes", "Book the next meeting"):
        assert expected in said
    areas = workspace.command("areas Leicester and Leicestershire").message_text
    assert "1 of 40 areas have begun" in areas
    assert "Leicester: Engaged" in areas and "Blaby: _not begun_" in areas
    assert "Derby" not in areas


def test_actions_list_and_done_button(workspace):
    workspace.command("start Leicester")
    workspace.command("action Leicester Send the figures due 2030-02-01")
    listing = workspace.command("actions")
    [button] = [b["accessory"] for b in listing.json["blocks"] if "accessory" in b]
    assert "Send the figures" in listing.message_text
    workspace.press(button)
    [done] = [r for r in workspace.responses() if r.get("replace_original")]
    assert "Done: Send the figures" in done["text"]
    [action] = workspace.rows(ActionItem)
    assert action.done_by == MEMBER
    # A second press (a double click) changes nothing more.
    workspace.press(button)
    workspace.responses(2)
    assert len([e for e in workspace.rows(LogEntry) if e.kind == "action-done"]) == 1


def test_slack_failing_mid_thread_loses_nothing_and_posts_nothing_twice(workspace):
    for text in ("start Leicester", "log Leicester One", "log Leicester Two"):
        workspace.command(text)
    # The card and the start entry go up; then Slack fails for longer than the client's own retries.
    original = workspace.slack.answer
    posted = []

    def flaky(method, args):
        if method == "chat.postMessage" and len(posted) == 2:
            workspace.slack.fail_next("chat.postMessage", status=503, times=1000)
        reply = original(method, args)
        if method == "chat.postMessage":
            posted.append(args)
        return reply

    workspace.slack.answer = flaky
    assert workspace.run_jobs() == 0  # every job failed; RQ will retry them later
    workspace.slack.answer = original
    workspace.slack.clear_faults()
    entries = workspace.rows(LogEntry)
    assert [bool(e.slack_ts) for e in entries] == [True, True, False]

    from bot.clock import catch_up
    from jobs import worker_services
    from jobs.threads import enqueue_pending

    assert catch_up(worker_services()) == 0  # the clock's minute leaves a failing thread to RQ's retries
    assert enqueue_pending(worker_services()) == 1  # a worker starting takes it up at once
    workspace.run_jobs()
    [card] = workspace.channel_messages()
    texts = [m["text"] for m in workspace.slack.thread(TEAM_CHANNEL, card["ts"])]
    assert len(texts) == 3 and "One" in texts[1] and "Two" in texts[2]
    # Each message went up once: the card and three entries.
    assert len([c for c in workspace.slack.calls_to("chat.postMessage") if c.args["_status"] == 200]) == 4


def test_the_clocks_minute_keeps_a_queued_sync_and_replaces_a_lost_one(workspace, monkeypatch):
    from bot.clock import catch_up
    from jobs import threads, worker_services

    monkeypatch.setattr(threads, "WAITING_SECONDS", 1)  # ten minutes in use
    workspace.command("start Leicester")
    services = worker_services()
    queue = Queue("slack", connection=workspace.redis)

    def syncs() -> list[str]:
        return [job for job in queue.get_job_ids() if job.startswith("thread-")]

    # No worker runs for longer than a queued sync's mark lasts: each minute keeps the mark, and adds no job.
    for _ in range(4):
        assert catch_up(services) == 0
        time.sleep(0.5)
    [queued] = syncs()
    # The job is lost (its data gone from Redis): the next minute queues another in its place.
    queue.remove(queued)
    Job.fetch(queued, connection=workspace.redis).delete()
    assert catch_up(services) == 1 and len(syncs()) == 1
    workspace.run_jobs()
    [card] = workspace.channel_messages()
    assert "Leicester" in card["text"] and catch_up(services) == 0


def test_people_picked_from_the_at_menu_stay_mentions(workspace):
    workspace.command("start Leicester")
    workspace.command("log Leicester Ask <@U0BOB|bob> about <!here> numbers")
    workspace.run_jobs()
    [card] = workspace.channel_messages()
    entry = workspace.slack.thread(TEAM_CHANNEL, card["ts"])[1]["blocks"][0]["text"]["text"]
    assert "Ask <@U0BOB> about &lt;!here&gt; numbers" in entry


def test_done_in_a_shown_card_redraws_that_card(workspace):
    workspace.command("start Leicester")
    workspace.command("action Leicester Book the room")
    workspace.command("action Leicester Send the figures <@U0OTHER|other>")
    shown = workspace.command("show Leicester")
    [first, _] = [b["accessory"] for b in shown.json["blocks"] if "accessory" in b]
    workspace.press(first)
    [redrawn] = [r for r in workspace.responses() if r.get("replace_original")]
    said = str(redrawn["blocks"])
    assert "Done: Book the room." in said
    assert "Single Conversation: Leicester" in said and "Send the figures" in said
    assert "Action for <@U0MEMBER>: Book the room" in said  # the log entry, with its mention intact


def test_help_placeholders_are_escaped_for_mrkdwn(workspace):
    said = workspace.command("help").message_text
    assert "`/sc start &lt;area&gt;`" in said and "<area>" not in said


def test_the_whole_help_is_shown_however_long_it_grows(workspace):
    from bot.views.blocks import escape
    from bot.views.help import help_text

    shown = workspace.command("help").json["blocks"]
    assert all(len(b["text"]["text"]) <= 3000 for b in shown)
    assert "\n".join(b["text"]["text"] for b in shown) == escape(help_text())
