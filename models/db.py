"""Engine and sessions, after the SQLModel tutorial's pattern."""
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
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


def _make_engine(url: str, threads: int = 8) -> Engine:
    # A connection for each serving thread, so none waits for one or opens one per request;
    # the overflow covers lazy listeners and jobs run beside them.
    pool = {"pool_size": threads, "max_overflow": threads}
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_MS / 1000},
                               **pool)

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
