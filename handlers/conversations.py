"""The conversation subcommands of `/sc`: areas, show, actions (read); start, log, stage, action, confidence
(write).

Areas are looked up as the region's team would (the region whose team channel the command was typed in, or
the person's own): its own areas first, then any area of England by its exact name. Writing to an area is
for its region's team (handlers.permissions.check_region), checked as soon as the words are read."""
from bot.services import Services
from bot.views import blocks, forms
from bot.views import conversation as conversation_views
from handlers.permissions import check_region
from handlers.replies import conversation_note, thread_note
from models import clock
from models.areas import AreaDirectory, AreaGroup
from models.commands import (
    ActionRequest,
    Command,
    LogRequest,
    StageRequest,
    parse_action,
    parse_log,
    parse_stage_request,
)
from models.confidence import ConfidenceRequest, assess, parse_confidence
from models.conversations import (
    Details,
    add_action,
    conversation_titles,
    get_conversation,
    log_note,
    open_actions,
    require_conversation,
    set_stage,
    stages_by_area,
    start_conversation,
    view_conversation,
)
from models.stages import STAGES, skipped_stages
from models.tables import Conversation


def region_of_request(services: Services, user: str, channel: str = "") -> str:
    """The region a request is made in: the one whose team channel it was typed in, else the person's own."""
    return services.team_of(user, channel).region


def region_offered(services: Services, user: str, channel: str = "") -> str:
    """The region whose areas a form offers: the one it is asked for in, unless the person may write to none of
    its areas there (another region's channel): then their own."""
    team = services.team_of(user, channel)
    return (team if services.is_team_member(user, team) else services.team_of(user)).region


def directory_for(services: Services, user: str, channel: str = "") -> AreaDirectory:
    """The directory reading names region first, for the region a request is made in."""
    return services.directory().region_first(region_of_request(services, user, channel))


def may_write(services: Services, user: str, group: AreaGroup) -> None:
    """Refused unless `user` is in the team of the region of `group`."""
    check_region(services, user, services.directory().region_of(group), group.name)


# --- reads -----------------------------------------------------------------------


def show_areas(services: Services, command: Command, _: Command) -> dict:
    directory = services.directory().within(region_of_request(services, command.user, command.channel))
    with services.session() as session:
        begun = stages_by_area(session)
    return conversation_views.areas_message(directory, begun, command.args)


def show_conversation(services: Services, command: Command, _: Command) -> dict:
    group = directory_for(services, command.user, command.channel).resolve(command.args)
    with services.session() as session:
        conversation_id = require_conversation(session, group).id
    return conversation_card(services, conversation_id)


def conversation_card(services: Services, conversation_id: int) -> dict:
    with services.session() as session:
        conversation = get_conversation(session, conversation_id)
        return conversation_views.show_message(view_conversation(session, services.directory(), conversation))


def show_actions(services: Services, command: Command, _: Command) -> dict:
    return actions_list(services, command.args, command.user, command.channel)


def actions_list(services: Services, which: str, user: str, channel: str = "") -> dict:
    """Open actions: the person's own (in any region), or, when `which` is "all", those of everyone in the team
    of the region asked in."""
    everyone = which.strip().lower() == "all"
    with services.session() as session:
        actions = (open_actions(session, region=region_of_request(services, user, channel)) if everyone
                   else open_actions(session, owner=user))
        titles = conversation_titles(session, {a.conversation_id for a in actions})
    if not actions:
        whose = "The team has" if everyone else "You have"
        return blocks.message(f"{whose} no open actions. `/sc action &lt;area&gt; &lt;text&gt;` adds one.")
    return blocks.message(f"{len(actions)} open actions",
                          conversation_views.action_blocks(actions, titles, redraw="all" if everyone else "mine"))


# --- writes: reading the words ------------------------------------------------------

def _lookup(services: Services, command: Command) -> AreaDirectory:
    return directory_for(services, command.user, command.channel)


def parse_start(services: Services, command: Command) -> AreaGroup | None:
    return _lookup(services, command).resolve(command.args) if command.args else None


