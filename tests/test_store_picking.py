"""Picking in the store domain: claims, take-over, scans, refusals, not found, skip, finish."""

from __future__ import annotations

import json

import pytest
from helpers import STORE, code_of, new_orders, pick_all, rid
from sqlmodel import select

from storeassist_tui import barcodes
from storeassist_tui.store import picking, queries
from storeassist_tui.store.db import Database
from storeassist_tui.store.errors import (
    BadCode,
    ClaimedByOther,
    Forbidden,
    InvalidInput,
    NotFound,
    OverPick,
    UnknownCode,
    WrongItem,
    WrongState,
)
from storeassist_tui.store.models import AuditEvent, OutboxEvent, Refund
from storeassist_tui.store.roles import Actor


def _events(db: Database, order_id: int) -> list[str]:
    with db.read() as s:
        return [e.type for e in s.exec(select(OutboxEvent).where(OutboxEvent.order_id == order_id))]


def _audit(db: Database, order_id: int) -> list[AuditEvent]:
    with db.read() as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.order_id == order_id).order_by(AuditEvent.id)))


def test_claim_starts_picking_and_emits_pick_begun(demo_db: Database, people: dict[str, Actor]) -> None:
    pat = people["pat"]
    (oid,) = new_orders(demo_db, pat)
    result = picking.claim(demo_db, pat, [oid], rid())
    order = result.orders[0]
    assert (order.status, order.claimed_by_name, result.batch_id) == ("picking", "Pat Picker", None)
    assert _events(demo_db, oid) == ["pick_begun"]
    assert [a.action for a in _audit(demo_db, oid)][-1] == "claimed"


def test_claim_needs_picking_permission(demo_db: Database, people: dict[str, Actor]) -> None:
    (oid,) = new_orders(demo_db, people["pat"])
    with pytest.raises(Forbidden, match="may not pick"):
        picking.claim(demo_db, people["hana"], [oid], rid())
    assert queries.get_order(demo_db, people["pat"], oid).status == "new"


def test_claim_of_another_stores_order_is_not_found(demo_db: Database, people: dict[str, Actor]) -> None:
    pat = people["pat"]
    (oid,) = new_orders(demo_db, pat)
    outsider = Actor(pat.id, pat.username, pat.display_name, pat.role, frozenset({"other-store"}))
    with pytest.raises(NotFound):
        picking.claim(demo_db, outsider, [oid], rid())
    with pytest.raises(NotFound):
        queries.get_order(demo_db, outsider, oid)


def test_second_associate_needs_explicit_take_over(demo_db: Database, people: dict[str, Actor]) -> None:
    pat, lee = people["pat"], people["lee"]
    (oid,) = new_orders(demo_db, pat)
    picking.claim(demo_db, pat, [oid], rid())
    with pytest.raises(ClaimedByOther, match="Pat Picker is picking"):
        picking.claim(demo_db, lee, [oid], rid())
    assert queries.get_order(demo_db, lee, oid).claimed_by == pat.id
    taken = picking.claim(demo_db, lee, [oid], rid(), take_over=True).orders[0]
    assert taken.claimed_by == lee.id
    over = [a for a in _audit(demo_db, oid) if a.action == "taken_over"]
    assert len(over) == 1 and over[0].associate_id == lee.id and json.loads(over[0].detail)["previous"] == "Pat Picker"
    assert _events(demo_db, oid) == ["pick_begun"]  # a take-over is not a second pick start
    with pytest.raises(ClaimedByOther):  # and pat can no longer scan into it
        picking.record_scan(demo_db, pat, [oid], taken.lines[0].sku, rid())


def test_batch_claim_is_all_or_nothing(demo_db: Database, people: dict[str, Actor]) -> None:
    pat, lee = people["pat"], people["lee"]
    a, b, c = new_orders(demo_db, pat, 3)
    picking.claim(demo_db, lee, [c], rid())
    with pytest.raises(ClaimedByOther):
        picking.claim(demo_db, pat, [a, b, c], rid())
    assert queries.get_order(demo_db, pat, a).status == "new"
    assert queries.get_order(demo_db, pat, b).status == "new"
    result = picking.claim(demo_db, pat, [a, b], rid())
    assert result.batch_id and {o.batch_id for o in result.orders} == {result.batch_id}


