"""The frame of every use case: one transaction, a replayable request id, the optimistic lock,
the audit trail, the platform's event feed and the store's polling revision."""

from __future__ import annotations

import json
import random
import re
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Update, bindparam, insert, inspect, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, SQLModel, col, select

from storeassist_tui.order_status import OrderStatus, Step, allowed, word
from storeassist_tui.store.db import Database, utcnow
from storeassist_tui.store.errors import (
    PLATFORM_CANCEL_REASON,
    CanceledByPlatform,
    InvalidInput,
    NotFound,
    RequestIdReused,
    StaleOrder,
    WrongState,
)
from storeassist_tui.store.models import AuditEvent, Order, OutboxEvent, RequestRecord, Store
from storeassist_tui.store.roles import Actor

T = TypeVar("T", bound=BaseModel)

# The frame's statements, built once: every use case runs them, and building one costs about what
# running it does.
_BUMP_ORDER = (
    update(Order)
    .where(col(Order.id) == bindparam("order_id"), col(Order.version) == bindparam("version_read"))
    .values(version=bindparam("version_new"), updated_at=bindparam("now"))
)
_BUMP_STORE = update(Store).where(col(Store.id) == bindparam("store_id")).values(revision=col(Store.revision) + 1)
_CLAIM_REQUEST = insert(RequestRecord)
_ANSWER_REQUEST = update(RequestRecord).where(col(RequestRecord.request_id) == bindparam("rid")).values(
    result=bindparam("answer"))
_RECORDED = select(RequestRecord.operation, RequestRecord.associate_id, RequestRecord.result).where(
    col(RequestRecord.request_id) == bindparam("rid"))
_ADD_AUDIT = insert(AuditEvent)
_WRITES: dict[tuple[type[SQLModel], tuple[str, ...]], Update] = {}  # Tx.write's statements, built once each
_ADD_EVENT = insert(OutboxEvent)

_REQUEST_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
_ATTEMPTS = 8
ENTRIES = ("scan", "manual")  # how a code reached us: scanned, or typed by hand
FEED_LOCK = 7_340_021  # PostgreSQL advisory lock key of the event feed


class Tx:
    """What a use case may do inside its transaction besides plain ORM reads and writes."""

    def __init__(self, session: Session, actor: Actor | None, now: datetime) -> None:
        self.session = session
        self.actor = actor
        self.now = now
        self._stores: set[str] = set()
        self._events: list[dict[str, Any]] = []  # rows of OutboxEvent
        self._audits: list[dict[str, Any]] = []  # rows of AuditEvent

    def order(self, order_id: int) -> Order:
        """Load an order of the actor's stores and take the optimistic lock on it."""
        # FOR UPDATE: on PostgreSQL a second writer waits here instead of losing the race later.
        order = self.session.get(Order, order_id, with_for_update=True)
        if order is None:
            raise NotFound("No such order")
        if self.actor is not None:
            self.actor.require_store(order.store_id)
        refuse_if_canceled_by_platform(order)
        self.lock(order)
        return order

    def lock(self, order: Order) -> None:
        # A conditional bump: on PostgreSQL it takes the row lock, and a request that read the
        # same version before us finds 0 rows and is retried on fresh state.
        res = self.session.connection().execute(_BUMP_ORDER, {
            "order_id": order.id, "version_read": order.version, "version_new": order.version + 1, "now": self.now})
        if res.rowcount != 1:
            raise StaleOrder("The order was changed on another terminal; try again")
        # The row is what we read plus this bump (every writer of an order bumps its version),
        # so the object is brought up to date without reading the row again.
        set_committed_value(order, "version", order.version + 1)
        set_committed_value(order, "updated_at", self.now)
        self._stores.add(order.store_id)

    def write(self, row: SQLModel, **values: Any) -> None:
        """Set `values` on `row` with one UPDATE by its key, now, instead of at the session's flush
        (a unit of work costs about what the rest of a scan does); `row` then holds them as written.
        For a row of an order this transaction has locked."""
        table = type(row)
        key = (table, tuple(values))
        if (stmt := _WRITES.get(key)) is None:
            (ident,) = inspect(table).primary_key  # tables with a one-column key
            stmt = _WRITES[key] = update(table).where(ident == bindparam("_key")).values(
                {name: bindparam(name) for name in values})
        self.session.connection().execute(stmt, {"_key": inspect(row).identity[0], **values})
        for name, value in values.items():
            set_committed_value(row, name, value)

    def touch_store(self, store_id: str) -> None:
        self._stores.add(store_id)

    def audit(self, order: Order | None, action: str, entry: str = "", store_id: str = "", **detail: Any) -> None:
        """A timeline entry; written by `finish`, in the order given (nothing reads it back before)."""
        if entry:
            check_entry(entry)
        self._audits.append(dict(
            order_id=order.id if order else None,
            store_id=order.store_id if order else store_id,
            associate_id=self.actor.id if self.actor else None,
            action=action,
            entry=entry,
            detail=json.dumps(detail, default=str),
            at=self.now,
        ))

    def emit(self, order: Order, type_: str, **payload: Any) -> None:
        """Queue an event of the platform's feed; it is written by `finish`, at the end."""
        self._events.append(dict(
            event_id=str(uuid.uuid4()),
            store_id=order.store_id,
            order_id=order.id or 0,
            order_number=order.number,
            type=type_,
            payload=json.dumps(payload, default=str),
            created_at=self.now,
        ))

    def finish(self) -> None:
        # The use case's own changes first (as before: the feed's lock and the store's row last).
        self.session.flush()
        conn = self.session.connection()
        if self._audits:
            conn.execute(_ADD_AUDIT, self._audits)
        if self._events:
            # On PostgreSQL two transactions could commit feed ids out of order, and a reader
            # polling `after=<cursor>` would skip the lower one for good; so writers of the feed
            # take turns (SQLite writers already do: BEGIN IMMEDIATE). The lock is taken last,
            # after every order lock of the transaction, so that waiting for it cannot deadlock.
            if self.session.get_bind().dialect.name == "postgresql":
                self.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": FEED_LOCK})
            conn.execute(_ADD_EVENT, self._events)
        for store_id in sorted(self._stores):  # a fixed order, so two writers never deadlock
            conn.execute(_BUMP_STORE, {"store_id": store_id})


