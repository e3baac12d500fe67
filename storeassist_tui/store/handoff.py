"""Hand-off: the customer's check-in (by link or by an associate) and dispensing."""

from __future__ import annotations

import json
import uuid

from pydantic import Field, field_validator
from sqlmodel import select

from storeassist_tui import order_status as status
from storeassist_tui import weights
from storeassist_tui.order_status import OrderStatus
from storeassist_tui.schemas import CHECKIN_NOTE_MAX, SIGNATURE_MAX
from storeassist_tui.store import checkin_tokens
from storeassist_tui.store.db import Database
from storeassist_tui.store.errors import Forbidden, InvalidInput, NotFound
from storeassist_tui.store.models import CheckIn, Order, Store
from storeassist_tui.store.refunds import add_refund, close_with_refunds, line_cents
from storeassist_tui.store.roles import DISPENSE, Actor
from storeassist_tui.store.text import CleanModel
from storeassist_tui.store.txn import Tx, move_order, mutate, require_step
from storeassist_tui.store.views import (
    CheckInView,
    OrderDetail,
    checkin_view,
    order_detail,
    order_lines,
)


class CheckInForm(CleanModel):
    location: str = "in_store"  # in_store | curbside
    spot: str = Field(default="", max_length=40)
    car_make: str = Field(default="", max_length=60)
    car_colour: str = Field(default="", max_length=40)
    note: str = Field(default="", max_length=CHECKIN_NOTE_MAX)

    @field_validator("location")
    @classmethod
    def _where(cls, v: str) -> str:
        if v not in ("in_store", "curbside"):
            raise ValueError("in_store or curbside")
        return v


def _store_spot(store: Store, spot: str) -> str:
    """One of the store's parking spots (in its spelling), or 'other ...' with the customer's words;
    a store that lists no spots takes any text."""
    spots: list[str] = json.loads(store.parking_spots or "[]")
    if not spots or spot.lower().startswith("other"):
        return spot
    for known in spots:
        if known.lower() == spot.lower():
            return known
    raise InvalidInput(f"No parking spot {spot[:20]} here: choose {', '.join(spots[:12])} or other")


def _apply_checkin(tx: Tx, o: Order, form: CheckInForm, by: str) -> CheckInView:
    require_step(o, status.CHECK_IN)
    store = tx.session.get(Store, o.store_id)
    assert store is not None
    if form.location == "curbside":
        if not store.curbside_enabled:
            raise InvalidInput("This store has no curbside pickup; please come inside")
        if not form.spot:
            raise InvalidInput("Choose your parking spot")
        form = form.model_copy(update={"spot": _store_spot(store, form.spot)})
    c = tx.session.get(CheckIn, o.id)
    first = c is None
    if c is None:
        c = CheckIn(order_id=o.id or 0, arrived_at=tx.now)
    c.location, c.spot, c.car_make, c.car_colour, c.note = (
        form.location, form.spot if form.location == "curbside" else "", form.car_make, form.car_colour, form.note,
    )
    c.by, c.associate_id, c.updated_at = by, tx.actor.id if tx.actor else None, tx.now
    tx.session.add(c)
    tx.audit(o, "checked_in" if first else "checkin_updated", entry="manual" if by == "associate" else "",
             **form.model_dump())
    if first:
        tx.emit(o, "checked_in", **form.model_dump())
    tx.session.flush()
    view = checkin_view(c)
    assert view is not None
    return view


def customer_checkin(db: Database, token: str, form: CheckInForm, secret_key: str = "") -> CheckInView:
    """Check-in from the customer's link; submitting again updates the same check-in."""
    order_id = checkin_tokens.order_id_of(token)

    def run(tx: Tx) -> CheckInView:
        o = tx.session.get(Order, order_id) if order_id is not None else None
        if o is None or not checkin_tokens.verify(checkin_tokens.secret(tx.session, secret_key), o, token):
            raise NotFound("This check-in link is not valid")
        tx.lock(o)
        return _apply_checkin(tx, o, form, "customer")

    return mutate(db, None, f"checkin-{uuid.uuid4().hex}", "customer_checkin", CheckInView, run)


def associate_checkin(db: Database, actor: Actor, order_id: int, form: CheckInForm, request_id: str) -> CheckInView:
    """A customer who arrived without checking in, checked in by an associate."""
    actor.require(DISPENSE)

    def run(tx: Tx) -> CheckInView:
        return _apply_checkin(tx, tx.order(order_id), form, "associate")

    return mutate(db, actor, request_id, "associate_checkin", CheckInView, run)


