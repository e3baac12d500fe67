"""Stage, Hand-off and Orders driven like an associate would, at 80x24 and 40x16: a real backend
in-process (fresh demo database), scans as a wedge sends them, typing at a person's pace;
assertions on the screen and on what the database holds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from helpers import label_of, picked_order, rid
from test_app_pick import Ctx
from ui import STORE, SwitchableTransport, lines_of, on_screen, said, screen_lines, wait_for

from storeassist_tui.app import StoreAssistApp
from storeassist_tui.client import BackendClient
from storeassist_tui.screens.handoff import HandoffScreen
from storeassist_tui.screens.handoff_order import HandoffOrderScreen
from storeassist_tui.screens.home import HomeScreen
from storeassist_tui.screens.order_detail import OrderDetailScreen
from storeassist_tui.screens.orders import OrdersScreen
from storeassist_tui.screens.pick_done import PickDoneScreen
from storeassist_tui.screens.pick_queue import PickQueueScreen
from storeassist_tui.screens.stage import StageScreen
from storeassist_tui.store import demo, picking, queries, staging
from storeassist_tui.store.db import Database
from storeassist_tui.store.models import CheckIn, Store
from storeassist_tui.store.roles import Actor
from storeassist_tui.store.views import OrderDetail

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((40, 16), id="40x16")]
BADGES = {"pat": "B-1001", "hana": "B-1002", "lee": "B-1003"}


async def log_in_as(app: StoreAssistApp, pilot: object, db: Database, people: dict[str, Actor], who: str) -> Ctx:
    bells: list[str] = []
    app.bell = lambda: bells.append("bell")  # type: ignore[method-assign]  # count what the associate hears
    ctx = Ctx(app, pilot, db, people["lee"], bells)  # type: ignore[arg-type]
    ctx.scan(BADGES[who])
    await ctx.until(lambda: isinstance(app.screen, HomeScreen))
    return ctx


@asynccontextmanager
async def app_as(backend: BackendClient, demo_db: Database, people: dict[str, Actor], size: tuple[int, int],
                 who: str) -> AsyncIterator[Ctx]:
    app = StoreAssistApp(backend, poll_interval_s=0.2)
    async with app.run_test(size=size) as pilot:
        yield await log_in_as(app, pilot, demo_db, people, who)


@pytest.fixture
async def lee_app(backend: BackendClient, demo_db: Database, people: dict[str, Actor],
                  request: pytest.FixtureRequest) -> AsyncIterator[Ctx]:
    async with app_as(backend, demo_db, people, request.param, "lee") as ctx:
        yield ctx


@pytest.fixture
async def pat_app(backend: BackendClient, demo_db: Database, people: dict[str, Actor],
                  request: pytest.FixtureRequest) -> AsyncIterator[Ctx]:
    async with app_as(backend, demo_db, people, request.param, "pat") as ctx:
        yield ctx


sized = pytest.mark.parametrize("lee_app", SIZES, indirect=True)


def picked_with_not_found(ctx: Ctx, pat: Actor) -> OrderDetail:
    """A picked order of which one unit was not found (a refund waits for staging)."""
    q = queries.pick_queue(ctx.db, pat, STORE)
    o = next(ctx.order(s.id) for s in q.orders if s.status == "new" and s.units >= 2)
    picking.claim(ctx.db, pat, [o.id], rid())
    first = o.lines[0]
    picking.mark_not_found(ctx.db, pat, o.id, first.id, 1, rid())
    for ln in o.lines:
        left = ln.quantity - (1 if ln.id == first.id else 0)
        for _ in range(left):
            picking.record_scan(ctx.db, pat, [o.id], ln.sku, rid())
    return picking.finish_pick(ctx.db, pat, o.id, rid())


def staged_order(ctx: Ctx, people: dict[str, Actor], where: str = "B7") -> OrderDetail:
    o = picked_order(ctx.db, people["pat"])
    return staging.stage(ctx.db, people["pat"], o.id, where, rid(), secret_key="test-secret")


def token_of(ctx: Ctx, order_id: int) -> str:
    events = queries.events(ctx.db, 0, 1000).events
    staged = [e for e in events if e.order_id == order_id and e.type == "staged"]
    return str(staged[-1].payload["checkin_token"])


def set_store(ctx: Ctx, **values: object) -> None:
    with ctx.db.write() as session:
        store = session.get(Store, STORE)
        assert store is not None
        for k, v in values.items():
            setattr(store, k, v)
        store.revision += 1
        session.add(store)


async def open_module(ctx: Ctx, key: str, screen: type) -> None:
    await ctx.pilot.press(key)
    await ctx.until(lambda: isinstance(ctx.app.screen, screen) and ctx.app.screen.is_mounted)
    await ctx.until(lambda: "Loading" not in ctx.text())


async def stage_from_pick_done(ctx: Ctx, order: OrderDetail, place: str) -> None:
    """From the pick's done screen: Enter to Stage, scan the place, confirm; staged there."""
    await ctx.pilot.press("enter")
    await ctx.until(on_screen(ctx.app, StageScreen, says=f"Stage {order.number}: scan"))
    ctx.scan(place)
    await ctx.until(f"{place}?")
    await ctx.pilot.press("enter")
    await ctx.until(lambda: ctx.order(order.id).status == "staged")


