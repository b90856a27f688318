"""`/sc canvas` (managers): the coverage canvas in the team channel, made afresh now rather than at the
clock's next minute (jobs.canvas)."""
from bot.services import Services
from bot.views.blocks import message
from jobs.canvas import enqueue_rebuild
from models.commands import Command
from models.errors import InputError

NO_CHANNEL = "No team channel is set (SC_TEAM_CHANNEL), so there is no canvas to keep."


def rebuild(services: Services, request: Command, command: Command) -> dict:
    channel = services.settings.sc_team_channel
    if not channel:
        raise InputError(NO_CHANNEL)
    enqueue_rebuild(services, command.user, command.trigger_id)
    return message(f":bar_chart: Rebuilding the coverage canvas in <#{channel}> now. If Slack refuses it, "
                   "I'll tell you why in a direct message.")
