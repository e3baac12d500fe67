"""What the store tells the commerce platform (contract section 2), through the real sender to
the platform double on loopback (tests/platform_double_server.py): the calls each flow makes,
their bodies, at least once and in order per order, retries, dead letters and the CLI. On SQLite,
and on PostgreSQL when STOREASSIST_TEST_DATABASE_URL is set.

The deliverer's clock is a fake that tests move forward: back-off is proven without waiting."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import PG_URL, Clock
from helpers import INTAKE, STORE, pick_all, rid
from platform_double_server import TOKEN, PlatformDouble
from sqlmodel import select

from storeassist_tui import cli
from storeassist_tui.config import Settings
from storeassist_tui.platform_sender import HttpSender
from storeassist_tui.server import create_app
from storeassist_tui.store import closing, delivery, handoff, intake, picking, queries, staging
from storeassist_tui.store.db import Database, utcnow
from storeassist_tui.store.models import Order, PlatformDelivery
from storeassist_tui.store.roles import Actor
from storeassist_tui.store.txn import Tx, mutate
from storeassist_tui.store.views import OrderDetail, order_detail

ROOT = Path(__file__).resolve().parent.parent
needs_pg = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (STOREASSIST_TEST_DATABASE_URL)")


def platform_order(db: Database, double: PlatformDouble, number: str = "") -> OrderDetail:
    """An order the platform sent (Order.source "platform"): 2 x line 1, 1 x line 2."""
    body: dict[str, Any] = copy.deepcopy(INTAKE)["order"]
    number = number or f"P{uuid.uuid4().hex[:9]}"
    body.update(orderId=number, customerOrderId=number, orderSource="platform")
    detail, created = intake.intake_order(db, intake.IntakeOrder.model_validate(body), STORE)
    assert created
    double.add_order(number)
    return detail


def picked(db: Database, pat: Actor, oid: int, not_found: dict[int, int] | None = None) -> OrderDetail:
    """Claimed, the given units (line number -> qty) marked not found, the rest picked, finished."""
    picking.claim(db, pat, [oid], rid())
    lines = {ln.line_nbr: ln for ln in queries.get_order(db, pat, oid).lines}
    for nbr, qty in (not_found or {}).items():
        picking.mark_not_found(db, pat, oid, lines[nbr].id, qty, rid())
    pick_all(db, pat, oid)
    return picking.finish_pick(db, pat, oid, rid())


def staged(db: Database, pat: Actor, oid: int, not_found: dict[int, int] | None = None) -> OrderDetail:
    picked(db, pat, oid, not_found)
    return staging.stage(db, pat, oid, "B7", rid(), secret_key="test-secret")


def dispensed(db: Database, hana: Actor, oid: int, rejected: dict[int, int] | None = None) -> OrderDetail:
    lines = {ln.line_nbr: ln for ln in queries.get_order(db, hana, oid).lines}
    form = handoff.DispenseForm(rejected={lines[n].id: q for n, q in (rejected or {}).items()}, signature="Ana Lee")
    return handoff.dispense(db, hana, oid, form, rid())


def lines(*items: tuple[int, str, int]) -> list[dict[str, Any]]:
    return [{"lineNbr": n, "items": [{"status": s, "qty": {"value": q}}]} for n, s, q in items]


def created_body(number: str) -> dict[str, Any]:
    return {"orderId": number, "customerOrderId": number, "status": {"description": "CREATED"},
            "orderSource": "adobe", "storeNumber": STORE}


def picked_body(number: str, *items: tuple[int, str, int]) -> dict[str, Any]:
    return {"orderId": number, "orderSource": "adobe", "fulfilmentLines": lines(*items), "pickingSection": {}}


def dispensed_body(number: str, *items: tuple[int, str, int]) -> dict[str, Any]:
    return {"orderId": number, "orderSource": "adobe", "fulfilmentLines": lines(*items), "dispenseSection": {}}


def paths(double: PlatformDouble, number: str) -> list[str]:
    return [p for p, _ in double.of(number)]


def all_delivered(db: Database, double: PlatformDouble) -> None:
    """Every call made was accepted, once: none refused, none waiting, none repeated."""
    st = delivery.status(db)
    assert (double.refused, double.duplicates, st.undelivered, st.dead) == ([], 0, 0, [])


def state_of(db: Database, number: str) -> list[tuple[str, str, int]]:
    with db.read() as s:
        rows = s.exec(select(PlatformDelivery).where(PlatformDelivery.order_number == number)
                      .order_by(PlatformDelivery.outbox_id))
        return [(d.call, d.state, d.attempts) for d in rows]


# The calls of each flow ------------------------------------------------------------------------

def test_picked_when_ready_then_dispensed_once_each_in_order(
        demo_db: Database, people: dict[str, Actor], platform_double: PlatformDouble, make_deliverer) -> None:  # type: ignore[no-untyped-def]
    d = make_deliverer()
    o = platform_order(demo_db, platform_double)
    web = queries.pick_queue(demo_db, people["pat"], STORE).orders[0].id  # a demo order: not the platform's
    picked(demo_db, people["pat"], o.id)
    staged(demo_db, people["pat"], web)
    d.drain()
    # Picking finished is not "ready": `picked` (the ready-for-pickup e-mail) waits for staging.
    assert platform_double.of(o.number) == [("creation-confirmed", created_body(o.number))]
    staging.stage(demo_db, people["pat"], o.id, "B7", rid(), secret_key="test-secret")
    dispensed(demo_db, people["hana"], o.id)
    dispensed(demo_db, people["hana"], web)
    d.drain()
    assert platform_double.of(o.number) == [
        ("creation-confirmed", created_body(o.number)),
        ("picked", picked_body(o.number, (1, "picked", 2), (2, "picked", 1))),
        ("dispensed", dispensed_body(o.number, (1, "dispensed", 2), (2, "dispensed", 1))),
    ]
    assert [c.order for c in platform_double.calls] == [o.number] * 3  # nothing of the web order
    assert platform_double.duplicates == 0 and platform_double.refused == []
    assert d.drain().sent == 0  # delivered means done: nothing goes twice
    st = delivery.status(demo_db)
    assert st.undelivered == 0 and st.delivered == 3 and st.dead == []


def test_not_found_is_a_shortfall_in_picked_and_no_refund_call(
        demo_db: Database, people: dict[str, Actor], platform_double: PlatformDouble, make_deliverer) -> None:  # type: ignore[no-untyped-def]
    o = platform_order(demo_db, platform_double)
    staged(demo_db, people["pat"], o.id, not_found={1: 1, 2: 1})
    dispensed(demo_db, people["hana"], o.id)
    make_deliverer().drain()
    events = [e.type for e in queries.events(demo_db, 0, 1000).events if e.order_id == o.id]
    assert events.count("refund_issued") == 2  # our refunds are in the outbox ...
    assert platform_double.of(o.number) == [  # ... but the platform refunds the shortfall itself
        ("creation-confirmed", created_body(o.number)),
        ("picked", picked_body(o.number, (1, "picked", 1), (2, "nil-picked", 0))),
        ("dispensed", dispensed_body(o.number, (1, "dispensed", 1), (2, "rejected", 0))),
    ]
    all_delivered(demo_db, platform_double)


def test_reject_at_hand_off_is_in_dispensed(
        demo_db: Database, people: dict[str, Actor], platform_double: PlatformDouble, make_deliverer) -> None:  # type: ignore[no-untyped-def]
    part, whole = platform_order(demo_db, platform_double), platform_order(demo_db, platform_double)
    for o in (part, whole):
        staged(demo_db, people["pat"], o.id)
    dispensed(demo_db, people["hana"], part.id, rejected={1: 1})
    dispensed(demo_db, people["hana"], whole.id, rejected={1: 2, 2: 1})
    assert queries.get_order(demo_db, people["lee"], whole.id).status == "canceled"
    make_deliverer().drain()
    assert platform_double.of(part.number)[2] == (
        "dispensed", dispensed_body(part.number, (1, "dispensed", 1), (2, "dispensed", 1)))
    # Everything rejected: `dispensed` says so (the platform cancels and refunds); no order/cancel after it.
    assert platform_double.of(whole.number)[1:] == [
        ("picked", picked_body(whole.number, (1, "picked", 2), (2, "picked", 1))),
        ("dispensed", dispensed_body(whole.number, (1, "rejected", 0), (2, "rejected", 0)))]
    all_delivered(demo_db, platform_double)


def test_nothing_found_is_an_order_cancel_never_an_empty_picked(
        demo_db: Database, people: dict[str, Actor], platform_double: PlatformDouble, make_deliverer) -> None:  # type: ignore[no-untyped-def]
    o = platform_order(demo_db, platform_double)
    done = picked(demo_db, people["pat"], o.id, not_found={1: 2, 2: 1})
    assert done.status == "canceled"
    make_deliverer().drain()
    assert platform_double.of(o.number) == [("creation-confirmed", created_body(o.number)),
                                            ("cancel", {"increment_id": o.number})]
    all_delivered(demo_db, platform_double)


def test_store_cancel_and_expiry_are_order_cancel(
        demo_db: Database, people: dict[str, Actor], platform_double: PlatformDouble, make_deliverer) -> None:  # type: ignore[no-untyped-def]
    by_lead, uncollected = platform_order(demo_db, platform_double), platform_order(demo_db, platform_double)
    closing.cancel(demo_db, people["lee"], by_lead.id, "customer called", rid())
    staged(demo_db, people["pat"], uncollected.id)
    assert uncollected.number in closing.expire_due(demo_db, utcnow() + timedelta(days=30))
    make_deliverer().drain()
    assert paths(platform_double, by_lead.number) == ["creation-confirmed", "cancel"]
    assert platform_double.of(uncollected.number)[1:] == [
        ("picked", picked_body(uncollected.number, (1, "picked", 2), (2, "picked", 1))),
        ("cancel", {"increment_id": uncollected.number})]
    all_delivered(demo_db, platform_double)


def _platform_cancel(db: Database, order_id: int, refused: str = "") -> None:
    """What the platform's cancel route (another part of the issue) leaves in the outbox."""
    def run(tx: Tx) -> OrderDetail:
        o = tx.order(order_id)
        if refused:
            tx.emit(o, "cancel_refused", reason=refused)
        else:
            o.status = "canceled"
            tx.session.add(o)
            tx.emit(o, "canceled", reason="canceled by the shop", by="platform")
        tx.session.flush()
        return order_detail(tx.session, o)
    mutate(db, None, rid(), "platform_cancel", OrderDetail, run)


