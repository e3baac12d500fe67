"""Refunds: one record per reason; pending ones are issued when the order is staged or closed.
No order is ever refunded more than was paid for it."""

from __future__ import annotations

from sqlmodel import select

from storeassist_tui import weights
from storeassist_tui.order_status import OrderStatus, Step
from storeassist_tui.store.models import Order, OrderLine, Refund
from storeassist_tui.store.txn import Tx, move_order


def line_cents(line: OrderLine, units: int) -> int:
    """What `units` of a line cost. A weighed line is one unit, priced by what its labels weighed
    (what the platform invoices), or by the amount ordered while nothing is weighed yet."""
    if not weights.is_weighed(line.uom):
        return units * line.unit_price_cents
    return units * weights.price_cents(line.unit_price_cents, line.weight_picked_milli or line.weight_milli)


def _refunded(tx: Tx, order: Order) -> tuple[int, int]:
    rows = list(tx.session.exec(select(Refund).where(Refund.order_id == order.id)))
    return sum(r.amount_cents for r in rows), sum(r.quantity for r in rows)


def add_refund(tx: Tx, order: Order, reason: str, quantity: int, amount_cents: int,
               line_id: int | None = None, *, issue: bool = False) -> None:
    """Record a refund, capped at what is left of the payment (discounts make line prices add
    up to more than was paid); issued at once, or pending until staging."""
    paid_back, _ = _refunded(tx, order)
    amount = max(0, min(amount_cents, order.total_cents - paid_back))
    tx.session.add(Refund(order_id=order.id or 0, line_id=line_id, reason=reason, quantity=quantity,
                          amount_cents=amount, created_at=tx.now))
    tx.session.flush()
    if issue:
        issue_pending(tx, order)


def issue_pending(tx: Tx, order: Order) -> list[Refund]:
    pending = list(tx.session.exec(select(Refund).where(Refund.order_id == order.id, Refund.state == "pending")))
    for r in pending:
        r.state, r.issued_at = "issued", tx.now
        tx.session.add(r)
        tx.emit(order, "refund_issued", refund_id=r.id, reason=r.reason, quantity=r.quantity,
                amount_cents=r.amount_cents)
    return pending


def close_with_refunds(tx: Tx, order: Order, step: Step, status: OrderStatus, why: str, **event: object) -> None:
    """Close the order (canceled or expired) and give back everything not yet refunded."""
    issue_pending(tx, order)
    paid_back, units_back = _refunded(tx, order)
    left_cents, left_units = order.total_cents - paid_back, order.units - units_back
    if left_cents > 0 or left_units > 0:
        add_refund(tx, order, "expired" if status == "expired" else "canceled", max(left_units, 0),
                   max(left_cents, 0), issue=True)
    move_order(order, step, status)
    order.closed_at, order.close_reason = tx.now, why
    tx.session.add(order)
    tx.audit(order, status, reason=why, **event)  # type: ignore[arg-type]
    tx.emit(order, status, reason=why, **event)
