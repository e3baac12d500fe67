"""The pick module driven like an associate would, at 80x24 and 40x16: a real backend in-process
(fresh demo database), scans arriving as a wedge sends them (keys posted back to back), typing
with a person's pace; assertions on the screen and on what the database holds."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
from helpers import label_of, rid
from rich.console import Console, RenderableType
from textual import events
from textual._compositor import CompositorUpdate
from textual.pilot import Pilot
from textual.screen import Screen
from ui import (
    STORE,
    SwitchableTransport,
    drained,
    render_segments,
    screen_lines,
    screen_text,
    send_burst,
    wait_for,
)

from storeassist_tui import barcodes
from storeassist_tui.app import StoreAssistApp
from storeassist_tui.client import SCAN_PATH, SCANS_PATH, BackendClient
from storeassist_tui.config import Settings
from storeassist_tui.screens.home import HomeScreen
from storeassist_tui.screens.pick_done import PickDoneScreen
from storeassist_tui.screens.pick_queue import PickQueueScreen
from storeassist_tui.screens.pick_walk import PickWalkScreen
from storeassist_tui.server import create_app
from storeassist_tui.store import auth, intake, picking, queries
from storeassist_tui.store.db import Database
from storeassist_tui.store.roles import Actor
from storeassist_tui.store.views import OrderDetail

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((40, 16), id="40x16")]
NUMBER = re.compile(r"W\d{8}")


@dataclass
class Ctx:
    app: StoreAssistApp
    pilot: Pilot[None]
    db: Database
    lee: Actor
    bells: list[str]

    def text(self) -> str:
        return screen_text(self.app)

    async def until(self, what: str | object, timeout: float = 8.0) -> None:
        if isinstance(what, str):
            await wait_for(self.pilot, lambda: what in self.text(), timeout)
        else:
            await wait_for(self.pilot, what, timeout)  # type: ignore[arg-type]

    def order(self, oid: int) -> OrderDetail:
        return queries.get_order(self.db, self.lee, oid)

    def actions(self, oid: int) -> list[tuple[str, str]]:
        return [(e.action, e.entry) for e in queries.order_timeline(self.db, self.lee, oid)]

    def scan(self, *codes: str) -> None:
        """Codes as a keyboard wedge sends them: characters and CR, back to back, no waiting."""
        send_burst(self.app, "".join(c + "\r" for c in codes))

    async def type_slowly(self, text: str, end: str = "enter") -> None:
        """A person at the keyboard: about 60 ms between keys (the scan threshold is 40 ms)."""
        for ch in text:
            self.app.post_message(events.Key(ch, ch))
            await self.pilot.pause(0.06)
        self.app.post_message(events.Key(end, "\r"))
        await self.pilot.pause(0.06)

    async def refuse_then_accept(self, key: str, question: str, refused: str, yes: str) -> None:
        """Press `key`, see the question, Esc (and see `refused`), ask again, answer `yes`."""
        before = self.actions_all()
        await self.pilot.press(key)
        await self.until(question)
        await self.pilot.press("escape")
        await self.until(refused)
        assert self.actions_all() == before  # asking and saying no changed nothing
        await self.pilot.press(key)
        await self.until(question)
        await self.pilot.press(yes)

    def people_pat(self) -> Actor:
        return auth.authenticate(self.db, self.app.client.token)[0]

    def actions_all(self) -> list[tuple[int, str, str]]:
        q = queries.pick_queue(self.db, self.lee, STORE)
        return [(o.id, o.status, str(o.claimed_by)) for o in q.orders]

    @property
    def walk(self) -> PickWalkScreen:
        assert isinstance(self.app.screen, PickWalkScreen), self.text()
        return self.app.screen

    async def open_order(self, number: str) -> PickWalkScreen:
        self.scan(number)
        await self.until(lambda: isinstance(self.app.screen, PickWalkScreen) and self.app.screen.is_mounted)
        await self.until(" units")  # the progress bar is drawn
        return self.walk

    async def go_to_line(self, order_id: int, line_id: int) -> None:
        """Move the cursor with Up / Down as the associate would."""
        target = self.walk.keys.index((order_id, line_id))
        while self.walk.cursor != target:
            await self.pilot.press("down" if self.walk.cursor < target else "up")

    async def settled(self, oid: int, units: int) -> None:
        """Wait until the backend holds `units` resolved units for the order and the screen shows it."""
        def done() -> bool:
            o = self.order(oid)
            return sum(ln.picked + ln.not_found for ln in o.lines) == units and (
                not isinstance(self.app.screen, PickWalkScreen) or self.walk.units[0] >= units)
        await self.until(done)


@pytest.fixture
async def people_db(demo_db: Database, people: dict[str, Actor]) -> tuple[Database, Actor]:
    return demo_db, people["lee"]


async def start(app: StoreAssistApp, pilot: Pilot[None], db: Database, lee: Actor) -> Ctx:
    bells: list[str] = []
    app.bell = lambda: bells.append("bell")  # type: ignore[method-assign]  # count what the associate hears
    ctx = Ctx(app, pilot, db, lee, bells)
    ctx.scan("B-1001")  # Pat's badge
    await ctx.until(lambda: isinstance(app.screen, HomeScreen))
    await pilot.press("1")
    await ctx.until(lambda: isinstance(app.screen, PickQueueScreen) and app.screen.queue is not None)
    return ctx


@pytest.fixture
async def pick_app(backend: BackendClient, people_db: tuple[Database, Actor],
                   request: pytest.FixtureRequest) -> AsyncIterator[Ctx]:
    app = StoreAssistApp(backend, poll_interval_s=0.2)
    async with app.run_test(size=request.param) as pilot:
        yield await start(app, pilot, *people_db)


def new_orders(ctx: Ctx, n: int, *, min_units: int = 1) -> list[OrderDetail]:
    q = queries.pick_queue(ctx.db, ctx.lee, STORE)
    found = [ctx.order(o.id) for o in q.orders if o.status == "new" and o.units >= min_units]
    assert len(found) >= n
    return found[:n]


def all_codes(order: OrderDetail) -> list[str]:
    return [label_of(ln) for ln in order.lines for _ in range(ln.pending)]


sized = pytest.mark.parametrize("pick_app", SIZES, indirect=True)


# The queue -------------------------------------------------------------------------------------

@sized
async def test_queue_is_by_due_time_overdue_first_with_the_overdue_count(pick_app: Ctx) -> None:
    ctx = pick_app
    q = queries.pick_queue(ctx.db, ctx.lee, STORE)
    assert q.overdue > 0
    assert [o.due_at for o in q.orders] == sorted(o.due_at for o in q.orders)  # due first, so overdue first
    lines = screen_lines(ctx.app)
    shown_late = re.search(r"(\d+) (OVERDUE|LATE) of (\d+)", ctx.text())
    assert shown_late is not None, ctx.text()
    assert int(shown_late.group(1)) in (q.overdue, q.overdue + 1) and int(shown_late.group(3)) == q.total
    shown = [m.group(0) for line in lines for m in NUMBER.finditer(line)]
    assert len(shown) >= 6
    assert shown == [o.number for o in q.orders[:len(shown)]]
    first = next(line for line in lines if q.orders[0].number in line)
    assert "late" in first or "-" in first  # the first order is overdue, and says so


@sized
async def test_single_pick_to_finish(pick_app: Ctx) -> None:
    ctx = pick_app
    (order,) = new_orders(ctx, 1, min_units=3)
    await ctx.open_order(order.number)
    await ctx.until(f"0/{order.units}")
    ctx.scan(*all_codes(order))
    await ctx.settled(order.id, order.units)
    await ctx.until(f"{order.units}/{order.units}")
    await ctx.pilot.press("f4")
    await ctx.until(lambda: isinstance(ctx.app.screen, PickDoneScreen))
    assert f"Picked {order.units}" in ctx.text()
    done = ctx.order(order.id)
    assert done.status == "picked" and all(ln.picked == ln.quantity for ln in done.lines)
    assert ctx.actions(order.id).count(("picked", "scan")) == order.units
    await ctx.pilot.press("escape")
    await ctx.until(lambda: isinstance(ctx.app.screen, PickQueueScreen))
    await ctx.until(lambda: order.number not in ctx.text())
    assert ctx.bells == []


@sized
async def test_batch_pick_of_three_orders(pick_app: Ctx) -> None:
    ctx = pick_app
    orders = new_orders(ctx, 3)
    queue = ctx.app.screen
    assert isinstance(queue, PickQueueScreen)
    for o in orders:
        assert queue.order_list.go_to(o.id)
        await ctx.pilot.press("space")
    await ctx.until("3 marked")
    await ctx.pilot.press("f3")
    await ctx.until(lambda: isinstance(ctx.app.screen, PickWalkScreen))
    walk = ctx.walk
    assert "Batch of 3" in ctx.text()
    # The item detail says which tote each unit goes to.
    tote_of = {o.id: walk.tote(o.id) for o in orders}
    assert sorted(tote_of.values()) == ["A", "B", "C"]
    key = walk.current
    assert key is not None and f"Tote {tote_of[key[0]]}" in ctx.text()
    codes = [c for o in orders for c in all_codes(o)]
    ctx.scan(*codes)
    total = sum(o.units for o in orders)
    await ctx.until(lambda: ctx.walk.units == (total, total))
    await ctx.pilot.press("f4")
    await ctx.until(lambda: isinstance(ctx.app.screen, PickDoneScreen))
    for o in orders:
        after = ctx.order(o.id)
        assert after.status == "picked" and all(ln.picked == ln.quantity for ln in after.lines)


# Refusals --------------------------------------------------------------------------------------

@sized
async def test_wrong_item_is_refused_with_the_bell_and_changes_nothing(pick_app: Ctx) -> None:
    ctx = pick_app
    (order,) = new_orders(ctx, 1)
    await ctx.open_order(order.number)
    on_order = {label_of(ln) for ln in order.lines}
    other = next(c for c in ("036022291225", "036023291231", "4006380000216") if c not in on_order)
    ctx.scan(other)
    await ctx.until("Wrong item")
    assert ctx.bells
    assert ctx.actions(order.id).count(("picked", "scan")) == 0
    assert ctx.walk.units[0] == 0
    ctx.scan("036000291002")  # bad check digit
    await ctx.until(lambda: len(ctx.bells) >= 2)
    assert "check digit" in ctx.text().lower()
    assert sum(ln.picked for ln in ctx.order(order.id).lines) == 0


@sized
async def test_over_pick_is_refused(pick_app: Ctx) -> None:
    ctx = pick_app
    order = next(o for o in new_orders(ctx, 10) if any(ln.quantity == 1 for ln in o.lines))
    line = next(ln for ln in order.lines if ln.quantity == 1)
    await ctx.open_order(order.number)
    ctx.scan(label_of(line), label_of(line))
    await ctx.until("Over-pick")
    assert ctx.bells
    after = next(ln for ln in ctx.order(order.id).lines if ln.id == line.id)
    assert after.picked == 1


@sized
async def test_typed_sku_is_counted_as_manual(pick_app: Ctx) -> None:
    ctx = pick_app
    (order,) = new_orders(ctx, 1)
    line = order.lines[0]
    await ctx.open_order(order.number)
    await ctx.type_slowly(line.sku)
    await ctx.settled(order.id, 1)
    assert "typed" in ctx.text()
    assert ctx.actions(order.id).count(("picked", "manual")) == 1
    ctx.scan(label_of(line) if line.quantity > 1 else label_of(order.lines[-1]))
    await ctx.settled(order.id, 2)
    assert ctx.actions(order.id).count(("picked", "scan")) == 1


@sized
async def test_quantity_key_counts_several_units_with_one_scan(pick_app: Ctx) -> None:
    ctx = pick_app
    order = next(o for o in new_orders(ctx, 30) if any(ln.quantity >= 3 for ln in o.lines))
    line = next(ln for ln in order.lines if ln.quantity >= 3)
    await ctx.open_order(order.number)
    await ctx.go_to_line(order.id, line.id)
    await ctx.pilot.press("f1")
    await ctx.type_slowly(str(line.quantity))
    ctx.scan(label_of(line))
    await ctx.settled(order.id, line.quantity)
    after = next(ln for ln in ctx.order(order.id).lines if ln.id == line.id)
    assert after.picked == line.quantity


@sized
async def test_not_found_partial_asks_and_refunds_at_staging(pick_app: Ctx) -> None:
    ctx = pick_app
    order = next(o for o in new_orders(ctx, 30) if any(ln.quantity >= 2 for ln in o.lines))
    line = next(ln for ln in order.lines if ln.quantity >= 2)
    await ctx.open_order(order.number)
    await ctx.go_to_line(order.id, line.id)
    await ctx.pilot.press("f2")
    await ctx.until(lambda: "staging" in ctx.text() and "Enter" in ctx.text())
    assert sum(ln.not_found for ln in ctx.order(order.id).lines) == 0  # asking changes nothing
    await ctx.type_slowly("1")
    await ctx.settled(order.id, 1)
    after = ctx.order(order.id)
    changed = next(ln for ln in after.lines if ln.id == line.id)
    assert changed.not_found == 1 and changed.picked == 0
    assert [(r.quantity, r.amount_cents, r.state) for r in after.refunds] == [(1, line.unit_price_cents, "pending")]
    assert "staging" in ctx.text()
    # Finishing is refused while units are left, then allowed.
    await ctx.pilot.press("f4")
    await ctx.until("left")
    assert ctx.order(order.id).status == "picking"
    ctx.scan(*all_codes(ctx.order(order.id)))
    await ctx.settled(order.id, order.units)
    await ctx.pilot.press("f4")
    await ctx.until(lambda: isinstance(ctx.app.screen, PickDoneScreen))
    assert "Refund" in ctx.text() and ctx.order(order.id).status == "picked"


@sized
async def test_esc_cancels_the_not_found_question(pick_app: Ctx) -> None:
    ctx = pick_app
    (order,) = new_orders(ctx, 1)
    await ctx.open_order(order.number)
    await ctx.pilot.press("f2")
    await ctx.pilot.press("escape")
    await ctx.until("Cancelled")
    await ctx.pilot.press("enter")
    await drained(ctx.pilot)  # that Enter handled to the end: it marked nothing
    assert isinstance(ctx.app.screen, PickWalkScreen)
    assert sum(ln.not_found for ln in ctx.order(order.id).lines) == 0


@sized
async def test_skip_and_come_back(pick_app: Ctx) -> None:
    ctx = pick_app
    order = next(o for o in new_orders(ctx, 30) if len(o.lines) >= 2)
    walk = await ctx.open_order(order.number)
    first = walk.current
    assert first is not None
    await ctx.pilot.press("f3")
    await ctx.until(lambda: ctx.walk.current != first)
    assert ("skipped", "scan") in ctx.actions(order.id) or any(a == "skipped" for a, _ in ctx.actions(order.id))
    others = [label_of(ln) for ln in order.lines if ln.id != first[1] for _ in range(ln.quantity)]
    ctx.scan(*others)
    await ctx.settled(order.id, order.units - walk.line(first).quantity)
    await ctx.until(lambda: ctx.walk.current == first)  # the skipped line is back
    assert walk.line(first).description in ctx.text()


# Take-over -------------------------------------------------------------------------------------

@sized
async def test_taking_over_anothers_pick_asks_and_is_recorded(pick_app: Ctx) -> None:
    ctx = pick_app
    (order,) = new_orders(ctx, 1)
    picking.claim(ctx.db, ctx.lee, [order.id], "lee-claims-it")
    queue = ctx.app.screen
    assert isinstance(queue, PickQueueScreen)
    await ctx.until(lambda: any(o.id == order.id and o.claimed_by for o in queue.order_list.orders))
    assert queue.order_list.go_to(order.id)
    await ctx.until("Lee")  # who is picking it shows in the row
    await ctx.refuse_then_accept("enter", "take it", "Not taken over", "enter")
    await ctx.until(lambda: isinstance(ctx.app.screen, PickWalkScreen))
    assert ctx.order(order.id).claimed_by_name == "Pat Picker"
    assert any(a == "taken_over" for a, _ in ctx.actions(order.id))


# Bursts across screens -------------------------------------------------------------------------

@sized
async def test_order_then_items_in_one_burst_land_on_the_walk(pick_app: Ctx) -> None:
    ctx = pick_app
    order = next(o for o in new_orders(ctx, 30) if o.units >= 2)
    codes = all_codes(order)[:2]
    ctx.scan(order.number, *codes)  # "order barcode, item, item" delivered at once after a stall
    await ctx.settled(order.id, 2)
    assert isinstance(ctx.app.screen, PickWalkScreen)
    assert ctx.actions(order.id).count(("picked", "scan")) == 2


# The backend goes away -------------------------------------------------------------------------

@asynccontextmanager
async def walk_over(switchable: tuple[BackendClient, SwitchableTransport], people_db: tuple[Database, Actor],
                    size: tuple[int, int]) -> AsyncIterator[tuple[Ctx, SwitchableTransport, OrderDetail]]:
    """The app on a network that can be cut, Pat on the walk of an order of 4 units or more."""
    client, transport = switchable
    app = StoreAssistApp(client, poll_interval_s=0.2)
    async with app.run_test(size=size) as pilot:
        ctx = await start(app, pilot, *people_db)
        order = next(o for o in new_orders(ctx, 30) if o.units >= 4)
        await ctx.open_order(order.number)
        yield ctx, transport, order


@pytest.mark.parametrize("size", SIZES)
async def test_backend_down_mid_walk_then_back_loses_and_doubles_nothing(
    switchable: tuple[BackendClient, SwitchableTransport], people_db: tuple[Database, Actor], size: tuple[int, int],
) -> None:
    async with walk_over(switchable, people_db, size) as (ctx, transport, order):
        codes = all_codes(order)
        ctx.scan(codes[0])
        await ctx.settled(order.id, 1)
        transport.down = True
        ctx.scan(codes[1], codes[2])
        await ctx.until("Offline")
        assert ctx.walk.units[0] == 1  # nothing shown as counted that the backend does not have
        assert sum(ln.picked for ln in ctx.order(order.id).lines) == 1
        transport.down = False
        transport.lose_answers = True  # the next try reaches the backend, the answer is lost
        await ctx.until(lambda: sum(ln.picked for ln in ctx.order(order.id).lines) >= 2)
        transport.lose_answers = False
        await ctx.settled(order.id, 3)
        await drained(ctx.pilot)  # every scan handled: none is sent again later
        assert sum(ln.picked for ln in ctx.order(order.id).lines) == 3
        assert ctx.actions(order.id).count(("picked", "scan")) == 3
        assert "Offline" not in ctx.text()


# A burst goes to the backend together ----------------------------------------------------------

class OldOrFlakyBackend(SwitchableTransport):
    """The backend as before it took scans together (`/picks/scans` unknown: 404), or one whose
    first answer to scans sent together is lost on the way back (they were counted)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, *, old: bool = False, lose_first: bool = False) -> None:
        super().__init__(inner)
        self.old, self.lose_first = old, lose_first

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != SCANS_PATH:
            return await super().handle_async_request(request)
        self.paths.append(request.url.path)
        if self.old:
            return httpx.Response(404, json={"code": "not_found", "message": "No such path in the API"})
        response = await self.inner.handle_async_request(request)
        if self.lose_first:
            self.lose_first = False
            await response.aread()
            raise httpx.ReadError("connection reset by peer", request=request)
        return response


