"""Extracts when things go wrong: Slack failing, Redis down (a worker killed mid-job: test_workers.py)."""
import os
import subprocess
import sys

import redis
from rq import Queue

from bot.offline.local_services import free_port
from bot.services import Services
from bot.settings import Settings
from jobs.extracts import enqueue_waiting
from models.tables import ExtractRequest


def shared_files(slack) -> list[str]:
    return sorted(f["name"] for f in slack.files.values() if f.get("shared"))


def run_retries_now(workspace) -> None:
    """Time passes: jobs RQ scheduled for a retry become due."""
    queue = Queue("documents", connection=workspace.redis)
    for job_id in queue.scheduled_job_registry.get_job_ids():
        queue.scheduled_job_registry.requeue(job_id)


def test_a_passing_slack_fault_is_retried_and_the_files_are_posted_once(workspace):
    workspace.command("extract Rutland stock")
    workspace.responses()
    workspace.slack.fail_next("files.getUploadURLExternal", status=500, times=3)  # more than the client rides out
    workspace.run_jobs()
    [request] = workspace.rows(ExtractRequest)
    assert request.state == "retrying" and shared_files(workspace.slack) == []
    status = workspace.slack.messages[(request.status_channel, request.status_ts)]
    assert "Slack answered 500" in str(status["blocks"]) and "tried again shortly" in str(status["blocks"])
    run_retries_now(workspace)
    assert workspace.run_jobs() == 1
    assert shared_files(workspace.slack) == ["rutland-2008-2011-evidence-pack.pdf", "rutland-2008-2011-figures.xlsx"]
    [request] = workspace.rows(ExtractRequest)
    assert request.state == "done"


def test_when_slack_keeps_failing_the_status_says_why_and_retry_finishes_it(workspace):
    workspace.command("extract Rutland prices as csv")
    workspace.responses()
    workspace.slack.fail_next("files.getUploadURLExternal", status=503, times=1000)
    for _ in range(5):  # the first run and RQ's three retries
        workspace.run_jobs()
        run_retries_now(workspace)
    [request] = workspace.rows(ExtractRequest)
    assert request.state == "failed" and "Slack answered 503" in request.reason
    status = workspace.slack.messages[(request.status_channel, request.status_ts)]
    [retry] = [e for b in status["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert retry["action_id"] == "extract_retry"
    workspace.slack.clear_faults()
    workspace.press({**retry, "block_id": "b"}, message=status)
    [_, answer] = workspace.responses(2)
    assert "queued" in answer["text"]
    workspace.run_jobs()
    [request] = workspace.rows(ExtractRequest)
    assert (request.state, request.attempt) == ("done", 2)
    assert shared_files(workspace.slack) == ["rutland-2008-2011-figures.csv"]
    assert "done" in workspace.slack.messages[(request.status_channel, request.status_ts)]["text"]


def test_redis_down_the_request_is_saved_and_runs_when_the_queue_is_back(server_with, slack,
                                                                         redis_server_url, monkeypatch):
    bot, _process, env = server_with(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    bot.command("extract Rutland people as csv")
    [answer] = bot.responses()
    assert "saved" in answer["text"] and "not answering" in answer["text"] and "Nothing is lost" in answer["text"]
    [status] = [c.args for c in slack.calls_to("chat.postMessage")]
    assert status["text"].endswith("waiting")

    # The queue is back (empty, as after a restart): the waiting request is queued and a worker builds it.
    redis.Redis.from_url(redis_server_url).flushdb()
    env = {**env, "REDIS_URL": redis_server_url}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    services = Services(Settings(**{k.lower(): v for k, v in env.items()}))
    assert enqueue_waiting(services) == 1
    subprocess.run([sys.executable, "-m", "bot.cli", "worker", "--burst"], check=True, timeout=120, env={
        **os.environ, **env})
    assert shared_files(slack) == ["rutland-2008-2011-figures.csv"]