async def open_handoff_order(ctx: Ctx, number: str) -> HandoffOrderScreen:
    await open_module(ctx, "3", HandoffScreen)
    ctx.scan(number)
    await ctx.until(lambda: isinstance(ctx.app.screen, HandoffOrderScreen))
    screen = ctx.app.screen
    assert isinstance(screen, HandoffOrderScreen)
    return screen


# Stage -------------------------------------------------------------------------------------------

@sized
async def test_stage_with_a_typed_location_and_bags_issues_the_refund(lee_app: Ctx, people: dict[str, Actor]) -> None:
    ctx = lee_app
    order = picked_with_not_found(ctx, people["pat"])
    assert [r.state for r in order.refunds] == ["pending"]
    await open_module(ctx, "2", StageScreen)
    await ctx.until(order.number)
    stage = ctx.app.screen
    assert isinstance(stage, StageScreen)
    assert stage.rows.go_to(order.id)
    await ctx.pilot.press("enter")
    await ctx.until(f"Stage {order.number}")
    await ctx.type_slowly("under the counter")
    await ctx.until(on_screen(ctx.app, StageScreen, says=f"Stage {order.number} at under the counter?"))
    assert ctx.order(order.id).status == "picked"  # asked, not done
    await ctx.type_slowly("2")
    await ctx.until(lambda: ctx.order(order.id).status == "staged")
    await ctx.until(on_screen(ctx.app, StageScreen, says=f"{order.number} staged at under the counter (2 bags): ready"))
    done = ctx.order(order.id)
    assert done.staging_location == "under the counter" and done.bags == 2
    assert [r.state for r in done.refunds] == ["issued"]
    assert ("staged", "manual") in ctx.actions(order.id)
    assert any(e.type == "staged" and e.order_id == order.id and e.payload["checkin_url"]
               for e in queries.events(ctx.db, 0, 1000).events)


