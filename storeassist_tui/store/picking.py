"""Picking: claim (one order or a batch), take-over, count a scan, not found, skip, finish."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, or_
from sqlmodel import col, select

from storeassist_tui import barcodes, weights
from storeassist_tui import order_status as status
from storeassist_tui.order_status import OrderStatus, Step
from storeassist_tui.schemas import MAX_BATCH, ClaimResult
from storeassist_tui.store.db import Database
from storeassist_tui.store.errors import (
    BadCode,
    ClaimedByOther,
    DomainError,
    InvalidInput,
    NotFound,
    OverPick,
    UnknownCode,
    WrongItem,
    WrongState,
)
from storeassist_tui.store.models import Associate, CatalogCode, CheckIn, Order, OrderLine, Store
from storeassist_tui.store.pick_rules import closes_when_finished
from storeassist_tui.store.refunds import add_refund, close_with_refunds, line_cents
from storeassist_tui.store.roles import PICK, Actor
from storeassist_tui.store.txn import Tx, check_entry, move_order, mutate, require_step
from storeassist_tui.store.views import Known, OrderDetail, ScanResult, order_detail, order_lines, walk_sorted


def _claimer_name(tx: Tx, order: Order) -> str:
    a = tx.session.get(Associate, order.claimed_by) if order.claimed_by else None
    return a.display_name if a else "another associate"


def _require_mine(tx: Tx, order: Order, step: Step = status.COUNT) -> None:
    """A change to a pick in progress: only by the associate who holds it."""
    require_step(order, step)
    assert tx.actor is not None
    if order.claimed_by != tx.actor.id:
        raise ClaimedByOther(f"{_claimer_name(tx, order)} is picking order {order.number}")


def claim(db: Database, actor: Actor, order_ids: list[int], request_id: str, take_over: bool = False) -> ClaimResult:
    """Start picking one order or a batch: all of them or none."""
    actor.require(PICK)
    ids = list(dict.fromkeys(order_ids))
    if not 1 <= len(ids) <= MAX_BATCH:
        raise InvalidInput(f"Pick 1 to {MAX_BATCH} orders at once")

    def run(tx: Tx) -> ClaimResult:
        orders = [tx.order(i) for i in ids]
        if len({o.store_id for o in orders}) > 1:
            raise InvalidInput("A batch takes orders of one store")
        batch_id = uuid.uuid4().hex[:12] if len(orders) > 1 else None
        for o in orders:
            require_step(o, status.CLAIM)
            previous = o.claimed_by
            if o.status == OrderStatus.PICKING and previous not in (None, actor.id):
                if not take_over:
                    raise ClaimedByOther(
                        f"{_claimer_name(tx, o)} is picking order {o.number}; take it over?",
                        claimed_by=_claimer_name(tx, o),
                    )
                tx.audit(o, "taken_over", previous=_claimer_name(tx, o))
            if o.status == OrderStatus.NEW:
                tx.emit(o, "pick_begun", associate=actor.username)
            if previous != actor.id:
                tx.audit(o, "claimed", batch=batch_id)
            move_order(o, status.CLAIM, OrderStatus.PICKING)
            o.claimed_by, o.claimed_at, o.batch_id = actor.id, tx.now, batch_id
            tx.session.add(o)
        tx.session.flush()
        return ClaimResult(batch_id=batch_id, orders=[order_detail(tx.session, o) for o in orders])

    return mutate(db, actor, request_id, "claim", ClaimResult, run)


def release(db: Database, actor: Actor, order_id: int, request_id: str) -> OrderDetail:
    """Put a pick back in the queue; what was counted stays counted."""
    actor.require(PICK)

    def run(tx: Tx) -> OrderDetail:
        o = tx.order(order_id)
        _require_mine(tx, o, status.RELEASE)
        started = any(ln.picked or ln.not_found for ln in order_lines(tx.session, o.id or 0))
        move_order(o, status.RELEASE, OrderStatus.PICKING if started else OrderStatus.NEW)
        o.claimed_by, o.claimed_at, o.batch_id = None, None, None
        tx.session.add(o)
        tx.audit(o, "released")
        tx.session.flush()
        return order_detail(tx.session, o)

    return mutate(db, actor, request_id, "release", OrderDetail, run)


def _keys_of(code: str) -> tuple[str, set[str], barcodes.Scan | None]:
    """The scan's text, match keys and reading; a bad check digit may still be a numeric SKU."""
    try:
        scan = barcodes.interpret(code)
        return scan.text, set(scan.keys), scan
    except barcodes.BadCheckDigit as exc:
        text = barcodes.clean_scan(code)
        return text, {barcodes.sku_key(text), f"!{exc}"}, None
    except barcodes.BarcodeError as exc:
        raise BadCode(str(exc)) from None


