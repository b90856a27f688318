"""The `/sc` slash command: one table saying what each subcommand is, and two listeners.

Each row names who may run it, how its words are read, what is answered in
the acknowledgement, what is done after it (only what must call Slack: a
post the worker cannot make for it), and the form that asks when no details
are given. A read or an ordinary write is done and answered in the
acknowledgement itself: the write is saved in one short transaction and its
Slack side (the thread post, the card) queued for the worker, so
"acknowledged" means "saved". Only a request that must call Slack after the
acknowledgement (opening a form, posting the report) goes to the listener
with a lazy part, chosen by a matcher before any listener runs.
"""
from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.services import Services
from bot.views.blocks import message
from bot.views.help import help_message, unknown_command
from handlers import canvas, conversations, extracts, progress, reminders
from handlers.errors import problem
from handlers.permissions import Who, check
from handlers.replies import ephemeral
from models import absence
from models.commands import Command, check_command_length, split_command
from models.errors import InputError, ServiceDown
from models.slack_text import read_sent_text


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
    answer: Callable[[Services, object, Command], dict | str] | None = None  # in the acknowledgement
    after: Callable[[Services, object, Command], dict | str | None] | None = None  # calls Slack, so afterwards
    form: Callable[[Services, Command], dict] | None = None
    usage: str = ""  # said when the subcommand needs words after it and has none


SUBCOMMANDS: dict[str, Subcommand] = {
    "": Subcommand(Who.ANYONE, answer=_show_help),
    "help": Subcommand(Who.ANYONE, answer=_show_help),
    "areas": Subcommand(Who.ANYONE, answer=conversations.show_areas),
    "show": Subcommand(Who.ANYONE, answer=conversations.show_conversation,
                       usage="Which area? For example `/sc show Leicester`."),
    "actions": Subcommand(Who.ANYONE, answer=conversations.show_actions),
    "start": Subcommand(Who.TEAM, conversations.parse_start, answer=conversations.start,
                        form=conversations.start_form),
    "log": Subcommand(Who.TEAM, conversations.parse_log_command, answer=conversations.log,
                      form=conversations.log_form,
                      usage="Which area, and what happened? For example `/sc log Leicester Met the housing team`."),
    "stage": Subcommand(Who.TEAM, conversations.parse_stage_command, answer=conversations.stage,
                        usage="Which area, and which stage? For example `/sc stage Leicester evidence`."),
    "action": Subcommand(Who.TEAM, conversations.parse_action_command, answer=conversations.action,
                         usage="Which area, and what is to be done? For example "
                               "`/sc action Leicester Send the SHMA figures due next friday @jo`."),
    "confidence": Subcommand(Who.TEAM, conversations.parse_confidence_command, answer=conversations.confidence,
                             usage="Which area, how confident, and why? For example "
                                   '`/sc confidence Leicester amber "cabinet decision in January"`.'),
    "remind": Subcommand(Who.TEAM, reminders.parse_remind, answer=reminders.remind, usage=reminders.USAGE),
    "reminders": Subcommand(Who.ANYONE, answer=reminders.list_reminders),
    "away": Subcommand(Who.TEAM, reminders.parse_away, answer=reminders.away, usage=absence.USAGE),
    "back": Subcommand(Who.TEAM, answer=reminders.back),
    "settings": Subcommand(Who.MANAGERS, _ask_with_form, form=reminders.settings_form),
    # The extract's status message is posted before the acknowledgement's reply is shown.
    "extract": Subcommand(Who.TEAM, extracts.parse, after=extracts.request_extract, form=extracts.extract_form),
    "extracts": Subcommand(Who.ANYONE, answer=extracts.list_extracts),
    "progress": Subcommand(Who.ANYONE, progress.parse, answer=progress.answer),
    "report": Subcommand(Who.MANAGERS, progress.parse_report, answer=progress.report_coming,
                         after=progress.post_report),
    "canvas": Subcommand(Who.MANAGERS, answer=canvas.rebuild),
}


def read_command(body: dict) -> Command:
    """The command as the person typed it (Slack's escaping undone, once, here); a text longer than any
    command can be is refused before it is read further."""
    text = read_sent_text(body.get("text", ""))
    check_command_length(text)
    name, args = split_command(text)
    return Command(name, args, body.get("user_id", ""), body.get("channel_id", ""), body.get("trigger_id", ""))


def _reply(said: dict | str) -> dict:
    return ephemeral(said if isinstance(said, dict) else message(said))


def register(app: App, services: Services) -> None:
    # Bolt's matcher, middleware and listener each read the request: it is read once, in Bolt's context.
    def read(body: dict, context: BoltContext) -> Command:
        if "sc_command" not in context:
            context["sc_command"] = read_command(body)
        return context["sc_command"]

    def permitted(body: dict, context: BoltContext, next) -> None:
        command = read(body, context)
        found = SUBCOMMANDS.get(command.name)
        # An unknown subcommand is answered with the help, which anyone may read.
        check(services, found.who if found else Who.ANYONE, command.user, command.channel)
        next()

    def follows_up(body: dict, context: BoltContext) -> bool:
        """Whether Slack must be called after the acknowledgement: a form to open or a post to make.
        Only a permitted request of a fitting length is read this far; anything else is answered by
        the plain listener."""
        try:
            command = read(body, context)
            found = SUBCOMMANDS.get(command.name)
            if found is None or not (found.after or found.form):
                return False
            check(services, found.who, command.user, command.channel)
            if found.after or not command.args:
                return True
            # `/sc log <area>` alone asks for the text with a form: only reading the words tells.
            context["sc_request"] = found.parse(services, command)
            return context["sc_request"] is None
        except (InputError, ServiceDown):
            return False

    def acknowledge(body: dict, context: BoltContext, ack: Ack) -> None:
        command = read(body, context)
        found = SUBCOMMANDS.get(command.name)
        if found is None:
            ack(ephemeral(unknown_command(command.name)))
            return
        if found.usage and not command.args:
            raise InputError(found.usage)
        request = context["sc_request"] if "sc_request" in context else found.parse(services, command)
        if request is None or found.answer is None:
            ack()  # the form, or the change, follows from the lazy listener
            return
        ack(_reply(found.answer(services, request, command)))

    def follow_up(body: dict, client: WebClient, respond: Respond) -> None:
        command = read_command(body)
        found = SUBCOMMANDS[command.name]
        try:
            request = found.parse(services, command)
        except InputError:
            return  # answered in the acknowledgement
        try:
            if request is None and found.form:
                client.views_open(trigger_id=command.trigger_id, view=found.form(services, command))
            elif request is not None and found.after:
                said = found.after(services, request, command)
                if said is not None:
                    respond(_reply(said))
        except Exception as error:  # noqa: BLE001 - the one place a lazy listener's failure is answered
            respond(problem(error))

    # Nothing in the acknowledgement waits on Slack, so it runs in the request's own thread (bot.app).
    middleware = [permitted, app.listener_runner.listener_executor.in_request_thread]
    # The first listener whose matcher agrees takes the request; the plain one takes the rest.
    app.command("/sc", matchers=[follows_up], middleware=middleware)(ack=acknowledge, lazy=[follow_up])
    app.command("/sc", middleware=middleware)(acknowledge)
