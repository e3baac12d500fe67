"""The database failing under the server: down, locked by a frozen replica, migrated by several
replicas at once. Outages answer 503 "unavailable" with Retry-After (a client retries), never
500, and never make a healthy replica wait without bound."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory
from conftest import _drop_pg, _fresh_pg
from helpers import new_orders, rid
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from storeassist_tui.config import Settings
from storeassist_tui.embedded import open_database
from storeassist_tui.server import create_app
from storeassist_tui.store import migrate
from storeassist_tui.store.db import Database, Timeouts
from storeassist_tui.store.roles import Actor

PG_URL = os.environ.get("STOREASSIST_TEST_DATABASE_URL", "")
needs_pg = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (STOREASSIST_TEST_DATABASE_URL)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _not_unavailable(r: httpx.Response) -> str:
    """What keeps `r` from being an outage's answer (503, code "unavailable", one line, a
    Retry-After); "" when nothing does."""
    if r.status_code != 503:
        return f"{r.request.url.path}: {r.status_code} {r.text[:300]}"
    body = r.json()
    if body.get("code") != "unavailable" or "\n" in str(body.get("message", "")):
        return f"{r.request.url.path}: {body}"
    if int(r.headers.get("Retry-After", "0")) < 1:
        return f"{r.request.url.path}: no Retry-After"
    return ""


# -- item 8: an outage answers 503 unavailable, /health included -------------------------------

@pytest.mark.parametrize("driver", ["postgresql", "sqlite"])
async def test_database_down_answers_503_unavailable_everywhere(driver: str, tmp_path: Path) -> None:
    """Nothing listens on the database's port (PostgreSQL), or its file cannot be opened (SQLite)."""
    url = (f"postgresql://postgres@127.0.0.1:{_free_port()}/gone" if driver == "postgresql"
           else f"sqlite:///{tmp_path}/no-such-dir/x.db")
    db = Database(url)
    if driver == "sqlite":
        (tmp_path / "no-such-dir").rmdir()  # Database made it; gone now, as on an unmounted disk
    app = create_app(db, Settings(demo=False))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                 base_url="http://test") as client:
        answers = [
            await client.get("/api/v1/health"),
            await client.post("/api/v1/auth/login", json={"username": "pat", "secret": "1111"}),
            await client.post("/api/v1/orders/1/release", headers={"Authorization": "Bearer x", "Idempotency-Key": rid()}),
            await client.get("/api/v1/stores/demo-001/handoff-queue",  # a poll, answered at the door
                             headers={"Authorization": "Bearer x", "If-None-Match": 'W/"1-0-x"'}),
        ]
    db.dispose()
    assert [_not_unavailable(r) for r in answers] == ["", "", "", ""]


