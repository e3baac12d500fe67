"""Scan latency: from a scan's last key (the Enter the wedge sends) to the screen showing the new
count, on the embedded default (SQLite file, backend in-process over ASGI, the real app); and
what it is made of, against a floor measured in the same run.

1. The backend, without the app: three calls taken in turn, round after round, so that the
   machine's load falls on all three alike:
   - the floor: one bare row update and commit (`UPDATE order_line SET picked = picked + 1`)
     through FastAPI, a SQLModel session and SQLite in WAL mode, over the same in-process
     transport as the app's (httpx.ASGITransport): what any write of one scan costs at least;
   - the store's scan transaction: `picking.record_scan` called directly (its one transaction:
     request id, order lock, line, timeline, store revision, the answer);
   - the scan request: `POST /api/v1/picks/scan` through the app's own client (the floor's path
     plus the session check, the transaction and the answer's JSON).
   The ratio store transaction / floor is what issue 13 bounds (<= 2).
2. The real app headless at 80x24: each frame Textual hands to the terminal driver is rendered to
   text and searched for the new "n/N units" of the progress bar, so the time is taken when the
   frame that shows the count is written, not when a widget's state changed. Scans are sent one
   at a time (each waits for the previous count to show) - the associate's experience of one
   scan - then the same number again back to back in one burst, for the throughput a wedge
   burst gets. For the scans one at a time it also splits the time at the backend's answer:
   the screen's update (answer -> the walk's widgets updated) and the wait for the frame (widgets
   updated -> frame written), and counts the bytes the frames of each scan send a terminal.

    python bench/scan_latency.py [--scans 500] [--rounds 500]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import textual
from fastapi import FastAPI
from rich.console import Console
from sqlalchemy import update
from sqlmodel import col, select
from textual import events
from textual._compositor import CompositorUpdate

from storeassist_tui.app import StoreAssistApp
from storeassist_tui.config import Settings
from storeassist_tui.embedded import embedded_client
from storeassist_tui.scanning import Entry
from storeassist_tui.screens.pick_walk import PickWalkScreen
from storeassist_tui.store import auth, demo, intake, migrate, picking
from storeassist_tui.store.db import Database
from storeassist_tui.store.models import Order, OrderLine


def make_order(db: Database, number: str, units: int) -> list[str]:
    """An order of 5 lines of units/5 each; the codes of its units in walking order."""
    items = [i for i in demo.catalogue() if i.code_type == "UPCA"][:5]
    per = units // len(items)
    lines = [{"lineNbr": n + 1, "quantity": {"value": per}, "storeUnitPrice": "1.00", "itemDesc": it.description,
              "products": [{"barcode": it.code, "barcodeType": "UPC"}]} for n, it in enumerate(items)]
    order = intake.IntakeOrder.model_validate({
        "orderId": number, "customer": {"contact": {"name": {"firstName": "Bench", "lastName": "Mark"}}},
        "orderLines": lines})
    intake.intake_order(db, order, "demo-001")
    return [it.code for it in items for _ in range(per)]


def order_id(db: Database, number: str) -> int:
    with db.read() as s:
        return s.exec(select(Order.id).where(Order.number == number)).one() or 0


def new_database(tmp: str, name: str) -> Database:
    db = Database(f"sqlite:///{Path(tmp) / name}")
    migrate.upgrade(db)
    demo.seed_demo(db, orders=40)
    return db


def pct(samples: list[float], p: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[p - 1]


# 1. The backend --------------------------------------------------------------------------------

def floor_app(db: Database, line_id: int) -> FastAPI:
    """The floor: one row update and commit, the least a scan's write can cost on this stack."""
    app = FastAPI()

    @app.post("/floor")
    def floor() -> dict[str, bool]:  # a sync route, run in the threadpool like the scan's
        with db.write() as session:
            session.exec(update(OrderLine).where(col(OrderLine.id) == line_id)
                         .values(picked=col(OrderLine.picked) + 1))
        return {"ok": True}

    return app