@asynccontextmanager
async def walk_behind(transport: OldOrFlakyBackend, people_db: tuple[Database, Actor],
                      ) -> AsyncIterator[tuple[Ctx, OrderDetail]]:
    """Pat on the walk of an order of 4 units or more, over `transport`."""
    client = BackendClient("http://embedded", transport=transport)
    app = StoreAssistApp(client, poll_interval_s=0.2)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            ctx = await start(app, pilot, *people_db)
            order = next(o for o in new_orders(ctx, 30) if o.units >= 4)
            await ctx.open_order(order.number)
            yield ctx, order
    finally:
        await client.aclose()


def picked_codes(ctx: Ctx, oid: int) -> list[str]:
    return [str(e.detail["code"]) for e in queries.order_timeline(ctx.db, ctx.lee, oid) if e.action == "picked"]


async def test_a_burst_goes_together_and_a_refusal_inside_it_is_said_and_the_scans_behind_it_count(
    people_db: tuple[Database, Actor], settings: Settings,
) -> None:
    """The scans of a burst on the walk go to the backend in one request; one refused in the middle
    (an unknown code) rings the bell and counts nothing, and the scans before and after it count
    once each, in the order sent."""
    transport = OldOrFlakyBackend(httpx.ASGITransport(app=create_app(people_db[0], settings)))
    async with walk_behind(transport, people_db) as (ctx, order):
        codes = all_codes(order)
        ctx.scan(codes[0], "036000291452", *codes[1:])
        await ctx.settled(order.id, order.units)
        await drained(ctx.pilot)
        assert picked_codes(ctx, order.id) == [barcodes.interpret(c).text for c in codes]
        assert ctx.bells == ["bell"]
        assert ctx.walk.units == (order.units, order.units) and f"{order.units}/{order.units}" in ctx.text()
        assert SCANS_PATH in transport.paths and transport.paths.count(SCAN_PATH) <= 1


