"""The drop-in: credentials from `storeassist platform add`, a real `storeassist serve`, and the
platform double calling it over a socket as the platform would (token URL and server URL ending in
`/`), on SQLite or PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from platform_double import PlatformDouble, pickup_body, platform_order
from test_checkin_browser import _cli, _free_port
from ui import STORE

MERCHANT = "merchant-1"


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> dict[str, str]:
    return {**os.environ, "STOREASSIST_DATABASE_URL": database_url,
            "STOREASSIST_CONFIG": str(tmp_path / "no-config.toml")}


@pytest.fixture
def serve(env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    _cli(env, "seed", "--demo", "--orders", "5")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "storeassist_tui.cli", "serve", "--port", str(port)],
                                env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"the server stopped: {log_path.read_text(errors='replace')[-2000:]}")
                try:
                    if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail("the server did not answer in 30 s")
                time.sleep(0.1)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


async def test_the_platform_runs_a_store_on_storeassist_serve(serve: str, env: dict[str, str],
                                                              http: httpx.AsyncClient) -> None:
    out = _cli(env, "platform", "add", "shop", "--merchant-id", MERCHANT)
    fields = dict(line.split(":", 1) for line in out.splitlines() if line.startswith("consumer"))
    consumer_id, secret = fields["consumer id"].strip(), fields["consumer secret"].strip()
    assert "shop" in _cli(env, "platform", "list") and consumer_id in _cli(env, "platform", "list")
    # The merchant's settings: server_url with its trailing slash, token_auth_url as the host.
    platform = PlatformDouble(http, f"{serve}/", f"{serve}/", consumer_id, secret, MERCHANT, sandbox=True)
    r = await platform.fetch_token()
    assert r.status_code == 200 and r.json()["expires_in"] > 540, r.text
    ppid = await platform.sync_source(pickup_body("store_austin"))
    assert ppid >= 1 and "platform: active" in _cli(env, "store", "list")
    r = await platform.create_order(platform_order("#100"), "store_austin")
    assert r.status_code == 201, r.text
    assert (await platform.create_order(platform_order("#100"), "store_austin")).status_code == 200
    r = await platform.checkin("#100", "store_austin", {"vehicleColor": "Red", "vehicleMake": "Toyota",
                                                         "parkBayNumber": "A2", "parkingNote": "text"})
    assert r.status_code == 200 and r.json()[0]["spot"] == "A2", r.text
    r = await platform.cancel_order("#100", "store_austin")
    assert r.status_code == 200 and r.json()["status"] == "canceled", r.text
    # The search finds a store made by hand too.
    assert [p["externalId"] for p in (await platform.search(STORE)).json()] == [STORE]
    # Revoked on the command line: the token the platform still caches stops working at once.
    _cli(env, "platform", "revoke", "shop")
    r = await platform.search(STORE)
    assert r.status_code == 401 and "\n" not in r.json()["message"]
    assert "revoked" in _cli(env, "platform", "list")
