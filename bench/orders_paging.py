"""How fast the Orders screen pages through a big store: 100,000 orders by default.

Seeds a fresh SQLite database (the embedded default) with the demo store and N orders, then
measures, through the same client the app uses (in-process ASGI backend):
  - one page (50 rows) at the top, the middle and the end of the list, newest first;
  - a search by name, by full phone number and by e-mail;
and, in the real app (headless, 80x24): the Orders screen opening, End jumping to the oldest
order, and PgDn from there, each from the key to the frame that shows the rows.

    python bench/orders_paging.py [--orders 100000] [--repeat 20]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from rich.console import Console
from textual import events

from storeassist_tui.app import StoreAssistApp
from storeassist_tui.client import BackendClient, OrderPage
from storeassist_tui.config import Settings
from storeassist_tui.screens.home import HomeScreen
from storeassist_tui.screens.orders import OrdersScreen
from storeassist_tui.server.app import create_app
from storeassist_tui.store import demo, migrate, queries
from storeassist_tui.store.db import Database

STORE = "demo-001"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


async def timed(call, repeat: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    took = []
    for _ in range(repeat):
        t = time.perf_counter()
        await call()
        took.append(time.perf_counter() - t)
    return statistics.median(took), max(took)


def _screen(app: StoreAssistApp) -> str:
    """The screen as plain text (what the associate sees)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, record=True,
                      color_system=None, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        migrate.upgrade(db)
        t = time.perf_counter()
        demo.seed_demo(db, orders=args.orders)
        print(f"seeded {args.orders} orders in {time.perf_counter() - t:.1f} s")
        settings = Settings(demo=True, secret_key="bench", answer_cache_size=0)  # every request runs its query
        client = BackendClient("http://embedded", transport=httpx.ASGITransport(app=create_app(db, settings)))
        session = await client.login_badge("B-1003")
        total = (await client.search_orders(STORE, limit=1)).total
        print(f"{total} orders in the store; page = 50 rows; median / max of {args.repeat}")
        for name, offset in (("top", 0), ("middle", total // 2), ("end", max(total - 50, 0))):
            med, worst = await timed(lambda o=offset: client._get("/api/v1/stores/demo-001/orders", OrderPage,
                                                                 {"offset": o, "limit": 50}), args.repeat)
            print(f"  page at the {name:<6} (offset {offset:>6}): {ms(med)} / {ms(worst)}")
        sample = queries.search_orders(db, _actor(db), STORE, offset=total // 3, limit=1).orders[0]
        detail = queries.get_order(db, _actor(db), sample.id)
        for name, q in (("name", detail.customer_name.split()[-1]), ("phone", detail.customer_phone),
                        ("e-mail", detail.customer_email)):
            med, worst = await timed(lambda q=q: client._get("/api/v1/stores/demo-001/orders", OrderPage, {"q": q}),
                                     args.repeat)
            print(f"  search by {name:<7} {q[:28]:<28}: {ms(med)} / {ms(worst)}")
        oldest = queries.search_orders(db, _actor(db), STORE, offset=total - 1, limit=1).orders[0]
        app = StoreAssistApp(client, poll_interval_s=2.0)
        async with app.run_test(size=(80, 24)) as pilot:
            app.start_session(session)
            while not isinstance(app.screen, HomeScreen):
                await pilot.pause(0.01)
            t = time.perf_counter()
            await pilot.press("4")
            while not (isinstance(app.screen, OrdersScreen) and f"All: {total}" in _screen(app)):
                await asyncio.sleep(0.002)
            print(f"app: Orders screen open with rows     {ms(time.perf_counter() - t)}")
            t = time.perf_counter()
            app.post_message(events.Key("end", None))  # as the terminal sends it: no waiting for idle
            while oldest.number not in _screen(app):
                await asyncio.sleep(0.002)
            print(f"app: End to the oldest order shown    {ms(time.perf_counter() - t)}")
            await pilot.press("home")
            screen = app.screen
            assert isinstance(screen, OrdersScreen)
            target = min(20 * max(screen.rows.size.height - 1, 1), total - 1)
            t = time.perf_counter()
            for _ in range(20):
                app.post_message(events.Key("pagedown", None))
            while screen.rows.cursor != target or None in list(screen.pages[max(target - 5, 0):target + 1]):
                await asyncio.sleep(0.002)
            row = screen.pages[target]
            assert row is not None
            while row.number not in _screen(app):
                await asyncio.sleep(0.002)
            print(f"app: 20 x PgDn, rows shown            {ms(time.perf_counter() - t)}")
        await client.aclose()
        db.dispose()


def _actor(db: Database):  # type: ignore[no-untyped-def]
    from storeassist_tui.store import auth

    token = auth.login(db, auth.AuthPolicy(), username="lee", secret="3333").token
    return auth.authenticate(db, token)[0]


if __name__ == "__main__":
    asyncio.run(main())
