"""Events taken once, the health check, and the bot staying up when a service is down."""
import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bot.offline.local_services import free_port, wait_until
from models.tables import Conversation
from tests.workspace import MEMBER, TEAM_CHANNEL


def mention(ts: str) -> dict:
    return {"type": "app_mention", "user": MEMBER, "text": "<@U0SCBOT> hello", "ts": ts,
            "channel": TEAM_CHANNEL, "event_ts": ts}


def test_a_retried_event_takes_effect_once(workspace):
    assert workspace.event(mention("1700000000.000100"), "Ev0001").status == 200
    workspace.slack.wait_for("chat.postMessage")
    # Slack retries the same event: acknowledged, not answered again.
    assert workspace.event(mention("1700000000.000100"), "Ev0001", retry=1).status == 200
    assert workspace.event(mention("1700000000.000100"), "Ev0001", retry=2).status == 200
    workspace.settle()
    [reply] = workspace.slack.calls_to("chat.postMessage")
    assert reply.args["thread_ts"] == "1700000000.000100"
    assert "/sc help" in reply.args["text"]


def test_a_retry_whose_first_delivery_never_arrived_still_takes_effect(workspace):
    assert workspace.event(mention("1700000000.000200"), "Ev0002", retry=1).status == 200
    workspace.slack.wait_for("chat.postMessage")


def test_slack_url_verification_is_answered(workspace):
    body = json.dumps({"token": "x", "challenge": "challenge-text", "type": "url_verification"})
    reply = workspace.post(body, "application/json")
    assert reply.status == 200 and "challenge-text" in reply.text


def test_healthz_reports_ok(workspace):
    reply = workspace.get("/healthz")
    assert reply.status == 200
    assert reply.json == {"status": "ok", "down": [], "checks": {"database": "ok", "redis": "ok"}}


def test_redis_down_the_write_is_kept_and_the_thread_catches_up(server_with, slack, redis_server_url, tmp_path):
    closed = f"redis://127.0.0.1:{free_port()}/0"
    bot, process, env = server_with(REDIS_URL=closed)
    health = bot.get("/healthz")
    assert health.status == 503 and health.json["down"] == ["redis"]

    answer = bot.command("start Leicester").json
    assert "Started the Single Conversation with *Leicester*" in answer["text"]
    assert "The job queue (Redis) is not answering" in answer["text"] and "Nothing is lost" in answer["text"]
    assert not slack.calls_to("chat.postMessage")

    # Redis is back: a worker starting up posts what was saved meanwhile.
    subprocess.run([sys.executable, "-m", "bot.cli", "worker", "--burst"], check=True, timeout=60,
                   env={**subprocess.os.environ, **env, "REDIS_URL": redis_server_url})
    [card] = [c.args for c in slack.calls_to("chat.postMessage") if not c.args.get("thread_ts")]
    assert "Single Conversation: Leicester" in card["text"]
    assert process.poll() is None