def require_step(order: Order, step: Step) -> None:
    """Refuse `step` unless the table (order_status.py) lets it start from the order's state; a
    cancel by the platform is said as such (see refuse_if_canceled_by_platform)."""
    refuse_if_canceled_by_platform(order)
    if not allowed(step, order.status):
        raise WrongState(f"Order {order.number} is {word(order.status)}: {step.refusal}")


def move_order(order: Order, step: Step, to: OrderStatus) -> None:
    """Set the order's state as `step` ends it; a step the table does not let end there is a bug."""
    if to not in step.ends:
        raise AssertionError(f"{step.name} cannot leave an order {to}")
    order.status = to


def refuse_if_canceled_by_platform(order: Order) -> None:
    """A terminal working on an order the platform cancelled hears it on its next step, in one
    distinct refusal (it then leaves the order), instead of a plain "wrong state"."""
    if order.status == OrderStatus.CANCELED and order.close_reason == PLATFORM_CANCEL_REASON:
        raise CanceledByPlatform(f"Order {order.number} was cancelled by the store system")


def add_event(session: Session, order: Order, type_: str, now: datetime, **payload: Any) -> None:
    """One outbox event written outside `mutate` (order intake), with the feed's ordering lock."""
    if session.get_bind().dialect.name == "postgresql":  # see Tx.finish: ids become visible in order
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": FEED_LOCK})
    session.add(OutboxEvent(event_id=str(uuid.uuid4()), store_id=order.store_id, order_id=order.id or 0,
                            order_number=order.number, type=type_, payload=json.dumps(payload, default=str),
                            created_at=now))


def _retryable(exc: Exception) -> bool:
    """A lost race that a fresh run settles: the order changed under us, or PostgreSQL broke a
    deadlock or serialization conflict. Any other IntegrityError is a bug and is raised."""
    if isinstance(exc, StaleOrder):
        return True
    return getattr(getattr(exc, "orig", None), "sqlstate", None) in ("40P01", "40001")


class _InFlight(Exception):
    """Another copy of this request (same id) committed while we waited for it: replay its answer."""


def check_entry(entry: str) -> None:
    if entry not in ENTRIES:
        raise InvalidInput("Entry is 'scan' or 'manual'")


def check_request_id(request_id: str) -> None:
    if not _REQUEST_ID.match(request_id or ""):
        raise InvalidInput("A request id of 8 to 64 letters, digits or -_.: is required")


def mutate(
    db: Database,
    actor: Actor | None,
    request_id: str,
    operation: str,
    result_type: type[T],
    fn: Callable[[Tx], T],
    now: datetime | None = None,
) -> T:
    """Run `fn` in one write transaction, at most once per request id.

    A repeated request id answers what the first call answered and changes nothing, also when
    the copies run at the same time; a lost optimistic-lock race is retried on fresh state, so
    the loser sees what the winner did.
    """
    check_request_id(request_id)
    for attempt in range(_ATTEMPTS):
        try:
            with db.write() as session:
                conn = session.connection()
                # A new id is the rule, so the first round claims it straight away; the rounds after
                # a clash read the answer recorded under it.
                if attempt:
                    done = conn.execute(_RECORDED, {"rid": request_id}).first()
                    if done is not None:
                        if done.operation != operation or done.associate_id != (actor.id if actor else None):
                            raise RequestIdReused("That request id was already used for something else")
                        return result_type.model_validate_json(done.result)
                tx = Tx(session, actor, now or utcnow())
                # Claim the request id before any work: a copy of this request already in flight
                # (a client's retry after its timeout) holds the key, so on PostgreSQL we wait here
                # for it to commit and then answer what it answered (SQLite's BEGIN IMMEDIATE has
                # already made us wait). If it rolled back instead, the key is ours.
                try:
                    conn.execute(_CLAIM_REQUEST, {"request_id": request_id, "associate_id": actor.id if actor else None,
                                                  "operation": operation, "result": "{}", "created_at": tx.now})
                except IntegrityError:  # only this row is being written: the clash is on its key
                    raise _InFlight from None
                result = fn(tx)
                tx.finish()
                conn.execute(_ANSWER_REQUEST, {"rid": request_id, "answer": result.model_dump_json()})
            return result
        except _InFlight:
            continue  # the next round reads the recorded answer
        except (StaleOrder, DBAPIError) as exc:
            if not _retryable(exc):
                raise
            if attempt == _ATTEMPTS - 1:
                raise StaleOrder("The order is busy on another terminal; try again") from None
            time.sleep(random.uniform(0.001, 0.01) * (attempt + 1))  # let the winner finish
    raise StaleOrder("The order is busy on another terminal; try again")  # in flight on every round
