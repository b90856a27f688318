"""`/sc progress` (one region's) and `/sc progress England` on the national data set: server time on SQLite and
PostgreSQL, and the chart's render time.

    .venv/bin/python bench/progress.py [--requests 200] [--log-entries 200000] [--no-tenfold]
                                       [--postgres-url postgresql://postgres@localhost:5432/scbot_bench]

For each database it builds the national data set twice (`scbot demo-data --national`:
326 authorities, a team for each of the nine regions, with 200,000 log entries and with ten times as many;
only the first with --no-tenfold), serves each with
its own `scbot serve` against the stand-in Slack with the clock at 31 Mar 2011, and sends
signed `/sc progress` (the East Midlands', the team channel's region), `/sc progress as of 2010-06-01`,
`/sc progress as of <a different day each round>` (whose forecast is never one kept from before),
`/sc progress England` and `/sc progress England as of <a different day each round>` (ten forecasts, each
simulated afresh) commands one at a time over a
keep-alive connection, to the two servers in turn (A B A B), so both sizes meet the same
noise. Each is timed from send to the complete acknowledgement (the server's time plus a
loopback round trip). Then it times the burn-up chart's render and the forecast alone.
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
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.measure import save_results
from bot.offline import payloads as slack_payloads
from bot.offline.local_services import free_port, redis_server, wait_until
from bot.offline.standin import SlackStandIn

SECRET = "bench-signing-secret"
NOW = "2011-03-31T17:00"
# Each command and a word its answer must hold. `/sc help` reads no database: the server's own floor, under
# the same load, beside which the progress figures can be read.
COMMANDS = {"progress": ("progress", b"areas have begun"),
            # England at a glance: every region, each against its own target, and the country's total.
            "progress England": ("progress England", b"By region"),
            "progress England as of a new day": ("progress England as of {day}", b"By region"),
            "progress as of": ("progress as of 2010-06-01", b"areas have begun"),
            # A different day in each round: the forecast's simulation is never the one kept from before.
            "progress as of a new day": ("progress as of {day}", b"areas have begun"),
            "help (the floor)": ("help", b"/sc")}
NEW_DAYS_FROM = date(2011, 3, 30)


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
    if database_url.startswith("postgresql"):
        # What autovacuum does soon after a bulk load, and has long done on a database that grew to this size:
        # without statistics the planner guesses a stage change in every third row and compiles the query (JIT).
        import psycopg

        with psycopg.connect(database_url.replace("+psycopg", ""), autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE")
    return done.stdout.strip()


def serve(database_url: str, folder: Path, redis_url: str, standin: SlackStandIn, name: str):
    """A `scbot serve` (one worker) on `database_url`, and a keep-alive connection to it once it answers."""
    port = free_port()
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": standin.api_url, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
           "SC_DATA_DIR": str(folder), "SC_TEAM_CHANNEL": "C0TEAM", "SC_NOW": NOW}
    with open(folder / f"server-{name}.log", "w") as log:
        server = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port",
                                   str(port), "--workers", "1"], env=env, stdout=log, stderr=subprocess.STDOUT)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def healthy() -> bool:
        try:
            connection.request("GET", "/healthz")
            return connection.getresponse().read() and True
        except OSError:
            connection.close()
            return False

    wait_until(healthy, timeout=30)
    return server, connection


def ask(connection: http.client.HTTPConnection, standin: SlackStandIn, text: str, expected: bytes) -> float:
    body, content_type = slack_payloads.slash_command(text, "U0BENCH", "bench", "C0TEAM",
                                                      standin.response_url("bench"))
    headers = {"Content-Type": content_type, **slack_payloads.sign(body, SECRET)}
    started = time.perf_counter()
    try:
        connection.request("POST", "/slack/events", body=body, headers=headers)
        reply = connection.getresponse().read()
    except (ConnectionError, http.client.RemoteDisconnected):
        # gunicorn closes a keep-alive connection idle for 2 s (while the other server started): open it again.
        connection.close()
        started = time.perf_counter()
        connection.request("POST", "/slack/events", body=body, headers=headers)
        reply = connection.getresponse().read()
    elapsed = time.perf_counter() - started
    assert expected in reply, reply[:300]
    return elapsed


def time_servers(databases: dict[str, str], folder: Path, redis_url: str, standin: SlackStandIn,
                 requests: int) -> dict:
    """Each command sent to each server in turn (A B A B ...), so both sizes meet the same noise."""
    servers = {name: serve(url, folder, redis_url, standin, name) for name, url in databases.items()}
    try:
        figures = {name: {} for name in databases}
        for command, (text, expected) in COMMANDS.items():
            times = {name: [] for name in databases}
            for n in range(requests + 10):
                typed = text.format(day=NEW_DAYS_FROM - timedelta(days=n))
                for name, (_server, connection) in servers.items():
                    elapsed = ask(connection, standin, typed, expected)
                    if n >= 10:  # the first few warm the caches
                        times[name].append(elapsed)
            for name in databases:
                figures[name][command] = summary(times[name])
        return figures
    finally:
        for server, _connection in servers.values():
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


def time_forecast(database_url: str, runs: int = 30) -> dict:
    """The forecast alone, in-process, its kept results cleared before each run: the simulation's own cost."""
    from sqlmodel import Session

    from models.areas import load_directory
    from models.db import get_engine
    from models.progress import finishing_weeks, forecast, measure, scope_of

    with Session(get_engine(database_url)) as session:
        directory = load_directory(session)
        progress = measure(session, directory, scope_of(directory, ""), date(2011, 3, 31), date(2011, 4, 1))
    times = []
    for n in range(runs + 3):
        finishing_weeks.cache_clear()
        started = time.perf_counter()
        forecast(progress.start_days, progress.total, progress.as_of, progress.target)
        if n >= 3:
            times.append(time.perf_counter() - started)
    return summary(times)