@sized
async def test_stage_by_scans_then_move_it(lee_app: Ctx, people: dict[str, Actor]) -> None:
    ctx = lee_app
    order = picked_order(ctx.db, people["pat"])
    await open_module(ctx, "2", StageScreen)
    ctx.scan(order.number)
    await ctx.until(f"Stage {order.number}")
    item = label_of(order.lines[0])
    ctx.scan(item)  # an item is not a place: the store refuses it
    await ctx.until(on_screen(ctx.app, StageScreen, says=f"Stage {order.number} at {item}?"))
    await ctx.pilot.press("enter")
    await ctx.until(on_screen(ctx.app, StageScreen, says="item barcode"))
    assert ctx.bells == ["bell"] and ctx.order(order.id).status == "picked"
    ctx.scan("14")  # scanned digits at the question are another location, not bags
    await ctx.until(on_screen(ctx.app, StageScreen, says=f"Stage {order.number} at 14?"))
    assert ctx.order(order.id).status == "picked"
    ctx.scan("LOC-B3")  # the order is still the one being staged
    await ctx.until(on_screen(ctx.app, StageScreen, says=f"Stage {order.number} at LOC-B3?"))
    await ctx.pilot.press("enter")
    await ctx.until(lambda: ctx.order(order.id).status == "staged")
    assert ctx.order(order.id).staging_location == "LOC-B3"
    assert ("staged", "scan") in ctx.actions(order.id)
    # Later: moved to the back room, typed.
    await ctx.pilot.press("f2")
    # The staged list: its count line points back to the other list ("(F2: n to stage)").
    await ctx.until(lambda: isinstance(ctx.app.screen, StageScreen) and ctx.app.screen.showing_staged
                    and any("to stage)" in ln for ln in lines_of(ctx.app, "#what")))
    ctx.scan(order.number)
    await ctx.until(on_screen(ctx.app, StageScreen, says=f"Move {order.number} "))
    await ctx.type_slowly("back room")
    await ctx.until(on_screen(ctx.app, StageScreen, says=f"Move {order.number} to back room?"))
    await ctx.pilot.press("enter")
    await ctx.until(lambda: ctx.order(order.id).staging_location == "back room")
    moved = [e for e in queries.order_timeline(ctx.db, ctx.lee, order.id) if e.action == "restaged"]
    assert moved and moved[0].detail == {"old": "LOC-B3", "new": "back room"} and moved[0].entry == "manual"
    # Its row in the list says where it is now (the message line says it too: not counted).
    await ctx.until(lambda: any(order.number in ln and "back room" in ln for ln in lines_of(ctx.app, "#orders")))


@sized
async def test_finishing_a_pick_lands_on_stage_for_that_order(lee_app: Ctx) -> None:
    ctx = lee_app
    await open_module(ctx, "1", PickQueueScreen)
    q = queries.pick_queue(ctx.db, ctx.lee, STORE)
    order = next(ctx.order(o.id) for o in q.orders if o.status == "new")
    ctx.scan(order.number, *[label_of(ln) for ln in order.lines for _ in range(ln.quantity)])
    await ctx.until(lambda: sum(ln.picked for ln in ctx.order(order.id).lines) == order.units)
    await ctx.until(f"{order.units}/{order.units}")
    await ctx.pilot.press("f4")
    await ctx.until(on_screen(ctx.app, PickDoneScreen, says="Done"))
    await stage_from_pick_done(ctx, order, "C1")
    assert ctx.order(order.id).staging_location == "C1"
    await ctx.pilot.press("escape")
    await ctx.until(lambda: isinstance(ctx.app.screen, PickQueueScreen))
    assert ctx.order(order.id).status == "staged"  # Esc after staging undid nothing


# Hand-off ----------------------------------------------------------------------------------------

@sized
async def test_handoff_accept_all_with_the_signature_the_store_requires(
        lee_app: Ctx, people: dict[str, Actor], api: httpx.AsyncClient) -> None:
    ctx = lee_app
    order = staged_order(ctx, people, "B7")
    r = await api.post(f"/api/v1/checkin/{token_of(ctx, order.id)}",
                       json={"location": "curbside", "spot": "P3", "car_make": "Ford", "car_colour": "blue"})
    assert r.status_code == 200, r.text
    await open_module(ctx, "3", HandoffScreen)
    await ctx.until(lambda: any(order.number in ln and "P3" in ln for ln in screen_lines(ctx.app)))
    ctx.scan(order.number)
    await ctx.until(lambda: isinstance(ctx.app.screen, HandoffOrderScreen))
    await ctx.until("B7")
    assert order.customer_phone in ctx.text() and "P3" in ctx.text()
    await ctx.pilot.press("f1")
    await ctx.until(on_screen(ctx.app, HandoffOrderScreen, says="types their name, then Enter"))
    assert "ID" not in ctx.text()  # the demo store checks no ID
    await ctx.pilot.press("enter")  # no name yet: refused
    await ctx.until(on_screen(ctx.app, HandoffOrderScreen, says="The customer types their name first"))
    ctx.scan("W00000019")  # the next customer's order scanned meanwhile: not a signature
    await ctx.until("not a signature" if ctx.app.size.width >= 60 else "not a scan")
    assert ctx.order(order.id).status == "staged"
    await ctx.type_slowly("Pat Customer")
    await ctx.until(lambda: ctx.order(order.id).status == "dispensed")
    await ctx.until(on_screen(ctx.app, HandoffScreen, says=f"{order.number} handed off to "))
    done = ctx.order(order.id)
    assert all(ln.dispensed == ln.picked and ln.rejected == 0 for ln in done.lines)
    dispensed = [e for e in queries.order_timeline(ctx.db, ctx.lee, order.id) if e.action == "dispensed"]
    assert dispensed[0].detail["signature"] == "Pat Customer"


