"""Hand-off: the live queue. Customers who checked in first, longest wait first (in store or
curbside: spot, car, note; the wait ticks), then the staged orders nobody has come for yet.

Keys: Up/Down move; Enter opens the order under the cursor; scan or type an order number to open
it (a customer at the counter who did not check in: F3 there checks them in). Esc back.

The list is the app's arrival watch (services/arrivals.py): one poll serves the banner on every
screen and this list (its ArrivalsChanged messages), so opening this screen costs the backend nothing more.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical

from storeassist_tui.client import BackendUnavailable, HandoffEntry, HandoffQueue, OrderDetail
from storeassist_tui.order_status import OrderStatus, word
from storeassist_tui.scanning import Entry
from storeassist_tui.screens import StoreScreen, bottom_bars, list_keys, screen_css
from storeassist_tui.screens.handoff_order import HandoffOrderScreen
from storeassist_tui.screens.order_text import handoff_row, now_utc, plural
from storeassist_tui.services.messages import ARRIVALS, ArrivalsChanged, PollFailed
from storeassist_tui.widgets import FitLabel, Hint, ScanField, TitleBar
from storeassist_tui.widgets.rows import RowList

HINTS = [Hint("Enter", "Open", "Ent", "Open"), Hint("Esc", "Back", "Esc", "Back")]
TICK_S = 15.0  # the wait times are minutes: redraw often enough that they never look stale


class HandoffScreen(StoreScreen):
    TAKES_SCANS = True

    CSS_PATH = screen_css(__file__)

    BINDINGS: ClassVar[list[BindingType]] = [
        *list_keys(),
        Binding("enter,f1", "open", show=False),
        Binding("escape", "back", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield TitleBar(("Hand-off", "Hand-off"), ("",))
        with Vertical(id="body"):
            yield FitLabel("Loading...", id="what")
            yield RowList[HandoffEntry](lambda e, w: handoff_row(e, now_utc(), w), lambda e: e.order.id,
                                        "Nobody waiting, nothing ready.", id="orders", classes="flex")
        yield bottom_bars(HINTS, ScanField("Scan or type order number:", "Order no.:", "Order:", id="scan"))

    @property
    def rows(self) -> RowList[HandoffEntry]:
        return self.query_one("#orders", RowList)

    def on_mount(self) -> None:
        self.set_interval(TICK_S, self.rows.refresh, name="wait-tick")

    def on_screen_resume(self) -> None:
        self.store_app.arrival_banner.dismiss()  # the associate is looking at the queue now
        watch = self.store_app.arrivals
        if watch.queue is not None:
            self._show(watch.queue)
        watch.poll_now()
        self.store_app.show_scan_buffer()

    # The arrival watch posts to the screen shown: while this one is covered, it hears nothing.
    def on_arrivals_changed(self, message: ArrivalsChanged) -> None:
        self._show(message.queue)
        if bar := self.message_bar:
            bar.clear("offline")

    def on_poll_failed(self, message: PollFailed) -> None:
        """The watch's poll is this screen's: it says "offline" here (other screens have their own)."""
        if message.poll == ARRIVALS and isinstance(message.error, BackendUnavailable):
            self.fail(message.error, kind="offline", bell=self.store_app.offline_since is None)

    def _show(self, queue: HandoffQueue) -> None:
        if not self.is_attached:
            return
        waiting, ready = len(queue.checked_in), len(queue.ready)
        self.query_one("#what", FitLabel).set_forms(
            f"{plural(waiting, 'customer')} waiting, {ready} ready not arrived", f"{waiting} waiting, {ready} ready",
            f"{waiting} wait {ready} rdy")
        self.rows.set_items(queue.checked_in + queue.ready)

    # Keys
    def action_move(self, delta: int) -> None:
        self.rows.move(delta)

    def action_page(self, direction: int) -> None:
        self.rows.page(direction)

    def action_back(self) -> None:
        self.app.pop_screen()

    async def action_open(self) -> None:
        e = self.rows.current
        if e is None:
            self.fail(("Nobody to hand off to: scan the customer's order number", "Nothing here", "Nothing"))
            return
        await self.open(e.order.number)

    async def handle_entry(self, entry: Entry) -> None:
        text = entry.text.strip()
        if entry.too_long or not text:
            self.fail(f"Not an order number ({entry.too_long} characters)" if entry.too_long
                      else "Nothing readable was scanned")
            return
        await self.open(text)

    async def open(self, number: str) -> None:
        if (order := await self.find_order(number)) is not None:
            await self.show_order(order)

    async def show_order(self, order: OrderDetail) -> None:
        if order.status in (OrderStatus.NEW, OrderStatus.PICKING, OrderStatus.PICKED):
            self.fail((f"Order {order.number} is {word(order.status)}: pick and stage it first",
                       f"{order.number} not staged yet", "Not staged"))
            return
        if order.status != OrderStatus.STAGED:
            self.fail((f"Order {order.number} is {word(order.status)}: nothing to hand off",
                       f"{order.number} is {word(order.status)}", word(order.status)))
            return
        store = await self.store_app.store_info()
        self.rows.go_to(order.id)
        if bar := self.message_bar:
            bar.clear()
        await self.app.push_screen(HandoffOrderScreen(order, store))
