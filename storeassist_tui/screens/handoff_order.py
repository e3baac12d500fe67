"""One order at the counter or the car: what to bring and who gets it, then the hand-off.

Shows the customer and phone, the alternate pickup person, the staging location and since when it
is ready, since when the customer waits and where (spot, car, note), the items and those not found.

Keys: F1 hands off (every item, less the rejected ones); F2 rejects items (Up/Down to the line,
type how many, Enter; F2 again ends), when the store allows it; F3 checks in a customer who did not
(Enter = in store, or scan / type the parking spot). Then, as the store requires: the ID check
(Enter once checked) and the customer's signature (they type their name, Enter); else one Enter
confirms. Everything rejected: the backend closes the order and refunds it. Esc steps back.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical

from storeassist_tui.client import (
    CHECKIN_NOTE_MAX,
    DISPENSE,
    SIGNATURE_MAX,
    BackendError,
    BackendUnavailable,
    Line,
    OrderDetail,
    StoreInfo,
    new_request_id,
)
from storeassist_tui.order_status import OrderStatus
from storeassist_tui.scanning import Entry
from storeassist_tui.screens import StoreScreen, bottom_bars, screen_css
from storeassist_tui.screens.handoff_modes import STEPS, Event, Mode, Rules, handles, next_mode
from storeassist_tui.screens.order_text import handoff_info, handoff_line, now_utc, plural, zone
from storeassist_tui.screens.pick_text import first_name, money
from storeassist_tui.widgets import FormLines, Hint, KeyBar, Quote, ScanField, TitleBar, clip
from storeassist_tui.widgets.rows import RowList

log = logging.getLogger(__name__)

HINTS = [Hint("F1", "Hand off", "F1", "Give"), Hint("F2", "Reject", "F2", "Rej"),
         Hint("F3", "Check in", "F3", "In"), Hint("Esc", "Back", "Esc", "Back")]
REJECT_HINTS = [Hint("0-9 Ent", "Reject qty", "0-9", "Qty"), Hint("F2", "Done", "F2", "Done"),
                Hint("F1", "Hand off", "F1", "Give")]
STEP_HINTS = [Hint("Enter", "Yes", "Ent", "Yes"), Hint("Esc", "No", "Esc", "No")]
SIGN_HINTS = [Hint("Name+Ent", "Sign", "Name", "Sign"), Hint("Esc", "Stop", "Esc", "Stop")]
CHECKIN_HINTS = [Hint("Enter", "In store", "Ent", "Store"), Hint("Spot+Ent", "Curbside", "Spot", "Curb"),
                 Hint("Esc", "Stop", "Esc", "Stop")]


class HandoffOrderScreen(StoreScreen):
    TAKES_SCANS = True

    CSS_PATH = screen_css(__file__)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
        Binding("f1", "hand_off", show=False),
        Binding("f2", "reject", show=False),
        Binding("f3", "check_in", show=False),
        Binding("enter", "enter", show=False),
        Binding("escape", "back", show=False),
    ]

    def __init__(self, order: OrderDetail, store: StoreInfo) -> None:
        super().__init__()
        self.order, self.store = order, store
        self.rejected: dict[int, int] = {}
        self.mode = Mode.BROWSE  # what keys and typed text mean now (handoff_modes)
        self.signature = ""

    def compose(self) -> ComposeResult:
        o = self.order
        yield TitleBar((f"Hand off {o.number}", o.number), (first_name(o.customer_name),))
        with Vertical(id="body"):
            yield FormLines(bold_first=True, id="info")
            yield RowList[Line](lambda ln, w: handoff_line(ln, self.rejected.get(ln.id, 0), w), lambda ln: ln.id,
                                "No items.", id="lines", classes="flex")
        yield bottom_bars(HINTS, ScanField("Type:", "Type:", "Type:", id="scan"))

    @property
    def lines(self) -> RowList[Line]:
        return self.query_one("#lines", RowList)

    def on_mount(self) -> None:
        self._show()
        self.set_interval(15.0, self._show, name="wait-tick")

    def on_screen_resume(self) -> None:
        self.store_app.show_scan_buffer()

    def _show(self) -> None:
        self.query_one("#info", FormLines).set_rows(handoff_info(self.order, now_utc(), zone(self.store.timezone)))
        self.lines.set_items(self.order.lines)  # a line not found at all shows too: the customer asks

    # Modes
    @property
    def rules(self) -> Rules:
        picked = sum(ln.picked for ln in self.order.lines)
        return Rules(id_check=self.store.id_check_required, signature=self.store.signature_required,
                     all_rejected=bool(picked) and sum(self.rejected.values()) >= picked)

    def _go(self, event: Event) -> Mode:
        """Move to the mode `event` leads to; the key bar follows."""
        self.mode = next_mode(self.mode, event, self.rules)
        if (hints := self._mode_hints(self.mode)) is not None:
            self.query_one(KeyBar).set_hints(hints)
        return self.mode

    def _mode_hints(self, mode: Mode) -> list[Hint] | None:
        if mode is Mode.BROWSE:
            return HINTS
        if mode is Mode.REJECTING:
            return REJECT_HINTS
        if mode is Mode.CHECKING_IN:
            return CHECKIN_HINTS if self.store.curbside_enabled else STEP_HINTS
        if mode is Mode.SIGNATURE:
            return SIGN_HINTS
        if mode in STEPS:
            return STEP_HINTS
        return None  # handing off, or gone: the keys stay as they were

    # Keys
    def action_move(self, delta: int) -> None:
        self.lines.move(delta)

    def action_back(self) -> None:
        before = self.mode
        if self._go(Event.BACK) is Mode.LEFT:
            self.app.pop_screen()
        elif before in STEPS:
            self.say("Not handed off")
        elif before is Mode.CHECKING_IN:
            self.say("Not checked in")
        elif before is Mode.REJECTING:
            self._say_rejected()  # what was rejected stays: it says so

    def action_reject(self) -> None:
        if not handles(self.mode, Event.REJECT):
            return
        if not self.store.rejection_allowed:
            self.fail(("This store does not allow rejecting items at pickup", "No rejecting here", "Not allowed"))
            return
        if self._go(Event.REJECT) is Mode.REJECTING:
            self.ask(("Reject: Up/Down to the item, type how many, Enter. F2 when done",
                      "Reject: type qty, Enter; F2 done", "Qty, Enter"))
        else:
            self._say_rejected()

    def _say_rejected(self) -> None:
        units = sum(self.rejected.values())
        self.say((f"{plural(units, 'unit')} rejected: F1 hands off the rest", f"{units} rejected: F1 hands off",
                  f"{units} rejected") if units else "Nothing rejected")

    def action_check_in(self) -> None:
        if not handles(self.mode, Event.CHECK_IN):
            return
        if not self.store_app.may(DISPENSE):
            self.fail(self.store_app.role_refusal("hand off orders"))
            return
        self._go(Event.CHECK_IN)
        name = first_name(self.order.customer_name)
        spots = f" ({', '.join(self.store.parking_spots[:6])})" if self.store.parking_spots else ""
        if self.store.curbside_enabled:
            self.ask((f"Check in {name}: Enter = in store, or scan / type the parking spot{spots}",
                      f"Check in: Enter = in store, or spot{spots}", "Enter or spot"))
        else:
            self.ask((f"Check in {name} in store: Enter = yes", "Check in: Enter = yes", "Enter"))

    async def action_hand_off(self) -> None:
        if not handles(self.mode, Event.HAND_OFF):
            return
        if not self.store_app.may(DISPENSE):
            self.fail(self.store_app.role_refusal("hand off orders"))  # before the customer signs
            return
        await self._step_done(Event.HAND_OFF)

    async def action_enter(self) -> None:
        mode = self.mode
        if mode is Mode.CHECKING_IN:
            await self._check_in("")
        elif mode is Mode.SIGNATURE:
            self.fail(("The customer types their name first, then Enter", "Type the name first", "Name?"))
        elif mode in STEPS:
            await self._step_done(Event.ENTER)
        elif mode is Mode.REJECTING:
            self.fail(("Type how many to reject, then Enter", "Type a quantity", "Qty?"))
        else:
            self.say(("F1 hands off, F2 rejects items, Esc goes back", "F1 hand off, F2 reject", "F1 or F2"))

    # Typed or scanned text: a quantity to reject, a parking spot, the customer's name.
    async def handle_entry(self, entry: Entry) -> None:
        text = entry.text.strip()
        if entry.too_long:
            self.fail(f"Too long ({entry.too_long} characters)")
            return
        mode = self.mode
        if mode is Mode.CHECKING_IN:
            await self._check_in(text)
        elif mode is Mode.SIGNATURE:
            if not entry.manual:  # a scanner burst is never the customer typing their name
                self.fail(("A scan is not a signature: the customer types their name", "Type the name, not a scan",
                           "Type name"))
                return
            if not any(c.isalpha() for c in text):
                self.fail(("A signature is the customer's name in letters", "Type the name", "Name?"))
                return
            self.signature = text[:SIGNATURE_MAX]
            await self._step_done(Event.SIGNED)
        elif mode in STEPS:
            self.fail(("Enter = yes, Esc = no", "Enter or Esc", "Enter/Esc"))
        elif mode is Mode.REJECTING:
            self._set_rejected(text)
        else:
            self.fail(("Press F2 to reject items, F1 to hand off", "F2 reject, F1 hand off", "F1/F2"))

    def _set_rejected(self, text: str) -> None:
        ln = self.lines.current
        if ln is None:
            return
        if not (text.isascii() and text.isdigit()) or int(text) > ln.picked:
            self.fail((f"Reject 0 to {ln.picked} of {clip(ln.description, Quote.LONG)}", f"0 to {ln.picked}", "Bad qty"))
            return
        if int(text):
            self.rejected[ln.id] = int(text)
        else:
            self.rejected.pop(ln.id, None)
        self.lines.refresh()
        units = sum(self.rejected.values())
        self.say((f"{text} of {clip(ln.description, Quote.LONG)} rejected ({units} in all); F2 when done",
                  f"{text} rejected ({units} in all)", f"{units} rejected"))
        self.lines.move(1)

    def _ask_step(self) -> None:
        """The question of the step the hand-off is at."""
        o, mode = self.order, self.mode
        rejected = sum(self.rejected.values())
        if mode is Mode.CLOSE_ALL_REJECTED:
            self.ask((f"Every item rejected: {o.number} is closed and refunded. Enter = yes, Esc = no",
                      "All rejected: close and refund? Enter", "Close? Enter"), kind="confirm", bell=True)
        elif mode is Mode.ID_CHECK:
            self.ask(("Check the customer's photo ID, then Enter (Esc = not checked)", "Check ID, then Enter",
                      "ID? Enter"), kind="confirm")
        elif mode is Mode.SIGNATURE:
            self.ask((f"Signature: {first_name(o.customer_name)} types their name, then Enter",
                      "Customer types name, Enter", "Name, Enter"))
        elif mode is Mode.CONFIRM:
            units = sum(ln.picked for ln in o.lines) - rejected
            less = f", {rejected} rejected" if rejected else ""
            self.ask((f"Hand {plural(units, 'unit')}{less} to {o.customer_name}? Enter = yes, Esc = no",
                      f"Hand off {plural(units, 'unit')}? Enter", "Enter = yes"), kind="confirm")

    async def _step_done(self, event: Event) -> None:
        """On to the next step, or the hand-off itself once none is left."""
        if self._go(event) is Mode.HANDING_OFF:
            await self._dispense()
        else:
            self._ask_step()

    async def _dispense(self) -> None:
        o, client, rid = self.order, self.store_app.client, new_request_id()
        rejected = {k: v for k, v in self.rejected.items() if v}
        signature, id_checked = self.signature, self.rules.id_checked
        try:
            done = await self.until_committed(
                lambda: client.dispense(o.id, rejected=rejected, signature=signature, id_checked=id_checked,
                                        request_id=rid), f"hand-off of {o.number}")
        except BackendError as exc:
            if await self.leave_if_canceled(exc):
                return
            self._go(Event.NOT_HANDED_OFF)
            self.say("Not handed off")
            self.fail(exc)
            return
        except BaseException:
            self._go(Event.NOT_HANDED_OFF)  # not saved (stopped waiting, or a bug): F1 starts again
            raise
        self._go(Event.HANDED_OFF)
        refunded = sum(r.amount_cents for r in done.refunds if r.reason in ("rejected", "canceled") and r.state == "issued")
        if done.status == OrderStatus.DISPENSED:
            units = sum(ln.dispensed for ln in done.lines)
            rej = sum(ln.rejected for ln in done.lines)
            more = f"; {rej} rejected, {money(refunded)} refunded" if rej else ""
            forms = (f"{done.number} handed off to {done.customer_name}: {plural(units, 'unit')}{more}",
                     f"{done.number} handed off{more}", "Handed off")
        else:
            forms = (f"{done.number} closed: every item rejected, {money(refunded)} refunded",
                     f"{done.number} closed, {money(refunded)} refunded", "Closed, refunded")
        await self.app.pop_screen()
        screen = self.app.screen
        if isinstance(screen, StoreScreen):
            screen.say(forms)
        self.store_app.arrivals.poll_now()

    async def _check_in(self, text: str) -> None:
        o, client, rid = self.order, self.store_app.client, new_request_id()
        spot, _, note = text.partition(" ")
        kwargs = {"location": "curbside", "spot": spot, "note": note.strip()[:CHECKIN_NOTE_MAX]} if text else {"location": "in_store"}
        arrivals = self.store_app.arrivals
        arrivals.quiet(o.id)  # checked in here: no "customer arrived" banner for it
        try:
            await self.until_committed(lambda: client.checkin(o.id, request_id=rid, **kwargs), f"check-in of {o.number}")
        except BackendError as exc:
            arrivals.unquiet(o.id)  # refused: the customer's own check-in later is an arrival
            if await self.leave_if_canceled(exc):
                return
            self.fail(exc)  # still checking in: the associate can scan another spot or press Enter
            return
        except BaseException:
            arrivals.unquiet(o.id)
            raise
        self._go(Event.CHECKED_IN)
        try:
            self.order = await client.order(o.id)
        except (BackendUnavailable, BackendError) as exc:  # the check-in is saved; the detail refreshes later
            log.warning("after check-in of %s: %r", o.number, exc)
        except Exception:  # a bug here must not make a saved check-in look failed: logged, not shown
            log.exception("after check-in of %s", o.number)
        self._show()
        where = f"at spot {self.order.checkin.spot}" if self.order.checkin and self.order.checkin.spot else "in store"
        self.say((f"{first_name(o.customer_name)} checked in {where}: F1 hands off", f"Checked in {where}",
                  "Checked in"))
        self.store_app.arrivals.poll_now()
