"""What an answer may not tell: whether an order id exists in another store, whether a user name
is real, what another store's customers ordered; and every error is {"code", "message"}, one
line without control characters, whatever the framework or the client did."""

from __future__ import annotations

import copy
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import INTAKE, STORE, rid
from sqlmodel import select

from storeassist_tui.config import Settings
from storeassist_tui.server import create_app
from storeassist_tui.store import admin, intake
from storeassist_tui.store.db import Database, utcnow
from storeassist_tui.store.models import MAX_ID, Associate

OTHER = "other-002"
SECRET_LINE = "Engraving for Jane Doe"
SECRET_CODE = "ENGRAVE-JD-0001"


def _other_store_order(db: Database) -> tuple[int, int]:
    """An order of another store of the chain, with a personal line only that store may see."""
    admin.add_store(db, admin.StoreSettings(id=OTHER, name="Other Store"))
    body = copy.deepcopy(INTAKE)["order"]
    body["orderId"] = "OTHER-1"
    body["orderLines"][0]["itemDesc"] = SECRET_LINE
    body["orderLines"][0]["products"] = [{"barcode": SECRET_CODE, "barcodeType": "SKU"}]
    detail, _ = intake.intake_order(db, intake.IntakeOrder.model_validate(body), OTHER)
    return detail.id, detail.lines[0].id


async def _token(api: httpx.AsyncClient, username: str, secret: str) -> dict[str, str]:
    r = await api.post("/api/v1/auth/login", json={"username": username, "secret": secret})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


_BODIES: dict[str, Any] = {
    "not-found": {"quantity": 1}, "stage": {"location": "B3"}, "restage": {"location": "B4"},
    "checkin": {"location": "in_store"}, "dispense": {}, "cancel": {"reason": "test"},
}


async def test_another_stores_order_answers_as_a_missing_one_on_every_order_endpoint(
    api: httpx.AsyncClient, demo_db: Database
) -> None:
    other_id, other_line = _other_store_order(demo_db)
    lee = await _token(api, "lee", "3333")  # a lead of demo-001: every permission, not of other-002
    spec = (await api.get("/openapi.json")).json()
    tried = []
    for path, ops in spec["paths"].items():
        if "{order_id}" not in path:
            continue
        for method in ops:
            answers = []
            for order_id in (other_id, MAX_ID):  # another store's real order, and no order at all
                url = path.replace("{order_id}", str(order_id)).replace("{line_id}", str(other_line))
                body = _BODIES.get(path.rsplit("/", 1)[-1]) if method == "post" else None
                r = await api.request(method.upper(), url, json=body, headers={**lee, "Idempotency-Key": rid()})
                answers.append((r.status_code, r.json()))
            assert answers[0] == answers[1], (method, path, answers)
            assert answers[0][0] == 404
            tried.append(path)
    for path, key in (("/api/v1/picks/claim", {}), ("/api/v1/picks/scan", {"code": SECRET_CODE})):
        answers = []
        for order_id in (other_id, MAX_ID):
            r = await api.post(path, json={"order_ids": [order_id], **key}, headers={**lee, "Idempotency-Key": rid()})
            answers.append((r.status_code, r.json()))
        assert answers[0] == answers[1] and answers[0][0] == 404, (path, answers)
        tried.append(path)
    # By number: the message quotes the number asked for, and nothing else differs.
    answers = []
    for number in ("OTHER-1", "NOPE-1"):
        r = await api.get(f"/api/v1/orders/by-number/{number}", headers=lee)
        answers.append((r.status_code, r.json()["code"], r.json()["message"].replace(number, "#")))
    assert answers[0] == answers[1] and answers[0][0] == 404
    assert len(tried) == 13  # every order route of the API was compared


