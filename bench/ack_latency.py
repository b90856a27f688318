"""Acknowledgement latency of `/sc log` over HTTP under the production server, beside a bare Bolt app.

    .venv/bin/python bench/ack_latency.py [--rounds 2] [--seconds 8] [--clients 20] [--database-url URL]

Starts a stand-in Slack, a throwaway redis-server (or REDIS_URL), a fresh SQLite
database in a temporary folder (or --database-url), then both `scbot serve` and
bench/bare_app.py (a Bolt app that only acks) with the production gunicorn
settings, side by side. In each round the same load goes to the bot, then to the
bare app (A B A B ...): concurrent clients in separate processes send signed
`/sc log Leicester <text>` slash commands, shaped as Slack sends them, over
keep-alive connections, and time each request from send to complete response
(the ack, which for the bot carries its "Logged" answer); then one client alone.
Prints p50/p99/max and throughput for both with the ratios, counts every
acknowledged write in the database, then starts RQ workers and counts the
thread posts they make, and writes JSON to bench/results/.

See bench/ACK.md for what the figures mean and the last recorded run.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.measure import machine, percentile  # noqa: E402  (after the path is set)
from bot.offline.local_services import free_port, redis_and_process, wait_until  # noqa: E402

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
USER, USER_NAME = "U0BENCH", "bench"
CHANNEL = "C0TEAM"
PACKAGES = ("gunicorn", "slack_bolt", "slack_sdk", "SQLAlchemy", "redis", "rq")  # versions on record
AREA = "Leicester"
PATH = "/slack/events"
RESULTS = ROOT / "bench" / "results"
BOT_TARGET = "bot.web:create_wsgi_app()"


# --- small helpers ---------------------------------------------------------------

def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def post(base: str, body: str, content_type: str, timeout: float = 10) -> tuple[int, str]:
    import urllib.error
    import urllib.request

    from bot.offline.payloads import sign

    request = urllib.request.Request(base + PATH, data=body.encode(), method="POST",
                                     headers={"Content-Type": content_type, **sign(body, SECRET)})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


# --- servers ---------------------------------------------------------------------

def serve_command(target: str, serve_args: list[str]) -> list[str]:
    """`scbot serve` itself for the bot; bench/serving.py (same gunicorn settings) for anything else."""
    if target == BOT_TARGET:
        scbot = Path(sys.executable).parent / "scbot"
        head = [str(scbot)] if scbot.exists() else [sys.executable, "-m", "bot.cli"]
        return [*head, "serve", *serve_args]
    return [sys.executable, "-m", "bench.serving", target, "--", *serve_args]


def start_server(command: list[str], env: dict, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "w")
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_healthy(base: str, process: subprocess.Popen, timeout: float = 60) -> None:
    import urllib.error
    import urllib.request

    def answers():
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}; see its log")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    wait_until(answers, timeout, interval=0.1, what=f"{base}/healthz")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # gunicorn's graceful stop
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # its own session: only what we started
            process.wait(10)


def log_findings(log_path: Path) -> dict:
    text = log_path.read_text(errors="replace") if log_path.exists() else ""
    # Bolt's note that the bot gives it a client rather than a token is expected, not a finding.
    lines = [line for line in text.splitlines() if "`token` will be unused" not in line]
    return {
        "tracebacks": sum("Traceback" in line for line in lines),
        "errors": sum(" ERROR " in line or "[ERROR]" in line for line in lines),
        "warnings": sum(" WARNING " in line or "[WARNING]" in line for line in lines),
        "worker_timeouts": sum("WORKER TIMEOUT" in line for line in lines),
        "did_not_ack": sum("ack()" in line and "did not" in line.lower() for line in lines),
        "samples": [line for line in lines if "Traceback" in line or "ERROR" in line or "WARNING" in line][:5],
    }


class CpuMeter:
    """CPU seconds used by groups of processes: each pid with all its descendants, or alone when negative."""

    def __init__(self, groups: dict[str, list[int]]):
        self.groups = groups

    def sample(self) -> dict[str, float]:
        import psutil

        whole = psutil.cpu_times()
        used = {"whole machine": whole.user + whole.nice + whole.system + getattr(whole, "irq", 0)
                + getattr(whole, "softirq", 0) + getattr(whole, "steal", 0)}
        for name, pids in self.groups.items():
            total = 0.0
            for pid in pids:
                try:
                    root = psutil.Process(abs(pid))
                    for process in [root, *(root.children(recursive=True) if pid > 0 else [])]:
                        try:
                            times = process.cpu_times()
                            # children_*: descendants already ended, e.g. RQ's work horses
                            total += times.user + times.system + times.children_user + times.children_system
                        except psutil.Error:
                            pass
                except psutil.Error:
                    pass
            used[name] = total
        return used


# --- the load generator (runs in its own processes) ----------------------------------

def load_process(config_path: str) -> None:
    """One load-generating process: `clients` threads, each on its own keep-alive connection."""
    import http.client

    from bot.offline.payloads import sign, slash_command

    config = json.loads(Path(config_path).read_text())
    proc, host, port = config["proc"], config["host"], config["port"]
    start_at, end_at = config["start_at"], config["end_at"]
    results: dict[str, list] = {}
    failures: dict[str, int] = {}
    lock = threading.Lock()

    def client(index: int) -> None:
        records = []
        connection = http.client.HTTPConnection(host, port, timeout=config["timeout"])
        delay = start_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        sequence = 0
        while time.monotonic() < end_at:
            key = f"{config['run_id']}-{proc}-{index}-{sequence}"
            body, content_type = slash_command(
                f"log {AREA} bench {key} met the housing team about the five year land supply",
                USER, USER_NAME, CHANNEL, config["response_url_base"] + key,
            )
            payload = body.encode()
            headers = {"Content-Type": content_type, **sign(body, config["secret"])}
            started = time.monotonic()
            try:
                connection.request("POST", PATH, body=payload, headers=headers)
                response = connection.getresponse()
                data = response.read()
                status = response.status
                if response.will_close:
                    connection.close()
            except Exception as error:  # a refused, reset or timed-out request counts as an error
                status, data = 0, b""
                connection.close()
                with lock:
                    name = type(error).__name__
                    failures[name] = failures.get(name, 0) + 1
            finished = time.monotonic()
            records.append([round(started, 6), round(finished - started, 6), status, len(data), sequence,
                            int(b"Logged" in data)])
            sequence += 1
        connection.close()
        with lock:
            results[str(index)] = records

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(config["clients"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(end_at - time.monotonic() + config["timeout"] + 5)
    Path(config["out"]).write_text(json.dumps({"proc": proc, "clients": results, "failures": failures}))


# --- one benchmark run against one app ------------------------------------------------

def summarize(records: list[list], measure_from: float, end_at: float) -> dict:
    """Latency and throughput of the requests started in the measured window."""
    measured = [r for r in records if measure_from <= r[0] < end_at]
    window = end_at - measure_from
    ok = sorted(r[1] for r in measured if r[2] == 200)
    every = sorted(r[1] for r in measured)
    statuses: dict[str, int] = {}
    for r in measured:
        statuses[str(r[2])] = statuses.get(str(r[2]), 0) + 1
    buckets = []
    step = 5.0
    start = measure_from
    while start < end_at - 1e-9:
        stop = min(start + step, end_at)
        lat = sorted(r[1] for r in measured if start <= r[0] < stop and r[2] == 200)
        buckets.append({"from_s": round(start - measure_from, 1), "to_s": round(stop - measure_from, 1),
                        "requests": len(lat), "p50_ms": ms(percentile(lat, 50)), "p99_ms": ms(percentile(lat, 99))})
        start = stop
    return {
        "window_s": round(window, 3),
        "requests": len(measured),
        "ok": len(ok),
        "errors": len(measured) - len(ok),
        "statuses": statuses,
        "acks_with_a_message": sum(1 for r in measured if r[2] == 200 and r[3] > 0),
        "throughput_rps": round(len(ok) / window, 1),
        "p50_ms": ms(percentile(ok, 50)),
        "p90_ms": ms(percentile(ok, 90)),
        "p99_ms": ms(percentile(ok, 99)),
        "p999_ms": ms(percentile(ok, 99.9)),
        "max_ms": ms(ok[-1]) if ok else float("nan"),
        "mean_ms": ms(sum(ok) / len(ok)) if ok else float("nan"),
        "max_ms_any_status": ms(every[-1]) if every else float("nan"),
        "over_3s": sum(1 for x in every if x > 3.0),
        "by_5s": buckets,
    }


def run_load(base: str, args, run_id: str, standin, work: Path, cpu_groups: dict, clients: int,
             seconds: float) -> dict:
    """Drive `clients` concurrent clients at `base` for warm-up + seconds; the raw records and a summary."""
    host, port = base.removeprefix("http://").split(":")
    procs = max(1, min(args.load_procs, clients))
    per_proc = [clients // procs + (1 if i < clients % procs else 0) for i in range(procs)]
    start_at = time.monotonic() + 2.0  # time for the load processes to start
    measure_from = start_at + args.warmup
    end_at = measure_from + seconds
    loaders = []
    for proc, count in enumerate(per_proc):
        config = {
            "proc": proc, "host": host, "port": int(port), "clients": count, "run_id": run_id,
            "start_at": start_at, "end_at": end_at, "timeout": 15.0, "secret": SECRET,
            "response_url_base": standin.response_url(""), "out": str(work / f"{run_id}-load-{proc}.json"),
        }
        config_path = work / f"{run_id}-load-{proc}-config.json"
        config_path.write_text(json.dumps(config))
        loaders.append(subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--load-process",
                                         str(config_path)], cwd=ROOT))
    meter = CpuMeter({**cpu_groups, "load generator": [p.pid for p in loaders], "stand-in (bench driver)": [-os.getpid()]})
    time.sleep(max(0.0, measure_from - time.monotonic()))
    cpu_before = meter.sample()
    time.sleep(max(0.0, end_at - time.monotonic()))
    cpu_after = meter.sample()
    for loader in loaders:
        try:
            loader.wait(60)
        except subprocess.TimeoutExpired:
            loader.kill()
            loader.wait(10)
    records, failures = [], {}
    for proc in range(procs):
        out = work / f"{run_id}-load-{proc}.json"
        if not out.exists():
            raise RuntimeError(f"load process {proc} wrote no results")
        data = json.loads(out.read_text())
        for client, rows in data["clients"].items():
            for row in rows:
                records.append([*row[:5], f"{run_id}-{proc}-{client}-{row[4]}", row[5]])
        for kind, count in data["failures"].items():
            failures[kind] = failures.get(kind, 0) + count
    summary = summarize(records, measure_from, end_at)
    summary["client_exceptions"] = failures
    used = {k: cpu_after[k] - cpu_before[k] for k in cpu_after}
    used["other processes"] = max(0.0, used["whole machine"] - sum(v for k, v in used.items() if k != "whole machine"))
    cpu_after = {**cpu_after, "other processes": used["other processes"]}
    cpu_before = {**cpu_before, "other processes": 0.0}
    summary["cpu_s"] = {k: round(cpu_after[k] - cpu_before[k], 2) for k in cpu_after}
    summary["cpu_cores_busy"] = {k: round((cpu_after[k] - cpu_before[k]) / seconds, 2) for k in cpu_after}
    summary["warmup_requests"] = sum(1 for r in records if r[0] < measure_from)
    return {"summary": summary, "records": records, "measure_from": measure_from, "end_at": end_at}


def wait_quiet(limit_s: float, threshold_cores: float = 0.3) -> dict:
    """Wait (at most limit_s) until the rest of the machine uses under threshold_cores for 3 s running."""
    import psutil

    began = time.monotonic()
    while True:
        before = psutil.cpu_times()
        time.sleep(3)
        after = psutil.cpu_times()
        idle = (after.idle + getattr(after, "iowait", 0)) - (before.idle + getattr(before, "iowait", 0))
        total = sum(after) - sum(before)
        busy = (1 - idle / total) * (os.cpu_count() or 1) if total else 0.0
        waited = time.monotonic() - began
        if busy < threshold_cores or waited >= limit_s:
            return {"busy_cores_before": round(busy, 2), "waited_s": round(waited, 1), "quiet": busy < threshold_cores}


# The stand-in does not hold a channel to Slack's ~1 message/s, so the bench's workers post at once: thousands
# of entries in one thread would otherwise take as many seconds. Everything else is `scbot worker --queue slack`.
UNPACED_WORKER = "import jobs, bot.worker; jobs.PACE_SECONDS = 0; bot.worker.work('slack', burst=False)"


def start_rq_workers(count: int, env: dict, stamp: str) -> list[subprocess.Popen]:
    started = []
    for i in range(count):
        log = open(RESULTS / f"{stamp}-worker{i}.log", "w")
        started.append(subprocess.Popen([sys.executable, "-c", UNPACED_WORKER], env=env, cwd=ROOT, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True))
    return started


def start_app(name: str, target: str, args, env: dict, stamp: str) -> tuple[subprocess.Popen, str, Path, list]:
    serve_args = ["--host", "127.0.0.1", "--port", str(free_port())]
    if args.workers:
        serve_args += ["--workers", str(args.workers)]
    if args.threads:
        serve_args += ["--threads", str(args.threads)]
    command = serve_command(target, serve_args)
    log_path = RESULTS / f"{stamp}-{name}-server.log"
    print(f"== {name}: {' '.join(command)}", flush=True)
    process = start_server(command, env, log_path)
    base = f"http://127.0.0.1:{serve_args[3]}"
    wait_healthy(base, process)
    return process, base, log_path, command


def pooled(loads: list[dict]) -> dict:
    """One summary of several measured windows (the rounds), as if they were one."""
    records = [r for load in loads for r in load["records"] if load["measure_from"] <= r[0] < load["end_at"]]
    window = sum(load["end_at"] - load["measure_from"] for load in loads)
    ok = sorted(r[1] for r in records if r[2] == 200)
    return {"requests": len(records), "ok": len(ok), "errors": len(records) - len(ok),
            "throughput_rps": round(len(ok) / window, 1) if window else 0.0,
            "p50_ms": ms(percentile(ok, 50)), "p90_ms": ms(percentile(ok, 90)), "p99_ms": ms(percentile(ok, 99)),
            "max_ms": ms(ok[-1]) if ok else float("nan"),
            "acks_saying_logged": sum(r[6] for r in records if r[2] == 200),
            "over_3s": sum(1 for r in records if r[1] > 3.0)}


def check_writes(run_id: str, loads: list[dict], engine, standin, env: dict, args, stamp: str) -> dict:
    """Every write the bot acknowledged is in the database; then RQ workers post every one to the thread."""
    from sqlalchemy import text as sql

    acked = {r[5] for load in loads for r in load["records"] if r[2] == 200 and r[6]}
    with engine.connect() as connection:
        texts = connection.execute(sql("SELECT text FROM logentry WHERE text LIKE :p"),
                                   {"p": f"bench {run_id}%"}).scalars().all()
    written = {t.split()[1] for t in texts}

    def posted() -> int:
        return sum(1 for c in standin.calls_to("chat.postMessage")
                   if c.args.get("thread_ts") and f"bench {run_id}" in c.args.get("text", ""))

    print(f"   {len(acked)} writes acknowledged, {len(written)} in the database; starting {args.rq_workers} "
          "RQ workers to post them ...", flush=True)
    workers = start_rq_workers(args.rq_workers, env, stamp)
    began = time.monotonic()
    try:
        last, last_change = -1, began
        while time.monotonic() - began < args.drain_timeout:
            now = posted()
            if now != last:
                last, last_change = now, time.monotonic()
            if now >= len(written) or time.monotonic() - last_change > 30:
                break
            time.sleep(0.5)
    finally:
        for worker in workers:
            stop_server(worker)
    return {"acked_200_saying_logged": len(acked), "log_entries_written": len(written),
            "acked_but_not_in_database": len(acked - written), "in_database_but_not_acked": len(written - acked),
            "thread_posts_by_workers": posted(), "posting_took_s": round(time.monotonic() - began, 1)}


def start_conversation(base: str, standin) -> None:
    """`/sc start` for the bench's area, so that every `/sc log` writes to it."""
    from bot.offline.payloads import slash_command

    body, content_type = slash_command(f"start {AREA}", USER, USER_NAME, CHANNEL, standin.response_url("start"))
    # The bench user is a member of the team channel, as the bot learns it at start.
    status, said = 0, ""
    for _ in range(50):
        status, said = post(base, body, content_type)
        if "Started" in said or "already" in said:
            break
        time.sleep(0.2)
    if "Started" not in said and "already" not in said:  # a kept database may have it from a last run
        raise RuntimeError(f"/sc start {AREA} answered {status}: {said[:300]}")


