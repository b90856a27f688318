"""The clock: one APScheduler process that decides what is due and queues it for the workers.

Every minute it asks the rules what is due at that instant (each region's
digest, countdown and nudges, each person's reminders) and queues each under a
job id made from its delivery key. Settings are read afresh each minute, so a manager's change
takes effect without a restart. A run missed while the clock was down is
caught by the next one, once (see models.reminders.GRACE). Each minute it also
queues what was saved but not yet queued (a thread behind its conversation, an
extract saved while Redis was away), as a worker does when it starts, so nothing
waits for a restart. Every few minutes it
also has the team channels' members read again (jobs.membership). Every few seconds
it asks whether a region's coverage canvas is behind, and queues its refresh (jobs.canvas).
"""
import logging
from datetime import datetime, timedelta

from apscheduler.schedulers.blocking import BlockingScheduler

from bot import worker
from bot.services import QUEUES, Services
from jobs import job_id, still_to_run
from jobs.canvas import behind, canvas_job_id, refresh_canvas
from jobs.membership import refresh_members
from jobs.reminders import SENDERS
from models import clock
from models.errors import ServiceDown
from models.reminders import due_at

log = logging.getLogger("scbot.clock")
MEMBERS_EVERY = timedelta(minutes=10)
# A change shows on the canvas this soon, or once a minute has passed since its last edit.
CANVAS_EVERY = timedelta(seconds=5)


def tick(services: Services, instant: datetime) -> list[str]:
    """Queue everything due at `instant` that is neither sent nor already waiting; returns the keys."""
    teams = services.teams()
    with services.session() as session:
        regions = [services.reminder_settings(session, team) for team in teams.teams]
        due = due_at(session, regions, teams.default_region, instant)
    return [item.key for item in due if queue_unless_waiting(services, SENDERS[item.kind], *item.args,
                                                             job_id=job_id(item.key))]


def queue_unless_waiting(services: Services, func, *args, job_id: str, **options) -> bool:
    """Queue `func` under `job_id` unless that job is queued, running or waiting to retry (a 429's
    Retry-After): then leave it be and return False."""
    if still_to_run(services, job_id):
        return False
    services.enqueue(func, *args, job_id=job_id, **options)
    return True


def catch_up(services: Services) -> int:
    """What each queue's worker queues as it starts (bot.worker.catch_up), for every queue, but for threads a
    failing sync or a refusing channel holds back for a while: how many."""
    return sum(worker.catch_up(services, queue, leave_held=True) for queue in QUEUES)


def queue_canvas(services: Services) -> int:
    """Queue the refresh of each region's coverage canvas that is behind the database and may be edited,
    unless one is waiting: however many changes come meanwhile, they make one edit. Returns how many."""
    return sum(queue_unless_waiting(services, refresh_canvas, channel, job_id=canvas_job_id(channel))
               for channel in behind(services))


def run_clock(services: Services) -> None:
    scheduler = BlockingScheduler(timezone=clock.now().tzinfo)

    def every_minute() -> None:
        try:
            for key in tick(services, clock.now()):
                log.info("queued %s", key)
        except ServiceDown as error:
            log.warning("%s; trying again next minute", error)
        try:
            if caught_up := catch_up(services):
                log.info("queued %d catch-up(s) of what Slack does not have yet", caught_up)
        except ServiceDown as error:
            log.warning("%s; catching up next minute", error)

    def refresh_team() -> None:
        try:
            queue_unless_waiting(services, refresh_members, job_id="team-members", retry=None)
        except ServiceDown as error:
            log.warning("%s; the team channel's members are read again next time", error)

    def refresh_canvas_when_behind() -> None:
        try:
            if queued := queue_canvas(services):
                log.info("queued %d coverage canvas refresh(es)", queued)
        except ServiceDown as error:
            log.warning("%s; the coverage canvas is brought up to date later", error)

    # A fixed id and replace_existing keep one such job however often the clock restarts;
    # coalesce turns a backlog of missed minutes into one run.
    scheduler.add_job(every_minute, "cron", second=0, id="reminders-tick", replace_existing=True,
                      coalesce=True, misfire_grace_time=60, max_instances=1)
    # Join and leave events keep the team's members current; this catches any event that went missing.
    scheduler.add_job(refresh_team, "interval", seconds=MEMBERS_EVERY.total_seconds(), id="team-members",
                      replace_existing=True, coalesce=True, max_instances=1,
                      next_run_time=datetime.now(clock.now().tzinfo))  # at once, in real time
    scheduler.add_job(refresh_canvas_when_behind, "interval", seconds=CANVAS_EVERY.total_seconds(),
                      id="coverage-canvas", replace_existing=True, coalesce=True, max_instances=1)
    log.info("clock started (%s)", clock.now().tzinfo)
    scheduler.start()
