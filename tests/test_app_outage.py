"""An outage as the associate lives it: nothing the walk says is undone later.

A backend that freezes with the request in hand (as a SIGSTOPped server: the request is read and
done later, whatever the terminal decided), Esc at any moment, the app quitting while scans wait,
and another terminal finishing the lines of a walk that is open."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from test_app_pick import SIZES, Ctx, all_codes, new_orders, start
from textual import events
from ui import SwitchableTransport

from storeassist_tui.app import StoreAssistApp
from storeassist_tui.client import BackendClient
from storeassist_tui.config import Settings
from storeassist_tui.screens.home import HomeScreen
from storeassist_tui.screens.pick_done import PickDoneScreen
from storeassist_tui.screens.pick_walk import PickWalkScreen
from storeassist_tui.server import create_app
from storeassist_tui.store import picking
from storeassist_tui.store.db import Database
from storeassist_tui.store.roles import Actor


class FreezingTransport(SwitchableTransport):
    """While `frozen`, a request is taken and held, then done when `thaw()` is called, in arrival
    order, whether or not the terminal still waits for it (a frozen server process)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        super().__init__(inner)
        self.frozen = False
        self.held: list[tuple[httpx.Request, asyncio.Future[httpx.Response]]] = []
        self.done: list[str] = []  # paths of held requests done after the thaw

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self.frozen:
            return await super().handle_async_request(request)
        await request.aread()
        answer: asyncio.Future[httpx.Response] = asyncio.get_running_loop().create_future()
        self.held.append((request, answer))
        return await asyncio.shield(answer)

    async def thaw(self) -> None:
        self.frozen = False
        held, self.held = self.held, []
        for request, answer in held:
            response = await super().handle_async_request(request)
            await response.aread()
            self.done.append(request.url.path)
            if not answer.done():
                answer.set_result(response)


@pytest.fixture
async def freezing(demo_db: Database, settings: Settings) -> AsyncIterator[tuple[BackendClient, FreezingTransport]]:
    transport = FreezingTransport(httpx.ASGITransport(app=create_app(demo_db, settings)))
    client = BackendClient("http://embedded", transport=transport)
    yield client, transport
    await client.aclose()


@asynccontextmanager
async def walk(client: BackendClient, db: Database, lee: Actor, size: tuple[int, int],
               journal: Path | None = None) -> AsyncIterator[Ctx]:
    app = StoreAssistApp(client, poll_interval_s=0.2, journal_dir=journal)
    async with app.run_test(size=size) as pilot:
        ctx = await start(app, pilot, db, lee)
        yield ctx


def picked(ctx: Ctx, order_id: int) -> int:
    return sum(ln.picked for ln in ctx.order(order_id).lines)


@pytest.mark.parametrize("size", SIZES)
async def test_not_saved_stays_not_saved_when_the_frozen_backend_wakes_up(
    freezing: tuple[BackendClient, FreezingTransport], demo_db: Database, people: dict[str, Actor],
    size: tuple[int, int],
) -> None:
    client, transport = freezing
    async with walk(client, demo_db, people["lee"], size) as ctx:
        order = next(o for o in new_orders(ctx, 30) if o.units >= 2)
        await ctx.open_order(order.number)
        code = all_codes(order)[0]
        transport.frozen = True
        ctx.scan(code)
        await ctx.until("Esc stops")  # the answer is late: the walk says it waits
        await ctx.pilot.press("escape")  # while the request is in the backend's hands
        await ctx.until("Not saved")
        assert isinstance(ctx.app.screen, PickWalkScreen)  # Esc stopped the wait, it was no Back
        await transport.thaw()  # the backend wakes up and does the scan it had read...
        # ...and the void the terminal owes goes out as soon as it answers: the scan is taken back.
        await ctx.until(lambda: "/void" in " ".join(transport.done) or not client.journal.voids)
        await ctx.until(lambda: not client.journal.voids and picked(ctx, order.id) == 0)
        assert ("scan_voided", "") in ctx.actions(order.id)
        ctx.scan(code)  # "scan again when the backend is back": one item, counted once
        await ctx.settled(order.id, 1)
        assert picked(ctx, order.id) == 1
        assert ctx.walk.units[0] == 1


