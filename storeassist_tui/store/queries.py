"""Read side: counts, queues, search, order detail, timeline, the event feed, ETag revisions."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from storeassist_tui.order_status import ALL, OPEN, TO_PICK, OrderStatus
from storeassist_tui.schemas import SEARCH_MAX
from storeassist_tui.store import search
from storeassist_tui.store.db import Database, utcnow
from storeassist_tui.store.errors import InvalidInput, NotFound
from storeassist_tui.store.models import CheckIn, Order, OutboxEvent, Store
from storeassist_tui.store.roles import Actor
from storeassist_tui.store.text import clean
from storeassist_tui.store.views import (
    Counts,
    EventPage,
    EventView,
    HandoffEntry,
    HandoffQueue,
    OrderDetail,
    OrderPage,
    PickQueue,
    StageQueue,
    TimelineEntry,
    order_detail,
    summaries,
    timeline,
)


def _store(session: Session, actor: Actor, store_id: str) -> Store:
    actor.require_store(store_id, "store")
    store = session.get(Store, store_id)
    if store is None:
        raise NotFound("No such store")
    return store


def revision(db: Database, actor: Actor, store_id: str) -> int:
    """The store's change counter: the cheap part of a polling ETag."""
    with db.read() as session:
        return _store(session, actor, store_id).revision


def counts(db: Database, actor: Actor, store_id: str, now: datetime | None = None) -> Counts:
    now = now or utcnow()
    with db.read() as session:
        _store(session, actor, store_id)
        by_status = dict(
            session.exec(
                select(Order.status, func.count()).where(Order.store_id == store_id).group_by(col(Order.status))
            ).all()
        )
        overdue = session.exec(
            select(func.count()).where(
                Order.store_id == store_id, col(Order.status).in_(TO_PICK), Order.due_at < now
            )
        ).one()
        # The hand-off queue's two parts: customers here (any open order), ready orders nobody came for.
        waiting, staged_waiting = session.exec(
            select(func.count(), func.count().filter(col(Order.status) == OrderStatus.STAGED))
            .select_from(Order)
            .join(CheckIn, col(CheckIn.order_id) == col(Order.id))
            .where(Order.store_id == store_id, col(Order.status).in_(OPEN))
        ).one()
    return Counts(
        store_id=store_id,
        to_pick=sum(by_status.get(s, 0) for s in TO_PICK),
        overdue=overdue,
        to_stage=by_status.get(OrderStatus.PICKED, 0),
        waiting=waiting,
        ready=by_status.get(OrderStatus.STAGED, 0) - staged_waiting,
        open_orders=sum(by_status.get(s, 0) for s in OPEN),
        all_orders=sum(by_status.values()),
    )


def pick_queue(db: Database, actor: Actor, store_id: str, limit: int = 200, now: datetime | None = None) -> PickQueue:
    """Open orders by due time: the overdue ones come first because they are due earliest."""
    now = now or utcnow()
    limit = max(1, min(limit, 500))
    with db.read() as session:
        _store(session, actor, store_id)
        where = (Order.store_id == store_id, col(Order.status).in_(TO_PICK))
        orders = list(session.exec(select(Order).where(*where).order_by(col(Order.due_at), col(Order.id)).limit(limit)))
        total = session.exec(select(func.count()).select_from(Order).where(*where)).one()
        overdue = session.exec(select(func.count()).select_from(Order).where(*where, Order.due_at < now)).one()
        return PickQueue(store_id=store_id, overdue=overdue, total=total, orders=summaries(session, orders))


def stage_queue(db: Database, actor: Actor, store_id: str, limit: int = 200) -> StageQueue:
    """Picked orders waiting to be staged, oldest first; then the staged ones, oldest first (the
    Stage screen moves them: a new location is recorded with the old one)."""
    limit = max(1, min(limit, 500))
    with db.read() as session:
        _store(session, actor, store_id)
        found: dict[str, tuple[list[Order], int]] = {}
        for status, when in ((OrderStatus.PICKED, Order.picked_at), (OrderStatus.STAGED, Order.staged_at)):
            where = (Order.store_id == store_id, Order.status == status)
            rows = list(session.exec(select(Order).where(*where).order_by(col(when), col(Order.id)).limit(limit)))
            total = len(rows) if len(rows) < limit else session.exec(
                select(func.count()).select_from(Order).where(*where)).one()
            found[status] = rows, total
        return StageQueue(store_id=store_id, total=found["picked"][1], orders=summaries(session, found["picked"][0]),
                          staged_total=found["staged"][1], staged=summaries(session, found["staged"][0]))


