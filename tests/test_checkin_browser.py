"""The check-in page in a real browser: headless Chromium at phone size, with JavaScript off,
against a real `storeassist serve` on loopback.

Uses the system's chromium (Debian package) driven by Playwright; Playwright's own browser
downloads are never needed. Without chromium or Playwright the test skips, unless
STOREASSIST_REQUIRE_BROWSER=1 (as in CI), where it fails instead.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import STORE, rid

CHROMIUM = os.environ.get("STOREASSIST_CHROMIUM", "/usr/bin/chromium")
PHONE = {"width": 320, "height": 640}  # the narrowest phone the page is made for


def _playwright_or_skip() -> Any:
    """sync_playwright, or a skip (a failure when the browser is required) saying what is missing."""
    why = ""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        why = "the playwright package is not installed (pip install -e '.[test]')"
    if not why and not os.access(CHROMIUM, os.X_OK):
        why = f"no chromium at {CHROMIUM} (apt-get install chromium)"
    if why:
        if os.environ.get("STOREASSIST_REQUIRE_BROWSER") == "1":
            pytest.fail(f"STOREASSIST_REQUIRE_BROWSER=1 but {why}")
        pytest.skip(why)
    return sync_playwright


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "storeassist_tui.cli", *args], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, f"storeassist {' '.join(args)}: {done.stderr or done.stdout}"
    return done.stdout


@dataclass
class Server:
    base: str
    integration_key: str


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """`storeassist serve` on a free loopback port over a new SQLite database with the demo data."""
    _playwright_or_skip()  # no server started for a test that cannot run
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "STOREASSIST_DATABASE_URL": f"sqlite:///{tmp_path / 'server.db'}",
        "STOREASSIST_PUBLIC_URL": base,  # the host the customer's link points at
        "STOREASSIST_CONFIG": str(tmp_path / "no-config.toml"),  # never the developer's own settings
    }
    _cli(env, "seed", "--demo", "--orders", "40")
    key = _cli(env, "key", "add", "platform").strip().splitlines()[-1]
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
                    pytest.fail(f"the server did not answer in 30 s: {log_path.read_text(errors='replace')[-2000:]}")
                time.sleep(0.1)
            yield Server(base, key)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _stage_one(api: httpx.Client, key: str) -> tuple[dict[str, Any], str, dict[str, str]]:
    """Stage a picked demo order as the demo associate; its check-in link from the event feed."""
    r = api.post("/api/v1/auth/login", json={"username": "pat", "secret": "1111"})
    assert r.status_code == 200, r.text
    pat = {"Authorization": f"Bearer {r.json()['token']}"}
    order = api.get(f"/api/v1/stores/{STORE}/stage-queue", headers=pat).json()["orders"][0]
    r = api.post(f"/api/v1/orders/{order['id']}/stage", json={"location": "B2"},
                 headers={**pat, "Idempotency-Key": rid()})
    assert r.status_code == 200, r.text
    feed = api.get("/api/v1/events", headers={"Authorization": f"Bearer {key}"}).json()
    event = next(e for e in feed["events"] if e["type"] == "staged" and e["order_id"] == order["id"])
    return order, str(event["payload"]["checkin_url"]), pat


def test_customer_checks_in_curbside_on_a_phone(server: Server) -> None:
    sync_playwright = _playwright_or_skip()
    from playwright.sync_api import expect

    with httpx.Client(base_url=server.base, timeout=10) as api:
        order, link, pat = _stage_one(api, server.integration_key)
    assert link.startswith(f"{server.base}/checkin/")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2,
                                          java_script_enabled=False)  # the page must work without script
            page = context.new_page()
            page.set_default_timeout(15_000)
            assert page.goto(link).status == 200  # type: ignore[union-attr]
            expect(page.locator("h1")).to_have_text(f"Order {order['number']}")
            expect(page.get_by_text("Demo Store - Main St")).to_be_visible()
            # Readable at 320 px: nothing wider than the screen, touch targets a thumb can hit.
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            curbside = page.get_by_label("I'm parked outside (curbside)")
            for target in (curbside, page.get_by_role("button", name="I'm here")):
                box = target.locator("xpath=ancestor-or-self::*[self::label or self::button][1]").bounding_box()
                assert box is not None and box["height"] >= 44, box

            curbside.check()
            page.get_by_label("P3", exact=True).check()
            page.get_by_label("Car make").fill("Subaru")
            page.get_by_label("Car colour").fill("Green")
            page.get_by_label("Anything we should know?").fill("Two car seats in the back")
            page.get_by_role("button", name="I'm here").click()

            expect(page.get_by_role("status")).to_have_text("Thanks, we're bringing your order out to spot P3.")
            expect(page.get_by_text("We'll look for your Green Subaru.")).to_be_visible()
            expect(page.get_by_role("link", name="Change my check-in")).to_be_visible()
        finally:
            browser.close()

    with httpx.Client(base_url=server.base, timeout=10) as api:
        queue = api.get(f"/api/v1/stores/{STORE}/handoff-queue", headers=pat).json()
    entry = next(e for e in queue["checked_in"] if e["order"]["id"] == order["id"])
    c = entry["order"]["checkin"]
    assert (c["location"], c["spot"], c["car_make"], c["car_colour"], c["note"], c["by"]) == (
        "curbside", "P3", "Subaru", "Green", "Two car seats in the back", "customer")
    assert entry["wait_seconds"] is not None and entry["wait_seconds"] >= 0
