"""The commerce platform calls us (contract section 1), through a platform double written from the
contract, over ASGI: the token, auth on every call, order create / cancel, pickup-point sync and
the customer's check-in, with what the database and the store's screens' API then hold."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from helpers import STORE, pick_all, rid
from platform_double import FAAS, PlatformDouble, pickup_body, platform_order
from sqlmodel import select

from storeassist_tui.config import Settings
from storeassist_tui.server import create_app
from storeassist_tui.store import handoff, picking, platform_clients, queries, staging
from storeassist_tui.store.db import Database
from storeassist_tui.store.models import Order, OrderLine, OutboxEvent, PlatformToken, Store
from storeassist_tui.store.roles import Actor

MERCHANT = "merchant-1"


@pytest.fixture
def client_creds(demo_db: Database) -> platform_clients.NewClient:
    return platform_clients.add_client(demo_db, "shop", MERCHANT)


async def _double(db: Database, settings: Settings, creds: platform_clients.NewClient,
                  server_url: str = "http://test/", token_auth_url: str = "http://test/"
                  ) -> AsyncIterator[PlatformDouble]:
    app = create_app(db, settings)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport) as http:
        yield PlatformDouble(http, server_url, token_auth_url, creds.consumer_id, creds.consumer_secret, MERCHANT)


@pytest.fixture
async def platform(demo_db: Database, settings: Settings,
                   client_creds: platform_clients.NewClient) -> AsyncIterator[PlatformDouble]:
    async for d in _double(demo_db, settings, client_creds):
        yield d


def _events(db: Database, type_: str) -> list[OutboxEvent]:
    with db.read() as s:
        return list(s.exec(select(OutboxEvent).where(OutboxEvent.type == type_)))


def _order(db: Database, number: str) -> Order:
    with db.read() as s:
        o = s.exec(select(Order).where(Order.number == number)).one()
        return o


def _one_line_error(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    assert isinstance(body["message"], str) and "\n" not in body["message"] and body["message"]
    return body  # type: ignore[no-any-return]


# The token -----------------------------------------------------------------------------------------

async def test_token_by_form_from_the_double_slashed_url_lives_past_the_platform_cache(
        platform: PlatformDouble, demo_db: Database) -> None:
    r = await platform.fetch_token()  # token_auth_url ends in "/": the path starts with "//"
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] >= 3600 > 540
    token = body["access_token"]
    with demo_db.read() as s:  # kept hashed: the token itself is nowhere in the database
        hashes = [t.token_hash for t in s.exec(select(PlatformToken))]
    assert hashes and token not in hashes
    ok = await platform.search(STORE, token=token)
    assert ok.status_code == 200, ok.text


async def test_token_refused_for_a_wrong_secret_or_an_unknown_client(platform: PlatformDouble) -> None:
    platform.consumer_secret = "sas_wrong"
    r = await platform.fetch_token()
    assert r.status_code == 401 and r.json()["error"] == "invalid_client" and "\n" not in r.json()["message"]
    platform.consumer_id = "nobody"
    r = await platform.fetch_token()
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"


async def test_revoking_the_client_revokes_its_tokens(platform: PlatformDouble, demo_db: Database) -> None:
    token = await platform.token()
    assert (await platform.search(STORE)).status_code == 200
    platform_clients.revoke_client(demo_db, "shop")
    _one_line_error(await platform.search(STORE, token=token), 401)
    r = await platform.fetch_token()
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"


async def test_an_expired_token_is_refused(demo_db: Database, client_creds: platform_clients.NewClient) -> None:
    short = Settings(demo=True, public_url="http://shop.test", secret_key="k", platform_token_lifetime_s=1)
    async for p in _double(demo_db, short, client_creds):
        token = await p.token()
        assert (await p.search(STORE, token=token)).status_code == 200
        await asyncio.sleep(1.3)
        body = _one_line_error(await p.search(STORE, token=token), 401)
        assert "expired" in body["message"]


ROUTES = [
    ("POST", f"{FAAS}/order/create"), ("POST", f"{FAAS}/order/cancel"),
    ("POST", f"{FAAS}/clients/{MERCHANT}/pickuppoints/external?category=PICKUP_POINT&lite=true"),
    ("POST", f"{FAAS}/store/create"), ("PUT", f"{FAAS}/store/update"),
    ("PUT", f"{FAAS}/clients/{MERCHANT}/pickuppoints/1/activate"),
    ("PUT", f"{FAAS}/clients/{MERCHANT}/pickuppoints/1/deactivate"),
    ("DELETE", f"{FAAS}/store/delete"),
    ("POST", "api-proxy/service/supplychain/transportation/v1/chaas/customer/checkin"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_route_refuses_a_call_without_a_good_token(platform: PlatformDouble, method: str,
                                                               path: str) -> None:
    refused = [_one_line_error(await platform.call(method, path, {}, token=""), 401),  # a failed token fetch
               _one_line_error(await platform.call(method, path, {}, token="not-a-token"), 401)]
    good = await platform.token()
    platform.consumer_id = "someone-else"  # WM_CONSUMER.ID of another client
    refused.append(_one_line_error(await platform.call(method, path, {}, token=good), 401))
    assert [body["code"] for body in refused] == ["invalid_token"] * 3


# Order create --------------------------------------------------------------------------------------

async def test_order_create_keeps_every_field_and_is_idempotent(
        platform: PlatformDouble, demo_db: Database, people: dict[str, Actor]) -> None:
    body = platform_order("000000123")
    r = await platform.create_order(body, STORE)
    assert r.status_code == 201, r.text
    assert r.json()["orderId"] == "000000123"
    o = _order(demo_db, "000000123")
    assert o.source == "platform" and o.customer_order_id == "000000123" and o.notes == "pick up"
    assert json.loads(o.raw_order) == body["order"]  # every field, as sent
    raw_line = json.loads(o.raw_order)["orderLines"][0]
    assert raw_line["webUnitPrice"] == "25.0000" and raw_line["department"]["deptNbr"] == 1
    assert raw_line["bundle"]["bundleId"] == "77" and raw_line["locations"][0]["sectionId"] == 1
    assert raw_line["volumetricInfo"] == {"weight": "1.0000", "weightUom": "lbs"}
    detail = queries.get_order(demo_db, people["lee"], o.id or 0)
    assert detail.notes == "pick up"
    by_nbr = {ln.line_nbr: ln for ln in detail.lines}
    assert by_nbr[1].substitution_allowed is False and by_nbr[2].substitution_allowed is True
    assert by_nbr[1].image_url == "https://shop.test/x.jpg"
    created = _events(demo_db, "order_created")
    assert [json.loads(e.payload) for e in created] == [
        {"customer_order_id": "000000123", "store": STORE, "order_source": "adobe"}]
    with demo_db.read() as s:
        before = (len(s.exec(select(Order)).all()), len(s.exec(select(OrderLine)).all()),
                  len(s.exec(select(OutboxEvent)).all()))
    again = await platform.create_order(body, STORE)
    assert again.status_code == 200, again.text
    with demo_db.read() as s:
        after = (len(s.exec(select(Order)).all()), len(s.exec(select(OrderLine)).all()),
                 len(s.exec(select(OutboxEvent)).all()))
    assert after == before


@pytest.mark.parametrize("number", ["#100", "WEB-000123", "2-000000042"])
async def test_order_ids_as_the_platform_makes_them(platform: PlatformDouble, demo_db: Database,
                                                    people: dict[str, Actor], number: str) -> None:
    r = await platform.create_order(platform_order(number), STORE)
    assert r.status_code == 201, r.text
    assert queries.find_order(demo_db, people["pat"], number, STORE).number == number


async def test_refusals_are_4xx_with_one_line(platform: PlatformDouble) -> None:
    body = _one_line_error(await platform.create_order(platform_order(), "no-such-store"), 404)
    assert "no-such-store" in body["message"]
    _one_line_error(await platform.create_order({"order": {"orderId": "x"}}, STORE), 422)
    _one_line_error(await platform.create_order({"nothing": 1}, STORE), 422)
    odd = platform_order("W-1")
    for quantity, says in (({"value": "0.5", "uom": "EACH"}, "a decimal amount needs uom LB or KG"),
                           ({"value": 2, "uom": "BOX"}, "uom is EACH, LB or KG"),
                           ({"value": "0.0001", "uom": "KG"}, "a weighed amount is 0.001 to 999.999 KG"),
                           ({"value": 0, "uom": "LB"}, "greater than 0")):
        odd["order"]["orderLines"][0]["quantity"] = quantity
        body = _one_line_error(await platform.create_order(odd, STORE), 422)
        assert says in body["message"], body
    assert (await platform.search(STORE)).status_code == 200  # nothing half-kept: the id is still free
    odd["order"]["orderLines"][0]["quantity"] = {"value": 2, "uom": "EACH"}
    assert (await platform.create_order(odd, STORE)).status_code == 201


@pytest.mark.parametrize(("quantity", "price", "kept"), [
    ({"value": 1.25, "uom": "LB"}, "3.9900", ("LB", 1250, 399)),
    ({"value": "0.750", "uom": "KG"}, "8.00", ("KG", 750, 800)),
    ({"value": 500, "uom": "G"}, "0.0120", ("KG", 500, 1200)),  # 1.2 cents a gram: 12.00 a kg
    ({"value": 24, "uom": "OZ"}, "0.25", ("LB", 1500, 400)),  # 25 cents an ounce: 4.00 a pound
])
async def test_weighed_lines_are_kept_by_their_amount(platform: PlatformDouble, demo_db: Database,
                                                       people: dict[str, Actor], quantity: dict[str, Any],
                                                       price: str, kept: tuple[str, int, int]) -> None:
    order = platform_order("W-2")
    order["order"]["orderLines"][0].update(quantity=quantity, storeUnitPrice=price, webUnitPrice=price)
    r = await platform.create_order(order, STORE)
    assert r.status_code == 201, r.text
    detail = queries.find_order(demo_db, people["pat"], "W-2", STORE)
    line = next(ln for ln in detail.lines if ln.line_nbr == 1)
    assert (line.uom, line.weight_milli, line.unit_price_cents) == kept
    assert (line.quantity, line.pending, line.weight_picked_milli) == (1, 1, 0)
    assert detail.units == 2  # the weighed line is one unit to pick, plus line 2's one


async def test_double_slashed_server_url(demo_db: Database, settings: Settings,
                                         client_creds: platform_clients.NewClient) -> None:
    async for p in _double(demo_db, settings, client_creds, server_url="http://test//"):
        r = await p.create_order(platform_order("#7"), STORE)
        assert r.status_code == 201, r.text


# Order cancel --------------------------------------------------------------------------------------

async def test_cancel_mid_pick_refunds_and_stops_the_picker(platform: PlatformDouble, demo_db: Database,
                                                            people: dict[str, Actor]) -> None:
    pat = people["pat"]
    await platform.create_order(platform_order("#200"), STORE)
    o = queries.find_order(demo_db, pat, "#200", STORE)
    picking.claim(demo_db, pat, [o.id], rid())
    picking.record_scan(demo_db, pat, [o.id], o.lines[0].sku, rid())
    r = await platform.cancel_order("#200", STORE)
    assert r.status_code == 200, r.text
    after = queries.get_order(demo_db, pat, o.id)
    assert after.status == "canceled" and after.close_reason == "cancelled by the store system"
    assert sum(rf.amount_cents for rf in after.refunds if rf.state == "issued") == after.total_cents
    (ev,) = _events(demo_db, "canceled")
    assert json.loads(ev.payload)["by"] == "platform"
    timeline = queries.order_timeline(demo_db, pat, o.id)
    assert any(e.action == "canceled" and e.detail.get("reason") == "cancelled by the store system"
               and e.who == "system" for e in timeline)
    with pytest.raises(Exception) as refused:
        picking.record_scan(demo_db, pat, [o.id], o.lines[0].sku, rid())
    assert getattr(refused.value, "code", "") == "canceled_by_platform"
    assert refused.value.message == "Order #200 was cancelled by the store system"  # type: ignore[attr-defined]
    again = await platform.cancel_order("#200", STORE)  # idempotent: nothing more happens
    assert again.status_code == 200
    assert len(_events(demo_db, "canceled")) == 1 and _events(demo_db, "cancel_refused") == []


async def test_cancel_of_a_handed_over_order_is_refused_as_the_platform_expects(
        platform: PlatformDouble, demo_db: Database, people: dict[str, Actor], settings: Settings) -> None:
    pat, hana = people["pat"], people["hana"]
    await platform.create_order(platform_order("#300"), STORE)
    o = queries.find_order(demo_db, pat, "#300", STORE)
    picking.claim(demo_db, pat, [o.id], rid())
    pick_all(demo_db, pat, o.id)
    picking.finish_pick(demo_db, pat, o.id, rid())
    staging.stage(demo_db, pat, o.id, "B2", rid(), secret_key=settings.secret_key)
    handoff.dispense(demo_db, hana, o.id, handoff.DispenseForm(signature="Ana Lee", id_checked=True), rid())
    r = await platform.cancel_order("#300", STORE)
    assert 200 <= r.status_code < 300, r.text  # any 2xx is "accepted"; the refusal goes by cancel-confirmed
    assert queries.get_order(demo_db, pat, o.id).status == "dispensed"
    (ev,) = _events(demo_db, "cancel_refused")
    assert "handed over" in json.loads(ev.payload)["reason"]
    assert _events(demo_db, "canceled") == []
    await platform.cancel_order("#300", STORE)
    assert len(_events(demo_db, "cancel_refused")) == 1
    _one_line_error(await platform.cancel_order("#nope", STORE), 404)


# Pickup points -------------------------------------------------------------------------------------

async def test_pickup_point_round_trip_sets_the_store(platform: PlatformDouble, demo_db: Database) -> None:
    r = await platform.search("store_austin")
    assert r.status_code == 200 and r.json() == []
    ppid = await platform.sync_source(pickup_body())  # nothing found: create, then activate
    found = (await platform.search("store_austin")).json()
    assert len(found) == 1 and found[0]["externalId"] == "store_austin" and found[0]["pickupPointId"] == ppid
    assert isinstance(found[0]["pickupPointId"], int) and found[0]["active"] is True
    with demo_db.read() as s:
        st = s.get(Store, "store_austin")
        assert st is not None
        assert st.name == "Austin Store" and st.timezone == "America/Chicago"
        assert json.loads(st.opening_hours) == {"mon": ["09:00", "21:00"]}
        assert json.loads(st.parking_spots) == ["A1", "A2"] and st.curbside_enabled
    # The next sync finds it: update (in store only now, new hours), then activate again.
    changed = pickup_body(pickupPointType=["INSIDE"], operationalHours=[
        {"day": "Tuesday", "start": "0800", "end": "1700"}, {"day": "Saturday", "start": "1000", "end": "1400"}])
    changed.pop("parkingBayNumbers")
    assert await platform.sync_source(changed) == ppid
    with demo_db.read() as s:
        st = s.get(Store, "store_austin")
        assert st is not None and not st.curbside_enabled and json.loads(st.parking_spots) == []
        assert json.loads(st.opening_hours) == {"tue": ["08:00", "17:00"], "sat": ["10:00", "14:00"]}
    r = await platform.deactivate(ppid)
    assert r.status_code == 200 and r.json()["active"] is False
    assert (await platform.search("store_austin")).json()[0]["active"] is False
    r = await platform.delete_store("store_austin")
    assert r.status_code == 200, r.text
    assert (await platform.search("store_austin")).json() == []


async def test_a_store_made_by_hand_is_found_and_updated(platform: PlatformDouble, demo_db: Database) -> None:
    found = (await platform.search(STORE)).json()
    assert [p["externalId"] for p in found] == [STORE] and found[0]["active"] is True
    assert (await platform.search("demo")).json() == []  # an exact match only
    r = await platform.update_store(pickup_body(STORE, name="Demo via platform", parkingBayNumbers="P1,P2"))
    assert r.status_code == 200, r.text
    with demo_db.read() as s:
        st = s.get(Store, STORE)
        assert st is not None and st.name == "Demo via platform" and json.loads(st.parking_spots) == ["P1", "P2"]
    _one_line_error(await platform.create_store(pickup_body(STORE)), 409)
    _one_line_error(await platform.create_store(pickup_body("bad", operationalHours=[
        {"day": "Funday", "start": "0900", "end": "1000"}])), 422)


# Check-in ------------------------------------------------------------------------------------------

async def test_checkin_from_the_platform_shows_in_the_handoff_queue(
        platform: PlatformDouble, demo_db: Database, people: dict[str, Actor]) -> None:
    hana = people["hana"]
    await platform.create_order(platform_order("#400"), STORE)
    await platform.create_order(platform_order("#401"), STORE)
    r = await platform.checkin("#400", STORE)  # empty parking info: in the store
    assert r.status_code == 200, r.text
    queue = queries.handoff_queue(demo_db, hana, STORE)
    mine = [e.order for e in queue.checked_in if e.order.number == "#400"]
    assert mine and mine[0].checkin is not None and mine[0].checkin.location == "in_store"
    spots = json.loads(_store(demo_db).parking_spots)
    r = await platform.checkin("#401", STORE, {"vehicleColor": "Red", "vehicleMake": "Toyota",
                                               "parkBayNumber": "ZZ9", "parkingNote": "text"})
    assert r.status_code == 200, r.text
    c = queries.find_order(demo_db, hana, "#401", STORE).checkin
    assert c is not None and c.location == "curbside" and c.car_make == "Toyota" and c.car_colour == "Red"
    assert "ZZ9" not in spots and c.spot == "Other: ZZ9" and c.note == "text"
    if spots:
        await platform.checkin("#401", STORE, {"vehicleColor": "", "vehicleMake": "", "parkBayNumber": spots[0],
                                               "parkingNote": ""})
        c = queries.find_order(demo_db, hana, "#401", STORE).checkin
        assert c is not None and c.spot == spots[0]
    _one_line_error(await platform.checkin("#nope", STORE), 404)


def _store(db: Database) -> Store:
    with db.read() as s:
        st = s.get(Store, STORE)
        assert st is not None
        return st
