"""The pick queue: open orders by due time (overdue first), the overdue count on top.

Keys: Up/Down/PgUp/PgDn/Home/End move; Enter picks the order under the cursor, or the batch
when orders are marked; Space (or F2) marks / unmarks an order for a batch; F3 starts the batch;
scan or type an order number to open it; Esc back to home. An order another associate is
picking shows who; taking it over asks first (Enter yes, Esc no) and the backend records it.

The list is polled (services/poller.py); the cursor stays on the same order across refreshes.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical

from storeassist_tui.client import (
    MAX_BATCH,
    BackendError,
    BackendUnavailable,
    OrderDetail,
    OrderSummary,
    PickQueue,
    new_request_id,
)
from storeassist_tui.order_status import OrderStatus, word
from storeassist_tui.scanning import Entry
from storeassist_tui.screens import bottom_bars, list_keys, screen_css
from storeassist_tui.screens.pick_text import queue_header, queue_row
from storeassist_tui.screens.pick_walk import PickWalkScreen
from storeassist_tui.screens.polled import PolledScreen
from storeassist_tui.services.messages import QueueChanged
from storeassist_tui.widgets import FitLabel, Hint, KeyBar, ScanField, TitleBar
from storeassist_tui.widgets.rows import RowList

log = logging.getLogger(__name__)

HINTS = [
    Hint("Enter", "Pick", "Ent", "Pick"),
    Hint("Spc/F2", "Mark", "Spc", "Mark"),
    Hint("F3", "Batch", "F3", "Batch", "Bat"),
    Hint("Esc", "Back", "Esc", "Back"),
]
CONFIRM_HINTS = [Hint("Enter", "Yes, take over", "Ent", "Yes"), Hint("Esc", "No", "Esc", "No")]


class OrderList(RowList[OrderSummary]):
    """The queue's rows (widgets/rows.py); marked rows show `*` in the cursor's column."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(self._row, lambda o: o.id, "Nothing to pick.", mark=self._mark, id=id, classes=classes)
        self.marked: list[int] = []
        self.me: int | None = None

    @property
    def orders(self) -> list[OrderSummary]:
        return list(self.items)

    def set_orders(self, orders: list[OrderSummary]) -> None:
        """New rows; the cursor stays on the order it was on (or the row where it was)."""
        ids = {o.id for o in orders}
        self.marked = [i for i in self.marked if i in ids]
        self.set_items(orders)

    def _mark(self, o: OrderSummary) -> str:
        return "*" if o.id in self.marked else " "

    def _row(self, o: OrderSummary, width: int) -> list[tuple[str, bool]]:
        (head, late), *rest = queue_row(o, datetime.now(UTC), self.me, False, width)
        return [(head[1:], late), *rest]  # the first column is the mark / cursor