@sized
async def test_handoff_reject_part_refunds_those_units(lee_app: Ctx, people: dict[str, Actor]) -> None:
    ctx = lee_app
    set_store(ctx, signature_required=False)
    order = staged_order(ctx, people)
    await open_handoff_order(ctx, order.number)
    await ctx.pilot.press("f2")
    await ctx.until(on_screen(ctx.app, HandoffOrderScreen, says="Reject: Up/Down to the item, type how many"))
    screen = ctx.app.screen
    assert isinstance(screen, HandoffOrderScreen)
    line = screen.lines.current
    assert line is not None
    await ctx.type_slowly("1")
    await ctx.until(on_screen(ctx.app, HandoffOrderScreen, says="rejected (1 in all)"))
    # The line itself is marked: "REJECT 1", or "R1" where only the short form fits.
    assert any(ln.endswith((" REJECT 1", " R1")) for ln in lines_of(ctx.app, "#lines")), ctx.text()
    await ctx.pilot.press("f2")
    await ctx.pilot.press("f1")
    # The question counts the rejected unit out: "Hand 3 units, 1 rejected to <name>? Enter = yes".
    await ctx.until(on_screen(ctx.app, HandoffOrderScreen, says=", 1 rejected to "))
    assert said(ctx.app).startswith("Hand ")
    await ctx.pilot.press("enter")
    await ctx.until(lambda: ctx.order(order.id).status == "dispensed")
    done = ctx.order(order.id)
    rejected = {ln.id: ln.rejected for ln in done.lines}
    assert rejected[line.id] == 1 and sum(rejected.values()) == 1
    refund = [r for r in done.refunds if r.reason == "rejected"]
    assert len(refund) == 1 and refund[0].amount_cents == line.unit_price_cents and refund[0].state == "issued"


@sized
async def test_handoff_reject_everything_closes_and_refunds(lee_app: Ctx, people: dict[str, Actor]) -> None:
    ctx = lee_app
    order = staged_order(ctx, people)
    screen = await open_handoff_order(ctx, order.number)
    await ctx.pilot.press("f2")
    for ln in screen.lines.items:
        await ctx.type_slowly(str(ln.picked))  # each Enter moves to the next line
    await ctx.pilot.press("f1")
    await ctx.until(on_screen(ctx.app, HandoffOrderScreen, says=f"Every item rejected: {order.number} is closed"))
    assert "types" not in ctx.text()  # nothing is handed over: no signature to ask for
    await ctx.pilot.press("enter")  # yes, close it
    await ctx.until(lambda: ctx.order(order.id).status == "canceled")
    done = ctx.order(order.id)
    assert sum(r.amount_cents for r in done.refunds if r.state == "issued") == done.total_cents
    await ctx.until(on_screen(ctx.app, HandoffScreen, says=f"{order.number} closed: every item rejected"))