@pytest.mark.parametrize("backend_kind", ["old", "answer lost"])
async def test_a_burst_an_older_backend_or_a_lost_answer_refuses_goes_one_by_one_and_counts_once(
    people_db: tuple[Database, Actor], settings: Settings, backend_kind: str,
) -> None:
    """A backend that does not take scans together (older than the terminal) gets them one by one,
    and is not asked again; when the answer to scans sent together is lost, they are sent again one
    by one under the same request ids: the backend had counted them, nothing counts twice."""
    transport = OldOrFlakyBackend(httpx.ASGITransport(app=create_app(people_db[0], settings)),
                                  old=backend_kind == "old", lose_first=backend_kind == "answer lost")
    async with walk_behind(transport, people_db) as (ctx, order):
        codes = all_codes(order)
        ctx.scan(*codes)
        await ctx.settled(order.id, order.units)
        await drained(ctx.pilot)
        assert picked_codes(ctx, order.id) == [barcodes.interpret(c).text for c in codes]
        assert ctx.bells == [] and "Offline" not in ctx.text()
        if backend_kind == "old":
            assert transport.paths.count(SCANS_PATH) == 1 and transport.paths.count(SCAN_PATH) == len(codes)
            ctx.scan(codes[0])  # over-pick, but the point is: alone, as the old backend takes it
            await ctx.until("Over-pick")
            assert transport.paths.count(SCANS_PATH) == 1