class PickQueueScreen(PolledScreen):
    """The open orders of the store, to start picking one or a batch (keys: module docstring)."""

    TAKES_SCANS = True

    CSS_PATH = screen_css(__file__)

    BINDINGS: ClassVar[list[BindingType]] = [
        *list_keys(),
        Binding("enter,f1", "pick", show=False),
        Binding("space,f2", "mark", show=False),
        Binding("f3", "batch", show=False),
        Binding("escape", "back", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.poller = self.new_poller("pick-queue", self._fetch)
        self.queue: PickQueue | None = None
        self._confirm: list[int] | None = None  # the orders a take-over is asked for
        self._greeted = False  # the first answer points at a pick left open (dropped session)

    def compose(self) -> ComposeResult:
        app = self.store_app
        name = app.session.user.display_name if app.session else ""
        yield TitleBar(("Pick queue", "Pick"), (name, name.split()[0] if name else "", ""))
        with Vertical(id="body"):
            yield FitLabel("Loading...", id="overdue")
            yield FitLabel("", id="header")
            yield OrderList(id="orders", classes="flex")
        yield bottom_bars(HINTS, ScanField("Scan or type order number:", "Order no.:", "Order:", id="scan"))

    @property
    def order_list(self) -> OrderList:
        return self.query_one(OrderList)

    def on_mount(self) -> None:
        session = self.store_app.session
        self.order_list.me = session.user.id if session else None

    def on_resize(self) -> None:
        super().on_resize()
        self.query_one("#header", FitLabel).set_forms(queue_header(self.size.width))

    async def _fetch(self) -> PickQueue:
        return await self.store_app.client.pick_queue(self.store_app.store_id)

    def on_queue_changed(self, message: QueueChanged) -> None:
        self._show(message.value)

    def _show(self, queue: PickQueue) -> None:
        self.queue = queue
        label = self.query_one("#overdue", FitLabel)
        if queue.overdue:
            label.set_forms(f"{queue.overdue} OVERDUE of {queue.total} to pick", f"{queue.overdue} LATE of {queue.total}",
                            f"{queue.overdue} LATE")
            label.styles.text_style = "bold reverse"
        else:
            label.set_forms(f"{queue.total} to pick, none overdue", f"{queue.total} to pick, 0 late", f"{queue.total} open")
            label.styles.text_style = "bold"
        ol = self.order_list
        ol.set_orders(queue.orders)
        if not self._greeted:
            self._greeted = True
            mine = [o for o in queue.orders if o.claimed_by is not None and o.claimed_by == ol.me]
            if mine:
                ol.go_to(mine[0].id)
                others = f" (and {len(mine) - 1} more)" if len(mine) > 1 else ""
                self.say((f"You were picking {mine[0].number}{others}: Enter resumes it",
                          f"Enter resumes {mine[0].number}{others}", "Enter resumes"))

    async def refresh_now(self) -> None:
        self._show(await self._fetch())

    # Keys
    def action_move(self, delta: int) -> None:
        self._withdraw()
        self.order_list.move(delta)

    def action_page(self, direction: int) -> None:
        self._withdraw()
        self.order_list.move(direction * max(self.order_list.size.height - 1, 1))

    def _withdraw(self) -> None:
        """Any key but Enter / Esc after "take it over?" withdraws the question: it was asked
        for the order under the cursor, and Enter must never answer it for another one."""
        if self._confirm is not None:
            self._confirm = None
            self._set_confirm_hints(False)

    def action_back(self) -> None:
        if self._confirm is not None:
            self._confirm = None
            self._set_confirm_hints(False)
            self.say("Not taken over")
            return
        self.app.pop_screen()

    def action_mark(self) -> None:
        self._withdraw()
        ol = self.order_list
        o = ol.current
        if o is None:
            return
        if o.id in ol.marked:
            ol.marked.remove(o.id)
        elif len(ol.marked) >= MAX_BATCH:
            self.fail(f"A batch holds at most {MAX_BATCH} orders")
            return
        else:
            ol.marked.append(o.id)
        n = len(ol.marked)
        self.say((f"{n} marked for a batch: F3 or Enter starts it", f"{n} marked: F3 starts", f"{n} marked")
                 if n else "No order marked")
        ol.move(1)
        ol.refresh()

    async def action_pick(self) -> None:
        if self._confirm is not None:
            ids = self._confirm
            self._confirm = None
            self._set_confirm_hints(False)
            await self.start(ids, take_over=True)
            return
        ol = self.order_list
        if ol.marked:
            await self.action_batch()
        elif ol.current is not None:
            await self.start(self._with_my_batch(ol.current))
        else:
            self.fail("Nothing to pick")

    def _with_my_batch(self, order: OrderSummary) -> list[int]:
        """An order of a batch this associate left open: the whole batch resumes (the orders of
        it in the queue; the order itself always)."""
        me = self.order_list.me
        ids = [order.id]
        if order.batch_id and order.claimed_by == me:
            ids += [o.id for o in self.order_list.orders if o.batch_id == order.batch_id and o.claimed_by == me]
        return list(dict.fromkeys(ids))

    async def action_batch(self) -> None:
        self._withdraw()
        ids = list(self.order_list.marked)
        if len(ids) < 1:
            self.fail(("Mark orders with Space first, then F3", "Mark with Space first", "Mark first"))
            return
        await self.start(ids)

    # Scans: an order number opens that order.
    async def handle_entry(self, entry: Entry) -> None:
        if entry.too_long:
            self.fail(f"Not an order number ({entry.too_long} characters)")
            return
        if self._confirm is not None:
            self._confirm = None
            self._set_confirm_hints(False)
        self._greeted = True  # a scan's own answer, never the greeting, is what the associate reads
        number = entry.text.strip()
        if not number:
            self.fail("Nothing readable was scanned")
            return
        if (order := await self.find_order(number)) is not None:
            await self.show_order(order)

    async def show_order(self, order: OrderDetail) -> None:
        """Open the order's walk (with the rest of my batch), if it is still to be picked."""
        self._greeted = True
        if order.status not in (OrderStatus.NEW, OrderStatus.PICKING):
            self.fail(f"Order {order.number} is {word(order.status)}: nothing to pick")
            return
        if order.batch_id and order.claimed_by == self.order_list.me:  # the rest of my batch: a fresh list
            try:
                await self.refresh_now()
            except (BackendUnavailable, BackendError) as exc:  # the order itself still opens
                log.info("queue for a batch: %r", exc)
            except Exception:  # a bug: in the log file; the order itself still opens
                log.exception("queue for a batch")
        self.order_list.go_to(order.id)
        await self.start(self._with_my_batch(order))

    async def start(self, order_ids: list[int], *, take_over: bool = False) -> None:
        """Claim the orders (all or none) and open the walk; a take-over asks first."""
        client = self.store_app.client
        try:
            result = await client.claim(order_ids, take_over=take_over, request_id=new_request_id())
        except BackendError as exc:
            if exc.code == "claimed_by_other" and not take_over:
                self._confirm = order_ids
                self._set_confirm_hints(True)
                self.ask(self._take_over_question(order_ids, exc.message), kind="confirm", bell=True)
                return
            self.fail(exc)
            return
        self.order_list.marked = []
        self.order_list.refresh()
        if bar := self.message_bar:
            bar.clear()
        walk = PickWalkScreen(result.orders, taken_over=take_over)
        await walk.load_history()
        await self.app.push_screen(walk)

    def _take_over_question(self, order_ids: list[int], message: str) -> list[str]:
        me = self.order_list.me
        held = [o for o in self.order_list.orders if o.id in order_ids and o.claimed_by not in (None, me)]
        if not held:
            return [f"{message} Enter = yes, Esc = no", message]
        who = held[0].claimed_by_name or "another associate"
        first = who.split()[0]
        what = held[0].number if len(order_ids) == 1 else f"{len(held)} of these orders"
        return [f"{who} is picking {what}: take it over? Enter = yes, Esc = no",
                f"{first} is picking {what}: take it over?", f"Take over from {first}?"]

    def _set_confirm_hints(self, confirming: bool) -> None:
        self.query_one(KeyBar).set_hints(CONFIRM_HINTS if confirming else HINTS)
        if not confirming and (bar := self.message_bar):
            bar.clear("confirm")