@sized
async def test_id_and_signature_prompts_follow_the_store(lee_app: Ctx, people: dict[str, Actor]) -> None:
    ctx = lee_app
    set_store(ctx, id_check_required=True, signature_required=False)
    first = staged_order(ctx, people)
    await open_handoff_order(ctx, first.number)
    await ctx.pilot.press("f1")
    await ctx.until(on_screen(ctx.app, HandoffOrderScreen, says="Check the customer's photo ID"))
    assert "types" not in ctx.text()
    await ctx.pilot.press("escape")  # not checked: nothing happens
    await ctx.until(on_screen(ctx.app, HandoffOrderScreen, says="Not handed off"))
    assert ctx.order(first.id).status == "staged"
    await ctx.pilot.press("f1")
    await ctx.until(on_screen(ctx.app, HandoffOrderScreen, says="Check the customer's photo ID"))
    await ctx.pilot.press("enter")
    # ID checked; no signature here: the one confirming question ("Hand 3 units to Ana Lee? ...").
    await ctx.until(on_screen(ctx.app, HandoffOrderScreen, says=f" to {first.customer_name}? Enter = yes"))
    await ctx.pilot.press("enter")
    await ctx.until(lambda: ctx.order(first.id).status == "dispensed")
    checked = [e for e in queries.order_timeline(ctx.db, ctx.lee, first.id) if e.action == "dispensed"]
    assert checked[0].detail["id_checked"] is True
    # Neither required: one Enter confirms, no ID, no signature.
    set_store(ctx, id_check_required=False, signature_required=False)
    ctx.app._store_info = None  # the app asks the store again after a minute; the test does not wait
    second = staged_order(ctx, people)
    ctx.scan(second.number)
    await ctx.until(lambda: isinstance(ctx.app.screen, HandoffOrderScreen) and ctx.app.screen.order.id == second.id)
    await ctx.pilot.press("f1")
    await ctx.until(on_screen(ctx.app, HandoffOrderScreen, says=f" to {second.customer_name}? Enter = yes"))
    assert "ID" not in ctx.text() and "types" not in ctx.text()
    await ctx.pilot.press("enter")
    await ctx.until(lambda: ctx.order(second.id).status == "dispensed")


@sized
async def test_manual_check_in_at_a_curbside_spot(lee_app: Ctx, people: dict[str, Actor]) -> None:
    ctx = lee_app
    order = staged_order(ctx, people)
    await open_handoff_order(ctx, order.number)
    await ctx.until(lambda: any("Not checked in" in ln for ln in lines_of(ctx.app, "#info")))
    await ctx.pilot.press("f3")
    await ctx.until(on_screen(ctx.app, HandoffOrderScreen, says="Enter = in store, or scan / type the parking spot"))
    await ctx.type_slowly("P9")  # not a spot of this store: refused, still asking
    await ctx.until(on_screen(ctx.app, HandoffOrderScreen, says="No parking spot"))
    with ctx.db.read() as session:
        assert session.get(CheckIn, order.id) is None
    await ctx.type_slowly("P4 grey van")
    await ctx.until(on_screen(ctx.app, HandoffOrderScreen, says="checked in at spot P4"))
    with ctx.db.read() as session:
        c = session.get(CheckIn, order.id)
        assert c is not None and (c.location, c.spot, c.by, c.note) == ("curbside", "P4", "associate", "grey van")
    assert ("checked_in", "manual") in ctx.actions(order.id)
    await ctx.pilot.press("escape")
    await ctx.until(lambda: any(order.number in ln and "P4" in ln for ln in screen_lines(ctx.app)))
    assert ctx.bells.count("bell") == 1  # the refused spot; no "arrived" banner for our own check-in


