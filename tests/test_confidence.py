"""Delivery confidence over HTTP: `/sc confidence`, where it shows, and where it and the log disagree."""
import io
import json
import subprocess
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import text

from bot.clock import queue_canvas
from jobs import worker_services
from jobs.reminders import send_digest, send_nudge
from models import clock
from models.migrate import upgrade
from models.reminders import nudges
from models.tables import ConfidenceAssessment, Conversation, LogEntry
from tests.test_console import console_settings, run
from tests.workspace import MANAGER, MEMBER, OUTSIDER, TEAM_CHANNEL, everything_said


def started(workspace, *areas: str) -> None:
    for area in areas:
        assert "Started" in workspace.command(f"start {area}").json["text"]
    workspace.run_jobs()


def quiet_for(workspace, title: str, days: int) -> None:
    """As if nothing had been logged in the conversation for `days` days."""
    then = clock.now() - timedelta(days=days)
    with workspace.engine.begin() as database:
        database.execute(text("UPDATE conversation SET last_activity_at = :then, started_at = :then "
                              "WHERE title = :title"), {"then": then, "title": title})


def test_confidence_shows_on_the_card_in_show_and_in_the_thread(workspace):
    started(workspace, "Leicester")
    reply = workspace.command('confidence Leicester amber "cabinet decision in January"').json["text"]
    # Saved and answered in the acknowledgement, with its date and author.
    assert "Delivery confidence for *Leicester*" in reply and "*Amber*" in reply
    assert f"{clock.today():%-d %b %Y}, <@{MEMBER}>): cabinet decision in January" in reply
    assert "cabinet decision in January. It will show in the conversation's thread" in reply  # a sentence ends
    [assessment] = workspace.rows(ConfidenceAssessment)
    assert (assessment.rating, assessment.reason, assessment.assessed_by) == (
        "amber", "cabinet decision in January", MEMBER)
    # An assessment is not activity with the council: the conversation is as quiet as it was.
    [conversation] = workspace.rows(Conversation)
    [start] = [e for e in workspace.rows(LogEntry) if e.kind == "start"]
    assert conversation.last_activity_at == start.created_at

    workspace.run_jobs()
    [card] = workspace.channel_messages()
    assert "*Delivery confidence*: :large_orange_circle: *Amber*" in str(card["blocks"])
    assert "cabinet decision in January" in str(card["blocks"])
    thread = workspace.slack.thread(TEAM_CHANNEL, card["ts"])
    assert "Delivery confidence: Amber. cabinet decision in January" in thread[-1]["text"]

    shown = everything_said(workspace.command("show Leicester").json)
    assert "*Amber*" in shown and f"<@{MEMBER}>): cabinet decision in January" in shown

    # The newest assessment stands.
    workspace.command("confidence Leicester amber/green decision brought forward to December")
    shown = everything_said(workspace.command("show Leicester").json)
    assert "*Amber/Green*" in shown and "decision brought forward to December" in shown
    assert "cabinet decision in January" not in shown.split("Latest notes")[0]


def test_a_card_never_assessed_says_how(workspace):
    started(workspace, "Derby")
    shown = everything_said(workspace.command("show Derby").json)
    assert "*Delivery confidence*: not assessed yet. `/sc confidence Derby &lt;rating&gt; &lt;why&gt;`" in shown


def test_the_rating_reads_as_people_write_it(workspace):
    started(workspace, "Leicester", "Derby", "Nottingham Core HMA")
    for said, rating in (("amber/green", "amber-green"), ("Amber Green", "amber-green"), ("A/G", "amber-green"),
                         ("amber-red", "amber-red"), ("Amber / Red", "amber-red"), ("GREEN", "green"),
                         ("red", "red")):
        assert "Delivery confidence" in workspace.command(f"confidence Gedling {said} because").json["text"]
        assert workspace.rows(ConfidenceAssessment)[-1].rating == rating, said
    # The HMA's conversation, named by a member area; a reason in curly quotes is kept without them.
    workspace.command("confidence Gedling red “no officer in post”")
    assert workspace.rows(ConfidenceAssessment)[-1].reason == "no officer in post"