def _item_name_in_store(tx: Tx, store_id: str, keys: set[str]) -> str:
    """The text of a line of the store's own orders that carries one of `keys`, or "".

    The catalogue is chain-wide and keeps the text of whichever order brought a code first (it
    may be "Engraving for Jane Doe" of another store): an associate is told only what their
    store's own orders say. Runs only for a wrong item, so a scan of the store's lines is fine.
    """
    found = tx.session.exec(
        select(OrderLine.description)
        .join(Order, col(Order.id) == col(OrderLine.order_id))
        .where(Order.store_id == store_id,
               or_(*(col(OrderLine.match_keys).contains(json.dumps(k), autoescape=True) for k in sorted(keys))))
        .order_by(col(OrderLine.id).desc())
        .limit(1)
    ).first()
    return found or ""


# A scan reads its walk's orders, their lines and check-ins in one query (built once).
_WALK = (
    select(Order, OrderLine, CheckIn)
    .outerjoin(OrderLine, col(OrderLine.order_id) == col(Order.id))
    .outerjoin(CheckIn, col(CheckIn.order_id) == col(Order.id))
    .where(col(Order.id).in_(bindparam("ids", expanding=True)))
)


def _walk_orders(tx: Tx, order_ids: list[int]) -> dict[int, tuple[Order, Known]]:
    """The walk's orders by id, each with its lines (walking order), check-in and claimer's name."""
    found: dict[int, tuple[Order, Known]] = {}
    for o, ln, checkin in tx.session.exec(_WALK, params={"ids": list(dict.fromkeys(order_ids))}):
        if o.id not in found:
            mine = tx.actor is not None and o.claimed_by == tx.actor.id
            claimer = None if mine or not o.claimed_by else tx.session.get(Associate, o.claimed_by)
            name = tx.actor.display_name if tx.actor and mine else (claimer.display_name if claimer else None)
            found[o.id or 0] = (o, Known([], checkin, name))
        if ln is not None:
            found[o.id or 0][1].lines.append(ln)
    for _, known in found.values():
        known.lines = walk_sorted(known.lines)
    return found