@sized
async def test_arrival_banner_shows_on_the_pick_screen_once(
        lee_app: Ctx, people: dict[str, Actor], api: httpx.AsyncClient) -> None:
    ctx = lee_app
    order = staged_order(ctx, people)
    watch = ctx.app.arrivals  # its `queue` is the last answer taken, `answers` how many so far
    await open_module(ctx, "1", PickQueueScreen)
    # The watch has seen the queue as it is: the order ready, nobody checked in for it.
    await ctx.until(lambda: watch.queue is not None and any(e.order.id == order.id for e in watch.queue.ready))
    assert "rrived" not in ctx.text() and ctx.bells == []
    r = await api.post(f"/api/v1/checkin/{token_of(ctx, order.id)}",
                       json={"location": "curbside", "spot": "P5", "car_make": "Kia", "car_colour": "red"})
    assert r.status_code == 200
    await ctx.until(order.number[-6:])
    await ctx.until("rrived")
    assert isinstance(ctx.app.screen, PickQueueScreen)
    banner = next(ln for ln in screen_lines(ctx.app) if "rrived" in ln)
    assert order.number[-6:] in banner
    await ctx.until(lambda: len(ctx.bells) >= 2)  # an arrival rings twice (the second a moment later)
    seen = watch.answers
    await ctx.until(lambda: watch.answers >= seen + 3)  # several answers later: still one arrival's two rings
    assert ctx.bells == ["bell", "bell"]
    # Submitting the form again (an update) is not a second arrival.
    r = await api.post(f"/api/v1/checkin/{token_of(ctx, order.id)}", json={"location": "curbside", "spot": "P6"})
    assert r.status_code == 200
    await ctx.until(lambda: any(e.order.id == order.id and e.order.checkin is not None and e.order.checkin.spot == "P6"
                                for e in (watch.queue.checked_in if watch.queue else [])))  # the update is taken
    seen = watch.answers
    await ctx.until(lambda: watch.answers >= seen + 1)  # and one answer more, in case a ring were deferred
    assert ctx.bells == ["bell", "bell"]
    # The banner follows the associate to the next screen.
    await ctx.pilot.press("escape")
    await ctx.until(lambda: isinstance(ctx.app.screen, HomeScreen))
    await ctx.until("rrived")


# Orders ------------------------------------------------------------------------------------------

@sized
async def test_orders_search_by_number_name_phone_and_email(lee_app: Ctx) -> None:
    ctx = lee_app
    q = queries.search_orders(ctx.db, ctx.lee, STORE)
    target = ctx.order(q.orders[5].id)
    await open_module(ctx, "4", OrdersScreen)
    await ctx.until(q.orders[0].number[-6:])
    last_name = target.customer_name.split()[-1]
    for query in (last_name, target.customer_phone, target.customer_email):
        await ctx.type_slowly(query)
        await ctx.until(target.number[-6:])
        expected = queries.search_orders(ctx.db, ctx.lee, STORE, query)
        shown = [o.number for o in expected.orders if o.number[-6:] in ctx.text()]
        assert target.number in shown, (query, ctx.text())
        await ctx.pilot.press("escape")  # back to all
        await ctx.until(lambda: "matching" not in ctx.text() and q.orders[0].number[-6:] in ctx.text())
    ctx.scan(target.number)  # a scanned order number opens it
    await ctx.until(lambda: isinstance(ctx.app.screen, OrderDetailScreen))
    await ctx.until(target.customer_name.split()[0])
    await ctx.pilot.press("escape")
    await ctx.type_slowly("nobody-like-this")
    await ctx.until(on_screen(ctx.app, OrdersScreen, says='No orders match "nobody-like-this"'))
    assert ctx.bells == ["bell"]


@sized
async def test_orders_page_through_thousands(lee_app: Ctx) -> None:
    ctx = lee_app
    demo.seed_orders(ctx.db, [STORE], 1200, open_per_store=0)
    everything = queries.search_orders(ctx.db, ctx.lee, STORE, limit=1)
    await open_module(ctx, "4", OrdersScreen)
    await ctx.until(f": {everything.total}")
    screen = ctx.app.screen
    assert isinstance(screen, OrdersScreen)
    await ctx.pilot.press("end")
    oldest = queries.search_orders(ctx.db, ctx.lee, STORE, offset=everything.total - 1, limit=1).orders[0]
    await ctx.until(oldest.number[-6:])
    assert len(screen.pages.pages) <= 3  # only the pages around the cursor were fetched
    await ctx.pilot.press("f2")  # all -> open
    open_count = queries.search_orders(ctx.db, ctx.lee, STORE, status="new,picking,picked,staged").total
    await ctx.until(f"Open: {open_count}")


