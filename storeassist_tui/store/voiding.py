"""Voiding a request the associate stopped waiting for, so that "Not saved" stays true.

A terminal that gave up on a request (the backend frozen, the link gone, Esc) cannot know whether
it arrived. It sends a void for that request id before anything else. If the request has not been
done, the void takes its id first: the request, arriving late, is refused as a reused id and
changes nothing. If it was done, a counted scan is taken back (the pick is still the associate's
and the units are still there); anything else that was done is reported as saved.
"""

from __future__ import annotations

import random
import time

from sqlalchemy.exc import IntegrityError

from storeassist_tui.order_status import OrderStatus
from storeassist_tui.schemas import VoidResult
from storeassist_tui.store.db import Database, utcnow
from storeassist_tui.store.errors import NotFound, StaleOrder
from storeassist_tui.store.models import Order, OrderLine, RequestRecord
from storeassist_tui.store.picking import weight_bounds
from storeassist_tui.store.roles import Actor
from storeassist_tui.store.txn import Tx, check_request_id
from storeassist_tui.store.views import ScanResult

VOIDED = "voided"  # the operation recorded under a voided request id: a late copy is refused
_ATTEMPTS = 8


def _take_back_scan(tx: Tx, record: RequestRecord) -> VoidResult:
    scan = ScanResult.model_validate_json(record.result)
    rid = record.request_id
    order = tx.session.get(Order, scan.order_id)
    line = tx.session.get(OrderLine, scan.line_id)
    assert tx.actor is not None
    if order is None or line is None:
        return VoidResult(request_id=rid, voided=False, saved=True, message="The scan was saved")
    what = line.description[:30]
    if (order.status != OrderStatus.PICKING or order.claimed_by != tx.actor.id or line.picked < scan.counted
            or line.weight_picked_milli < scan.weight_milli):
        return VoidResult(request_id=rid, voided=False, saved=True,
                          message=f"The scan of {what} was saved: order {order.number} has moved on")
    tx.lock(order)
    line.picked -= scan.counted
    if scan.weight_milli:  # a scale label: the line is complete again only if what is left still makes it
        line.weight_picked_milli -= scan.weight_milli
        line.picked = int(line.weight_picked_milli >= weight_bounds(tx, order, line)[0])
    tx.session.add(line)
    tx.audit(order, "scan_voided", line=line.line_nbr, quantity=scan.counted, weight_milli=scan.weight_milli)
    record.operation = VOIDED
    tx.session.add(record)
    return VoidResult(request_id=rid, voided=True, saved=False,
                      message=f"The scan of {what} was taken back: scan it again")


def void_request(db: Database, actor: Actor, request_id: str) -> VoidResult:
    """Make `request_id` (one of this associate's) have no effect; idempotent."""
    check_request_id(request_id)
    for attempt in range(_ATTEMPTS):
        try:
            with db.write() as session:
                record = session.get(RequestRecord, request_id)
                if record is None:
                    # First: the request, if it ever arrives, finds its id taken and is refused.
                    session.add(RequestRecord(request_id=request_id, associate_id=actor.id, operation=VOIDED,
                                              result="{}", created_at=utcnow()))
                    session.flush()
                    return VoidResult(request_id=request_id, voided=True, saved=False, message="Not saved")
                if record.associate_id != actor.id:
                    raise NotFound("No such request")
                if record.operation == VOIDED:
                    return VoidResult(request_id=request_id, voided=True, saved=False, message="Not saved")
                if record.operation != "scan":
                    return VoidResult(request_id=request_id, voided=False, saved=True,
                                      message=f"It was saved ({record.operation.replace('_', ' ')})")
                tx = Tx(session, actor, utcnow())
                result = _take_back_scan(tx, record)
                tx.finish()
                session.flush()
                return result
        except (IntegrityError, StaleOrder):
            # The request itself committed while we looked: look again, it is there now.
            time.sleep(random.uniform(0.001, 0.01) * (attempt + 1))
    raise StaleOrder("The order is busy on another terminal; try again")