def parse_log_command(services: Services, command: Command) -> LogRequest | None:
    request = parse_log(_lookup(services, command), command.args)
    may_write(services, command.user, request.group)
    return request if request.text else None  # an area alone: ask for the text with a form


def parse_stage_command(services: Services, command: Command) -> StageRequest:
    request = parse_stage_request(_lookup(services, command), command.args)
    may_write(services, command.user, request.group)
    return request


def parse_confidence_command(services: Services, command: Command) -> ConfidenceRequest:
    request = parse_confidence(_lookup(services, command), command.args)
    may_write(services, command.user, request.group)
    return request


def parse_action_command(services: Services, command: Command) -> ActionRequest:
    request = parse_action(_lookup(services, command), command.args, command.user, clock.now())
    may_write(services, command.user, request.group)
    return request


def start_form(services: Services, command: Command) -> dict:
    region = region_offered(services, command.user, command.channel)
    return forms.start_modal(services.directory().within(region), command.user)


def log_form(services: Services, command: Command) -> dict:
    group = parse_log(_lookup(services, command), command.args).group
    with services.session() as session:
        return forms.log_modal(require_conversation(session, group))


# --- writes: saved and answered in the acknowledgement; the thread follows from the worker ---

def start(services: Services, group: AreaGroup, command: Command) -> str:
    return start_for(services, group, command.user)


def start_for(services: Services, group: AreaGroup, user: str) -> str:
    may_write(services, user, group)
    with services.session() as session:
        conversation = start_conversation(session, services.directory(), group, Details(lead_user_id=user), user)
    return (f":tada: Started the Single Conversation with *{blocks.escape(conversation.title)}*, "
            f"stage {STAGES[conversation.stage]}; you lead it."
            + conversation_note(services, conversation))


def log(services: Services, request: LogRequest, command: Command) -> str:
    with services.session() as session:
        conversation_id, title, channel = log_note(session, request.group, command.user, request.text)
    region = services.directory().region_of(request.group)
    return f":memo: Logged for *{blocks.escape(title)}*." + thread_note(services, conversation_id, region, channel)


def stage(services: Services, request: StageRequest, command: Command) -> str | dict:
    """Moved on one stage (or back) at once; words that could mean two stages, or a move past a stage,
    are answered with buttons that make the move."""
    with services.session() as session:
        conversation = require_conversation(session, request.group)
        if len(request.stages) > 1:
            return conversation_views.stage_question(conversation, request.said, request.stages)
        [chosen] = request.stages
        if chosen != conversation.stage and skipped_stages(conversation.stage, chosen):
            return conversation_views.skip_question(conversation, chosen)
        set_stage(session, conversation, chosen, command.user)
    return moved_on(services, conversation, chosen)


def moved_on(services: Services, conversation: Conversation, stage: str) -> str:
    return (f":arrow_right: *{blocks.escape(conversation.title)}* is now at "
            f"*{blocks.stage_label(stage)}*." + conversation_note(services, conversation))


def confidence(services: Services, request: ConfidenceRequest, command: Command) -> str:
    with services.session() as session:
        conversation = require_conversation(session, request.group)
        assessment = assess(session, conversation, request.rating, request.reason, command.user)
        said = conversation_views.confidence_text(assessment)
    # The reason is the person's own words: a full stop after them unless they ended the sentence.
    end = "" if said.endswith((".", "!", "?")) else "."
    return (f":traffic_light: Delivery confidence for *{blocks.escape(conversation.title)}*: {said}{end}"
            + conversation_note(services, conversation))


def action(services: Services, request: ActionRequest, command: Command) -> str:
    with services.session() as session:
        conversation = require_conversation(session, request.group)
        item = add_action(session, conversation, request.text, request.owner, request.due_on, command.user)
    due = f", due {blocks.day(request.due_on)}" if request.due_on else ""
    return (f":pushpin: Action for <@{request.owner}>{due} on *{blocks.escape(conversation.title)}*: "
            f"{blocks.escape(item.text)}." + conversation_note(services, conversation))