async def open_a_new_order(ctx: Ctx) -> OrderDetail:
    """Orders, then a new order's number scanned: its detail screen."""
    q = queries.pick_queue(ctx.db, ctx.lee, STORE)
    order = ctx.order(next(o.id for o in q.orders if o.status == "new"))
    await open_module(ctx, "4", OrdersScreen)
    ctx.scan(order.number)
    await ctx.until(lambda: isinstance(ctx.app.screen, OrderDetailScreen))
    return order


async def ask_to_cancel_a_new_order(ctx: Ctx) -> OrderDetail:
    """A new order open in detail, F4 pressed: the reason is asked."""
    order = await open_a_new_order(ctx)
    await ctx.pilot.press("f4")
    await ctx.until(on_screen(ctx.app, OrderDetailScreen, says=f"Cancel {order.number}: type the reason"))
    return order


@sized
async def test_cancel_with_a_reason_refunds_and_shows_in_the_timeline(lee_app: Ctx) -> None:
    ctx = lee_app
    order = await ask_to_cancel_a_new_order(ctx)
    await ctx.type_slowly("customer asked")
    await ctx.until(on_screen(ctx.app, OrderDetailScreen, says=f"Cancel {order.number} (customer asked)? "))
    assert ctx.order(order.id).status == "new"
    await ctx.pilot.press("enter")
    await ctx.until(lambda: ctx.order(order.id).status == "canceled")
    done = ctx.order(order.id)
    assert sum(r.amount_cents for r in done.refunds if r.reason == "canceled") == order.total_cents
    await ctx.until(on_screen(ctx.app, OrderDetailScreen, shows="canceled;"))
    await ctx.pilot.press("end")  # the timeline's last line: who did it, and why
    await ctx.until(lambda: any("Lee" in ln and "customer asked" in ln for ln in screen_lines(ctx.app)))


@sized
async def test_cancel_esc_at_the_question_keeps_the_order_and_f4_asks_again(lee_app: Ctx) -> None:
    ctx = lee_app
    order = await ask_to_cancel_a_new_order(ctx)
    await ctx.pilot.press("enter")  # nothing typed: the reason first
    await ctx.until(on_screen(ctx.app, OrderDetailScreen, says="Type the reason first"))
    await ctx.type_slowly("wrong order")
    await ctx.until(on_screen(ctx.app, OrderDetailScreen, says=f"Cancel {order.number} (wrong order)? "))
    await ctx.pilot.press("escape")
    await ctx.until(on_screen(ctx.app, OrderDetailScreen, says="Not canceled"))
    await ctx.pilot.press("enter")  # the question is gone: Enter cancels nothing
    await ctx.pilot.press("f4")
    await ctx.until(on_screen(ctx.app, OrderDetailScreen, says=f"Cancel {order.number}: type the reason"))
    assert ctx.order(order.id).status == "new"
    await ctx.pilot.press("escape", "escape")  # "Not canceled", then back to the list
    await ctx.until(lambda: not isinstance(ctx.app.screen, OrderDetailScreen))
    assert ctx.order(order.id).status == "new"


@pytest.mark.parametrize("pat_app", SIZES, indirect=True)
async def test_cancel_is_refused_without_the_permission(pat_app: Ctx) -> None:
    ctx = pat_app
    order = await open_a_new_order(ctx)
    await ctx.pilot.press("f4")
    await ctx.until(on_screen(ctx.app, OrderDetailScreen, says="may not cancel"))
    assert ctx.bells == ["bell"]
    assert ctx.order(order.id).status == "new"
    # The backend refuses it too, whatever a terminal sends.
    with pytest.raises(Exception, match="may not cancel"):
        await ctx.app.client.cancel(order.id, "test", request_id=rid())


