"""Associates racing each other through a real server on loopback (threads, real sockets)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn
from helpers import INTAKE, STORE, rid

from storeassist_tui.config import Settings
from storeassist_tui.server import create_app
from storeassist_tui.store.db import Database


@pytest.fixture
def server(demo_db: Database) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(demo_db, Settings(demo=True)), host="127.0.0.1", port=port,
                            log_level="error", workers=1)
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


def _token(base: str, user: str, secret: str) -> str:
    return str(httpx.post(f"{base}/api/v1/auth/login", json={"username": user, "secret": secret}).json()["token"])


def test_two_associates_claim_one_order_exactly_one_wins(server: str) -> None:
    tokens = [_token(server, "pat", "1111"), _token(server, "lee", "3333")] * 4
    h0 = {"Authorization": f"Bearer {tokens[0]}"}
    orders = httpx.get(f"{server}/api/v1/stores/{STORE}/pick-queue", headers=h0).json()["orders"]
    for oid in [o["id"] for o in orders if o["status"] == "new"][:3]:
        barrier = threading.Barrier(len(tokens))

        def claim(token: str, oid: int = oid, barrier: threading.Barrier = barrier) -> tuple[int, str]:
            barrier.wait()
            r = httpx.post(f"{server}/api/v1/picks/claim", json={"order_ids": [oid]},
                           headers={"Authorization": f"Bearer {token}", "Idempotency-Key": rid()}, timeout=30)
            return r.status_code, r.json().get("code", "")

        with ThreadPoolExecutor(len(tokens)) as pool:
            results = list(pool.map(claim, tokens))
        detail = httpx.get(f"{server}/api/v1/orders/{oid}", headers=h0).json()
        winners = [tokens[i] for i, (status, _) in enumerate(results) if status == 200]
        losers = [code for status, code in results if status != 200]
        assert set(winners) == {winners[0]}, results  # only one associate holds it
        assert set(losers) <= {"claimed_by_other"} and losers, results
        assert detail["status"] == "picking" and detail["claimed_by_name"] in ("Pat Picker", "Lee Lead")
        timeline = httpx.get(f"{server}/api/v1/orders/{oid}/timeline", headers=h0).json()
        assert [e["action"] for e in timeline].count("claimed") == 1


def test_concurrent_scans_never_over_pick(server: str) -> None:
    token = _token(server, "pat", "1111")
    h = {"Authorization": f"Bearer {token}"}
    orders = httpx.get(f"{server}/api/v1/stores/{STORE}/pick-queue", headers=h).json()["orders"]
    oid = next(o["id"] for o in orders if o["status"] == "new")
    claim = httpx.post(f"{server}/api/v1/picks/claim", json={"order_ids": [oid]}, headers={**h, "Idempotency-Key": rid()})
    line = claim.json()["orders"][0]["lines"][0]
    barrier = threading.Barrier(8)

    def scan(_: int) -> int:
        barrier.wait()
        r = httpx.post(f"{server}/api/v1/picks/scan", json={"order_ids": [oid], "code": line["sku"]},
                       headers={**h, "Idempotency-Key": rid()}, timeout=30)
        return r.status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(scan, range(8)))
    detail = httpx.get(f"{server}/api/v1/orders/{oid}", headers=h).json()
    picked = next(ln for ln in detail["lines"] if ln["id"] == line["id"])["picked"]
    assert picked == line["quantity"] == statuses.count(200)
    assert all(s in (200, 409, 422) for s in statuses)


def test_same_order_sent_twice_at_once_is_created_once(server: str, integration_key: str) -> None:
    headers = {"Authorization": f"Bearer {integration_key}", "X-storeId": STORE}
    barrier = threading.Barrier(6)

    def send(_: int) -> tuple[int, int]:
        barrier.wait()
        r = httpx.post(f"{server}/api/v1/orders", json=INTAKE, headers=headers, timeout=30)
        return r.status_code, r.json()["id"]

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(send, range(6)))
    assert sorted(s for s, _ in results) == [200] * 5 + [201]
    assert len({i for _, i in results}) == 1


def test_concurrent_wrong_pins_all_count(server: str) -> None:
    barrier = threading.Barrier(6)

    def wrong(_: int) -> str:
        barrier.wait()
        r = httpx.post(f"{server}/api/v1/auth/login", json={"username": "hana", "secret": "0000"}, timeout=30)
        return str(r.json()["code"])

    with ThreadPoolExecutor(6) as pool:
        codes = list(pool.map(wrong, range(6)))
    assert codes == ["bad_credentials"] * 6, codes  # the try that locks says no more than the others
    r = httpx.post(f"{server}/api/v1/auth/login", json={"username": "hana", "secret": "2222"})
    assert r.json()["code"] == "locked"
