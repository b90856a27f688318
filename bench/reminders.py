"""1,000 personal reminders due at the same minute, delivered by two RQ workers while Slack answers 429s.

    .venv/bin/python bench/reminders.py [--reminders 1000] [--workers 2] [--database-url URL]

Starts a stand-in Slack (bot/offline/standin.py, team channel C0TEAM) that answers some
chat.postMessage calls 429 with Retry-After (--limit: every Nth call by default,
or token buckets as Slack limits posts), a throwaway redis-server (or
REDIS_URL), and a fresh SQLite database in a temporary folder (or, with
--database-url postgresql://..., a database of its own, scbot_bench_reminders,
created on that server and dropped afterwards). It starts one conversation
(Leicester) and N personal reminders for N different users (--users for fewer
users, several reminders each), all due at the same minute (--at).

Then it starts the workers (`scbot worker`, as the Procfile runs it: each
runs the `slack` queue on RQ's SimpleWorker and the `documents` queue on a
forking Worker, with RQ's scheduler) and runs the clock's tick for that minute
as `scbot clock --run-at INSTANT`, and measures from the tick's launch until
the last reminder is delivered: the stand-in has answered its chat.postMessage
with ok and its Delivery row is written. A 429 puts the job off for its
Retry-After on RQ's scheduler (jobs.slack_job); no worker sleeps on it. It
checks every reminder went exactly once (DMs per user and per reminder text,
Delivery rows, reminders closed as sent, nothing failed or left scheduled),
runs the tick again to show it queues nothing, and writes JSON to
bench/results/. See bench/REMINDERS.md for the last recorded runs.

Loopback only; every loop is bounded by --timeout.
"""
import argparse
import itertools
import json
import math
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.measure import machine, percentile  # noqa: E402  (after the path is set)
from bot.offline.local_services import descendants, redis_and_process, wait_until  # noqa: E402

TOKEN = "xoxb-bench"
CHANNEL = "C0TEAM"
PACKAGES = ("rq", "redis", "slack_sdk", "SQLAlchemy", "psycopg")  # versions on record
AREA = "Leicester"
LEAD = "U0BLEAD"
RESULTS = ROOT / "bench" / "results"
BENCH_DATABASE = "scbot_bench_reminders"
DEFAULT_AT = "2030-06-15T10:00"  # a Saturday (BST): no digest, nudge or countdown falls due with the reminders


# --- small helpers -----------------------------------------------------------------

def scbot_command() -> list[str]:
    scbot = Path(sys.executable).parent / "scbot"
    return [str(scbot)] if scbot.exists() else [sys.executable, "-m", "bot.cli"]


