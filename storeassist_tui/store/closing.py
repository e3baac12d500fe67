"""Cancelling an order (permission, reason) and expiring staged orders past the clean-up window."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlmodel import col, select

from storeassist_tui import order_status as status
from storeassist_tui.order_status import OrderStatus
from storeassist_tui.store.db import Database, utcnow
from storeassist_tui.store.errors import InvalidInput, WrongState
from storeassist_tui.store.models import Order, Store
from storeassist_tui.store.refunds import close_with_refunds
from storeassist_tui.store.roles import CANCEL, Actor
from storeassist_tui.store.text import clean
from storeassist_tui.store.txn import Tx, mutate, require_step
from storeassist_tui.store.views import OrderDetail, order_detail


def cancel(db: Database, actor: Actor, order_id: int, reason: str, request_id: str) -> OrderDetail:
    actor.require(CANCEL)
    why = clean(reason)
    if not why:
        raise InvalidInput("Give a reason for cancelling")
    if len(why) > 200:
        raise InvalidInput("Reason: at most 200 characters")

    def run(tx: Tx) -> OrderDetail:
        o = tx.order(order_id)
        require_step(o, status.CANCEL_ORDER)
        close_with_refunds(tx, o, status.CANCEL_ORDER, OrderStatus.CANCELED, why)
        tx.session.flush()
        return order_detail(tx.session, o)

    return mutate(db, actor, request_id, "cancel", OrderDetail, run)


def expire_due(db: Database, now: datetime | None = None) -> list[str]:
    """Expire every staged order left longer than its store's clean-up window; returns the numbers."""
    now = now or utcnow()
    with db.read() as session:
        rows = session.exec(
            select(Order.id, Order.staged_at, Store.cleanup_days)
            .join(Store, col(Store.id) == col(Order.store_id))
            .where(Order.status == OrderStatus.STAGED)
        ).all()
    due = [oid for oid, staged_at, days in rows if staged_at and staged_at + timedelta(days=days) <= now]
    expired: list[str] = []
    for oid in due:
        def run(tx: Tx, oid: int | None = oid) -> OrderDetail:
            o = tx.order(oid or 0)
            require_step(o, status.EXPIRE)
            close_with_refunds(tx, o, status.EXPIRE, OrderStatus.EXPIRED, "not collected within the clean-up window")
            tx.session.flush()
            return order_detail(tx.session, o)

        try:
            expired.append(mutate(db, None, f"expire-{uuid.uuid4().hex}", "expire", OrderDetail, run, now).number)
        except WrongState:
            continue  # collected or cancelled meanwhile
    return expired