# Resume ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("size", SIZES)
async def test_resume_after_leaving_and_after_the_app_restarts(
    backend: BackendClient, people_db: tuple[Database, Actor], size: tuple[int, int],
) -> None:
    db, lee = people_db
    order_id = 0
    app = StoreAssistApp(backend, poll_interval_s=0.2)
    async with app.run_test(size=size) as pilot:
        ctx = await start(app, pilot, db, lee)
        order = next(o for o in new_orders(ctx, 30) if len(o.lines) >= 2 and o.units >= 3)
        order_id = order.id
        walk = await ctx.open_order(order.number)
        await ctx.go_to_line(*walk.keys[-1])  # the associate moved to the last line
        where = ctx.walk.current
        ctx.scan(label_of(ctx.walk.line(where)))  # type: ignore[arg-type]
        await ctx.settled(order.id, 1)
        await pilot.press("escape")
        await ctx.until(lambda: isinstance(app.screen, PickQueueScreen))
        ctx.scan(order.number)
        await ctx.until(lambda: isinstance(app.screen, PickWalkScreen))
        await ctx.until("Resumed")
        assert ctx.walk.units[0] == 1
    # A dropped SSH session: a new app, a new login; the pick is still Pat's and resumes.
    app = StoreAssistApp(backend, poll_interval_s=0.2)
    async with app.run_test(size=size) as pilot:
        ctx = await start(app, pilot, db, lee)
        queue = app.screen
        assert isinstance(queue, PickQueueScreen)
        await ctx.until(lambda: any(o.id == order_id and o.claimed_by for o in queue.order_list.orders))
        assert queue.order_list.go_to(order_id)
        await ctx.until("me")
        await pilot.press("enter")
        await ctx.until(lambda: isinstance(app.screen, PickWalkScreen))
        await ctx.until("Resumed")
        assert ctx.walk.units[0] == 1
        assert ctx.bells == []


