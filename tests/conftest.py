"""Fixtures: real Redis, SQLite and PostgreSQL, the stand-in Slack, and the bot served over HTTP."""
import itertools
import os
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
import pytest
import redis
from sqlalchemy import text
from sqlmodel import Session

from bot.offline import payloads as slack_payloads
from bot.offline.local_services import free_port, redis_server, wait_until
from bot.settings import get_settings
from jobs import worker_services
from models.db import get_engine
from models.migrate import upgrade
from models.team import list_read
from tests.standin import StandInWithControls
from tests.workspace import (
    MANAGER,
    MEMBER,
    SECRET,
    STAFF,
    TEAM_CHANNEL,
    MarkupWalk,
    Workspace,
    assert_valid_block_kit,
)

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@localhost:5432/test")
CLEARED_TABLES = ["extractrequest", "reminder", "delivery", "botsetting", "actionitem", "logentry", "confidenceassessment", "absence", "conversationarea", "conversation", "slackevent", "regionperson", "regionteam"]


@pytest.fixture(scope="session")
def redis_server_url():
    """A real Redis for the whole run (see bot/offline/local_services.py)."""
    with redis_server() as url:
        yield url


@pytest.fixture(scope="session")
def slack():
    with StandInWithControls(team_channel=TEAM_CHANNEL, members={MEMBER},
                      users={MEMBER: "member", STAFF: "staff"}) as standin:
        yield standin


def postgres_reachable() -> bool:
    try:
        psycopg.connect(POSTGRES_URL, connect_timeout=2).close()
        return True
    except psycopg.OperationalError:
        return False


_databases = itertools.count(1)


@contextmanager
def fresh_database(kind: str, folder, name: str = ""):
    """An empty database; on PostgreSQL one of its own (`name`, or one per test run), so that test runs
    side by side don't meet."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'scbot.sqlite3'}"
        return
    if not postgres_reachable():
        if os.environ.get("SC_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required (SC_REQUIRE_POSTGRES) but {POSTGRES_URL} does not answer")
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} does not answer")
    name = name or f"scbot_test_{os.getpid()}_{next(_databases)}"  # never one another fixture is still using
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    base, _, _ = POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1).rpartition("/")
    url = f"{base}/{name}"
    try:
        yield url
    finally:
        get_engine(url).dispose()
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@dataclass
class Backend:
    name: str
    database_url: str
    base_url: str
    env: dict
    pid: int


def bot_environment(database_url: str, redis_url: str, slack: StandInWithControls, data_dir) -> dict:
    return {
        "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": database_url, "REDIS_URL": redis_url, "SC_DATA_DIR": str(data_dir),
        "SC_TEAM_CHANNEL": TEAM_CHANNEL, "SC_STAFF": STAFF, "SC_MANAGERS": MANAGER, "SC_MEMBERSHIP_TTL": "0",
        "SC_TIMEZONE": "Europe/London", "SC_APP_ID": slack_payloads.APP_ID,
    }


def serve(env: dict, port: int, log_path) -> subprocess.Popen:
    """`scbot serve`, the production server, as a user would start it."""
    log = open(log_path, "w")
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1",
                             "--port", str(port), "--workers", "1"],
                            env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)


def wait_healthy(base_url: str, process: subprocess.Popen, expect_status: int = 200) -> None:
    import urllib.error
    import urllib.request

    def answers():
        assert process.poll() is None, "the server exited"
        try:
            with urllib.request.urlopen(base_url + "/healthz", timeout=2) as response:
                return response.status == expect_status
        except urllib.error.HTTPError as error:
            return error.code == expect_status
        except OSError:
            return False

    wait_until(answers, timeout=30)


def wait_members_read(database_url: str) -> None:
    """Until the server has read the team channel's members from Slack, which it does in the background at start."""
    def read():
        with Session(get_engine(database_url)) as session:
            return list_read(session, TEAM_CHANNEL)

    wait_until(read, timeout=30, what="the server to read the team channel's members")


