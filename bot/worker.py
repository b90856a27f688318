"""`scbot worker`: one RQ worker per queue, each suited to its jobs.

- `slack` (posts, reminders, digests): RQ's SimpleWorker. A post costs milliseconds, so no process is
  forked for it; each job runs in the worker's own process, stopped by RQ's alarm (SIGALRM, in the main
  thread) past its time limit (bot.services.JOB_TIMEOUTS).
- `documents` (extracts, charts, reports): RQ's forking Worker. Each job gets a process of its own,
  forked from a parent that has already imported WeasyPrint, matplotlib and openpyxl.

Without `--queue`, `scbot worker` runs both, as two processes, and passes SIGTERM and SIGINT on to them.

A worker killed mid-job (SIGKILL, a lost machine) is noticed by the next look a live worker of the same
queue takes at it: RQ counts the job abandoned once its heartbeat lapses (60 s after the forking worker's
last one, JOB_MONITORING_SECONDS apart), every worker looks every MAINTENANCE_SECONDS, and RQ then retries
the job as its Retry says. SIGTERM is RQ's warm shutdown: the job in hand is finished first.
"""
import logging
import signal
import subprocess
import sys

from rq import SimpleWorker, Worker
from rq.callbacks import execute_failure_callback

from bot.services import QUEUES
from jobs import WorkHorseKilled, worker_services
from models.errors import ServiceDown
from models.extracts import waiting_requests

log = logging.getLogger("scbot.worker")
# How often each worker looks for its queue's abandoned jobs (RQ's default is 10 minutes).
MAINTENANCE_SECONDS = 10
# How often a forking worker says the job in hand is still alive (RQ's default is 30 s).
JOB_MONITORING_SECONDS = 10
# An idle worker wakes WORKER_TTL - 15 s after it last did, so it takes its look even with nothing to do.
WORKER_TTL = 25


def run(queue: str | None, burst: bool) -> int:
    """Work `queue`, or every queue in a process of its own; the exit status."""
    if queue:
        work(queue, burst)
        return 0
    return run_each_queue(burst)


def run_each_queue(burst: bool) -> int:
    command = [sys.executable, "-m", "bot.cli", "worker", *(["--burst"] if burst else []), "--queue"]
    children = [subprocess.Popen([*command, name]) for name in QUEUES]
    stopping = []

    def pass_on(signum, _frame) -> None:
        stopping.append(signum)
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, pass_on)
    signal.signal(signal.SIGINT, pass_on)
    if not burst:
        # One gone (a crash) takes the other down too, so the process manager restarts the pair.
        while all(child.poll() is None for child in children):
            try:
                children[0].wait(1)
            except subprocess.TimeoutExpired:
                pass
        if not stopping:  # a second SIGTERM would be RQ's cold shutdown, killing the job in hand
            pass_on(signal.SIGTERM, None)
    return max(child.wait() for child in children)


def work(queue: str, burst: bool) -> None:
    services = worker_services()
    try:
        caught_up = catch_up(services, queue)
        if caught_up:
            log.info("queued %d job(s) saved while the queue was down", caught_up)
    except ServiceDown as error:
        log.warning("could not look for work saved while the queue was down: %s", error)
    options = dict(connection=services.redis, maintenance_interval=MAINTENANCE_SECONDS, worker_ttl=WORKER_TTL)
    if queue == "slack":
        import jobs.reminders
        import jobs.threads  # noqa: F401  (loaded once: every job runs in this process)

        worker = SimpleWorker([queue], **options)
    else:
        # Imported here, once, so each job's forked process starts with WeasyPrint and matplotlib loaded.
        import jobs.extracts
        import jobs.progress  # noqa: F401
        from bot.documents.warm import warm

        warm()  # fonts, templates and a first layout done once, here, not in every job's process
        # Each job runs in a forked process: it must open database connections of its own, not share ours.
        services.engine.dispose()
        worker = Worker([queue], job_monitoring_interval=JOB_MONITORING_SECONDS,
                        work_horse_killed_handler=horse_killed, **options)
    worker.work(burst=burst, with_scheduler=not burst, logging_level="INFO")


def catch_up(services, queue: str, leave_held: bool = False) -> int:
    """Queue whatever was saved while the queue was down (and, for threads, whatever a lost job left behind).
    Each worker does it as it starts, and the clock every minute, leaving threads held (jobs.threads) to
    their retries."""
    if queue == "slack":
        from jobs.threads import enqueue_pending

        return enqueue_pending(services, leave_held)
    with services.session() as session:
        if not waiting_requests(session):
            return 0  # the usual answer, given without loading the documents' libraries into the clock
    from jobs.extracts import enqueue_waiting

    return enqueue_waiting(services)


def horse_killed(job, _pid, _status, _rusage) -> None:
    """The job's failure callback hears of its process dying, as it hears of any other failure."""
    try:
        execute_failure_callback(job, Worker.death_penalty_class, WorkHorseKilled, WorkHorseKilled(), None)
    except Exception:  # logged by RQ; the retry must still be scheduled
        pass
