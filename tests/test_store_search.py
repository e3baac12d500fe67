"""Order search and the Orders list's totals: what matches is the same whichever way it is found
(SQLite's FTS5 trigram table, PostgreSQL's trigram index, or order by order for a term shorter than
a trigram), the indexes follow every change of the orders, and a list's total is the count of its
orders. On SQLite, and on PostgreSQL with STOREASSIST_TEST_DATABASE_URL."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from alembic import command
from conftest import PG_URL
from helpers import INTAKE, STORE, new_orders, picked_order, rid
from sqlalchemy import event, func, text
from sqlmodel import col, select

from storeassist_tui.order_status import ALL
from storeassist_tui.store import auth, closing, demo, intake, migrate, picking, queries, search, staging
from storeassist_tui.store.db import Database, utcnow
from storeassist_tui.store.models import Order
from storeassist_tui.store.roles import Actor

needs_pg = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (STOREASSIST_TEST_DATABASE_URL)")

# (number, first name, last name, phone, e-mail): what intake is sent, awkward on purpose.
CUSTOMERS = [
    ("S-1", "Ana", "García", "+1 (512) 555-0142", "ana.garcia@example.com"),
    ("S-2", "Οδος", "Παπας", "030 1234567", "odos@example.gr"),  # a final sigma (U+03C2), which FTS5 folds to U+03C3
    ("S-3", "Zoë", 'O"Brien', "5125550142", "zoe_o%brien@example.com"),
    ("S-4", "Li", "Na", "12", "li@ex.cn"),
    ("S-5", "Anna-Lena", "Smith", "512.555.0199", "ANNA.LENA@EXAMPLE.COM"),
    ("S-6", "Bo", "Lee", "", ""),
]

# What the Orders search showed for these before the indexes, by order number, newest first.
EXPECTED = {
    "garc": ["S-1"], "GARCÍA": ["S-1"], "a.g": ["S-1"], "0142": ["S-3", "S-1"], "555-0142": ["S-3", "S-1"],
    "(512) 555": ["S-5", "S-3", "S-1"], "5125550142": ["S-3", "S-1"], "512 555 0142": ["S-3", "S-1"],
    "δος": ["S-2"], "ΔΟΣ": ["S-2"], "δοσ": [], "o\"b": ["S-3"], '"': ["S-3"], "o%b": ["S-3"], "%": ["S-3"],
    "_": ["S-3"], "e_o%": ["S-3"], "li": ["S-4"], "na": ["S-5", "S-4", "S-1"],
    "12": ["S-5", "S-4", "S-3", "S-2", "S-1"], "anna.lena@example.com": ["S-5"], "lena@": ["S-5"],
    "S-4": ["S-4"], "s-4": ["S-4"], "bo lee": ["S-6"], "example.": ["S-5", "S-3", "S-2", "S-1"], "zoë": ["S-3"],
    "x": ["S-5", "S-4", "S-3", "S-2", "S-1"], "nothing like it": [],
}


def _customer(number: str, first: str, last: str, phone: str, email: str, placed_min: int) -> intake.IntakeOrder:
    body = copy.deepcopy(INTAKE["order"])
    body.update(orderId=number, customerOrderId=number, placedAt=(utcnow() - timedelta(minutes=placed_min)).isoformat())
    body["customer"]["contact"] = {"name": {"firstName": first, "lastName": last}, "phone": phone, "email": email}
    body.pop("pickupDetails")
    return intake.IntakeOrder.model_validate(body)


@pytest.fixture
def shop(db: Database) -> tuple[Database, Actor]:
    """The demo store with only the hand-made orders (S-6 the newest), and its lead."""
    demo.ensure_demo(db)
    for i, c in enumerate(CUSTOMERS):
        intake.intake_order(db, _customer(*c, placed_min=100 - i), STORE)
    return db, _lead(db)


def _lead(db: Database) -> Actor:
    """Lee, the demo store's lead."""
    return auth.authenticate(db, auth.login(db, auth.AuthPolicy(), username="lee", secret="3333").token)[0]


def _numbers(db: Database, lead: Actor, q: str, **kw: Any) -> list[str]:
    return [o.number for o in queries.search_orders(db, lead, STORE, q=q, **kw).orders]


@contextmanager
def _statements(db: Database) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def log(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", log)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", log)


