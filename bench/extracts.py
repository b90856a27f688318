"""Extract building: one area's pack in one worker, and the whole region at once on two workers.

    .venv/bin/python bench/extracts.py [--repeat 5] [--workers 2]

Starts a stand-in Slack, a throwaway redis-server (or REDIS_URL) and a fresh
SQLite database seeded with the shipped figures, then measures:
1. one area's pack (XLSX and PDF with charts) built in this process, warm, `--repeat` times;
2. the per-job cost of RQ itself: 40 no-op jobs drained by the workers;
3. all 40 areas of the region requested at once (saved, status messages, queued) and drained
   by `--workers` real `scbot worker --burst` processes, files uploaded to the stand-in.
Prints the figures and writes JSON to bench/results/. See bench/EXTRACTS.md.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from rq import Queue

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.documents.evidence_pack import documents
from bot.offline.local_services import redis_server
from bot.offline.standin import SlackStandIn
from bot.services import Services
from bot.settings import Settings
from jobs.extracts import queue_request, show_status
from models import clock
from models.areas import load_directory
from models.db import get_engine, session_scope
from models.evidence import Subject, build_pack
from models.extracts import DEFAULT_FORMATS, DEFAULT_YEARS, ExtractSpec, save_request
from models.migrate import upgrade
from models.statistics import TOPICS
from models.tables import ExtractRequest

RESULTS = Path(__file__).resolve().parent / "results"


def noop() -> None:
    """The cheapest job RQ can run: what a worker costs per job before any work."""


def drain(env: dict, workers: int) -> float:
    started = time.perf_counter()
    processes = [subprocess.Popen([sys.executable, "-m", "bot.cli", "worker", "--burst"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)]
    for process in processes:
        process.wait(600)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, redis_server() as redis_url, SlackStandIn() as slack:
        database_url = f"sqlite:///{folder}/bench.sqlite3"
        upgrade(database_url)
        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "SLACK_API_URL": slack.api_url,
               "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": "bench", "SC_DATA_DIR": folder,
               "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
        os.environ.update(env)
        services = Services(Settings(database_url=database_url, redis_url=redis_url, slack_api_url=slack.api_url,
                                     slack_bot_token="xoxb-bench"))

        # 1. One area's pack, warm, in one process.
        with session_scope(get_engine(database_url)) as session:
            directory = load_directory(session)
            leicester = Subject("Leicester", "area", ("E06000016",))
            single = []
            for _ in range(args.repeat + 1):
                began = time.perf_counter()
                pack = build_pack(session, directory, leicester, list(TOPICS), *DEFAULT_YEARS, clock.now())
                documents(pack, list(DEFAULT_FORMATS))
                single.append(time.perf_counter() - began)
            single = single[1:]  # the first pays for imports and font loading

        # 2. No-op jobs: RQ's own cost per job.
        queue = Queue("documents", connection=services.redis)
        for n in range(len(directory.areas)):
            queue.enqueue("bench.extracts.noop", job_id=f"noop-{n}")
        noop_seconds = drain(env, args.workers)

        # 3. The whole region at once.
        began = time.perf_counter()
        ids = []
        for area in directory.areas:
            spec = ExtractSpec(Subject(area.name, "area", (area.code,)), tuple(TOPICS), DEFAULT_FORMATS,
                               *DEFAULT_YEARS)
            with services.session() as session:
                ids.append(save_request(session, spec, "UBENCH").id)
            queue_request(services, ids[-1])
            show_status(services, ids[-1])
        requested = time.perf_counter() - began
        region_seconds = drain(env, args.workers)
        with services.session() as session:
            done = [session.get(ExtractRequest, i) for i in ids]
        states = {r.state for r in done}
        uploaded = sum(1 for f in slack.files.values() if f.get("shared"))
        count = len(ids)
        result = {
            "when": datetime.now(UTC).isoformat(timespec="seconds"), "cpus": os.cpu_count(),
            "workers": args.workers,
            "one_pack_seconds": {"median": statistics.median(single), "max": max(single), "runs": len(single)},
            "noop_jobs": {"count": count, "wall_seconds": noop_seconds,
                          "per_job_seconds": noop_seconds * args.workers / count},
            "region": {"requests": count, "request_seconds": requested, "wall_seconds": region_seconds,
                       "per_job_seconds": region_seconds * args.workers / count, "states": sorted(states),
                       "files_uploaded": uploaded},
        }
        result["worker_overhead_seconds_per_job"] = (result["region"]["per_job_seconds"]
                                                     - result["one_pack_seconds"]["median"])
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"extracts-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