def test_bad_input_is_answered_clearly_and_nothing_is_saved(workspace):
    started(workspace, "Leicester")
    said = workspace.command("confidence Leicestr amber reasons").message_text
    assert "I don't know an area called “Leicestr”" in said and "Leicester" in said
    said = workspace.command("confidence Leicester ambr the cabinet").message_text
    assert "“ambr” is not a delivery confidence rating. Did you mean `amber`?" in said
    said = workspace.command("confidence Leicester yellow sunny").message_text
    assert "“yellow” is not a delivery confidence rating. The ratings: `green`, `amber-green`" in said
    assert "Did you mean" not in said
    said = workspace.command("confidence Leicester amber").message_text
    assert "Why Amber? Say what the rating rests on" in said
    said = workspace.command('confidence Leicester amber ""').message_text
    assert "Why Amber?" in said
    said = workspace.command("confidence Leicester").message_text
    assert "How confident are you in delivering Leicester, and why?" in said
    said = workspace.command("confidence").message_text
    assert "Which area, how confident, and why?" in said
    said = workspace.command("confidence Leicester red " + "x" * 501).message_text
    assert "The reason is 501 characters long; Slack shows at most 500" in said
    said = workspace.command("confidence Derby green all good").message_text
    assert "Derby has no Single Conversation yet. Start one with `/sc start Derby`" in said
    said = workspace.command("confidence Leicester green fine", user=OUTSIDER).message_text
    assert "Only the regional team can change Single Conversations" in said
    assert workspace.rows(ConfidenceAssessment) == []
    assert [e.kind for e in workspace.rows(LogEntry)] == ["start"]


def test_progress_lists_where_confidence_and_the_log_disagree(workspace):
    started(workspace, "Leicester", "Derby", "Rutland", "Bassetlaw")
    quiet_for(workspace, "Leicester", 40)  # Green, yet quiet for longer than the 21 quiet days
    workspace.command("confidence Leicester green on track")
    workspace.command("stage Derby evidence")  # Red, yet moving
    workspace.command("confidence Derby red no chance")
    quiet_for(workspace, "Rutland", 40)  # Red and quiet: they agree
    workspace.command("confidence Rutland red stalled")
    workspace.command("confidence Bassetlaw green moving well")  # Green and active: they agree

    said = everything_said(workspace.command("progress").json)
    assert "*Confidence and the log disagree* (2)" in said
    assert "• *Leicester*: rated Green, but no log entry for 40 days" in said
    assert "• *Derby*: rated Red, but it moved on a stage in the last 21 days" in said
    assert "Rutland*:" not in said and "Bassetlaw*:" not in said
    assert "has had no log entry for over 21 days" in said  # the rule, stated

    # Within a county only its conversations; a past day leaves today's judgement out.
    said = everything_said(workspace.command("progress Leicestershire").json)
    assert "they agree on every conversation assessed" in said
    past = everything_said(workspace.command(f"progress as of {clock.today() - timedelta(days=1)}").json)
    assert "Confidence and the log" not in past


def test_help_states_the_command_and_the_rule(workspace):
    said = everything_said(workspace.command("help").json)
    assert "`/sc confidence &lt;area&gt; &lt;rating&gt; &lt;why&gt;`" in said
    assert "rated Green or Amber/Green has had no log entry for longer than the quiet-days setting" in said


def assessed_days_ago(workspace, days: int) -> None:
    """As if every assessment had been given `days` days ago."""
    with workspace.engine.begin() as database:
        database.execute(text("UPDATE confidenceassessment SET assessed_at = :then"),
                         {"then": clock.now() - timedelta(days=days)})


def test_the_canvas_shows_each_areas_confidence_with_its_date_and_author(workspace):
    with workspace.engine.begin() as database:
        database.execute(text("DELETE FROM teamcanvas"))
    started(workspace, "Leicester")
    workspace.command("confidence Leicester amber-red cabinet | *delayed*")
    assert queue_canvas(worker_services())
    workspace.run_jobs()
    [canvas] = workspace.slack.canvases_in(TEAM_CHANNEL)
    assert "| Area | Stage | Lead | Delivery confidence | Days since last entry | Next open action |" in canvas["markdown"]
    assert (f"| Leicester | Engaged (1 of 6) | ![](@{MEMBER}) | **Amber/Red** ({clock.today():%-d %b %Y}, "
            rf"![](@{MEMBER})): cabinet \| \*delayed\* | 0 | – |") in canvas["markdown"]