def test_a_cancel_from_the_platform_is_confirmed_or_rejected(
        demo_db: Database, people: dict[str, Actor], platform_double: PlatformDouble, make_deliverer) -> None:  # type: ignore[no-untyped-def]
    yes, no = platform_order(demo_db, platform_double), platform_order(demo_db, platform_double)
    platform_double.pending_cancellation |= {yes.number, no.number}
    _platform_cancel(demo_db, yes.id)
    _platform_cancel(demo_db, no.id, refused="already handed to the customer")
    make_deliverer().drain()
    assert platform_double.of(yes.number)[1] == (
        "cancel-confirmed", {"orderId": yes.number, "status": {"description": "CANCELLED"}})
    assert platform_double.of(no.number)[1] == ("cancel-confirmed", {"orderId": no.number, "status": {
        "description": "REJECTED",
        "reason": {"code": "STORE_REFUSED", "description": "already handed to the customer"}}})
    assert platform_double.refused == []
    all_delivered(demo_db, platform_double)


# Faults ----------------------------------------------------------------------------------------

def test_platform_down_for_the_whole_flow_then_back(
        demo_db: Database, people: dict[str, Actor], platform_double: PlatformDouble, make_deliverer,  # type: ignore[no-untyped-def]
        clock: Clock) -> None:
    d = make_deliverer(attempts=10)
    platform_double.down()
    a, b, c = (platform_order(demo_db, platform_double) for _ in range(3))
    staged(demo_db, people["pat"], a.id, not_found={2: 1})
    dispensed(demo_db, people["hana"], a.id)
    staged(demo_db, people["pat"], b.id)
    picked(demo_db, people["pat"], c.id, not_found={1: 2, 2: 1})
    for _ in range(4):
        r = d.run_once()
        assert r.platform_down and r.sent == 1 and r.delivered == 0  # one try, then it waits
        assert d.run_once().sent == 0  # backing off: nothing is sent before the delay
        clock.advance(400)
    st = delivery.status(demo_db, clock.now())
    assert st.undelivered == 7 and st.lag_s >= 1600 and "ConnectError" in st.recent_failures[0].last_error
    platform_double.up()
    clock.advance(400)
    d.drain()
    assert paths(platform_double, a.number) == ["creation-confirmed", "picked", "dispensed"]
    assert paths(platform_double, b.number) == ["creation-confirmed", "picked"]
    assert paths(platform_double, c.number) == ["creation-confirmed", "cancel"]
    assert len(platform_double.calls) == 7 and platform_double.duplicates == 0
    assert delivery.status(demo_db, clock.now()).undelivered == 0


