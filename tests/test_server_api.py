"""The HTTP API: auth, errors as {"code", "message"}, store scoping, ETag/304, intake, events."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
from helpers import INTAKE, STORE, rid

from storeassist_tui.store.db import Database


async def _login(api: httpx.AsyncClient, username: str = "pat", secret: str = "1111") -> dict[str, str]:
    r = await api.post("/api/v1/auth/login", json={"username": username, "secret": secret})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _w(headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "Idempotency-Key": rid()}


async def test_health_openapi_and_demo(api: httpx.AsyncClient) -> None:
    health = (await api.get("/api/v1/health")).json()
    assert health["status"] == "ok"
    spec = (await api.get("/openapi.json")).json()
    for path in ("/api/v1/orders", "/api/v1/events", "/api/v1/picks/scan", "/api/v1/stores/{store_id}/pick-queue"):
        assert path in spec["paths"]
    demo = (await api.get("/api/v1/demo")).json()
    assert demo["demo"] is True and {c["username"] for c in demo["credentials"]} == {"pat", "hana", "lee"}


async def test_auth_errors_are_json_with_a_code(api: httpx.AsyncClient) -> None:
    r = await api.post("/api/v1/auth/login", json={"username": "pat", "secret": "nope"})
    assert (r.status_code, r.json()["code"], r.json()["message"]) == (401, "bad_credentials", "Wrong user name or PIN")
    r = await api.post("/api/v1/auth/login", json={})
    assert (r.status_code, r.json()["code"]) == (422, "invalid")
    r = await api.get(f"/api/v1/stores/{STORE}/counts")
    assert (r.status_code, r.json()["code"]) == (401, "session_invalid")
    r = await api.get(f"/api/v1/stores/{STORE}/counts", headers={"Authorization": "Bearer forged"})
    assert r.status_code == 401
    for _ in range(6):
        await api.post("/api/v1/auth/login", json={"username": "lee", "secret": "0000"})
    r = await api.post("/api/v1/auth/login", json={"username": "lee", "secret": "3333"})
    assert (r.status_code, r.json()["code"]) == (401, "locked")


async def test_unknown_badges_are_throttled_per_terminal(api: httpx.AsyncClient) -> None:
    for i in range(20):
        r = await api.post("/api/v1/auth/login", json={"badge": f"B-77{i:02d}"})
        assert (r.status_code, r.json()["code"]) == (401, "bad_credentials")
    r = await api.post("/api/v1/auth/login", json={"badge": "B-1002"})
    assert (r.status_code, r.json()["code"]) == (429, "too_many_badges") and "user name + PIN" in r.json()["message"]
    assert (await api.post("/api/v1/auth/login", json={"username": "hana", "secret": "2222"})).status_code == 200


async def test_logout_revokes_the_token(api: httpx.AsyncClient) -> None:
    h = await _login(api)
    assert (await api.get("/api/v1/auth/me", headers=h)).json()["username"] == "pat"
    assert (await api.post("/api/v1/auth/logout", headers=h)).status_code == 204
    assert (await api.get("/api/v1/auth/me", headers=h)).status_code == 401


async def test_store_scope_and_permissions(api: httpx.AsyncClient) -> None:
    h = await _login(api)
    r = await api.get("/api/v1/stores/other-store/counts", headers=h)
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    oid = (await api.get(f"/api/v1/stores/{STORE}/pick-queue", headers=h)).json()["orders"][0]["id"]
    hana = await _login(api, "hana", "2222")
    r = await api.post("/api/v1/picks/claim", json={"order_ids": [oid]}, headers=_w(hana))
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    r = await api.post(f"/api/v1/orders/{oid}/cancel", json={"reason": "x"}, headers=_w(h))
    assert r.status_code == 403


async def test_mutations_need_a_request_id(api: httpx.AsyncClient) -> None:
    h = await _login(api)
    oid = (await api.get(f"/api/v1/stores/{STORE}/pick-queue", headers=h)).json()["orders"][0]["id"]
    r = await api.post("/api/v1/picks/claim", json={"order_ids": [oid]}, headers=h)
    assert (r.status_code, r.json()["code"]) == (422, "invalid") and "request id" in r.json()["message"]


async def test_pick_over_http_with_refusals(api: httpx.AsyncClient) -> None:
    h = await _login(api)
    oid = (await api.get(f"/api/v1/stores/{STORE}/pick-queue", headers=h)).json()["orders"][0]["id"]
    order = (await api.post("/api/v1/picks/claim", json={"order_ids": [oid]}, headers=_w(h))).json()["orders"][0]
    line = order["lines"][0]
    key = rid()
    for _ in range(2):  # a retry with the same id counts once
        r = await api.post("/api/v1/picks/scan", json={"order_ids": [oid], "code": line["sku"]},
                           headers={**h, "Idempotency-Key": key})
        assert r.status_code == 200 and r.json()["counted"] == 1
    got = (await api.get(f"/api/v1/orders/{oid}", headers=h)).json()
    assert next(ln for ln in got["lines"] if ln["id"] == line["id"])["picked"] == 1
    cases = [("036000291452", "unknown_code"), ("036000291453", "bad_code"), ("\x00" * 3, "bad_code"),
             ("9" * 4000, "bad_code")]
    for code, expected in cases:
        r = await api.post("/api/v1/picks/scan", json={"order_ids": [oid], "code": code}, headers=_w(h))
        assert (r.status_code, r.json()["code"]) == (422, expected)
    r = await api.post("/api/v1/picks/scan", json={"order_ids": [oid], "code": "x" * 5000}, headers=_w(h))
    assert r.status_code == 422
    r = await api.post("/api/v1/picks/scan", json={"order_ids": [oid], "code": line["sku"], "quantity": -3},
                       headers=_w(h))
    assert (r.status_code, r.json()["code"]) == (422, "invalid")
    r = await api.post(f"/api/v1/orders/{oid}/finish-pick", headers=_w(h))
    assert (r.status_code, r.json()["code"]) == (409, "wrong_state")
    r = await api.post("/api/v1/picks/scan", content=b"{not json", headers={**_w(h), "Content-Type": "application/json"})
    assert r.status_code == 422


async def test_scans_sent_together_answer_each_and_the_refusal_that_ended_them(api: httpx.AsyncClient) -> None:
    h = await _login(api)
    oid = (await api.get(f"/api/v1/stores/{STORE}/pick-queue", headers=h)).json()["orders"][0]["id"]
    order = (await api.post("/api/v1/picks/claim", json={"order_ids": [oid]}, headers=_w(h))).json()["orders"][0]
    line = order["lines"][0]
    items = [{"code": line["sku"], "request_id": rid()}, {"code": "036000291452\x1b[2J", "request_id": rid()},
             {"code": line["sku"], "request_id": rid()}]
    r = await api.post("/api/v1/picks/scans", json={"order_ids": [oid], "scans": items}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [x["counted"] for x in body["results"]] == [1]
    assert {k: body["refused"][k] for k in ("status", "code")} == {"status": 422, "code": "unknown_code"}
    assert "\x1b" not in body["refused"]["message"]  # one line, as every error message
    got = (await api.get(f"/api/v1/orders/{oid}", headers=h)).json()
    assert next(ln for ln in got["lines"] if ln["id"] == line["id"])["picked"] == 1  # the third was not done
    r = await api.post("/api/v1/picks/scans", json={"order_ids": [oid], "scans": items[:1]}, headers=h)
    assert r.json()["results"] == body["results"]  # sent again: the first answer, not counted twice
    r = await api.post("/api/v1/picks/scans", json={"order_ids": [oid], "scans": [{"code": line["sku"], "request_id": "x"}]},
                       headers=h)
    assert (r.json()["results"], r.json()["refused"]["code"]) == ([], "invalid")  # a request id as the header's
    r = await api.post("/api/v1/picks/scans", json={"order_ids": [oid], "scans": items[:1] * 51}, headers=h)
    assert (r.status_code, r.json()["code"]) == (422, "invalid")
    r = await api.post("/api/v1/picks/scans", json={"order_ids": [oid], "scans": items[:1]})
    assert (r.status_code, r.json()["code"]) == (401, "session_invalid")


async def test_lists_answer_304_until_something_changes(api: httpx.AsyncClient) -> None:
    h = await _login(api)
    for path in ("counts", "pick-queue", "stage-queue", "handoff-queue", "orders"):
        first = await api.get(f"/api/v1/stores/{STORE}/{path}", headers=h)
        tag = first.headers["etag"]
        again = await api.get(f"/api/v1/stores/{STORE}/{path}", headers={**h, "If-None-Match": tag})
        assert again.status_code == 304 and again.content == b""
    q = await api.get(f"/api/v1/stores/{STORE}/pick-queue", headers=h)
    oid = q.json()["orders"][0]["id"]
    await api.post("/api/v1/picks/claim", json={"order_ids": [oid]}, headers=_w(h))
    after = await api.get(f"/api/v1/stores/{STORE}/pick-queue", headers={**h, "If-None-Match": q.headers["etag"]})
    assert after.status_code == 200 and after.json()["orders"][0]["claimed_by_name"] == "Pat Picker"


async def test_a_shared_answer_is_the_same_for_every_terminal_until_a_change(api: httpx.AsyncClient) -> None:
    """The second terminal gets the answer the first one made (same bytes), and after a change
    nobody gets the old one; a query of its own gets its own answer."""
    pat, lee = await _login(api), await _login(api, "lee", "3333")
    url = f"/api/v1/stores/{STORE}/pick-queue"
    first = await api.get(url, headers=pat)
    second = await api.get(url, headers=lee)
    assert second.status_code == 200 and second.content == first.content
    assert second.headers["etag"] == first.headers["etag"]
    narrow = await api.get(url, headers=lee, params={"limit": 1})
    assert len(narrow.json()["orders"]) == 1 and narrow.headers["etag"] != first.headers["etag"]
    oid = first.json()["orders"][0]["id"]
    await api.post("/api/v1/picks/claim", json={"order_ids": [oid]}, headers=_w(pat))
    after = await api.get(url, headers=lee)
    assert after.headers["etag"] != first.headers["etag"]
    assert after.json()["orders"][0]["claimed_by_name"] == "Pat Picker"
    other = await api.get("/api/v1/stores/elsewhere/pick-queue", headers=lee)
    assert other.status_code == 404  # the store is checked before any answer is served


async def test_search_by_number_name_phone_email(api: httpx.AsyncClient) -> None:
    h = await _login(api)
    some = (await api.get(f"/api/v1/stores/{STORE}/orders", headers=h, params={"limit": 5})).json()["orders"][2]
    detail = (await api.get(f"/api/v1/orders/{some['id']}", headers=h)).json()
    for q in (detail["number"], detail["customer_name"].split()[0], detail["customer_phone"][-4:],
              detail["customer_email"].upper()):
        found = (await api.get(f"/api/v1/stores/{STORE}/orders", headers=h, params={"q": q})).json()
        assert some["id"] in [o["id"] for o in found["orders"]], q
    r = await api.get(f"/api/v1/orders/by-number/{detail['number']}", headers=h)
    assert r.json()["id"] == some["id"]
    for wildcard in ("%", "_", "%%%%", "\\"):  # literal characters, not patterns matching every order
        found = (await api.get(f"/api/v1/stores/{STORE}/orders", headers=h, params={"q": wildcard})).json()
        assert found["orders"] == [], wildcard
    r = await api.get(f"/api/v1/stores/{STORE}/orders", headers=h, params={"status": "bogus"})
    assert r.status_code == 422
    page = (await api.get(f"/api/v1/stores/{STORE}/orders", headers=h, params={"limit": 10, "offset": 10})).json()
    assert page["offset"] == 10 and len(page["orders"]) == 10


async def test_intake_creates_then_is_idempotent(api: httpx.AsyncClient, integration_key: str) -> None:
    key = {"Authorization": f"Bearer {integration_key}", "X-storeId": STORE}
    assert (await api.post("/api/v1/orders", json=INTAKE)).status_code == 401
    r = await api.post("/api/v1/orders", json=INTAKE, headers=key)
    assert r.status_code == 201, r.text
    order = r.json()
    assert (order["dispatch"], order["alt_name"], order["total_cents"], order["units"]) == ("curbside", "Bo Lee", 5300, 3)
    line = next(ln for ln in order["lines"] if ln["line_nbr"] == 1)
    assert (line["unit_price_cents"], line["colour"], line["size"], line["aisle"]) == (2500, "Blue", "M", "A-07-2")
    again = await api.post("/api/v1/orders", json=INTAKE, headers=key)
    assert again.status_code == 200 and again.json()["id"] == order["id"]
    # The intaken order picks by UPC-A in EAN-13 form, and its UPC-E line by the UPC-E scan.
    h = await _login(api)
    await api.post("/api/v1/picks/claim", json={"order_ids": [order["id"]]}, headers=_w(h))
    for code in ("0012345678905", "04252614"):
        r = await api.post("/api/v1/picks/scan", json={"order_ids": [order["id"]], "code": code}, headers=_w(h))
        assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda o: o.pop("customer"), "customer"),
        (lambda o: o.pop("orderLines"), "orderLines"),
        (lambda o: o["orderLines"][0]["quantity"].update(value=0), "quantity"),
        (lambda o: o["orderLines"][0]["quantity"].update(value=-2), "quantity"),
        (lambda o: o["orderLines"][1].update(lineNbr=1), "lineNbr"),
        (lambda o: o.update(dispatchMethodCode=5), "dispatchMethodCode"),
        (lambda o: o.update(orderId="bad id with spaces"), "orderId"),
        (lambda o: o["orderLines"][0].update(storeUnitPrice="-1"), "storeUnitPrice"),
        (lambda o: o["orderLines"][0].update(itemDesc="x" * 10_000), "itemDesc"),
        (lambda o: o.update(orderDueDate="2030-05-01T15:30:00"), "orderDueDate"),
        (lambda o: o["orderLines"][0].update(products=[]), "products"),
    ],
)
async def test_intake_validation(api: httpx.AsyncClient, integration_key: str, mutate: Any, where: str) -> None:
    body = copy.deepcopy(INTAKE)
    mutate(body["order"])
    r = await api.post("/api/v1/orders", json=body,
                       headers={"Authorization": f"Bearer {integration_key}", "X-storeId": STORE})
    assert (r.status_code, r.json()["code"]) == (422, "invalid"), r.text
    assert where in r.json()["message"] and "\n" not in r.json()["message"]


async def test_intake_unknown_store_and_duplicate_elsewhere(
    api: httpx.AsyncClient, integration_key: str, demo_db: Database
) -> None:
    from storeassist_tui.store import admin

    auth_h = {"Authorization": f"Bearer {integration_key}"}
    r = await api.post("/api/v1/orders", json=INTAKE, headers={**auth_h, "X-storeId": "nope"})
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    r = await api.post("/api/v1/orders", json=INTAKE, headers=auth_h)
    assert (r.status_code, r.json()["code"]) == (422, "invalid")
    admin.add_store(demo_db, admin.StoreSettings(id="second", name="Second"))
    assert (await api.post("/api/v1/orders", json=INTAKE, headers={**auth_h, "X-storeId": STORE})).status_code == 201
    r = await api.post("/api/v1/orders", json=INTAKE, headers={**auth_h, "X-storeId": "second"})
    assert (r.status_code, r.json()["code"]) == (409, "duplicate")


async def test_event_feed_and_customer_checkin(api: httpx.AsyncClient, integration_key: str) -> None:
    key = {"Authorization": f"Bearer {integration_key}"}
    assert (await api.get("/api/v1/events")).status_code == 401
    h = await _login(api)
    staged = (await api.get(f"/api/v1/stores/{STORE}/stage-queue", headers=h)).json()["orders"][0]
    r = await api.post(f"/api/v1/orders/{staged['id']}/stage", json={"location": "B3", "entry": "scan"}, headers=_w(h))
    assert r.status_code == 200 and r.json()["status"] == "staged"
    feed = (await api.get("/api/v1/events", headers=key, params={"after": 0})).json()
    ready = next(e for e in feed["events"] if e["type"] == "staged" and e["order_id"] == staged["id"])
    assert ready["payload"]["checkin_url"].startswith("http://shop.test/checkin/")
    token = ready["payload"]["checkin_token"]
    body = {"location": "curbside", "spot": "P3", "car_make": "Honda", "car_colour": "Blue"}
    r = await api.post(f"/api/v1/checkin/{token}", json=body)
    assert r.status_code == 200 and r.json()["spot"] == "P3"
    r = await api.post(f"/api/v1/checkin/{token[:-1]}0", json=body)
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    hana = await _login(api, "hana", "2222")
    q = (await api.get(f"/api/v1/stores/{STORE}/handoff-queue", headers=hana)).json()
    entry = next(e for e in q["checked_in"] if e["order"]["id"] == staged["id"])
    assert entry["order"]["checkin"]["car_make"] == "Honda"
    later = (await api.get("/api/v1/events", headers=key, params={"after": feed["next_cursor"]})).json()
    assert [e["type"] for e in later["events"]] == ["checked_in"]
