"""The customer's check-in web page over HTTP: what the customer sees, and what is stored."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from helpers import INTAKE, STORE, rid

from storeassist_tui.store import admin, checkin_tokens
from storeassist_tui.store.db import Database
from storeassist_tui.store.models import Order


@dataclass
class Staged:
    id: int
    number: str
    path: str  # /checkin/<token>, from the link in the platform's "staged" event


async def _login(api: httpx.AsyncClient, username: str) -> dict[str, str]:
    secret = {"pat": "1111", "hana": "2222", "lee": "3333"}[username]
    r = await api.post("/api/v1/auth/login", json={"username": username, "secret": secret})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _w(headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "Idempotency-Key": rid()}


def _text(r: httpx.Response) -> str:
    """The page as a person reads it (entities decoded), after checking it is a page at all."""
    assert r.headers["content-type"].startswith("text/html"), r.headers["content-type"]
    assert "Traceback" not in r.text and not r.text.lstrip().startswith("{")
    return html.unescape(r.text)


@pytest.fixture
async def pat(api: httpx.AsyncClient) -> dict[str, str]:
    return await _login(api, "pat")


async def _stage_next(api: httpx.AsyncClient, pat: dict[str, str], integration_key: str) -> Staged:
    """The next picked demo order staged by the demo associate; its link as the platform gets it."""
    order = (await api.get(f"/api/v1/stores/{STORE}/stage-queue", headers=pat)).json()["orders"][0]
    r = await api.post(f"/api/v1/orders/{order['id']}/stage", json={"location": "B3"}, headers=_w(pat))
    assert r.status_code == 200, r.text
    feed = (await api.get("/api/v1/events", headers={"Authorization": f"Bearer {integration_key}"})).json()
    event = next(e for e in feed["events"] if e["type"] == "staged" and e["order_id"] == order["id"])
    url = str(event["payload"]["checkin_url"])
    assert url.startswith("http://shop.test/checkin/")
    return Staged(order["id"], order["number"], urlsplit(url).path)


@pytest.fixture
async def staged(api: httpx.AsyncClient, pat: dict[str, str], integration_key: str) -> Staged:
    return await _stage_next(api, pat, integration_key)


async def _checkins(api: httpx.AsyncClient, headers: dict[str, str], order_id: int) -> list[dict[str, Any]]:
    """The order's entries in the hand-off queue's checked-in list, as the terminals see it."""
    q = (await api.get(f"/api/v1/stores/{STORE}/handoff-queue", headers=headers)).json()
    return [e["order"]["checkin"] for e in q["checked_in"] if e["order"]["id"] == order_id]


async def test_page_shows_store_order_and_spots(api: httpx.AsyncClient, staged: Staged) -> None:
    r = await api.get(staged.path)
    assert r.status_code == 200
    page = _text(r)
    assert "Demo Store - Main St" in page and f"Order {staged.number}" in page
    assert 'name="viewport"' in r.text and "<script" not in r.text and "http" not in r.text.split("<body>")[1]
    for spot in ("P1", "P2", "P3", "P4", "P5", "P6"):
        assert f'name="spot" value="{spot}"' in r.text
    assert "I'm in the store" in page and 'value="curbside"' in r.text and 'name="spot_other"' in r.text
    assert r.headers["cache-control"] == "no-store" and "script-src" not in r.headers["content-security-policy"]


async def test_in_store_check_in(api: httpx.AsyncClient, staged: Staged, pat: dict[str, str]) -> None:
    r = await api.post(staged.path, data={"location": "in_store", "note": "by the door"})
    assert r.status_code == 200
    assert "Thanks, we know you're here" in _text(r)
    (c,) = await _checkins(api, pat, staged.id)
    assert (c["location"], c["spot"], c["note"], c["by"]) == ("in_store", "", "by the door", "customer")


async def test_curbside_then_update_keeps_one_check_in(
    api: httpx.AsyncClient, staged: Staged, pat: dict[str, str], integration_key: str
) -> None:
    form = {"location": "curbside", "spot": "P3", "car_make": "Honda", "car_colour": "Blue", "note": "Boot is open"}
    r = await api.post(staged.path, data=form)
    assert r.status_code == 200
    assert "Thanks, we're bringing your order out to spot P3." in _text(r) and "Blue Honda" in _text(r)
    (c,) = await _checkins(api, pat, staged.id)
    assert (c["location"], c["spot"], c["car_make"], c["car_colour"], c["note"]) == (
        "curbside", "P3", "Honda", "Blue", "Boot is open")
    # Back on the page: it says so, and the form is pre-filled for an update.
    page = await api.get(staged.path)
    assert "You checked in at" in _text(page) and "curbside at spot P3, Blue Honda" in _text(page)
    assert 'name="spot" value="P3" checked' in page.text and 'value="Honda"' in page.text
    assert 'value="curbside" id="where-curb" checked' in page.text
    r = await api.post(staged.path, data={**form, "spot": "other", "spot_other": "by the cart return",
                                          "car_colour": "Dark blue"})
    assert r.status_code == 200 and "out to you (by the cart return)" in _text(r)
    (c,) = await _checkins(api, pat, staged.id)
    assert (c["spot"], c["car_colour"]) == ("Other: by the cart return", "Dark blue")
    page = await api.get(staged.path)
    assert 'name="spot" value="other" checked' in page.text and 'value="by the cart return"' in page.text
    feed = (await api.get("/api/v1/events", headers={"Authorization": f"Bearer {integration_key}"})).json()
    assert [e["type"] for e in feed["events"] if e["order_id"] == staged.id] == ["staged", "checked_in"]


async def test_missing_and_unknown_spots_are_refused_with_values_kept(
    api: httpx.AsyncClient, staged: Staged, pat: dict[str, str]
) -> None:
    r = await api.post(staged.path, data={"location": "curbside", "car_make": "Volvo", "car_colour": "Green"})
    assert r.status_code == 400
    page = _text(r)
    assert "Choose your parking spot" in page and 'role="alert"' in r.text
    assert 'value="Volvo"' in r.text and 'value="Green"' in r.text and 'value="curbside" id="where-curb" checked' in r.text
    r = await api.post(staged.path, data={"location": "curbside", "spot": "Z9", "car_make": "Volvo"})
    assert r.status_code == 400 and "No parking spot Z9 here" in _text(r) and 'value="Volvo"' in r.text
    r = await api.post(staged.path, data={"location": "curbside", "spot": "other", "spot_other": " "})
    assert r.status_code == 400 and "Tell us where you parked" in _text(r)
    r = await api.post(staged.path, data={"location": "on_the_roof"})
    assert r.status_code == 400 and "Where you are" in _text(r)
    assert await _checkins(api, pat, staged.id) == []


async def test_bad_tokens_get_a_friendly_404(api: httpx.AsyncClient, staged: Staged) -> None:
    token = staged.path.rsplit("/", 1)[1]
    for bad in (token[:-1] + ("0" if token[-1] != "0" else "1"), "12345", "x" * 500, "%00%1b[2J", "1-" + "a" * 32):
        for r in (await api.get(f"/checkin/{bad}"), await api.post(f"/checkin/{bad}", data={"location": "in_store"})):
            assert r.status_code == 404
            assert "This check-in link doesn't work" in _text(r)


async def test_oversized_and_garbage_fields_change_nothing(
    api: httpx.AsyncClient, staged: Staged, pat: dict[str, str]
) -> None:
    r = await api.post(staged.path, data={"location": "curbside", "spot": "P1", "note": "x" * 10_000})
    assert r.status_code == 413 and "far more text" in _text(r) and "x" * 200 not in r.text
    r = await api.post(staged.path, data={"location": "curbside", "spot": "P1", "car_make": "Kia", "note": "y" * 150})
    assert r.status_code == 400 and "Note: at most 100 characters" in _text(r)
    assert "y" * 150 not in r.text and 'value="Kia"' in r.text
    r = await api.post(staged.path, data={"location": "curbside", "spot": "P1", "car_make": "Kia\x1b[2J\x00"})
    assert r.status_code == 400 and "Car make: please use plain text only" in _text(r) and "\x1b" not in r.text
    r = await api.post(staged.path, content=b"location=curbside&spot=%ff%fe", headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400 and "could not be read" in _text(r)
    r = await api.post(staged.path, json={"location": "in_store"})
    assert r.status_code == 415 and "check-in page" in _text(r)
    assert await _checkins(api, pat, staged.id) == []


async def test_what_the_customer_typed_is_escaped(api: httpx.AsyncClient, staged: Staged) -> None:
    evil = '<script>alert("x")</script>'
    r = await api.post(staged.path, data={"location": "curbside", "spot": "P2", "car_make": '"><b>', "note": evil})
    assert r.status_code == 200 and "<b>" not in r.text and "&lt;b&gt;" in r.text
    page = await api.get(staged.path)
    assert "<script" not in page.text and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page.text
    assert 'value="&quot;&gt;&lt;b&gt;"' in page.text


async def test_store_without_curbside_offers_only_in_store(
    api: httpx.AsyncClient, demo_db: Database, integration_key: str
) -> None:
    admin.add_store(demo_db, admin.StoreSettings(id="corner", name="Corner Shop", curbside_enabled=False))
    r = await api.post("/api/v1/orders", json=INTAKE,
                       headers={"Authorization": f"Bearer {integration_key}", "X-storeId": "corner"})
    assert r.status_code == 201, r.text
    with demo_db.read() as session:
        order = session.get(Order, r.json()["id"])
        assert order is not None
        path = f"/checkin/{checkin_tokens.sign(checkin_tokens.secret(session, 'test-secret'), order)}"
    page = await api.get(path)
    assert page.status_code == 200 and "Corner Shop" in _text(page)
    assert "curbside" not in page.text.split("<body>")[1] and 'name="spot"' not in page.text
    assert "still getting your order ready" in _text(page)
    r = await api.post(path, data={"location": "curbside", "spot": "P1"})  # a hand-made request
    assert r.status_code == 400 and "no curbside pickup" in _text(r)
    r = await api.post(path, data={"location": "in_store"})
    assert r.status_code == 200 and "Thanks, we know you're here" in _text(r)


async def test_picked_up_or_canceled_orders_get_a_clear_page(
    api: httpx.AsyncClient, staged: Staged, pat: dict[str, str], integration_key: str
) -> None:
    hana, lee = await _login(api, "hana"), await _login(api, "lee")
    r = await api.post(f"/api/v1/orders/{staged.id}/dispense", json={"signature": "Ana Lee"}, headers=_w(hana))
    assert r.status_code == 200, r.text
    page = await api.get(staged.path)
    assert page.status_code == 200 and "This order was picked up at" in _text(page) and "<form" not in page.text
    r = await api.post(staged.path, data={"location": "in_store"})
    assert r.status_code == 409 and "is handed off: nothing to pick up" in _text(r) and "<form" not in r.text

    other = await _stage_next(api, pat, integration_key)
    r = await api.post(f"/api/v1/orders/{other.id}/cancel", json={"reason": "customer asked"}, headers=_w(lee))
    assert r.status_code == 200, r.text
    page = await api.get(other.path)
    assert page.status_code == 200 and "This order was canceled" in _text(page) and "<form" not in page.text
    r = await api.post(other.path, data={"location": "curbside", "spot": "P1"})
    assert r.status_code == 409 and "is canceled" in _text(r)
    assert await _checkins(api, pat, other.id) == []


# The page runs no script and loads nothing: every source is 'none' but the inline style sheet,
# the form posts only back to us, and no other site may frame it.
EXPECTED_CSP = {
    "default-src": ["'none'"],
    "style-src": ["'unsafe-inline'"],
    "form-action": ["'self'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
}


def _csp(r: httpx.Response) -> dict[str, list[str]]:
    policies = r.headers.get_list("content-security-policy")
    assert len(policies) == 1, policies
    directives: dict[str, list[str]] = {}
    for part in filter(None, (p.strip() for p in policies[0].split(";"))):
        name, *sources = part.split()
        assert name.lower() not in directives, f"{name} twice"
        directives[name.lower()] = sources
    return directives


async def test_every_page_carries_the_exact_restrictive_headers(api: httpx.AsyncClient, staged: Staged) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    answers = [
        await api.get(staged.path),
        await api.get("/checkin/forged-token"),
        await api.post(staged.path, content="location=curbside&spot=Z9", headers=form),  # refused: no such spot
        await api.post(staged.path, content="note=" + "x" * 20_000, headers=form),  # too big
        await api.post(staged.path, content="location=in_store", headers=form),  # checked in
    ]
    assert [r.status_code for r in answers] == [200, 404, 400, 413, 200]
    for r in answers:
        csp = _csp(r)
        assert csp == EXPECTED_CSP, csp
        assert not any("*" in s or s.startswith(("http", "data:")) for sources in csp.values() for s in sources)
        assert r.headers["cache-control"] == "no-store" and r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["x-content-type-options"] == "nosniff"
