"""RQ job functions: plain functions taking ids, importable by the worker."""
import re
from functools import lru_cache

from redis.lock import Lock

from bot.services import Services
from bot.settings import get_settings
from models import clock


@lru_cache
def worker_services() -> Services:
    """The worker's (and the clock's) own connections and clock, set once per process from the environment."""
    settings = get_settings()
    clock.configure(settings.sc_timezone, settings.sc_now)
    return Services(settings)


def job_id(name: str) -> str:
    """`name` as RQ accepts a job id: letters, digits, _ and -."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", name)


def lock(services: Services, name: str, seconds: int) -> Lock:
    """A Redis lock keeping other workers off `name`; it lapses after `seconds` if its worker dies,
    and a blocking acquire waits as long."""
    return services.redis.lock(f"scbot:{name}", timeout=seconds, blocking_timeout=seconds)
