"""What the store tells the commerce platform, and the state of each call.

The outbox (OutboxEvent, written by every use case) is read in id order behind a cursor; each
event of an order that came from the platform and that the platform must hear of becomes one
`PlatformDelivery` row holding the call's path and body (built once, so a retry sends the same
bytes). Rows are sent at least once and in outbox order per order: an order's next call waits
until its earlier ones were delivered, also while an earlier one sits in the dead letters.

No HTTP here: the worker is handed a `send` function (storeassist_tui/platform_sender.py), and a
clock, so tests drive retries and back-off without waiting.
"""

from __future__ import annotations

import fcntl
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel
from sqlalchemy import func, text, update
from sqlalchemy.engine import Connection, make_url
from sqlmodel import Session, col, select

from storeassist_tui import weights
from storeassist_tui.store.db import Database, utcnow
from storeassist_tui.store.errors import NotFound, Unavailable
from storeassist_tui.store.models import AppSetting, Order, OrderLine, OutboxEvent, PlatformDelivery

log = logging.getLogger("storeassist.delivery")

PLATFORM_SOURCE = "platform"  # Order.source of the orders the platform sent us
ORDER_SOURCE = "adobe"  # what the platform calls itself in `orderSource`
CURSOR_KEY = "platform_delivery_cursor"  # AppSetting: the last outbox id read
_DELIVERER_LOCK = 7_340_023  # PostgreSQL advisory lock key: one deliverer at a time
PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
OPEN_STATES = (PENDING, DEAD)


# What each event becomes -----------------------------------------------------------------------

def _earlier(session: Session, ev: OutboxEvent, type_: str) -> OutboxEvent | None:
    return session.exec(
        select(OutboxEvent)
        .where(OutboxEvent.order_id == ev.order_id, OutboxEvent.type == type_, col(OutboxEvent.id) < (ev.id or 0))
        .order_by(col(OutboxEvent.id).desc()).limit(1)
    ).first()


def _amount(units: int, weight_milli: int | None) -> int | float:
    """`qty.value` of a line: its units, or for a weighed line the weight its labels added up to
    (the platform invoices that amount, in the line's lb / kg)."""
    return weights.sent(weight_milli) if units > 0 and weight_milli else units


def _picked_lines(session: Session, ev: OutboxEvent) -> list[dict[str, Any]]:
    """Per lineNbr what was picked, from the pick's own `pick_complete` event (what the picker
    finished with), else from the lines; a shortfall is only the picked qty: the platform refunds
    the rest itself, so our not-found refunds are never sent (they would be paid twice)."""
    done = _earlier(session, ev, "pick_complete")
    if done is not None:
        picked = {int(ln["lineNbr"]): _amount(int(ln["picked"]), ln.get("weight_milli"))
                  for ln in json.loads(done.payload)["lines"]}
    else:
        rows = session.exec(select(OrderLine).where(OrderLine.order_id == ev.order_id))
        picked = {ln.line_nbr: _amount(ln.picked, ln.weight_picked_milli) for ln in rows}
    return [
        {"lineNbr": nbr, "items": [{"status": "picked", "qty": {"value": qty}} if qty > 0
                                   else {"status": "nil-picked", "qty": {"value": 0}}]}
        for nbr, qty in sorted(picked.items())
    ]


