"""p50 / p95 latency of the pick-queue and order-search endpoints at 1k, 10k and 100k orders.

Each size gets a fresh SQLite database seeded with `storeassist seed`'s code (one store: the worst
case, every order in the store being queried), then a real `storeassist serve` app under uvicorn
on loopback answers sequential requests from httpx. No ETag: every answer is computed in full.

    python bench/api_latency.py [--sizes 1000 10000 100000] [--requests 200]
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from storeassist_tui.config import Settings
from storeassist_tui.server import create_app
from storeassist_tui.store import demo, migrate
from storeassist_tui.store.db import Database

STORE = "demo-001"


def _serve(db: Database) -> tuple[uvicorn.Server, threading.Thread, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(db, Settings()), host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}"


def _pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(size: int, requests: int, tmp: Path) -> None:
    db = Database(f"sqlite:///{tmp / f'bench-{size}.db'}")
    migrate.upgrade(db)
    started = time.perf_counter()
    demo.seed_demo(db, orders=size)
    seeded = time.perf_counter() - started
    server, thread, base = _serve(db)
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            token = http.post("/api/v1/auth/login", json={"username": "pat", "secret": "1111"}).json()["token"]
            http.headers["Authorization"] = f"Bearer {token}"
            some = http.get(f"/api/v1/stores/{STORE}/orders", params={"limit": 200, "offset": size // 2}).json()
            sample = http.get(f"/api/v1/orders/{some['orders'][0]['id']}").json()
            cases = {
                "pick-queue": (f"/api/v1/stores/{STORE}/pick-queue", {}),
                "orders page (newest)": (f"/api/v1/stores/{STORE}/orders", {"limit": 50}),
                "orders page 100 deep": (f"/api/v1/stores/{STORE}/orders", {"limit": 50, "offset": 5000 if size > 5000 else 0}),
                "search number": (f"/api/v1/stores/{STORE}/orders", {"q": sample["number"]}),
                "search name": (f"/api/v1/stores/{STORE}/orders", {"q": sample["customer_name"].split()[1].lower()}),
                "search phone (full)": (f"/api/v1/stores/{STORE}/orders", {"q": sample["customer_phone"]}),
                "search phone (part)": (f"/api/v1/stores/{STORE}/orders", {"q": sample["customer_phone"][-7:]}),
                "search e-mail": (f"/api/v1/stores/{STORE}/orders", {"q": sample["customer_email"]}),
            }
            print(f"\n{size:>7} orders (seeded in {seeded:.1f} s)")
            for name, (path, params) in cases.items():
                http.get(path, params=params)  # warm
                samples = []
                for _ in range(requests):
                    t = time.perf_counter()
                    r = http.get(path, params=params)
                    samples.append((time.perf_counter() - t) * 1000)
                    assert r.status_code == 200, r.text
                print(f"  {name:<22} p50 {statistics.median(samples):7.1f} ms   p95 {_pct(samples, 95):7.1f} ms")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        db.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    ap.add_argument("--requests", type=int, default=200)
    args = ap.parse_args()
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}; SQLite, one store, sequential requests")
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            run(size, args.requests, Path(tmp))


if __name__ == "__main__":
    main()