def sqlalchemy_url(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@contextmanager
def bench_database(url: str, folder: Path):
    """SQLite in `folder`, or a database of the bench's own on the PostgreSQL server `url` names, dropped after."""
    if not url:
        yield f"sqlite:///{(folder / 'scbot.sqlite3').resolve()}"
        return
    from urllib.parse import urlsplit

    import psycopg

    admin = re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql://", url)
    own = urlsplit(admin)._replace(path=f"/{BENCH_DATABASE}").geturl()

    def run(statement: str) -> None:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
            connection.execute(statement)

    run(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
    run(f"CREATE DATABASE {BENCH_DATABASE}")
    try:
        yield own
    finally:
        from models.db import _engines

        for key in [k for k in _engines if BENCH_DATABASE in k]:
            _engines.pop(key).dispose()
        run(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")


def cpu_seconds(pid: int, with_children: bool = False) -> float:
    """User + system CPU of a live process (and of its children it has reaped: an RQ worker's horses), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(f) for f in fields[11:15 if with_children else 13]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def tree_cpu(processes: list[subprocess.Popen]) -> float:
    """CPU seconds of `processes` and every process below them (each `scbot worker` runs one worker per queue)."""
    tree = [pid for p in processes if p.poll() is None for pid in (p.pid, *descendants(p.pid))]
    return sum(cpu_seconds(pid, with_children=True) for pid in tree)


def machine_busy_seconds() -> float:
    """CPU seconds spent by everything on the machine so far (user, nice, system, irq, softirq, steal)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7]) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- a stand-in Slack that rate-limits chat.postMessage like Slack -------------------

class TokenBucket:
    def __init__(self, rate: float, capacity: float, now: float):
        self.rate, self.capacity, self.tokens, self.stamp = rate, capacity, capacity, now

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait(self) -> float:
        """Seconds until a whole token is there (0 if one is)."""
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


def make_standin(limit: str, rate: float, burst: float, channel_rate: float, channel_burst: float,
                 every: int, retry_after: int, users: int):
    """The stand-in Slack with chat.postMessage limited as `limit` says:

    bucket  Slack's way (api.slack.com/apis/rate-limits): per channel about one message a second with
            short bursts (a token bucket: channel_rate/s, channel_burst deep), and a workspace-wide
            limit for the app (rate/s, burst deep). A call over either gets 429 with Retry-After the
            whole seconds until a token is due (at least 1), and uses no token.
    every   every Nth call gets 429 with Retry-After `retry_after` (a fixed share).
    none    no 429s.
    """
    from bot.offline.standin import Refusal, SlackStandIn

    class RateLimitedStandIn(SlackStandIn):
        def __init__(self, *a, **k):
            self._count = 0
            self._workspace: TokenBucket | None = None
            self._channels: dict[str, TokenBucket] = {}
            self.served_429 = 0
            super().__init__(*a, **k)

        def refusal(self, method: str, args: dict) -> Refusal | None:  # called with self._changed held
            if method != "chat.postMessage" or limit == "none":
                return None
            self._count += 1
            wait = 0.0
            if limit == "every":
                wait = retry_after if self._count % every == 0 else 0.0
            else:
                now = time.monotonic()
                channel = args.get("channel", "")
                bucket = self._channels.get(channel)
                if bucket is None:
                    bucket = self._channels[channel] = TokenBucket(channel_rate, channel_burst, now)
                if self._workspace is None:
                    self._workspace = TokenBucket(rate, burst, now)
                # Look at both before taking from either: a refused call uses no token.
                bucket.refill(now)
                self._workspace.refill(now)
                wait = max(bucket.wait(), self._workspace.wait())
                if not wait:
                    bucket.tokens -= 1
                    self._workspace.tokens -= 1
            if not wait:
                return None
            self.served_429 += 1
            return Refusal(429, max(1, math.ceil(wait)))

    # Everyone the reminders are for is in the workspace: users.info finds them, not deleted.
    people = {LEAD: "lead", **{user_id(i): f"user {i}" for i in range(users)}}
    return RateLimitedStandIn(team_channel=CHANNEL, members={LEAD}, users=people)


# --- the data --------------------------------------------------------------------------

def create_reminders(url: str, count: int, users: int, at: datetime) -> dict:
    """One conversation and `count` one-off reminders for `users` users, all due at `at`."""
    from sqlmodel import insert

    from models import clock
    from models.areas import load_directory
    from models.conversations import Details, start_conversation
    from models.db import get_engine, session_scope
    from models.reminders import When, add_reminder
    from models.tables import Reminder

    began = time.monotonic()
    clock.pin(at - timedelta(days=1))
    try:
        with session_scope(get_engine(url)) as session:
            directory = load_directory(session)
            conversation = start_conversation(session, directory, directory.resolve(AREA), Details(lead_user_id=LEAD),
                                              LEAD)
            session.flush()
            # One through the model's own function, the rest in bulk with the same values.
            first = add_reminder(session, user_id(0), conversation, When(at, ""), reminder_text(0))
            rows = [{"user_id": user_id(i % users), "conversation_id": conversation.id, "text": reminder_text(i),
                     "due_at": first.due_at, "repeat": "", "created_at": first.created_at} for i in range(1, count)]
            if rows:
                session.execute(insert(Reminder), rows)
    finally:
        clock.pin(None)
    return {"conversation": AREA, "reminders": count, "users": users, "created_in_s": round(time.monotonic() - began, 2)}


def user_id(i: int) -> str:
    return f"U0B{i:06d}"


def reminder_text(i: int) -> str:
    return f"bench reminder {i:05d}: call the housing officer"


# --- the workers -------------------------------------------------------------------------

def start_workers(args, env: dict, stamp: str) -> list[subprocess.Popen]:
    command = [*scbot_command(), "worker"]
    started = []
    for i in range(args.workers):
        with open(RESULTS / f"{stamp}-reminders-worker{i}.log", "w") as log:
            started.append(subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True))
    return started


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)  # passed on to both queues' workers: RQ's warm shutdown
    for worker in workers:
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)  # its own session: only what the bench started
            worker.wait(10)