def record_scan(
    db: Database, actor: Actor, order_ids: list[int], code: str, request_id: str,
    entry: str = "scan", quantity: int = 1, line_id: int | None = None,
) -> ScanResult:
    """Count `quantity` units of the item whose code was scanned or typed, in the walk's orders."""
    actor.require(PICK)
    check_entry(entry)
    if not 1 <= quantity <= 999:
        raise InvalidInput("Quantity must be 1 to 999")
    if not order_ids or len(order_ids) > MAX_BATCH:
        raise InvalidInput(f"Give 1 to {MAX_BATCH} orders")
    text, keys, scan = _keys_of(code)
    bad_check = next((k[1:] for k in keys if k.startswith("!")), None)

    def run(tx: Tx) -> ScanResult:
        found = _walk_orders(tx, order_ids)
        candidates: list[tuple[Order, OrderLine]] = []
        store_id = ""
        for oid in dict.fromkeys(order_ids):
            if oid not in found:
                raise NotFound("No such order")
            o, known = found[oid]
            actor.require_store(o.store_id)
            store_id = o.store_id
            _require_mine(tx, o)
            for ln in known.lines:
                if keys & set(json.loads(ln.match_keys)):
                    candidates.append((o, ln))
        if not candidates:
            if bad_check:
                raise BadCode(bad_check)
            catalogued = tx.session.exec(select(CatalogCode.key).where(col(CatalogCode.key).in_(keys))).first()
            if catalogued is not None:
                name = _item_name_in_store(tx, store_id, keys)
                raise WrongItem(f"Wrong item: {name[:40]} is not on this order" if name
                                else "Wrong item: it is not on this order")
            raise UnknownCode(f"Unknown code {text[:30]}: not an item of this order")
        if line_id is not None:
            candidates.sort(key=lambda c: c[1].id != line_id)  # the line on screen first
        open_ = [(o, ln) for o, ln in candidates if ln.quantity - ln.picked - ln.not_found > 0]
        if not open_:
            ln = candidates[0][1]
            if weights.is_weighed(ln.uom):
                raise OverPick(f"Over weight: {ln.description[:30]} is done ({weights.shown(ln.weight_picked_milli, ln.uom)}"
                               f" of {weights.shown(ln.weight_milli, ln.uom)})")
            raise OverPick(f"Over-pick: all {ln.quantity} of {ln.description[:30]} already done")
        o, ln = open_[0]
        known = found[o.id or 0][1]
        if weights.is_weighed(ln.uom):
            return _add_weight(tx, o, ln, known, scan, text, entry, quantity)
        pending = ln.quantity - ln.picked - ln.not_found
        if quantity > pending:
            raise OverPick(f"Over-pick: only {pending} more of {ln.description[:30]} needed")
        tx.lock(o)
        tx.write(ln, picked=ln.picked + quantity)
        tx.audit(o, "picked", entry=entry, line=ln.line_nbr, quantity=quantity, code=text[:64])
        return ScanResult(order=order_detail(tx.session, o, known), order_id=o.id or 0, line_id=ln.id or 0,
                          counted=quantity, entry=entry)

    return mutate(db, actor, request_id, "scan", ScanResult, run)


@dataclass(frozen=True)
class ScanRequest:
    """One scan of several sent together, with the request id it has alone."""

    code: str
    request_id: str
    entry: str = "scan"
    quantity: int = 1
    line_id: int | None = None


def record_scans(db: Database, actor: Actor, order_ids: list[int],
                 scans: Sequence[ScanRequest]) -> tuple[list[ScanResult], DomainError | None]:
    """Scans a terminal had waiting together (a wedge's burst): each counted by `record_scan`, in
    order, in its own transaction under its own request id, exactly as if sent one by one. The
    first refusal ends it (returned with the answers of those before): the terminal handles the
    scans after it one by one, after the refusal, as it would have."""
    done: list[ScanResult] = []
    for s in scans:
        try:
            done.append(record_scan(db, actor, order_ids, s.code, s.request_id, s.entry, s.quantity, s.line_id))
        except DomainError as exc:
            return done, exc
    return done, None


def weight_bounds(tx: Tx, o: Order, line: OrderLine) -> tuple[int, int]:
    """The least weight that completes `line` and the most it may take, at its store's tolerance."""
    store = tx.session.get(Store, o.store_id)
    return weights.bounds(line.weight_milli, store.weight_tolerance_pct if store else weights.DEFAULT_TOLERANCE_PCT)


def _add_weight(tx: Tx, o: Order, ln: OrderLine, known: Known, scan: barcodes.Scan | None, text: str, entry: str,
                quantity: int) -> ScanResult:
    """A scale label on a weighed line: its weight adds up towards the amount ordered; the line
    is complete once within the store's tolerance of it, and a label taking it past is refused."""
    milli = weights.scan_milli(scan, ln.uom, ln.unit_price_cents) if scan is not None else None
    if milli is None or quantity != 1:
        raise InvalidInput(f"Weighed item: scan the scale label of {ln.description[:30]} (weight or price)")
    if milli < 1:
        raise InvalidInput(f"The label of {ln.description[:30]} weighs nothing: scan it again or weigh it again")
    low, high = weight_bounds(tx, o, ln)
    total = ln.weight_picked_milli + milli
    if total > high:
        raise OverPick(f"Over weight: {weights.shown(total, ln.uom)} is more than "
                       f"{weights.shown(ln.weight_milli, ln.uom)} ordered allows (at most {weights.shown(high, ln.uom)})")
    tx.lock(o)
    counted = 1 if total >= low else 0
    tx.write(ln, weight_picked_milli=total, picked=ln.picked + counted)
    tx.audit(o, "picked", entry=entry, line=ln.line_nbr, quantity=counted, weight_milli=milli, code=text[:64])
    return ScanResult(order=order_detail(tx.session, o, known), order_id=o.id or 0, line_id=ln.id or 0,
                      counted=counted, entry=entry, weight_milli=milli)