def test_500_is_retried_with_back_off_then_delivered(
        demo_db: Database, platform_double: PlatformDouble, make_deliverer, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    d = make_deliverer()
    o = platform_order(demo_db, platform_double)
    platform_double.fail("500", times=2)
    assert d.run_once().platform_down
    with demo_db.read() as s:
        row = s.exec(select(PlatformDelivery).where(PlatformDelivery.order_id == o.id)).one()
    assert row.next_attempt_at - row.last_attempt_at == timedelta(seconds=1)  # type: ignore[operator]
    assert "HTTP 500" in row.last_error
    clock.advance(1)
    assert d.run_once().platform_down
    with demo_db.read() as s:
        row = s.exec(select(PlatformDelivery).where(PlatformDelivery.order_id == o.id)).one()
    assert row.next_attempt_at - row.last_attempt_at == timedelta(seconds=2)  # type: ignore[operator]  # doubled
    clock.advance(1)
    assert d.run_once().sent == 0
    clock.advance(1)
    assert d.run_once().delivered == 1
    assert state_of(demo_db, o.number) == [("creation-confirmed", "delivered", 3)]
    assert len(platform_double.requests) == 3 and paths(platform_double, o.number) == ["creation-confirmed"]


def test_a_hung_platform_times_out_and_is_retried(
        demo_db: Database, platform_double: PlatformDouble, make_deliverer, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    d = make_deliverer(timeout_s=0.3)
    o = platform_order(demo_db, platform_double)
    platform_double.fail("hang")
    r = d.run_once()
    assert r.platform_down and r.delivered == 0
    assert "timeout" in delivery.status(demo_db).recent_failures[0].last_error
    platform_double.heal()
    clock.advance(1)
    assert d.drain().delivered == 1
    assert paths(platform_double, o.number) == ["creation-confirmed"] and platform_double.duplicates == 0


def test_success_false_is_dead_lettered_holding_its_order_then_retried(
        demo_db: Database, people: dict[str, Actor], platform_double: PlatformDouble, make_deliverer,  # type: ignore[no-untyped-def]
        clock: Clock, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    d = make_deliverer(attempts=3)
    stuck, other = platform_order(demo_db, platform_double), platform_order(demo_db, platform_double)
    platform_double.fail("false", order=stuck.number)
    staged(demo_db, people["pat"], stuck.id)
    staged(demo_db, people["pat"], other.id)
    for _ in range(3):
        r = d.drain()
        assert not r.platform_down  # one order's refusal does not hold up the others
        clock.advance(10)
    assert paths(platform_double, other.number) == ["creation-confirmed", "picked"]
    assert paths(platform_double, stuck.number) == []
    # Dead after 3 tries; its `picked` waits behind it, never sent ahead of it.
    assert state_of(demo_db, stuck.number) == [("creation-confirmed", "dead", 3), ("picked", "pending", 0)]
    platform_double.heal()
    clock.advance(3600)
    assert d.drain().sent == 0
    st = delivery.status(demo_db)
    assert st.undelivered == 2 and [x.order_number for x in st.dead] == [stuck.number]
    event_id = st.dead[0].event_id
    assert cli.main(["platform", "status", "--database-url", database_url]) == 0
    out = capsys.readouterr().out
    assert "dead letters: 1" in out and event_id in out and "success:false" in out and "undelivered: 2" in out
    assert cli.main(["platform", "retry", event_id, "--database-url", database_url]) == 0
    assert "1 call(s) will be sent again" in capsys.readouterr().out
    d.drain()
    assert paths(platform_double, stuck.number) == ["creation-confirmed", "picked"]
    assert delivery.status(demo_db).undelivered == 0 and platform_double.duplicates == 0


def test_a_refusal_4xx_is_a_failure_of_that_call_only(
        demo_db: Database, platform_double: PlatformDouble, make_deliverer) -> None:  # type: ignore[no-untyped-def]
    o = platform_order(demo_db, platform_double)
    r = make_deliverer(token="wrong-token").run_once()
    assert r.failed == 1 and not r.platform_down
    assert platform_double.refused[0][1] == 401 and paths(platform_double, o.number) == []
    assert "HTTP 401" in delivery.status(demo_db).recent_failures[0].last_error


def test_cli_retry_all_and_deliver_once(
        demo_db: Database, platform_double: PlatformDouble, make_deliverer, database_url: str,  # type: ignore[no-untyped-def]
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    o = platform_order(demo_db, platform_double)
    platform_double.fail("false")
    make_deliverer(attempts=1).run_once()
    assert state_of(demo_db, o.number) == [("creation-confirmed", "dead", 1)]
    platform_double.heal()
    assert cli.main(["platform", "retry", "--database-url", database_url]) == 1  # neither id nor --all
    assert cli.main(["platform", "retry", "--all", "--database-url", database_url]) == 0
    monkeypatch.setenv("STOREASSIST_PLATFORM_URL", platform_double.url)
    monkeypatch.setenv("STOREASSIST_PLATFORM_TOKEN", TOKEN)
    assert cli.main(["platform", "deliver", "--once", "--database-url", database_url]) == 0
    assert "1 delivered" in capsys.readouterr().out
    assert paths(platform_double, o.number) == ["creation-confirmed"]


def test_serve_runs_the_deliverer_outside_requests(
        demo_db: Database, platform_double: PlatformDouble) -> None:
    from fastapi.testclient import TestClient

    settings = Settings(platform_url=platform_double.url, platform_token=TOKEN, platform_poll_s=0.05,
                        secret_key="test-secret")
    platform_double.fail("hang")  # a platform that never answers ...
    with TestClient(create_app(demo_db, settings)) as client:
        o = platform_order(demo_db, platform_double)
        platform_double.wait_until(lambda p: len(p.requests) >= 1)
        assert client.get("/api/v1/health").status_code == 200  # ... holds up no request
        platform_double.heal()
        platform_double.wait_until(lambda p: len(p.calls) >= 1)
    assert paths(platform_double, o.number) == ["creation-confirmed"]


# Several deliverers, and one killed ------------------------------------------------------------

def test_two_deliverers_at_once_send_nothing_twice(
        demo_db: Database, people: dict[str, Actor], platform_double: PlatformDouble, senders: list[HttpSender]) -> None:
    orders = [platform_order(demo_db, platform_double) for _ in range(6)]
    for o in orders:
        staged(demo_db, people["pat"], o.id)
    sent: list[list[str]] = [[], []]
    stop = threading.Event()
    threads = []
    for i in range(2):
        sender = HttpSender(platform_double.url, TOKEN)
        senders.append(sender)

        def send(call: delivery.Call, i: int = i, sender: HttpSender = sender) -> delivery.Outcome:
            sent[i].append(call.event_id)
            return sender.send(call)

        d = delivery.Deliverer(demo_db, send, concurrency=4)  # orders side by side, each in order
        threads.append(threading.Thread(target=delivery.serve, args=(d, stop, 0.05, 0.05)))
    for t in threads:
        t.start()
    try:
        platform_double.wait_until(lambda p: len(p.calls) >= 12)
        more = platform_order(demo_db, platform_double)  # found by whichever delivers now
        platform_double.wait_until(lambda p: len(p.calls) >= 13)
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert len(platform_double.calls) == 13 and platform_double.duplicates == 0
    assert len(sent[0]) + len(sent[1]) == 13 and 0 in (len(sent[0]), len(sent[1]))  # one deliverer at a time
    for o in [*orders, more]:
        assert paths(platform_double, o.number) == (["creation-confirmed", "picked"] if o is not more
                                                    else ["creation-confirmed"])


def test_a_deliverer_killed_mid_call_loses_nothing(
        demo_db: Database, people: dict[str, Actor], platform_double: PlatformDouble, database_url: str,
        make_deliverer) -> None:  # type: ignore[no-untyped-def]
    a, b = platform_order(demo_db, platform_double), platform_order(demo_db, platform_double)
    staged(demo_db, people["pat"], a.id)
    platform_double.fail("accept-hang", times=1)  # the platform does the first call; its answer never comes
    env = {**os.environ, "STOREASSIST_DATABASE_URL": database_url, "STOREASSIST_PLATFORM_URL": platform_double.url,
           "STOREASSIST_PLATFORM_TOKEN": TOKEN, "STOREASSIST_PLATFORM_TIMEOUT_S": "60",
           "STOREASSIST_PLATFORM_CONCURRENCY": "1"}  # one call in flight: the first, whose answer is lost
    proc = subprocess.Popen([sys.executable, "-m", "storeassist_tui.cli", "platform", "deliver"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        platform_double.wait_until(lambda p: len(p.calls) == 1)
        assert paths(platform_double, a.number) == ["creation-confirmed"]
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    platform_double.heal()
    make_deliverer().drain()  # another deliverer: the lock went with the killed process
    assert paths(platform_double, a.number) == ["creation-confirmed", "creation-confirmed", "picked"]
    assert paths(platform_double, b.number) == ["creation-confirmed"]
    # At least once: the call whose answer was lost came again, once, and the double saw it was a repeat.
    assert platform_double.duplicates == 1
    assert delivery.status(demo_db).undelivered == 0


@needs_pg
def test_postgresql_standby_takes_over_when_the_deliverer_connection_dies(demo_db: Database) -> None:
    active, standby = delivery.DeliveryLock(demo_db), delivery.DeliveryLock(demo_db)
    try:
        assert active.try_acquire() and active.still_held()
        assert not standby.try_acquire()  # a second replica stands by
        assert active._conn is not None
        pid = active._conn.exec_driver_sql("select pg_backend_pid()").scalar()
        with demo_db.engine.connect() as conn:
            conn.exec_driver_sql(f"select pg_terminate_backend({int(pid or 0)})")
        assert not active.still_held()  # it notices, and stops delivering
        assert standby.try_acquire()
    finally:
        active.release()
        standby.release()


def test_events_are_read_once_behind_the_cursor(demo_db: Database, platform_double: PlatformDouble) -> None:
    o = platform_order(demo_db, platform_double)
    assert delivery.read_outbox(demo_db) >= 1
    assert delivery.read_outbox(demo_db) == 0
    with demo_db.read() as s:
        assert s.get(Order, o.id) is not None
        rows = list(s.exec(select(PlatformDelivery)))
    assert [(r.call, json.loads(r.body)["orderId"]) for r in rows] == [("creation-confirmed", o.number)]
    assert rows[0].event_created_at <= datetime.now(UTC)


def test_a_picked_whose_answer_was_lost_is_not_sent_until_dead(
        demo_db: Database, people: dict[str, Actor], platform_double: PlatformDouble, clock: Clock,
        make_deliverer) -> None:  # type: ignore[no-untyped-def]
    """The platform moves an order past `processing` only by a `picked`: the same call again is
    an HTTP 500 there (contract 2.1). When the first try went through and its answer was lost,
    the retry's 500 says so: the call is done, and the order's `dispensed` follows."""
    o = platform_order(demo_db, platform_double)
    d = make_deliverer(timeout_s=0.5)
    d.drain()  # creation-confirmed
    staged(demo_db, people["pat"], o.id)
    platform_double.fail("accept-hang", times=1)  # picked is done; its answer never comes
    d.drain()
    platform_double.heal()
    clock.advance(3600)
    d.drain()
    assert paths(platform_double, o.number) == ["creation-confirmed", "picked"]
    assert platform_double.duplicates == 1  # sent again, answered "not in the processing state"
    assert state_of(demo_db, o.number)[-1] == ("picked", "delivered", 2)
    dispensed(demo_db, people["hana"], o.id)
    d.drain()
    assert paths(platform_double, o.number) == ["creation-confirmed", "picked", "dispensed"]
    assert delivery.status(demo_db).undelivered == 0 and platform_double.refused == []
