"""Refunds: one record per reason; pending ones are issued when the order is staged or closed."""

from __future__ import annotations

from sqlmodel import select

from storeassist_tui.store.models import Order, Refund
from storeassist_tui.store.txn import Tx


def issue_pending(tx: Tx, order: Order) -> list[Refund]:
    pending = list(tx.session.exec(select(Refund).where(Refund.order_id == order.id, Refund.state == "pending")))
    for r in pending:
        r.state, r.issued_at = "issued", tx.now
        tx.session.add(r)
        tx.emit(order, "refund_issued", refund_id=r.id, reason=r.reason, quantity=r.quantity,
                amount_cents=r.amount_cents)
    return pending


def refund_now(tx: Tx, order: Order, reason: str, quantity: int, amount_cents: int, line_id: int | None = None) -> None:
    r = Refund(order_id=order.id or 0, line_id=line_id, reason=reason, quantity=quantity,
               amount_cents=amount_cents, created_at=tx.now)
    tx.session.add(r)
    tx.session.flush()
    issue_pending(tx, order)


def close_with_refunds(tx: Tx, order: Order, status: str, why: str) -> None:
    """Close the order (canceled or expired) and give back everything not yet refunded."""
    issue_pending(tx, order)
    refunds = list(tx.session.exec(select(Refund).where(Refund.order_id == order.id)))
    left_cents = order.total_cents - sum(r.amount_cents for r in refunds)
    left_units = order.units - sum(r.quantity for r in refunds)
    if left_cents > 0 or left_units > 0:
        refund_now(tx, order, "expired" if status == "expired" else "canceled", max(left_units, 0), max(left_cents, 0))
    order.status, order.closed_at, order.close_reason = status, tx.now, why
    tx.session.add(order)
    tx.audit(order, status, reason=why)
    tx.emit(order, status, reason=why)
