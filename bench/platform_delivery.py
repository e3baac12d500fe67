"""Delivery to the commerce platform under load: N orders (10,000 by default) come in through
intake as the platform's orders, and each is claimed, picked, staged and handed off (store
functions directly), while the deliverer (store/delivery.py + platform_sender.py, the same code
`storeassist serve` runs) sends the calls to the platform double (tests/platform_double_server.py)
running as a process of its own on loopback, which records when each call arrived.

Prints intake latency p50/p99, delivery lag p50/p99 (outbox event created -> call received by the
double) and calls per second, with the machine; then the rate at which a backlog drains (N/5
orders taken in while the deliverer was stopped). SQLite file in a temporary directory, or an
empty database given by --database-url (PostgreSQL: a chain's set-up).

    python bench/platform_delivery.py [--orders 10000] [--rate 0] [--concurrency 4] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from sqlmodel import select

from storeassist_tui.platform_sender import HttpSender
from storeassist_tui.store import auth, delivery, demo, handoff, intake, migrate, picking, staging
from storeassist_tui.store.db import Database
from storeassist_tui.store.models import OutboxEvent

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "integration-token-123"  # the double's


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def order_body(n: int) -> intake.IntakeOrder:
    return intake.IntakeOrder.model_validate({
        "orderId": f"B{n:08d}", "customerOrderId": f"B{n:08d}", "orderSource": "platform",
        "customer": {"contact": {"name": {"firstName": "Bench", "lastName": "Mark"}}},
        "orderLines": [
            {"lineNbr": 1, "quantity": {"value": 2}, "storeUnitPrice": "25", "itemDesc": "Blue T-Shirt",
             "products": [{"barcode": "012345678905", "barcodeType": "UPC"}]},
            {"lineNbr": 2, "quantity": {"value": 1}, "storeUnitPrice": "3", "itemDesc": "Gum",
             "products": [{"barcode": "04252614", "barcodeType": "UPCE0"}]}]})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=10_000)
    ap.add_argument("--rate", type=float, default=0.0,
                    help="orders per second through the flow (default 0: as fast as one writer goes)")
    ap.add_argument("--concurrency", type=int, default=4, help="STOREASSIST_PLATFORM_CONCURRENCY (default 4)")
    ap.add_argument("--database-url", default="",
                    help="an EMPTY database to use, e.g. postgresql://postgres@127.0.0.1/bench (default: a SQLite file)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="sa-bench-"))
    db = Database(args.database_url or f"sqlite:///{tmp / 'bench.db'}")
    migrate.upgrade(db)
    demo.seed_demo(db, orders=0)
    with db.write() as s:  # no signature at hand-off, so the bench's dispense goes through
        from storeassist_tui.store.models import Store
        store = s.get(Store, "demo-001")
        assert store is not None
        store.signature_required = False
        s.add(store)
    policy = auth.AuthPolicy()
    lee = auth.authenticate(db, auth.login(db, policy, username="lee", secret="3333").token)[0]

    port = free_port()
    double = subprocess.Popen([sys.executable, str(ROOT / "tests" / "platform_double_server.py"), str(port)],
                              cwd=ROOT / "tests")
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(f"{url}/_double/calls", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.05)
    sender = HttpSender(f"{url}/rest", TOKEN, 10)
    deliverer = delivery.Deliverer(db, sender.send, concurrency=args.concurrency)
    stop = threading.Event()
    worker = threading.Thread(target=delivery.serve, args=(deliverer, stop, 0.05, 1.0), daemon=True)
    worker.start()

    n = args.orders
    intake_ms: list[float] = []
    started = time.perf_counter()
    for i in range(n):
        if args.rate:  # a store's pace: the next order's work starts on its schedule
            time.sleep(max(0.0, started + i / args.rate - time.perf_counter()))
        t0 = time.perf_counter()
        detail, _ = intake.intake_order(db, order_body(i), "demo-001")
        intake_ms.append((time.perf_counter() - t0) * 1000)
        oid = detail.id
        picking.claim(db, lee, [oid], f"c-{i:010d}")
        for ln in detail.lines:
            picking.record_scan(db, lee, [oid], ln.sku, f"s{ln.line_nbr}-{i:010d}", quantity=ln.quantity)
        picking.finish_pick(db, lee, oid, f"f-{i:010d}")
        staging.stage(db, lee, oid, "B7", f"t-{i:010d}", secret_key="bench")
        handoff.dispense(db, lee, oid, handoff.DispenseForm(), f"d-{i:010d}")
    flow_s = time.perf_counter() - started
    expected = 3 * n
    while True:
        got = httpx.get(f"{url}/_double/calls", timeout=30).json()
        if len(got["calls"]) >= expected:
            break
        st = delivery.status(db)
        if st.dead:
            raise SystemExit(f"dead letters: {st.dead[:3]}")
        time.sleep(0.2)
    drained_s = time.perf_counter() - started
    stop.set()
    worker.join(30)

    # A backlog (the platform was away): the deliverer stopped while orders come in, then started.
    backlog = max(1, n // 5)
    for i in range(n, n + backlog):
        intake.intake_order(db, order_body(i), "demo-001")
    before = len(got["calls"])
    stop = threading.Event()
    t0 = time.perf_counter()
    worker = threading.Thread(target=delivery.serve, args=(deliverer, stop, 0.05, 1.0), daemon=True)
    worker.start()
    while len(httpx.get(f"{url}/_double/calls", timeout=30).json()["calls"]) < before + backlog:
        time.sleep(0.1)
    backlog_s = time.perf_counter() - t0
    stop.set()
    worker.join(30)
    double.terminate()
    double.wait(10)

    with db.read() as s:
        created = {e.event_id: e.created_at.timestamp() for e in s.exec(select(OutboxEvent))}
    calls = got["calls"]
    lag_ms = [(at - created[eid]) * 1000 for _, _, eid, at in calls]
    span = max(c[3] for c in calls) - min(c[3] for c in calls)
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}; {db.engine.dialect.name}; the double in its own process on loopback")
    print(f"orders: {n}{f' at {args.rate:g}/s' if args.rate else ' back to back'} (intake, claim, 2 scans, finish, stage, hand-off each) in {flow_s:.1f} s; "
          f"every call received {drained_s:.1f} s after the start")
    print(f"intake:         p50 {pct(intake_ms, 50):6.1f} ms   p99 {pct(intake_ms, 99):6.1f} ms")
    print(f"delivery lag:   p50 {pct(lag_ms, 50):6.1f} ms   p99 {pct(lag_ms, 99):6.1f} ms   max {max(lag_ms):.0f} ms"
          "   (event created -> call received)")
    print(f"calls: {len(calls)} ({got['duplicates']} duplicates, {got['refused']} refused), "
          f"{len(calls) / span:.0f} calls/s over {span:.1f} s")
    print(f"backlog: {backlog} calls waiting, all received {backlog_s:.1f} s after the deliverer started: "
          f"{backlog / backlog_s:.0f} calls/s")
    paths = [c[0] for c in calls]
    print("per call:", {p: paths.count(p) for p in sorted(set(paths))})


if __name__ == "__main__":
    main()
