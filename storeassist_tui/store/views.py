"""What the use cases return: typed, JSON-ready views of the rows (shapes: storeassist_tui.schemas)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlmodel import Session, col, select

from storeassist_tui.order_status import OrderStatus

# The shapes live in storeassist_tui.schemas (the client parses the same classes); they are named
# here too (__all__ at the end), so that the use cases and routes keep importing them from the views.
from storeassist_tui.schemas import (
    CheckInView,
    CodeView,
    Counts,
    EventPage,
    EventView,
    HandoffEntry,
    HandoffQueue,
    LineView,
    OrderDetail,
    OrderPage,
    OrderSummary,
    PickQueue,
    RefundView,
    ScanResult,
    StageQueue,
    TimelineEntry,
)
from storeassist_tui.store.models import Associate, AuditEvent, CheckIn, Order, OrderLine, Refund
from storeassist_tui.store.pick_rules import closes_when_finished


def line_view(line: OrderLine) -> LineView:
    return LineView(
        id=line.id or 0,
        line_nbr=line.line_nbr,
        sku=line.sku,
        description=line.description,
        quantity=line.quantity,
        picked=line.picked,
        not_found=line.not_found,
        pending=line.quantity - line.picked - line.not_found,
        dispensed=line.dispensed,
        rejected=line.rejected,
        unit_price_cents=line.unit_price_cents,
        size=line.size,
        colour=line.colour,
        fit=line.fit,
        image_url=line.image_url,
        department=line.department,
        dept_seq=line.dept_seq,
        aisle=line.aisle,
        codes=[CodeView(**c) for c in json.loads(line.codes)],
        substitution_allowed=line.substitution_allowed,
        uom=line.uom,
        weight_milli=line.weight_milli,
        weight_picked_milli=line.weight_picked_milli,
    )


def checkin_view(c: CheckIn | None) -> CheckInView | None:
    if c is None:
        return None
    return CheckInView(
        arrived_at=c.arrived_at, location=c.location, spot=c.spot, car_make=c.car_make,
        car_colour=c.car_colour, note=c.note, by=c.by,
    )


def _summary_fields(order: Order, claimer: str | None, checkin: CheckIn | None) -> dict[str, object]:
    return dict(
        id=order.id, number=order.number, store_id=order.store_id, customer_name=order.customer_name,
        dispatch=order.dispatch, status=order.status, placed_at=order.placed_at, due_at=order.due_at,
        units=order.units, line_count=order.line_count, claimed_by=order.claimed_by,
        claimed_by_name=claimer, batch_id=order.batch_id, staging_location=order.staging_location,
        staged_at=order.staged_at, checkin=checkin_view(checkin),
    )


def summaries(session: Session, orders: list[Order]) -> list[OrderSummary]:
    """Summaries of many orders with two extra queries in all, not two per order."""
    claimer_ids = {o.claimed_by for o in orders if o.claimed_by}
    names: dict[int, str] = {}
    if claimer_ids:
        for a in session.exec(select(Associate).where(col(Associate.id).in_(claimer_ids))):
            names[a.id or 0] = a.display_name
    ids = [o.id for o in orders]
    checkins: dict[int, CheckIn] = {}
    if ids:
        for c in session.exec(select(CheckIn).where(col(CheckIn.order_id).in_(ids))):
            checkins[c.order_id] = c
    return [
        OrderSummary(**_summary_fields(o, names.get(o.claimed_by or 0), checkins.get(o.id or 0)))  # type: ignore[arg-type]
        for o in orders
    ]


def walk_sorted(lines: list[OrderLine]) -> list[OrderLine]:
    """The lines in walking order: aisle/location first, then department, then line number."""
    return sorted(lines, key=lambda ln: (ln.aisle == "", ln.aisle, ln.dept_seq, ln.department, ln.line_nbr))


def order_lines(session: Session, order_id: int) -> list[OrderLine]:
    """The order's lines in walking order (`walk_sorted`)."""
    return walk_sorted(list(session.exec(select(OrderLine).where(OrderLine.order_id == order_id))))


@dataclass
class Known:
    """What a use case already holds of an order (the scan reads it all in one query), so that
    `order_detail` does not read it again."""

    lines: list[OrderLine]  # in walking order
    checkin: CheckIn | None
    claimer_name: str | None


def order_detail(session: Session, order: Order, known: Known | None = None) -> OrderDetail:
    if known is None:
        claimer = session.get(Associate, order.claimed_by) if order.claimed_by else None
        known = Known(order_lines(session, order.id or 0), session.get(CheckIn, order.id),
                      claimer.display_name if claimer else None)
    lines, checkin = known.lines, known.checkin
    refunds = session.exec(select(Refund).where(Refund.order_id == order.id).order_by(col(Refund.id)))
    return OrderDetail(
        **_summary_fields(order, known.claimer_name, checkin),  # type: ignore[arg-type]
        customer_phone=order.customer_phone, customer_email=order.customer_email,
        alt_name=order.alt_name, alt_phone=order.alt_phone, alt_email=order.alt_email,
        total_cents=order.total_cents, bags=order.bags, picked_at=order.picked_at,
        dispensed_at=order.dispensed_at, closed_at=order.closed_at, close_reason=order.close_reason,
        version=order.version, source=order.source, customer_order_id=order.customer_order_id, notes=order.notes,
        closes_when_finished=order.status == OrderStatus.PICKING and closes_when_finished(sum(ln.picked for ln in lines)),
        lines=[line_view(ln) for ln in lines],
        refunds=[
            RefundView(id=r.id or 0, line_id=r.line_id, reason=r.reason, quantity=r.quantity,
                       amount_cents=r.amount_cents, state=r.state, issued_at=r.issued_at)
            for r in refunds
        ],
    )


def _who_without_associate(action: str) -> str:
    """A check-in nobody at the store made came from the customer's link; the rest is the system's
    (intake, expiry)."""
    return "customer" if action in ("checked_in", "checkin_updated") else "system"


def timeline(session: Session, order_id: int) -> list[TimelineEntry]:
    rows = session.exec(
        select(AuditEvent, Associate)
        .join(Associate, col(AuditEvent.associate_id) == col(Associate.id), isouter=True)
        .where(AuditEvent.order_id == order_id)
        .order_by(col(AuditEvent.id))
    )
    return [
        TimelineEntry(at=ev.at, who=a.display_name if a else _who_without_associate(ev.action), action=ev.action,
                      entry=ev.entry, detail=json.loads(ev.detail))
        for ev, a in rows
    ]


# Re-exported: the shapes of storeassist_tui.schemas, and the builders of this module.
__all__ = [
    "CheckInView", "CodeView", "Counts", "EventPage", "EventView", "HandoffEntry", "HandoffQueue", "Known",
    "LineView", "OrderDetail", "OrderPage", "OrderSummary", "PickQueue", "RefundView", "ScanResult", "StageQueue",
    "TimelineEntry", "checkin_view", "line_view", "order_detail", "order_lines", "summaries", "timeline",
    "walk_sorted",
]