def test_home_shows_the_confidence_of_each_conversation_the_person_leads(workspace):
    started(workspace, "Leicester", "Derby")
    workspace.command("confidence Derby green signed off")
    workspace.event({"type": "app_home_opened", "user": MEMBER, "channel": "D" + MEMBER[1:], "tab": "home",
                     "event_ts": "1700000700.000100"}, "EvConfidenceHome")
    workspace.slack.wait_for("views.publish")
    said = everything_said(workspace.slack.views[f"home:{MEMBER}"])
    assert (f"Delivery confidence: :large_green_circle: *Green* ({clock.today():%-d %b %Y}, <@{MEMBER}>): "
            "signed off") in said
    assert "Delivery confidence: not assessed yet" in said  # Leicester


def test_the_digest_lists_the_weeks_assessments_and_the_disagreeing_pairs(workspace, monkeypatch):
    monkeypatch.setitem(workspace.slack.users, MEMBER, "Mo")
    started(workspace, "Leicester", "Derby")
    quiet_for(workspace, "Leicester", 30)
    workspace.command("confidence Leicester A/G nearly there")
    workspace.command("confidence Derby amber waiting on members")
    assert send_digest(clock.now().isoformat()) == f"sent to {TEAM_CHANNEL}"
    [post] = [c.args for c in workspace.slack.calls_to("chat.postMessage") if c.args["channel"] == TEAM_CHANNEL
              and "digest" in c.args["text"].lower()]
    said = everything_said(post)
    assert "• *Leicester*: Delivery confidence: Amber/Green. nearly there — Mo" in said
    assert "• *Derby*: Delivery confidence: Amber. waiting on members — Mo" in said
    assert "*Confidence and the log disagree* (1)" in said
    assert "• *Leicester*: rated Amber/Green, but no log entry for 30 days" in said


def test_a_lead_is_nudged_when_the_last_assessment_is_older_than_the_setting(workspace):
    started(workspace, "Leicester", "Derby")
    quiet_for(workspace, "Leicester", 40)
    workspace.command("log Leicester Met them")  # active again, but begun 40 days ago and never assessed
    workspace.command("confidence Derby amber waiting")
    services = worker_services()
    with services.session() as session:
        settings = services.reminder_settings(session)
        assert settings.confidence_days == 28
        nudge = nudges(session, settings, clock.now())[MEMBER]
        assert [(c.title, last) for c, last in nudge.unassessed] == [("Leicester", None)]
    workspace.command("confidence Leicester green all fine")
    assessed_days_ago(workspace, 29)
    with services.session() as session:
        nudge = nudges(session, settings, clock.now())[MEMBER]
        assert [(c.title, last.rating) for c, last in nudge.unassessed] == [("Leicester", "green")]
        # Derby began today: not due, though its assessment is as old.
        assert not nudge.quiet and not nudge.actions

    assert send_nudge(MEMBER, clock.now().isoformat()).startswith("sent")
    [dm] = [c.args for c in workspace.slack.calls_to("chat.postMessage") if c.args["channel"] == MEMBER]
    said = everything_said(dm)
    day_then = f"{(clock.now() - timedelta(days=29)):%-d %b %Y}"
    assert "*Delivery confidence due again*" in said
    assert f"• *Leicester*: last assessed {day_then}, Green. `/sc confidence Leicester &lt;rating&gt;" in said
    assert "Good morning: 1 thing to look at" in dm["text"]


