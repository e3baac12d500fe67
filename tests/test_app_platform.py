"""End to end: an order the platform sent through its own order-create call (the inbound double,
tests/platform_double.py), worked in the real app (embedded backend, keys and scans as an
associate sends them), and what the platform's REST side (tests/platform_double_server.py)
received from the deliverer."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from helpers import STORE, label_of
from platform_double import PlatformDouble as Caller
from platform_double import platform_order
from platform_double_server import PlatformDouble
from test_app_modules import app_as, open_handoff_order, open_module, set_store, stage_from_pick_done
from test_app_pick import Ctx
from test_platform_delivery import dispensed_body, paths, picked_body
from ui import on_screen, said

from storeassist_tui.client import BackendClient
from storeassist_tui.screens.handoff_order import HandoffOrderScreen
from storeassist_tui.screens.home import HomeScreen
from storeassist_tui.screens.order_detail import OrderDetailScreen
from storeassist_tui.screens.orders import OrdersScreen
from storeassist_tui.screens.pick_done import PickDoneScreen
from storeassist_tui.screens.pick_queue import PickQueueScreen
from storeassist_tui.store import delivery, queries
from storeassist_tui.store.db import Database
from storeassist_tui.store.roles import Actor
from storeassist_tui.store.views import OrderDetail


@pytest.fixture
async def lee(backend: BackendClient, demo_db: Database, people: dict[str, Actor]) -> AsyncIterator[Ctx]:
    async with app_as(backend, demo_db, people, (80, 24), "lee") as ctx:
        yield ctx


async def sent_by_the_platform(ctx: Ctx, platform: Caller, double: PlatformDouble) -> OrderDetail:
    """An order as the platform creates it: its token, then order create with X-storeId."""
    number = f"#{uuid.uuid4().hex[:8]}"
    r = await platform.create_order(platform_order(number), STORE)
    assert r.status_code == 201, r.text
    double.add_order(number)  # the platform's REST side now knows it (picked / dispensed go there)
    return queries.find_order(ctx.db, ctx.lee, number, STORE)


async def deliver(d: delivery.Deliverer) -> None:
    await asyncio.to_thread(d.drain)  # the worker is never in the app's loop


async def home(ctx: Ctx) -> None:
    while not isinstance(ctx.app.screen, HomeScreen):
        await ctx.pilot.press("escape")
        await ctx.pilot.pause()


async def test_picked_with_a_shortfall_staged_and_handed_off_with_a_reject(
        lee: Ctx, platform: Caller, platform_double: PlatformDouble, make_deliverer) -> None:  # type: ignore[no-untyped-def]
    ctx, d = lee, make_deliverer()
    set_store(ctx, signature_required=False)
    order = await sent_by_the_platform(ctx, platform, platform_double)
    one, two = sorted(order.lines, key=lambda ln: ln.line_nbr)
    await open_module(ctx, "1", PickQueueScreen)
    await ctx.open_order(order.number)
    await ctx.go_to_line(order.id, one.id)
    await ctx.pilot.press("f2")  # one of the two shirts is not found
    await ctx.until(lambda: "staging" in ctx.text() and "Enter" in ctx.text())
    await ctx.type_slowly("1")
    await ctx.settled(order.id, 1)
    ctx.scan(label_of(one), label_of(two))
    await ctx.settled(order.id, 3)
    await ctx.pilot.press("f4")
    await ctx.until(lambda: isinstance(ctx.app.screen, PickDoneScreen))
    await deliver(d)
    assert paths(platform_double, order.number) == ["creation-confirmed"]  # not ready yet: no `picked`
    await stage_from_pick_done(ctx, order, "C1")
    await home(ctx)
    screen = await open_handoff_order(ctx, order.number)
    await ctx.pilot.press("f2")
    await ctx.until(on_screen(ctx.app, HandoffOrderScreen, says="Reject: Up/Down to the item, type how many"))
    current = screen.lines.current
    assert current is not None and current.id == one.id, "the first line is the shirt"
    await ctx.type_slowly("1")  # the one shirt found is refused by the customer
    await ctx.until(on_screen(ctx.app, HandoffOrderScreen, says="rejected (1 in all)"))
    await ctx.pilot.press("f2")
    await ctx.pilot.press("f1")
    await ctx.until(on_screen(ctx.app, HandoffOrderScreen, says=", 1 rejected to "))
    await ctx.pilot.press("enter")
    await ctx.until(lambda: ctx.order(order.id).status == "dispensed")
    await deliver(d)
    calls = platform_double.of(order.number)
    assert [p for p, _ in calls] == ["creation-confirmed", "picked", "dispensed"]
    assert calls[1][1] == picked_body(order.number, (1, "picked", 1), (2, "picked", 1))
    assert calls[2][1] == dispensed_body(order.number, (1, "rejected", 0), (2, "dispensed", 1))
    assert platform_double.duplicates == 0 and platform_double.refused == []


async def test_nothing_found_in_the_app_is_an_order_cancel(
        lee: Ctx, platform: Caller, platform_double: PlatformDouble, make_deliverer) -> None:  # type: ignore[no-untyped-def]
    ctx = lee
    order = await sent_by_the_platform(ctx, platform, platform_double)
    await open_module(ctx, "1", PickQueueScreen)
    await ctx.open_order(order.number)
    for ln in sorted(order.lines, key=lambda ln: ln.line_nbr):
        await ctx.go_to_line(order.id, ln.id)
        await ctx.pilot.press("f2", "enter")  # Enter: all that is left
        await ctx.until(lambda ln=ln: next(x for x in ctx.order(order.id).lines if x.id == ln.id).not_found
                        == ln.quantity)
    await ctx.pilot.press("f4")
    await ctx.until(lambda: "F4 again = yes" in said(ctx.app))
    await ctx.pilot.press("f4")
    await ctx.until(lambda: ctx.order(order.id).status == "canceled")
    await deliver(make_deliverer())
    assert platform_double.of(order.number)[1:] == [("cancel", {"increment_id": order.number})]


async def test_a_lead_cancelling_in_the_app_is_an_order_cancel(
        lee: Ctx, platform: Caller, platform_double: PlatformDouble, make_deliverer) -> None:  # type: ignore[no-untyped-def]
    ctx = lee
    order = await sent_by_the_platform(ctx, platform, platform_double)
    await open_module(ctx, "4", OrdersScreen)
    ctx.scan(order.number)
    await ctx.until(lambda: isinstance(ctx.app.screen, OrderDetailScreen))
    await ctx.pilot.press("f4")
    await ctx.until(on_screen(ctx.app, OrderDetailScreen, says=f"Cancel {order.number}: type the reason"))
    await ctx.type_slowly("customer asked")
    await ctx.until(on_screen(ctx.app, OrderDetailScreen, says=f"Cancel {order.number} (customer asked)? "))
    await ctx.pilot.press("enter")
    await ctx.until(lambda: ctx.order(order.id).status == "canceled")
    await deliver(make_deliverer())
    assert paths(platform_double, order.number) == ["creation-confirmed", "cancel"]
