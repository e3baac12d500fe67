"""Scan latency: from a scan's last key (the Enter the wedge sends) to the screen showing the new
count, on the embedded default (SQLite file, backend in-process over ASGI, the real app).

The app runs headless at 80x24; each frame Textual hands to the terminal driver is rendered to
text and searched for the new "n/N units" of the progress bar, so the time is taken when the
frame that shows the count is written, not when a widget's state changed. Scans are sent one at
a time (each waits for the previous count to show) - the associate's experience of one scan -
then the same number again back to back in one burst, for the throughput a wedge burst gets.

    python bench/scan_latency.py [--scans 500]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import textual
from rich.console import Console
from textual import events
from textual._compositor import CompositorUpdate

from storeassist_tui.app import StoreAssistApp
from storeassist_tui.config import Settings
from storeassist_tui.embedded import embedded_client
from storeassist_tui.screens.pick_walk import PickWalkScreen
from storeassist_tui.store import demo, intake, migrate
from storeassist_tui.store.db import Database


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
    """Wraps the app's display call: records when a frame containing `needle` is written."""

    def __init__(self, app: StoreAssistApp) -> None:
        self.needle = ""
        self.seen = asyncio.Event()
        self.at = 0.0
        self.console = Console(width=80, height=24, color_system=None, force_terminal=True, file=open(os.devnull, "w"))
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            original(screen, renderable)
            if self.needle and isinstance(renderable, CompositorUpdate):
                if self.needle in renderable.render_segments(self.console):
                    self.at = time.monotonic()
                    self.needle = ""
                    self.seen.set()

        app._display = display  # type: ignore[method-assign]

    def expect(self, needle: str) -> None:
        self.needle, self.at = needle, 0.0
        self.seen.clear()


async def run(scans: int) -> tuple[list[float], float]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        migrate.upgrade(db)
        demo.seed_demo(db, orders=40)
        codes = make_order(db, "BENCH-1", scans)
        burst_codes = make_order(db, "BENCH-2", scans)
        client = embedded_client(db, Settings(demo=True))
        app = StoreAssistApp(client, poll_interval_s=2.0)
        latencies: list[float] = []
        async with app.run_test(size=(80, 24)) as pilot:
            watch = FrameWatch(app)
            post_keys(app, "B-1001\r")
            while type(app.screen).__name__ != "HomeScreen":
                await pilot.pause(0.05)
            await pilot.press("1")
            await pilot.pause(0.5)
            post_keys(app, "BENCH-1\r")
            while not (isinstance(app.screen, PickWalkScreen) and app.screen.is_mounted):
                await pilot.pause(0.05)
            await pilot.pause(0.3)
            for i, code in enumerate(codes, start=1):
                watch.expect(f" {i}/{len(codes)} units")
                last_key = post_keys(app, code + "\r")
                await asyncio.wait_for(watch.seen.wait(), 10)
                latencies.append((watch.at - last_key) * 1000)
            await pilot.press("escape")
            await pilot.pause(0.3)
            post_keys(app, "BENCH-2\r")
            while not (isinstance(app.screen, PickWalkScreen) and app.screen.is_mounted and "BENCH-2" in
                       app.screen.orders[app.screen.order_ids[0]].number):
                await pilot.pause(0.05)
            await pilot.pause(0.3)
            watch.expect(f" {scans}/{scans} units")
            start = time.monotonic()
            post_keys(app, "".join(c + "\r" for c in burst_codes))
            await asyncio.wait_for(watch.seen.wait(), 300)
            burst_s = watch.at - start
        await client.aclose()
        db.dispose()
        return latencies, burst_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=500)
    args = parser.parse_args()
    latencies, burst_s = asyncio.run(run(args.scans))
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    print(f"machine: {platform.platform()}, {os.cpu_count()} cpus, Python {platform.python_version()}, "
          f"Textual {textual.__version__}")
    print(f"scan latency, last key -> count on screen, {len(latencies)} scans one at a time (ms): "
          f"p50 {q[49]:.1f}  p95 {q[94]:.1f}  p99 {q[98]:.1f}  max {max(latencies):.1f}")
    print(f"burst: {args.scans} scans back to back: all counted and shown in {burst_s:.2f} s "
          f"({args.scans / burst_s:.0f} scans/s)")


if __name__ == "__main__":
    main()