async def run_backend(rounds: int) -> dict[str, list[float]]:
    warm = 20
    with tempfile.TemporaryDirectory() as tmp:
        db = new_database(tmp, "backend.db")
        make_order(db, "FLOOR-1", 5)
        store_codes = make_order(db, "BENCH-S", rounds + warm)
        request_codes = make_order(db, "BENCH-R", rounds + warm)
        with db.read() as s:
            floor_line = s.exec(select(OrderLine.id).where(OrderLine.order_id == order_id(db, "FLOOR-1"))).first()
        client = embedded_client(db, Settings(demo=True))
        floor = httpx.AsyncClient(transport=httpx.ASGITransport(app=floor_app(db, floor_line or 0)),
                                  base_url="http://floor")
        await client.login("pat", "1111")
        actor = auth.authenticate(db, client.token)[0]
        store_order, request_order = order_id(db, "BENCH-S"), order_id(db, "BENCH-R")
        await client.claim([store_order])
        await client.claim([request_order])

        async def bare() -> None:
            (await floor.post("/floor")).raise_for_status()

        async def store(code: str) -> None:
            picking.record_scan(db, actor, [store_order], code, uuid.uuid4().hex)

        async def request(code: str) -> None:
            await client.scan([request_order], code)

        out: dict[str, list[float]] = {"floor": [], "store": [], "request": []}
        for i, (s_code, r_code) in enumerate(zip(store_codes, request_codes, strict=True)):
            calls: list[tuple[str, Callable[[], Awaitable[None]]]] = [
                ("floor", bare), ("store", partial(store, s_code)), ("request", partial(request, r_code))]
            for name, call in calls:
                start = time.perf_counter()
                await call()
                if i >= warm:
                    out[name].append((time.perf_counter() - start) * 1000)
        await floor.aclose()
        await client.aclose()
        db.dispose()
        return out


# 2. The real app -------------------------------------------------------------------------------

def post_keys(app: StoreAssistApp, text: str) -> float:
    """Keys as a wedge sends them; returns the monotonic time of the last key (the Enter)."""
    last = 0.0
    for ch in text:
        key = "enter" if ch == "\r" else ch
        event = events.Key(key, ch)
        last = event.time
        app.post_message(event)
    return last


class FrameWatch:
    """Wraps the app's display call: records when a frame containing `needle` is written, and the
    bytes a 16-colour terminal is sent (counted after that time is taken, while `count_bytes`)."""

    def __init__(self, app: StoreAssistApp) -> None:
        self.needle = ""
        self.seen = asyncio.Event()
        self.at = 0.0
        self.count_bytes = False
        self.sent = 0
        self.console = Console(width=80, height=24, color_system=None, force_terminal=True, file=open(os.devnull, "w"))
        self.terminal = Console(width=80, height=24, color_system="standard", force_terminal=True,
                                file=open(os.devnull, "w"))
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            original(screen, renderable)
            if not isinstance(renderable, CompositorUpdate):
                return
            if self.needle and self.needle in renderable.render_segments(self.console):
                self.at = time.monotonic()
                self.needle = ""
                self.seen.set()
            if self.count_bytes:
                self.sent += len(renderable.render_segments(self.terminal).encode())

        app._display = display  # type: ignore[method-assign]

    def expect(self, needle: str) -> None:
        self.needle, self.at, self.sent = needle, 0.0, 0
        self.seen.clear()


class Split:
    """Times one scan at the backend's answer and at the end of the walk's handling of it (the
    walk's widgets updated), by wrapping the client's scan call and the walk's entry handler."""

    def __init__(self, app: StoreAssistApp, walk: PickWalkScreen) -> None:
        self.answered = self.handled = 0.0
        client = app.client
        scan, handle = client.scan, walk.handle_entry

        async def timed_scan(*args: Any, **kwargs: Any) -> Any:
            result = await scan(*args, **kwargs)
            self.answered = time.monotonic()
            return result

        async def timed_handle(entry: Entry) -> None:
            await handle(entry)
            self.handled = time.monotonic()

        client.scan = timed_scan  # type: ignore[method-assign]
        walk.handle_entry = timed_handle  # type: ignore[method-assign]


