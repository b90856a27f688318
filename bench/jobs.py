"""What a job costs the worker that runs it: no-op jobs on the `slack` queue, `scbot worker` beside RQ's own.

    .venv/bin/python bench/jobs.py [--jobs 300] [--rounds 3]

Each round queues --jobs no-op jobs (`bench.jobs.noop`, with the bot's retry and time limit) on the
`slack` queue of a throwaway redis-server, then drains them with each worker in turn, in a rotating
order so that none always goes first:

  scbot    `scbot worker --queue slack --burst`, as production runs the `slack` queue
  simple   RQ's SimpleWorker (`rq worker -w rq.SimpleWorker --burst slack`): no fork per job
  forking  RQ's Worker (`rq worker --burst slack`): a work horse forked per job

Per job: from the first job's start to the last job's end, as RQ recorded them, over the number of
jobs, so the worker's start-up is left out. The median round is printed, with scbot's ratio to
SimpleWorker's. SQLite in a temporary folder serves `scbot worker`'s start-up catch-up. Loopback only;
every wait is bounded.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.measure import machine  # noqa: E402  (after the path is set)
from bot.offline.local_services import redis_and_process  # noqa: E402


def noop() -> None:
    """The job measured: nothing, so what is measured is the worker's own cost."""


def worker_command(kind: str, redis_url: str) -> list[str]:
    rq = [str(Path(sys.executable).parent / "rq"), "worker", "--burst", "--url", redis_url, "--path", str(ROOT)]
    return {"scbot": [sys.executable, "-m", "bot.cli", "worker", "--queue", "slack", "--burst"],
            "simple": [*rq, "-w", "rq.SimpleWorker", "slack"],
            "forking": [*rq, "-w", "rq.Worker", "slack"]}[kind]


def one_round(kind: str, count: int, redis_url: str, env: dict) -> float:
    """Seconds per job for `kind` draining `count` no-op jobs."""
    import redis
    from rq import Queue

    from bot.services import JOB_TIMEOUTS, POST_RETRY

    connection = redis.Redis.from_url(redis_url)
    connection.flushdb()
    queue = Queue("slack", connection=connection)
    jobs = [queue.enqueue("bench.jobs.noop", job_timeout=JOB_TIMEOUTS["slack"], retry=POST_RETRY) for _ in range(count)]
    subprocess.run(worker_command(kind, redis_url), env=env, cwd=ROOT, check=True, timeout=600,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for job in jobs:
        job.refresh()
    assert all(job.get_status() == "finished" for job in jobs), f"{kind}: not every job finished"
    began = min(job.started_at for job in jobs)
    ended = max(job.ended_at for job in jobs)
    return (ended - began).total_seconds() / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=300, help="no-op jobs per worker per round (default 300)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, each worker once a round (default 3)")
    args = parser.parse_args()
    kinds = ["scbot", "simple", "forking"]
    info = machine(("rq", "redis"))
    print(f"{args.jobs} no-op jobs a round, {args.rounds} rounds; {info.get('cpu_model', '?')}, "
          f"{info['cpus_usable']} cores, load {' '.join(info.get('loadavg_at_start', []))}, rq {info.get('rq')}")
    from models.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="bench-jobs-") as folder, redis_and_process() as (redis_url, _):
        database_url = f"sqlite:///{Path(folder) / 'scbot.sqlite3'}"
        upgrade(database_url)
        env = {**os.environ, "REDIS_URL": redis_url, "DATABASE_URL": database_url, "SC_DATA_DIR": folder,
               "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_API_URL": "http://127.0.0.1:9/api/"}
        seconds: dict[str, list[float]] = {kind: [] for kind in kinds}
        for round_number in range(args.rounds):
            order = kinds[round_number % 3:] + kinds[:round_number % 3]
            for kind in order:
                began = time.monotonic()
                seconds[kind].append(one_round(kind, args.jobs, redis_url, env))
                print(f"  round {round_number + 1} {kind:8} {seconds[kind][-1] * 1000:6.2f} ms a job "
                      f"({time.monotonic() - began:.1f} s with start-up)", flush=True)
    median = {kind: statistics.median(values) for kind, values in seconds.items()}
    print("\nmedian per job: " + ", ".join(f"{kind} {value * 1000:.2f} ms" for kind, value in median.items()))
    print(f"scbot worker / SimpleWorker: {median['scbot'] / median['simple']:.2f}x "
          f"(aim: within 2x); forking Worker / SimpleWorker: {median['forking'] / median['simple']:.2f}x")


if __name__ == "__main__":
    main()