@pytest.mark.parametrize("size", SIZES)
async def test_scans_waiting_offline_survive_the_app_and_are_sent_once_at_the_next_login(
    switchable: tuple[BackendClient, SwitchableTransport], demo_db: Database, people: dict[str, Actor],
    size: tuple[int, int], tmp_path: Path,
) -> None:
    client, transport = switchable
    async with walk(client, demo_db, people["lee"], size, journal=tmp_path) as ctx:
        order = next(o for o in new_orders(ctx, 30) if o.units >= 3)
        await ctx.open_order(order.number)
        codes = all_codes(order)[:3]
        ctx.scan(codes[0])
        await ctx.settled(order.id, 1)
        transport.down = True
        ctx.scan(codes[1], codes[2])  # one retried, one waiting its turn behind it
        await ctx.until("Offline")
        await ctx.until(lambda: len(client.journal.pending) == 2)
    # The app is gone (quit, crash, dropped session) while both scans waited: nothing sent yet.
    assert picked(ctx, order.id) == 1
    assert len(list(tmp_path.glob("*.jsonl"))) == 1
    transport.down = False
    fresh = BackendClient("http://embedded", transport=transport)
    try:
        app = StoreAssistApp(fresh, poll_interval_s=0.2, journal_dir=tmp_path)
        async with app.run_test(size=size) as pilot:
            ctx2 = Ctx(app, pilot, demo_db, people["lee"], [])
            ctx2.scan("B-1001")  # Pat again, on the same backend
            await ctx2.until(lambda: isinstance(app.screen, HomeScreen))
            await ctx2.until("Kept")
            await ctx2.settled(order.id, 3)
            assert picked(ctx2, order.id) == 3
            assert ctx2.actions(order.id).count(("picked", "scan")) == 3
            assert not list(tmp_path.glob("*.jsonl"))  # nothing left to keep
    finally:
        await fresh.aclose()


@pytest.mark.parametrize("size", SIZES)
async def test_a_walk_learns_of_lines_done_on_another_terminal_at_its_next_step(
    backend: BackendClient, demo_db: Database, people: dict[str, Actor], size: tuple[int, int],
) -> None:
    async with walk(backend, demo_db, people["lee"], size) as ctx:
        order = next(o for o in new_orders(ctx, 30) if o.units >= 2)
        await ctx.open_order(order.number)
        pat = ctx.people_pat()
        for line in ctx.order(order.id).lines:  # Pat's other terminal scans everything
            for _ in range(line.pending):
                picking.record_scan(demo_db, pat, [order.id], line.sku, f"other-{line.id}-{_}-x")
        assert ctx.walk.units[0] == 0  # the walk has not been told yet
        await ctx.pilot.press("f4")  # its next step: finishing works, nothing said "units left"
        await ctx.until(lambda: isinstance(ctx.app.screen, PickDoneScreen))
        assert ctx.order(order.id).status == "picked"


async def test_esc_pressed_before_the_walk_says_it_waits_still_only_stops_the_waiting(
    freezing: tuple[BackendClient, FreezingTransport], demo_db: Database, people: dict[str, Actor],
) -> None:
    client, transport = freezing
    async with walk(client, demo_db, people["lee"], (40, 16)) as ctx:
        order = next(o for o in new_orders(ctx, 30) if o.units >= 2)
        await ctx.open_order(order.number)
        transport.frozen = True
        ctx.scan(all_codes(order)[0])
        ctx.app.post_message(events.Key("escape", None))  # at once, while the answer is due
        await ctx.until("Not saved")
        assert isinstance(ctx.app.screen, PickWalkScreen)  # no Back was left over for later
        await transport.thaw()
        await ctx.until(lambda: not client.journal.voids and picked(ctx, order.id) == 0)
        assert isinstance(ctx.app.screen, PickWalkScreen)


async def test_a_scan_in_the_frozen_backends_hands_when_the_app_goes_is_kept_and_counted_once(
    freezing: tuple[BackendClient, FreezingTransport], demo_db: Database, people: dict[str, Actor],
    tmp_path: Path,
) -> None:
    client, transport = freezing
    async with walk(client, demo_db, people["lee"], (80, 24), journal=tmp_path) as ctx:
        order = next(o for o in new_orders(ctx, 30) if o.units >= 2)
        await ctx.open_order(order.number)
        transport.frozen = True
        ctx.scan(all_codes(order)[0])
        await ctx.until("Esc stops")  # the answer is late: the request is on disk from now on
        assert len(client.journal.pending) == 1
    # The app is gone with the scan in the backend's hands; the backend then does it.
    await transport.thaw()
    assert picked(ctx, order.id) == 1
    fresh = BackendClient("http://embedded", transport=transport)
    try:
        app = StoreAssistApp(fresh, poll_interval_s=0.2, journal_dir=tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            ctx2 = Ctx(app, pilot, demo_db, people["lee"], [])
            ctx2.scan("B-1001")
            await ctx2.until("Kept from before: 1 scan sent and saved")
            assert picked(ctx2, order.id) == 1  # sent again with its own id: answered, not redone
            assert ctx2.actions(order.id).count(("picked", "scan")) == 1
    finally:
        await fresh.aclose()