def _line_of(tx: Tx, order: Order, line_id: int) -> OrderLine:
    line = tx.session.get(OrderLine, line_id)
    if line is None or line.order_id != order.id:
        raise NotFound(f"No such line in order {order.number}")
    return line


def mark_not_found(
    db: Database, actor: Actor, order_id: int, line_id: int, quantity: int, request_id: str
) -> OrderDetail:
    """Some or all of a line's remaining units cannot be found: a refund, issued at staging."""
    actor.require(PICK)

    def run(tx: Tx) -> OrderDetail:
        o = tx.order(order_id)
        _require_mine(tx, o)
        line = _line_of(tx, o, line_id)
        pending = line.quantity - line.picked - line.not_found
        if not 1 <= quantity <= pending:
            raise InvalidInput(f"Not found: give 1 to {pending} units" if pending else "Nothing left on that line")
        if weights.is_weighed(line.uom) and line.weight_picked_milli:
            # Short of weight and no more to find: the line goes as weighed, the rest refunded.
            short = max(line.weight_milli - line.weight_picked_milli, 0)
            line.picked += 1
            tx.session.add(line)
            add_refund(tx, o, "not_found", 0, weights.price_cents(line.unit_price_cents, short), line.id)
            tx.audit(o, "not_found", line=line.line_nbr, quantity=0, weight_milli=short)
            tx.session.flush()
            return order_detail(tx.session, o)
        line.not_found += quantity
        tx.session.add(line)
        add_refund(tx, o, "not_found", quantity, line_cents(line, quantity), line.id)
        tx.audit(o, "not_found", line=line.line_nbr, quantity=quantity)
        tx.session.flush()
        return order_detail(tx.session, o)

    return mutate(db, actor, request_id, "not_found", OrderDetail, run)


def skip_line(db: Database, actor: Actor, order_id: int, line_id: int, request_id: str) -> OrderDetail:
    """Leave a line for later in the walk; only the timeline changes."""
    actor.require(PICK)

    def run(tx: Tx) -> OrderDetail:
        o = tx.order(order_id)
        _require_mine(tx, o)
        line = _line_of(tx, o, line_id)
        if line.quantity - line.picked - line.not_found == 0:
            raise WrongState(f"{line.description[:30]} is done: nothing to skip")
        tx.audit(o, "skipped", line=line.line_nbr)
        tx.session.flush()
        return order_detail(tx.session, o)

    return mutate(db, actor, request_id, "skip", OrderDetail, run)


def finish_pick(db: Database, actor: Actor, order_id: int, request_id: str) -> OrderDetail:
    """Every unit picked or not found: the order is picked (or closed when nothing was found)."""
    actor.require(PICK)

    def run(tx: Tx) -> OrderDetail:
        o = tx.order(order_id)
        _require_mine(tx, o, status.FINISH_PICK)
        lines = order_lines(tx.session, o.id or 0)
        pending = sum(ln.quantity - ln.picked - ln.not_found for ln in lines)
        if pending:
            raise WrongState(f"{pending} units still to pick or mark not found")
        move_order(o, status.FINISH_PICK, OrderStatus.PICKED)
        o.picked_at = tx.now
        tx.session.add(o)
        tx.audit(o, "pick_finished", picked=sum(ln.picked for ln in lines),
                 not_found=sum(ln.not_found for ln in lines))
        tx.emit(o, "pick_complete", lines=[
            {"lineNbr": ln.line_nbr, "picked": ln.picked, "not_found": ln.not_found,
             **({"weight_milli": ln.weight_picked_milli} if ln.picked and weights.is_weighed(ln.uom) else {})}
            for ln in lines
        ])
        if closes_when_finished(sum(ln.picked for ln in lines)):
            close_with_refunds(tx, o, status.FINISH_PICK, OrderStatus.CANCELED, "nothing found")
        tx.session.flush()
        return order_detail(tx.session, o)

    return mutate(db, actor, request_id, "finish_pick", OrderDetail, run)