def run_clock(env: dict, at: str) -> tuple[str, float]:
    began = time.monotonic()
    result = subprocess.run([*scbot_command(), "clock", "--run-at", at], env=env, cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=False)
    if result.returncode:
        raise RuntimeError(f"scbot clock --run-at {at} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout, time.monotonic() - began


def queued_count(stdout: str) -> int:
    found = re.search(r"queued (\d+)\.", stdout)
    return int(found.group(1)) if found else -1


# --- measuring ---------------------------------------------------------------------------

def idle(redis_conn) -> bool:
    from rq import Queue
    from rq.registry import StartedJobRegistry

    queue = Queue("slack", connection=redis_conn)
    return not queue.count and not StartedJobRegistry(queue=queue).count


def delivery_state(engine) -> tuple[int, datetime | None]:
    from sqlalchemy import text as sql

    with engine.connect() as connection:
        count, last = connection.execute(
            sql("SELECT count(*), max(sent_at) FROM delivery WHERE key LIKE 'reminder:%'")).one()
    if isinstance(last, str):
        last = datetime.fromisoformat(last)
    return count, last


def as_utc(value: datetime) -> datetime:
    """A sent_at read back by plain SQL: UTC (SQLModel's UTCDateTime), without an offset."""
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    return value.replace(tzinfo=UTC)


def wait_for_delivery(standin, engine, redis_conn, count: int, workers, timeout: float) -> dict:
    """Poll until `count` reminders are both answered ok by the stand-in and recorded; bounded by `timeout`."""
    from rq import Queue
    from rq.registry import ScheduledJobRegistry, StartedJobRegistry

    queue = Queue("slack", connection=redis_conn)
    began = time.monotonic()
    progress = []
    reached_at = None
    stalled_since = None
    while True:
        now = time.monotonic()
        delivered, _ = delivery_state(engine)
        ok_posts = sum(1 for c in reminder_posts(standin) if c.args.get("_status") == 200)
        waiting = queue.count
        started = StartedJobRegistry(queue=queue).count
        scheduled = ScheduledJobRegistry(queue=queue).count
        progress.append((round(now - began, 2), delivered, ok_posts, waiting, started, scheduled))
        if delivered >= count and ok_posts >= count:
            reached_at, why = now, "all delivered"
            break
        alive = [w for w in workers if w.poll() is None]
        # Nothing left that will run: the workers gone, or nothing queued, running or scheduled.
        stuck = (not alive and bool(workers)) or (not waiting and not started and not scheduled)
        if stuck:
            stalled_since = stalled_since or now
            if now - stalled_since > 5:
                why = ("the workers exited" if not alive else "nothing queued, running or scheduled") + \
                      f" ({waiting} queued, {scheduled} scheduled for an RQ retry)"
                break
        else:
            stalled_since = None
        if now - began > timeout:
            why = f"timed out after {timeout:g} s ({waiting} queued, {started} running, {scheduled} scheduled)"
            break
        time.sleep(0.2)
    return {"reached_at": reached_at, "stopped_because": why, "progress": progress}


def reminder_posts(standin) -> list:
    """The chat.postMessage calls carrying a reminder (to a bench user's id), 429s included."""
    return [c for c in standin.calls_to("chat.postMessage") if str(c.args.get("channel", "")).startswith("U0B")]


def job_stats(redis_conn, ids: list[str]) -> dict:
    """From RQ's own records: statuses, retries, per-job run time and the gaps between a worker's jobs."""
    from rq.job import Job

    jobs = [j for j in Job.fetch_many(ids, connection=redis_conn) if j is not None]
    statuses = Counter(str(j.get_status(refresh=False).value if j.get_status(refresh=False) else "?") for j in jobs)
    retried = sum(1 for j in jobs if j.retries_left is not None and j.retries_left < 5)
    run = sorted((j.ended_at - j.started_at).total_seconds() for j in jobs if j.started_at and j.ended_at)
    by_worker = defaultdict(list)
    for j in jobs:
        if j.started_at and j.ended_at and j.worker_name:
            by_worker[j.worker_name].append((j.started_at, j.ended_at))
    gaps = []
    for spans in by_worker.values():
        spans.sort()
        gaps += [(b[0] - a[1]).total_seconds() for a, b in itertools.pairwise(spans)]
    gaps.sort()
    return {
        "jobs_found": len(jobs), "statuses": dict(statuses), "jobs_retried_by_rq": retried,
        "run_s": {"p50": round(percentile(run, 50), 3), "p90": round(percentile(run, 90), 3),
                  "p99": round(percentile(run, 99), 3), "max": round(run[-1], 3) if run else None,
                  "sum": round(sum(run), 1)},
        "gap_between_jobs_s": {"p50": round(percentile(gaps, 50), 3), "p90": round(percentile(gaps, 90), 3),
                               "max": round(gaps[-1], 3) if gaps else None, "sum": round(sum(gaps), 1)},
        "jobs_per_worker": {k: len(v) for k, v in by_worker.items()},
    }


def verify(standin, engine, count: int, users: int) -> dict:
    from sqlalchemy import text as sql

    every_post = standin.calls_to("chat.postMessage")
    posts = reminder_posts(standin)
    ok = [c for c in posts if c.args.get("_status") == 200]
    per_text = Counter(c.args.get("text", "").removeprefix("Reminder: ") for c in ok)
    per_user = Counter(c.args.get("channel") for c in ok)
    expected_texts = {reminder_text(i) for i in range(count)}
    expected_per_user = Counter(user_id(i % users) for i in range(count))
    dms = Counter(channel for (channel, _ts) in standin.messages if channel.startswith("D"))
    with engine.connect() as connection:
        deliveries = connection.execute(sql("SELECT key, channel FROM delivery WHERE key LIKE 'reminder:%'")).all()
        other_deliveries = connection.execute(sql("SELECT count(*) FROM delivery WHERE key NOT LIKE 'reminder:%'")).scalar()
        closed = dict(connection.execute(sql("SELECT closed_how, count(*) FROM reminder GROUP BY closed_how")).all())
    keys = Counter(k for k, _ in deliveries)
    return {
        "post_calls_all": len(every_post),
        "post_calls_other": [f"{c.args.get('channel')} {c.args.get('_status')}" for c in every_post if c not in posts],
        "post_calls": len(posts),
        "served_429": sum(1 for c in posts if c.args.get("_status") == 429),
        "other_statuses": dict(Counter(c.args.get("_status") for c in posts if c.args.get("_status") not in (200, 429))),
        "ok_posts": len(ok),
        "reminders_delivered_once": sum(1 for t in expected_texts if per_text[t] == 1),
        "reminders_lost": sorted(t for t in expected_texts if per_text[t] == 0)[:20],
        "reminders_lost_count": sum(1 for t in expected_texts if per_text[t] == 0),
        "reminders_sent_twice_or_more": sum(1 for t in expected_texts if per_text[t] > 1),
        "unexpected_texts": sum(1 for t in per_text if t not in expected_texts),
        "users_with_wrong_count": sum(1 for u, n in expected_per_user.items() if per_user[u] != n),
        "dm_messages_kept_by_standin": sum(dms.values()),
        "delivery_rows": len(deliveries),
        "delivery_keys_duplicated": sum(1 for n in keys.values() if n > 1),
        "delivery_rows_to_dm": sum(1 for _, channel in deliveries if channel.startswith("D")),
        "other_delivery_rows": other_deliveries,
        "reminders_closed": closed,
    }


def per_second(times: list[float]) -> list[int]:
    if not times:
        return []
    counts = Counter(int(t) for t in times)
    return [counts.get(s, 0) for s in range(int(max(times)) + 1)]


def source_tree() -> dict:
    """The commit measured, and the files that differed from it (others edit the tree too)."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10,
                                  check=False).stdout.rstrip("\n")
        except OSError:
            return ""

    return {"commit": git("rev-parse", "--short", "HEAD"),
            "changed_files": [line[3:] for line in git("--no-optional-locks", "status", "--porcelain").splitlines()]}


# --- main ----------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reminders", type=int, default=1000, help="reminders due at the same minute (default 1000)")
    parser.add_argument("--users", type=int, default=0, help="users they belong to (default: one each)")
    parser.add_argument("--workers", type=int, default=2, help="RQ worker processes (default 2)")
    parser.add_argument("--database-url", default="",
                        help="a PostgreSQL server to use (default: SQLite in a temporary folder); the bench "
                             f"creates its own database there, {BENCH_DATABASE}, and drops it afterwards")
    parser.add_argument("--at", default=DEFAULT_AT, help=f"the minute they are due (default {DEFAULT_AT}, a Saturday)")
    parser.add_argument("--limit", choices=["every", "bucket", "none"], default="every",
                        help="how the stand-in answers 429 to chat.postMessage (default every; see make_standin)")
    parser.add_argument("--rate", type=float, default=20.0, help="bucket: workspace-wide posts per second (default 20)")
    parser.add_argument("--burst", type=float, default=20.0, help="bucket: workspace-wide burst (default 20)")
    parser.add_argument("--channel-rate", type=float, default=1.0, help="bucket: posts per second per channel (default 1)")
    parser.add_argument("--channel-burst", type=float, default=2.0, help="bucket: burst per channel (default 2)")
    parser.add_argument("--every", type=int, default=20, help="every: answer every Nth call 429 (default 20)")
    parser.add_argument("--retry-after", type=int, default=1, help="every: the Retry-After in seconds (default 1)")
    parser.add_argument("--timeout", type=float, default=600, help="give up after this long (default 600 s)")
    parser.add_argument("--label", default="", help="a note kept in the results file")
    args = parser.parse_args()
    args.users = args.users or args.reminders

    import redis
    from sqlmodel import select

    from bot.clock import job_id
    from models import clock
    from models.db import get_engine, session_scope
    from models.migrate import upgrade
    from models.reminders import reminder_key
    from models.tables import Reminder

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    clock.configure("Europe/London")
    at = clock.parse_instant(args.at)
    standin = make_standin(args.limit, args.rate, args.burst, args.channel_rate, args.channel_burst, args.every,
                           args.retry_after, args.users)
    result: dict = {"when": stamp, "label": args.label, "machine": machine(PACKAGES), "tree": source_tree(), "settings": {
        k: v for k, v in vars(args).items()}}
    result["settings"]["database"] = "postgresql" if args.database_url else "sqlite"
    result["settings"]["database_url"] = re.sub(r"//[^@/]*@", "//***@", args.database_url)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-reminders-") as folder, redis_and_process() as (redis_url, redis_process), \
            bench_database(args.database_url, Path(folder)) as database_url, standin:
        data_dir = Path(folder) / "data"
        data_dir.mkdir()
        env = {**os.environ, "SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": standin.api_url, "REDIS_URL": redis_url,
               "DATABASE_URL": database_url, "SC_DATA_DIR": str(data_dir), "SC_TEAM_CHANNEL": CHANNEL,
               "SC_TIMEZONE": "Europe/London", "SC_NOW": "", "PYTHONUNBUFFERED": "1"}
        env.pop("SLACK_APP_TOKEN", None)
        print(f"stand-in Slack {standin.base}, Redis {redis_url}, database {result['settings']['database']} "
              f"({database_url if not args.database_url else BENCH_DATABASE})", flush=True)
        upgrade(sqlalchemy_url(database_url))
        engine = get_engine(sqlalchemy_url(database_url))
        result["data"] = create_reminders(sqlalchemy_url(database_url), args.reminders, args.users, at)
        with session_scope(engine) as session:
            ids = [job_id(reminder_key(r)) for r in session.exec(select(Reminder))]
        print(f"{args.reminders:,} reminders for {args.users:,} users due {at:%a %-d %b %Y %H:%M %Z}; "
              f"429s: {describe_limit(args)}", flush=True)

        redis_conn = redis.Redis.from_url(redis_url)
        workers: list[subprocess.Popen] = []
        cpu_children_before = children_cpu()
        try:
            workers = start_workers(args, env, stamp)
            from rq import Queue, Worker
            slack_queue = Queue("slack", connection=redis_conn)
            wait_until(lambda: len(Worker.all(queue=slack_queue)) >= args.workers or
                       any(w.poll() is not None for w in workers), 60, 0.1, "the workers to start")
            if any(w.poll() is not None for w in workers):
                raise RuntimeError("a worker exited at start; see its log in bench/results/")
            # At start each worker queues a catch-up of conversation cards not yet in Slack (Leicester's):
            # let that finish first, so the tick has the workers to itself.
            wait_until(lambda: idle(redis_conn), 60, 0.1, "the workers' start-up catch-up")
            time.sleep(1)
            cpu_self_before = self_cpu()
            workers_cpu_before = tree_cpu(workers)
            clock_cpu_before = children_cpu()
            machine_before = machine_busy_seconds()
            redis_cpu_before = cpu_seconds(redis_process.pid) if redis_process else float("nan")
            t0_wall = datetime.now(UTC)
            t0 = time.monotonic()
            print(f"{args.workers} `scbot worker`s waiting; scbot clock --run-at {args.at} ...", flush=True)
            clock_out, clock_s = run_clock(env, args.at)
            tick_done = time.monotonic()
            clock_cpu = children_cpu() - clock_cpu_before
            print(f"   tick: {clock_out.splitlines()[0]} (the command took {clock_s:.2f} s)", flush=True)
            waited = wait_for_delivery(standin, engine, redis_conn, args.reminders, workers, args.timeout)
            # Let anything still running finish, so a late duplicate would be seen, then stop the workers.
            if workers and any(w.poll() is None for w in workers):
                wait_until(lambda: idle(redis_conn), 30, 0.1, "idle workers")
            run_wall = time.monotonic() - t0
            machine_busy = machine_busy_seconds() - machine_before
            workers_cpu = tree_cpu(workers) - workers_cpu_before
            time.sleep(2)
            stop_workers(workers)
            cpu = {"machine_busy_during_run": round(machine_busy, 1), "run_wall_s": round(run_wall, 1),
                   "cores": len(os.sched_getaffinity(0)), "clock_tick": round(clock_cpu, 2),
                   "workers_during_run": round(workers_cpu, 2),
                   "workers_and_horses_and_clock": round(children_cpu() - cpu_children_before, 2),
                   "bench_process_standin": round(self_cpu() - cpu_self_before, 2),
                   "redis_server": round(cpu_seconds(redis_process.pid) - redis_cpu_before, 2) if redis_process else None}
        finally:
            stop_workers(workers)

        # The numbers.
        posts = reminder_posts(standin)
        ok_times = sorted(c.at - t0 for c in posts if c.args.get("_status") == 200)
        limited_times = sorted(c.at - t0 for c in posts if c.args.get("_status") == 429)
        _, last_sent = delivery_state(engine)
        last_row_s = (as_utc(last_sent) - t0_wall).total_seconds() if last_sent else None
        from rq.job import Job
        # created_at, not enqueued_at: an RQ retry queues the job again and moves enqueued_at on.
        first_enqueued = min((j.created_at for j in Job.fetch_many(ids, connection=redis_conn)
                              if j is not None and j.created_at), default=None)
        tick_first_enqueue_s = ((first_enqueued.replace(tzinfo=UTC) if first_enqueued.tzinfo is None
                                 else first_enqueued) - t0_wall).total_seconds() if first_enqueued else None
        complete = waited["reached_at"] is not None
        result["stopped_because"] = waited["stopped_because"]
        result["progress"] = waited["progress"]
        total = (max(ok_times[-1] if ok_times else 0, last_row_s or 0)) if complete else None
        result["timing"] = {
            "tick_command_s": round(clock_s, 2),
            "tick_first_enqueue_after_launch_s": round(tick_first_enqueue_s, 2) if tick_first_enqueue_s else None,
            "tick_command_done_s": round(tick_done - t0, 2),
            "first_ok_post_s": round(ok_times[0], 2) if ok_times else None,
            "last_ok_post_s": round(ok_times[-1], 2) if ok_times else None,
            "last_delivery_row_s": round(last_row_s, 2) if last_row_s is not None else None,
            "all_delivered": complete,
            "total_s": round(total, 2) if total is not None else None,
            "from_first_enqueue_s": round(total - tick_first_enqueue_s, 2) if total and tick_first_enqueue_s else None,
            "delivered_per_s_after_first": round((len(ok_times) - 1) / (ok_times[-1] - ok_times[0]), 1)
            if len(ok_times) > 1 and ok_times[-1] > ok_times[0] else None,
            "ok_posts_per_second": per_second(ok_times),
            "429s_per_second": per_second(limited_times),
        }
        ours = cpu["workers_and_horses_and_clock"] + cpu["bench_process_standin"] + (cpu["redis_server"] or 0)
        # What other programs on the machine used meanwhile (the figures are only clean when this is small).
        cpu["others_during_run"] = round(max(0.0, cpu["machine_busy_during_run"] - ours), 1)
        cpu["others_cores_busy"] = round(cpu["others_during_run"] / max(cpu["run_wall_s"], 0.1), 2)
        result["cpu_s"] = cpu
        result["checks"] = verify(standin, engine, args.reminders, args.users)
        result["checks"]["served_429_by_limiter"] = standin.served_429
        result["rq"] = job_stats(redis_conn, ids)
        from rq import Queue
        from rq.registry import FailedJobRegistry, ScheduledJobRegistry
        queue = Queue("slack", connection=redis_conn)
        result["rq"]["failed_registry"] = FailedJobRegistry(queue=queue).count
        result["rq"]["scheduled_registry"] = ScheduledJobRegistry(queue=queue).count
        result["rq"]["left_in_queue"] = queue.count

        # Again: the same minute, and the next, with the workers stopped: nothing is queued.
        again = {}
        for instant in (args.at, (at + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")):
            out, _ = run_clock(env, instant)
            again[instant] = {"queued": queued_count(out), "queue_length_after": queue.count}
        result["second_tick"] = again
        engine.dispose()

    c = result["checks"]
    t = result["timing"]
    ok = (t["all_delivered"] and c["reminders_delivered_once"] == args.reminders and not c["reminders_sent_twice_or_more"]
          and c["delivery_rows"] == args.reminders and not c["delivery_keys_duplicated"]
          and c["users_with_wrong_count"] == 0 and all(v["queued"] == 0 for v in again.values()))
    result["verdict"] = {
        "exactly_once": bool(ok),
        "within_60_s": bool(t["total_s"] is not None and t["total_s"] <= 60),
    }
    out = RESULTS / f"reminders-{stamp}.json"
    out.write_text(json.dumps(result, indent=2, default=str))
    print_summary(result, args)
    print(f"\nResults: {out.relative_to(ROOT)} ({time.monotonic() - started:.0f} s in all)")


def describe_limit(args) -> str:
    if args.limit == "bucket":
        return (f"token buckets: workspace {args.rate:g}/s burst {args.burst:g}, per channel {args.channel_rate:g}/s "
                f"burst {args.channel_burst:g}; Retry-After = whole seconds to the next token, at least 1")
    if args.limit == "every":
        return f"every {args.every}th chat.postMessage, Retry-After {args.retry_after}"
    return "none"


def print_summary(result: dict, args) -> None:
    t, c, rq_stats, cpu = result["timing"], result["checks"], result["rq"], result["cpu_s"]
    print(f"\n{args.reminders:,} reminders, {args.workers} `scbot worker`s, "
          f"{result['settings']['database']}, 429s: {describe_limit(args)}\n")
    if t["all_delivered"]:
        print(f"  all delivered {t['total_s']:.1f} s after the tick's launch "
              f"({t['from_first_enqueue_s']:.1f} s after its first job was queued): "
              f"{'MEETS' if t['total_s'] <= 60 else 'MISSES'} the 60 s aim")
    else:
        print(f"  NOT ALL DELIVERED: {c['ok_posts']} posts answered ok, {c['delivery_rows']} Delivery rows; "
              f"stopped waiting: {result['stopped_because']}")
    print(f"  tick: first job queued at {t['tick_first_enqueue_after_launch_s']} s, command done at "
          f"{t['tick_command_done_s']} s; first DM at {t['first_ok_post_s']} s, last at {t['last_ok_post_s']} s, "
          f"last Delivery row at {t['last_delivery_row_s']} s; {t['delivered_per_s_after_first']} DMs/s")
    print(f"  chat.postMessage: {c['post_calls']} calls, {c['ok_posts']} ok, {c['served_429']} answered 429 "
          f"({c['served_429'] / max(c['post_calls'], 1):.0%}), other statuses {c['other_statuses'] or 'none'}")
    print(f"  exactly once: {c['reminders_delivered_once']} reminders delivered once, {c['reminders_lost_count']} not "
          f"delivered ({rq_stats['scheduled_registry']} of the jobs waiting for an RQ retry), "
          f"{c['reminders_sent_twice_or_more']} more than once, {c['users_with_wrong_count']} users with the wrong "
          f"number of DMs; Delivery rows {c['delivery_rows']} ({c['delivery_keys_duplicated']} duplicated keys); "
          f"reminders closed {c['reminders_closed']}")
    print(f"  RQ: {rq_stats['statuses']}, {rq_stats['jobs_retried_by_rq']} retried by RQ, failed registry "
          f"{rq_stats['failed_registry']}, scheduled {rq_stats['scheduled_registry']}, left queued "
          f"{rq_stats['left_in_queue']}; per worker {list(rq_stats['jobs_per_worker'].values())}")
    print(f"  job run time p50 {rq_stats['run_s']['p50']} s, p90 {rq_stats['run_s']['p90']} s, max "
          f"{rq_stats['run_s']['max']} s, sum {rq_stats['run_s']['sum']} s; gap between a worker's jobs p50 "
          f"{rq_stats['gap_between_jobs_s']['p50']} s, sum {rq_stats['gap_between_jobs_s']['sum']} s")
    during = cpu["workers_during_run"]
    print(f"  CPU s: workers and their horses {during if during is not None else '?'} during the run "
          f"({during / args.reminders * 1000:.0f} ms a reminder)" if during is not None else
          f"  CPU s: workers, horses and clock {cpu['workers_and_horses_and_clock']} (start-ups included)", end="")
    print(f"; the tick {cpu['clock_tick']}, stand-in/bench "
          f"{cpu['bench_process_standin']}, redis {cpu['redis_server']}; other programs on the machine "
          f"{cpu['others_during_run']} ({cpu['others_cores_busy']} of {cpu['cores']} cores)")
    print("  tick again: " + ", ".join(f"{k}: queued {v['queued']}" for k, v in result["second_tick"].items()))
    v = result["verdict"]
    print(f"\n* exactly once, none lost: {'yes' if v['exactly_once'] else 'NO'}")
    print(f"* within 60 s: {'yes' if v['within_60_s'] else 'NO'}")


if __name__ == "__main__":
    main()
