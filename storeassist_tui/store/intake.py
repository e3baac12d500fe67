"""Order intake from the commerce platform, in the platform's own order-create shape."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import Field, field_validator, model_validator
from sqlalchemy import insert, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storeassist_tui import weights
from storeassist_tui.barcodes import match_keys
from storeassist_tui.order_status import OrderStatus
from storeassist_tui.store.db import Database, utcnow
from storeassist_tui.store.errors import Duplicate, InvalidInput, NotFound
from storeassist_tui.store.models import AuditEvent, CatalogCode, Order, OrderLine, Store
from storeassist_tui.store.text import CleanModel, clean
from storeassist_tui.store.txn import add_event
from storeassist_tui.store.views import OrderDetail, order_detail

# The platform's increment ids, with their prefixes: "000000123", "#100", "WEB-000123".
_ORDER_ID = re.compile(r"^[A-Za-z0-9_.#-]{1,64}$")
DISPATCH_CODES = {1: "in_store", 8: "curbside"}
MAX_CENTS = 10**9  # ten million in money: more is a mistake, not an order (and fits 32-bit columns)
_S = Field(default="", max_length=100)
# A barcode is stored as its match keys (upper-cased: "ß" becomes "SS", "ﬃ" "FFI"), so its limit
# is measured on the keys: PostgreSQL refuses a longer key, SQLite would keep it.
KEY_MAX: int = CatalogCode.__table__.c.key.type.length  # type: ignore[attr-defined]


class Name(CleanModel):
    firstName: str = _S
    lastName: str = _S

    def full(self) -> str:
        return " ".join(p for p in (self.firstName.strip(), self.lastName.strip()) if p)


class Contact(CleanModel):
    name: Name = Name()
    phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=200)


class Customer(CleanModel):
    id: str | int | None = Field(default=None, union_mode="left_to_right")
    contact: Contact


class PickupPerson(CleanModel):
    contact: Contact
    isPrimary: bool = False


class PickupDetails(CleanModel):
    pickupPersonDetails: list[PickupPerson] = Field(default_factory=list, max_length=10)


class Quantity(CleanModel):
    """How much of a line: whole units (EACH), or an amount by weight (LB, KG, and G / OZ /
    LBS / KGS, kept as LB or KG) that scale labels add up to when it is picked."""

    value: Decimal = Field(gt=0, le=999_999)
    uom: str = Field(default=weights.EACH, max_length=16)

    @model_validator(mode="after")
    def _amount(self) -> Quantity:
        self.uom = self.uom.strip().upper() or weights.EACH
        if weights.is_weighed(self.uom):
            unit, milli = weights.to_milli(self.value, self.uom)
            if not 1 <= milli <= weights.MAX_MILLI:
                raise ValueError(f"a weighed amount is 0.001 to 999.999 {unit} ({self.value} {self.uom})")
        elif self.uom != weights.EACH:
            raise ValueError(f"uom is EACH, LB or KG (or G, OZ), not {self.uom[:16]}")
        elif self.value % 1 != 0 or not 1 <= self.value <= 999:
            raise ValueError(f"{self.value} EACH: whole units 1 to 999 (a decimal amount needs uom LB or KG)")
        return self

    @property
    def units(self) -> int:
        """Units to pick: a weighed line is one, complete when its weight is."""
        return 1 if weights.is_weighed(self.uom) else int(self.value)

    def columns(self, unit_price: Decimal) -> dict[str, Any]:
        """The line's quantity columns, its price per unit as kept (per lb / kg when weighed)."""
        if not weights.is_weighed(self.uom):
            return dict(quantity=int(self.value), uom=weights.EACH, weight_milli=0, unit_price_cents=cents(unit_price))
        unit, milli = weights.to_milli(self.value, self.uom)
        _, per = weights.UNITS[self.uom]
        return dict(quantity=1, uom=unit, weight_milli=milli, unit_price_cents=cents(unit_price * 1000 / per))


class Department(CleanModel):
    deptNbr: int | None = Field(default=None, ge=0, le=10**6)
    deptName: str = Field(default="", max_length=100)
    deptSequence: int = Field(default=0, ge=0, le=9999)


class Location(CleanModel):
    zoneName: str = _S
    aisleName: str = _S
    sectionName: str = _S
    type: str = Field(default="", max_length=32)


class Product(CleanModel):
    barcode: str = Field(min_length=1, max_length=64)
    barcodeType: str | None = Field(default=None, max_length=32)

    @model_validator(mode="after")
    def _keys_fit(self) -> Product:
        longest = max(match_keys(self.barcode, self.barcodeType), key=len, default="")
        if len(longest) > KEY_MAX:
            raise ValueError(f"barcode is too long once normalised: {len(longest)} characters as a "
                             f"match key, at most {KEY_MAX} (upper-casing can lengthen text)")
        return self