def test_scan_counts_one_unit_after_normalisation(demo_db: Database, people: dict[str, Actor]) -> None:
    pat = people["pat"]
    (oid,) = new_orders(demo_db, pat)
    order = picking.claim(demo_db, pat, [oid], rid()).orders[0]
    line = order.lines[0]
    code = code_of(line)
    # The code as a scanner may send it: GTIN-14 form when it is a GTIN, with a CR LF suffix.
    try:
        sent = barcodes.to_gtin14(code) + "\r\n"
    except barcodes.BarcodeError:
        sent = code + "\r\n"
    result = picking.record_scan(demo_db, pat, [oid], sent, rid())
    counted = next(ln for ln in result.order.lines if ln.id == line.id)
    assert (result.line_id, result.counted, counted.picked) == (line.id, 1, 1)
    picked = [a for a in _audit(demo_db, oid) if a.action == "picked"]
    assert picked[-1].entry == "scan" and picked[-1].associate_id == pat.id


def test_typed_sku_is_recorded_as_manual(demo_db: Database, people: dict[str, Actor]) -> None:
    pat = people["pat"]
    (oid,) = new_orders(demo_db, pat)
    line = picking.claim(demo_db, pat, [oid], rid()).orders[0].lines[0]
    picking.record_scan(demo_db, pat, [oid], line.sku.lower(), rid(), entry="manual")
    assert [a.entry for a in _audit(demo_db, oid) if a.action == "picked"] == ["manual"]


def _claimed(db: Database, actor: Actor) -> tuple[int, list]:  # type: ignore[type-arg]
    (oid,) = new_orders(db, actor)
    return oid, picking.claim(db, actor, [oid], rid()).orders[0].lines


def _picked_total(db: Database, actor: Actor, oid: int) -> int:
    return sum(ln.picked for ln in queries.get_order(db, actor, oid).lines)


def test_over_pick_is_refused_and_changes_nothing(demo_db: Database, people: dict[str, Actor]) -> None:
    pat = people["pat"]
    oid, lines = _claimed(demo_db, pat)
    line = lines[0]
    with pytest.raises(OverPick, match="only"):
        picking.record_scan(demo_db, pat, [oid], line.sku, rid(), quantity=line.quantity + 1)
    picking.record_scan(demo_db, pat, [oid], line.sku, rid(), quantity=line.quantity)
    with pytest.raises(OverPick, match="already done"):
        picking.record_scan(demo_db, pat, [oid], line.sku, rid())
    assert next(ln for ln in queries.get_order(demo_db, pat, oid).lines if ln.id == line.id).picked == line.quantity


def test_scans_sent_together_count_each_once_in_order_until_one_is_refused(
    demo_db: Database, people: dict[str, Actor],
) -> None:
    """A wedge's burst in one request: each scan counted as it would be alone, in order; the first
    refusal ends it (the scans behind it are not looked at); sent again, nothing counts twice."""
    pat = people["pat"]
    new = [o.id for o in queries.pick_queue(demo_db, pat, STORE).orders if o.status == "new"]
    oid, first, second = next((i, ls[0], ls[1]) for i in new
                              if len(ls := [ln for ln in queries.get_order(demo_db, pat, i).lines if ln.uom == "EACH"]) >= 2
                              and ls[0].sku != ls[1].sku)
    picking.claim(demo_db, pat, [oid], rid())
    fill = [picking.ScanRequest(first.sku, rid()) for _ in range(first.quantity)]
    scans = [*fill, picking.ScanRequest(first.sku, rid()), picking.ScanRequest(second.sku, rid())]
    done, refused = picking.record_scans(demo_db, pat, [oid], scans)
    assert [(r.line_id, r.counted) for r in done] == [(first.id, 1)] * first.quantity
    assert isinstance(refused, OverPick)
    picked = [json.loads(a.detail)["line"] for a in _audit(demo_db, oid) if a.action == "picked"]
    assert picked == [first.line_nbr] * first.quantity  # the scan behind the refusal was not counted
    again, refused_again = picking.record_scans(demo_db, pat, [oid], fill)
    assert (again, refused_again) == (done, None)  # the answers recorded the first time
    assert _picked_total(demo_db, pat, oid) == first.quantity


