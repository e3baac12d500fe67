"""Search and lists at chain scale: p50 / p95 of every list and search of one store, against a
primary-key read of one order measured in the same run.

Seeds `--orders` demo orders over `--stores` stores with `storeassist seed`'s code into the given
database (or reuses it when it already holds exactly that many), then calls the store's read side
(storeassist_tui.store.queries, what every route and the embedded app run) for the first store,
round-robin over the cases so that the machine's noise falls on all of them alike. The terms are
taken from orders sampled across the store, a different one each round:

  search name part      the first 4 letters of a last name, or a whole first name
  search phone part     the last 4 digits, or the last 7 as typed ("555-0142")
  search e-mail part    "<last name><digits>" or "<first>.<la>" out of an address
  search short term     2 letters (under a trigram: the fallback)
  pick queue, orders page 1, a deep page (the middle of the store), page 1 of three status
  filters (open: few orders; handed off: most; canceled: one in ten), order detail
  baseline              one order by primary key, in a read transaction of its own

    python bench/search_scale.py --database-url sqlite:////tmp/s.db --orders 100000 --stores 1
    python bench/search_scale.py --database-url postgresql://postgres@127.0.0.1:5432/bench \\
        --orders 1000000 --stores 100
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, text
from sqlmodel import col, select

from storeassist_tui.store import auth, demo, migrate, queries
from storeassist_tui.store.db import Database
from storeassist_tui.store.models import Order, Store


def _pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _seed_or_reuse(db: Database, orders: int, stores: int) -> str:
    with db.read() as session:
        have = session.exec(select(func.count()).select_from(Order)).one()
        n_stores = session.exec(select(func.count()).select_from(Store)).one()
    if have == orders and n_stores >= stores:
        return f"reused: {have} orders in {n_stores} stores"
    if have:
        raise SystemExit(f"the database holds {have} orders, not {orders}: give an empty one")
    started = time.perf_counter()
    added = demo.seed_orders(db, demo.ensure_demo(db, stores), orders)
    return f"seeded {added} orders in {stores} stores in {time.perf_counter() - started:.1f} s"


def _terms(db: Database, store: str, rounds: int, rng: random.Random) -> list[dict[str, Any]]:
    """One set of terms per round, from orders spread over the store's history."""
    with db.read() as session:
        ids = list(session.exec(select(Order.id).where(Order.store_id == store).order_by(col(Order.id))))
        picked = [session.get(Order, ids[rng.randrange(len(ids))]) for _ in range(rounds)]
    out = []
    for i, o in enumerate(picked):
        assert o is not None
        first, last = o.customer_name.lower().split()[:2]
        local = o.customer_email.split("@")[0]
        digits = "".join(c for c in o.customer_phone if c.isdigit())
        out.append({
            "id": o.id,
            "name": last[:4] if i % 2 else first,
            "phone": digits[-4:] if i % 2 else f"{digits[-7:-4]}-{digits[-4:]}",
            "email": local.split(".")[1] if i % 2 else local[: len(first) + 3],
            "short": rng.choice(("an", "ng", "ia", "el", "zo", "ki", "1", "42")),
        })
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--orders", type=int, default=100_000)
    ap.add_argument("--stores", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=200, help="samples per case")
    args = ap.parse_args()
    db = Database(args.database_url)
    migrate.upgrade(db)
    seeded = _seed_or_reuse(db, args.orders, args.stores)
    if not db.is_sqlite:  # as autovacuum leaves new rows (statistics, visibility map), before and after alike
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    store = "demo-001"
    lee = auth.authenticate(db, auth.login(db, auth.AuthPolicy(), username="lee", secret="3333").token)[0]
    total = queries.search_orders(db, lee, store, limit=1).total
    rounds = _terms(db, store, args.rounds, random.Random(13))

    def pk(t: dict[str, Any]) -> None:
        with db.read() as session:
            session.get(Order, t["id"])

    def search(key: str) -> Callable[[dict[str, Any]], object]:
        return lambda t: queries.search_orders(db, lee, store, q=t[key])

    cases: dict[str, Callable[[dict[str, Any]], object]] = {
        "baseline: one order by id": pk,
        "search name part": search("name"),
        "search phone part": search("phone"),
        "search e-mail part": search("email"),
        "search short term": search("short"),
        "pick queue": lambda t: queries.pick_queue(db, lee, store),
        "orders page 1": lambda t: queries.search_orders(db, lee, store),
        "orders deep page": lambda t: queries.search_orders(db, lee, store, offset=total // 2),
        "orders page 1, open": lambda t: queries.search_orders(db, lee, store, status="new,picking,picked,staged"),
        "orders page 1, handed off": lambda t: queries.search_orders(db, lee, store, status="dispensed"),
        "orders page 1, canceled": lambda t: queries.search_orders(db, lee, store, status="canceled"),
        "order detail": lambda t: queries.get_order(db, lee, t["id"]),
    }
    for call in cases.values():  # warm: connections, statement caches, pages
        for t in rounds[:3]:
            call(t)
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for t in rounds:
        for name, call in cases.items():
            started = time.perf_counter()
            call(t)
            samples[name].append((time.perf_counter() - started) * 1000)
    kind = "SQLite" if db.is_sqlite else "PostgreSQL"
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}; {kind}")
    print(f"{seeded}; {store} holds {total} orders; {args.rounds} samples per case, round-robin")
    base50 = statistics.median(samples["baseline: one order by id"])
    base95 = _pct(samples["baseline: one order by id"], 95)
    print(f"  {'case':<30} {'p50 ms':>8} {'p95 ms':>8}   {'x base p50':>10} {'x base p95':>10}")
    for name, got in samples.items():
        p50, p95 = statistics.median(got), _pct(got, 95)
        print(f"  {name:<30} {p50:8.2f} {p95:8.2f}   {p50 / base50:10.1f} {p95 / base95:10.1f}")
    db.dispose()


if __name__ == "__main__":
    main()
