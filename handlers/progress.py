"""`/sc progress` for anyone and `/sc report` for managers, as rows of the `/sc` table.

The numbers are answered in the acknowledgement; a chart or a report is made
by a worker, so Slack's 3 seconds are never at risk.
"""
from slack_sdk.errors import SlackApiError

from bot.services import Services
from bot.views import blocks
from bot.views.progress import england_message, progress_message
from jobs import refused_there
from jobs.progress import enqueue_chart, enqueue_report
from models import clock
from models.commands import Command
from models.confidence import disagreements
from models.errors import InputError, Refused, ServiceDown
from models.progress import ProgressRequest, parse_progress

REPORT_COMING = "Building the progress report (PDF and spreadsheet); it will be posted in a thread here."
NOT_ITS_MANAGER = "The report for {name} is for {whose}. `/sc progress {typed}` shows its figures to anyone."


def parse(services: Services, command: Command) -> ProgressRequest:
    """Read from the region of the team asking: the channel's, or the person's own."""
    team = services.team_of(command.user, command.channel)
    return parse_progress(services.directory(), command.args, clock.now(), team.region)


def parse_report(services: Services, command: Command) -> ProgressRequest:
    """A region's report is for its managers, England's (and that of areas of several regions) for the national
    managers (SC_MANAGERS); the national managers may have any."""
    request = parse(services, command)
    teams = services.teams()
    team = teams.named(request.scope.region)
    if command.user not in teams.national_managers | (team.managers if team else frozenset()):
        whose = f"the managers of {team.region}" if team else "the national managers"
        raise Refused(NOT_ITS_MANAGER.format(name=request.scope.name, whose=whose,
                                             typed=request.group_text or request.scope.name))
    return request


def answer(services: Services, request: ProgressRequest, command: Command) -> dict:
    note = chart_note(services, request, command) if request.chart else ""
    with services.session() as session:
        if request.scope.is_england:
            reply = england_message(services.measure_england(session, request.as_of), note)
        else:
            progress = services.measure(session, request.scope, request.as_of)
            # Confidence is judged as it stands: a past day's answer leaves it out.
            found = (disagreements(session, clock.now(), services.settings_of(session, request.scope).stale_days,
                                   request.scope.codes) if request.today else None)
            reply = progress_message(progress, note, found)
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
