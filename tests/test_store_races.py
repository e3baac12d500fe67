"""Races the transaction frame (store/txn.py) must win, made deterministic on PostgreSQL.

A "frozen replica" (another connection holding an order's row lock in an open transaction) keeps
every racer parked at the same point until the test has seen all of them waiting in
pg_stat_activity; then it lets go and they all run into each other at once. Without PostgreSQL
the racers serialise on SQLite's write lock anyway, so those tests are skipped.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
from helpers import INTAKE, new_orders, pick_all, picked_order, rid
from pydantic import BaseModel
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import func, select

from storeassist_tui.store import admin, closing, handoff, intake, picking, queries, staging, txn
from storeassist_tui.store.db import Database, utcnow
from storeassist_tui.store.errors import ClaimedByOther, DomainError
from storeassist_tui.store.models import Associate, AuditEvent, OrderLine, OutboxEvent, RequestRecord
from storeassist_tui.store.roles import Actor
from storeassist_tui.store.txn import Tx

PG_URL = os.environ.get("STOREASSIST_TEST_DATABASE_URL", "")
needs_pg = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (STOREASSIST_TEST_DATABASE_URL)")


@pytest.fixture
def patient(demo_db: Database) -> Iterator[Database]:
    """The racers' own engine: they must wait for the frozen replica however long the test takes
    to see them all parked, so none of the request bounds (db.Timeouts) applies to them."""
    db = Database(demo_db.url)

    @event.listens_for(db.engine, "connect")
    def _no_timeouts(dbapi_conn: Any, _rec: Any) -> None:
        with dbapi_conn.cursor() as cur:
            cur.execute("SET lock_timeout = 0")
            cur.execute("SET statement_timeout = 0")
            cur.execute("SET idle_in_transaction_session_timeout = 0")  # the feed test's slow writer
        dbapi_conn.commit()

    yield db
    db.dispose()


@contextmanager
def frozen_replica(db: Database, order_id: int) -> Iterator[None]:
    """Another replica's transaction holding the order's row lock until the block ends."""
    engine = create_engine(db.engine.url)
    try:
        with engine.connect() as conn:
            conn.execute(text('SELECT id FROM orders WHERE id = :id FOR UPDATE'), {"id": order_id})
            yield
            conn.rollback()
    finally:
        engine.dispose()


def wait_until_waiting(db: Database, n: int, racers: list[Future[Any]]) -> None:
    """Until n backends of this database wait on a lock (or a racer ended: the test then fails
    on its answer, not here)."""
    with db.engine.connect() as conn:
        deadline = time.monotonic() + 60
        while True:
            waiting = conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")).scalar_one()
            conn.rollback()
            if waiting >= n or any(f.done() for f in racers):
                return
            assert time.monotonic() < deadline, f"only {waiting} of {n} racers reached the lock"
            time.sleep(0.01)  # polling pg_stat_activity, not standing in for synchronisation


def race(db: Database, order_id: int, calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls at once behind a frozen replica holding the order; each answer or error."""

    def attempt(call: Callable[[], Any]) -> Any:
        try:
            return call()
        except DomainError as exc:
            return exc

    with ThreadPoolExecutor(len(calls)) as pool:
        with frozen_replica(db, order_id):
            racers = [pool.submit(attempt, c) for c in calls]
            wait_until_waiting(db, len(calls), racers)
        return [f.result(timeout=120) for f in racers]


# -- item 5: copies of one keyed request in flight at once all get the first answer -------------

def _claimed(db: Database, people: dict[str, Actor]) -> int:
    (oid,) = new_orders(db, people["pat"])
    picking.claim(db, people["pat"], [oid], rid())
    return oid


def _all_picked(db: Database, people: dict[str, Actor]) -> int:
    oid = _claimed(db, people)
    pick_all(db, people["pat"], oid)
    return oid


def _staged(db: Database, people: dict[str, Actor]) -> int:
    oid = picked_order(db, people["pat"]).id
    staging.stage(db, people["pat"], oid, "B3", rid())
    return oid


def _new(db: Database, people: dict[str, Actor]) -> int:
    return new_orders(db, people["pat"])[0]


SAME_KEY_CASES: dict[str, tuple[Callable[[Database, dict[str, Actor]], int],
                                 Callable[[Database, dict[str, Actor], int, str], BaseModel]]] = {
    "release": (_claimed, lambda db, p, oid, key: picking.release(db, p["pat"], oid, key)),
    "finish-pick": (_all_picked, lambda db, p, oid, key: picking.finish_pick(db, p["pat"], oid, key)),
    "stage": (lambda db, p: picked_order(db, p["pat"]).id,
              lambda db, p, oid, key: staging.stage(db, p["pat"], oid, "C4", key)),
    "restage": (_staged, lambda db, p, oid, key: staging.restage(db, p["pat"], oid, "C4", key)),
    "dispense": (_staged, lambda db, p, oid, key: handoff.dispense(
        db, p["hana"], oid, handoff.DispenseForm(signature="Ana Lee", id_checked=True), key)),
    "cancel": (_new, lambda db, p, oid, key: closing.cancel(db, p["lee"], oid, "customer asked", key)),
}


@needs_pg
@pytest.mark.parametrize("case", list(SAME_KEY_CASES))
def test_copies_of_one_keyed_request_in_flight_all_get_the_first_answer(
    case: str, patient: Database, people: dict[str, Actor]
) -> None:
    """A client's retry after its timeout while the first copy still runs: same answer, once."""
    setup, call = SAME_KEY_CASES[case]
    oid = setup(patient, people)
    key = rid()
    answers = race(patient, oid, [lambda: call(patient, people, oid, key)] * 4)
    assert all(isinstance(a, BaseModel) for a in answers), answers
    assert len({a.model_dump_json() for a in answers}) == 1
    with patient.read() as s:
        assert s.exec(select(func.count()).select_from(RequestRecord)
                      .where(RequestRecord.request_id == key)).one() == 1


