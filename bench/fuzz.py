"""No input holds an acknowledgement: fuzzed `/sc` texts against the real `scbot serve`.

    .venv/bin/python bench/fuzz.py [--count 2000] [--clients 20] [--long 100] [--seed 1] [--database-url URL]

Starts a stand-in Slack, a throwaway redis-server, a fresh SQLite database (or
--database-url) and `scbot serve` with its production settings, starts a few
conversations, then sends `--count` signed `/sc` slash commands from `--clients`
concurrent clients: every subcommand (and unknown ones), with arguments drawn
from real and misspelt area names, times and dates in many shapes, mentions,
Slack markup, quotes, control characters, other scripts and emoji; `--long` of
them 3,000-4,000 characters long, spread over every subcommand. Most come from a
member of the team channel, some from someone outside it. Each is timed from
send to complete response (the acknowledgement). Reports p50/p99/max, the
statuses, how many took 3 s or more, and the tracebacks in the server's log;
JSON to bench/results/. Figures in bench/FUZZ.md.
"""
import argparse
import http.client
import json
import os
import random
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

from bench.ack_latency import (  # noqa: E402  (after the path is set)
    BOT_TARGET,
    CHANNEL,
    PATH,
    RESULTS,
    SECRET,
    TOKEN,
    log_findings,
    serve_command,
    start_server,
    stop_server,
    wait_healthy,
)
from bench.measure import machine, percentile  # noqa: E402
from bot.offline.local_services import free_port, redis_and_process, wait_until  # noqa: E402

MEMBER, OUTSIDER = "U0FUZZ", "U0OUTSIDE"
SUBCOMMANDS = ["", "help", "areas", "show", "actions", "start", "log", "stage", "action", "remind", "reminders",
               "settings", "extract", "extracts", "progress", "report", "nosuch", "LOG", "Start"]
AREAS = ["Leicester", "leicester", "Derby", "Rutland", "Gedling", "North West Leicestershire", "Nottingham Core HMA",
         "E07000032", "17UC", "Leicster", "Darby", "'Nottingham Core HMA'", "“Derby HMA”", "Leicestershire",
         "East Midlands", "Northamptonshire", "Nowhere", "", "\"", "'"]
TIMES = ["tomorrow 9am", "in 3 days", "in 2 hours", "friday 2pm", "2011-01-10 14:00", "every monday 9:00",
         "every sunday at 25:99", "next friday", "2099-12-31", "31/02/2011", "yesterday", "noon", "midnight",
         "in 99999999999 days", "every", "at", "9am tomorrow next week on friday", "2001-01-01", "soon", "0:00"]
WORDS = ["met", "the", "housing", "team", "due", "next", "friday", "evidence", "plan-drafted", "agreed", "all",
         "as", "of", "share", "chart", "csv", "xlsx", "pdf", "people", "stock", "prices", "2010", "2011", "engaged",
         "<@U0BOB|bob>", "<@U0BOB>", "@bob", "<!channel>", "<!here>", "<#C0TEAM|team>", "<https://x.test|link>",
         "&amp;", "&lt;b&gt;", "<b>bold</b>", "*bold*", "_it_", "`code`", "```", "%s", "{0}", "{{x}}", "\\", "\t",
         "\n", "\r\n", "\u200b", "\u202e", "\ufeff", "ñandú", "Zürich", "日本語", "العربية", "🏠", "👩‍👩‍👧",
         "'; DROP TABLE logentry; --", "=1+1", "+SUM(A1)", "-2", "0", "-1", "9" * 40, "1e308", "NaN",
         "due diligence", "due 31/02/2011", "due tomorrow", "as of 2010-12-20", "as of next year"]


def fuzzed_text(rng: random.Random, subcommand: str, length: int = 0) -> str:
    parts = [subcommand] if subcommand else []
    kind = rng.random()
    if subcommand.lower() in ("remind",) or kind < 0.2:
        parts += [rng.choice(AREAS), rng.choice(TIMES)]
    elif kind < 0.8:
        parts.append(rng.choice(AREAS))
    parts += [rng.choice(WORDS) for _ in range(rng.randint(0, 12))]
    text = " ".join(parts)
    if rng.random() < 0.1:  # any characters after the subcommand (no NUL: Slack sends none)
        text = " ".join([*parts[:1], "".join(chr(rng.randint(1, 0x2FFF)) for _ in range(rng.randint(1, 60)))])
    while len(text) < length:  # a long one: more words, a long unbroken run, or one of many short lines
        filler = rng.choice([" " + rng.choice(WORDS), " " + "x" * 500, "\n" + rng.choice(TIMES)])
        text += filler
    return text[:length] if length else text


