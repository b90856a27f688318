"""The clock: one APScheduler process that decides what is due and queues it for the workers.

Every minute it asks the rules what is due at that instant (digest, countdown,
nudges, personal reminders) and queues each under a job id made from its
delivery key. Settings are read afresh each minute, so a manager's change
takes effect without a restart. A run missed while the clock was down is
caught by the next one, once (see models.reminders.GRACE).
"""
import logging
from datetime import datetime

from apscheduler.schedulers.blocking import BlockingScheduler
from rq.job import Job, JobStatus

from bot.services import Services
from jobs import job_id
from jobs.reminders import SENDERS
from models import clock
from models.errors import ServiceDown
from models.reminders import due_at

log = logging.getLogger("scbot.clock")
PENDING = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


def tick(services: Services, instant: datetime) -> list[str]:
    """Queue everything due at `instant` that is neither sent nor already waiting; returns the keys."""
    with services.session() as session:
        settings = services.reminder_settings(session)
        due = due_at(session, settings, instant)
    queued = []
    for item in due:
        identifier = job_id(item.key)
        existing = Job.fetch(identifier, connection=services.redis) if Job.exists(identifier, services.redis) else None
        if existing is not None and existing.get_status(refresh=False) in PENDING:
            continue  # queued, running or waiting to retry (a 429's Retry-After): leave it be
        services.enqueue(SENDERS[item.kind], *item.args, job_id=identifier)
        queued.append(item.key)
    return queued


def run_clock(services: Services) -> None:
    scheduler = BlockingScheduler(timezone=clock.now().tzinfo)

    def every_minute() -> None:
        try:
            for key in tick(services, clock.now()):
                log.info("queued %s", key)
        except ServiceDown as error:
            log.warning("%s; trying again next minute", error)

    # A fixed id and replace_existing keep one such job however often the clock restarts;
    # coalesce turns a backlog of missed minutes into one run.
    scheduler.add_job(every_minute, "cron", second=0, id="reminders-tick", replace_existing=True,
                      coalesce=True, misfire_grace_time=60, max_instances=1)
    log.info("clock started (%s)", clock.now().tzinfo)
    scheduler.start()