def ratio(a: float, b: float) -> float:
    return round(a / b, 2) if b else float("nan")


# --- main ----------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="A B rounds (default 2)")
    parser.add_argument("--seconds", type=float, default=8, help="measured seconds per app per round (default 8)")
    parser.add_argument("--one-client-seconds", type=float, default=4,
                        help="measured seconds of one client alone per app per round (default 4; 0: none)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (default 20)")
    parser.add_argument("--warmup", type=float, default=2, help="unmeasured seconds of load first (default 2)")
    parser.add_argument("--load-procs", type=int, default=4, help="processes the clients are spread over (default 4)")
    parser.add_argument("--database-url", default="",
                        help="a PostgreSQL database of its own for the bot (default: SQLite in a temporary folder); "
                             "the bench adds rows and never deletes any")
    parser.add_argument("--workers", type=int, default=0, help="passed to `scbot serve` for both apps")
    parser.add_argument("--threads", type=int, default=0, help="passed to `scbot serve` for both apps")
    parser.add_argument("--bot-target", default=BOT_TARGET,
                        help="WSGI app to measure as the bot; anything but the default is served by "
                             "bench/serving.py with `scbot serve`'s settings (see bench/variants.py)")
    parser.add_argument("--rq-workers", type=int, default=2, help="RQ workers started after the load (default 2)")
    parser.add_argument("--drain-timeout", type=float, default=600)
    parser.add_argument("--quiet-wait", type=float, default=30,
                        help="wait up to this many seconds for the machine to fall quiet before each load (default 30)")
    parser.add_argument("--floor", action="store_true",
                        help="the bot target keeps no conversations (bench/floor_app.py): no /sc start, no count of writes")
    parser.add_argument("--label", default="", help="a note kept in the results file")
    parser.add_argument("--load-process", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load_process:
        load_process(args.load_process)
        return

    from bot.offline.standin import SlackStandIn

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    run_id = f"r{stamp.replace('T', '')}"
    started = time.monotonic()
    loads: dict[tuple[str, int], list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-ack-") as folder, redis_and_process() as (redis_url, redis_process), \
            SlackStandIn(team_channel=CHANNEL, members={USER}, users={USER: USER_NAME}) as standin:
        work = Path(folder)
        data_dir = work / "data"
        data_dir.mkdir()
        env = {**os.environ, "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET,
               "SLACK_API_URL": standin.api_url, "REDIS_URL": redis_url, "SC_DATA_DIR": str(data_dir),
               "DATABASE_URL": args.database_url, "SC_TEAM_CHANNEL": CHANNEL, "PYTHONUNBUFFERED": "1"}
        env.pop("SLACK_APP_TOKEN", None)
        print(f"stand-in Slack {standin.base}, Redis {redis_url}, database "
              f"{args.database_url or data_dir / 'scbot.sqlite3'}", flush=True)
        subprocess.run([*serve_command(BOT_TARGET, [])[:-1], "db", "upgrade"], env=env, cwd=ROOT, check=True)

        from models.db import get_engine

        database_url = args.database_url or f"sqlite:///{(data_dir / 'scbot.sqlite3').resolve()}"
        if database_url.startswith(("postgres://", "postgresql://")):
            database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]
        engine = get_engine(database_url)

        apps = {"bot": start_app("bot", args.bot_target, args, env, stamp),
                "bare": start_app("bare", "bench.bare_app:create_wsgi_app()", args, env, stamp)}
        try:
            if not args.floor:
                start_conversation(apps["bot"][1], standin)
            groups = {"redis-server": [redis_process.pid]} if redis_process is not None else {}
            for round_number in range(args.rounds):
                for name, (process, base, _log, _command) in apps.items():
                    for clients, seconds in ((args.clients, args.seconds), (1, args.one_client_seconds)):
                        if not seconds:
                            continue
                        if args.quiet_wait:
                            wait_quiet(args.quiet_wait)
                        load = run_load(base, args, f"{run_id}{name}{round_number}c{clients}", standin, work,
                                        {"server (gunicorn)": [process.pid], **groups}, clients, seconds)
                        loads.setdefault((name, clients), []).append(load)
                        s = load["summary"]
                        print(f"   round {round_number + 1} {name:4} {clients:2} client(s): {s['throughput_rps']:7.1f} "
                              f"req/s  p50 {s['p50_ms']:6.1f}  p99 {s['p99_ms']:6.1f}  max {s['max_ms']:7.1f} ms  "
                              f"errors {s['errors']}  other cores {s['cpu_cores_busy'].get('other processes', 0)}",
                              flush=True)
        finally:
            for process, _base, _log, _command in apps.values():
                stop_server(process)
        findings = {name: log_findings(log) for name, (_p, _b, log, _c) in apps.items()}
        commands = {name: command for name, (_p, _b, _l, command) in apps.items()}
        bot_loads = [load for (name, _c), runs in loads.items() if name == "bot" for load in runs]
        writes = None if args.floor else check_writes(run_id, bot_loads, engine, standin, env, args, stamp)
        engine.dispose()

    results = {f"{name} x{clients}": pooled(runs) for (name, clients), runs in loads.items()}
    rounds = [{key: load["summary"] for key, load in
               ((f"{name} x{clients}", runs[i]) for (name, clients), runs in loads.items())} for i in range(args.rounds)]
    many, one = f"x{args.clients}", "x1"
    aims = {"throughput bot/bare": ratio(results[f"bot {many}"]["throughput_rps"], results[f"bare {many}"]["throughput_rps"]),
            "p99 bot/bare": ratio(results[f"bot {many}"]["p99_ms"], results[f"bare {many}"]["p99_ms"])}
    if f"bot {one}" in results:
        aims["one-client p50 bot - bare (ms)"] = round(results[f"bot {one}"]["p50_ms"] - results[f"bare {one}"]["p50_ms"], 2)
    verdict = [f"throughput {aims['throughput bot/bare']}x the bare app's: "
               f"{'meets' if aims['throughput bot/bare'] >= 0.8 else 'MISSES'} the 0.8x aim",
               f"p99 {aims['p99 bot/bare']}x: {'meets' if aims['p99 bot/bare'] <= 1.5 else 'MISSES'} the 1.5x aim"]
    if "one-client p50 bot - bare (ms)" in aims:
        gap = aims["one-client p50 bot - bare (ms)"]
        verdict.append(f"one-client p50 {gap:+.2f} ms against the bare app: {'meets' if gap <= 2 else 'MISSES'} "
                       "the 2 ms aim")
    if writes:
        lost = writes["acked_but_not_in_database"]
        verdict.append(f"{writes['acked_200_saying_logged']} writes acknowledged, {writes['log_entries_written']} "
                       f"in the database ({'none lost' if not lost else f'{lost} LOST'}); "
                       f"{writes['thread_posts_by_workers']} posted to the thread by {args.rq_workers} RQ workers in "
                       f"{writes['posting_took_s']} s")
    for name, found in findings.items():
        if found["tracebacks"] or found["errors"]:
            verdict.append(f"{name}'s server log: {found['tracebacks']} tracebacks, {found['errors']} errors")
    out = RESULTS / f"ack-latency-{stamp}.json"
    out.write_text(json.dumps({
        "when": stamp, "label": args.label, "machine": machine(PACKAGES),
        "settings": {**{k: v for k, v in vars(args).items() if k != "load_process"},
                     "database": "postgresql" if args.database_url else "sqlite", "commands": commands},
        "results": results, "rounds": rounds, "aims": aims, "writes": writes, "server_logs": findings,
        "verdict": verdict}, indent=2))
    print(f"\n/sc log, {args.rounds} rounds A B, {'postgresql' if args.database_url else 'sqlite'}:")
    print(f"{'':14}{'req/s':>9}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}")
    for key, r in results.items():
        print(f"{key:14}{r['throughput_rps']:9.1f}{r['p50_ms']:9.1f}{r['p90_ms']:9.1f}{r['p99_ms']:9.1f}"
              f"{r['max_ms']:9.1f}{r['errors']:8}")
    print()
    for note in verdict:
        print("* " + note)
    print(f"\nResults: {out.relative_to(ROOT)} ({time.monotonic() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