def make_texts(count: int, long: int, seed: int) -> list[tuple[str, str, str]]:
    """(user, subcommand, text): `long` of them 3,000-4,000 characters, spread over every subcommand."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count - long):
        subcommand = rng.choice(SUBCOMMANDS)
        texts.append((MEMBER if rng.random() < 0.8 else OUTSIDER, subcommand, fuzzed_text(rng, subcommand)))
    for i in range(long):
        subcommand = SUBCOMMANDS[i % len(SUBCOMMANDS)]
        texts.append((MEMBER if i % 5 else OUTSIDER, subcommand, fuzzed_text(rng, subcommand, rng.randint(3000, 4000))))
    rng.shuffle(texts)
    return texts


def send_all(host: str, port: int, texts: list[tuple[str, str, str]], clients: int, response_url: str) -> list[dict]:
    from bot.offline.payloads import sign, slash_command

    results: list[dict] = []
    lock = threading.Lock()
    todo = iter(enumerate(texts))

    def client() -> None:
        connection = http.client.HTTPConnection(host, port, timeout=15)
        while True:
            with lock:
                item = next(todo, None)
            if item is None:
                break
            index, (user, subcommand, text) = item
            body, content_type = slash_command(text, user, user.lower(), CHANNEL, f"{response_url}fuzz-{index}")
            headers = {"Content-Type": content_type, **sign(body, SECRET)}
            started = time.monotonic()
            try:
                connection.request("POST", PATH, body=body.encode(), headers=headers)
                response = connection.getresponse()
                data = response.read()
                status = response.status
                if response.will_close:
                    connection.close()
            except Exception as error:  # noqa: BLE001 - a refused, reset or timed-out request is a finding
                status, data = 0, type(error).__name__.encode()
                connection.close()
            seconds = time.monotonic() - started
            with lock:
                results.append({"index": index, "subcommand": subcommand, "length": len(text),
                                "user": user, "status": status, "seconds": round(seconds, 4),
                                "answer": data[:160].decode(errors="replace")})
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--long", type=int, default=100, help="how many of 3,000-4,000 characters (default 100)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    from bot.offline.payloads import slash_command
    from bot.offline.standin import SlackStandIn

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    texts = make_texts(args.count, args.long, args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-fuzz-") as folder, redis_and_process() as (redis_url, _redis), \
            SlackStandIn(team_channel=CHANNEL, members={MEMBER}, users={MEMBER: "fuzz"}) as standin:
        data_dir = Path(folder) / "data"
        data_dir.mkdir()
        env = {**os.environ, "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET,
               "SLACK_API_URL": standin.api_url, "REDIS_URL": redis_url, "SC_DATA_DIR": str(data_dir),
               "DATABASE_URL": args.database_url, "SC_TEAM_CHANNEL": CHANNEL, "SC_MANAGERS": MEMBER,
               "PYTHONUNBUFFERED": "1"}
        env.pop("SLACK_APP_TOKEN", None)
        subprocess.run([*serve_command(BOT_TARGET, [])[:-1], "db", "upgrade"], env=env, cwd=ROOT, check=True)
        port = free_port()
        log_path = RESULTS / f"{stamp}-fuzz-server.log"
        process = start_server(serve_command(BOT_TARGET, ["--host", "127.0.0.1", "--port", str(port)]), env, log_path)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_healthy(base, process)
            from bench.ack_latency import post

            def started(area: str) -> bool:
                body, content_type = slash_command(f"start {area}", MEMBER, "fuzz", CHANNEL, standin.response_url("s"))
                return "Started" in post(base, body, content_type)[1]

            for area in ("Leicester", "Derby", "Rutland"):  # the team's members are read at start: wait for that
                wait_until(lambda area=area: started(area), timeout=30, interval=0.2, what=f"/sc start {area}")
            print(f"sending {len(texts)} fuzzed /sc texts from {args.clients} clients ...", flush=True)
            began = time.monotonic()
            results = send_all("127.0.0.1", port, texts, args.clients, standin.response_url(""))
            took = time.monotonic() - began
            time.sleep(2)  # lazy listeners (forms, the report) finish and log before the log is read
        finally:
            stop_server(process)
        findings = log_findings(log_path)

    seconds = sorted(r["seconds"] for r in results)
    long_ones = sorted(r["seconds"] for r in results if r["length"] >= 3000)
    statuses: dict[str, int] = {}
    for r in results:
        statuses[str(r["status"])] = statuses.get(str(r["status"]), 0) + 1
    summary = {
        "requests": len(results), "clients": args.clients, "seconds": round(took, 1),
        "p50_ms": round(percentile(seconds, 50) * 1000, 1), "p99_ms": round(percentile(seconds, 99) * 1000, 1),
        "max_ms": round(seconds[-1] * 1000, 1),
        "long_requests": len(long_ones), "long_p99_ms": round(percentile(long_ones, 99) * 1000, 1),
        "long_max_ms": round(long_ones[-1] * 1000, 1) if long_ones else None,
        "long_subcommands": sorted({r["subcommand"] for r in results if r["length"] >= 3000}),
        "statuses": statuses, "over_3s": sum(1 for s in seconds if s >= 3.0),
        "server_errors_5xx": sum(1 for r in results if r["status"] >= 500 or r["status"] == 0),
        "tracebacks_in_server_log": findings["tracebacks"], "errors_in_server_log": findings["errors"],
        "log_samples": findings["samples"],
    }
    slowest = sorted(results, key=lambda r: -r["seconds"])[:5]
    out = RESULTS / f"fuzz-{stamp}.json"
    out.write_text(json.dumps({"when": stamp, "machine": machine(("gunicorn", "slack_bolt", "dateparser")),
                               "settings": vars(args), "summary": summary, "slowest": slowest}, indent=2))
    print(json.dumps(summary, indent=2))
    print("slowest:", [(r["subcommand"], r["length"], r["seconds"]) for r in slowest])
    ok = not summary["over_3s"] and not summary["server_errors_5xx"] and not findings["tracebacks"]
    print(("PASS" if ok else "FAIL") + f": every acknowledgement under 3 s, no 5xx, no traceback. Results: "
          f"{out.relative_to(ROOT)}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