class IntakeLine(CleanModel):
    lineNbr: int = Field(ge=1, le=9999)
    quantity: Quantity
    storeUnitPrice: Decimal = Field(ge=0, lt=1_000_000)
    webUnitPrice: Decimal | None = Field(default=None, ge=0, lt=1_000_000)
    itemDesc: str = Field(min_length=1, max_length=300)
    imageUrl: str = Field(default="", max_length=500)
    department: Department | None = None
    locations: list[Location] = Field(default_factory=list, max_length=10)
    products: list[Product] = Field(min_length=1, max_length=20)
    lineDisplayAttributes: dict[str, str] = Field(default_factory=dict, max_length=20)
    isSubstitutionAllowed: bool | None = None


class Note(CleanModel):
    instruction: str = Field(default="", max_length=500)
    type: str = Field(default="", max_length=32)


class IntakeOrder(CleanModel):
    orderId: str
    customerOrderId: str | None = Field(default=None, max_length=64)
    orderSource: str = Field(default="web", max_length=32)
    customer: Customer
    orderDueDate: datetime | None = None
    placedAt: datetime | None = None
    dispatchMethodCode: int = 1
    orderTotal: Decimal | None = Field(default=None, ge=0, lt=MAX_CENTS // 100)
    pickupDetails: PickupDetails | None = None
    orderLines: list[IntakeLine] = Field(min_length=1, max_length=500)
    notes: list[Note] = Field(default_factory=list, max_length=20)
    storeId: str | None = Field(default=None, max_length=64)

    @field_validator("orderId")
    @classmethod
    def _order_id(cls, v: str) -> str:
        if not _ORDER_ID.match(v):
            raise ValueError("1 to 64 letters, digits or _.-")
        return v

    @field_validator("dispatchMethodCode")
    @classmethod
    def _dispatch(cls, v: int) -> int:
        if v not in DISPATCH_CODES:
            raise ValueError("1 (in store) or 8 (curbside)")
        return v

    @field_validator("orderDueDate", "placedAt")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.tzinfo is None:
            raise ValueError("needs a time zone (e.g. 2024-05-01T15:30:00Z)")
        if v is not None and not 2000 <= v.year <= 2100:
            raise ValueError("must be between the years 2000 and 2100")
        return v

    @model_validator(mode="after")
    def _lines_unique(self) -> IntakeOrder:
        nbrs = [ln.lineNbr for ln in self.orderLines]
        if len(set(nbrs)) != len(nbrs):
            raise ValueError("lineNbr values must be unique within the order")
        if not self.customer.contact.name.full():
            raise ValueError("customer.contact.name is required")
        if cents(sum((ln.storeUnitPrice * ln.quantity.value for ln in self.orderLines), Decimal(0))) >= MAX_CENTS:
            raise ValueError("the lines add up to more than an order can hold")
        return self


class IntakeEnvelope(CleanModel):
    order: IntakeOrder


def cents(amount: Decimal) -> int:
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone)


def search_keys(name: str, email: str, phone: str) -> dict[str, str]:
    """The columns order search looks in: a text for partial matches, and two indexed keys."""
    return {
        "search_text": " ".join(p for p in (name.lower(), email.lower(), _digits(phone)) if p)[:500],
        "email_key": email.strip().lower()[:200],
        "phone_key": _digits(phone)[-10:],
    }


def _attr(attrs: dict[str, str], *names: str) -> str:
    lowered = {k.lower(): v for k, v in attrs.items()}
    for n in names:
        if lowered.get(n):
            return clean(lowered[n])[:40]
    return ""


def _aisle(locations: list[Location]) -> str:
    primary = next((loc for loc in locations if loc.type in ("", "primary")), locations[0] if locations else None)
    if primary is None:
        return ""
    return "-".join(p for p in (primary.zoneName, primary.aisleName, primary.sectionName) if p)[:64]


