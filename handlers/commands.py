"""The `/sc` slash command: one listener, and one table saying what each subcommand is.

Each row names who may run it, how its words are read (in the
acknowledgement, so a mistake is answered at once and nothing is written),
what is answered in the acknowledgement, what is carried out afterwards (a
lazy listener, free to call Slack and the database without holding up Slack's
3 seconds), and the form that asks when no details are given.
"""
from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.services import Services
from bot.views.blocks import message
from bot.views.help import help_message, unknown_command
from handlers import conversations, extracts, progress, reminders
from handlers.errors import problem
from handlers.permissions import Who, only
from handlers.replies import ephemeral
from models.commands import Command, split_command
from models.errors import InputError


def _as_given(services: Services, command: Command) -> Command:
    return command


def _ask_with_form(services: Services, command: Command) -> None:
    return None


def _show_help(services: Services, request: Command, command: Command) -> dict:
    return help_message()


@dataclass(frozen=True)
class Subcommand:
    """`parse` returns the request, or None when the person gave nothing and `form` should ask."""

    who: Who
    parse: Callable[[Services, Command], object | None] = _as_given
    answer: Callable[[Services, object, Command], dict] | None = None  # in the acknowledgement
    carry_out: Callable[[Services, object, Command], dict | str | None] | None = None  # afterwards
    form: Callable[[Services, Command], dict] | None = None
    usage: str = ""  # said when the subcommand needs words after it and has none


SUBCOMMANDS: dict[str, Subcommand] = {
    "": Subcommand(Who.ANYONE, answer=_show_help),
    "help": Subcommand(Who.ANYONE, answer=_show_help),
    "areas": Subcommand(Who.ANYONE, answer=conversations.show_areas),
    "show": Subcommand(Who.ANYONE, answer=conversations.show_conversation,
                       usage="Which area? For example `/sc show Leicester`."),
    "actions": Subcommand(Who.ANYONE, answer=conversations.show_actions),
    "start": Subcommand(Who.TEAM, conversations.parse_start, carry_out=conversations.start,
                        form=conversations.start_form),
    "log": Subcommand(Who.TEAM, conversations.parse_log_command, carry_out=conversations.log,
                      form=conversations.log_form,
                      usage="Which area, and what happened? For example `/sc log Leicester Met the housing team`."),
    "stage": Subcommand(Who.TEAM, conversations.parse_stage_command, carry_out=conversations.stage,
                        usage="Which area, and which stage? For example `/sc stage Leicester evidence`."),
    "action": Subcommand(Who.TEAM, conversations.parse_action_command, carry_out=conversations.action,
                         usage="Which area, and what is to be done? For example "
                               "`/sc action Leicester Send the SHMA figures due next friday @jo`."),
    "remind": Subcommand(Who.TEAM, reminders.parse_remind, carry_out=reminders.remind, usage=reminders.USAGE),
    "reminders": Subcommand(Who.ANYONE, answer=reminders.list_reminders),
    "settings": Subcommand(Who.MANAGERS, _ask_with_form, form=reminders.settings_form),
    "extract": Subcommand(Who.TEAM, extracts.parse, carry_out=extracts.request_extract, form=extracts.extract_form),
    "extracts": Subcommand(Who.ANYONE, answer=extracts.list_extracts),
    "progress": Subcommand(Who.ANYONE, progress.parse, answer=progress.answer),
    "report": Subcommand(Who.MANAGERS, progress.parse, answer=progress.report_coming, carry_out=progress.post_report),
}


def read_command(body: dict) -> Command:
    name, args = split_command(body.get("text", ""))
    return Command(name, args, body.get("user_id", ""), body.get("channel_id", ""), body.get("trigger_id", ""))


def register(app: App, services: Services) -> None:
    def who(body: dict) -> Who:
        # An unknown subcommand is answered with the help, which anyone may read.
        found = SUBCOMMANDS.get(read_command(body).name)
        return found.who if found else Who.ANYONE

    def acknowledge(body: dict, ack: Ack) -> None:
        command = read_command(body)
        found = SUBCOMMANDS.get(command.name)
        if found is None:
            ack(ephemeral(unknown_command(command.name)))
            return
        if found.usage and not command.args:
            raise InputError(found.usage)
        request = found.parse(services, command)
        if request is None or found.answer is None:
            ack()  # the form, or the change, follows from the lazy listener
            return
        ack(ephemeral(found.answer(services, request, command)))

    def follow_up(body: dict, client: WebClient, respond: Respond) -> None:
        command = read_command(body)
        found = SUBCOMMANDS.get(command.name)
        if found is None or (found.usage and not command.args):
            return
        try:
            request = found.parse(services, command)
        except InputError:
            return  # answered in the acknowledgement
        try:
            if request is None and found.form:
                client.views_open(trigger_id=command.trigger_id, view=found.form(services, command))
            elif request is not None and found.carry_out:
                reply = found.carry_out(services, request, command)
                if reply is not None:
                    respond(ephemeral(reply if isinstance(reply, dict) else message(reply)))
        except Exception as error:  # noqa: BLE001 - the one place a lazy listener's failure is answered
            respond(problem(error))

    app.command("/sc", middleware=[only(services, who)])(ack=acknowledge, lazy=[follow_up])