# Garbage in, nothing changed -------------------------------------------------------------------

@sized
async def test_garbage_is_refused_and_pasted_lines_are_scans(pick_app: Ctx) -> None:
    ctx = pick_app
    order = next(o for o in new_orders(ctx, 30) if o.units >= 3)
    await ctx.open_order(order.number)
    ctx.app.post_message(events.Paste("9" * 10_000))  # a 10,000-character paste
    await ctx.until(lambda: len(ctx.bells) == 1)
    assert "10000 characters" in ctx.text()
    ctx.scan("hello")
    await ctx.until(lambda: len(ctx.bells) == 2)
    assert "Unknown code" in ctx.text() or "not an item" in ctx.text()
    assert ctx.actions(order.id).count(("picked", "scan")) == 0
    # Scanner framing (STX ... ETX) is stripped; a paste of three lines is three scans.
    first, *rest = all_codes(order)[:3]
    for key, ch in [("ctrl+b", "\x02"), *[(c, c) for c in first], ("ctrl+c", "\x03"), ("enter", "\r")]:
        ctx.app.post_message(events.Key(key, ch))
    await ctx.settled(order.id, 1)
    ctx.app.post_message(events.Paste("\r\n".join(rest) + "\r\n"))
    await ctx.settled(order.id, 3)
    assert ctx.actions(order.id).count(("picked", "scan")) == 3
    assert len(ctx.bells) == 2


@sized
async def test_esc_clears_what_was_typed_before_it_goes_back(pick_app: Ctx) -> None:
    ctx = pick_app
    (order,) = new_orders(ctx, 1)
    await ctx.open_order(order.number)
    for ch in "XQZ-77":
        ctx.app.post_message(events.Key(ch, ch))
    await ctx.until("type SKU: XQZ-77")
    await ctx.pilot.press("escape")
    await ctx.until(lambda: "XQZ-77" not in ctx.text())
    assert isinstance(ctx.app.screen, PickWalkScreen)
    await ctx.pilot.press("escape")
    await ctx.until(lambda: isinstance(ctx.app.screen, PickQueueScreen))


@sized
async def test_screens_draw_ascii_and_mark_state_without_colour(pick_app: Ctx) -> None:
    ctx = pick_app
    text = ctx.text()
    assert text.isascii()
    segments = [s for s in render_segments(ctx.app) if not s.control and s.text.strip()]
    assert all(s.style is None or s.style.color is None or s.style.color.is_default for s in segments)
    late = [s for s in segments if "late" in s.text]
    assert late and all(s.style is not None and (s.style.reverse or s.style.bold) for s in late)
    order = new_orders(ctx, 3)[-1]
    await ctx.open_order(order.number)
    assert ctx.text().isascii()
    current = [s for s in render_segments(ctx.app) if not s.control and s.text.startswith(">")]
    assert current and all(s.style is not None and s.style.reverse for s in current)


