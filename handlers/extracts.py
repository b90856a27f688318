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
from handlers.commands import READS, WRITES, Write
from handlers.replies import NOT_TEAM, ephemeral, team_button
from jobs.extracts import queue_request, show_status
from models.errors import InputError, ServiceDown
from models.extracts import (
    DEFAULT_YEARS,
    ExtractSpec,
    parse_extract,
    recent_requests,
    retry_request,
    save_request,
    spec_from_form,
)
from models.statistics import stored_years


def parse(services: Services, args: str, user: str) -> ExtractSpec | None:
    return parse_extract(services.directory(), args) if args.strip() else None


def request_extract(services: Services, spec: ExtractSpec, user: str) -> str:
    with services.session() as session:
        request = save_request(session, spec, user)
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


def extract_form(services: Services, args: str, user: str) -> dict:
    directory = services.directory()
    with services.session() as session:
        years = stored_years(session) or DEFAULT_YEARS
    return extract_modal(directory, range(years[0], years[1] + 1))


def list_extracts(services: Services, args: str, user: str) -> dict:
    with services.session() as session:
        return extracts_message(recent_requests(session, user))


def register(app: App, services: Services) -> None:
    READS["extracts"] = list_extracts
    WRITES["extract"] = Write(parse, request_extract, extract_form)

    def submitted(ack: Ack, body: dict, view: dict) -> None:
        user = body["user"]["id"]
        values = {block: next(iter(state.values())) for block, state in view["state"]["values"].items()}
        try:
            if not services.is_team_member(user):
                raise InputError(NOT_TEAM)
            spec = spec_from_form(
                services.directory(), [o["value"] for o in values["areas"].get("selected_options") or []],
                [o["value"] for o in values["topics"].get("selected_options") or []],
                [o["value"] for o in values["formats"].get("selected_options") or []],
                int(values["first_year"]["selected_option"]["value"]),
                int(values["last_year"]["selected_option"]["value"]))
        except (InputError, ServiceDown) as error:
            field = {"topic": "topics", "format": "formats", "year": "first_year"}
            block = next((b for word, b in field.items() if word in str(error)), "areas")
            ack(response_action="errors", errors={block: str(error)[:2000]})
            return
        ack()
        # The status message, in the thread or a DM, tells the requester what happens next.
        request_extract(services, spec, user)

    def retry(body: dict, action: dict, respond: Respond, client, user: str) -> None:
        with services.session() as session:
            request = retry_request(session, int(action["value"]))
        reply = _queue(services, request.id, request.channel_id)
        respond(ephemeral({**blocks.message(reply), "replace_original": False}))

    app.view("extract_request")(submitted)
    app.action("extract_retry")(team_button(services, retry))
