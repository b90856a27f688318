"""Building extracts and evidence packs on RQ, and keeping the requester's status message up to date.

`build_extract(request_id)` makes the documents from the statistics store and
uploads them with Slack's current flow (files_upload_v2: getUploadURLExternal,
then completeUploadExternal) into the conversation's thread, or to the
requester in a direct message. The status message (posted with the Web API,
never a response_url, which expires) is updated in place as the request moves
on. Each side effect is recorded as soon as it is made: a job run again, or
retried by RQ after its worker was killed, reuses the status message and never
uploads the files twice. A passing fault (Slack 429/5xx, a network or Redis
blip) or the worker dying mid-job is retried by RQ with backoff, the status
saying it is retrying meanwhile; the last failure marks the request failed.
"""
import logging

import redis
from rq import Callback, Retry
from rq.exceptions import AbandonedJobError
from rq.timeouts import JobTimeoutException
from slack_sdk.errors import SlackApiError

from bot.documents.evidence_pack import documents
from bot.services import Services
from bot.views.extracts import files_comment, status_message
from jobs import (
    Busy,
    WorkHorseKilled,
    job_id,
    lock,
    refused_there,
    tell,
    worker_services,
)
from models.errors import ServiceDown
from models.evidence import build_pack
from models.extracts import (
    FORMATS,
    get_request,
    record_files,
    record_status_message,
    set_state,
    subject_of_request,
    waiting_requests,
)

log = logging.getLogger(__name__)
# The first retry comes after a dead worker's lock has lapsed (jobs.LOCK_SECONDS).
EXTRACT_RETRY = Retry(max=3, interval=[15, 60, 300])
PASSING_FAULTS = (SlackApiError, OSError, redis.RedisError, ServiceDown)


# --- queueing --------------------------------------------------------------------------

def queue_request(services: Services, request_id: int) -> bool:
    """Put the request on the queue; False (and the request left waiting) when Redis is down."""
    with services.session() as session:
        request = set_state(session, request_id, "queued")
        key = job_id(f"extract-{request.id}-{request.attempt}")
    try:
        services.enqueue(build_extract, request_id, job_id=key, retry=EXTRACT_RETRY, queue="documents",
                         on_failure=Callback(extract_failed))
    except ServiceDown:
        with services.session() as session:
            set_state(session, request_id, "waiting")
        return False
    return True


def enqueue_waiting(services: Services) -> int:
    """Queue every request saved while the queue was down (a worker as it starts, the clock every minute)."""
    with services.session() as session:
        waiting = [r.id for r in waiting_requests(session)]
    queued = [request_id for request_id in waiting if queue_request(services, request_id)]
    for request_id in queued:
        try:
            show_status(services, request_id)
        except PASSING_FAULTS as error:  # the job shows its own status as it starts
            log.warning("could not show extract #%d as queued: %s", request_id, error)
    return len(queued)


# --- the status message ------------------------------------------------------------------

def show_status(services: Services, request_id: int) -> None:
    """Post the request's status message, or update it where it already is. Where Slack refuses the
    conversation's channel (jobs.refused_there), the status, and so the files, go to the requester instead,
    who is told why once."""
    with services.session() as session:
        request = get_request(session, request_id)
    body = status_message(request)
    try:
        if request.status_ts:
            services.client.chat_update(channel=request.status_channel, ts=request.status_ts, **body)
            return
        # A DM is posted to the user's id; Slack answers with the DM channel, where the files then go too.
        reply = services.client.chat_postMessage(channel=request.channel_id or request.requested_by,
                                                 thread_ts=request.thread_ts or None, **body)
    except SlackApiError as error:
        why = refused_there(error)
        if why is None or not request.channel_id:
            raise
        tell(services, request.requested_by,
             f":warning: Extract #{request_id} couldn't go to <#{request.channel_id}>: {why}. It comes here instead.")
        reply = services.client.chat_postMessage(channel=request.requested_by, **body)
    with services.session() as session:
        record_status_message(session, request_id, reply["channel"], reply["ts"])


# --- the job -------------------------------------------------------------------------------

def build_extract(request_id: int) -> dict:
    services = worker_services()
    with lock(services, f"extract:{request_id}"):
        return _build(services, request_id)


def extract_failed(job, _connection, _type, error, _traceback) -> None:
    """RQ's word that a run failed, its worker's death included: the status says it is retrying, or,
    with no retries left, that it failed and why."""
    if isinstance(error, Busy):
        return  # another worker is building it and keeps the status
    services = worker_services()
    [request_id] = job.args
    if job.retries_left:
        with services.session() as session:
            set_state(session, request_id, "retrying", _fault(error))
        try:
            show_status(services, request_id)
        except PASSING_FAULTS:
            log.warning("could not show extract %s as retrying", request_id)
    else:
        _fail(services, request_id, f"It failed on each try, last because {_fault(error)}. Press Retry to try again.")
    # RQ may call this in the worker that forks the jobs: no database connection may be handed down.
    services.engine.dispose()


def _build(services: Services, request_id: int) -> dict:
    with services.session() as session:
        request = get_request(session, request_id)
    if request.state == "done":
        show_status(services, request_id)
        return {"already_done": True}
    with services.session() as session:
        set_state(session, request_id, "building")
    show_status(services, request_id)
    if not request.file_ids:
        try:
            with services.session() as session:
                pack = build_pack(session, services.directory(), subject_of_request(request),
                                  request.topics.split(","), request.first_year, request.last_year,
                                  request.requested_at)
            files = documents(pack, [f for f in request.formats.split(",") if f in FORMATS])
        except PASSING_FAULTS:
            raise
        except Exception as error:  # a fault in the data or the documents: retrying would not help
            log.exception("extract %s could not be built", request_id)
            _fail(services, request_id, f"The documents could not be built ({type(error).__name__}: {error}).")
            return {"failed": True}
        with services.session() as session:
            request = get_request(session, request_id)
        # Where the status message is: the conversation's thread, or the requester's direct messages.
        in_thread = request.status_channel == request.channel_id
        try:
            reply = services.client.files_upload_v2(
                file_uploads=[{"content": f.content, "filename": f.filename, "title": f.title} for f in files],
                channel=request.status_channel, thread_ts=(request.thread_ts if in_thread else "") or None,
                initial_comment=files_comment(request),
            )
        except SlackApiError as error:
            why = refused_there(error)
            if why is None:
                raise
            _fail(services, request_id, f"Slack refused the files where they were to go: {why}.")
            return {"failed": True}
        with services.session() as session:
            record_files(session, request_id, [f["id"] for f in reply["files"]], [f.filename for f in files])
    with services.session() as session:
        set_state(session, request_id, "done")
    show_status(services, request_id)
    return {"uploaded": True}


def _fail(services: Services, request_id: int, reason: str) -> None:
    with services.session() as session:
        set_state(session, request_id, "failed", reason)
    try:
        show_status(services, request_id)
    except PASSING_FAULTS:
        log.warning("could not show extract %s as failed", request_id)


def _fault(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return f"Slack answered {error.response.status_code}: {error.response.get('error', 'error')}"
    if isinstance(error, (AbandonedJobError, WorkHorseKilled)):
        return "the worker building it stopped"
    if isinstance(error, JobTimeoutException):
        return "it took too long"
    return type(error).__name__
