"""`/sc progress` for anyone, `/sc report` for managers.

These two need the channel the command was typed in (to share, to upload a
chart, to thread a report), which the READS registry does not pass on, so
they have a `/sc` listener of their own, matched before the general one.
The numbers are answered in the acknowledgement; a chart or a report is made
by a worker, so Slack's 3 seconds are never at risk.
"""
from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services import Services
from bot.views import blocks
from bot.views.progress import progress_message
from handlers.replies import ephemeral, problem
from jobs.progress import enqueue_chart, enqueue_report
from models import clock
from models.commands import split_command
from models.errors import InputError, ServiceDown
from models.progress import ProgressRequest, measure, parse_progress

REPORT_COMING = "Building the progress report (PDF and spreadsheet); it will be posted in a thread here."
NOT_MANAGER = "The progress report is for managers. `/sc progress` shows the same figures to anyone."


def register(app: App, services: Services) -> None:
    def ours(body: dict) -> bool:
        return split_command(body.get("text", ""))[0] in ("progress", "report")

    def acknowledge(body: dict, ack: Ack) -> None:
        name, args = split_command(body.get("text", ""))
        try:
            if name == "report" and body["user_id"] not in services.settings.managers:
                raise InputError(NOT_MANAGER)
            request = parse_progress(services.directory(), args, clock.now())
            ack(ephemeral(blocks.message(REPORT_COMING)) if name == "report" else answer(services, request, body))
        except (InputError, ServiceDown) as error:
            ack(problem(error))

    def post_report(body: dict, client: WebClient, respond: Respond) -> None:
        name, args = split_command(body.get("text", ""))
        if name != "report" or body["user_id"] not in services.settings.managers:
            return
        try:
            request = parse_progress(services.directory(), args, clock.now())
        except (InputError, ServiceDown):
            return  # answered in the acknowledgement
        user, channel = body["user_id"], body["channel_id"]
        try:
            posted = client.chat_postMessage(channel=channel, text=(
                f":page_facing_up: <@{user}> asked for the progress report for {blocks.escape(request.scope.name)}"
                f"{'' if request.today else ' as of ' + blocks.day(request.as_of)}. "
                "The PDF and the spreadsheet will follow in this thread."))
        except SlackApiError as error:
            respond(ephemeral(blocks.message(
                f":warning: I couldn't post in this channel ({error.response.get('error')}). "
                "Invite me with `/invite @scbot`, or ask in the team channel.")))
            return
        try:
            enqueue_report(services, request, posted["channel"], posted["ts"])
        except ServiceDown as error:
            respond(problem(error))

    app.command("/sc", matchers=[ours])(ack=acknowledge, lazy=[post_report])


def answer(services: Services, request: ProgressRequest, body: dict) -> dict:
    with services.session() as session:
        progress = measure(session, services.directory(), request.scope, request.as_of,
                           services.reminder_settings(session).target_date)
    note = ""
    if request.chart:
        note = chart_note(services, request, body)
    reply = progress_message(progress, note)
    return {**reply, "response_type": "in_channel" if request.share else "ephemeral"}


def chart_note(services: Services, request: ProgressRequest, body: dict) -> str:
    """Queue the chart (shared in the channel, or sent privately); say where it will appear."""
    try:
        enqueue_chart(services, request, body["channel_id"] if request.share else "", body["user_id"],
                      body["trigger_id"])
    except ServiceDown:
        return ":construction: The job queue (Redis) is not answering, so the chart can't be drawn now."
    return (":chart_with_upwards_trend: The burn-up chart follows in this channel." if request.share
            else ":chart_with_upwards_trend: The burn-up chart is on its way to your direct messages with me.")
