"""Extract building: one pack against a raw render of the same content, and the whole region on two workers.

    .venv/bin/python bench/extracts.py [--repeat 6] [--workers 2] [--rounds 2]

Starts a stand-in Slack, a throwaway redis-server (or REDIS_URL) and a fresh SQLite database seeded with
the shipped figures, then measures, each pair alternating (A B A B) so both meet the same noise:
1. one area's pack (XLSX and PDF with four charts) as the bot builds it in a warm process (the figures read
   from the store, the pack worked out, the documents made), against the anchor: the same documents drawn
   from the same content, already in memory, by plain matplotlib, WeasyPrint and openpyxl calls
   (bench/raw_pack.py). Before timing, the two are checked to be the same documents (text, pages, images,
   fonts, cells);
2. the per-job cost of RQ itself: 40 no-op jobs drained by the workers;
3. the region's 40 packs built one after another in this process, against all 40 areas requested at once
   (saved, status messages, queued) and drained by `--workers` real `scbot worker --burst --queue documents`
   processes (each warms up once before it forks its jobs, bot.documents.warm), files uploaded to the stand-in.
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

from bench import raw_pack
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
WORKER = ["-m", "bot.cli", "worker", "--burst", "--queue", "documents"]


def noop() -> None:
    """The cheapest job RQ can run: what a worker costs per job before any work."""


def drain(env: dict, workers: int, command: list[str]) -> float:
    started = time.perf_counter()
    processes = [subprocess.Popen([sys.executable, *command], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) for _ in range(workers)]
    for process in processes:
        process.wait(900)
    return time.perf_counter() - started


def pack_of(session, directory, area):
    return build_pack(session, directory, Subject(area.name, "area", (area.code,)), list(TOPICS), *DEFAULT_YEARS,
                      clock.now())


def bot_pack(engine, directory, area) -> tuple[bytes, bytes]:
    """One pack as the extract job makes it: figures read, pack worked out, XLSX and PDF made."""
    with session_scope(engine) as session:
        pack = pack_of(session, directory, area)
    xlsx, pdf = documents(pack, list(DEFAULT_FORMATS))
    return xlsx.content, pdf.content


def timed(work) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began


def spread(seconds: list[float]) -> dict:
    return {"median": round(statistics.median(seconds), 3), "min": round(min(seconds), 3),
            "max": round(max(seconds), 3), "runs": len(seconds)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=6, help="pairs of one pack, the bot's and the anchor's")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="pairs of the region: one after another, then workers")
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
        engine = get_engine(database_url)
        with session_scope(engine) as session:
            directory = load_directory(session)
            leicester = directory.by_code["E06000016"]
            content = raw_pack.content(pack_of(session, directory, leicester))

        # 1. One pack, the bot's against the anchor's, warm, alternating.
        ours, theirs = bot_pack(engine, directory, leicester), raw_pack.render(content)  # also warms both
        differences = raw_pack.same_documents(ours, theirs)
        if differences:
            sys.exit(f"the anchor does not render the same documents: {', '.join(differences)} differ")
        bot_seconds, anchor_seconds = [], []
        for _ in range(args.repeat):
            bot_seconds.append(timed(lambda: bot_pack(engine, directory, leicester)))
            anchor_seconds.append(timed(lambda: raw_pack.render(content)))

        # 2. No-op jobs: RQ's own cost per job.
        queue = Queue("documents", connection=services.redis)
        for n in range(len(directory.areas)):
            queue.enqueue("bench.extracts.noop", job_id=f"noop-{n}")
        noop_seconds = drain(env, args.workers, WORKER)

        # 3. The region: one after another in this process, then requested at once and drained by the workers.
        one_after_another, on_workers, requested, uploaded, states = [], [], [], 0, set()
        for _ in range(args.rounds):
            one_after_another.append(timed(lambda: [bot_pack(engine, directory, area) for area in directory.areas]))
            began, ids = time.perf_counter(), []
            for area in directory.areas:
                spec = ExtractSpec(Subject(area.name, "area", (area.code,)), tuple(TOPICS), DEFAULT_FORMATS,
                                   *DEFAULT_YEARS)
                with services.session() as session:
                    ids.append(save_request(session, spec, "UBENCH").id)
                queue_request(services, ids[-1])
                show_status(services, ids[-1])
            requested.append(time.perf_counter() - began)
            on_workers.append(drain(env, args.workers, WORKER))
            with services.session() as session:
                states |= {session.get(ExtractRequest, i).state for i in ids}
        uploaded = sum(1 for f in slack.files.values() if f.get("shared"))
        count = len(directory.areas)
        result = {
            "when": datetime.now(UTC).isoformat(timespec="seconds"), "cpus": os.cpu_count(),
            "load_average": os.getloadavg(), "workers": args.workers,
            "one_pack": {"bot_seconds": spread(bot_seconds), "anchor_seconds": spread(anchor_seconds),
                         "ratio_of_medians": round(statistics.median(bot_seconds)
                                                   / statistics.median(anchor_seconds), 3),
                         "same_documents": not differences},
            "noop_jobs": {"count": count, "wall_seconds": round(noop_seconds, 2),
                          "per_job_seconds": round(noop_seconds * args.workers / count, 3)},
            "region": {"packs": count, "one_after_another_seconds": [round(s, 2) for s in one_after_another],
                       "on_workers_seconds": [round(s, 2) for s in on_workers],
                       "ratios": [round(w / s, 3) for s, w in zip(one_after_another, on_workers)],
                       "request_seconds": [round(s, 2) for s in requested], "states": sorted(states),
                       "files_uploaded": uploaded},
        }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"extracts-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