def handoff_queue(db: Database, actor: Actor, store_id: str, now: datetime | None = None) -> HandoffQueue:
    """Checked-in customers, longest wait first; then ready orders nobody has come for yet."""
    now = now or utcnow()
    with db.read() as session:
        _store(session, actor, store_id)
        rows = list(
            session.exec(
                select(Order, CheckIn)
                .join(CheckIn, col(CheckIn.order_id) == col(Order.id), isouter=True)
                .where(Order.store_id == store_id, col(Order.status).in_(OPEN))
                .where(or_(col(Order.status) == OrderStatus.STAGED, col(CheckIn.order_id).is_not(None)))
            )
        )
        sums = {s.id: s for s in summaries(session, [o for o, _ in rows])}
    arrived = sorted(((o, c) for o, c in rows if c is not None), key=lambda r: r[1].arrived_at)
    ready = sorted(((o, c) for o, c in rows if c is None), key=lambda r: r[0].staged_at or now)
    return HandoffQueue(
        store_id=store_id,
        checked_in=[
            HandoffEntry(order=sums[o.id or 0], waiting_since=c.arrived_at,
                         wait_seconds=int((now - c.arrived_at).total_seconds()))
            for o, c in arrived
        ],
        ready=[HandoffEntry(order=sums[o.id or 0], waiting_since=None, wait_seconds=None) for o, _ in ready],
    )


def search_orders(
    db: Database, actor: Actor, store_id: str, q: str = "", status: str = "", offset: int = 0, limit: int = 50
) -> OrderPage:
    """Newest first; q matches the order number, or a name, e-mail or phone (any part: store/search.py)."""
    q = clean(q).lower()
    if len(q) > SEARCH_MAX:
        raise InvalidInput(f"Search: at most {SEARCH_MAX} characters")
    statuses = [s for s in status.split(",") if s] if status else []
    if any(s not in ALL for s in statuses):
        raise InvalidInput(f"Status is one of {', '.join(ALL)}")
    limit = max(1, min(limit, 200))
    offset = max(0, offset)
    with db.read() as session:
        _store(session, actor, store_id)
        found = search.find(session, store_id, statuses, q, offset, limit)
        return OrderPage(store_id=store_id, total=found.total, offset=found.offset,
                         orders=summaries(session, found.orders))


def get_order(db: Database, actor: Actor, order_id: int) -> OrderDetail:
    with db.read() as session:
        o = session.get(Order, order_id)
        if o is None:
            raise NotFound("No such order")
        actor.require_store(o.store_id)
        return order_detail(session, o)


def find_order(db: Database, actor: Actor, number: str, store_id: str = "") -> OrderDetail:
    """An order by its number (typed or scanned) in the associate's stores, or in `store_id` only
    (a terminal works for one store: another store's order is not handed off or staged there)."""
    number = clean(number).strip()
    if store_id:
        actor.require_store(store_id, "store")
    with db.read() as session:
        mine = Order.store_id == store_id if store_id else col(Order.store_id).in_(sorted(actor.store_ids))
        o = None
        # As printed, then upper-case: a number typed in lower case on a terminal still finds it.
        for candidate in dict.fromkeys((number, number.upper())):
            o = session.exec(select(Order).where(Order.number == candidate, mine)).first()
            if o is not None:
                break
        if o is None:
            raise NotFound(f"No order {number[:30]} in {'this store' if store_id else 'your stores'}")
        return order_detail(session, o)


def order_timeline(db: Database, actor: Actor, order_id: int) -> list[TimelineEntry]:
    with db.read() as session:
        o = session.get(Order, order_id)
        if o is None:
            raise NotFound("No such order")
        actor.require_store(o.store_id)
        return timeline(session, order_id)


def events(db: Database, after: int = 0, limit: int = 100, store_id: str = "") -> EventPage:
    limit = max(1, min(limit, 1000))
    with db.read() as session:
        stmt = select(OutboxEvent).where(col(OutboxEvent.id) > after)
        if store_id:
            stmt = stmt.where(OutboxEvent.store_id == store_id)
        rows = list(session.exec(stmt.order_by(col(OutboxEvent.id)).limit(limit)))
    return EventPage(
        events=[
            EventView(cursor=e.id or 0, event_id=e.event_id, type=e.type, store_id=e.store_id, order_id=e.order_id,
                      order_number=e.order_number, created_at=e.created_at, payload=json.loads(e.payload))
            for e in rows
        ],
        next_cursor=(rows[-1].id or 0) if rows else after,
    )
