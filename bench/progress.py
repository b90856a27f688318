"""`/sc progress` on the national data set: server time on SQLite and PostgreSQL, and the chart's render time.

    .venv/bin/python bench/progress.py [--requests 200] [--postgres-url postgresql://postgres@localhost:5432/scbot_bench]

For each database it builds the national data set (`scbot demo-data --national`:
326 authorities, 200,000 log entries), serves the bot with `scbot serve` against
the stand-in Slack with the clock at 31 Mar 2011, and sends signed `/sc progress`
and `/sc progress as of 2010-06-01` commands one at a time over a keep-alive
connection, timing each from send to the complete acknowledgement (the server's
time plus a loopback round trip). It repeats SQLite with 20,000 log entries, to
show the cost does not follow the log. Then it times the burn-up chart's render.
Figures go to stdout and bench/results/progress-<time>.json; see bench/PROGRESS.md.
"""
import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.offline import payloads as slack_payloads
from bot.offline.local_services import free_port, redis_server, wait_until
from bot.offline.standin import SlackStandIn

SECRET = "bench-signing-secret"
NOW = "2011-03-31T17:00"
COMMANDS = {"progress": "progress", "progress as of": "progress as of 2010-06-01"}
RESULTS = ROOT / "bench" / "results"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summary(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {"p50_ms": round(percentile(ms, 0.5), 2), "p99_ms": round(percentile(ms, 0.99), 2),
            "max_ms": round(max(ms), 2), "n": len(ms)}


def build(database_url: str, folder: Path, log_entries: int) -> str:
    env = {**os.environ, "DATABASE_URL": database_url, "SC_DATA_DIR": str(folder)}
    done = subprocess.run([sys.executable, "-m", "bot.cli", "demo-data", "--national", "--replace",
                           "--log-entries", str(log_entries)], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def time_server(database_url: str, folder: Path, redis_url: str, standin: SlackStandIn, requests: int) -> dict:
    port = free_port()
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": standin.api_url, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
           "SC_DATA_DIR": str(folder), "SC_TEAM_CHANNEL": "C0TEAM", "SC_NOW": NOW}
    with open(folder / "server.log", "w") as log:
        server = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port",
                                   str(port), "--workers", "1"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

        def healthy() -> bool:
            try:
                connection.request("GET", "/healthz")
                return connection.getresponse().read() and True
            except OSError:
                connection.close()
                return False

        wait_until(healthy, timeout=30)
        figures = {}
        for name, text in COMMANDS.items():
            times = []
            for n in range(requests + 10):
                body, content_type = slack_payloads.slash_command(text, "U0BENCH", "bench", "C0TEAM",
                                                                  standin.response_url("bench"))
                headers = {"Content-Type": content_type, **slack_payloads.sign(body, SECRET)}
                started = time.perf_counter()
                connection.request("POST", "/slack/events", body=body, headers=headers)
                reply = connection.getresponse().read()
                elapsed = time.perf_counter() - started
                assert b"areas have begun" in reply, reply[:300]
                if n >= 10:  # the first few warm the caches
                    times.append(elapsed)
            figures[name] = summary(times)
        return figures
    finally:
        server.terminate()
        server.wait(15)


def time_chart(database_url: str, runs: int = 30) -> dict:
    from sqlmodel import Session

    from bot.documents.charts import burn_up_png
    from models.areas import load_directory
    from models.db import get_engine
    from models.progress import measure, scope_of

    with Session(get_engine(database_url)) as session:
        directory = load_directory(session)
        progress = measure(session, directory, scope_of(directory, ""), date(2011, 3, 31), date(2011, 4, 1))
    burn_up_png(progress)  # the first draw loads fonts
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        burn_up_png(progress)
        times.append(time.perf_counter() - started)
    return summary(times)


def postgres_database(url: str) -> str | None:
    """`url`'s database, created if missing; None when PostgreSQL does not answer."""
    import psycopg

    parsed = urlparse(url)
    try:
        admin = psycopg.connect(parsed._replace(path="/postgres").geturl(), autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        return None
    with admin:
        name = parsed.path.lstrip("/")
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--postgres-url", default="postgresql://postgres@localhost:5432/scbot_bench",
                        help="a database of its own: the benchmark replaces its conversations")
    args = parser.parse_args()
    results = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "runs": []}
    with tempfile.TemporaryDirectory() as tmp, redis_server() as redis_url, SlackStandIn() as standin:
        folder = Path(tmp)
        setups = [("sqlite", f"sqlite:///{folder / 'scbot.sqlite3'}", 200_000),
                  ("sqlite", f"sqlite:///{folder / 'scbot.sqlite3'}", 20_000)]
        postgres = postgres_database(args.postgres_url)
        if postgres:
            setups.append(("postgresql", postgres, 200_000))
        else:
            print(f"PostgreSQL at {args.postgres_url} does not answer: SQLite only.")
        for backend, url, log_entries in setups:
            built = build(url, folder, log_entries)
            figures = time_server(url, folder, redis_url, standin, args.requests)
            run = {"backend": backend, "log_entries": log_entries, "data": built, **figures}
            if log_entries == 200_000 and backend == "sqlite":
                run["chart render"] = time_chart(url)
            results["runs"].append(run)
            print(json.dumps(run))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"progress-{datetime.now():%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"Written to {out}")


if __name__ == "__main__":
    main()