def test_quantity_must_be_positive(demo_db: Database, people: dict[str, Actor]) -> None:
    pat = people["pat"]
    oid, lines = _claimed(demo_db, pat)
    for bad in (0, -1, 1000):
        with pytest.raises(InvalidInput):
            picking.record_scan(demo_db, pat, [oid], lines[0].sku, rid(), quantity=bad)
        with pytest.raises(InvalidInput):
            picking.mark_not_found(demo_db, pat, oid, lines[0].id, bad, rid())
    assert _picked_total(demo_db, pat, oid) == 0


def test_wrong_item_unknown_code_and_bad_check_digit(demo_db: Database, people: dict[str, Actor]) -> None:
    pat = people["pat"]
    oid, lines = _claimed(demo_db, pat)
    mine = {ln.sku for ln in lines}
    other = next(
        ln for o in queries.pick_queue(demo_db, pat, STORE).orders if o.id != oid
        for ln in queries.get_order(demo_db, pat, o.id).lines if ln.sku not in mine
    )
    with pytest.raises(WrongItem, match="Wrong item"):
        picking.record_scan(demo_db, pat, [oid], code_of(other), rid())
    with pytest.raises(UnknownCode):
        picking.record_scan(demo_db, pat, [oid], "036000291452", rid())  # valid UPC-A, not in the catalogue
    good = code_of(lines[0])
    bad = good[:-1] + str((int(good[-1]) + 1) % 10) if good.isdigit() and len(good) >= 8 else "036000291453"
    with pytest.raises(BadCode, match="check digit"):
        picking.record_scan(demo_db, pat, [oid], bad, rid())
    with pytest.raises(BadCode):
        picking.record_scan(demo_db, pat, [oid], "\x1b\x07\r\n", rid())
    with pytest.raises(BadCode, match="too long"):
        picking.record_scan(demo_db, pat, [oid], "7" * 10_000, rid())
    assert _picked_total(demo_db, pat, oid) == 0


def test_scan_in_a_batch_goes_to_the_order_that_needs_it(demo_db: Database, people: dict[str, Actor]) -> None:
    pat = people["pat"]
    ids = new_orders(demo_db, pat, 3)
    orders = picking.claim(demo_db, pat, ids, rid()).orders
    target = orders[2]
    result = picking.record_scan(demo_db, pat, ids, target.lines[-1].sku, rid())
    assert result.order_id in ids
    assert any(ln.sku == target.lines[-1].sku and ln.picked == 1 for ln in result.order.lines)


def test_not_found_part_then_finish_issues_nothing_until_staging(demo_db: Database, people: dict[str, Actor]) -> None:
    pat = people["pat"]
    oid, lines = _claimed(demo_db, pat)
    first = lines[0]
    detail = picking.mark_not_found(demo_db, pat, oid, first.id, first.quantity, rid())
    with pytest.raises(InvalidInput, match="Nothing left"):
        picking.mark_not_found(demo_db, pat, oid, first.id, 1, rid())
    for line in detail.lines[1:]:
        for _ in range(line.pending):
            picking.record_scan(demo_db, pat, [oid], line.sku, rid())
    done = picking.finish_pick(demo_db, pat, oid, rid())
    refunds = [r for r in done.refunds if r.reason == "not_found"]
    assert len(refunds) == 1 and refunds[0].quantity == first.quantity
    assert refunds[0].amount_cents == first.quantity * first.unit_price_cents
    if len(detail.lines) > 1:
        assert done.status == "picked" and refunds[0].state == "pending"
    else:  # every unit not found: closed and refunded at once
        assert done.status == "canceled" and refunds[0].state == "issued"


