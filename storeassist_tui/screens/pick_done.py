"""After a pick walk: what was picked, what was not found and the refund issued when the order is
staged. The orders are left `picked`.

Keys: Enter stages them now (the Stage screen, these orders one after the other); Esc back to the
pick queue; a scan is for the queue (the next order to pick).
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical

from storeassist_tui.client import OrderDetail
from storeassist_tui.order_status import OrderStatus, word
from storeassist_tui.scanning import Entry
from storeassist_tui.screens import StoreScreen, bottom_bars, screen_css
from storeassist_tui.screens.pick_text import money
from storeassist_tui.screens.stage import StageScreen
from storeassist_tui.widgets import FormLines, Hint, TitleBar
from storeassist_tui.widgets.text import Column, cell

HINTS = [Hint("Enter", "Stage now", "Ent", "Stage"), Hint("Esc", "Back to queue", "Esc", "Queue")]


def units(n: int) -> str:
    return f"{n} unit" if n == 1 else f"{n} units"


def refund_cents(order: OrderDetail, state: str) -> int:
    """What the backend refunds for the order in that state ("pending": at staging; "issued")."""
    return sum(r.amount_cents for r in order.refunds if r.state == state)


def summary_rows(order: OrderDetail, tote: str = "") -> list[list[str]]:
    """A finished order in full: tote, number, customer, units, refund, where it goes next."""
    picked = sum(ln.picked for ln in order.lines)
    missing = sum(ln.not_found for ln in order.lines)
    later, now = refund_cents(order, "pending"), refund_cents(order, "issued")
    if order.status == OrderStatus.PICKED:
        state = ["Picked: ready to stage", "Ready to stage", "To stage"]
    else:
        state = [f"Nothing found: order {word(order.status)}, {money(now)} refunded now",
                 f"Order {word(order.status)}, {money(now)} refunded", word(order.status)]
    in_tote = f"Tote {tote}: " if tote else ""
    rows = [
        [f"{in_tote}Order {order.number} - {order.customer_name}", f"{in_tote}{order.number}", order.number],
        [f"  Picked {units(picked)}, not found {missing}", f"  Picked {picked}, not found {missing}",
         f" {picked} ok {missing} nf"],
    ]
    if later and order.status == OrderStatus.PICKED:
        rows.append([f"  Refund {money(later)} to be issued at staging", f"  Refund {money(later)} at staging",
                     f" Refund {money(later)}"])
    rows.append(["  " + state[0], "  " + state[1], " " + state[2]])
    return rows


def compact_row(order: OrderDetail, tote: str) -> list[str]:
    """A finished order of a big batch on one row."""
    picked = sum(ln.picked for ln in order.lines)
    missing = sum(ln.not_found for ln in order.lines)
    if order.status != OrderStatus.PICKED:
        what = f"CLOSED, {money(refund_cents(order, 'issued'))} refunded"
        short = "CLOSED"
    elif missing:
        what = f"{picked} ok, {missing} nf, refund {money(refund_cents(order, 'pending'))} at staging"
        short = f"{picked} ok {missing} nf"
    else:
        what = f"{picked} ok"
        short = what
    return [f"{tote} {order.number} {cell(order.customer_name, Column.NAME_TOTE)} {what}", f"{tote} {order.number} {short}",
            f"{tote} {order.number[-6:]} {short}"]


class PickDoneScreen(StoreScreen):
    TAKES_SCANS = True

    CSS_PATH = screen_css(__file__)

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "stage", show=False), Binding("escape", "back", show=False)]

    def __init__(self, orders: list[OrderDetail], totes: list[str] | None = None) -> None:
        super().__init__()
        self.orders = orders
        self.totes = totes or [""] * len(orders)

    def compose(self) -> ComposeResult:
        n = len(self.orders)
        yield TitleBar(("Pick finished" if n == 1 else f"Batch of {n} finished", "Finished"), ("",))
        with Vertical(id="body"):
            yield FormLines(id="summary")
        yield bottom_bars(HINTS)

    def on_mount(self) -> None:
        later = sum(refund_cents(o, "pending") for o in self.orders if o.status == OrderStatus.PICKED)
        if later:
            self.say((f"Done. Refund {money(later)} is issued at staging", f"Done. Refund {money(later)} at staging",
                      f"Refund {money(later)} later"))
        elif any(o.status != OrderStatus.PICKED for o in self.orders):
            self.say(("Done. Nothing was found of an order: it is closed and refunded", "Done; an order was closed",
                      "Done"))
        else:
            self.say("Done: everything picked")
        self.call_after_refresh(self._lay_out)

    def on_resize(self) -> None:
        super().on_resize()
        self._lay_out()

    def _lay_out(self) -> None:
        """Every order in full when it fits; else one row each, those needing attention (closed,
        refunds) first, and what does not fit counted on the last row."""
        height = self.query_one("#body").size.height
        pairs = list(zip(self.orders, self.totes, strict=True))
        rows = [row for o, tote in pairs for row in summary_rows(o, tote)]
        if height and len(rows) > height:
            pairs.sort(key=lambda p: (p[0].status == OrderStatus.PICKED, not refund_cents(p[0], "pending")))
            rows = [compact_row(o, tote) for o, tote in pairs]
            if len(rows) > height:
                hidden = pairs[height - 1:]
                ok = all(o.status == OrderStatus.PICKED and not refund_cents(o, "pending") for o, _ in hidden)
                more = f"+{len(hidden)} more"
                rows = [*rows[:height - 1], [f"{more} orders, all picked in full", f"{more}, all picked", f"{more} ok"]
                        if ok else [f"{more} orders", more]]
        self.query_one(FormLines).set_rows(rows)

    # A scan here is for the queue (the next order): back there, and it is handled there.
    async def handle_entry(self, entry: Entry) -> None:
        await self.app.pop_screen()
        screen = self.app.screen
        if isinstance(screen, StoreScreen) and screen.TAKES_SCANS:
            await screen.handle_entry(entry)

    def action_back(self) -> None:
        self.app.pop_screen()

    async def action_stage(self) -> None:
        picked = [o.id for o in self.orders if o.status == OrderStatus.PICKED]
        if not picked:
            self.app.pop_screen()  # nothing to stage: an order of which nothing was found is closed
            return
        await self.app.switch_screen(StageScreen(focus=picked))