@pytest.mark.parametrize("pick_app", [SIZES[0]], indirect=True)
async def test_a_scan_sends_the_terminal_only_what_it_changed(pick_app: Ctx) -> None:
    """Bytes are a budget on a store's Wi-Fi: a scan rewrites its count, its line's row, the item's
    numbers and the message (a few hundred bytes at 80x24), not the walk's list and the item's
    detail whole (about 2.9 KB)."""
    ctx = pick_app
    order = next(o for o in new_orders(ctx, 30) if o.lines[0].quantity >= 2 and o.lines[0].uom == "EACH")
    await ctx.open_order(order.number)
    await drained(ctx.pilot)
    sent: list[int] = []
    console = Console(width=80, height=24, file=io.StringIO(), force_terminal=True, color_system="standard")
    display = ctx.app._display

    def counting(screen: Screen[None], renderable: RenderableType | None) -> None:
        if isinstance(renderable, CompositorUpdate):
            sent.append(len(renderable.render_segments(console).encode()))
        display(screen, renderable)

    ctx.app._display = counting  # type: ignore[method-assign]
    ctx.scan(label_of(order.lines[0]))
    await ctx.settled(order.id, 1)
    await drained(ctx.pilot)
    await ctx.until(f"1/{order.units}")
    assert 0 < sum(sent) < 1000, sent


@pytest.mark.parametrize("size", SIZES)
async def test_inactivity_logs_out_of_a_walk_and_the_pick_stays(
    backend: BackendClient, people_db: tuple[Database, Actor], size: tuple[int, int],
) -> None:
    app = StoreAssistApp(backend, poll_interval_s=0.2, inactivity_logout_s=1.5)
    async with app.run_test(size=size) as pilot:
        ctx = await start(app, pilot, *people_db)
        (order,) = new_orders(ctx, 1)
        await ctx.open_order(order.number)
        ctx.scan(label_of(order.lines[0]))
        await ctx.settled(order.id, 1)
        await ctx.until(lambda: type(app.screen).__name__ == "LoginScreen", timeout=10)
        await ctx.until("without activity")
        kept = ctx.order(order.id)
        assert kept.status == "picking" and kept.claimed_by_name == "Pat Picker"


# Scans anywhere, keys in turn ------------------------------------------------------------------

@sized
async def test_scans_on_home_are_never_menu_keys(pick_app: Ctx) -> None:
    ctx = pick_app
    app, pilot = ctx.app, ctx.pilot
    await pilot.press("escape")
    await ctx.until(lambda: isinstance(app.screen, HomeScreen))
    ctx.scan("036007291073")  # an item code full of menu digits (0 = log out, 3 = hand-off)
    await ctx.until("That is an item")
    assert isinstance(app.screen, HomeScreen) and app.session is not None  # refused where it was scanned
    order = next(o for o in new_orders(ctx, 30) if o.units >= 2)
    ctx.scan(order.number, label_of(order.lines[0]))  # order number, then an item, one burst
    await ctx.settled(order.id, 1)
    assert isinstance(app.screen, PickWalkScreen)
    assert app.session is not None


@sized
async def test_a_key_in_a_burst_runs_after_the_scans_before_it(pick_app: Ctx) -> None:
    ctx = pick_app
    order = next(o for o in new_orders(ctx, 30) if 2 <= o.units <= 4)
    ctx.scan(order.number, *all_codes(order))
    ctx.app.post_message(events.Key("f4", None))  # F4 right behind the scans, no waiting
    await ctx.until(lambda: isinstance(ctx.app.screen, PickDoneScreen))
    assert ctx.order(order.id).status == "picked"


@sized
async def test_finishing_with_nothing_found_asks_then_closes_and_refunds(pick_app: Ctx) -> None:
    ctx = pick_app
    order = next(o for o in new_orders(ctx, 30) if len(o.lines) == 1)
    await ctx.open_order(order.number)
    await ctx.pilot.press("f2", "enter")
    await ctx.settled(order.id, order.units)
    await ctx.refuse_then_accept("f4", "Nothing of", "Cancelled", "f4")
    await ctx.until(lambda: isinstance(ctx.app.screen, PickDoneScreen))
    closed = ctx.order(order.id)
    assert closed.status == "canceled"
    assert [r.state for r in closed.refunds] == ["issued"]
    assert "refunded" in ctx.text() and "at staging" not in ctx.text()


@pytest.mark.parametrize("size", SIZES)
async def test_skips_and_place_survive_a_restart(
    backend: BackendClient, people_db: tuple[Database, Actor], size: tuple[int, int],
) -> None:
    db, lee = people_db
    app = StoreAssistApp(backend, poll_interval_s=0.2)
    async with app.run_test(size=size) as pilot:
        ctx = await start(app, pilot, db, lee)
        order = next(o for o in new_orders(ctx, 30) if len(o.lines) >= 3)
        walk = await ctx.open_order(order.number)
        skipped = walk.current
        assert skipped is not None
        await pilot.press("f3")
        await ctx.until(lambda: ctx.walk.current != skipped)
        second = ctx.walk.current
        assert second is not None
        ctx.scan(label_of(ctx.walk.line(second)))  # one unit of the second line
        await ctx.settled(order.id, 1)
        place = ctx.walk.current
    app = StoreAssistApp(backend, poll_interval_s=0.2)
    async with app.run_test(size=size) as pilot:
        ctx = await start(app, pilot, db, lee)
        ctx.scan(order.number)
        await ctx.until(lambda: isinstance(app.screen, PickWalkScreen) and app.screen.is_mounted)
        await ctx.until(" units")
        assert ctx.walk.skipped == {skipped}
        assert ctx.walk.current == place
        assert any("skip" in line for line in screen_lines(app))  # the skipped line is marked


