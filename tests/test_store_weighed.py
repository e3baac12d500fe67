"""Weighed lines (sold by the lb / kg): scale labels (price-embedded, GS1 net weight in kg or lb)
add up to the amount ordered within the store's tolerance; what the line refuses, what a void
takes back, what is refunded, and what the platform is told (qty.value = the weight)."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest
from helpers import INTAKE, STORE, rid
from platform_double_server import PlatformDouble
from test_platform_delivery import dispensed_body, picked_body

from storeassist_tui import barcodes
from storeassist_tui.store import admin, delivery, handoff, intake, picking, queries, staging, voiding
from storeassist_tui.store.db import Database
from storeassist_tui.store.errors import InvalidInput, OverPick
from storeassist_tui.store.roles import Actor
from storeassist_tui.store.views import LineView, OrderDetail

GTIN = "09501101530003"  # a variable-measure item's GTIN-14 (indicator digit 9)
PLU = "212345"  # a deli item's price-embedded number (2 IIIII)


def weighed_order(db: Database, amount: str = "2.5", uom: str = "LB", price: str = "3.99",
                  platform: PlatformDouble | None = None) -> OrderDetail:
    """Line 1: `amount` `uom` of cheese, by GS1 label or scale label; line 2: one pack of gum."""
    body: dict[str, Any] = copy.deepcopy(INTAKE)["order"]
    number = f"W{uuid.uuid4().hex[:9]}"
    body.update(orderId=number, customerOrderId=number, orderTotal=None,
                orderSource="platform" if platform else "web")
    body["orderLines"][0] = {
        "lineNbr": 1, "quantity": {"value": amount, "uom": uom}, "storeUnitPrice": price, "webUnitPrice": price,
        "itemDesc": "Cheddar by weight",
        "products": [{"barcode": GTIN, "barcodeType": "GTIN"}, {"barcode": PLU, "barcodeType": "PRICE_EMBEDDED_UPC"}],
    }
    detail, created = intake.intake_order(db, intake.IntakeOrder.model_validate(body), STORE)
    assert created
    if platform is not None:
        platform.add_order(number)
    return detail


def gs1_label(kg: str = "", lb: str = "") -> str:
    """A GS1 label as the wedge sends it: (01) GTIN, then net weight (3103: kg, 3202: lb)."""
    if kg:
        return f"01{GTIN}3103{int(float(kg) * 1000):06d}"
    return f"01{GTIN}3202{int(float(lb) * 100):06d}"


def price_label(cents: int) -> str:
    body = f"{PLU}0{cents:04d}"
    return body + str(barcodes.gtin_check_digit(body))


def cheese(detail: OrderDetail) -> LineView:
    return next(ln for ln in detail.lines if ln.line_nbr == 1)


def started(db: Database, pat: Actor, **kw: Any) -> OrderDetail:
    order = weighed_order(db, **kw)
    picking.claim(db, pat, [order.id], rid())
    return order


def scan(db: Database, pat: Actor, order: OrderDetail, code: str) -> picking.ScanResult:
    return picking.record_scan(db, pat, [order.id], code, rid())


def test_price_labels_add_up_and_the_line_completes_within_tolerance(demo_db: Database,
                                                                      people: dict[str, Actor]) -> None:
    pat = people["pat"]
    order = started(demo_db, pat)  # 2.5 lb at 3.99: 2.25 to 2.75 lb completes it
    first = scan(demo_db, pat, order, price_label(499))  # 4.99 / 3.99 = 1.251 lb
    assert (first.counted, first.weight_milli) == (0, 1251)
    line = cheese(first.order)
    assert (line.picked, line.pending, line.weight_picked_milli) == (0, 1, 1251)
    second = scan(demo_db, pat, order, price_label(449))  # 1.125 lb: 2.376 in all
    line = cheese(second.order)
    assert (second.counted, line.picked, line.pending, line.weight_picked_milli) == (1, 1, 0, 2376)


def test_gs1_net_weight_in_kg_or_lb_is_converted_to_the_line_unit(demo_db: Database,
                                                                    people: dict[str, Actor]) -> None:
    pat = people["pat"]
    in_lb = started(demo_db, pat)  # 2.5 lb
    done = scan(demo_db, pat, in_lb, gs1_label(kg="1.150"))  # 1.150 kg = 2.535 lb
    assert (done.weight_milli, cheese(done.order).picked) == (2535, 1)
    in_kg = started(demo_db, pat, amount="1", uom="KG")
    done = scan(demo_db, pat, in_kg, gs1_label(lb="2.20"))  # 2.20 lb = 0.998 kg
    assert (done.weight_milli, cheese(done.order).picked) == (998, 1)


def test_a_label_past_the_tolerance_or_without_a_weight_is_refused_and_changes_nothing(
        demo_db: Database, people: dict[str, Actor]) -> None:
    pat = people["pat"]
    order = started(demo_db, pat)
    scan(demo_db, pat, order, gs1_label(kg="1.000"))  # 2.205 lb: just short of 2.25
    with pytest.raises(OverPick, match=r"Over weight: 2\.87 lb is more than 2\.50 lb ordered allows \(at most 2\.75"):
        scan(demo_db, pat, order, price_label(266))  # +0.667 lb
    with pytest.raises(InvalidInput, match="Weighed item: scan the scale label of Cheddar by weight"):
        scan(demo_db, pat, order, GTIN)  # the item's own barcode carries no weight
    with pytest.raises(InvalidInput, match="scale label"):
        picking.record_scan(demo_db, pat, [order.id], gs1_label(kg="0.020"), rid(), quantity=2)
    with pytest.raises(InvalidInput, match="The label of Cheddar by weight weighs nothing: scan it again"):
        scan(demo_db, pat, order, price_label(0))
    line = cheese(queries.get_order(demo_db, pat, order.id))
    assert (line.picked, line.weight_picked_milli) == (0, 2205)


def test_the_store_sets_the_tolerance(demo_db: Database, people: dict[str, Actor]) -> None:
    pat = people["pat"]
    admin.set_weight_tolerance(demo_db, STORE, 2)  # 2.5 lb: 2.45 to 2.55
    order = started(demo_db, pat)
    with pytest.raises(OverPick, match=r"at most 2\.55 lb"):
        scan(demo_db, pat, order, gs1_label(lb="2.60"))
    assert cheese(scan(demo_db, pat, order, gs1_label(lb="2.44")).order).picked == 0
    assert cheese(scan(demo_db, pat, order, gs1_label(lb="0.01")).order).picked == 1
    with pytest.raises(InvalidInput, match="Weight tolerance: 0 to 50 percent"):
        admin.set_weight_tolerance(demo_db, STORE, 51)
    assert admin.get_store(demo_db, STORE).weight_tolerance_pct == 2


def test_a_void_takes_back_the_label_weight(demo_db: Database, people: dict[str, Actor]) -> None:
    pat = people["pat"]
    order = started(demo_db, pat)
    scan(demo_db, pat, order, price_label(499))  # 1.251 lb
    last = rid()
    picking.record_scan(demo_db, pat, [order.id], price_label(449), last)  # 2.376: complete
    assert voiding.void_request(demo_db, pat, last).voided
    line = cheese(queries.get_order(demo_db, pat, order.id))
    assert (line.picked, line.pending, line.weight_picked_milli) == (0, 1, 1251)


def test_short_weight_marked_not_found_is_refunded_by_the_missing_amount(
        demo_db: Database, people: dict[str, Actor]) -> None:
    pat = people["pat"]
    order = started(demo_db, pat)
    scan(demo_db, pat, order, gs1_label(lb="1.50"))  # 1.5 of 2.5 lb, and no more on the shelf
    line = cheese(picking.mark_not_found(demo_db, pat, order.id, cheese(order).id, 1, rid()))
    assert (line.picked, line.not_found, line.pending, line.weight_picked_milli) == (1, 0, 0, 1500)
    refunds = queries.get_order(demo_db, pat, order.id).refunds
    assert [(r.reason, r.amount_cents) for r in refunds] == [("not_found", 399)]  # 1.0 lb at 3.99
    nothing = started(demo_db, pat)
    picking.mark_not_found(demo_db, pat, nothing.id, cheese(nothing).id, 1, rid())
    refunds = queries.get_order(demo_db, pat, nothing.id).refunds
    assert [(r.reason, r.amount_cents) for r in refunds] == [("not_found", 998)]  # 2.5 lb at 3.99


def test_the_platform_is_told_the_weight_picked_and_handed_over(
        demo_db: Database, people: dict[str, Actor], platform_double: PlatformDouble,
        make_deliverer) -> None:  # type: ignore[no-untyped-def]
    pat, hana = people["pat"], people["hana"]
    order = weighed_order(demo_db, platform=platform_double)
    picking.claim(demo_db, pat, [order.id], rid())
    scan(demo_db, pat, order, gs1_label(kg="1.150"))  # 2.535 lb
    gum = next(ln for ln in order.lines if ln.line_nbr == 2)
    picking.record_scan(demo_db, pat, [order.id], gum.sku, rid())
    picking.finish_pick(demo_db, pat, order.id, rid())
    staging.stage(demo_db, pat, order.id, "B7", rid(), secret_key="test-secret")
    form = handoff.DispenseForm(rejected={gum.id: 1}, signature="Ana Lee")
    done = handoff.dispense(demo_db, hana, order.id, form, rid())
    assert [(r.reason, r.amount_cents) for r in done.refunds] == [("rejected", 300)]
    make_deliverer().drain()
    calls = platform_double.of(order.number)
    assert [p for p, _ in calls] == ["creation-confirmed", "picked", "dispensed"]
    assert calls[1][1] == picked_body(order.number, (1, "picked", 2.535), (2, "picked", 1))  # type: ignore[arg-type]
    assert calls[2][1] == dispensed_body(order.number, (1, "dispensed", 2.535), (2, "rejected", 0))  # type: ignore[arg-type]
    assert delivery.status(demo_db).undelivered == 0


def test_a_rejected_weighed_line_refunds_what_was_weighed(demo_db: Database, people: dict[str, Actor]) -> None:
    pat, hana = people["pat"], people["hana"]
    order = started(demo_db, pat, amount="1", uom="KG", price="10.00")
    scan(demo_db, pat, order, gs1_label(kg="1.050"))
    gum = next(ln for ln in order.lines if ln.line_nbr == 2)
    picking.record_scan(demo_db, pat, [order.id], gum.sku, rid())
    picking.finish_pick(demo_db, pat, order.id, rid())
    staging.stage(demo_db, pat, order.id, "B7", rid(), secret_key="test-secret")
    form = handoff.DispenseForm(rejected={cheese(order).id: 1}, signature="Ana Lee")
    done = handoff.dispense(demo_db, hana, order.id, form, rid())
    assert [(r.reason, r.amount_cents) for r in done.refunds] == [("rejected", 1050)]  # 1.05 kg at 10.00