def _dispensed_lines(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Per lineNbr what the customer took; the platform takes the rest as rejected (and refunds
    it). A line with nothing handed over says `rejected` with qty 0, as nil-picked does."""
    out = []
    for ln in sorted(payload.get("lines", []), key=lambda x: int(x["lineNbr"])):
        qty = _amount(int(ln["dispensed"]), ln.get("weight_milli"))
        out.append({"lineNbr": int(ln["lineNbr"]),
                    "items": [{"status": "dispensed", "qty": {"value": qty}} if qty > 0
                              else {"status": "rejected", "qty": {"value": 0}}]})
    return out


def call_for(session: Session, ev: OutboxEvent, order: Order) -> tuple[str, dict[str, Any]] | None:
    """The platform call an outbox event makes (path under /V1/wct-fulfillment/order/, body), or
    None when the platform has no call for it (contract section 2)."""
    if order.source != PLATFORM_SOURCE:
        return None  # not the platform's order: it knows nothing of it
    payload: dict[str, Any] = json.loads(ev.payload or "{}")
    number = ev.order_number
    if ev.type == "order_created":
        return "creation-confirmed", {
            "orderId": number, "customerOrderId": payload.get("customer_order_id") or number,
            "status": {"description": "CREATED"}, "orderSource": ORDER_SOURCE,
            "storeNumber": payload.get("store") or ev.store_id,
        }
    if ev.type == "staged":
        # Sent when the order is ready, not when picking ended: `picked` sends the customer the
        # platform's ready-for-pickup e-mail.
        return "picked", {"orderId": number, "orderSource": ORDER_SOURCE,
                          "fulfilmentLines": _picked_lines(session, ev), "pickingSection": {}}
    if ev.type == "dispensed":
        return "dispensed", {"orderId": number, "orderSource": ORDER_SOURCE,
                             "fulfilmentLines": _dispensed_lines(payload), "dispenseSection": {}}
    if ev.type in ("canceled", "expired"):
        if payload.get("by") == PLATFORM_SOURCE:
            return "cancel-confirmed", {"orderId": number, "status": {"description": "CANCELLED"}}
        if _earlier(session, ev, "dispensed") is not None:
            return None  # every item rejected at hand-off: `dispensed` already told the platform
        # Nothing found, a lead's cancel, or an uncollected order; never an empty `picked`,
        # which the platform would take as "invoice everything".
        return "cancel", {"increment_id": number}
    if ev.type == "cancel_refused":
        reason = str(payload.get("reason") or "the store could not cancel the order")
        return "cancel-confirmed", {"orderId": number, "status": {
            "description": "REJECTED", "reason": {"code": str(payload.get("code") or "STORE_REFUSED"),
                                                  "description": reason}}}
    return None


def read_outbox(db: Database, limit: int = 500, now: datetime | None = None) -> int:
    """Turn the outbox events past the cursor into deliveries; returns how many events were read.
    The cursor moves in the same transaction, so an event is turned into a call exactly once."""
    with db.read() as session:  # most polls find nothing new: no write transaction for them
        cur = session.get(AppSetting, CURSOR_KEY)
        after = int(cur.value) if cur else 0
        if session.exec(select(OutboxEvent.id).where(col(OutboxEvent.id) > after).limit(1)).first() is None:
            return 0
    with db.write() as session:
        cur = session.get(AppSetting, CURSOR_KEY, with_for_update=True)
        after = int(cur.value) if cur else 0
        events = list(session.exec(
            select(OutboxEvent).where(col(OutboxEvent.id) > after).order_by(col(OutboxEvent.id)).limit(limit)))
        if not events:
            return 0
        orders = {o.id: o for o in session.exec(
            select(Order).where(col(Order.id).in_({e.order_id for e in events})))}
        for ev in events:
            order = orders.get(ev.order_id)
            made = call_for(session, ev, order) if order is not None else None
            if made is None:
                continue
            path, body = made
            session.add(PlatformDelivery(
                outbox_id=ev.id or 0, event_id=ev.event_id, order_id=ev.order_id, order_number=ev.order_number,
                event_type=ev.type, call=path, body=json.dumps(body), state=PENDING,
                next_attempt_at=now or utcnow(), event_created_at=ev.created_at))
        if cur is None:
            cur = AppSetting(key=CURSOR_KEY, value="0")
        cur.value = str(events[-1].id)
        session.add(cur)
        return len(events)


# The state of a call ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Call:
    event_id: str
    path: str  # e.g. "picked": POST {platform_url}/V1/wct-fulfillment/order/picked
    body: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    """What a send came to. `platform_down`: the platform as a whole did not answer (transport
    error, timeout, 5xx, 408, 429), so the pass stops instead of trying every other order."""

    ok: bool
    detail: str = ""
    platform_down: bool = False
    status: int = 0  # the HTTP status, 0 when no answer came


def _went_through_before(d: PlatformDelivery, outcome: Outcome) -> bool:
    """A `picked` tried before, now refused because the order is no longer `processing`: the
    platform moves it on only by a `picked`, so an earlier try did go through and only its
    answer was lost (contract 2.1: a second `picked` is an HTTP 500, never a second invoice)."""
    return (d.call == "picked" and d.attempts > 0 and outcome.status == 500
            and "processing" in outcome.detail.lower())


Sender = Callable[[Call], Outcome]


@dataclass
class Policy:
    max_attempts: int = 20
    backoff_s: float = 1.0
    backoff_max_s: float = 300.0

    def delay(self, attempts: int) -> timedelta:
        """1 s, 2 s, 4 s ... up to the cap, after the n-th failed attempt."""
        return timedelta(seconds=min(self.backoff_max_s, self.backoff_s * 2 ** max(0, attempts - 1)))


def _heads(session: Session, now: datetime, limit: int) -> list[PlatformDelivery]:
    """The first open call of each order, when it is pending and due (a dead one blocks its order)."""
    first = (select(PlatformDelivery.order_id, func.min(PlatformDelivery.outbox_id).label("first"))
             .where(col(PlatformDelivery.state).in_(OPEN_STATES))
             .group_by(col(PlatformDelivery.order_id)).subquery())
    return list(session.exec(
        select(PlatformDelivery)
        .join(first, col(PlatformDelivery.outbox_id) == first.c.first)
        .where(PlatformDelivery.state == PENDING, col(PlatformDelivery.next_attempt_at) <= now)
        .order_by(col(PlatformDelivery.outbox_id)).limit(limit)))


def _record(db: Database, tried: list[tuple[int, Outcome]], now: datetime, policy: Policy) -> None:
    """Write what some tries came to, in one transaction (fewer turns at SQLite's one writer). A
    busy database is waited for: the calls were made, and not recording them would make them again."""
    for attempt in range(20):
        try:
            _record_once(db, tried, now, policy)
            return
        except Unavailable:
            if attempt == 19:
                raise
            time.sleep(min(2.0, 0.05 * 2 ** attempt))


def _record_once(db: Database, tried: list[tuple[int, Outcome]], now: datetime, policy: Policy) -> None:
    with db.write() as session:
        for outbox_id, outcome in tried:
            d = session.get(PlatformDelivery, outbox_id, with_for_update=True)
            assert d is not None
            d.attempts += 1
            d.last_attempt_at = now
            if outcome.ok:
                d.state, d.delivered_at = DELIVERED, now
            else:
                d.failed_at, d.last_error = now, outcome.detail[:500]
                if d.attempts >= policy.max_attempts:
                    d.state = DEAD  # its order's later calls wait behind it until `platform retry`
                    log.error("platform call %s of order %s dead-lettered after %d tries: %s",
                              d.call, d.order_number, d.attempts, outcome.detail[:200])
                else:
                    d.next_attempt_at = now + policy.delay(d.attempts)
                    log.warning("platform call %s of order %s failed (try %d): %s",
                                d.call, d.order_number, d.attempts, outcome.detail[:200])
            session.add(d)


@dataclass
class PassResult:
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    platform_down: bool = False


@dataclass
class Deliverer:
    """Reads the outbox and makes the calls. One at a time across processes: see `DeliveryLock`."""

    db: Database
    send: Sender
    policy: Policy = field(default_factory=Policy)
    clock: Callable[[], datetime] = utcnow
    batch: int = 500
    # While the platform as a whole is not answering, no call is made until this time (the
    # back-off of the failures in a row), so an outage costs one probe per back-off, not one
    # try of every order.
    paused_until: datetime | None = None
    down_streak: int = 0
    concurrency: int = 1  # orders whose calls are sent side by side (each order's stay in order)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _down_seen: bool = field(default=False, repr=False)  # within a pass: the rest of it is skipped

    def run_once(self) -> PassResult:
        """Read new outbox events, then send the first due call of each order (an order's next
        call goes in a later pass, after this one was recorded delivered): `concurrency` calls
        side by side, recorded a group at a time. Stops early when the platform as a whole is
        not answering (the next try is after the back-off)."""
        while read_outbox(self.db, self.batch, self.clock()) == self.batch:
            pass
        result = PassResult()
        if self.paused_until is not None and self.clock() < self.paused_until:
            return result
        self._down_seen = False
        with self.db.read() as session:
            heads = _heads(session, self.clock(), self.batch)
        group = 1 if self.concurrency <= 1 else self.concurrency * 4
        pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="platform-send") if group > 1 else None
        try:
            for start in range(0, len(heads), group):
                chunk = heads[start:start + group]
                sent = list(pool.map(self._try, chunk)) if pool else [self._try(d) for d in chunk]
                tried = [(d.outbox_id, o) for d, o in zip(chunk, sent, strict=True) if o is not None]
                _record(self.db, tried, self.clock(), self.policy)
                for _, outcome in tried:
                    result.sent += 1
                    if outcome.ok:
                        result.delivered += 1
                    else:
                        result.failed += 1
                        result.platform_down |= outcome.platform_down
                if result.platform_down:
                    self.down_streak += 1
                    self.paused_until = self.clock() + self.policy.delay(self.down_streak)
                    break
                if result.delivered:
                    self.down_streak, self.paused_until = 0, None
        finally:
            if pool:
                pool.shutdown()
        return result

    def _try(self, d: PlatformDelivery) -> Outcome | None:
        """One call; None when skipped because the platform was found away meanwhile."""
        with self._lock:
            if self._down_seen:
                return None
        outcome = self.send(Call(d.event_id, d.call, json.loads(d.body)))
        if _went_through_before(d, outcome):
            log.warning("platform call picked of order %s: done by an earlier try (%s)", d.order_number,
                        outcome.detail[:200])
            return Outcome(True, "done by an earlier try whose answer was lost", status=outcome.status)
        if outcome.platform_down:
            with self._lock:
                self._down_seen = True
        return outcome

    def drain(self, max_passes: int = 1_000_000) -> PassResult:
        """Passes until nothing due is left (or the platform is down): `platform deliver --once`."""
        total = PassResult()
        for _ in range(max_passes):
            r = self.run_once()
            total.sent += r.sent
            total.delivered += r.delivered
            total.failed += r.failed
            if r.platform_down:
                total.platform_down = True
            if r.sent == 0 or r.platform_down:
                break
        return total

    def next_due(self) -> datetime | None:
        if self.paused_until is not None and self.paused_until > self.clock():
            return self.paused_until
        with self.db.read() as session:
            first = (select(PlatformDelivery.order_id, func.min(PlatformDelivery.outbox_id).label("first"))
                     .where(col(PlatformDelivery.state).in_(OPEN_STATES))
                     .group_by(col(PlatformDelivery.order_id)).subquery())
            return session.exec(
                select(func.min(PlatformDelivery.next_attempt_at))
                .join(first, col(PlatformDelivery.outbox_id) == first.c.first)
                .where(PlatformDelivery.state == PENDING)).first()

    def run_forever(self, stop: threading.Event, poll_s: float = 1.0) -> None:
        """Deliver until `stop` is set: new events are looked for every `poll_s`, and a call that
        failed is tried again when its back-off ends."""
        while not stop.is_set():
            try:
                if self.run_once().delivered:
                    continue  # the orders' next calls are likely due now
                due = self.next_due()
                wait = poll_s if due is None else (due - self.clock()).total_seconds()
            except Unavailable:  # the database is busy or away: nothing is lost, try again soon
                log.warning("platform delivery: the database is not answering; trying again")
                wait = poll_s
            except Exception:  # a bug must not stop delivery for good: logged, tried again
                log.exception("platform delivery pass failed; trying again")
                wait = poll_s * 5
            stop.wait(min(max(wait, 0.05), poll_s))


# One deliverer at a time -----------------------------------------------------------------------

class DeliveryLock:
    """Held by the one active deliverer. PostgreSQL: a session-level advisory lock on a connection
    of its own (gone with the process, so a killed deliverer frees it); SQLite: an flock on a file
    beside the database (likewise)."""

    _memory = threading.Lock()  # in-memory SQLite: one process by definition

    def __init__(self, db: Database) -> None:
        self.db = db
        self._conn: Connection | None = None
        self._file: TextIO | None = None
        self._held_memory = False

    def try_acquire(self) -> bool:
        if self.held:
            return True
        if not self.db.is_sqlite:
            conn = self.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            if conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _DELIVERER_LOCK}).scalar():
                self._conn = conn
                return True
            conn.close()
            return False
        path = make_url(self.db.url).database
        if not path or path == ":memory:":
            self._held_memory = self._memory.acquire(blocking=False)
            return self._held_memory
        f = Path(f"{path}.platform-deliver.lock").open("a")  # held open while locked
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.close()
            return False
        self._file = f
        return True

    @property
    def held(self) -> bool:
        return self._conn is not None or self._file is not None or self._held_memory

    def still_held(self) -> bool:
        """False once the lock's PostgreSQL connection dropped (the lock went with it)."""
        if self._conn is None:
            return self.held
        try:
            self._conn.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001
            self.release()
            return False

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _DELIVERER_LOCK})
            except Exception:  # noqa: BLE001  (a dead connection has freed it already)
                pass
            self._conn.close()
            self._conn = None
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        if self._held_memory:
            self._memory.release()
            self._held_memory = False


