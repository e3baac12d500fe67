"""Several server replicas on one database (two apps on one SQLite file, or on one PostgreSQL
database when STOREASSIST_TEST_DATABASE_URL is set): a poll answered by one replica reflects
what was done through another at once, and a session revoked anywhere is refused at its next
poll on every replica, whatever the replica had kept. And a poll answered 304 (or with an answer
already made) reads the database once: the session and the store's revision together."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from helpers import STORE, picked_order, rid
from sqlalchemy import create_engine, delete, event, text, update
from sqlalchemy.engine import make_url

from storeassist_tui.config import Settings
from storeassist_tui.server import create_app
from storeassist_tui.store import auth, staging
from storeassist_tui.store.db import Database, utcnow
from storeassist_tui.store.models import Associate, AssociateStore, AuthToken
from storeassist_tui.store.roles import Actor

PG_URL = os.environ.get("STOREASSIST_TEST_DATABASE_URL", "")
needs_pg = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (STOREASSIST_TEST_DATABASE_URL)")
QUEUE = f"/api/v1/stores/{STORE}/handoff-queue"


def _client(db: Database, settings: Settings) -> httpx.AsyncClient:
    app = create_app(db, settings)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                             base_url="http://test")


@pytest.fixture
async def replicas(demo_db: Database, settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """Two server apps on the one database, each with its own answer cache and connections."""
    async with _client(demo_db, settings) as a, _client(demo_db, settings) as b:
        yield a, b


async def _login(api: httpx.AsyncClient, username: str, secret: str) -> dict[str, str]:
    r = await api.post("/api/v1/auth/login", json={"username": username, "secret": secret})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


async def _settled(api: httpx.AsyncClient, h: dict[str, str]) -> str:
    """Poll until a 304: the replica has made and kept this answer; returns its tag."""
    first = await api.get(QUEUE, headers=h)
    assert first.status_code == 200, first.text
    again = await api.get(QUEUE, headers={**h, "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.headers["etag"] == first.headers["etag"]
    return str(first.headers["etag"])


async def test_a_change_through_one_replica_is_seen_at_the_next_poll_of_another(
    replicas: tuple[httpx.AsyncClient, httpx.AsyncClient], demo_db: Database, people: dict[str, Actor]
) -> None:
    a, b = replicas
    order = picked_order(demo_db, people["pat"])
    staging.stage(demo_db, people["pat"], order.id, "B3", rid())
    hana, lee = await _login(a, "hana", "2222"), await _login(b, "lee", "3333")
    tag = await _settled(b, hana)
    await _settled(b, lee)  # a second terminal on B: B keeps the answer both were given
    before = (await b.get(QUEUE, headers=hana)).json()
    assert order.id in [e["order"]["id"] for e in before["ready"]]
    assert order.id not in [e["order"]["id"] for e in before["checked_in"]]

    r = await a.post(f"/api/v1/orders/{order.id}/checkin", json={"location": "in_store"},
                     headers={**lee, "Idempotency-Key": rid()})
    assert r.status_code == 200, r.text

    after = await b.get(QUEUE, headers={**hana, "If-None-Match": tag})  # B never saw the change
    assert after.status_code == 200 and after.headers["etag"] != tag
    assert order.id in [e["order"]["id"] for e in after.json()["checked_in"]]
    assert order.id not in [e["order"]["id"] for e in after.json()["ready"]]
    other = await b.get(QUEUE, headers={**lee, "If-None-Match": tag})  # the other terminal too
    assert other.status_code == 200 and other.content == after.content
    assert (await a.get(QUEUE, headers={**hana, "If-None-Match": after.headers["etag"]})).status_code == 304


def _revoke_by_logout(db: Database, token: str) -> None:
    auth.logout(db, token)


def _revoke_by_lock_out(db: Database, token: str) -> None:
    for _ in range(auth.AuthPolicy().lockout_failures):  # wrong PINs typed at some terminal
        with pytest.raises(auth.AuthFailed):
            auth.login(db, auth.AuthPolicy(), username="hana", secret="0000")


def _revoke_by_end_date(db: Database, token: str) -> None:
    with db.write() as s:
        s.execute(update(Associate).where(Associate.username == "hana").values(active_to=utcnow()))


def _revoke_by_taking_off_the_store(db: Database, token: str) -> None:
    with db.write() as s:
        hana = s.execute(text("SELECT id FROM associate WHERE username = 'hana'")).scalar_one()
        s.execute(delete(AssociateStore).where(AssociateStore.associate_id == hana))  # type: ignore[arg-type]


def _expire(db: Database, token: str) -> None:
    with db.write() as s:
        s.execute(update(AuthToken).where(AuthToken.token_hash == auth.token_digest(token))  # type: ignore[arg-type]
                  .values(expires_at=utcnow() - timedelta(seconds=1)))


@pytest.mark.parametrize(("revoke", "status", "code"), [
    (_revoke_by_logout, 401, "session_invalid"),
    (_revoke_by_lock_out, 401, "locked"),
    (_revoke_by_end_date, 401, "inactive"),
    (_revoke_by_taking_off_the_store, 404, "not_found"),
    (_expire, 401, "session_invalid"),
], ids=["logout", "lock-out", "end-date", "off-the-store", "expired"])
async def test_a_revoked_session_is_refused_at_its_next_poll_on_every_replica(
    replicas: tuple[httpx.AsyncClient, httpx.AsyncClient], demo_db: Database,
    revoke: Callable[[Database, str], None], status: int, code: str,
) -> None:
    """Each replica answered the session a moment ago (and keeps the answer); the session is
    revoked elsewhere (the store, as through a third replica); at the very next poll, with its
    tag or without, both replicas refuse it and show nothing of the queue."""
    a, b = replicas
    hana = await _login(a, "hana", "2222")
    tags = [await _settled(a, hana), await _settled(b, hana)]
    lee = await _login(a, "lee", "3333")  # a colleague's session, untouched by hana's revocation

    revoke(demo_db, hana["Authorization"].removeprefix("Bearer "))

    for api, tag in zip((a, b), tags, strict=True):
        for headers in ({**hana, "If-None-Match": tag}, hana):
            r = await api.get(QUEUE, headers=headers)
            assert (r.status_code, r.json()["code"]) == (status, code), r.text
            assert "checked_in" not in r.json()
        assert (await api.get(QUEUE, headers={**lee, "If-None-Match": tag})).status_code == 304


async def test_a_poll_with_no_session_or_another_stores_list_is_refused(
    replicas: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    a, _ = replicas
    hana = await _login(a, "hana", "2222")
    tag = await _settled(a, hana)
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": hana["Authorization"][7:]},
                    {"If-None-Match": tag}):
        r = await a.get(QUEUE, headers=headers)
        assert (r.status_code, r.json()["code"]) == (401, "session_invalid") and r.headers["www-authenticate"] == "Bearer"
    r = await a.get("/api/v1/stores/elsewhere/handoff-queue", headers={**hana, "If-None-Match": tag})
    assert (r.status_code, r.json()) == (404, {"code": "not_found", "message": "No such store"})


# -- what a poll costs the database ---------------------------------------------------------------

class Statements:
    """Every statement SQLite runs on the connections of one Database (made after this starts)."""

    def __init__(self, db: Database) -> None:
        self.seen: list[str] = []
        event.listen(db.engine, "connect", self._traced)

    def _traced(self, dbapi_conn: sqlite3.Connection, _rec: Any) -> None:
        dbapi_conn.set_trace_callback(self.seen.append)

    def take(self) -> list[str]:
        seen = list(self.seen)
        self.seen.clear()  # (the same list: the connections append to it)
        return seen


@pytest.fixture
async def traced(demo_db: Database, database_url: str, settings: Settings
                 ) -> AsyncIterator[tuple[httpx.AsyncClient, Statements]]:
    """A server app on its own Database object, whose SQLite statements are all seen."""
    if not demo_db.is_sqlite:
        pytest.skip("counts SQLite's statements")
    db = Database(database_url)
    statements = Statements(db)
    async with _client(db, settings) as api:
        yield api, statements
    db.dispose()


async def test_a_poll_answered_304_or_from_a_kept_answer_reads_the_database_once(
    traced: tuple[httpx.AsyncClient, Statements],
) -> None:
    api, statements = traced
    hana, lee = await _login(api, "hana", "2222"), await _login(api, "lee", "3333")
    first = await api.get(QUEUE, headers=hana)  # makes the answer (and keeps it)
    statements.take()
    again = await api.get(QUEUE, headers={**hana, "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert [s.split()[0] for s in statements.take()] == ["SELECT"]
    kept = await api.get(QUEUE, headers=lee)  # another terminal: the answer already made
    assert kept.status_code == 200 and kept.content == first.content
    assert [s.split()[0] for s in statements.take()] == ["SELECT"]


async def test_polls_after_a_change_wait_for_the_one_answer_being_made(
    traced: tuple[httpx.AsyncClient, Statements], demo_db: Database, people: dict[str, Actor]
) -> None:
    """Terminals asking at once after a change get one answer, made once, not once each."""
    api, statements = traced
    terminals = [await _login(api, "hana", "2222") for _ in range(6)]
    tags = [await _settled(api, h) for h in terminals]
    made = []
    for together in (1, len(terminals)):
        staging.stage(demo_db, people["pat"], picked_order(demo_db, people["pat"]).id, "B3", rid())
        statements.take()
        answers = await asyncio.gather(*(api.get(QUEUE, headers={**h, "If-None-Match": t})
                                         for h, t in zip(terminals[:together], tags, strict=False)))
        assert {r.status_code for r in answers} == {200} and len({r.content for r in answers}) == 1
        made.append(sum("checkin" in s.lower() for s in statements.take()))  # the queue's query
    assert made[0] >= 1 and made[1] == made[0]


# -- PostgreSQL: the poll check's own connections -------------------------------------------------

@needs_pg
async def test_a_poll_after_the_database_dropped_its_connections_is_answered(
    replicas: tuple[httpx.AsyncClient, httpx.AsyncClient], database_url: str
) -> None:
    """A restart or fail-over ends every connection; the next poll is answered all the same
    (a dead connection kept for polls is replaced, not reported as an outage)."""
    a, b = replicas
    hana = await _login(a, "hana", "2222")
    tags = [await _settled(a, hana), await _settled(b, hana)]
    admin = create_engine(make_url(database_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        ended = conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar_one()
    admin.dispose()
    assert ended >= 1
    for api, tag in zip((a, b), tags, strict=True):
        assert (await api.get(QUEUE, headers={**hana, "If-None-Match": tag})).status_code == 304