class DispenseForm(CleanModel):
    rejected: dict[int, int] = Field(default_factory=dict, max_length=500)  # line id -> units refused
    signature: str = Field(default="", max_length=SIGNATURE_MAX)  # the customer's typed name
    id_checked: bool = False


def dispense(db: Database, actor: Actor, order_id: int, form: DispenseForm, request_id: str) -> OrderDetail:
    """Hand the order over: all of it, or less the rejected units (refunded)."""
    actor.require(DISPENSE)
    signature = form.signature

    def run(tx: Tx) -> OrderDetail:
        o = tx.order(order_id)
        require_step(o, status.HAND_OFF)
        store = tx.session.get(Store, o.store_id)
        assert store is not None
        lines = {ln.id: ln for ln in order_lines(tx.session, o.id or 0)}
        rejected = {k: v for k, v in form.rejected.items() if v}
        if rejected and not store.rejection_allowed:
            raise Forbidden("This store does not allow rejecting items at pickup")
        for line_id, qty in rejected.items():
            ln = lines.get(line_id)
            if ln is None:
                raise NotFound(f"No such line in order {o.number}")
            if not 0 <= qty <= ln.picked:
                raise InvalidInput(f"Reject 0 to {ln.picked} of {ln.description[:30]}")
        handing_over = any(ln.picked - rejected.get(ln.id or 0, 0) > 0 for ln in lines.values())
        # ID and signature are for taking goods away: when every item is rejected nothing is handed over.
        if handing_over and store.id_check_required and not form.id_checked:
            raise InvalidInput("This store requires an ID check before hand-off")
        if handing_over and store.signature_required and not signature:
            raise InvalidInput("This store requires the customer's signature (typed name)")
        result: list[dict[str, int]] = []
        for ln in lines.values():
            ln.rejected = rejected.get(ln.id or 0, 0)
            ln.dispensed = ln.picked - ln.rejected
            tx.session.add(ln)
            if ln.rejected:
                add_refund(tx, o, "rejected", ln.rejected, line_cents(ln, ln.rejected), ln.id, issue=True)
            result.append({"lineNbr": ln.line_nbr, "dispensed": ln.dispensed, "rejected": ln.rejected,
                           **({"weight_milli": ln.weight_picked_milli} if ln.dispensed and weights.is_weighed(ln.uom)
                              else {})})
        tx.audit(o, "dispensed", signature=signature, id_checked=form.id_checked,
                 rejected={str(lines[k].line_nbr): v for k, v in rejected.items()})
        tx.emit(o, "dispensed", lines=result)
        if any(ln.dispensed for ln in lines.values()):
            move_order(o, status.HAND_OFF, OrderStatus.DISPENSED)
            o.dispensed_at = tx.now
            tx.session.add(o)
        else:
            close_with_refunds(tx, o, status.HAND_OFF, OrderStatus.CANCELED, "all items rejected at pickup")
        tx.session.flush()
        return order_detail(tx.session, o)

    return mutate(db, actor, request_id, "dispense", OrderDetail, run)


def checkin_by_number(db: Database, store_id: str, number: str, form: CheckInForm) -> CheckInView:
    """The customer's check-in as the commerce platform relays it (its order number and pickup
    point): the same check-in as from the customer's own link. A curbside spot the store does not
    list is kept as the customer's words ("Other: ..."); a store without curbside takes them inside."""

    def run(tx: Tx) -> CheckInView:
        o = tx.session.exec(select(Order).where(Order.number == number, Order.store_id == store_id)).first()
        if o is None:
            raise NotFound(f"No order {number[:64]} in store {store_id[:64]}")
        tx.lock(o)
        store = tx.session.get(Store, o.store_id)
        assert store is not None
        f = form
        if f.location == "curbside" and not store.curbside_enabled:
            car = " ".join(p for p in (f.spot, f.car_colour, f.car_make, f.note) if p)
            f = CheckInForm(location="in_store", note=car[:100])
        elif f.location == "curbside":
            spots: list[str] = json.loads(store.parking_spots or "[]")
            listed = not spots or any(s.lower() == f.spot.lower() for s in spots)
            if not f.spot or f.spot.lower().startswith("other"):
                f = f.model_copy(update={"spot": f.spot or "Other"})
            elif not listed:
                f = f.model_copy(update={"spot": f"Other: {f.spot}"[:40]})
        return _apply_checkin(tx, o, f, "customer")

    return mutate(db, None, f"checkin-{uuid.uuid4().hex}", "customer_checkin", CheckInView, run)
