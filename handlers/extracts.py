"""`/sc extract`, `/sc extracts`, the extract form and the Retry button.

A request is checked in the acknowledgement (a mistake is answered at once and
nothing is saved or queued), then saved, given its status message and queued
by the lazy listener; the worker builds and posts the files.
"""
from slack_bolt import Ack, App, Respond
from slack_sdk.errors import SlackApiError

from bot.services import Services
from bot.views import blocks
from bot.views.extracts import extract_modal, extracts_message
from bot.views.ids import ActionId, FormId
from handlers.conversations import directory_for
from handlers.forms import form_values
from handlers.permissions import Who, only
from handlers.replies import ephemeral
from jobs.extracts import queue_request, show_status
from models.commands import Command
from models.errors import InputError
from models.extracts import (
    FORM_OUT_OF_DATE,
    ExtractSpec,
    default_years,
    held_years,
    parse_extract,
    recent_requests,
    retry_request,
    save_request,
    spec_from_form,
)
from models.values import whole_number


def parse(services: Services, command: Command) -> ExtractSpec | None:
    if not command.args.strip():
        return None
    with services.session() as session:
        held = held_years(session)
    # An area is looked for in the region the command is made in first, as `/sc` does.
    return parse_extract(directory_for(services, command.user, command.channel), command.args, held)


def request_extract(services: Services, spec: ExtractSpec, command: Command) -> str:
    return requested(services, spec, command.user)


def requested(services: Services, spec: ExtractSpec, user: str) -> str:
    theirs = frozenset(team.region for team in services.teams().teams if services.is_team_member(user, team))
    with services.session() as session:
        request = save_request(session, spec, user, theirs)
    return _queue(services, request.id, request.channel_id)


def _queue(services: Services, request_id: int, channel: str) -> str:
    queued = queue_request(services, request_id)
    try:
        show_status(services, request_id)
    except SlackApiError:
        pass  # the worker posts the status message when it starts
    where = f"in the conversation's thread in <#{channel}>" if channel else "in a direct message from me"
    if not queued:
        return (f":hourglass: Extract #{request_id} is saved, but the job queue (Redis) is not answering. "
                f"It will be built when the queue is back, and the files will arrive {where}. Nothing is lost.")
    return f":inbox_tray: Extract #{request_id} is queued. The files will arrive {where}."


def extract_form(services: Services, command: Command | None = None) -> dict:
    directory = services.directory()
    with services.session() as session:
        held = held_years(session)
    return extract_modal(directory, range(held[0], held[1] + 1), default_years(held))


def list_extracts(services: Services, command: Command, _: Command) -> dict:
    with services.session() as session:
        return extracts_message(recent_requests(session, command.user))


def _chosen(values: dict, block: str) -> list:
    try:
        return [option["value"] for option in values.get(block, {}).get("selected_options") or []]
    except (AttributeError, KeyError, TypeError):  # not the shape Slack sends: forged
        raise InputError(FORM_OUT_OF_DATE, field=block) from None


def _year(values: dict, block: str) -> int:
    try:
        return whole_number((values.get(block, {}).get("selected_option") or {}).get("value", ""))
    except AttributeError:
        raise InputError(FORM_OUT_OF_DATE, field=block) from None


def register(app: App, services: Services) -> None:
    team_only = [only(services, Who.TEAM)]

    @app.view(FormId.EXTRACT, middleware=team_only)
    def submitted(ack: Ack, body: dict, view: dict) -> None:
        values = form_values(view)
        with services.session() as session:
            held = held_years(session)
        spec = spec_from_form(services.directory(), _chosen(values, "areas"), _chosen(values, "topics"),
                              _chosen(values, "formats"), _year(values, "first_year"), _year(values, "last_year"),
                              held)
        ack()
        # The status message, in the thread or a DM, tells the requester what happens next.
        requested(services, spec, body["user"]["id"])

    @app.action(ActionId.EXTRACT_RETRY, middleware=team_only)
    def retry(ack: Ack, action: dict, respond: Respond) -> None:
        with services.session() as session:
            request = retry_request(session, whole_number(action.get("value")))
        ack()  # after the checks: see handlers/actions.py
        reply = _queue(services, request.id, request.channel_id)
        respond(ephemeral({**blocks.message(reply), "replace_original": False}))