async def test_health_is_200_when_the_database_answers(api: httpx.AsyncClient) -> None:
    r = await api.get("/api/v1/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"


@contextmanager
def _held(database_url: str, order_id: int) -> Iterator[None]:
    """A frozen writer: SQLite's write lock, or on PostgreSQL the order's row lock, held by
    another connection in an open transaction until the block ends."""
    if database_url.startswith("sqlite"):
        conn = sqlite3.connect(make_url(database_url).database or "", isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    engine = create_engine(make_url(database_url).set(drivername="postgresql+psycopg"))
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT id FROM orders WHERE id = :id FOR UPDATE"), {"id": order_id})
            yield
            conn.rollback()
    finally:
        engine.dispose()


async def test_a_write_stuck_behind_a_lock_answers_503_not_500(
    demo_db: Database, people: dict[str, Actor], database_url: str
) -> None:
    """A lock that is not let go (SQLite busy, PostgreSQL lock_timeout) is a retryable outage."""
    settings = Settings(demo=True, database_url=database_url, db_lock_timeout_s=0.3, sqlite_busy_timeout_s=0.3)
    db = open_database(settings)
    (oid,) = new_orders(demo_db, people["pat"])
    app = create_app(db, settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                 base_url="http://test", timeout=30) as client:
        token = (await client.post("/api/v1/auth/login", json={"username": "pat", "secret": "1111"})).json()["token"]
        h = {"Authorization": f"Bearer {token}"}
        with _held(database_url, oid):
            # (in-process, httpx's timeout does not apply: without a lock timeout this would hang)
            r = await asyncio.wait_for(client.post(
                "/api/v1/picks/claim", json={"order_ids": [oid]}, headers={**h, "Idempotency-Key": rid()}), 30)
            assert not _not_unavailable(r), _not_unavailable(r)
        r = await client.post("/api/v1/picks/claim", json={"order_ids": [oid]}, headers={**h, "Idempotency-Key": rid()})
        assert r.status_code == 200, r.text  # the lock gone, the same request goes through
    db.dispose()


def test_stated_timeouts_match_the_settings_defaults() -> None:
    """One set of numbers: what a bare Database uses is what the settings document."""
    s, t = Settings(), Timeouts()
    assert (s.db_lock_timeout_s, s.db_statement_timeout_s, s.db_idle_in_transaction_timeout_s,
            s.sqlite_busy_timeout_s) == (t.lock_s, t.statement_s, t.idle_in_transaction_s, t.sqlite_busy_s)
    assert t.lock_s <= 2 and t.sqlite_busy_s < s.request_timeout_s


def test_the_timeouts_set_reach_every_connection(database_url: str) -> None:
    settings = Settings(database_url=database_url, db_lock_timeout_s=0.3, db_statement_timeout_s=7,
                        db_idle_in_transaction_timeout_s=4, sqlite_busy_timeout_s=0.25)
    db = open_database(settings)
    with db.read() as s:
        if db.is_sqlite:
            assert s.execute(text("PRAGMA busy_timeout")).scalar_one() == 250
        else:
            shown = [s.execute(text(f"SHOW {name}")).scalar_one() for name in
                     ("lock_timeout", "statement_timeout", "idle_in_transaction_session_timeout")]
            assert shown == ["300ms", "7s", "4s"]
    db.dispose()


# -- item 7: a frozen replica stalls the others for a bounded time, then its locks go ----------

@contextmanager
def _serve(database_url: str, **env: str) -> Iterator[str]:
    """`storeassist serve` as a replica: its own process, its settings from the environment."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "storeassist_tui.cli", "serve", "--port", str(port), "--database-url", database_url],
        env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the replica did not start"
            time.sleep(0.1)  # waiting for the process to listen
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:  # a request thread still stuck on the database
            proc.kill()
            proc.wait(timeout=15)


@needs_pg
def test_a_frozen_replica_holding_a_row_lock_stalls_others_briefly_then_loses_it(
    demo_db: Database, people: dict[str, Actor], database_url: str
) -> None:
    """Replica A froze (SIGSTOP) inside a transaction holding an order's row lock. Replica B's
    write on that order answers 503 unavailable after the lock timeout instead of waiting for A;
    and once A has been idle in its transaction too long, PostgreSQL ends it and B's retry works."""
    (oid,) = new_orders(demo_db, people["pat"])
    with _serve(database_url) as base:  # the default settings: what a deployment gets
        token = httpx.post(f"{base}/api/v1/auth/login", json={"username": "pat", "secret": "1111"}).json()["token"]
        h = {"Authorization": f"Bearer {token}", "Idempotency-Key": rid()}
        frozen = Database(database_url, timeouts=Timeouts(idle_in_transaction_s=10))
        conn = frozen.engine.connect()
        try:
            conn.execute(text("SELECT id FROM orders WHERE id = :id FOR UPDATE"), {"id": oid})
            started = time.monotonic()
            r = httpx.post(f"{base}/api/v1/picks/claim", json={"order_ids": [oid]}, headers=h, timeout=30)
            stalled = time.monotonic() - started
            assert not _not_unavailable(r), _not_unavailable(r)
            print(f"\nstalled {stalled:.2f} s behind the frozen replica (lock timeout {Timeouts().lock_s} s)")
            deadline = time.monotonic() + 60
            while r.status_code == 503:  # the client sends the same request again, as told
                assert time.monotonic() < deadline, "the frozen replica's lock was never released"
                time.sleep(int(r.headers["Retry-After"]) / 4)
                r = httpx.post(f"{base}/api/v1/picks/claim", json={"order_ids": [oid]}, headers=h, timeout=30)
            assert r.status_code == 200 and r.json()["orders"][0]["claimed_by_name"] == "Pat Picker", r.text
            with pytest.raises(DBAPIError, match="idle-in-transaction"):  # PostgreSQL ended the frozen one
                conn.execute(text("SELECT 1"))
        finally:
            with suppress(DBAPIError):
                conn.close()
            frozen.dispose()


# -- item 6: replicas started together on an empty database migrate once ----------------------

def _upgrade(url: str, barrier: multiprocessing.synchronize.Barrier) -> None:  # type: ignore[name-defined]
    db = Database(url)
    barrier.wait()
    migrate.upgrade(db)
    db.dispose()


@needs_pg
def test_replicas_started_together_on_an_empty_database_all_migrate() -> None:
    url, name = _fresh_pg(PG_URL)
    try:
        ctx = multiprocessing.get_context("spawn")  # processes, as replicas are (Alembic is not thread-safe)
        barrier = ctx.Barrier(4)
        procs = [ctx.Process(target=_upgrade, args=(url, barrier)) for _ in range(4)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=120)
        assert [p.exitcode for p in procs] == [0] * 4
        engine = create_engine(url)
        with engine.connect() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        engine.dispose()
        db = Database(url)
        head = ScriptDirectory.from_config(migrate.alembic_config(db)).get_current_head()
        db.dispose()
        assert versions == [head]
    finally:
        _drop_pg(PG_URL, name)