@contextmanager
def exclusive(db: Database) -> Iterator[DeliveryLock]:
    lock = DeliveryLock(db)
    try:
        yield lock
    finally:
        lock.release()


def serve(deliverer: Deliverer, stop: threading.Event, poll_s: float = 1.0, standby_s: float = 5.0) -> None:
    """Run as the deliverer while holding the lock; stand by (trying every `standby_s`) while
    another process holds it."""
    with exclusive(deliverer.db) as lock:
        while not stop.is_set():
            try:
                acquired = lock.try_acquire()
            except Exception:  # noqa: BLE001  (the database is away: stand by, try again)
                log.warning("platform deliverer: cannot reach the database to take the lock")
                acquired = False
            if not acquired:
                stop.wait(standby_s)
                continue
            inner = threading.Event()

            def watch(lock: DeliveryLock = lock, inner: threading.Event = inner) -> None:
                while not stop.wait(poll_s):
                    if not lock.still_held():
                        break
                inner.set()

            watcher = threading.Thread(target=watch, daemon=True)
            watcher.start()
            deliverer.run_forever(inner, poll_s)
            watcher.join()


# Status and retry ------------------------------------------------------------------------------

class DeliveryView(BaseModel):
    outbox_id: int
    event_id: str
    order_number: str
    event_type: str
    call: str
    state: str
    attempts: int
    event_created_at: datetime
    last_attempt_at: datetime | None
    failed_at: datetime | None
    next_attempt_at: datetime
    last_error: str