async def test_another_stores_store_answers_as_a_missing_one(api: httpx.AsyncClient, demo_db: Database) -> None:
    admin.add_store(demo_db, admin.StoreSettings(id=OTHER, name="Other Store"))
    lee = await _token(api, "lee", "3333")
    answers = []
    for store in (OTHER, "no-such-store"):
        for tail in ("", "/counts", "/pick-queue", "/orders"):
            r = await api.get(f"/api/v1/stores/{store}{tail}", headers=lee)
            answers.append((tail, r.status_code, r.json()))
    assert answers[:4] == answers[4:] and all(a[1] == 404 for a in answers)


async def test_login_answers_the_same_for_a_real_user_and_an_unknown_one(
    api: httpx.AsyncClient, demo_db: Database
) -> None:
    with demo_db.write() as s:  # hana's account has ended (and lee's locks out below)
        hana = s.exec(select(Associate).where(Associate.username == "hana")).one()
        hana.active_to = utcnow() - timedelta(days=1)
        s.add(hana)
    answers = {}
    for who in ("nobody", "pat", "pat", "hana", "lee"):
        r = await api.post("/api/v1/auth/login", json={"username": who, "secret": "0000"})
        answers.setdefault(who, []).append((r.status_code, r.json()))
    for _ in range(6):  # lee locks out: the try that locks and those after answer as before
        r = await api.post("/api/v1/auth/login", json={"username": "lee", "secret": "0000"})
        answers["lee"].append((r.status_code, r.json()))
    expected = (401, {"code": "bad_credentials", "message": "Wrong user name or PIN"})
    assert all(a == expected for tries in answers.values() for a in tries), answers
    # The right PIN proves who it is: only then is the lock-out or the account's end told.
    r = await api.post("/api/v1/auth/login", json={"username": "lee", "secret": "3333"})
    assert (r.status_code, r.json()["code"]) == (401, "locked") and "try again in" in r.json()["message"]
    r = await api.post("/api/v1/auth/login", json={"username": "hana", "secret": "2222"})
    assert (r.status_code, r.json()["code"]) == (401, "inactive")


async def test_a_scan_never_quotes_another_stores_order(api: httpx.AsyncClient, demo_db: Database) -> None:
    _other_store_order(demo_db)
    pat = await _token(api, "pat", "1111")
    queue = (await api.get(f"/api/v1/stores/{STORE}/pick-queue", headers=pat)).json()["orders"]
    oid = queue[0]["id"]
    r = await api.post("/api/v1/picks/claim", json={"order_ids": [oid]}, headers={**pat, "Idempotency-Key": rid()})
    assert r.status_code == 200
    r = await api.post("/api/v1/picks/scan", json={"order_ids": [oid], "code": SECRET_CODE},
                       headers={**pat, "Idempotency-Key": rid()})
    assert r.status_code == 422 and r.json()["code"] == "wrong_item", r.text
    assert "Jane" not in r.text and "Engraving" not in r.text
    # An item of the store's own orders is still named.
    mine = {ln["sku"] for ln in (await api.get(f"/api/v1/orders/{oid}", headers=pat)).json()["lines"]}
    lines = [ln for o in queue[1:6] for ln in (await api.get(f"/api/v1/orders/{o['id']}", headers=pat)).json()["lines"]]
    other = next(ln for ln in lines if ln["sku"] not in mine)
    r = await api.post("/api/v1/picks/scan", json={"order_ids": [oid], "code": other["sku"]},
                       headers={**pat, "Idempotency-Key": rid()})
    assert r.json()["code"] == "wrong_item" and other["description"][:40] in r.json()["message"]


def _assert_error(r: httpx.Response, status: int | tuple[int, ...]) -> dict[str, Any]:
    statuses = status if isinstance(status, tuple) else (status,)
    assert r.status_code in statuses, r.text[:300]
    payload = r.json()
    assert set(payload) == {"code", "message"}, payload
    assert payload["code"] and payload["message"]
    assert not re.search(r"[\x00-\x1f\x7f-\x9f]", payload["message"]), payload["message"]
    return payload


