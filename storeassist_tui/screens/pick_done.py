"""After a pick walk: what was picked, what was not found and the refund issued when the order is
staged. The orders are left `picked` (the stage screen comes with the Stage module).

Keys: Enter or Esc back to the pick queue.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical

from storeassist_tui.client import OrderDetail
from storeassist_tui.screens import StoreScreen, bottom_bars
from storeassist_tui.screens.pick_text import money
from storeassist_tui.widgets import FormLines, Hint, TitleBar

HINTS = [Hint("Enter", "Back to queue", "Ent", "Queue"), Hint("Esc", "Back", "Esc", "Back")]


def units(n: int) -> str:
    return f"{n} unit" if n == 1 else f"{n} units"


def summary_rows(order: OrderDetail, tote: str = "") -> list[list[str]]:
    picked = sum(ln.picked for ln in order.lines)
    missing = sum(ln.not_found for ln in order.lines)
    refund = sum(ln.not_found * ln.unit_price_cents for ln in order.lines)
    if order.status == "picked":
        state = ["Picked: ready to stage", "Ready to stage", "To stage"]
    else:
        state = [f"Nothing found: order {order.status}, {money(refund)} refunded now",
                 f"Order {order.status}, {money(refund)} refunded", order.status]
    in_tote = f"Tote {tote}: " if tote else ""
    rows = [
        [f"{in_tote}Order {order.number} - {order.customer_name}", f"{in_tote}{order.number}", order.number],
        [f"  Picked {units(picked)}, not found {missing}", f"  Picked {picked}, not found {missing}",
         f" {picked} ok {missing} nf"],
    ]
    if missing and order.status == "picked":
        rows.append([f"  Refund {money(refund)} to be issued at staging", f"  Refund {money(refund)} at staging",
                     f" Refund {money(refund)}"])
    rows.append(["  " + state[0], "  " + state[1], " " + state[2]])
    return rows


class PickDoneScreen(StoreScreen):
    DEFAULT_CSS = """
    PickDoneScreen #summary { height: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter,escape", "back", show=False)]

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
        rows = [row for o, tote in zip(self.orders, self.totes, strict=True) for row in summary_rows(o, tote)]
        self.query_one(FormLines).set_rows(rows)
        later = sum(ln.not_found * ln.unit_price_cents for o in self.orders if o.status == "picked" for ln in o.lines)
        if later:
            self.say((f"Done. Refund {money(later)} is issued at staging", f"Done. Refund {money(later)} at staging",
                      f"Refund {money(later)} later"))
        elif any(o.status != "picked" for o in self.orders):
            self.say(("Done. Nothing was found of an order: it is closed and refunded", "Done; an order was closed",
                      "Done"))
        else:
            self.say("Done: everything picked")

    def action_back(self) -> None:
        self.app.pop_screen()
