"""Engine and sessions, after the SQLModel tutorial's pattern."""
import fcntl
import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, create_engine

from models.errors import ServiceDown

_engines: dict[str, Engine] = {}


def get_engine(url: str, threads: int = 8) -> Engine:
    """One engine per database; `threads` is how many requests the process serves at once."""
    if url not in _engines:
        _engines[url] = _make_engine(url, threads)
    return _engines[url]


# Past this a locked SQLite database is reported as not answering, within Slack's 3 seconds.
SQLITE_BUSY_MS = 2000


class _WriterQueue:
    """SQLite lets one connection write at a time. Its own wait for that (the busy timeout) sleeps 1, 2, 5,
    10 ... up to 100 ms between tries, so under load one write in a hundred waited 50-100 ms. The bot's writers
    queue here instead, before their first change: this process's threads on a lock, processes on an flock
    of a file beside the database, so the next writer goes as soon as the last one commits. Writers outside the
    bot (the sqlite3 shell) still meet SQLite's busy timeout."""

    _opening = threading.Lock()

    def __init__(self, path: str):
        self.path = path
        self._pid = 0

    def _here(self) -> tuple[threading.Lock, object | None]:
        with self._opening:
            if self._pid != os.getpid():  # a forked process has locks of its own
                try:
                    file = open(self.path, "ab")
                except OSError:  # a folder the bot may not write in: SQLite's own wait, as without the queue
                    file = None
                self._threads, self._file, self._pid = threading.Lock(), file, os.getpid()
            return self._threads, self._file

    def acquire(self, timeout: float) -> None:
        threads, file = self._here()
        if file is None:
            return
        deadline = time.monotonic() + timeout
        if not threads.acquire(timeout=timeout):
            raise sqlite3.OperationalError("database is locked")
        pause = 0.0001
        while True:
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    threads.release()
                    raise sqlite3.OperationalError("database is locked") from None
                time.sleep(pause)  # another process is writing, for well under a millisecond
                pause = min(2 * pause, 0.001)

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._threads.release()


# The statements before which SQLite's module begins a transaction that writes.
_CHANGES = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


class _QueuedConnection(sqlite3.Connection):
    """A connection that joins its database's `_WriterQueue` before it changes anything, and leaves it once
    the transaction is committed or rolled back."""

    queue: _WriterQueue
    _writing = False

    def cursor(self, factory=None):
        return super().cursor(factory or _QueuedCursor)

    def will_write(self) -> None:
        if not self._writing:
            self.queue.acquire(SQLITE_BUSY_MS / 1000)
            self._writing = True

    def _written(self) -> None:
        if self._writing:
            self._writing = False
            self.queue.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._written()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._written()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._written()


class _QueuedCursor(sqlite3.Cursor):
    def execute(self, sql, parameters=(), /):
        if _CHANGES.match(sql):
            self.connection.will_write()
        return super().execute(sql, parameters)

    def executemany(self, sql, parameters, /):
        if _CHANGES.match(sql):
            self.connection.will_write()
        return super().executemany(sql, parameters)


def _make_engine(url: str, threads: int = 8) -> Engine:
    # A connection for each serving thread, so none waits for one or opens one per request;
    # the overflow covers lazy listeners and jobs run beside them.
    pool = {"pool_size": threads, "max_overflow": threads}
    if url.startswith("sqlite"):
        connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_MS / 1000}
        # The database's file, also when named as a URI ("file:/path?mode=ro"); none for one in memory.
        database = (make_url(url).database or "").removeprefix("file:").partition("?")[0]
        if database and database != ":memory:":
            queue = _WriterQueue(os.path.abspath(database) + ".writers")
            connect_args["factory"] = type("QueuedConnection", (_QueuedConnection,), {"queue": queue})
        engine = create_engine(url, connect_args=connect_args, **pool)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            # WAL lets the web, the worker and the clock read while one writes; with it, NORMAL syncs at
            # checkpoints rather than at every commit: a commit survives the process dying, and only a
            # power cut can take back the last moments.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 3}, **pool)


# The database answers but will not change: read-only (a standby, or set so by its owner), the bot's
# role without write rights, or out of room. PostgreSQL's SQLSTATEs, SQLite's result codes.
REFUSING_CHANGES = {"25006", "42501", "53100", "SQLITE_READONLY", "SQLITE_PERM", "SQLITE_FULL"}


def database_fault(error: DBAPIError) -> ServiceDown:
    """What a database error means for the person: it is not answering, or it takes no changes."""
    code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "sqlite_errorname", "") or ""
    if code in REFUSING_CHANGES or code.startswith("SQLITE_READONLY_"):
        return ServiceDown("database", "not accepting changes")
    return ServiceDown("database")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session committed on success; any database error becomes ServiceDown, nothing half-written."""
    try:
        with Session(engine, expire_on_commit=False) as session:
            yield session
            session.commit()
    except DBAPIError as error:
        # Unreachable, locked for too long, read-only or refusing: the user can only wait.
        raise database_fault(error) from error


def ping(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