def build_rows(
    o: IntakeOrder, store: Store, order_id: int | None, now: datetime
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of one order: the order, its lines and the catalogue codes it carries."""
    contact = o.customer.contact
    name = contact.name.full()
    alt = next((p.contact for p in (o.pickupDetails.pickupPersonDetails if o.pickupDetails else [])), None)
    if alt is not None and alt.name.full() in ("", name):
        alt = None  # the platform repeats the customer when no one else picks up
    placed = o.placedAt or now
    due = o.orderDueDate or placed + timedelta(minutes=store.lead_time_minutes)
    lines: list[dict[str, Any]] = []
    catalog: dict[str, dict[str, Any]] = {}
    for ln in o.orderLines:
        keys: set[str] = set()
        for p in ln.products:
            keys |= match_keys(p.barcode, p.barcodeType)
        sku = next((p.barcode for p in ln.products if (p.barcodeType or "").upper() == "SKU"), ln.products[0].barcode)
        dept = ln.department or Department()
        lines.append(
            dict(
                order_id=order_id, line_nbr=ln.lineNbr, sku=sku, description=ln.itemDesc, **ln.quantity.columns(ln.storeUnitPrice),
                picked=0, weight_picked_milli=0, not_found=0, dispensed=0, rejected=0,
                size=_attr(ln.lineDisplayAttributes, "size"),
                colour=_attr(ln.lineDisplayAttributes, "color", "colour"),
                fit=_attr(ln.lineDisplayAttributes, "fit"), image_url=ln.imageUrl,
                substitution_allowed=ln.isSubstitutionAllowed,
                department=dept.deptName, dept_seq=dept.deptSequence, aisle=_aisle(ln.locations),
                codes=json.dumps([{"code": p.barcode, "type": p.barcodeType} for p in ln.products]),
                match_keys=json.dumps(sorted(keys)),
            )
        )
        for k in keys:
            catalog[k] = dict(key=k, sku=sku, description=ln.itemDesc)
    total = o.orderTotal if o.orderTotal is not None else sum(
        (ln.storeUnitPrice * ln.quantity.value for ln in o.orderLines), Decimal(0)
    )
    order = dict(
        id=order_id, number=o.orderId, store_id=store.id, source=o.orderSource,
        customer_id="" if o.customer.id is None else str(o.customer.id)[:64],
        customer_name=name[:200], customer_phone=contact.phone, customer_email=contact.email,
        **search_keys(name, contact.email, contact.phone),
        dispatch=DISPATCH_CODES[o.dispatchMethodCode],
        alt_name=alt.name.full()[:200] if alt else "", alt_phone=alt.phone if alt else "",
        alt_email=alt.email if alt else "", placed_at=placed, due_at=due, status=OrderStatus.NEW,
        total_cents=cents(total), units=sum(ln.quantity.units for ln in o.orderLines),
        line_count=len(o.orderLines), version=1, updated_at=now,
        customer_order_id=o.customerOrderId or "",
        notes="; ".join(n.instruction for n in o.notes if n.instruction)[:500],
    )
    return order, lines, list(catalog.values())


def insert_catalog(session: Session, rows: list[dict[str, Any]], is_sqlite: bool) -> None:
    if not rows:
        return
    ins = sqlite_insert(CatalogCode) if is_sqlite else pg_insert(CatalogCode)
    session.execute(ins.on_conflict_do_nothing(index_elements=["key"]), rows)


PLATFORM_SOURCE = "platform"  # Order.source of orders the commerce platform sent to its own path


def intake_order(db: Database, o: IntakeOrder, store_id: str | None = None, *,
                 raw: dict[str, Any] | None = None, source: str | None = None) -> tuple[OrderDetail, bool]:
    """Create the order; the same platform order id again returns it unchanged (created False).
    `raw` is the order as sent (kept whole); `source` overrides its orderSource (an order from the
    platform's own order-create path is "platform", and announced by an `order_created` event)."""
    store_id = store_id or o.storeId
    if not store_id:
        raise InvalidInput("The pickup store is missing (X-storeId header or storeId)")
    try:
        return _intake(db, o, store_id, raw, source)
    except IntegrityError:  # the same order sent twice at once: the other request created it
        return _intake(db, o, store_id, raw, source)


def _intake(db: Database, o: IntakeOrder, store_id: str, raw: dict[str, Any] | None,
            source: str | None) -> tuple[OrderDetail, bool]:
    now = utcnow()
    with db.write() as session:
        store = session.get(Store, store_id)
        if store is None:
            raise NotFound(f"No store {store_id}")
        existing = session.exec(select(Order).where(Order.number == o.orderId)).first()
        if existing is not None:
            if existing.store_id != store_id:
                raise Duplicate(f"Order {o.orderId} already exists for another store")
            return order_detail(session, existing), False
        order_row, line_rows, catalog_rows = build_rows(o, store, None, now)
        order_row.pop("id")
        if source:
            order_row["source"] = source
        if raw is not None:
            order_row["raw_order"] = json.dumps(raw, ensure_ascii=False, separators=(",", ":"))
        order = Order(**order_row)
        session.add(order)
        session.flush()
        for row in line_rows:
            row["order_id"] = order.id
        session.execute(insert(OrderLine), line_rows)
        insert_catalog(session, catalog_rows, db.is_sqlite)
        session.add(AuditEvent(order_id=order.id, store_id=store_id, action="received", at=now,
                               detail=json.dumps({"source": o.orderSource, "lines": len(line_rows)})))
        session.execute(update(Store).where(col(Store.id) == store_id).values(revision=col(Store.revision) + 1))
        if order.source == PLATFORM_SOURCE:  # the platform awaits creation-confirmed (store/delivery.py)
            add_event(session, order, "order_created", now, customer_order_id=o.customerOrderId or o.orderId,
                      store=store_id, order_source=o.orderSource)
        session.flush()
        return order_detail(session, order), True
