"""Request bodies are bounded before they are parsed: over the limit is a 413 {"code", "message"},
whether the size was declared (Content-Length) or the body streamed in chunks; the platform's
largest orders fit the intake's own, larger, limit with room to spare."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from helpers import INTAKE, STORE

from storeassist_tui.config import Settings
from storeassist_tui.server import create_app
from storeassist_tui.store.db import Database

API_LIMIT = Settings().max_body_bytes
INTAKE_LIMIT = Settings().max_intake_body_bytes


def test_the_limits_default_to_256_kib_and_2_mib() -> None:
    assert (API_LIMIT, INTAKE_LIMIT) == (256 * 1024, 2 * 1024 * 1024)


def _too_large(r: httpx.Response) -> None:
    assert r.status_code == 413, r.text[:300]
    assert r.json()["code"] == "too_large" and set(r.json()) == {"code", "message"}


async def _chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    sent = 0
    yield b'{"username": "'
    while sent < total:
        yield b"x" * size
        sent += size
    yield b'", "secret": "1"}'


async def test_a_declared_body_over_the_limit_is_refused_before_it_is_read(api: httpx.AsyncClient) -> None:
    body = json.dumps({"username": "x" * API_LIMIT, "secret": "1"}).encode()
    _too_large(await api.post("/api/v1/auth/login", content=body, headers={"Content-Type": "application/json"}))
    # Ten megabytes to a route that takes a small body, and to one that takes none.
    ten = b"[" + b"1," * (5 * 1024 * 1024) + b"1]"
    _too_large(await api.post("/api/v1/picks/scan", content=ten, headers={"Content-Type": "application/json"}))
    _too_large(await api.post("/api/v1/expire", content=ten))


async def test_a_streamed_body_over_the_limit_is_refused(api: httpx.AsyncClient) -> None:
    r = await api.post("/api/v1/auth/login", content=_chunks(API_LIMIT + 1),
                       headers={"Content-Type": "application/json"})
    assert "content-length" not in r.request.headers  # sent chunked: only counting can catch it
    _too_large(r)


async def test_a_body_within_the_limit_is_read(api: httpx.AsyncClient) -> None:
    r = await api.post("/api/v1/auth/login", content=_chunks(API_LIMIT - 64 * 1024),
                       headers={"Content-Type": "application/json"})
    assert (r.status_code, r.json()["code"]) == (422, "invalid")  # read and parsed: the name is too long


async def test_an_unreadable_content_length_is_refused(api: httpx.AsyncClient) -> None:
    r = await api.post("/api/v1/auth/login", content=b"{}", headers={"Content-Length": "12abc"})
    assert r.status_code == 400 and set(r.json()) == {"code", "message"}


def _big_order(order_id: str) -> dict[str, Any]:
    """The heaviest order the platform can send: 500 lines of 300-character non-Latin text
    (JSON-escaped, six bytes a character), three codes each, pretty-printed."""
    body = copy.deepcopy(INTAKE)
    template = body["order"]["orderLines"][0]
    lines = []
    for n in range(1, 501):
        line = copy.deepcopy(template)
        line.update(lineNbr=n, itemDesc="品" * 300, imageUrl="https://cdn.example.com/" + "i" * 200,
                    products=[{"barcode": "012345678905", "barcodeType": "UPC"},
                              {"barcode": f"SKU-{n:08d}", "barcodeType": "SKU"},
                              {"barcode": "0012345678905", "barcodeType": "EAN13"}],
                    lineDisplayAttributes={"color": "Blue", "size": "M", "fit": "Regular", "style": "Crew"})
        lines.append(line)
    body["order"].update(orderId=order_id, orderLines=lines, orderTotal=None)
    return body


async def test_the_platforms_largest_order_fits_the_intake_limit(api: httpx.AsyncClient, integration_key: str) -> None:
    raw = json.dumps(_big_order("BIG-1"), indent=2).encode()
    assert API_LIMIT < len(raw) < INTAKE_LIMIT * 0.75, len(raw)  # room to spare
    r = await api.post("/api/v1/orders", content=raw, headers={
        "Authorization": f"Bearer {integration_key}", "X-storeId": STORE, "Content-Type": "application/json"})
    assert r.status_code == 201, r.text[:300]
    assert r.json()["line_count"] == 500


async def test_intake_over_its_limit_is_refused(api: httpx.AsyncClient, integration_key: str) -> None:
    body = copy.deepcopy(INTAKE)
    body["order"]["orderLines"][0]["lineDisplayAttributes"] = {"pad": "x" * INTAKE_LIMIT}
    r = await api.post("/api/v1/orders", json=body,
                       headers={"Authorization": f"Bearer {integration_key}", "X-storeId": STORE})
    _too_large(r)


@pytest.mark.parametrize("limit", [1024])
async def test_the_limits_are_settings(demo_db: Database, limit: int) -> None:
    settings = Settings(demo=True, secret_key="k", max_body_bytes=limit, max_intake_body_bytes=limit)
    transport = httpx.ASGITransport(app=create_app(demo_db, settings), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as api:
        _too_large(await api.post("/api/v1/auth/login", json={"username": "x" * limit, "secret": "1"}))
        body = copy.deepcopy(INTAKE)
        body["order"]["orderLines"][0]["lineDisplayAttributes"] = {"pad": "x" * limit}
        _too_large(await api.post("/api/v1/orders", json=body))
        r = await api.post("/api/v1/auth/login", json={"username": "pat", "secret": "1111"})
        assert r.status_code == 200
