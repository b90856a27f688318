"""The `/sc` slash command.

Reads are answered in the acknowledgement. Writes are checked in the
acknowledgement too (a mistake is answered at once and nothing is written),
then carried out by a lazy listener, which may call Slack and the database
without holding up Slack's 3-second limit.
"""
from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.services import Services
from bot.views import blocks, forms
from bot.views import conversation as conversation_views
from bot.views.help import help_message, unknown_command
from handlers.replies import NOT_TEAM, ephemeral, problem, thread_note
from models import clock
from models.commands import (
    ActionRequest,
    LogRequest,
    StageRequest,
    parse_action,
    parse_log,
    parse_stage_request,
    split_command,
)
from models.conversations import (
    Details,
    add_action,
    add_log_entry,
    conversation_titles,
    get_conversation,
    open_actions,
    require_conversation,
    set_stage,
    stages_by_area,
    start_conversation,
    view_conversation,
)
from models.errors import InputError, ServiceDown
from models.stages import STAGES


@dataclass(frozen=True)
class Write:
    """A subcommand that changes something.

    `parse` runs in the acknowledgement: it raises InputError for a mistake, or
    returns None when the user gave nothing and `form` should ask instead.
    `carry_out` runs in the lazy listener, for the team only, and returns the
    reply (text, or a message with blocks). Other handler modules add their
    subcommands to READS and WRITES.
    """

    parse: Callable[[Services, str, str], object | None]
    carry_out: Callable[[Services, object, str], str | dict] | None
    form: Callable[[Services, str, str], dict] | None = None


def form_only(form: Callable[[Services, str, str], dict]) -> Write:
    """A subcommand that always opens a form (its submission does the writing)."""
    return Write(lambda services, args, user: None, None, form)


def register(app: App, services: Services) -> None:
    def acknowledge(body: dict, ack: Ack, client: WebClient, respond: Respond) -> None:
        name, args = split_command(body.get("text", ""))
        user = body["user_id"]
        try:
            if name in READS:
                ack(ephemeral(READS[name](services, args, user)))
                return
            if name not in WRITES:
                ack(ephemeral(unknown_command(name)))
                return
            request = WRITES[name].parse(services, args, user)
        except (InputError, ServiceDown) as error:
            ack(problem(error))
            return
        ack()
        if request is None:  # no details given: ask with a form
            try:
                if not services.is_team_member(user):
                    respond(ephemeral(blocks.message(NOT_TEAM)))
                    return
                client.views_open(trigger_id=body["trigger_id"], view=WRITES[name].form(services, args, user))
            except (InputError, ServiceDown) as error:
                respond(problem(error))

    def carry_out(body: dict, respond: Respond) -> None:
        name, args = split_command(body.get("text", ""))
        if name not in WRITES:
            return
        user = body["user_id"]
        try:
            request = WRITES[name].parse(services, args, user)
        except (InputError, ServiceDown):
            return  # already answered in the acknowledgement
        if request is None:
            return
        try:
            if not services.is_team_member(user):
                respond(ephemeral(blocks.message(NOT_TEAM)))
                return
            reply = WRITES[name].carry_out(services, request, user)
            respond(ephemeral(reply if isinstance(reply, dict) else blocks.message(reply)))
        except (InputError, ServiceDown) as error:
            respond(problem(error))

    app.command("/sc")(ack=acknowledge, lazy=[carry_out])


# --- reads -----------------------------------------------------------------------

def show_help(services: Services, args: str, user: str) -> dict:
    return help_message()


def show_areas(services: Services, args: str, user: str) -> dict:
    directory = services.directory()
    with services.session() as session:
        begun = stages_by_area(session)
    return conversation_views.areas_message(directory, begun, args)


def show_conversation(services: Services, args: str, user: str) -> dict:
    if not args:
        raise InputError("Which area? For example `/sc show Leicester`.")
    directory = services.directory()
    group = directory.resolve(args)
    with services.session() as session:
        conversation_id = require_conversation(session, group).id
    return conversation_card(services, conversation_id)


def conversation_card(services: Services, conversation_id: int) -> dict:
    with services.session() as session:
        conversation = get_conversation(session, conversation_id)
        return conversation_views.show_message(view_conversation(session, services.directory(), conversation))