def test_what_was_saved_while_redis_was_down_goes_out_at_the_clocks_next_minute(server_with, slack, redis_server_url):
    """Redis comes back while every worker stays up (none restarts to catch up): the clock's minute queues the
    thread and the waiting extract, and a worker that was running all along posts them."""
    from bot.clock import catch_up
    from bot.services import QUEUES, Services
    from bot.settings import Settings

    bot, _process, env = server_with(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    for text in ("start Leicester", "log Leicester Met the housing team"):
        assert "Nothing is lost" in bot.command(text).message_text
    bot.command("extract Rutland people as csv")
    assert "Nothing is lost" in bot.responses()[0]["text"]
    assert not [c for c in slack.calls_to("chat.postMessage") if "Leicester" in c.args.get("text", "")]

    env = {**env, "REDIS_URL": redis_server_url}
    services = Services(Settings(**{name.lower(): value for name, value in env.items()}))
    assert catch_up(services) == 2  # the thread and the extract
    assert catch_up(services) == 0  # queued once, however often the minute comes round before a worker runs
    # RQ's own worker, started here for the test: no start-up catch-up of its own.
    drain = (f"import redis, rq; rq.SimpleWorker({list(QUEUES)!r}, connection=redis.Redis.from_url("
             f"{redis_server_url!r})).work(burst=True)")
    subprocess.run([sys.executable, "-c", drain], check=True, timeout=120, env={**subprocess.os.environ, **env})
    [card] = [c.args for c in slack.calls_to("chat.postMessage") if not c.args.get("thread_ts")
              and "Leicester" in c.args.get("text", "")]
    thread = [c.args["text"] for c in slack.calls_to("chat.postMessage") if c.args.get("thread_ts")]
    assert any("Met the housing team" in text for text in thread)
    assert sorted(f["name"] for f in slack.files.values() if f.get("shared")) == ["rutland-2008-2011-figures.csv"]
    assert catch_up(services) == 0


def test_database_down_the_user_is_told_and_the_server_stays_up(server_with, slack):
    bot, process, _ = server_with(DATABASE_URL=f"postgresql://postgres@127.0.0.1:{free_port()}/test")
    health = bot.get("/healthz")
    assert health.status == 503 and health.json["down"] == ["database"]
    for text in ("show Leicester", "log Leicester Met them", "areas"):
        reply = bot.command(text)
        assert reply.status == 200
        assert "The database is not answering right now, so nothing was changed" in reply.message_text
    assert process.poll() is None
    assert bot.get("/healthz").status == 503


def test_who_may_write_never_waits_on_slack(server_with):
    """Who may write is kept in the database, never read from Slack in the acknowledgement. A bot whose
    team channel's members are not read yet (Slack takes 5 s to list them) says so at once and changes
    nothing; once the list is read in the background, the team may write."""
    class SlowMembers(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path.endswith("/conversations.members"):
                time.sleep(5)
            body = json.dumps({"ok": True, "user_id": "U0SCBOT", "team_id": "T0REGION", "members": [MEMBER]})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args):
            pass

    slow = ThreadingHTTPServer(("127.0.0.1", 0), SlowMembers)
    slow.daemon_threads = True
    threading.Thread(target=slow.serve_forever, daemon=True).start()
    try:
        bot, process, _ = server_with(healthy=True, members_read=False,
                                      SLACK_API_URL=f"http://127.0.0.1:{slow.server_port}/api/")
        started = time.monotonic()
        reply = bot.command("log Leicester Met the housing team")
        assert time.monotonic() - started < 3
        assert reply.status == 200
        assert "I haven't read the team channel's members from Slack yet" in reply.message_text
        assert "Nothing was changed" in reply.message_text
        assert not bot.rows(Conversation)
        wait_until(lambda: bot.in_team(MEMBER), timeout=20, what="the members read in the background")
        started = time.monotonic()
        assert "Started the Single Conversation" in bot.command("start Leicester").message_text
        assert time.monotonic() - started < 3
    finally:
        slow.shutdown()
        slow.server_close()
    assert process.poll() is None


def test_a_team_channel_slack_will_not_list_is_named_with_how_to_mend_it(server_with):
    """The bot was never invited to the (private) team channel, so Slack won't list its members: a writer is told
    that, and to invite the bot there, rather than to try again in a minute for ever; nothing is written."""
    bot, process, _ = server_with(healthy=True, members_read=False, SC_TEAM_CHANNEL="C0PRIVATE")

    def told_why() -> str:
        said = bot.command("start Leicester").message_text
        assert "Started" not in said
        return said if "Slack won't list who is in <#C0PRIVATE>" in said else ""

    said = wait_until(told_why, timeout=20, interval=0.5, what="the failed read of the members to be named")
    assert "`channel_not_found`" in said and "invite me with `/invite @scbot` there" in said
    assert "Nothing was changed" in said
    assert not bot.rows(Conversation)
    assert process.poll() is None


def test_nothing_is_written_by_a_request_the_server_refuses(workspace):
    assert workspace.get("/nowhere").status == 404
    assert not workspace.rows(Conversation)


def test_sc_now_pins_the_clock(server_with):
    bot, _, _ = server_with(healthy=True, SC_NOW="2010-11-03T10:00")
    bot.command("start Rutland")
    said = bot.command("show Rutland").message_text
    assert "*Started*\n3 Nov 2010" in said and "*Last activity*\n3 Nov 2010 10:00" in said
