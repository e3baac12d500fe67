"""The demo store: realistic settings, associates of each role, a catalogue, orders due around now.

Bulk inserts, so `storeassist seed --demo --orders 100000` takes seconds, not an hour.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import func, insert, text
from sqlmodel import Session, SQLModel, select

from storeassist_tui import barcodes
from storeassist_tui.schemas import DemoCredential
from storeassist_tui.store import admin
from storeassist_tui.store.db import Database, utcnow
from storeassist_tui.store.intake import insert_catalog, search_keys
from storeassist_tui.store.models import Associate, CheckIn, Order, OrderLine, Refund, Store

if TYPE_CHECKING:
    import psycopg


def _upca(body11: str) -> str:
    return body11 + str(barcodes.gtin_check_digit(body11))


def _ean13(body12: str) -> str:
    return body12 + str(barcodes.gtin_check_digit(body12))


@dataclass(frozen=True)
class Item:
    sku: str
    code: str
    code_type: str
    description: str
    price_cents: int
    department: str
    dept_seq: int
    aisle: str
    size: str = ""
    colour: str = ""
    fit: str = ""


# (description, department, dept sequence, aisle, price, size, colour, fit)
_GOODS = [
    ("Crew T-Shirt", "Apparel", 1, "A03-2", 1299, "M", "Navy", "Regular"),
    ("Crew T-Shirt", "Apparel", 1, "A03-2", 1299, "L", "Navy", "Regular"),
    ("Slim Jeans", "Apparel", 1, "A05-1", 3999, "32x32", "Indigo", "Slim"),
    ("Hooded Sweatshirt", "Apparel", 1, "A04-3", 2999, "L", "Heather Grey", "Relaxed"),
    ("Running Socks 3-pack", "Apparel", 1, "A07-1", 899, "10-13", "White", ""),
    ("Rain Jacket", "Apparel", 1, "A09-2", 5999, "S", "Red", "Regular"),
    ("Kids Sneakers", "Shoes", 2, "B02-4", 2499, "13K", "Blue", "Wide"),
    ("Trail Shoes", "Shoes", 2, "B04-1", 7999, "10", "Black", "Regular"),
    ("AA Batteries 8-pack", "Electronics", 3, "C01-2", 999, "", "", ""),
    ("USB-C Cable 2 m", "Electronics", 3, "C02-5", 1499, "2 m", "Black", ""),
    ("Bluetooth Speaker", "Electronics", 3, "C04-1", 4999, "", "Teal", ""),
    ("Phone Case", "Electronics", 3, "C03-3", 1999, "6.1in", "Clear", ""),
    ("Peanut Butter 16 oz", "Grocery", 4, "D11-1", 349, "16 oz", "", ""),
    ("Coffee Beans 12 oz", "Grocery", 4, "D08-2", 1099, "12 oz", "", ""),
    ("Sparkling Water 12-pack", "Grocery", 4, "D14-4", 599, "12x12 oz", "", ""),
    ("Pasta 1 lb", "Grocery", 4, "D09-1", 179, "1 lb", "", ""),
    ("Dish Soap", "Household", 5, "E02-2", 399, "24 oz", "Lemon", ""),
    ("Paper Towels 6 rolls", "Household", 5, "E05-1", 1199, "6 rolls", "", ""),
    ("Bath Towel", "Home", 6, "F03-2", 1499, "30x54", "Sage", ""),
    ("Table Lamp", "Home", 6, "F07-1", 3499, "", "Brass", ""),
    ("Yoga Mat", "Sports", 7, "G02-1", 2499, "6 mm", "Purple", ""),
    ("Water Bottle 24 oz", "Sports", 7, "G04-3", 1999, "24 oz", "Black", ""),
    ("LEGO Classic Box", "Toys", 8, "H01-2", 3499, "", "", ""),
    ("Puzzle 1000 pc", "Toys", 8, "H03-1", 1599, "", "", ""),
]

UPCE_DEMO = "04252614"  # a real UPC-E: expands to UPC-A 042100005264
PRICE_EMBEDDED_ITEM = "212345"  # deli item number of a price-embedded label


def catalogue() -> list[Item]:
    items: list[Item] = []
    for i, (desc, dept, seq, aisle, price, size, colour, fit) in enumerate(_GOODS):
        sku = f"SKU-{1000 + i}"
        if i % 6 == 3:
            code, kind = _ean13(f"400638{i:06d}"), "EAN13"
        else:
            code, kind = _upca(f"0{36000 + i:05d}{29100 + i:05d}"), "UPCA"
        items.append(Item(sku, code, kind, desc, price, dept, seq, aisle, size, colour, fit))
    items.append(Item("SKU-2001", UPCE_DEMO, "UPCE0", "Chewing Gum", 129, "Grocery", 4, "D01-1"))
    items.append(Item("SKU-2002", "10012345678902", "GTIN",
                      "Water Case 24 x 0.5 l", 699, "Grocery", 4, "D14-1"))
    items.append(Item("SKU-2003", PRICE_EMBEDDED_ITEM, "PRICE_EMBEDDED_UPC", "Deli Ham by weight", 899,
                      "Deli", 9, "K01-1"))
    return items


DEMO_USERS = [
    DemoCredential(username="pat", secret="1111", badge="B-1001", role="picker", display_name="Pat Picker"),
    DemoCredential(username="hana", secret="2222", badge="B-1002", role="handoff", display_name="Hana Handoff"),
    DemoCredential(username="lee", secret="3333", badge="B-1003", role="lead", display_name="Lee Lead"),
]

_FIRST = ["Ana", "Bo", "Chen", "Dana", "Eli", "Fatima", "Gus", "Hiro", "Ines", "Jamal", "Kai", "Lena", "Mona",
          "Nils", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tess", "Uma", "Vic", "Wen", "Yara", "Zoe"]
_LAST = ["Lee", "Garcia", "Smith", "Nguyen", "Kim", "Patel", "Brown", "Silva", "Khan", "Jones", "Ito", "Novak"]
_CARS = [("Toyota", "Red"), ("Ford", "White"), ("Honda", "Blue"), ("Tesla", "Black"), ("Subaru", "Green")]


def _store_settings(n: int) -> admin.StoreSettings:
    return admin.StoreSettings(
        id=f"demo-{n:03d}",
        name="Demo Store - Main St" if n == 1 else f"Demo Store #{n}",
        timezone="America/Chicago",
        lead_time_minutes=120,
        opening_hours=admin.parse_hours("mon-sat 08:00-22:00, sun 09:00-20:00"),
        curbside_enabled=True,
        parking_spots=["P1", "P2", "P3", "P4", "P5", "P6"],
        signature_required=True,
        id_check_required=False,
        rejection_allowed=True,
        cleanup_days=7,
    )


def ensure_demo(db: Database, stores: int = 1) -> list[str]:
    """The demo stores and associates, created when missing; returns the store ids."""
    ids: list[str] = []
    with db.read() as session:
        have = {s.id for s in session.exec(select(Store))}
        users = {a.username for a in session.exec(select(Associate))}
    for n in range(1, stores + 1):
        s = _store_settings(n)
        if s.id not in have:
            admin.add_store(db, s)
        ids.append(s.id)
    for u in DEMO_USERS:
        if u.username not in users:
            admin.add_user(db, username=u.username, display_name=u.display_name, role=u.role, stores=ids,
                           secret=u.secret, badge=u.badge)
    return ids


def _line_codes(item: Item) -> tuple[str, str]:
    codes = [{"code": item.code, "type": item.code_type}, {"code": item.sku, "type": "SKU"}]
    keys = barcodes.match_keys(item.code, item.code_type) | barcodes.match_keys(item.sku, "SKU")
    return json.dumps(codes), json.dumps(sorted(keys))


@dataclass
class _Chunk:
    orders: list[dict[str, Any]]
    lines: list[dict[str, Any]]
    refunds: list[dict[str, Any]]
    checkins: list[dict[str, Any]]


def _insert_many(session: Session, model: type[SQLModel], rows: list[dict[str, Any]], is_sqlite: bool) -> None:
    """Rows of one table at once: one executemany on SQLite, COPY on PostgreSQL (a million orders in
    a fraction of the time multi-row INSERTs take)."""
    if is_sqlite:
        session.execute(insert(model), rows)
        return
    names = list(rows[0])
    # The timestamps are aware UTC (seed_orders): PostgreSQL keeps their UTC time in its
    # timestamp columns, as UTCDateTime would.
    pg = cast("psycopg.Connection[Any]", session.connection().connection.dbapi_connection)
    with pg.cursor() as cursor, cursor.copy(f"COPY {model.__tablename__} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[n] for n in names])


def _write(db: Database, chunk: _Chunk) -> None:
    with db.write() as session:
        for model, rows in ((Order, chunk.orders), (OrderLine, chunk.lines), (Refund, chunk.refunds),
                            (CheckIn, chunk.checkins)):
            if rows:
                _insert_many(session, model, rows, db.is_sqlite)


def seed_orders(db: Database, store_ids: list[str], orders: int, now: datetime | None = None,
                seed: int = 7, open_per_store: int = 40) -> int:
    """Add `orders` orders spread over the stores: the newest ones open and due around now,
    the rest history (handed off, some cancelled). Returns how many were added."""
    now = (now or utcnow()).astimezone(UTC)
    items = catalogue()
    item_codes = {it.sku: _line_codes(it) for it in items}
    with db.read() as session:
        next_id = (session.exec(select(func.max(Order.id))).one() or 0) + 1
    per_store = [orders // len(store_ids) + (1 if i < orders % len(store_ids) else 0) for i in range(len(store_ids))]
    chunks = _chunks(store_ids, per_store, next_id, now, random.Random(seed), items, item_codes, open_per_store,
                     5000 if db.is_sqlite else 20000)
    # Each chunk is written in a transaction of its own while the next one is made: the database
    # works on its side while Python makes rows.
    with ThreadPoolExecutor(max_workers=1) as writer:
        writing: Future[None] | None = None
        for chunk in chunks:
            if writing is not None:
                writing.result()
            writing = writer.submit(_write, db, chunk)
        if writing is not None:
            writing.result()
    with db.write() as session:
        if not db.is_sqlite:  # ids were given explicitly: move the sequence past them
            session.execute(text("SELECT setval(pg_get_serial_sequence('orders', 'id'), "
                                 "(SELECT COALESCE(MAX(id), 1) FROM orders))"))
            # The planner's statistics at once, not when autovacuum comes round to the new rows.
            session.execute(text("ANALYZE orders, order_line, refund, checkin"))
        catalog = {}
        for it in items:
            for key in json.loads(item_codes[it.sku][1]):
                catalog[key] = dict(key=key, sku=it.sku, description=it.description)
        insert_catalog(session, list(catalog.values()), db.is_sqlite)
        for store_id in store_ids:
            store = session.get(Store, store_id)
            if store is not None:
                store.revision += 1  # the terminals' cached lists are stale now
                session.add(store)
    return sum(per_store)


def _chunks(store_ids: list[str], per_store: list[int], next_id: int, now: datetime, rng: random.Random,
            items: list[Item], item_codes: dict[str, tuple[str, str]], open_per_store: int,
            chunk: int) -> Iterator[_Chunk]:
    """The demo's rows, `chunk` orders at a time."""
    order_rows: list[dict[str, Any]] = []
    line_rows: list[dict[str, Any]] = []
    refund_rows: list[dict[str, Any]] = []
    checkin_rows: list[dict[str, Any]] = []
    for store_id, count in zip(store_ids, per_store, strict=True):
        n_open = min(count, open_per_store)
        for k in range(count):
            oid = next_id
            next_id += 1
            is_open = k >= count - n_open
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            name = f"{first} {last}"
            phone = f"512555{oid % 10000:04d}"
            email = f"{first.lower()}.{last.lower()}{oid}@example.com"
            curbside = rng.random() < 0.35
            alt = rng.random() < 0.15
            if is_open:
                j = k - (count - n_open)
                due = now + timedelta(minutes=-91 + j * 9)  # the first ten are overdue
                # Placed before anything was done to it (the demo's staged orders were staged 25 min ago).
                placed = min(due - timedelta(minutes=120), now - timedelta(minutes=40 + n_open - j))
            else:
                placed = now - timedelta(days=180 * (count - n_open - k) / max(count - n_open, 1), minutes=200)
                due = placed + timedelta(minutes=120)
            chosen = rng.sample(items, rng.choice((1, 1, 2, 2, 3, 4)))
            qtys = [rng.choice((1, 1, 1, 2, 3)) for _ in chosen]
            status = "new"
            extra: dict[str, Any] = {}
            if is_open and j in (n_open - 1, n_open - 2, n_open - 3) and n_open >= 10:
                status = "staged"
                extra = dict(picked_at=now - timedelta(minutes=30), staged_at=now - timedelta(minutes=25),
                             staging_location=f"B{j % 5 + 1}", bags=1)
            elif is_open and j in (n_open - 4, n_open - 5) and n_open >= 10:
                status = "picked"
                extra = dict(picked_at=now - timedelta(minutes=10))
            elif not is_open:
                status = "dispensed" if rng.random() < 0.9 else "canceled"
                extra = dict(picked_at=due, staged_at=due, staging_location="B1", dispensed_at=due + timedelta(hours=3))
                if status == "canceled":
                    extra = dict(closed_at=due, close_reason="customer asked")
            done = status in ("picked", "staged", "dispensed")
            for n, (it, q) in enumerate(zip(chosen, qtys, strict=True), start=1):
                codes, keys = item_codes[it.sku]
                line_rows.append(dict(
                    order_id=oid, line_nbr=n, sku=it.sku, description=it.description, quantity=q,
                    picked=q if done else 0, not_found=0, dispensed=q if status == "dispensed" else 0, rejected=0,
                    unit_price_cents=it.price_cents, size=it.size, colour=it.colour, fit=it.fit, image_url="",
                    department=it.department, dept_seq=it.dept_seq, aisle=it.aisle, codes=codes, match_keys=keys,
                ))
            total = sum(it.price_cents * q for it, q in zip(chosen, qtys, strict=True))
            if status == "canceled":
                refund_rows.append(dict(order_id=oid, line_id=None, reason="canceled", quantity=sum(qtys),
                                        amount_cents=total, state="issued", created_at=due, issued_at=due))
            if status == "staged" and j != n_open - 3:
                car = rng.choice(_CARS)
                checkin_rows.append(dict(
                    order_id=oid, arrived_at=now - timedelta(minutes=4 + j % 7),
                    location="curbside" if curbside else "in_store", spot=f"P{j % 6 + 1}" if curbside else "",
                    car_make=car[0] if curbside else "", car_colour=car[1] if curbside else "", note="",
                    by="customer", associate_id=None, updated_at=now,
                ))
            order_rows.append(dict(
                id=oid, number=f"W{oid:08d}", store_id=store_id, source="web", customer_id=str(1000 + oid % 5000),
                customer_name=name, customer_phone=phone, customer_email=email,
                **search_keys(name, email, phone), dispatch="curbside" if curbside else "in_store",
                alt_name=f"{rng.choice(_FIRST)} {last}" if alt else "", alt_phone="5125550199" if alt else "",
                alt_email="alt@example.com" if alt else "", placed_at=placed, due_at=due, status=status,
                total_cents=total, units=sum(qtys), line_count=len(chosen), claimed_by=None, claimed_at=None,
                batch_id=None, picked_at=extra.get("picked_at"), staging_location=extra.get("staging_location", ""),
                bags=extra.get("bags"), staged_at=extra.get("staged_at"), dispensed_at=extra.get("dispensed_at"),
                closed_at=extra.get("closed_at"), close_reason=extra.get("close_reason", ""), version=1,
                updated_at=now,
            ))
            if len(order_rows) >= chunk:
                yield _Chunk(order_rows, line_rows, refund_rows, checkin_rows)
                order_rows, line_rows, refund_rows, checkin_rows = [], [], [], []
    yield _Chunk(order_rows, line_rows, refund_rows, checkin_rows)


def seed_demo(db: Database, orders: int = 40, stores: int = 1) -> int:
    return seed_orders(db, ensure_demo(db, stores), orders)