async def open_walk(app: StoreAssistApp, pilot: Any, number: str) -> PickWalkScreen:
    post_keys(app, number + "\r")
    while not (isinstance(app.screen, PickWalkScreen) and app.screen.is_mounted
               and number in app.screen.orders[app.screen.order_ids[0]].number):
        await pilot.pause(0.05)
    await pilot.pause(0.3)
    return app.screen


async def run_app(scans: int) -> tuple[dict[str, list[float]], float]:
    with tempfile.TemporaryDirectory() as tmp:
        db = new_database(tmp, "app.db")
        codes = make_order(db, "BENCH-1", scans)
        burst_codes = make_order(db, "BENCH-2", scans)
        client = embedded_client(db, Settings(demo=True))
        app = StoreAssistApp(client, poll_interval_s=2.0)
        out: dict[str, list[float]] = {"latency": [], "screen": [], "frame": [], "bytes": []}
        async with app.run_test(size=(80, 24)) as pilot:
            watch = FrameWatch(app)
            post_keys(app, "B-1001\r")
            while type(app.screen).__name__ != "HomeScreen":
                await pilot.pause(0.05)
            await pilot.press("1")
            await pilot.pause(0.5)
            split = Split(app, await open_walk(app, pilot, "BENCH-1"))
            watch.count_bytes = True
            for i, code in enumerate(codes, start=1):
                watch.expect(f" {i}/{len(codes)} units")
                last_key = post_keys(app, code + "\r")
                await asyncio.wait_for(watch.seen.wait(), 10)
                out["latency"].append((watch.at - last_key) * 1000)
                out["screen"].append((split.handled - split.answered) * 1000)
                out["frame"].append((watch.at - split.handled) * 1000)
                out["bytes"].append(watch.sent)
            watch.count_bytes = False
            await pilot.press("escape")
            await pilot.pause(0.3)
            await open_walk(app, pilot, "BENCH-2")
            watch.expect(f" {scans}/{scans} units")
            start = time.monotonic()
            post_keys(app, "".join(c + "\r" for c in burst_codes))
            await asyncio.wait_for(watch.seen.wait(), 300)
            burst_s = watch.at - start
        await client.aclose()
        db.dispose()
        return out, burst_s


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scans", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=500, help="backend rounds (floor, store, request)")
    args = parser.parse_args()
    print(f"machine: {platform.platform()}, {os.cpu_count()} cpus, Python {platform.python_version()}, "
          f"Textual {textual.__version__}")
    backend = asyncio.run(run_backend(args.rounds))
    print(f"backend, {args.rounds} rounds of the three in turn (ms):")
    floor_p50 = statistics.median(backend["floor"])
    for name, what in (("floor", "floor: bare update + commit over FastAPI/ASGI"),
                       ("store", "store's scan transaction (record_scan)"),
                       ("request", "scan request (POST /picks/scan, client)")):
        s = backend[name]
        print(f"  {what:<48} p50 {statistics.median(s):6.2f}  p99 {pct(s, 99):6.2f}"
              f"  = {statistics.median(s) / floor_p50:4.2f}x floor (p50)")
    out, burst_s = asyncio.run(run_app(args.scans))
    lat = out["latency"]
    print(f"scan latency, last key -> count on screen, {len(lat)} scans one at a time (ms): "
          f"p50 {statistics.median(lat):.1f}  p95 {pct(lat, 95):.1f}  p99 {pct(lat, 99):.1f}  max {max(lat):.1f}")
    print(f"  of which the screen's update (answer -> widgets updated): p50 {statistics.median(out['screen']):.2f}"
          f"  p99 {pct(out['screen'], 99):.2f}; then to the frame written: p50 {statistics.median(out['frame']):.2f}"
          f"  p99 {pct(out['frame'], 99):.2f}")
    print(f"  bytes sent to a 16-colour terminal per scan (its keys to its count shown): "
          f"p50 {statistics.median(out['bytes']):.0f}  max {max(out['bytes']):.0f}")
    print(f"burst: {args.scans} scans back to back: all counted and shown in {burst_s:.2f} s "
          f"({args.scans / burst_s:.0f} scans/s)")


if __name__ == "__main__":
    main()
