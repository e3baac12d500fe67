"""Orders from the commerce platform in the real app, at 80x24 and 40x16: the customer's note and
substitution wish on the walk and at hand-off, the platform's order ids scanned on the queue, and
a cancel from the platform stopping a terminal on its next step (platform double over ASGI, the
app on the same database)."""

from __future__ import annotations

import pytest
from helpers import pick_all, rid
from platform_double import PlatformDouble, platform_order
from test_app_modules import app_as, open_handoff_order
from test_app_pick import Ctx
from test_store_weighed import PLU, price_label
from ui import STORE, on_screen, said

from storeassist_tui.client import BackendClient
from storeassist_tui.config import Settings
from storeassist_tui.screens.handoff import HandoffScreen
from storeassist_tui.screens.handoff_order import HandoffOrderScreen
from storeassist_tui.screens.home import HomeScreen
from storeassist_tui.screens.pick_queue import PickQueueScreen
from storeassist_tui.screens.pick_walk import PickWalkScreen
from storeassist_tui.store import picking, queries, staging
from storeassist_tui.store.db import Database
from storeassist_tui.store.roles import Actor

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((40, 16), id="40x16")]
CANCELLED = "cancelled by the store system"


async def _to_pick_queue(ctx: Ctx) -> None:
    await ctx.until(lambda: isinstance(ctx.app.screen, HomeScreen))
    await ctx.pilot.press("1")
    await ctx.until(lambda: isinstance(ctx.app.screen, PickQueueScreen) and ctx.app.screen.queue is not None)


@pytest.mark.parametrize("size", SIZES)
async def test_platform_order_scanned_as_hash_number_shows_note_and_substitution_then_cancel_stops_the_walk(
        size: tuple[int, int], backend: BackendClient, demo_db: Database, people: dict[str, Actor],
        platform: PlatformDouble) -> None:
    r = await platform.create_order(platform_order("#100"), STORE)
    assert r.status_code == 201, r.text
    async with app_as(backend, demo_db, people, size, "pat") as ctx:
        await _to_pick_queue(ctx)
        ctx.scan("#100")  # the platform's id, as printed on its pick slip
        await ctx.until(lambda: isinstance(ctx.app.screen, PickWalkScreen) and ctx.app.screen.is_mounted)
        await ctx.until(" units")
        text = ctx.text()
        assert "no subst." in text  # line 1 (first in the walk): the customer wants no substitute
        assert "ote: pick up" in text  # "Customer note: pick up" or, narrower, "Note: pick up"
        walk = ctx.walk
        line2 = next(k for k in walk.keys if walk.line(k).line_nbr == 2)
        while walk.current != line2:
            await ctx.pilot.press("down")
        await ctx.until("subst. OK")
        # The platform cancels while the associate walks: the next scan says so and leaves.
        r = await platform.cancel_order("#100", STORE)
        assert r.status_code == 200, r.text
        ctx.scan("04252614")
        await ctx.until(on_screen(ctx.app, PickQueueScreen, says=CANCELLED))
        assert "Order #100 was cancelled by the store system" in said(ctx.app)
        assert ctx.bells
        order = queries.find_order(demo_db, people["lee"], "#100", STORE)
        assert order.status == "canceled" and sum(ln.picked for ln in order.lines) == 0


@pytest.mark.parametrize("size", SIZES)
async def test_platform_cancel_stops_the_handoff_on_its_next_step(
        size: tuple[int, int], backend: BackendClient, demo_db: Database, people: dict[str, Actor],
        platform: PlatformDouble, settings: Settings) -> None:
    pat = people["pat"]
    await platform.create_order(platform_order("WEB-000123"), STORE)
    o = queries.find_order(demo_db, pat, "WEB-000123", STORE)
    picking.claim(demo_db, pat, [o.id], rid())
    pick_all(demo_db, pat, o.id)
    picking.finish_pick(demo_db, pat, o.id, rid())
    staging.stage(demo_db, pat, o.id, "B9", rid(), secret_key=settings.secret_key)
    async with app_as(backend, demo_db, people, size, "lee") as ctx:
        await open_handoff_order(ctx, "WEB-000123")
        await ctx.until("ote: pick up")
        r = await platform.cancel_order("WEB-000123", STORE)
        assert r.status_code == 200, r.text
        await ctx.pilot.press("f1")
        await ctx.until(on_screen(ctx.app, HandoffOrderScreen, says="types their name, then Enter"))
        await ctx.type_slowly("Ana Lee")
        await ctx.until(on_screen(ctx.app, HandoffScreen, says=CANCELLED))
        assert "Order WEB-000123 was cancelled by the store system" in said(ctx.app)
        assert queries.get_order(demo_db, people["lee"], o.id).status == "canceled"


@pytest.mark.parametrize("size", SIZES)
async def test_a_weighed_line_is_picked_by_its_scale_labels_in_one_burst(
        size: tuple[int, int], backend: BackendClient, demo_db: Database, people: dict[str, Actor],
        platform: PlatformDouble) -> None:
    body = platform_order("#200")
    body["order"]["orderLines"][0].update(quantity={"value": "2.5", "uom": "LB"}, storeUnitPrice="3.99",
                                          itemDesc="Cheddar by weight",
                                          products=[{"barcode": PLU, "barcodeType": "PRICE_EMBEDDED_UPC"}])
    assert (await platform.create_order(body, STORE)).status_code == 201
    async with app_as(backend, demo_db, people, size, "pat") as ctx:
        await _to_pick_queue(ctx)
        await ctx.open_order("#200")
        await ctx.until("0.00/2.50 lb")  # what the line asks for, by weight
        ctx.scan(price_label(499), price_label(449), price_label(100))  # 1.251 + 1.125 lb, then one too many
        await ctx.until(lambda: "Over weight" in said(ctx.app))
        assert "2.38/2.50 lb" in ctx.text()
        order = queries.find_order(demo_db, people["pat"], "#200", STORE)
        line = next(ln for ln in order.lines if ln.line_nbr == 1)
        assert (line.picked, line.pending, line.weight_picked_milli) == (1, 0, 2376)
        assert "Cheddar by weight is done (2.38 lb of 2.50 lb)" in said(ctx.app)  # the third label: nothing
