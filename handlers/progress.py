"""`/sc progress` for anyone and `/sc report` for managers, as rows of the `/sc` table.

The numbers are answered in the acknowledgement; a chart or a report is made
by a worker, so Slack's 3 seconds are never at risk.
"""
from slack_sdk.errors import SlackApiError

from bot.services import Services
from bot.views import blocks
from bot.views.progress import progress_message
from jobs import refused_there
from jobs.progress import enqueue_chart, enqueue_report
from models import clock
from models.commands import Command
from models.confidence import disagreements
from models.errors import InputError, ServiceDown
from models.progress import ProgressRequest, measure, parse_progress

REPORT_COMING = "Building the progress report (PDF and spreadsheet); it will be posted in a thread here."


def parse(services: Services, command: Command) -> ProgressRequest:
    return parse_progress(services.directory(), command.args, clock.now())


def answer(services: Services, request: ProgressRequest, command: Command) -> dict:
    with services.session() as session:
        settings = services.reminder_settings(session)
        progress = measure(session, services.directory(), request.scope, request.as_of, settings.target_date)
        # Confidence is judged as it stands: a past day's answer leaves it out.
        found = (disagreements(session, clock.now(), settings.stale_days, request.scope.codes) if request.today
                 else None)
    reply = progress_message(progress, chart_note(services, request, command) if request.chart else "", found)
    return {**reply, "response_type": "in_channel" if request.share else "ephemeral"}


def chart_note(services: Services, request: ProgressRequest, command: Command) -> str:
    """Queue the chart (shared in the channel, or sent privately); say where it will appear."""
    try:
        enqueue_chart(services, request, command.channel if request.share else "", command.user, command.trigger_id)
    except ServiceDown:
        return ":construction: The job queue (Redis) is not answering, so the chart can't be drawn now."
    return (":chart_with_upwards_trend: The burn-up chart follows in this channel." if request.share
            else ":chart_with_upwards_trend: The burn-up chart is on its way to your direct messages with me.")


def report_coming(services: Services, request: ProgressRequest, command: Command) -> dict:
    return blocks.message(REPORT_COMING)


def post_report(services: Services, request: ProgressRequest, command: Command) -> None:
    """Open the report's thread in the channel it was asked in; a worker posts the files there."""
    try:
        posted = services.client.chat_postMessage(channel=command.channel, text=(
            f":page_facing_up: <@{command.user}> asked for the progress report for "
            f"{blocks.escape(request.scope.name)}"
            f"{'' if request.today else ' as of ' + blocks.day(request.as_of)}. "
            "The PDF and the spreadsheet will follow in this thread."))
    except SlackApiError as error:
        why = refused_there(error)
        if why is None:
            raise  # a fault that passes: answered as one
        raise InputError(f"I couldn't start the report's thread here: {why}. Or ask in the team channel.") from None
    enqueue_report(services, request, posted["channel"], posted["ts"], command.user)
