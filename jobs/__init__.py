"""RQ job functions: plain functions taking ids, importable by the worker; and what they share.

Locks lapse seconds after their holder dies (a thread renews them while it lives), so a killed
worker's job is taken up again as soon as RQ finds it abandoned. Jobs on the `slack` queue keep to
Slack's pace: when Slack answers 429, or a channel has had its messages for now, the job is run
again after the wait by RQ's scheduler (its `Repeat`) instead of holding a worker asleep.
"""
import functools
import logging
import math
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from redis.exceptions import LockError, RedisError
from rq import get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from slack_sdk.errors import SlackApiError

from bot.services import Services, make_client
from bot.settings import get_settings
from bot.views.blocks import message
from models import clock

log = logging.getLogger(__name__)
# A dead holder's lock lapses after this; its holder renews it three times as often.
LOCK_SECONDS = 10
# Slack takes about one message a second per channel, with short bursts.
PACE_SECONDS = 1.0
PACE_BURST = 3
# A post whose turn is at most this far off waits for it; further off, the job makes way for others.
PACE_WAIT_SECONDS = 1.0
# After this many waits in a row (Slack's 429s, the channel's pace, a busy lock) the job fails, for
# RQ's retries (bot.services.POST_RETRY) to take over.
MAX_WAITS = 30

# Reserves a channel's next turn (GCRA on Redis's clock): returns the milliseconds to wait for it, or,
# negative, how long until a turn could be had when that is further off than the caller will wait.
_TURN = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local interval, allowance, max_wait = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now)
local wait = math.max(tat - allowance - now, 0)
if wait > max_wait then return -wait end
redis.call('SET', KEYS[1], tat + interval, 'PX', tat + interval - now + 1000)
return wait
"""
# Slack said the channel must wait ARGV[1] ms: no turn for anyone before then, burst or not.
_HOLD = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local until_ms = now + tonumber(ARGV[1]) + tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ms > tat then redis.call('SET', KEYS[1], until_ms, 'PX', until_ms - now + 1000) end
"""


@lru_cache
def worker_services() -> Services:
    """The worker's (and the clock's) own connections and clock, set once per process from the environment.
    Its Slack client does not sleep on 429: the job is run again later instead (`slack_job`)."""
    settings = get_settings()
    clock.configure(settings.sc_timezone, settings.sc_now)
    return Services(settings, make_client(settings, wait_on_rate_limit=False))


# A job in one of these is still to run, or running.
PENDING = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


def still_to_run(services: Services, job_id: str) -> bool:
    """Whether the job `job_id` is queued, running, or waiting for a retry or a repeat."""
    try:
        return Job.fetch(job_id, connection=services.redis).get_status(refresh=False) in PENDING
    except NoSuchJobError:
        return False


