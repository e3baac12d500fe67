"""One order in full: customer, state, lines, refunds, check-in, and the timeline (who did what,
when, scanned or typed). Up/Down/PgUp/PgDn scroll.

F4 cancels it, for associates whose role may cancel: type the reason, Enter, then Enter again to
confirm; the backend refunds what was paid. Esc steps back.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical

from storeassist_tui import order_status
from storeassist_tui.client import (
    CANCEL,
    BackendError,
    BackendUnavailable,
    OrderDetail,
    StoreInfo,
    TimelineEntry,
    new_request_id,
)
from storeassist_tui.order_status import OPEN, word
from storeassist_tui.scanning import Entry
from storeassist_tui.screens import Abandoned, StoreScreen, bottom_bars, list_keys
from storeassist_tui.screens.cancel_modes import Event, Mode, next_mode
from storeassist_tui.screens.order_text import detail_rows, now_utc, zone
from storeassist_tui.screens.pick_text import money
from storeassist_tui.widgets import Hint, KeyBar, Quote, ScanField, TitleBar, clip
from storeassist_tui.widgets.rows import RowList
from storeassist_tui.widgets.text import first_fit

log = logging.getLogger(__name__)

HINTS = [Hint("Up/Dn", "Scroll", "Up/Dn", "Move"), Hint("F4", "Cancel order", "F4", "Cncl"),
         Hint("Esc", "Back", "Esc", "Back")]
STEP_HINTS = [Hint("Enter", "Yes", "Ent", "Yes"), Hint("Esc", "No", "Esc", "No")]
REASON_HINTS = [Hint("Reason+Ent", "Next", "Why", "Why"), Hint("Esc", "Keep the order", "Esc", "Keep")]


class OrderDetailScreen(StoreScreen):
    TAKES_SCANS = True

    BINDINGS: ClassVar[list[BindingType]] = [
        *list_keys(),
        Binding("f4", "cancel_order", show=False),
        Binding("enter", "enter", show=False),
        Binding("escape", "back", show=False),
    ]

    def __init__(self, order: OrderDetail, events: list[TimelineEntry], store: StoreInfo) -> None:
        super().__init__()
        self.order, self.events, self.store = order, events, store
        self.mode = Mode.VIEW
        self.reason = ""  # why it is being canceled (CONFIRM, CANCELLING)

    def compose(self) -> ComposeResult:
        o = self.order
        yield TitleBar((f"Order {o.number}", o.number), ("",))
        with Vertical(id="body"):
            yield RowList[list[str]](lambda forms, w: [(first_fit(forms, w - 1), False)], lambda forms: forms[0],
                                     "", id="detail", classes="flex")
        yield bottom_bars(HINTS, ScanField("Type:", "Type:", "Type:", id="scan"))

    @property
    def rows(self) -> RowList[list[str]]:
        return self.query_one("#detail", RowList)

    def on_mount(self) -> None:
        self._show()
        self.query_one(KeyBar).set_hints(self._hints())

    def _show(self) -> None:
        self.rows.set_items(detail_rows(self.order, self.events, now_utc(), zone(self.store.timezone)))

    def action_move(self, delta: int) -> None:
        self.rows.move(delta)

    def action_page(self, direction: int) -> None:
        self.rows.page(direction)

    def _to(self, event: Event) -> Mode:
        self.mode = next_mode(self.mode, event)
        if self.mode in (Mode.VIEW, Mode.REASON):
            self.reason = ""
        self.query_one(KeyBar).set_hints({Mode.REASON: REASON_HINTS, Mode.CONFIRM: STEP_HINTS}.get(self.mode)
                                         or self._hints())
        return self.mode

    def action_back(self) -> None:
        if self.mode is Mode.CANCELLING:  # Esc there stops the wait (see until_committed)
            return
        if self._to(Event.BACK) is Mode.LEFT:
            self.app.pop_screen()
        else:
            self.say("Not canceled")

    def _hints(self) -> list[Hint]:
        """F4 only where it can work: a lead, an open order."""
        if self.store_app.may(CANCEL) and self.order.status in OPEN:
            return HINTS
        return [h for h in HINTS if h.key != "F4"]

    async def _reload(self) -> None:
        client = self.store_app.client
        try:
            self.order = await client.order(self.order.id)
            self.events = await client.timeline(self.order.id)
        except (BackendUnavailable, BackendError) as exc:  # what was done is said already; this only refreshes
            log.info("reload: %r", exc)
        except Exception:  # a bug: in the log file; the order shows as it was
            log.exception("reload order %s", self.order.id)
        self._show()
        self.query_one(KeyBar).set_hints(self._hints())

    def action_cancel_order(self) -> None:
        o, session = self.order, self.store_app.session
        if self.mode is not Mode.VIEW:
            return
        if session is None or not self.store_app.may(CANCEL):
            self.fail(self.store_app.role_refusal("cancel orders"))
            return
        if o.status not in OPEN:
            self.fail(f"Order {o.number} is {word(o.status)}: {order_status.CANCEL_ORDER.refusal}")
            return
        self._to(Event.START)
        self.ask((f"Cancel {o.number}: type the reason, then Enter (Esc = keep the order)",
                  "Cancel: type the reason, Enter", "Reason?"))

    async def handle_entry(self, entry: Entry) -> None:
        if self.mode is not Mode.REASON:
            self.fail(("F4 cancels the order; Esc goes back", "F4 cancel, Esc back", "F4/Esc"))
            return
        text = entry.text.strip()
        if entry.too_long or len(text) > 200:
            self.fail("Reason: at most 200 characters")
            return
        if not any(c.isalpha() for c in text):
            self.fail(("Type the reason in words", "Reason in words", "Reason?"))
            return
        self._to(Event.REASON)
        self.reason = text
        paid = self.order.total_cents - sum(r.amount_cents for r in self.order.refunds if r.state == "issued")
        self.ask((f"Cancel {self.order.number} ({clip(text, Quote.REASON)})? {money(max(paid, 0))} is refunded. Enter = yes, Esc = no",
                  f"Cancel {self.order.number}? Enter = yes", "Enter = yes"), kind="confirm", bell=True)

    async def action_enter(self) -> None:
        if self.mode is Mode.REASON:
            self.fail(("Type the reason first, then Enter", "Reason first", "Reason?"))
        if self.mode is not Mode.CONFIRM:
            return
        self._to(Event.ENTER)
        o, client, rid, reason = self.order, self.store_app.client, new_request_id(), self.reason
        before = sum(r.amount_cents for r in o.refunds if r.state == "issued")
        try:
            done = await self.until_committed(lambda: client.cancel(o.id, reason, request_id=rid),
                                              f"cancelling {o.number}")
        except BackendError as exc:
            self._to(Event.REFUSED)
            self.fail(exc)
            await self._reload()  # refused: it may have changed on another terminal
            return
        except Abandoned:  # stopped waiting: the question stands, Enter asks again (a new request)
            self._to(Event.NOT_SAVED)
            self.reason = reason
            raise
        self.order = done
        self._to(Event.DONE)
        refunded = sum(r.amount_cents for r in done.refunds if r.state == "issued") - before
        self.say(f"{done.number} canceled; {money(refunded)} refunded")
        await self._reload()  # the timeline with the cancel; the order as saved if that fails
