"""RQ job functions: plain functions taking ids, importable by the worker."""
from functools import lru_cache

from bot.services import Services
from bot.settings import get_settings


@lru_cache
def worker_services() -> Services:
    """The worker's own connections, built once per process from the environment."""
    return Services(get_settings())