def test_managers_set_the_days_after_which_confidence_is_due_again(workspace):
    workspace.join(MANAGER)
    workspace.command("settings", user=MANAGER)
    form = workspace.slack.wait_for("views.open")[0].args["view"]
    assert '"initial_value": "28"' in json.dumps(form)
    values = {
        "digest_day": {"digest_day": {"type": "static_select", "selected_option": {"value": "monday"}}},
        "digest_time": {"digest_time": {"type": "timepicker", "selected_time": "09:00"}},
        "digest_channel": {"digest_channel": {"type": "channels_select", "selected_channel": TEAM_CHANNEL}},
        "stale_days": {"stale_days": {"type": "plain_text_input", "value": "21"}},
        "confidence_days": {"confidence_days": {"type": "plain_text_input", "value": "soon"}},
        "target_date": {"target_date": {"type": "datepicker", "selected_date": "2030-04-01"}},
    }
    errors = workspace.submit(form, values, user=MANAGER).json["errors"]
    assert errors == {"confidence_days": "Give the number of days, e.g. 28."}
    values["confidence_days"]["confidence_days"]["value"] = "0"
    assert "between 1 and 365" in workspace.submit(form, values, user=MANAGER).json["errors"]["confidence_days"]
    values["confidence_days"]["confidence_days"]["value"] = "14"
    saved = everything_said(workspace.submit(form, values, user=MANAGER).json["view"])
    assert "delivery confidence is over 14 days old" in saved
    services = worker_services()
    with services.session() as session:
        assert services.reminder_settings(session).confidence_days == 14
    # The form shows it back.
    workspace.command("settings", user=MANAGER)
    assert '"initial_value": "14"' in json.dumps(workspace.slack.wait_for("views.open", 2)[1].args["view"])


def test_the_console_takes_confidence_as_slack_does(tmp_path, redis_server_url):
    settings = console_settings(tmp_path, redis_server_url)
    upgrade(settings.effective_database_url)
    said = dict(run(settings, "/sc start Leicester", '/sc confidence Leicester amber "cabinet decision in January"',
                    "/sc confidence Leicester yellow sunny", "/sc show Leicester"))
    answer = said['/sc confidence Leicester amber "cabinet decision in January"']
    assert "Delivery confidence for Leicester: :large_orange_circle: Amber (" in answer
    assert "@alice): cabinet decision in January" in answer
    assert "Delivery confidence: Amber. cabinet decision in January" in answer  # the thread's entry
    assert "Did you mean" not in said["/sc confidence Leicester yellow sunny"]
    assert "“yellow” is not a delivery confidence rating" in said["/sc confidence Leicester yellow sunny"]
    assert "Delivery confidence: :large_orange_circle: Amber" in said["/sc show Leicester"]


def test_the_report_shows_each_confidence_and_where_it_and_the_log_disagree(workspace, monkeypatch):
    monkeypatch.setitem(workspace.slack.users, MEMBER, "Mo")
    workspace.join(MANAGER)
    started(workspace, "Leicester", "Derby")
    quiet_for(workspace, "Leicester", 30)
    workspace.command("confidence Leicester green fine")
    workspace.command("confidence Derby amber-red awaiting members")
    posts = len(workspace.slack.calls_to("chat.postMessage"))
    assert "Building the progress report" in workspace.command("report", user=MANAGER).message_text
    workspace.slack.wait_for("chat.postMessage", posts + 1)
    workspace.settle()
    workspace.run_jobs()
    files = {f["name"]: f["content"] for f in workspace.slack.files.values()}
    [xlsx] = [content for name, content in files.items() if name.endswith(".xlsx")]
    workbook = load_workbook(io.BytesIO(xlsx))
    today = clock.today()
    assert [[c.date() if hasattr(c, "date") else c for c in row] for row in workbook["Delivery confidence"].values] == [
        ["Conversation", "Rating", "Assessed", "By", "Why"],
        ["Derby", "Amber/Red", today, "Mo", "awaiting members"],
        ["Leicester", "Green", today, "Mo", "fine"]]
    [(title, rating, _, why)] = list(workbook["Confidence and log"].values)[1:]
    assert (title, rating, why) == ("Leicester", "Green", "rated Green, but no log entry for 30 days")
    [pdf] = [content for name, content in files.items() if name.endswith(".pdf")]
    said = " ".join(subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
                    .stdout.decode().split())
    assert "Delivery confidence" in said and "awaiting members" in said and "Amber/Red" in said
    assert "rated Green, but no log entry for 30 days" in said
