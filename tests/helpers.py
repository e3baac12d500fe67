"""Small helpers for store tests: ids, the demo's orders, scanning every unit of an order."""

from __future__ import annotations

import uuid
from typing import Any

from storeassist_tui import barcodes
from storeassist_tui.store import picking, queries
from storeassist_tui.store.db import Database
from storeassist_tui.store.roles import Actor
from storeassist_tui.store.views import LineView, OrderDetail

STORE = "demo-001"

# An order as the commerce platform sends it (its order-create shape).
INTAKE: dict[str, Any] = {"order": {
    "orderId": "000000123", "customerOrderId": "000000123", "orderSource": "adobe",
    "customer": {"id": "42", "contact": {"name": {"firstName": "Ana", "lastName": "Lee"},
                                         "phone": "5125550100", "email": "ana@example.com"}},
    "orderDueDate": "2030-05-01T15:30:00Z", "dispatchMethodCode": 8, "orderTotal": "53.0000",
    "pickupDetails": {"pickupPersonDetails": [{"contact": {"name": {"firstName": "Bo", "lastName": "Lee"},
                                                           "phone": "512-555-0199", "email": "bo@example.com"},
                                               "isPrimary": True}]},
    "orderLines": [
        {"lineNbr": 1, "quantity": {"value": 2, "uom": "EACH"}, "storeUnitPrice": "25.0000",
         "webUnitPrice": "25.0000", "itemDesc": "Blue T-Shirt",
         "department": {"deptNbr": 1, "deptName": "Apparel", "deptSequence": 3},
         "locations": [{"zoneName": "A", "aisleName": "07", "sectionName": "2", "type": "primary"}],
         "products": [{"barcode": "012345678905", "barcodeType": "UPC"}],
         "lineDisplayAttributes": {"color": "Blue", "size": "M"}},
        {"lineNbr": 2, "quantity": {"value": 1}, "storeUnitPrice": "3", "itemDesc": "Gum",
         "products": [{"barcode": "04252614", "barcodeType": "UPCE0"}]},
    ]}}


def rid() -> str:
    return uuid.uuid4().hex


def new_orders(db: Database, actor: Actor, n: int = 1) -> list[int]:
    """Ids of the first n unclaimed new orders of the pick queue."""
    q = queries.pick_queue(db, actor, STORE)
    ids = [o.id for o in q.orders if o.status == "new"][:n]
    assert len(ids) == n
    return ids


def code_of(line: LineView) -> str:
    """The line's barcode (not its SKU), as printed on the item."""
    return next(c.code for c in line.codes if c.type != "SKU")


def label_of(line: LineView) -> str:
    """What a scanner reads off the item: its barcode; for a price-embedded item (deli, by
    weight) a whole label 2 IIIII P DDDD C with the line's price, as the scale prints it."""
    code = next(c for c in line.codes if c.type != "SKU")
    if code.type == "PRICE_EMBEDDED_UPC":
        body = f"{code.code}0{line.unit_price_cents % 10000:04d}"
        return body + str(barcodes.gtin_check_digit(body))
    return code.code


def pick_all(db: Database, actor: Actor, order_id: int) -> OrderDetail:
    """Scan every unit of every line (by SKU, which matches every line type)."""
    detail = queries.get_order(db, actor, order_id)
    for line in detail.lines:
        for _ in range(line.pending):
            detail = picking.record_scan(db, actor, [order_id], line.sku, rid()).order
    return detail


def picked_order(db: Database, actor: Actor) -> OrderDetail:
    """A new order claimed, fully picked and finished by `actor`."""
    (oid,) = new_orders(db, actor)
    picking.claim(db, actor, [oid], rid())
    pick_all(db, actor, oid)
    return picking.finish_pick(db, actor, oid, rid())