class _Probe(BaseModel):
    ok: bool


def test_a_real_constraint_bug_surfaces_instead_of_busy(demo_db: Database) -> None:
    """Only the request id's own clash is a replay: any other IntegrityError is a bug, raised at
    once (the server logs it and answers 500), not retried and reported as a busy order."""
    runs = []

    def broken(tx: Tx) -> _Probe:
        runs.append(1)
        tx.session.add(Associate(username="pat", display_name="Pat again", role="picker", secret_hash="x"))
        tx.session.flush()
        return _Probe(ok=True)

    with pytest.raises(IntegrityError):
        txn.mutate(demo_db, None, rid(), "probe", _Probe, broken)
    assert runs == [1]


# -- item 12: the optimistic version check and FOR UPDATE, each proven needed -------------------

@needs_pg
def test_concurrent_scans_of_one_unit_count_it_once(patient: Database, people: dict[str, Actor]) -> None:
    """Racers that all read the line before any of them wrote: the version check in Tx.lock sends
    all but one back to read again, so the last unit is counted once, never once per scan."""
    pat = people["pat"]
    (oid,) = new_orders(patient, pat)
    line = picking.claim(patient, pat, [oid], rid()).orders[0].lines[0]
    for _ in range(line.quantity - 1):
        picking.record_scan(patient, pat, [oid], line.sku, rid())
    answers = race(patient, oid, [lambda: picking.record_scan(patient, pat, [oid], line.sku, rid())] * 6)
    counted = [a for a in answers if not isinstance(a, DomainError)]
    assert all(isinstance(a, DomainError) and a.code == "over_pick" for a in answers if a not in counted), answers
    with patient.read() as s:
        picked = s.get(OrderLine, line.id)
        audits = s.exec(select(func.count()).select_from(AuditEvent)
                        .where(AuditEvent.order_id == oid, AuditEvent.action == "picked")).one()
    assert picked is not None and picked.picked == line.quantity
    assert len(counted) == 1 and audits == line.quantity


@needs_pg
def test_claims_behind_a_lock_wait_their_turn_instead_of_losing_a_race(
    patient: Database, people: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tx.order's FOR UPDATE makes a second claimer wait and then read the winner's row, so even
    with no second attempt allowed every racer gets a real answer: exactly one associate holds
    the order, the others hear who (without it they read a stale version and lose the race)."""
    monkeypatch.setattr(txn, "_ATTEMPTS", 1)
    pat, lee = people["pat"], people["lee"]
    (oid,) = new_orders(patient, pat)
    claimers = [pat, lee] * 4
    answers = race(patient, oid, [lambda a=a: picking.claim(patient, a, [oid], rid()) for a in claimers])
    winners = {claimers[i].id for i, a in enumerate(answers) if isinstance(a, picking.ClaimResult)}
    losers = [a for a in answers if not isinstance(a, picking.ClaimResult)]
    assert len(winners) == 1, answers
    assert losers and all(isinstance(a, ClaimedByOther) for a in losers), answers
    timeline = queries.order_timeline(patient, pat, oid)
    assert [e.action for e in timeline].count("claimed") == 1


@needs_pg
def test_feed_readers_never_skip_an_event_of_a_slower_writer(patient: Database, people: dict[str, Actor]) -> None:
    """Two stores' writers of the feed at once: the first has written its event but not yet
    committed when the second writes and commits. A reader polling after=cursor in between must
    not move its cursor past the first one's event (Tx.finish's feed lock makes them take turns)."""
    admin.add_store(patient, admin.StoreSettings(id="other-002", name="Other"))
    payload = intake.IntakeEnvelope.model_validate(INTAKE).order
    other = intake.intake_order(patient, payload, "other-002")[0]
    (mine,) = new_orders(patient, people["pat"])  # of the demo store: no row both writers touch
    start = cursor = queries.events(patient, 0, 1000).next_cursor
    seen: list[str] = []

    def poll() -> None:
        nonlocal cursor
        page = queries.events(patient, cursor, 1000)
        seen.extend(e.event_id for e in page.events)
        cursor = page.next_cursor

    with ThreadPoolExecutor(1) as pool, patient.write() as session:
        # The slow writer: the frame of every use case, stopped between its last write and commit.
        tx = Tx(session, None, utcnow())
        tx.emit(tx.order(other.id), "probe")
        tx.finish()
        session.flush()
        fast = pool.submit(picking.claim, patient, people["pat"], [mine], rid())
        wait_until_waiting(patient, 1, [fast])
        poll()
    fast.result(timeout=60)
    poll()
    with patient.read() as s:
        written = list(s.exec(select(OutboxEvent.event_id).where(OutboxEvent.id > start)).all())
    assert len(written) == 2 and sorted(seen) == sorted(written), (seen, written)


@pytest.mark.parametrize("copies", [4])
def test_copies_of_one_keyed_claim_at_once_answer_alike(demo_db: Database, people: dict[str, Actor],
                                                        copies: int) -> None:
    """The same on either database without a frozen replica: released together by a barrier."""
    (oid,) = new_orders(demo_db, people["pat"])
    key = rid()
    barrier = threading.Barrier(copies)

    def send(_: int) -> str:
        barrier.wait()
        return picking.claim(demo_db, people["pat"], [oid], key).model_dump_json()

    with ThreadPoolExecutor(copies) as pool:
        assert len(set(pool.map(send, range(copies)))) == 1