@sized
async def test_order_timeline_says_who_and_scanned_or_typed(lee_app: Ctx, people: dict[str, Actor]) -> None:
    ctx = lee_app
    pat = people["pat"]
    q = queries.pick_queue(ctx.db, pat, STORE)
    order = next(ctx.order(o.id) for o in q.orders if o.status == "new" and o.units >= 2)
    picking.claim(ctx.db, pat, [order.id], rid())
    picking.record_scan(ctx.db, pat, [order.id], order.lines[0].sku, rid(), entry="manual")
    await open_module(ctx, "4", OrdersScreen)
    ctx.scan(order.number)
    await ctx.until(lambda: isinstance(ctx.app.screen, OrderDetailScreen))
    await ctx.pilot.press("end")
    for _ in range(40):
        await ctx.pilot.press("down")
    await wait_for(ctx.pilot, lambda: "claimed" in ctx.text())
    wide = ctx.app.size.width >= 80
    assert ("(typed)" in ctx.text()) if wide else ("picked" in ctx.text())
    assert "Pat" in ctx.text()


@pytest.mark.parametrize("size", [(80, 24), (40, 16)], ids=["80x24", "40x16"])
async def test_staging_while_the_backend_is_away_is_kept_and_done_once(
        switchable: tuple[BackendClient, SwitchableTransport], demo_db: Database, people: dict[str, Actor],
        size: tuple[int, int]) -> None:
    client, transport = switchable
    app = StoreAssistApp(client, poll_interval_s=0.2)
    async with app.run_test(size=size) as pilot:
        ctx = await log_in_as(app, pilot, demo_db, people, "lee")
        order = picked_order(ctx.db, people["pat"])
        await open_module(ctx, "2", StageScreen)
        ctx.scan(order.number, "B9")
        await ctx.until("B9?")
        transport.down = True
        transport.lose_answers = False
        await pilot.press("enter")
        await ctx.until(on_screen(ctx.app, StageScreen, says=f"staging {order.number} not saved yet"))
        assert ctx.order(order.id).status == "picked"
        transport.down, transport.lose_answers = False, True  # it commits, but the answer is lost
        await ctx.until(lambda: ctx.order(order.id).status == "staged")
        transport.lose_answers = False
        await ctx.until(on_screen(ctx.app, StageScreen, says=f"{order.number} staged at B9"))
        staged = [a for a in ctx.actions(order.id) if a[0] == "staged"]
        assert staged == [("staged", "scan")]  # retried with its request id: staged once


@sized
async def test_an_order_scanned_on_home_opens_where_it_is_worked_next(lee_app: Ctx, people: dict[str, Actor]) -> None:
    ctx = lee_app
    picked = picked_order(ctx.db, people["pat"])
    ctx.scan(picked.number)
    await ctx.until(lambda: isinstance(ctx.app.screen, StageScreen))
    await ctx.until(f"Stage {picked.number}")
    stage = ctx.app.screen
    assert isinstance(stage, StageScreen)
    await ctx.until(lambda: stage.queue is not None)  # the list came after the order was chosen
    assert stage.rows.current is not None and stage.rows.current.id == picked.id  # the cursor is on it
    await ctx.pilot.press("escape")
    await ctx.pilot.press("escape")
    await ctx.until(lambda: isinstance(ctx.app.screen, HomeScreen))
    ready = staged_order(ctx, people)
    ctx.scan(ready.number)
    await ctx.until(lambda: isinstance(ctx.app.screen, HandoffOrderScreen))
    await ctx.until(ready.number)


@pytest.mark.parametrize("pat_app", SIZES, indirect=True)
async def test_a_picker_is_refused_hand_off_before_the_customer_signs(pat_app: Ctx, people: dict[str, Actor]) -> None:
    ctx = pat_app
    order = staged_order(ctx, people)
    await open_handoff_order(ctx, order.number)
    await ctx.pilot.press("f1")
    await ctx.until(on_screen(ctx.app, HandoffOrderScreen, says="may not hand off"))
    assert "types" not in ctx.text() and ctx.bells == ["bell"]
    assert ctx.order(order.id).status == "staged"
