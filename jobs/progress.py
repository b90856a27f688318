"""Progress jobs: the burn-up chart and the manager's report, drawn and uploaded by a worker.

Each job is named after the request that asked for it, and each file it puts
in Slack is recorded (ProgressUpload) as soon as it is up, under a Redis lock;
so a job run twice, or retried after a crash, uploads nothing twice.
"""
from collections.abc import Callable
from datetime import date, datetime

from slack_sdk.errors import SlackApiError

from bot.documents.charts import burn_up_png
from bot.documents.progress_report import file_name, report_pdf, report_xlsx
from bot.services import Services
from jobs import job_id, lock, refused_there, tell, worker_services
from jobs.reminders import display_names
from models import clock
from models.confidence import ConfidenceSummary, disagreements, standing
from models.progress import (
    ProgressRequest,
    area_lines,
    end_of,
    scope_of,
    stalled,
)
from models.uploads import record_upload, was_uploaded


def enqueue_chart(services: Services, request: ProgressRequest, channel: str, user: str, trigger_id: str) -> None:
    """The chart for `channel`, or for `user` privately when `channel` is empty."""
    services.enqueue(post_chart, f"chart:{trigger_id}", channel, user, request.group_text,
                     request.as_of.isoformat(), clock.now().isoformat(), request.region,
                     job_id=job_id(f"progress-chart-{trigger_id}"), queue="documents")


def enqueue_report(services: Services, request: ProgressRequest, channel: str, thread_ts: str, user: str) -> None:
    services.enqueue(post_report, f"report:{channel}:{thread_ts}", channel, thread_ts, request.group_text,
                     request.as_of.isoformat(), user, clock.now().isoformat(), request.region,
                     job_id=job_id(f"progress-report-{channel}-{thread_ts}"), queue="documents")


def post_chart(key: str, channel: str, user: str, group_text: str, as_of: str, asked_at: str,
               region: str = "") -> dict:
    """`region`: whose team asked, where `group_text` is looked for first ("" in a job queued before regions:
    the environment's region's)."""
    services = worker_services()
    with services.session() as session:
        progress = services.measure(session, scope_of(services.directory(), group_text, region),
                                 date.fromisoformat(as_of))
    if not channel:
        channel = services.client.conversations_open(users=user)["channel"]["id"]
    with lock(services, key):
        uploaded = _upload_all(services, key, channel, "", user, "burn-up chart", [
            (file_name("burn-up", progress, datetime.fromisoformat(asked_at), "png"), lambda: burn_up_png(progress),
             f"Burn-up chart: {progress.scope.name}, as of {progress.as_of:%-d %b %Y}")])
    return {"uploaded": uploaded}


def post_report(key: str, channel: str, thread_ts: str, group_text: str, as_of: str, user: str, asked_at: str,
                region: str = "") -> dict:
    """A scope's report; England's has a row per region (each against its own target) before the areas."""
    services = worker_services()
    directory = services.directory()
    scope = scope_of(directory, group_text, region)
    day = date.fromisoformat(as_of)
    with services.session() as session:
        if scope.is_england:
            national = services.measure_england(session, day)
            progress, regions = national.england, national.regions
        else:
            progress, regions = services.measure(session, scope, day), ()
        lines = area_lines(session, directory, scope, day)
        quiet_days = services.settings_of(session, scope).stale_days
        confidence = ConfidenceSummary(
            standing(session, scope.codes, end_of(day)),
            # Judged as it stands: a past day's report leaves it out.
            disagreements(session, clock.now(), quiet_days, scope.codes) if day == clock.today() else None)
    at_risk = stalled(lines, day, quiet_days)
    names = display_names(services, {line.lead_user_id for line in lines if line.begun}
                          | {a.assessed_by for _, a in confidence.standing})
    asked = datetime.fromisoformat(asked_at)
    title = f"Progress report: {scope.name}, as of {day:%-d %b %Y}"
    with lock(services, key):
        uploaded = _upload_all(services, key, channel, thread_ts, user, "progress report", [
            (file_name("progress", progress, asked, "pdf"),
             lambda: report_pdf(progress, lines, at_risk, names, quiet_days, burn_up_png(progress), confidence,
                                regions),
             title + " (PDF)"),
            (file_name("progress", progress, asked, "xlsx"),
             lambda: report_xlsx(progress, lines, at_risk, names, quiet_days, confidence, regions),
             title + " (spreadsheet)"),
        ])
    return {"uploaded": uploaded}


def _upload_all(services: Services, key: str, channel: str, thread_ts: str, user: str, what: str,
                files: list[tuple[str, Callable[[], bytes], str]]) -> int:
    """Upload each (name, content, title) once; how many went up now. Where Slack refuses the channel
    (jobs.refused_there), they go to `user`'s direct messages instead, the person told once why."""
    try:
        return sum(_upload_once(services, key, channel, thread_ts, *file) for file in files)
    except SlackApiError as error:
        why = refused_there(error)
        if why is None or not user:
            raise
    direct = services.client.conversations_open(users=user)["channel"]["id"]
    tell(services, user, f":warning: The {what} couldn't go to <#{channel}>: {why}. Here it is instead.")
    return sum(_upload_once(services, key, direct, "", *file) for file in files)


def _upload_once(services: Services, key: str, channel: str, thread_ts: str, name: str,
                 content: Callable[[], bytes], title: str) -> bool:
    """Upload the file unless this request's job already did; True when it uploaded now."""
    with services.session() as session:
        if was_uploaded(session, key, name):
            return False
    reply = services.client.files_upload_v2(channel=channel, thread_ts=thread_ts or None, filename=name,
                                            title=title, content=content())
    with services.session() as session:
        record_upload(session, key, name, reply["file"]["id"])
    return True
