"""Stage: where a packed order is put. Picked orders waiting for a location (oldest first), and the
staged ones (F2 switches), to move them.

Enter on a row (or scan its order number) chooses the order; then scan the location label or type
it ("under the counter", "back room", "B3"), then Enter stages it (type the number of bags first
to record them). Staging issues the not-found refunds and makes the order ready for pickup (the
backend tells the customer). A staged order chosen the same way is moved: the old and the new
location go into its timeline. Finishing a pick walk lands here with its orders, one after the
other. Esc steps back: the location, then the order, then the screen.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical

from storeassist_tui.client import (
    PICK,
    BackendError,
    BackendUnavailable,
    OrderDetail,
    OrderSummary,
    StageQueue,
    new_request_id,
)
from storeassist_tui.order_status import OrderStatus, word
from storeassist_tui.scanning import Entry
from storeassist_tui.screens import bottom_bars, list_keys, screen_css
from storeassist_tui.screens.order_text import now_utc, plural, stage_row
from storeassist_tui.screens.pick_text import money
from storeassist_tui.screens.polled import PolledScreen
from storeassist_tui.screens.stage_modes import WITH_ORDER, Event, Mode, handles, is_bags, next_mode
from storeassist_tui.services.messages import QueueChanged
from storeassist_tui.widgets import FitLabel, Hint, KeyBar, ScanField, TitleBar
from storeassist_tui.widgets.rows import RowList

log = logging.getLogger(__name__)

HINTS = [
    Hint("Enter", "Choose", "Ent", "Pick"),
    Hint("F2", "Staged/To stage", "F2", "List"),
    Hint("Esc", "Back", "Esc", "Back"),
]
LOCATION_HINTS = [Hint("Scan/type", "Location", "Scan", "Loc"), Hint("Esc", "Other order", "Esc", "Back")]
CONFIRM_HINTS = [Hint("Enter", "Stage", "Ent", "OK"), Hint("0-99", "Bags", "0-99", "Bags"),
                 Hint("Esc", "Other location", "Esc", "Back")]
MOVE_HINTS = [Hint("Enter", "Move", "Ent", "OK"), Hint("Esc", "Other location", "Esc", "Back")]


class StageScreen(PolledScreen):
    TAKES_SCANS = True

    CSS_PATH = screen_css(__file__)

    BINDINGS: ClassVar[list[BindingType]] = [
        *list_keys(),
        Binding("enter,f1", "choose", show=False),
        Binding("f2", "switch", show=False),
        Binding("escape", "back", show=False),
    ]

    def __init__(self, focus: list[int] | None = None) -> None:
        super().__init__()
        self.poller = self.new_poller("stage-queue", self._fetch)
        self.queue: StageQueue | None = None
        self.showing_staged = False
        self.focus_ids = list(focus or [])  # just picked: staged one after the other
        self.mode = Mode.BROWSE  # what keys and scans mean now (stage_modes)
        # The mode's data, set and cleared only by `_go`: the order (LOCATION, CONFIRM, SAVING)
        # and where it goes (CONFIRM, SAVING).
        self.target: OrderSummary | None = None
        self.location: Entry | None = None

    def compose(self) -> ComposeResult:
        yield TitleBar(("Stage", "Stage"), ("",))
        with Vertical(id="body"):
            yield FitLabel("Loading...", id="what")
            yield RowList[OrderSummary](lambda o, w: stage_row(o, now_utc(), w), lambda o: o.id,
                                        "Nothing to stage.", id="orders", classes="flex")
        yield bottom_bars(HINTS, ScanField("Scan order or location:", "Scan:", "Scan:", id="scan"))

    @property
    def rows(self) -> RowList[OrderSummary]:
        return self.query_one("#orders", RowList)

    async def _fetch(self) -> StageQueue:
        return await self.store_app.client.stage_queue(self.store_app.store_id)

    def on_queue_changed(self, message: QueueChanged) -> None:
        self._show(message.value)

    def _show(self, queue: StageQueue) -> None:
        first = self.queue is None
        self.queue = queue
        self._show_list()
        if first and self.focus_ids and self.mode is Mode.BROWSE:
            self._next_focus()

    def _show_list(self) -> None:
        q = self.queue
        if q is None:
            return
        label = self.query_one("#what", FitLabel)
        if self.showing_staged:
            label.set_forms(f"{q.staged_total} staged, ready for pickup (F2: {q.total} to stage)",
                            f"{q.staged_total} staged (F2: {q.total} to stage)", f"{q.staged_total} staged")
            self.rows.set_items(q.staged, "Nothing staged.")
        else:
            label.set_forms(f"{q.total} to stage, oldest first (F2: {q.staged_total} staged)",
                            f"{q.total} to stage (F2: {q.staged_total} staged)", f"{q.total} to stage")
            self.rows.set_items(q.orders, "Nothing to stage.")
        if self.target is not None:
            self.rows.go_to(self.target.id)  # chosen before the list came (a scan on home)

    def _find(self, order_id: int) -> OrderSummary | None:
        q = self.queue
        return next((o for o in (q.orders + q.staged if q else []) if o.id == order_id), None)

    def _next_focus(self) -> None:
        """The next just-picked order still waiting for a location becomes the one to stage."""
        while self.focus_ids:
            o = self._find(self.focus_ids[0])
            if o is not None and o.status == OrderStatus.PICKED:
                self._choose(o)
                return
            self.focus_ids.pop(0)
        self._go(Event.DROP)

    # Modes
    def _go(self, event: Event, *, order: OrderSummary | None = None, location: Entry | None = None) -> Mode:
        """Move to the mode `event` leads to, with its data; the key bar follows."""
        self.mode = mode = next_mode(self.mode, event)
        if mode in WITH_ORDER:
            self.target = order if order is not None else self.target
        else:
            self.target = None
        if mode in (Mode.CONFIRM, Mode.SAVING):
            self.location = location if location is not None else self.location
        else:
            self.location = None
        o = self.target
        if mode is Mode.BROWSE:
            self.query_one(KeyBar).set_hints(HINTS)
            if bar := self.message_bar:
                bar.clear("prompt")
        elif mode is Mode.LOCATION:
            self.query_one(KeyBar).set_hints(LOCATION_HINTS)
        elif mode is Mode.CONFIRM and o is not None:
            self.query_one(KeyBar).set_hints(MOVE_HINTS if o.status == OrderStatus.STAGED else CONFIRM_HINTS)
        return mode

    # Keys
    def action_move(self, delta: int) -> None:
        if handles(self.mode, Event.MOVE):
            self.rows.move(delta)

    def action_page(self, direction: int) -> None:
        if handles(self.mode, Event.MOVE):
            self.rows.page(direction)

    def action_switch(self) -> None:
        if not handles(self.mode, Event.SWITCH):
            return
        if self.mode is not Mode.BROWSE:
            self.focus_ids = []
            self._go(Event.SWITCH)
            self.say("Not staged")
        self.showing_staged = not self.showing_staged
        self._show_list()

    async def action_choose(self) -> None:
        if self.mode is Mode.CONFIRM:
            await self._commit(None)
        elif self.mode is Mode.LOCATION:
            self._go(Event.ENTER)
            self._ask_location()  # Enter with nothing scanned: the question again
        elif self.mode is not Mode.BROWSE:
            return
        elif (o := self.rows.current) is not None:
            self._choose(o)
        else:
            self.fail("Nothing to stage")

    def action_back(self) -> None:
        before = self.mode
        after = self._go(Event.BACK)
        if after is Mode.LEFT:
            self.app.pop_screen()
        elif before is Mode.CONFIRM:
            self._ask_location()
        elif before is Mode.LOCATION:
            self.focus_ids = []
            self.say("Not staged")

    def _choose(self, o: OrderSummary) -> None:
        if not handles(self.mode, Event.CHOOSE):
            return
        if not self.store_app.may(PICK):
            self.fail(self.store_app.role_refusal("stage orders"))  # staging is part of picking
            return
        if o.status == OrderStatus.STAGED and not self.showing_staged:
            self.showing_staged = True
            self._show_list()
        elif o.status == OrderStatus.PICKED and self.showing_staged:
            self.showing_staged = False
            self._show_list()
        self.rows.go_to(o.id)
        self._go(Event.CHOOSE, order=o)
        self._ask_location()

    def _ask_location(self, done: str = "") -> None:
        """Ask where the chosen order goes; `done` says what the last one became, first."""
        o = self.target
        assert o is not None
        if o.status == OrderStatus.STAGED:
            self.ask((f"{done}Move {o.number} (now at {o.staging_location}): scan or type the new location",
                      f"{done}Move {o.number}: new location?", "New location?"))
        else:
            self.ask((f"{done}Stage {o.number}: scan the location label or type it (e.g. B3)",
                      f"{done}Stage {o.number}: scan location", "Location?"))

    def _ask_confirm(self) -> None:
        o, loc = self.target, self.location
        assert o is not None and loc is not None
        verb = f"Move {o.number} to" if o.status == OrderStatus.STAGED else f"Stage {o.number} at"
        bags = "" if o.status == OrderStatus.STAGED else "; type bags first (e.g. 2 Enter)"
        self.ask((f"{verb} {loc.text}? Enter = yes{bags}; Esc = no", f"{verb} {loc.text}? Enter", "Enter = yes"),
                 kind="confirm")

    # Scans: an order number chooses the order; anything else is the location for it.
    async def handle_entry(self, entry: Entry) -> None:
        text = entry.text.strip()
        if entry.too_long:
            self.fail(f"Too long for a location or an order ({entry.too_long} characters)")
            return
        if not text:
            self.fail("Nothing readable was scanned")
            return
        q = self.queue
        known = next((o for o in (q.orders + q.staged if q else []) if o.number.upper() == text.upper()), None)
        if known is not None:
            self._choose(known)
            return
        staging = self.target is not None and self.target.status == OrderStatus.PICKED
        if is_bags(self.mode, text, manual=entry.manual, staging=staging):
            if int(text) > 99:
                self.fail(("Bags: 0 to 99 (or Esc and scan another location)", "Bags: 0 to 99", "0-99"))
                return
            await self._commit(int(text))
        elif self.mode is Mode.BROWSE:
            await self._look_up(text)
        elif handles(self.mode, Event.LOCATION):
            self._go(Event.LOCATION, location=entry)
            self._ask_confirm()

    async def _look_up(self, number: str) -> None:
        """An order not in the lists shown (another page, or just picked elsewhere)."""
        if (order := await self.find_order(number)) is not None:
            await self.show_order(order)

    async def show_order(self, order: OrderDetail) -> None:
        if order.status not in (OrderStatus.PICKED, OrderStatus.STAGED):
            self.fail(f"Order {order.number} is {word(order.status)}: only picked or staged orders are placed here")
            return
        self._choose(order)

    async def _commit(self, bags: int | None) -> None:
        o, loc = self.target, self.location
        assert o is not None and loc is not None
        client, rid, how = self.store_app.client, new_request_id(), "manual" if loc.manual else "scan"
        restage = o.status == OrderStatus.STAGED
        self._go(Event.ENTER if bags is None else Event.BAGS)
        try:
            if restage:
                done: OrderDetail = await self.until_committed(
                    lambda: client.restage(o.id, loc.text, entry=how, request_id=rid), f"move of {o.number}")
            else:
                done = await self.until_committed(
                    lambda: client.stage(o.id, loc.text, bags=bags, entry=how, request_id=rid), f"staging {o.number}")
        except BackendError as exc:
            self._go(Event.REFUSED)
            self._ask_location()
            self.fail(exc)
            return
        except BaseException:
            self._go(Event.NOT_SAVED)  # stopped waiting (or a bug): Enter asks the backend again
            raise
        self._go(Event.SAVED)
        if self.focus_ids and self.focus_ids[0] == o.id:
            self.focus_ids.pop(0)
        refund = sum(r.amount_cents for r in done.refunds if r.reason == "not_found" and r.state == "issued")
        if restage:
            self.say((f"{done.number} moved to {done.staging_location}", f"{done.number} at {done.staging_location}",
                      "Moved"))
        else:
            paid = f"; {money(refund)} refunded" if refund else ""
            bag_text = f" ({plural(bags, 'bag')})" if bags else ""
            self.say((f"{done.number} staged at {done.staging_location}{bag_text}: ready for pickup{paid}",
                      f"{done.number} at {done.staging_location}: ready{paid}", "Staged: ready"))
        await self.refresh_now()
        if not restage and self.focus_ids:
            self._next_focus()
            if self.target is not None:
                self._ask_location(f"{done.number} staged at {done.staging_location}. ")

    async def refresh_now(self) -> None:
        try:
            self._show(await self._fetch())
        except (BackendUnavailable, BackendError) as exc:  # the poll shows the list again soon
            log.warning("stage list: %r", exc)
        except Exception:  # what was saved is said already: a bug here is logged, not shown over it
            log.exception("stage list")