def job_id(name: str) -> str:
    """`name` as RQ accepts a job id: letters, digits, _ and -."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", name)


class Busy(Exception):
    """Another worker holds the lock; the job is tried again later."""


class WorkHorseKilled(Exception):
    """The process running the job died (SIGKILL, out of memory) while its worker lived on."""


class Later(Exception):
    """This job must wait `seconds` before it can go on (Slack's pace, a busy lock)."""

    def __init__(self, seconds: float, why: str):
        super().__init__(f"{why}; again in {seconds:g} s")
        self.seconds, self.why = seconds, why


def lock_key(name: str) -> str:
    """The Redis key of the lock `lock(services, name)` takes: it exists while someone holds it."""
    return f"scbot:{name}"


@contextmanager
def lock(services: Services, name: str) -> Iterator[None]:
    """Keep other workers off `name` while the block runs, or raise Busy at once if one is on it.
    The lock lapses LOCK_SECONDS after its holder dies; a thread renews it while the holder lives."""
    held = services.redis.lock(lock_key(name), timeout=LOCK_SECONDS, thread_local=False)
    if not held.acquire(blocking=False):
        raise Busy(f"{name} is in another worker's hands")
    done = threading.Event()

    def renew() -> None:
        while not done.wait(LOCK_SECONDS / 3):
            try:
                held.reacquire()
            except (LockError, RedisError):
                return  # lost to a Redis outage: it lapses, and the holder's own writes still count once

    renewer = threading.Thread(target=renew, name=f"renew {name}", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        done.set()
        renewer.join()
        try:
            held.release()
        except LockError:
            pass  # it lapsed; nothing to give back


def post_message(services: Services, channel: str, **body) -> dict:
    """chat.postMessage at Slack's pace for `channel`: waits for a turn due within PACE_WAIT_SECONDS,
    raises Later when it is further off; a 429 holds the channel back for every worker."""
    key = f"scbot:pace:{channel}"
    allowance_ms = int((PACE_BURST - 1) * PACE_SECONDS * 1000)
    wait_ms = services.redis.eval(_TURN, 1, key, int(PACE_SECONDS * 1000), allowance_ms, int(PACE_WAIT_SECONDS * 1000))
    if wait_ms < 0:
        raise Later(math.ceil(-wait_ms / 1000), f"{channel} has had its messages for now")
    if wait_ms:
        time.sleep(wait_ms / 1000)  # under a second: the channel's next turn
    try:
        return services.client.chat_postMessage(channel=channel, **body)
    except SlackApiError as error:
        if error.response.status_code == 429:
            services.redis.eval(_HOLD, 1, key, retry_after(error) * 1000, allowance_ms)
        raise


# Slack refusing a post, update or upload because of where it goes: no retry can help until someone acts,
# so the job does not fail for RQ to retry it; the person who asked is told, in these words, what to do.
_REFUSED_THERE = {
    "not_in_channel": "I'm not in that channel: invite me there with `/invite @scbot`",
    "channel_not_found": "I can't see that channel (a private one I'm not in?): invite me there with `/invite @scbot`",
    "is_archived": "that channel is archived",
    "no_permission": "I'm not allowed to post there",
    "restricted_action": "only some people may post there and I'm not one of them (a workspace admin can change that)",
}


def refused_there(error: BaseException) -> str | None:
    """Why Slack refused a call because of where it goes, and what to do, in words; None for any other
    fault (429, 5xx, the network: faults that pass, left to the retries)."""
    if isinstance(error, SlackApiError):
        return _REFUSED_THERE.get(error.response.get("error"))
    return None


def tell(services: Services, user: str, said: str) -> None:
    """A word to `user` in their direct messages with the bot, about a job's outcome. A 429 is raised for
    the job to wait; any other failure is logged, for it must not undo what the job did."""
    try:
        services.client.chat_postMessage(channel=user, **message(said))
    except SlackApiError as error:
        if error.response.status_code == 429:
            raise
        log.warning("could not tell %s: %s", user, error.response.get("error"))


def retry_after(error: SlackApiError) -> int:
    """The seconds Slack asked for with its 429 (at least 1)."""
    try:
        return max(1, int(error.response.headers.get("Retry-After", 1)))
    except (TypeError, ValueError):
        return 1


def runs_again(error: BaseException) -> bool:
    """Whether `slack_job` runs its job again after `error` (Slack's 429, a busy lock, a turn further off),
    rather than letting it fail to RQ's retries."""
    return isinstance(error, (Busy, Later)) or (isinstance(error, SlackApiError)
                                                and error.response.status_code == 429)


def slack_job(function):
    """For jobs on the `slack` queue: when Slack answers 429, the channel's turn is further off, or another
    worker holds the lock, the job runs again after the wait, the same job on RQ's scheduler (its Repeat),
    rather than a worker sleeping. Outside RQ (a direct call) the reason is raised."""

    @functools.wraps(function)
    def run(*args):
        try:
            return function(*args)
        except SlackApiError as error:
            if not runs_again(error):
                raise
            return _again_in(retry_after(error), "Slack answered 429", error)
        except Busy as error:
            return _again_in(1, str(error), error)
        except Later as error:
            return _again_in(error.seconds, error.why, error)

    return run


def _again_in(seconds: float, why: str, error: Exception) -> str:
    job = get_current_job()
    waits = (job.meta.get("waits", 0) + 1) if job is not None else 0
    if job is None or waits > MAX_WAITS:
        raise error
    job.meta["waits"] = waits
    job.save_meta()
    # RQ's Repeat, set from inside the job: once this run ends, its scheduler queues the same job (same id,
    # so the clock sees it pending) again after `seconds`.
    job.repeats_left, job.repeat_intervals = 1, [max(1, math.ceil(seconds))]
    return f"{why}; again in {math.ceil(seconds)} s"
