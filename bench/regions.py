"""The Monday digest for nine regions: every region's digest sent to its own channel, once.

    .venv/bin/python bench/regions.py [--log-entries 200000]
                                      [--postgres-url postgresql://postgres@localhost:5432/scbot_bench_regions]

For each database (SQLite in a temporary folder; PostgreSQL when it answers, in a database of its own,
created if missing and its conversations replaced) it builds the national demo history (`scbot demo-data
--national`: every English area, a team for each region, the East Midlands' the environment's), then, against
the stand-in Slack (the bot in every region's channel) and a throwaway redis-server, runs the clock's tick for
Monday 28 March 2011, 09:00 and drains the queue with one RQ worker in this process. It times the tick (what is
due: nine regions' digests and nudges) and the sending, counts the digests each channel received, and runs the
tick again (and a minute later) to show it queues nothing more. Figures go to stdout and bench/results/.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.measure import save_results  # noqa: E402  (after the path is set)
from bench.progress import postgres_database  # noqa: E402
from bot.offline.local_services import redis_server  # noqa: E402
from bot.offline.standin import SlackStandIn  # noqa: E402

MONDAY = "2011-03-28T09:00"


def build(env: dict, log_entries: int) -> str:
    return subprocess.run([sys.executable, "-m", "bot.cli", "demo-data", "--national", "--replace",
                           "--log-entries", str(log_entries)], env={**os.environ, **env}, capture_output=True,
                          text=True, check=True).stdout.strip()


def monday(env: dict, standin: SlackStandIn) -> dict:
    """The clock's tick and a worker's run, in this process, as `scbot clock` and `scbot worker` would."""
    from rq import SimpleWorker

    from bot.clock import tick
    from bot.services import QUEUES
    from bot.settings import get_settings
    from jobs import worker_services
    from models import clock

    os.environ.update(env)
    get_settings.cache_clear()
    worker_services.cache_clear()
    services = worker_services()
    services.redis.flushdb()
    teams = services.teams()
    standin.joined |= set(teams.channels)
    clock.configure("Europe/London", MONDAY)
    instant = clock.parse_instant(MONDAY)
    started = time.perf_counter()
    queued = tick(services, instant)
    ticked = time.perf_counter() - started
    worker = SimpleWorker(QUEUES, connection=services.redis)
    started = time.perf_counter()
    worker.work(burst=True, logging_level="WARNING")
    sent = time.perf_counter() - started
    digests = Counter(call.args["channel"] for call in standin.calls_to("chat.postMessage")
                      if "Weekly Single Conversation digest" in str(call.args.get("blocks")))
    posts = len(standin.calls_to("chat.postMessage"))
    again = tick(services, instant) + tick(services, clock.parse_instant("2011-03-28T09:01"))
    worker.work(burst=True, logging_level="WARNING")
    return {"regions": len(teams.teams), "queued": len(queued),
            "digests queued": sum(key.startswith("digest:") for key in queued),
            "tick_ms": round(ticked * 1000, 1), "sending_s": round(sent, 2),
            "digests by channel": dict(sorted(digests.items())),
            "every channel once": sorted(digests) == sorted(teams.channels) and set(digests.values()) == {1},
            "queued again": len(again), "posts after again": len(standin.calls_to("chat.postMessage")) - posts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log-entries", type=int, default=200_000)
    parser.add_argument("--postgres-url", default="postgresql://postgres@localhost:5432/scbot_bench_regions")
    args = parser.parse_args()
    results = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "runs": []}
    with tempfile.TemporaryDirectory() as tmp, redis_server() as redis_url, SlackStandIn() as standin:
        folder = Path(tmp)
        databases = {"sqlite": f"sqlite:///{folder / 'scbot.sqlite3'}"}
        # Made anew: a run's deliveries would stop the next run's digests (each is sent once).
        postgres = postgres_database(args.postgres_url, fresh=True)
        if postgres:
            databases["postgresql"] = postgres
        for backend, url in databases.items():
            env = {"DATABASE_URL": url, "REDIS_URL": redis_url, "SC_DATA_DIR": str(folder),
                   "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": "bench", "SLACK_API_URL": standin.api_url,
                   "SC_TEAM_CHANNEL": "C0TEAM", "SC_TIMEZONE": "Europe/London"}
            standin.calls.clear()
            run = {"backend": backend, "data": build(env, args.log_entries), **monday(env, standin)}
            results["runs"].append(run)
            print(json.dumps(run))
    save_results("regions", results)


if __name__ == "__main__":
    main()