def show_actions(services: Services, args: str, user: str) -> dict:
    everyone = args.strip().lower() == "all"
    with services.session() as session:
        actions = open_actions(session, owner=None if everyone else user)
        titles = conversation_titles(session, {a.conversation_id for a in actions})
    if not actions:
        whose = "The team has" if everyone else "You have"
        return blocks.message(f"{whose} no open actions. `/sc action &lt;area&gt; &lt;text&gt;` adds one.")
    return blocks.message(f"{len(actions)} open actions",
                          conversation_views.action_blocks(actions, titles, redraw="all" if everyone else "mine"))


READS = {"help": show_help, "": show_help, "areas": show_areas, "show": show_conversation,
         "actions": show_actions}


# --- writes ----------------------------------------------------------------------

USAGE = {
    "log": "Which area, and what happened? For example `/sc log Leicester Met the housing team`.",
    "stage": "Which area, and which stage? For example `/sc stage Leicester evidence`.",
    "action": "Which area, and what is to be done? For example "
              "`/sc action Leicester Send the SHMA figures due next friday @jo`.",
}


def needs_args(name: str, parse):
    """A parser that explains the usage when nothing follows the subcommand."""
    def checked(services: Services, args: str, user: str):
        if not args:
            raise InputError(USAGE[name])
        return parse(services, args, user)
    return checked


def parse_start(services: Services, args: str, user: str):
    return services.directory().resolve(args) if args else None


def start_form(services: Services, args: str, user: str) -> dict:
    return forms.start_modal(services.directory(), user)


def parse_log_request(services: Services, args: str, user: str) -> LogRequest | None:
    request = parse_log(services.directory(), args)
    return request if request.text else None


def parse_stage_command(services: Services, args: str, user: str) -> StageRequest:
    return parse_stage_request(services.directory(), args)


def parse_action_command(services: Services, args: str, user: str) -> ActionRequest:
    return parse_action(services.directory(), args, user, clock.now())


def log_form(services: Services, args: str, user: str) -> dict:
    group = parse_log(services.directory(), args).group
    with services.session() as session:
        return forms.log_modal(require_conversation(session, group))


def write_start(services: Services, group, user: str) -> str:
    with services.session() as session:
        conversation = start_conversation(session, services.directory(), group, Details(lead_user_id=user), user)
    return (f":tada: Started the Single Conversation with *{blocks.escape(conversation.title)}*, "
            f"stage {STAGES[conversation.stage]}; you lead it."
            + thread_note(services, conversation.id, "start"))


def write_log(services: Services, request: LogRequest, user: str) -> str:
    with services.session() as session:
        conversation = require_conversation(session, request.group)
        entry = add_log_entry(session, conversation, user, request.text)
    return (f":memo: Logged for *{blocks.escape(conversation.title)}*."
            + thread_note(services, conversation.id, f"entry-{entry.id}"))


def write_stage(services: Services, request: StageRequest, user: str) -> str:
    with services.session() as session:
        conversation = require_conversation(session, request.group)
        entry = set_stage(session, conversation, request.stage, user)
    return (f":arrow_right: *{blocks.escape(conversation.title)}* is now at "
            f"*{blocks.stage_label(request.stage)}*." + thread_note(services, conversation.id, f"entry-{entry.id}"))


def write_action(services: Services, request: ActionRequest, user: str) -> str:
    with services.session() as session:
        conversation = require_conversation(session, request.group)
        action = add_action(session, conversation, request.text, request.owner, request.due_on, user)
    due = f", due {blocks.day(request.due_on)}" if request.due_on else ""
    return (f":pushpin: Action for <@{request.owner}>{due} on *{blocks.escape(conversation.title)}*: "
            f"{blocks.escape(action.text)}." + thread_note(services, conversation.id, f"action-{action.id}"))


WRITES: dict[str, Write] = {
    "start": Write(parse_start, write_start, start_form),
    "log": Write(needs_args("log", parse_log_request), write_log, log_form),
    "stage": Write(needs_args("stage", parse_stage_command), write_stage),
    "action": Write(needs_args("action", parse_action_command), write_action),
}