@sized
async def test_a_session_revoked_elsewhere_logs_out_at_the_next_scan(pick_app: Ctx) -> None:
    ctx = pick_app
    (order,) = new_orders(ctx, 1)
    await ctx.open_order(order.number)
    auth.logout(ctx.db, ctx.app.client.token)  # e.g. a lead ended the session from the back office
    ctx.scan(label_of(order.lines[0]))
    await ctx.until(lambda: type(ctx.app.screen).__name__ == "LoginScreen")
    await ctx.until("Not logged in")  # the backend's one line, in place of a dead walk
    assert sum(ln.picked for ln in ctx.order(order.id).lines) == 0


# Review findings, each one a test ---------------------------------------------------------------

@sized
async def test_batch_totes_stay_the_same_when_the_batch_is_resumed(pick_app: Ctx) -> None:
    ctx = pick_app
    first, second = new_orders(ctx, 2)
    queue = ctx.app.screen
    assert isinstance(queue, PickQueueScreen)
    for o in (second, first):  # marked in the "wrong" order
        queue.order_list.go_to(o.id)
        await ctx.pilot.press("space")
    await ctx.pilot.press("f3")
    await ctx.until(lambda: isinstance(ctx.app.screen, PickWalkScreen))
    totes = {o.id: ctx.walk.tote(o.id) for o in (first, second)}
    await ctx.pilot.press("escape")
    await ctx.until(lambda: isinstance(ctx.app.screen, PickQueueScreen))
    ctx.scan(second.number)  # resumed from the other order of the batch
    await ctx.until(lambda: isinstance(ctx.app.screen, PickWalkScreen) and ctx.app.screen.is_batch)
    assert {o.id: ctx.walk.tote(o.id) for o in (first, second)} == totes


@sized
async def test_moving_withdraws_the_take_over_question(pick_app: Ctx) -> None:
    ctx = pick_app
    lees, other = new_orders(ctx, 2)
    picking.claim(ctx.db, ctx.lee, [lees.id], "lee-claims")
    queue = ctx.app.screen
    assert isinstance(queue, PickQueueScreen)
    await ctx.until(lambda: any(o.id == lees.id and o.claimed_by for o in queue.order_list.orders))
    queue.order_list.go_to(lees.id)
    await ctx.pilot.press("enter")
    await ctx.until("take it")
    queue.order_list.go_to(other.id)
    await ctx.pilot.press("down", "up")  # the associate moves to another order...
    assert queue.order_list.current is not None and queue.order_list.current.id == other.id
    await ctx.pilot.press("enter")  # ...and Enter picks that one; Lee keeps his
    await ctx.until(lambda: isinstance(ctx.app.screen, PickWalkScreen))
    assert ctx.walk.order_ids == [other.id]
    assert ctx.order(lees.id).claimed_by_name == "Lee Lead"


@sized
async def test_the_next_order_scanned_on_the_finish_screen_opens(pick_app: Ctx) -> None:
    ctx = pick_app
    order, after = [o for o in new_orders(ctx, 30) if o.units <= 3][:2]
    ctx.scan(order.number, *all_codes(order))
    ctx.app.post_message(events.Key("f4", None))
    ctx.scan(after.number)  # right behind F4, as the next order's label is scanned
    await ctx.until(lambda: isinstance(ctx.app.screen, PickWalkScreen) and ctx.app.screen.order_ids == [after.id])
    assert ctx.order(order.id).status == "picked" and ctx.order(after.id).status == "picking"


@sized
async def test_scanning_an_order_of_my_batch_on_home_resumes_the_batch(pick_app: Ctx) -> None:
    ctx = pick_app
    app, pilot = ctx.app, ctx.pilot
    orders = new_orders(ctx, 2)
    queue = app.screen
    assert isinstance(queue, PickQueueScreen)
    for o in orders:
        queue.order_list.go_to(o.id)
        await pilot.press("space")
    await pilot.press("f3")
    await ctx.until(lambda: isinstance(app.screen, PickWalkScreen))
    await pilot.press("escape", "escape")
    await ctx.until(lambda: isinstance(app.screen, HomeScreen))
    ctx.scan(orders[1].number)
    await ctx.until(lambda: isinstance(app.screen, PickWalkScreen) and app.screen.is_mounted)
    assert sorted(ctx.walk.order_ids) == sorted(o.id for o in orders)


@sized
async def test_refunds_shown_are_the_backends_capped_amounts(pick_app: Ctx) -> None:
    ctx = pick_app
    body = {"orderId": "DISC-1", "orderTotal": "30.00",  # two $25 shirts for $30 after a discount
            "customer": {"contact": {"name": {"firstName": "Dee", "lastName": "Scount"}}},
            "orderLines": [{"lineNbr": 1, "quantity": {"value": 2}, "storeUnitPrice": "25", "itemDesc": "Shirt",
                            "products": [{"barcode": "036000291001", "barcodeType": "UPC"}]}]}
    intake.intake_order(ctx.db, intake.IntakeOrder.model_validate(body), STORE)
    await ctx.open_order("DISC-1")
    await ctx.pilot.press("f2", "enter")
    await ctx.until("$30.00")
    assert "$50.00" not in ctx.text()