@contextmanager
def running_bot(kind: str, folder, redis_url: str, slack: StandInWithControls, prepare=None, **extra_env: str):
    """`scbot serve` on a fresh database of `kind`, healthy and with the team channel read; `prepare(env)`, if
    given, runs on the database before the server starts (an administrator's `scbot` commands)."""
    with fresh_database(kind, folder) as database_url:
        upgrade(database_url)
        env = {**bot_environment(database_url, redis_url, slack, folder), **extra_env}
        if prepare is not None:
            prepare(env)
        port = free_port()
        process = serve(env, port, folder / "server.log")
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(base_url, process)
            wait_members_read(database_url)
            yield Backend(kind, database_url, base_url, env, process.pid)
        finally:
            process.terminate()
            process.wait(15)


@contextmanager
def reading_as_the_bot(workspace: Workspace, env: dict, monkeypatch, now: str):
    """This process reading a running bot's settings, with its clock at `now`, for a test's jobs run here;
    afterwards every payload the test sent is checked as Block Kit, and the clock and settings are put back."""
    from models import clock

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    worker_services.cache_clear()
    clock.configure("Europe/London", now)
    yield workspace
    for method, payload in workspace.sent_payloads():
        assert_valid_block_kit(method, payload)
    workspace.acks.clear()
    clock.configure("Europe/London")
    get_settings.cache_clear()
    worker_services.cache_clear()


@contextmanager
def clean_slate(workspace: Workspace, env: dict, slack: StandInWithControls, monkeypatch, now: str,
                tables: list[str]):
    """`reading_as_the_bot`, on a running bot whose `tables` (and who is in which channel) are emptied, with its
    Redis and the stand-in reset."""
    with workspace.engine.begin() as connection:
        for table in [*tables, "teammember"]:
            connection.execute(text(f"DELETE FROM {table}"))
    workspace.redis.flushdb()
    slack.reset()
    slack.members.clear()
    with reading_as_the_bot(workspace, env, monkeypatch, now):
        yield workspace


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request, tmp_path_factory, redis_server_url, slack):
    with running_bot(request.param, tmp_path_factory.mktemp(request.param), redis_server_url, slack) as running:
        yield running


@pytest.fixture(scope="session")
def markup_walk():
    """One walk over every payload of every workspace test; it must have seen some, or it proved nothing."""
    walk = MarkupWalk()
    yield walk
    assert walk.strings or not walk.payloads, "the escaping check read no string of the payloads it was given"


@pytest.fixture
def workspace(backend, slack, redis_server_url, monkeypatch, markup_walk):
    """A clean slate on the running server: no conversations, nothing queued, nothing sent."""
    engine = get_engine(backend.database_url)
    with engine.begin() as connection:
        for table in CLEARED_TABLES:
            connection.execute(text(f"DELETE FROM {table}"))
    connection = redis.Redis.from_url(redis_server_url)
    connection.flushdb()
    slack.reset()
    slack.cleared.clear()
    slack.members.clear()
    slack.members.add(MEMBER)
    with engine.begin() as database:
        database.execute(text("DELETE FROM teammember"))  # the bot forgets who joined; MEMBER joins below
    # Jobs run in this process read the same settings as the server.
    for name, value in backend.env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    worker_services.cache_clear()
    ws = Workspace(backend.base_url, slack, engine, connection, backend.pid)
    ws.join(MEMBER)
    yield ws
    for method, payload in ws.sent_payloads():
        assert_valid_block_kit(method, payload)
    markup_walk.check(ws.everything_sent())
    get_settings.cache_clear()
    worker_services.cache_clear()


@pytest.fixture
def server_with(tmp_path, slack, redis_server_url):
    """Start `scbot serve` with some settings overridden; stopped after the test."""
    started = []

    def start(healthy: bool = False, members_read: bool = True, **overrides):
        database_url = f"sqlite:///{tmp_path / 'scbot.sqlite3'}"
        upgrade(database_url)
        env = {**bot_environment(database_url, redis_server_url, slack, tmp_path), **overrides}
        port = free_port()
        process = serve(env, port, tmp_path / "server.log")
        started.append(process)
        base_url = f"http://127.0.0.1:{port}"
        wait_healthy(base_url, process, expect_status=200 if healthy else 503)
        if members_read and "DATABASE_URL" not in overrides:
            wait_members_read(database_url)
        return Workspace(base_url, slack, get_engine(database_url), None, process.pid), process, env

    slack.reset()
    slack.members.clear()
    slack.members.add(MEMBER)
    yield start
    for process in started:
        process.terminate()
        process.wait(15)