@contextmanager
def _without_trigram_index(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every search order by order: SQLite's path for short terms; PostgreSQL without the GIN
    index (which only bitmap scans use)."""
    with monkeypatch.context() as m:
        m.setattr(search, "TRIGRAM", 10_000)

        def no_bitmaps(conn: Any) -> None:
            conn.exec_driver_sql("SET LOCAL enable_bitmapscan = off")

        if not db.is_sqlite:
            event.listen(db.engine, "begin", no_bitmaps)
        try:
            yield
        finally:
            if not db.is_sqlite:
                event.remove(db.engine, "begin", no_bitmaps)


def _queries() -> list[str]:
    """Pieces of every hand-made order's search text, 1 to 8 characters long, and EXPECTED's."""
    texts = [intake.search_keys(f"{c[1]} {c[2]}", c[4], c[3])["search_text"] for c in CUSTOMERS]
    pieces = {t[i:i + n] for t in texts for i in range(0, len(t), 3) for n in (1, 2, 3, 5, 8)}
    return sorted(pieces | set(EXPECTED))


def test_search_finds_what_it_found_before(shop: tuple[Database, Actor]) -> None:
    db, lead = shop
    for q, numbers in EXPECTED.items():
        assert _numbers(db, lead, q) == numbers, q
    for q in ("12", "555"):
        assert _numbers(db, lead, q, status="new,picking") == _numbers(db, lead, q) != []
        assert _numbers(db, lead, q, status="staged") == []
    page = queries.search_orders(db, lead, STORE, q="12", offset=1, limit=2)
    assert (page.total, [o.number for o in page.orders]) == (5, ["S-4", "S-3"])


def _found(db: Database, lead: Actor, qs: list[str], status: str = "") -> dict[str, tuple[Any, ...]]:
    """Per query: every match, and the total with the second page of two."""
    out = {}
    for q in qs:
        page = queries.search_orders(db, lead, STORE, q=q, status=status, offset=1, limit=2)
        out[q] = (_numbers(db, lead, q, status=status), page.total, [o.number for o in page.orders])
    return out


def test_the_trigram_index_finds_what_looking_order_by_order_finds(
    shop: tuple[Database, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, lead = shop
    qs = _queries()
    indexed, new = _found(db, lead, qs), _found(db, lead, qs, status="new,staged")
    with monkeypatch.context() as m:  # many matches: the page from a walk through the store's orders
        m.setattr(search, "FEW_MATCHES", 0)
        assert _found(db, lead, qs) == indexed
    with monkeypatch.context() as m:  # other stores' orders in the database: the matches counted one by one
        m.setattr(search, "_only_store", lambda session, store_id: False)
        assert _found(db, lead, qs) == indexed
    with _without_trigram_index(db, monkeypatch):
        assert _found(db, lead, qs) == indexed
        assert _found(db, lead, qs, status="new,staged") == new
    assert sum(1 for found in indexed.values() if found[0]) > len(qs) // 2
    assert new == indexed  # every hand-made order is new


def test_sqlite_finds_terms_of_three_characters_or_more_through_its_trigram_table(
    shop: tuple[Database, Actor],
) -> None:
    db, lead = shop
    if not db.is_sqlite:
        pytest.skip("SQLite's FTS5 table")
    for q, indexed in (("garc", True), ("555-0142", True), ("δοσ", True), ("na", False), ("x", False)):
        with _statements(db) as seen:
            queries.search_orders(db, lead, STORE, q=q)
        assert any("orders_search" in statement for statement, _ in seen) == indexed, q


def test_the_search_index_follows_changes_to_the_orders(shop: tuple[Database, Actor]) -> None:
    db, lead = shop
    with db.write() as s:
        s.execute(text("UPDATE orders SET search_text = 'bo lee boat@sea.example' WHERE number = 'S-6'"))
        s.add(Order(number="S-7", store_id=STORE, customer_name="Ida Boatwright", placed_at=utcnow(), due_at=utcnow(),
                    **intake.search_keys("Ida Boatwright", "", "")))
    assert _numbers(db, lead, "boat") == ["S-7", "S-6"]
    assert _numbers(db, lead, "bo lee") == ["S-6"]
    with db.write() as s:
        s.execute(text("UPDATE orders SET search_text = 'renamed' WHERE number = 'S-6'"))
        s.execute(text("DELETE FROM orders WHERE number = 'S-7'"))
    assert _numbers(db, lead, "boat") == []
    assert _numbers(db, lead, "renamed") == ["S-6"]
    assert queries.search_orders(db, lead, STORE).total == len(CUSTOMERS)


def _totals(db: Database, lead: Actor) -> dict[str, tuple[int, int]]:
    """Per status filter: the list's total, and the orders counted in the table."""
    out = {}
    for status in (*ALL, "new,picking,picked,staged", ""):
        with db.read() as s:
            where = [Order.store_id == STORE] + ([col(Order.status).in_(status.split(","))] if status else [])
            counted = s.exec(select(func.count()).select_from(Order).where(*where)).one()
        out[status] = (queries.search_orders(db, lead, STORE, status=status, limit=1).total, counted)
    return out


def test_list_totals_count_the_orders_as_they_move(demo_db: Database, people: dict[str, Actor]) -> None:
    pat, lee = people["pat"], people["lee"]
    staged = picked_order(demo_db, pat)
    staging.stage(demo_db, pat, staged.id, "B1", rid())
    picked_order(demo_db, pat)
    picking.claim(demo_db, pat, [o.id for o in queries.pick_queue(demo_db, pat, STORE).orders[:2]], rid())
    closing.cancel(demo_db, lee, staged.id, "customer asked", rid())
    demo.ensure_demo(demo_db, 2)
    with demo_db.write() as s:  # an order moved to another store
        s.execute(text("UPDATE orders SET store_id = 'demo-002' WHERE id = (SELECT max(id) FROM orders)"))
    totals = _totals(demo_db, lee)
    assert all(total == counted for total, counted in totals.values()), totals
    assert totals["canceled"] == (1, 1) and totals["picking"] == (2, 2) and totals[""] == (39, 39)
    picking.claim(demo_db, pat, new_orders(demo_db, pat), rid())
    assert _totals(demo_db, lee)["picking"] == (3, 3)


def test_a_page_of_several_statuses_is_their_newest_orders(db: Database) -> None:
    demo.seed_demo(db, orders=300)
    lead = _lead(db)
    for status in ("new,picking,picked,staged", "dispensed,canceled", "staged,new,staged", "canceled,expired"):
        with db.read() as s:
            every = list(s.exec(select(Order.id).where(Order.store_id == STORE, col(Order.status).in_(status.split(",")))
                                .order_by(col(Order.placed_at).desc(), col(Order.id).desc())))
        for offset, limit in ((0, 50), (0, 7), (5, 7), (len(every) - 3, 50), (len(every) + 1, 5)):
            page = queries.search_orders(db, lead, STORE, status=status, offset=offset, limit=limit)
            assert (page.total, [o.id for o in page.orders]) == (len(every), every[offset:offset + limit]), status


def test_a_store_with_orders_upgrades_to_the_search_indexes(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    db = Database(database_url)
    try:
        with db.engine.execution_options(write=True).begin() as conn:
            cfg = migrate.alembic_config(db)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0006")
        demo.seed_demo(db, orders=300)
        migrate.upgrade(db)
        lead = _lead(db)
        some = queries.search_orders(db, lead, STORE, offset=150, limit=1).orders[0]
        detail = queries.get_order(db, lead, some.id)
        qs = [detail.customer_name.split()[1][:4].lower(), detail.customer_phone[-4:], detail.customer_email[3:12]]
        indexed = {q: queries.search_orders(db, lead, STORE, q=q, limit=200) for q in qs}
        assert all(some.id in [o.id for o in page.orders] for page in indexed.values())
        with _without_trigram_index(db, monkeypatch):
            assert {q: queries.search_orders(db, lead, STORE, q=q, limit=200) for q in qs} == indexed
        assert queries.search_orders(db, lead, STORE, status="dispensed,canceled").total == 260
    finally:
        db.dispose()


@needs_pg
def test_postgresql_can_serve_a_stores_search_from_the_trigram_index(db: Database) -> None:
    """The search's own statement, planned with the store's other indexes out of the way (dropped
    in a transaction rolled back) and table scans priced out: the trigram index serves it."""
    demo.seed_orders(db, demo.ensure_demo(db, 2), 400)
    lead = _lead(db)
    with _statements(db) as seen:
        assert queries.search_orders(db, lead, STORE, q="garcia").total >= 1
    statement, parameters = next((st, p) for st, p in seen if " LIKE " in st)
    with db.engine.connect() as conn:
        cursor = conn.connection.cursor()
        for index in ("ix_orders_store_placed", "ix_orders_store_status_placed", "ix_orders_queue",
                      "ix_orders_store_email", "ix_orders_store_phone"):
            cursor.execute(f"DROP INDEX {index}")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + statement, parameters)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        conn.rollback()
    assert "Bitmap Index Scan on ix_orders_search" in plan, plan