async def test_framework_errors_are_code_and_message(api: httpx.AsyncClient) -> None:
    _assert_error(await api.get("/api/v1/no-such-route"), 404)
    _assert_error(await api.get("/nothing/here"), 404)
    _assert_error(await api.delete("/api/v1/health"), 405)
    _assert_error(await api.put("/api/v1/auth/login", json={}), 405)
    deep = "[" * 100_000 + "]" * 100_000
    for body in (deep, '{"username": ' + deep + "}", '{"username": "pat", "secret": ' + "9" * 5000 + "}",
                 '{"username": "pat", "secret": 1e999999}', "{not json", "\xff\xfe"):
        r = await api.post("/api/v1/auth/login", content=body.encode("utf-8", "surrogateescape"),
                           headers={"Content-Type": "application/json"})
        _assert_error(r, (400, 422))


async def test_no_control_characters_in_any_error_message(api: httpx.AsyncClient, integration_key: str) -> None:
    body = copy.deepcopy(INTAKE)
    body["order"]["orderLines"][0]["lineDisplayAttributes"] = {"\x1b]0;pwned\x07\x1b[2J\r\nX": 5}
    r = await api.post("/api/v1/orders", json=body,
                       headers={"Authorization": f"Bearer {integration_key}", "X-storeId": STORE})
    assert _assert_error(r, 422)["code"] == "invalid"
    r = await api.get("/api/v1/orders/by-number/%1b%5b2J%07X%0a", headers=await _token(api, "pat", "1111"))
    _assert_error(r, 404)
    r = await api.post("/api/v1/auth/login", json={"username": "x", "secret": "y", "\x1b[31m\x00": {"\x07": 1},
                                                   "store": ["\x1b"]})
    _assert_error(r, 422)


async def _unknown_badges(api: httpx.AsyncClient, n: int) -> list[httpx.Response]:
    return [await api.post("/api/v1/auth/login", json={"badge": f"B-9{i:03d}"},
                           headers={"X-Forwarded-For": f"10.0.0.{i}"}) for i in range(n)]


async def test_x_forwarded_for_is_not_trusted_by_default(api: httpx.AsyncClient) -> None:
    # The test client is on loopback: a forged header per request must not give it a new count.
    answers = await _unknown_badges(api, 21)
    assert [r.json()["code"] for r in answers[:20]] == ["bad_credentials"] * 20
    assert (answers[20].status_code, answers[20].json()["code"]) == (429, "too_many_badges")


async def test_x_forwarded_for_is_trusted_from_a_configured_proxy(demo_db: Database) -> None:
    settings = Settings(demo=True, secret_key="k", trusted_proxies="10.9.9.9, 127.0.0.1")
    transport = httpx.ASGITransport(app=create_app(demo_db, settings), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as api:
        answers = await _unknown_badges(api, 21)  # 21 terminals behind the proxy, one each
        assert all(r.json()["code"] == "bad_credentials" for r in answers)
        # The client's own address the proxy appended is taken, not what the client wrote before it.
        for _ in range(20):
            await api.post("/api/v1/auth/login", json={"badge": "B-0"},
                           headers={"X-Forwarded-For": "1.2.3.4, 10.1.1.1"})
        r = await api.post("/api/v1/auth/login", json={"badge": "B-0"},
                           headers={"X-Forwarded-For": "9.9.9.9, 10.1.1.1"})
        assert r.json()["code"] == "too_many_badges"


def test_serve_leaves_x_forwarded_for_to_the_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """uvicorn trusts X-Forwarded-For from loopback by default; the server must not let it."""
    import uvicorn

    from storeassist_tui import cli

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(kw))
    monkeypatch.setattr(cli, "_check_listen", lambda host, port: None)
    cli.main(["serve", "--port", "8765", "--database-url", f"sqlite:///{tmp_path / 'x.db'}"])
    assert seen["proxy_headers"] is False