class DeliveryStatus(BaseModel):
    undelivered: int
    oldest_undelivered_at: datetime | None
    lag_s: float
    delivered: int
    dead: list[DeliveryView]
    recent_failures: list[DeliveryView]
    outbox_cursor: int
    outbox_last: int


def _view(d: PlatformDelivery) -> DeliveryView:
    return DeliveryView.model_validate(d, from_attributes=True)


def status(db: Database, now: datetime | None = None, recent: int = 10) -> DeliveryStatus:
    now = now or utcnow()
    with db.read() as session:
        open_ = col(PlatformDelivery.state).in_(OPEN_STATES)
        count, oldest = session.exec(
            select(func.count(), func.min(PlatformDelivery.event_created_at)).where(open_)).one()
        delivered = session.exec(select(func.count()).where(PlatformDelivery.state == DELIVERED)).one()
        dead = list(session.exec(select(PlatformDelivery).where(PlatformDelivery.state == DEAD)
                                 .order_by(col(PlatformDelivery.outbox_id))))
        failures = list(session.exec(select(PlatformDelivery).where(col(PlatformDelivery.failed_at).is_not(None))
                                     .order_by(col(PlatformDelivery.failed_at).desc()).limit(recent)))
        cur = session.get(AppSetting, CURSOR_KEY)
        last = session.exec(select(func.max(OutboxEvent.id))).one() or 0
    return DeliveryStatus(
        undelivered=count, oldest_undelivered_at=oldest,
        lag_s=(now - oldest).total_seconds() if oldest else 0.0, delivered=delivered,
        dead=[_view(d) for d in dead], recent_failures=[_view(d) for d in failures],
        outbox_cursor=int(cur.value) if cur else 0, outbox_last=last)


def retry(db: Database, event_id: str | None = None, now: datetime | None = None) -> int:
    """Send dead letters again (one by its event id or outbox id, or all), their tries starting
    over; one named call still pending is made due at once."""
    now = now or utcnow()
    with db.write() as session:
        stmt = update(PlatformDelivery).where(col(PlatformDelivery.state) == DEAD)
        if event_id is not None:
            stmt = update(PlatformDelivery).where(col(PlatformDelivery.state).in_(OPEN_STATES))
            key = (col(PlatformDelivery.outbox_id) == int(event_id)) if event_id.isdigit() \
                else (col(PlatformDelivery.event_id) == event_id)
            known = session.exec(select(PlatformDelivery.state).where(key)).first()
            if known is None:
                raise NotFound(f"No platform call for event {event_id[:40]}")
            stmt = stmt.where(key)
        res = session.execute(stmt.values(state=PENDING, attempts=0, next_attempt_at=now))
        return int(res.rowcount)  # type: ignore[attr-defined]
