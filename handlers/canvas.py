"""`/sc canvas` (managers): the region's coverage canvas in its team channel (the channel it is asked in, or
the manager's own team's), made afresh now rather than at the clock's next minute (jobs.canvas)."""
from bot.services import Services
from bot.views.blocks import message
from jobs.canvas import enqueue_rebuild
from models.commands import Command
from models.errors import InputError

NO_CHANNEL = "No team channel is set for {region} (`scbot region set`), so there is no canvas to keep."


def rebuild(services: Services, request: Command, command: Command) -> dict:
    team = services.team_of(command.user, command.channel)
    channel = team.channel
    if not channel:
        raise InputError(NO_CHANNEL.format(region=team.region))
    enqueue_rebuild(services, command.user, command.trigger_id, team)
    return message(f":bar_chart: Rebuilding the coverage canvas in <#{channel}> now. If Slack refuses it, "
                   "I'll tell you why in a direct message.")