def postgres_database(url: str, fresh: bool = False) -> str | None:
    """`url`'s database, created if missing (made anew when `fresh`); None when PostgreSQL does not answer."""
    import psycopg

    parsed = urlparse(url)
    try:
        admin = psycopg.connect(parsed._replace(path="/postgres").geturl(), autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        return None
    with admin:
        name = parsed.path.lstrip("/")
        if fresh:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--log-entries", type=int, default=200_000,
                        help="the smaller data set; the larger has ten times as many")
    parser.add_argument("--no-tenfold", action="store_true", help="only the smaller data set (a brief run)")
    parser.add_argument("--postgres-url", default="postgresql://postgres@localhost:5432/scbot_bench",
                        help="a database of its own (and one named after it with _10x): the benchmark replaces "
                             "their conversations")
    args = parser.parse_args()
    results = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "runs": []}
    sizes = (args.log_entries,) if args.no_tenfold else (args.log_entries, 10 * args.log_entries)
    with tempfile.TemporaryDirectory() as tmp, redis_server() as redis_url, SlackStandIn() as standin:
        folder = Path(tmp)
        backends = {"sqlite": [f"sqlite:///{folder / f'scbot-{size}.sqlite3'}" for size in sizes]}
        postgres = [postgres_database(args.postgres_url), postgres_database(args.postgres_url + "_10x")][:len(sizes)]
        if all(postgres):
            backends["postgresql"] = postgres
        else:
            print(f"PostgreSQL at {args.postgres_url} does not answer: SQLite only.")
        for backend, urls in backends.items():
            built = {f"{size:,} log entries": build(url, folder, size) for size, url in zip(sizes, urls)}
            figures = time_servers(dict(zip(built, urls)), folder, redis_url, standin, args.requests)
            for name, data in built.items():
                run = {"backend": backend, "log_entries": name, "data": data, **figures[name]}
                if backend == "sqlite" and name.startswith(f"{args.log_entries:,}"):
                    run["chart render"] = time_chart(urls[0])
                    run["forecast alone, not kept"] = time_forecast(urls[0])
                results["runs"].append(run)
                print(json.dumps(run))
    save_results("progress", results)


if __name__ == "__main__":
    main()
