"""What a poll of a store's list is answered from: its bearer session checked and the store's
revision read, in ONE query of primary-key lookups, on every poll.

Every replica reads the same database, so a change made through any replica (it bumps the
store's revision in its own transaction, store/txn.py) is seen at the next poll of any terminal,
and a revoked session (logout, a lock-out, the account's end date, the associate taken off the
store) is refused at its next poll: nothing here is kept in process memory, so there is no
window to bound. The rules are the ones every request goes through (`auth.require_live_session`,
`roles.require_member`); only the reading is made cheap:

- the statement is built from the models once and compiled once per database dialect, then run
  on the driver's own connection: SQLAlchemy's per-statement work costs more than the query;
- SQLite answers in tens of microseconds without waiting (a WAL reader never waits for the
  writer), so the query runs on the event loop: a hop to a worker thread costs more than it;
- PostgreSQL is asked through psycopg's async connections (a few, kept open), so the event loop
  never blocks on the network and no thread is involved either.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, bindparam, select
from sqlalchemy import exc as sa_exc
from sqlmodel import col

from storeassist_tui.store.auth import require_live_session, token_digest
from storeassist_tui.store.db import Database, pg_connect_args, unavailable, utcnow
from storeassist_tui.store.models import Associate, AssociateStore, AuthToken, Store
from storeassist_tui.store.roles import require_member

if TYPE_CHECKING:
    from psycopg import AsyncConnection

# Connections the poll check keeps per server process on PostgreSQL: a query takes well under
# a millisecond, so a few serve hundreds of polls a second; more polls at once wait their turn.
PG_CONNECTIONS = 4


@dataclass(frozen=True)
class PollRow:
    """The session's and the store's columns a poll is answered from (None: no such store)."""

    revision: int | None
    expires_at: datetime
    revoked_at: datetime | None
    locked_until: datetime | None
    active_from: datetime | None
    active_to: datetime | None
    member: bool


def _statement() -> Any:
    # The token's row and its associate's; the store (outer: an unknown store is a refusal, not
    # no row) and the associate's link to it. All four by primary key.
    return (
        select(col(Store.revision), col(AuthToken.expires_at), col(AuthToken.revoked_at),
               col(Associate.locked_until), col(Associate.active_from), col(Associate.active_to),
               col(AssociateStore.store_id).is_not(None))
        .select_from(AuthToken)
        .join(Associate, col(Associate.id) == col(AuthToken.associate_id))
        .outerjoin(Store, col(Store.id) == bindparam("store_id"))
        .outerjoin(AssociateStore, and_(col(AssociateStore.associate_id) == col(AuthToken.associate_id),
                                        col(AssociateStore.store_id) == col(Store.id)))
        .where(col(AuthToken.token_hash) == bindparam("digest"))
    )


def store_revision(row: PollRow | None, now: datetime) -> int:
    """The store's revision, once the session may read that store's lists; else the refusal
    any other request of that session gets."""
    live = require_live_session(None if row is None else row.expires_at, None if row is None else row.revoked_at,
                                row, now)
    require_member(live.member and live.revision is not None, "store")
    return live.revision or 0


class PollCheck:
    """The one query of a poll, on one database; `revision` is all a route calls."""

    def __init__(self, db: Database) -> None:
        self.db = db
        dialect = db.engine.dialect
        compiled = _statement().compile(dialect=dialect)
        self._sql = compiled.string
        self._positions: Sequence[str] | None = compiled.positiontup  # qmark (SQLite); None: named
        # The columns' own conversions (SQLite's datetime text, naive UTC to aware, booleans).
        self._convert: list[Callable[[Any], Any] | None] = [
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in _statement().selected_columns]
        self._pg: _PgConnections | None = None if db.is_sqlite else _PgConnections(db)

    def _params(self, store_id: str, token: str) -> Any:
        values = {"store_id": store_id, "digest": token_digest(token)}
        return values if self._positions is None else tuple(values[k] for k in self._positions)

    def _row(self, raw: Sequence[Any] | None) -> PollRow | None:
        if raw is None:
            return None
        revision, expires_at, revoked_at, locked_until, active_from, active_to, member = (
            v if f is None else f(v) for f, v in zip(self._convert, raw, strict=True))
        return PollRow(revision, expires_at, revoked_at, locked_until, active_from, active_to, bool(member))

    def _read_sqlite(self, params: Any) -> Sequence[Any] | None:
        conn = self.db.engine.raw_connection()  # from the pool; back to it at once
        try:
            cur = conn.cursor()
            try:
                cur.execute(self._sql, params)
                return cur.fetchone()
            finally:
                cur.close()
        finally:
            conn.close()

    async def revision(self, token: str, store_id: str, now: datetime | None = None) -> int:
        """The store's revision for a poll by the holder of `token`, after the checks every
        request makes; raises what they raise (401, 404), or Unavailable (503) when the database
        does not answer."""
        if not token:
            return store_revision(None, now or utcnow())
        params = self._params(store_id, token)
        try:
            raw = self._read_sqlite(params) if self._pg is None else await self._pg.fetchone(self._sql, params)
        except sa_exc.DBAPIError as exc:  # a failure while the pool connected (already wrapped)
            raise unavailable(exc) or exc from exc
        except Exception as exc:  # the driver's own error, wrapped as SQLAlchemy would have
            if not isinstance(exc, self.db.engine.dialect.loaded_dbapi.Error):
                raise
            wrapped = sa_exc.DBAPIError.instance(self._sql, params, exc, self.db.engine.dialect.loaded_dbapi.Error,
                                                 hide_parameters=True)
            raise unavailable(wrapped) or wrapped from exc
        return store_revision(self._row(raw), now or utcnow())

    async def close(self) -> None:
        if self._pg is not None:
            await self._pg.close()


class _PgConnections:
    """A few psycopg async connections (autocommit: one statement, no transaction left open),
    opened when first needed on the running event loop; a connection that failed, or whose
    query was cancelled halfway, is dropped. A poll whose kept connection turns out ended
    (the database restarted) goes on with another, at worst a new one, whose failure is then
    an outage (503)."""

    def __init__(self, db: Database) -> None:
        url = db.engine.url.set(drivername="postgresql")
        self._conninfo = url.render_as_string(hide_password=False)
        self._kwargs = pg_connect_args(db.timeouts)
        self._idle: list[AsyncConnection[Any]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._turns = asyncio.Semaphore(PG_CONNECTIONS)
        db.on_dispose(self._drop_all)  # (an app left without its shutdown, as in tests, closes them so)

    def _on_this_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # connections and the semaphore belong to one loop
            self._drop_all()
            self._loop, self._turns = loop, asyncio.Semaphore(PG_CONNECTIONS)

    def _drop_all(self) -> None:
        for conn in self._idle:
            conn.pgconn.finish()  # synchronous: the loop they belonged to may be gone
        self._idle.clear()

    async def fetchone(self, sql: str, params: Any) -> Sequence[Any] | None:
        import psycopg

        self._on_this_loop()
        async with self._turns:
            while True:
                kept = bool(self._idle)
                conn = self._idle.pop() if kept else await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True, **self._kwargs)
                try:
                    cur = await conn.execute(sql, params)  # psycopg prepares it after a few runs
                    row = await cur.fetchone()
                except BaseException as exc:
                    conn.pgconn.finish()
                    # A kept connection the server has ended meanwhile (a restart, a fail-over):
                    # try the next one, or a new one, rather than report an outage.
                    if kept and isinstance(exc, psycopg.OperationalError):
                        continue
                    raise
                self._idle.append(conn)
                return row

    async def close(self) -> None:
        self._drop_all()
