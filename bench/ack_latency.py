"""Acknowledgement latency of `/sc log` over HTTP under the production server, beside a bare Bolt app.

    .venv/bin/python bench/ack_latency.py [--seconds 30] [--clients 20] [--database-url URL]

Starts a stand-in Slack, a throwaway redis-server (or REDIS_URL), a fresh SQLite
database in a temporary folder (or --database-url), then `scbot serve` with the
production gunicorn settings. Concurrent clients in separate processes send
signed `/sc log Leicester <text>` slash commands, shaped as Slack sends them,
over keep-alive connections for the set time, and time each request from send
to complete response (the ack). Then the same load goes to bench/bare_app.py,
a Bolt app that only acks, served with the same gunicorn settings. Prints
p50/p90/p99/max, throughput and errors for both, the ratios, checks that every
acknowledged write reached the database, and writes JSON to bench/results/.

See bench/README.md for what the figures mean and the last recorded run.
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
            records.append([round(started, 6), round(finished - started, 6), status, len(data), sequence])
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


def run_load(name: str, base: str, args, run_id: str, standin, work: Path, cpu_groups: dict,
             at_end=None) -> dict:
    """Drive `clients` concurrent clients at `base` for warm-up + seconds; the raw records and a summary."""
    host, port = base.removeprefix("http://").split(":")
    procs = max(1, min(args.load_procs, args.clients))
    per_proc = [args.clients // procs + (1 if i < args.clients % procs else 0) for i in range(procs)]
    start_at = time.monotonic() + 2.0  # time for the load processes to start
    measure_from = start_at + args.warmup
    end_at = measure_from + args.seconds
    loaders = []
    for proc, clients in enumerate(per_proc):
        config = {
            "proc": proc, "host": host, "port": int(port), "clients": clients, "run_id": run_id,
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
    landed_by_end = at_end() if at_end else None
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
                records.append([*row, f"{run_id}-{proc}-{client}-{row[4]}"])
        for kind, count in data["failures"].items():
            failures[kind] = failures.get(kind, 0) + count
    summary = summarize(records, measure_from, end_at)
    summary["client_exceptions"] = failures
    used = {k: cpu_after[k] - cpu_before[k] for k in cpu_after}
    used["other processes"] = max(0.0, used["whole machine"] - sum(v for k, v in used.items() if k != "whole machine"))
    cpu_after = {**cpu_after, "other processes": used["other processes"]}
    cpu_before = {**cpu_before, "other processes": 0.0}
    summary["cpu_s"] = {k: round(cpu_after[k] - cpu_before[k], 2) for k in cpu_after}
    summary["cpu_cores_busy"] = {k: round((cpu_after[k] - cpu_before[k]) / args.seconds, 2) for k in cpu_after}
    summary["warmup_requests"] = sum(1 for r in records if r[0] < measure_from)
    return {"summary": summary, "records": records, "end_at": end_at, "measure_from": measure_from,
            "start_at": start_at, "landed_by_end": landed_by_end, "meter": meter}


def drain(run_id: str, acked: set[str], sent: int, count_written, standin, redis_url: str, load: dict,
          timeout: float) -> dict:
    """Wait for the lazy listeners to finish; what was written and confirmed against what was acked."""
    import redis
    from rq import Queue

    def responses():
        return [c for c in standin.calls_to("response_url")
                if c.args.get("key", "").startswith(run_id + "-") and c.args["key"] != f"{run_id}-start"]

    began = time.monotonic()
    cpu_before = load["meter"].sample()
    last_change, last = began, None
    while True:
        now = time.monotonic()
        state = (count_written(), len(responses()))
        if state != last:
            last, last_change = state, now
        if (state[0] >= len(acked) and state[1] >= len(acked)) or now - last_change > 15 or now - began > timeout:
            break
        time.sleep(0.25)
    written, _ = last
    drain_cpu = {k: round(v - cpu_before[k], 2) for k, v in load["meter"].sample().items()}
    answered = responses()
    keys_answered = {c.args["key"] for c in answered}
    logged = sum(1 for c in answered if "Logged" in c.args.get("text", ""))
    other = [c.args.get("text", "")[:200] for c in answered if "Logged" not in c.args.get("text", "")]
    sent_at = {r[5]: r[0] for r in load["records"]}
    confirm = sorted(c.at - sent_at[c.args["key"]] for c in answered if c.args["key"] in sent_at)
    last_confirmation = max((c.at for c in answered), default=load["end_at"])
    queue = Queue("slack", connection=redis.Redis.from_url(redis_url))
    return {
        "requests_sent": sent,
        "acked_200": len(acked),
        "log_entries_written": written,
        "response_url_posts": len(answered),
        "response_url_logged": logged,
        "response_url_other": len(other),
        "response_url_other_samples": other[:3],
        "acked_but_never_confirmed": len(acked - keys_answered),
        "confirmed_but_not_acked": len(keys_answered - acked),
        "rq_jobs_queued": queue.count,
        "last_confirmation_after_load_s": round(last_confirmation - load["end_at"], 2),
        "time_to_confirmation_ms": {
            "p50": ms(percentile(confirm, 50)), "p90": ms(percentile(confirm, 90)),
            "p99": ms(percentile(confirm, 99)), "max": ms(confirm[-1]) if confirm else float("nan"),
        },
        "drained_in_s": round(time.monotonic() - began, 2),
        "written_by_end_of_load": load["landed_by_end"],
        "writes_per_s_during_load": round(load["landed_by_end"] / (load["end_at"] - load["start_at"]), 1),
        "cpu_s_while_draining": drain_cpu,
    }


def start_rq_workers(args, env: dict, stamp: str, name: str, first: int = 0) -> list[subprocess.Popen]:
    """`scbot worker` (or RQ's SimpleWorker) processes for the bot's queue; bench/ importable for variants."""
    worker_env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))}
    command = ([*serve_command(BOT_TARGET, [])[:-1], "worker"] if args.rq_worker == "scbot"
               else [sys.executable, "-m", "bench.variants"])
    started = []
    for i in range(first, first + args.rq_workers):
        log = open(RESULTS / f"{stamp}-{name}-worker{i}.log", "w")
        started.append(subprocess.Popen(command, env=worker_env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True))
    return started


def wait_quiet(limit_s: float, threshold_cores: float = 0.3) -> dict:
    """Wait (at most limit_s) until the rest of the machine uses under threshold_cores for 3 s running."""
    import psutil

    began = time.monotonic()
    busy = 0.0
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


def bench_app(name: str, target: str, args, env: dict, standin, work: Path, stamp: str,
              redis_process, redis_url: str, count_written=None) -> dict:
    serve_args = ["--host", "127.0.0.1", "--port", str(free_port())]
    if args.workers:
        serve_args += ["--workers", str(args.workers)]
    if args.threads:
        serve_args += ["--threads", str(args.threads)]
    command = serve_command(target, serve_args)
    log_path = RESULTS / f"{stamp}-{name}-server.log"
    base = f"http://127.0.0.1:{serve_args[3]}"
    run_id = f"{name}{stamp.replace('-', '').replace('T', '')}"
    print(f"\n== {name}: {' '.join(command)}", flush=True)
    result = {"target": target, "command": command, "server_log": str(log_path.relative_to(ROOT))}
    workers: list[subprocess.Popen] = []
    process = start_server(command, env, log_path)
    try:
        wait_healthy(base, process)
        if count_written is not None and args.rq_workers:
            workers.extend(start_rq_workers(args, env, stamp, name))
            result["rq_workers"] = f"{args.rq_workers} x {args.rq_worker}, started {args.rq_start} the load"
        if count_written is not None:
            from bot.offline.payloads import slash_command

            key = f"{run_id}-start"
            body, content_type = slash_command(f"start {AREA}", USER, USER_NAME, CHANNEL, standin.response_url(key))
            status, text = post(base, body, content_type)
            if status != 200:
                raise RuntimeError(f"/sc start {AREA} answered {status}: {text[:300]}")
            reply = standin.wait_for("response_url", where=lambda a: a.get("key") == key, timeout=30)[0]
            result["start_reply"] = reply.args.get("text", "")[:200]
            print(f"   /sc start {AREA}: {result['start_reply'][:100]}", flush=True)
            before = count_written(run_id)
            if args.rq_start == "after":  # they were needed for the start only; back after the load
                for worker in workers:
                    stop_server(worker)
        groups = {"server (gunicorn)": [process.pid]}
        if workers:
            groups["rq workers"] = [w.pid for w in workers]
        if redis_process is not None:
            groups["redis-server"] = [redis_process.pid]
        if args.quiet_wait:
            result["machine_before"] = wait_quiet(args.quiet_wait)
            if not result["machine_before"]["quiet"]:
                print(f"   the machine is busy with other work ({result['machine_before']['busy_cores_before']} cores);"
                      " measuring anyway", flush=True)
        print(f"   {args.clients} clients, {args.warmup:g} s warm-up + {args.seconds:g} s measured ...", flush=True)
        load = run_load(name, base, args, run_id, standin, work, groups,
                        at_end=(lambda: count_written(run_id) - before) if count_written else None)
        result["summary"] = load["summary"]
        if count_written is not None and args.rq_workers and args.rq_start == "after":
            workers.extend(start_rq_workers(args, env, stamp, name, first=len(workers)))
        if count_written is not None:
            acked = {r[5] for r in load["records"] if r[2] == 200}
            print(f"   draining the lazy listeners ({len(acked)} acked writes) ...", flush=True)
            result["writes"] = drain(run_id, acked, len(load["records"]), lambda: count_written(run_id) - before,
                                     standin, redis_url, load, args.drain_timeout)
        return result
    finally:
        stop_server(process)
        for worker in workers:
            stop_server(worker)
        result["server_log_findings"] = log_findings(log_path)


# --- the report ------------------------------------------------------------------------

ROWS = [("p50 (ms)", "p50_ms"), ("p90 (ms)", "p90_ms"), ("p99 (ms)", "p99_ms"), ("p99.9 (ms)", "p999_ms"),
        ("max (ms)", "max_ms"), ("throughput (req/s)", "throughput_rps"), ("requests", "requests"),
        ("errors (non-200)", "errors")]


def table(results: dict) -> str:
    names = [n for n in ("bot", "bare") if n in results]
    header = f"{'':22}" + "".join(f"{n:>12}" for n in names) + (f"{'bot/bare':>12}" if len(names) == 2 else "")
    lines = [header, "-" * len(header)]
    for label, key in ROWS:
        values = [results[n]["summary"][key] for n in names]
        line = f"{label:22}" + "".join(f"{v:>12,.1f}" if isinstance(v, float) else f"{v:>12,}" for v in values)
        if len(names) == 2 and key not in ("requests", "errors"):
            line += f"{values[0] / values[1]:>12.2f}" if values[1] else f"{'-':>12}"
        lines.append(line)
    return "\n".join(lines)


def verdict(results: dict) -> list[str]:
    if "bot" not in results:
        return []
    bot = results["bot"]["summary"]
    notes = [f"p99 {bot['p99_ms']:.0f} ms: {'meets' if bot['p99_ms'] < 250 else 'MISSES'} the 250 ms aim"]
    if "bare" in results:
        bare = results["bare"]["summary"]
        for label, key, worse in (("p50", "p50_ms", lambda r: r > 1.5), ("p99", "p99_ms", lambda r: r > 1.5),
                                  ("throughput", "throughput_rps", lambda r: r < 1 / 1.5)):
            ratio = bot[key] / bare[key] if bare[key] else float("nan")
            notes.append(f"{label} bot/bare {ratio:.2f}: {'MISSES' if worse(ratio) else 'meets'} the 1.5x aim")
    if bot["errors"]:
        notes.append(f"{bot['errors']} bot requests were not answered 200")
    for name, result in results.items():
        other = result["summary"]["cpu_cores_busy"].get("other processes", 0)
        if other > 0.2:
            notes.append(f"DISTURBED: other processes used {other:.2f} cores during the {name} run")
    return notes


# --- main ----------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30, help="measured time per app (default 30)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (default 20)")
    parser.add_argument("--warmup", type=float, default=3, help="unmeasured seconds of load first (default 3)")
    parser.add_argument("--load-procs", type=int, default=4, help="processes the clients are spread over (default 4)")
    parser.add_argument("--database-url", default="",
                        help="a PostgreSQL database of its own for the bot (default: SQLite in a temporary folder); "
                             "the bench adds rows and never deletes any")
    parser.add_argument("--workers", type=int, default=0, help="passed to `scbot serve` for both apps")
    parser.add_argument("--threads", type=int, default=0, help="passed to `scbot serve` for both apps")
    parser.add_argument("--only", choices=["both", "bot", "bare"], default="both")
    parser.add_argument("--bot-target", default=BOT_TARGET,
                        help="WSGI app to measure as the bot; anything but the default is served by "
                             "bench/serving.py with `scbot serve`'s settings (see bench/variants.py)")
    parser.add_argument("--rq-workers", type=int, default=0,
                        help="run this many `scbot worker` processes beside the bot during the load (default 0)")
    parser.add_argument("--rq-worker", choices=["scbot", "simple"], default="scbot",
                        help="scbot: `scbot worker` (RQ's Worker, a fork per job); simple: RQ's SimpleWorker "
                             "(bench/variants.py)")
    parser.add_argument("--rq-start", choices=["during", "after"], default="during",
                        help="start the RQ workers before the load (sharing the machine with the server) or "
                             "once it stops (as if on another machine)")
    parser.add_argument("--drain-timeout", type=float, default=180)
    parser.add_argument("--quiet-wait", type=float, default=180,
                        help="wait up to this many seconds for other work on the machine to stop before each "
                             "app's load (0: don't wait; default 180)")
    parser.add_argument("--label", default="", help="a note kept in the results file")
    parser.add_argument("--load-process", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load_process:
        load_process(args.load_process)
        return

    from bench.serving import gunicorn_command
    from bot.offline.standin import SlackStandIn

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    started = time.monotonic()
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="bench-ack-") as folder, redis_and_process() as (redis_url, redis_process), \
            SlackStandIn(team_channel=CHANNEL, members={USER}, users={USER: USER_NAME}) as standin:
        work = Path(folder)
        data_dir = work / "data"
        data_dir.mkdir()
        env = {**os.environ, "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET,
               "SLACK_API_URL": standin.api_url, "REDIS_URL": redis_url, "SC_DATA_DIR": str(data_dir),
               "DATABASE_URL": args.database_url, "SC_TEAM_CHANNEL": CHANNEL, "SC_STAFF": USER,
               "PYTHONUNBUFFERED": "1"}
        env.pop("SLACK_APP_TOKEN", None)
        print(f"stand-in Slack {standin.base}, Redis {redis_url}, database "
              f"{args.database_url or data_dir / 'scbot.sqlite3'}", flush=True)
        subprocess.run([*serve_command(BOT_TARGET, [])[:-1], "db", "upgrade"], env=env, cwd=ROOT, check=True)

        from sqlalchemy import text as sql

        from models.db import get_engine

        database_url = args.database_url or f"sqlite:///{(data_dir / 'scbot.sqlite3').resolve()}"
        if database_url.startswith(("postgres://", "postgresql://")):
            database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]
        engine = get_engine(database_url)

        def count_written(run_id: str) -> int:
            with engine.connect() as connection:
                return connection.execute(sql("SELECT count(*) FROM logentry WHERE text LIKE :p"),
                                          {"p": f"bench {run_id}-%"}).scalar_one()

        serve_args = [a for a in (["--workers", str(args.workers)] if args.workers else [])
                      + (["--threads", str(args.threads)] if args.threads else [])]
        results_file = {
            "when": stamp, "label": args.label, "machine": machine(PACKAGES),
            "settings": {"seconds": args.seconds, "clients": args.clients, "warmup_s": args.warmup,
                         "load_procs": args.load_procs, "database": "postgresql" if args.database_url else "sqlite",
                        "rq_workers": f"{args.rq_workers} x {args.rq_worker}" if args.rq_workers else 0,
                         "bot_target": args.bot_target,
                         "gunicorn": gunicorn_command(["--host", "127.0.0.1", "--port", "0", *serve_args])},
        }
        if args.only in ("both", "bot"):
            results["bot"] = bench_app("bot", args.bot_target, args, env, standin, work, stamp, redis_process,
                                       redis_url, count_written)
        if args.only in ("both", "bare"):
            results["bare"] = bench_app("bare", "bench.bare_app:create_wsgi_app()", args, env, standin, work,
                                        stamp, redis_process, redis_url)
        engine.dispose()

    results_file["results"] = results
    results_file["verdict"] = verdict(results)
    if "bot" in results and "bare" in results:
        bot, bare = results["bot"]["summary"], results["bare"]["summary"]
        results_file["ratios_bot_over_bare"] = {
            k: round(bot[k] / bare[k], 3) if bare[k] else None
            for k in ("p50_ms", "p90_ms", "p99_ms", "max_ms", "throughput_rps")}
    out = RESULTS / f"ack-latency-{stamp}.json"
    out.write_text(json.dumps(results_file, indent=2))

    print(f"\n/sc log acknowledgement latency: {args.clients} clients, {args.seconds:g} s each, "
          f"{results_file['settings']['database']}, "
          f"gunicorn {' '.join(results_file['settings']['gunicorn'][5:-1])}\n")
    print(table(results))
    for name, result in results.items():
        s = result["summary"]
        cpu = ", ".join(f"{k} {v:.2f}" for k, v in s["cpu_cores_busy"].items())
        print(f"\n{name}: statuses {s['statuses']}, client exceptions {s['client_exceptions'] or 'none'}, "
              f"acks carrying a message {s['acks_with_a_message']}, over 3 s {s['over_3s']}")
        print(f"{name}: CPU cores busy: {cpu}")
        print(f"{name}: p50/p99 by 5 s: " + "  ".join(f"{b['p50_ms']:.0f}/{b['p99_ms']:.0f}" for b in s["by_5s"]))
        findings = result.get("server_log_findings", {})
        if any(findings.get(k) for k in ("tracebacks", "errors", "warnings", "worker_timeouts")):
            print(f"{name}: server log: {findings}")
        if "writes" in result:
            w = result["writes"]
            verdict_text = ("all acknowledged writes landed" if w["log_entries_written"] >= w["acked_200"]
                            else f"{w['acked_200'] - w['log_entries_written']} ACKNOWLEDGED WRITES DID NOT LAND")
            print(f"{name}: writes: {w['requests_sent']} sent, {w['acked_200']} acked, {w['log_entries_written']} "
                  f"log entries written ({verdict_text}); {w['response_url_logged']} confirmed by response_url "
                  f"({w['response_url_other']} other replies), {w['rq_jobs_queued']} thread jobs queued; "
                  f"the last confirmation came {w['last_confirmation_after_load_s']} s after the load stopped")
            t = w["time_to_confirmation_ms"]
            print(f"{name}: send to response_url confirmation: p50 {t['p50']:.0f} ms, p99 {t['p99']:.0f} ms, "
                  f"max {t['max']:.0f} ms; writes landed during the load: {w['writes_per_s_during_load']}/s")
    print()
    for note in results_file["verdict"]:
        print("* " + note)
    print(f"\nResults: {out.relative_to(ROOT)} ({time.monotonic() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