@sized
async def test_lines_without_an_aisle_follow_the_stores_department_sequence(pick_app: Ctx) -> None:
    ctx = pick_app
    depts = [("Apparel", 9, "036000291001"), ("Produce", 1, "036012291129"), ("Bakery", 5, "036013291135")]
    body = {"orderId": "DEPT-1", "customer": {"contact": {"name": {"firstName": "Di", "lastName": "Part"}}},
            "orderLines": [{"lineNbr": n + 1, "quantity": {"value": 1}, "storeUnitPrice": "1", "itemDesc": name,
                            "department": {"deptNbr": n + 1, "deptName": name, "deptSequence": seq},
                            "products": [{"barcode": code, "barcodeType": "UPC"}]}
                           for n, (name, seq, code) in enumerate(depts)]}
    intake.intake_order(ctx.db, intake.IntakeOrder.model_validate(body), STORE)
    walk = await ctx.open_order("DEPT-1")
    assert [walk.line(k).description for k in walk.keys] == ["Produce", "Bakery", "Apparel"]


@sized
async def test_a_big_batch_summary_shows_every_order_needing_attention(pick_app: Ctx) -> None:
    ctx = pick_app
    app, pilot = ctx.app, ctx.pilot
    orders = [o for o in new_orders(ctx, 30) if o.units <= 3][:7]
    ids = [o.id for o in orders]
    result = picking.claim(ctx.db, ctx.people_pat(), ids, rid())
    closed = result.orders[-1]  # nothing of this one will be found
    for o in result.orders[:-1]:
        for ln in o.lines:
            picking.record_scan(ctx.db, ctx.people_pat(), ids, ln.sku, rid(), quantity=ln.quantity)
    for ln in closed.lines:
        picking.mark_not_found(ctx.db, ctx.people_pat(), closed.id, ln.id, ln.quantity, rid())
    ctx.scan(orders[0].number)
    await ctx.until(lambda: isinstance(app.screen, PickWalkScreen) and app.screen.is_batch)
    await pilot.press("f4")
    await ctx.until("Nothing of")
    await pilot.press("f4")
    await ctx.until(lambda: isinstance(app.screen, PickDoneScreen))
    await ctx.until(closed.number if app.size.width >= 40 else closed.number[-6:])
    assert "CLOSED" in ctx.text() or "refunded" in ctx.text()
    shown = sum(o.number in ctx.text() for o in orders)
    assert shown == 7 or "more" in ctx.text()


@pytest.mark.parametrize("size", SIZES)
async def test_esc_stops_waiting_for_an_unreachable_backend(
    switchable: tuple[BackendClient, SwitchableTransport], people_db: tuple[Database, Actor], size: tuple[int, int],
) -> None:
    async with walk_over(switchable, people_db, size) as (ctx, transport, order):
        app, pilot = ctx.app, ctx.pilot
        codes = all_codes(order)
        transport.down = True
        ctx.scan(codes[0], codes[1])
        await ctx.until("Offline")
        await pilot.press("escape")
        await ctx.until("Not saved")
        assert isinstance(app.screen, PickWalkScreen)  # the first Esc only stops the waiting
        transport.down = False
        ctx.scan(codes[0])
        await ctx.settled(order.id, 1)
        await drained(pilot)
        await ctx.until(lambda: not app.client.journal.voids)  # the stopped scans were voided
        assert sum(ln.picked for ln in ctx.order(order.id).lines) == 1
        await pilot.press("escape")
        await ctx.until(lambda: isinstance(app.screen, PickQueueScreen))


@sized
async def test_the_queue_refreshes_itself_and_keeps_the_cursor_on_its_order(pick_app: Ctx) -> None:
    ctx = pick_app
    queue = ctx.app.screen
    assert isinstance(queue, PickQueueScreen)
    target = new_orders(ctx, 3)[2]
    queue.order_list.go_to(target.id)
    await ctx.pilot.press("down", "up")
    body = {"orderId": "RUSH-1", "orderDueDate": "2020-01-01T00:00:00Z",  # long overdue: goes on top
            "customer": {"contact": {"name": {"firstName": "Ru", "lastName": "Sh"}}},
            "orderLines": [{"lineNbr": 1, "quantity": {"value": 1}, "storeUnitPrice": "1", "itemDesc": "Gum",
                            "products": [{"barcode": "04252614", "barcodeType": "UPCE0"}]}]}
    intake.intake_order(ctx.db, intake.IntakeOrder.model_validate(body), STORE)  # another terminal's work
    await ctx.until(lambda: bool(queue.order_list.orders) and queue.order_list.orders[0].number == "RUSH-1")
    await ctx.until("RUSH-1")
    assert queue.order_list.current is not None and queue.order_list.current.id == target.id
    cursor_line = next(line for line in screen_lines(ctx.app) if line.startswith(">"))
    assert target.number in cursor_line


@sized
async def test_any_key_but_enter_withdraws_log_out_on_home(pick_app: Ctx) -> None:
    ctx = pick_app
    await ctx.pilot.press("escape")
    await ctx.until(lambda: isinstance(ctx.app.screen, HomeScreen))
    for other in ("down", "x"):
        await ctx.pilot.press("0")
        await ctx.until("Log out?")
        await ctx.pilot.press(other)
        await ctx.until(lambda: "Log out?" not in ctx.text())
        await ctx.pilot.press("enter")
        await drained(ctx.pilot)
        assert ctx.app.session is not None
        if other == "x":  # the typed x was ended by that Enter: an entry, never a yes
            await ctx.until("No order x")
            assert isinstance(ctx.app.screen, HomeScreen)
