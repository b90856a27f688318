"""`scbot worker` as it runs in production, in real time: a worker killed mid-job, a platform restart,
Slack's 429s and its pace per channel."""
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.clock import tick
from bot.offline.local_services import descendants, wait_until
from jobs import PACE_BURST, worker_services
from models import clock
from models.areas import load_directory
from models.conversations import Details, start_conversation
from models.tables import Delivery, ExtractRequest
from tests.test_reminders import region_history
from tests.workspace import MEMBER, TEAM_CHANNEL

RUTLAND_FILES = ["rutland-2008-2011-evidence-pack.pdf", "rutland-2008-2011-figures.xlsx"]
# The promise: a job whose worker died is done within this long.
RECOVERY_SECONDS = 120


def signal_all(process: subprocess.Popen, signum: int) -> None:
    """`signum` to the worker and everything it started, as a platform stopping the machine does."""
    for pid in [process.pid, *descendants(process.pid)]:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass


@contextmanager
def scbot_worker(log_path: Path, *options: str):
    """`scbot worker` with the test's settings; everything it started is killed afterwards."""
    with open(log_path, "a") as log:
        process = subprocess.Popen([sys.executable, "-m", "bot.cli", "worker", *options], env=dict(os.environ),
                                   stdout=log, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        signal_all(process, signal.SIGKILL)
        process.wait(10)


def shared_files(slack) -> list[str]:
    return sorted(f["name"] for f in slack.files.values() if f.get("shared"))


def status_texts(slack) -> list[str]:
    return [c.args.get("text", "") for c in slack.calls
            if c.method in ("chat.postMessage", "chat.update") and "Extract #" in c.args.get("text", "")]


def extract_held_in_upload(workspace):
    """Ask for Rutland's extract and wait until a worker is uploading it, its upload held by Slack."""
    released = workspace.slack.hold_next("files.getUploadURLExternal")
    workspace.command("extract Rutland stock")
    workspace.responses()
    workspace.slack.wait_for("files.getUploadURLExternal", timeout=60)
    [request] = workspace.rows(ExtractRequest)
    assert request.state == "building" and shared_files(workspace.slack) == []
    return released


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_worker_killed_mid_extract_is_replaced_and_the_files_are_posted_once_within_two_minutes(
        workspace, tmp_path):
    with scbot_worker(tmp_path / "first.log") as first:
        released = extract_held_in_upload(workspace)
        signal_all(first, signal.SIGKILL)  # the machine is lost: worker, work horse, scheduler
        first.wait(10)
        killed_at = time.monotonic()
    released.set()  # the held answer goes to a closed connection
    with scbot_worker(tmp_path / "second.log"):
        wait_until(lambda: shared_files(workspace.slack), RECOVERY_SECONDS, 0.5, "the files")
        recovered = time.monotonic() - killed_at
        print(f"\nrecovered {recovered:.1f} s after the worker was killed")
        assert recovered < RECOVERY_SECONDS
        wait_until(lambda: workspace.rows(ExtractRequest)[0].state == "done", 10, 0.1, "the request done")
    assert shared_files(workspace.slack) == RUTLAND_FILES  # each once
    [request] = workspace.rows(ExtractRequest)
    texts = status_texts(workspace.slack)
    said = [t.rsplit(": ", 1)[-1] for t in texts]
    assert said[-3:] == ["retrying", "building", "done"]
    # One status message throughout, updated in place.
    assert len(workspace.slack.calls_to("chat.postMessage")) == 1
    retrying = [c.args for c in workspace.slack.calls_to("chat.update") if c.args["text"].endswith("retrying")]
    assert "the worker building it stopped" in str(retrying[0]["blocks"])


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_platform_restart_requeues_the_job_in_hand_and_the_next_worker_finishes_it(workspace, tmp_path):
    with scbot_worker(tmp_path / "first.log") as first:
        released = extract_held_in_upload(workspace)
        stopped_at = time.monotonic()
        signal_all(first, signal.SIGTERM)  # to every process, work horse included, as a platform does
        assert first.wait(30) == 0
        released.set()
    with scbot_worker(tmp_path / "second.log"):
        wait_until(lambda: workspace.rows(ExtractRequest)[0].state == "done", RECOVERY_SECONDS, 0.2, "done")
        print(f"\ndone {time.monotonic() - stopped_at:.1f} s after SIGTERM")
    assert shared_files(workspace.slack) == RUTLAND_FILES
    assert [t.rsplit(": ", 1)[-1] for t in status_texts(workspace.slack)][-3:] == ["retrying", "building", "done"]


def test_sigterm_to_the_worker_lets_it_finish_the_job_in_hand(workspace, tmp_path):
    with scbot_worker(tmp_path / "worker.log") as worker:
        released = extract_held_in_upload(workspace)
        worker.send_signal(signal.SIGTERM)  # as honcho or a process manager stops it
        time.sleep(1)  # RQ's warm shutdown has begun: nothing new is taken on
        assert worker.poll() is None
        released.set()
        assert worker.wait(60) == 0
    assert shared_files(workspace.slack) == RUTLAND_FILES
    [request] = workspace.rows(ExtractRequest)
    assert request.state == "done"


def at(text: str):
    clock.configure("Europe/London")
    return clock.parse_instant(text)


def test_a_429_puts_the_post_off_for_retry_after_while_the_worker_sends_others(workspace, tmp_path):
    """Monday 10 Jan 2011: the digest is queued first, then two nudges. Slack answers the digest 429,
    Retry-After 2 s: the nudges go meanwhile, then the digest, each once."""
    region_history()
    workspace.slack.fail_next("chat.postMessage", status=429, retry_after=2)
    queued = tick(worker_services(), at("2011-01-10T09:00"))
    assert queued[0].startswith("digest:") and len(queued) == 3
    with scbot_worker(tmp_path / "worker.log", "--queue", "slack"):
        wait_until(lambda: len(workspace.rows(Delivery)) == 3, 30, 0.1, "three deliveries")
    posts = workspace.slack.calls_to("chat.postMessage")
    [limited] = [c for c in posts if c.args["_status"] == 429]
    # (The worker also posts the three conversations' cards, which the history left unposted.)
    [digest] = [c for c in posts if c.args["_status"] == 200 and c.args["text"] == limited.args["text"]]
    nudges = [c for c in posts if c.args["_status"] == 200 and c.args["channel"] != TEAM_CHANNEL]
    assert limited.args["channel"] == TEAM_CHANNEL and len(nudges) == 2
    assert digest.at - limited.at >= 2  # Slack's Retry-After was kept
    assert all(nudge.at < digest.at for nudge in nudges)  # the worker was not asleep meanwhile
    assert "queued 0" in subprocess.run([sys.executable, "-m", "bot.cli", "clock", "--run-at", "2011-01-10T09:01"],
                                        capture_output=True, text=True, env=dict(os.environ), check=True).stdout


def test_posts_to_one_channel_keep_to_about_one_a_second(workspace, tmp_path):
    names = ["Leicester", "Derby", "Nottingham", "Rutland", "Melton", "Corby"]
    with worker_services().session() as session:
        directory = load_directory(session)
        for name in names:
            start_conversation(session, directory, directory.resolve(name), Details(lead_user_id=MEMBER), MEMBER)
    # The worker's start-up catch-up queues each new conversation's card at once.
    with scbot_worker(tmp_path / "worker.log", "--queue", "slack"):
        wait_until(lambda: len(workspace.channel_messages()) == len(names), 30, 0.1, "every card")
    posted = sorted(c.at for c in workspace.slack.calls_to("chat.postMessage")
                    if c.args["channel"] == TEAM_CHANNEL and c.args["_status"] == 200 and not c.args.get("thread_ts"))
    assert len(posted) == len(names)
    # A short burst, then one a second.
    gaps = [later - earlier for earlier, later in zip(posted[PACE_BURST - 1:], posted[PACE_BURST:])]
    assert gaps and min(gaps) >= 0.9, gaps
    assert posted[-1] - posted[0] >= len(names) - PACE_BURST - 0.1