def test_finish_refused_while_units_are_pending(demo_db: Database, people: dict[str, Actor]) -> None:
    pat = people["pat"]
    oid, _ = _claimed(demo_db, pat)
    with pytest.raises(WrongState, match="still to pick"):
        picking.finish_pick(demo_db, pat, oid, rid())
    pick_all(demo_db, pat, oid)
    done = picking.finish_pick(demo_db, pat, oid, rid())
    assert done.status == "picked" and all(ln.picked == ln.quantity for ln in done.lines)
    assert _events(demo_db, oid)[-1] == "pick_complete"
    with pytest.raises(WrongState):
        picking.record_scan(demo_db, pat, [oid], done.lines[0].sku, rid())


def test_all_not_found_closes_and_refunds_everything(demo_db: Database, people: dict[str, Actor]) -> None:
    pat = people["pat"]
    oid, lines = _claimed(demo_db, pat)
    for line in lines:
        picking.mark_not_found(demo_db, pat, oid, line.id, line.quantity, rid())
    done = picking.finish_pick(demo_db, pat, oid, rid())
    assert done.status == "canceled"
    assert all(r.state == "issued" for r in done.refunds)
    assert sum(r.amount_cents for r in done.refunds) == done.total_cents
    assert _events(demo_db, oid)[-1] == "canceled" and "refund_issued" in _events(demo_db, oid)


def test_skip_is_recorded_and_changes_no_count(demo_db: Database, people: dict[str, Actor]) -> None:
    pat = people["pat"]
    oid, lines = _claimed(demo_db, pat)
    after = picking.skip_line(demo_db, pat, oid, lines[0].id, rid())
    assert [ln.picked for ln in after.lines] == [0] * len(lines)
    assert [a.action for a in _audit(demo_db, oid)][-1] == "skipped"


def test_a_done_line_cannot_be_skipped(demo_db: Database, people: dict[str, Actor]) -> None:
    pat = people["pat"]
    oid, lines = _claimed(demo_db, pat)
    line = lines[0]
    picking.record_scan(demo_db, pat, [oid], line.sku, rid(), quantity=line.quantity)
    before = [a.action for a in _audit(demo_db, oid)]
    with pytest.raises(WrongState, match="nothing to skip"):
        picking.skip_line(demo_db, pat, oid, line.id, rid())
    assert [a.action for a in _audit(demo_db, oid)] == before


def test_release_puts_the_order_back(demo_db: Database, people: dict[str, Actor]) -> None:
    pat, lee = people["pat"], people["lee"]
    oid, lines = _claimed(demo_db, pat)
    picking.record_scan(demo_db, pat, [oid], lines[0].sku, rid())
    back = picking.release(demo_db, pat, oid, rid())
    assert (back.status, back.claimed_by) == ("picking", None)
    again = picking.claim(demo_db, lee, [oid], rid()).orders[0]  # no take-over needed
    assert again.claimed_by == lee.id and sum(ln.picked for ln in again.lines) == 1


def test_lines_come_in_walking_order(demo_db: Database, people: dict[str, Actor]) -> None:
    pat = people["pat"]
    for o in queries.pick_queue(demo_db, pat, STORE).orders:
        aisles = [ln.aisle for ln in queries.get_order(demo_db, pat, o.id).lines]
        assert aisles == sorted(aisles)


def test_refund_rows_never_exceed_what_was_ordered(demo_db: Database, people: dict[str, Actor]) -> None:
    pat = people["pat"]
    oid, lines = _claimed(demo_db, pat)
    line = lines[0]
    picking.mark_not_found(demo_db, pat, oid, line.id, 1, rid())
    with pytest.raises((InvalidInput, OverPick)):
        picking.mark_not_found(demo_db, pat, oid, line.id, line.quantity, rid())
    with demo_db.read() as s:
        assert sum(r.quantity for r in s.exec(select(Refund).where(Refund.order_id == oid))) == 1
