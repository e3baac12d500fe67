"""The commerce platform cancels an order (its order/cancel call): at once in the store, refunded
as a store cancel is; refused (an event says why) when the order was handed over or is closed."""

from __future__ import annotations

import uuid

from pydantic import BaseModel
from sqlmodel import select

from storeassist_tui import order_status as status
from storeassist_tui.order_status import OPEN, OrderStatus, word
from storeassist_tui.store.db import Database
from storeassist_tui.store.errors import PLATFORM_CANCEL_REASON, NotFound
from storeassist_tui.store.models import Order, OutboxEvent
from storeassist_tui.store.refunds import close_with_refunds
from storeassist_tui.store.txn import Tx, mutate

CANCELLED, ALREADY, REFUSED = "canceled", "already_canceled", "refused"


class PlatformCancel(BaseModel):
    orderId: str
    status: str  # canceled | already_canceled | refused
    message: str


def _find(tx: Tx, number: str, store_id: str) -> Order:
    o = tx.session.exec(select(Order).where(Order.number == number).with_for_update()).first()
    if o is None or (store_id and o.store_id != store_id):
        raise NotFound(f"No order {number[:64]} in store {store_id[:64]}" if store_id else f"No order {number[:64]}")
    return o


def cancel_by_platform(db: Database, number: str, store_id: str, reason_code: object = None) -> PlatformCancel:
    """Cancel the order in the store now (refunds as a store cancel; event `canceled` by platform).
    Handed over or closed: nothing changes, and a `cancel_refused` event carries the reason.
    Sent again: the same answer, nothing more happens."""

    def run(tx: Tx) -> PlatformCancel:
        o = _find(tx, number, store_id)
        if o.status == OrderStatus.CANCELED and o.close_reason == PLATFORM_CANCEL_REASON:
            return PlatformCancel(orderId=o.number, status=ALREADY, message=f"Order {o.number} is already cancelled")
        tx.lock(o)
        if o.status in OPEN:
            close_with_refunds(tx, o, status.CANCEL_ORDER, OrderStatus.CANCELED, PLATFORM_CANCEL_REASON, by="platform",
                               cancel_reason_code=reason_code)
            tx.session.flush()
            return PlatformCancel(orderId=o.number, status=CANCELLED, message=f"Order {o.number} cancelled")
        reason = (f"Order {o.number} was already handed over to the customer" if o.status == OrderStatus.DISPENSED
                  else f"Order {o.number} is already {word(o.status)} in the store")
        told = tx.session.exec(select(OutboxEvent.id).where(OutboxEvent.order_id == o.id,
                                                            OutboxEvent.type == "cancel_refused")).first()
        if told is None:  # a repeated cancel changes nothing: the refusal is sent once
            tx.audit(o, "cancel_refused", by="platform", reason=reason)
            tx.emit(o, "cancel_refused", reason=reason, status=o.status)
        return PlatformCancel(orderId=o.number, status=REFUSED, message=reason)

    return mutate(db, None, f"platform-cancel-{uuid.uuid4().hex}", "platform_cancel", PlatformCancel, run)
