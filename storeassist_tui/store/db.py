"""Engines and transactions: one write transaction per use case, safe on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, create_engine

from storeassist_tui.store.errors import Unavailable

log = logging.getLogger("storeassist.store")


@dataclass(frozen=True)
class Timeouts:
    """How long a request may wait on the database before it answers 503 unavailable (which a
    client retries): a frozen replica holding locks, or a stuck query, must not stall the other
    replicas' terminals for long. The defaults are the settings' (config.py) defaults."""

    lock_s: float = 1.5  # PostgreSQL lock_timeout: the most a request waits for another's row lock
    statement_s: float = 10.0  # PostgreSQL statement_timeout: a runaway query
    # PostgreSQL ends a transaction whose replica stopped talking (frozen, SIGSTOP), freeing its locks.
    idle_in_transaction_s: float = 5.0
    # SQLite's busy timeout (waiting for the one writer): below the client's request timeout (5 s),
    # so the client hears "unavailable" instead of timing out itself.
    sqlite_busy_s: float = 3.0
    connect_s: float = 3.0  # reaching PostgreSQL, or a free pooled connection


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


# Failures that say "not now" rather than "wrong": the database is down, restarting, out of
# connections, or a lock or statement ran out of time. SQLSTATE classes 08 (connection), 53
# (resources), 57P (shutdown); 55P03 lock_not_available, 57014 query_canceled (statement
# timeout), 25P03 idle-in-transaction timeout; 40001/40P01 a race that outlived its retries.
_TRANSIENT_CLASSES = ("08", "53", "57P")
_TRANSIENT_STATES = ("55P03", "57014", "25P03", "40001", "40P01")
_RACES = ("40001", "40P01")  # a use case's frame (txn.mutate) retries these itself


def is_unavailable(exc: BaseException) -> bool:
    """A transient database failure: the request may succeed if sent again shortly."""
    if isinstance(exc, sa_exc.TimeoutError):  # no pooled connection came free
        return True
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    if isinstance(orig, sqlite3.Error):
        text = str(orig).lower()
        return isinstance(orig, sqlite3.OperationalError) and any(
            w in text for w in ("locked", "busy", "unable to open", "disk i/o"))
    state = getattr(orig, "sqlstate", None)
    if state is None:  # no answer from the server at all: refused, reset, closed
        return isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError))
    return state.startswith(_TRANSIENT_CLASSES) or state in _TRANSIENT_STATES


def unavailable(exc: BaseException) -> Unavailable | None:
    """The domain error for a transient database failure (logged once, one line), else None."""
    if isinstance(exc, Unavailable):
        return exc
    if not is_unavailable(exc):
        return None
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    log.warning("database unavailable: %s", detail[0] if detail else type(exc).__name__)
    return Unavailable("The database is not answering; try again in a moment")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no zone, so store naive UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def _sqlite_setup(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: sqlite3.Connection, _rec: Any) -> None:
        # Take transaction control from pysqlite so that BEGIN IMMEDIATE below is what runs.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={busy_timeout_ms:d}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # Writers take the write lock up front: two associates racing on one order then run one
        # after the other instead of failing with SQLITE_BUSY halfway through.
        if conn.get_execution_options().get("write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def pg_connect_args(t: Timeouts) -> dict[str, Any]:
    """Per connection, so every statement of every replica is bounded (see Timeouts); the same
    for the poll check's own connections (store/poll_check.py)."""
    return {
        "connect_timeout": max(2, round(t.connect_s)),
        "options": f"-c lock_timeout={_ms(t.lock_s)} -c statement_timeout={_ms(t.statement_s)}"
        f" -c idle_in_transaction_session_timeout={_ms(t.idle_in_transaction_s)}",
    }


class Database:
    """The one way into the database: `read()` for queries, `write()` for a use case."""

    def __init__(self, url: str, *, echo: bool = False, timeouts: Timeouts | None = None) -> None:
        parsed = make_url(url)
        self.url = url
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        self.timeouts = t = timeouts or Timeouts()
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": t.sqlite_busy_s}
            # One connection per server thread (server/app.py THREADS), kept open: each new one
            # costs the PRAGMAs of _sqlite_setup.
            if parsed.database and parsed.database != ":memory:":
                kwargs.update(pool_size=8, max_overflow=8, pool_timeout=t.connect_s)
        else:
            if parsed.drivername == "postgresql":
                url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True, pool_timeout=t.connect_s)
            kwargs["connect_args"] = pg_connect_args(t)
        self.engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            _sqlite_setup(self.engine, _ms(t.sqlite_busy_s))
        self._write_engine = self.engine.execution_options(write=True)
        self._on_dispose: list[Callable[[], None]] = []

    @contextmanager
    def read(self) -> Iterator[Session]:
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                yield session
        except (sa_exc.DBAPIError, sa_exc.TimeoutError) as exc:
            down = unavailable(exc)
            if down is None:
                raise
            raise down from exc

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that commits at the end of the block and rolls back on any error."""
        try:
            with Session(self._write_engine, expire_on_commit=False) as session:
                try:
                    yield session
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
        except (sa_exc.DBAPIError, sa_exc.TimeoutError) as exc:
            races = getattr(getattr(exc, "orig", None), "sqlstate", None) in _RACES
            down = None if races else unavailable(exc)
            if down is None:
                raise
            raise down from exc

    def on_dispose(self, close: Callable[[], None]) -> None:
        """`close` runs at `dispose`: for connections to this database kept outside the engine."""
        self._on_dispose.append(close)

    def dispose(self) -> None:
        for close in self._on_dispose:
            close()
        self.engine.dispose()
