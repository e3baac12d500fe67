"""The built-in modules, registered once each (screens/registry.py says what a `Module` holds).

A new module is its screen's file plus one entry in `BUILT_IN` below.
"""

from __future__ import annotations

from storeassist_tui.client import Counts
from storeassist_tui.order_status import OrderStatus
from storeassist_tui.screens.handoff import HandoffScreen
from storeassist_tui.screens.orders import OrdersScreen
from storeassist_tui.screens.pick_queue import PickQueueScreen
from storeassist_tui.screens.registry import ANY_OTHER_STATE, Module, ModuleRegistry, Piece
from storeassist_tui.screens.stage import StageScreen


# Each module's row on home, forms from 80 columns down to 20 (the key is put in front).
def pick_counts(c: Counts) -> list[list[Piece]]:
    late = c.overdue > 0
    return [
        [("Pick: ", False), (f"{c.to_pick} to pick", False), (", ", False), (f"{c.overdue} overdue", late)],
        [("Pick ", False), (f"{c.to_pick}", False), (" ", False), (f"({c.overdue} late)", late)],
        [("Pick ", False), (f"{c.to_pick}", False), (" ", False), (f"L{c.overdue}", late)],
    ]


def stage_counts(c: Counts) -> list[list[Piece]]:
    return [[("Stage: ", False), (f"{c.to_stage} to stage", False)], [("Stage ", False), (f"{c.to_stage}", False)]]


def handoff_counts(c: Counts) -> list[list[Piece]]:
    waiting = c.waiting > 0
    return [
        [("Hand-off: ", False), (f"{c.waiting} waiting", waiting), (f" ({c.ready} ready)", False)],
        [("Hand-off ", False), (f"{c.waiting} wait", waiting), (f" ({c.ready} rdy)", False)],
        [("Hand-off ", False), (f"{c.waiting}", waiting), (f" ({c.ready} rdy)", False)],
        [("Hand ", False), (f"{c.waiting}", waiting), (f" ({c.ready} rdy)", False)],
    ]


def orders_counts(c: Counts) -> list[list[Piece]]:
    return [[("Orders: ", False), (f"{c.open_orders} open / {c.all_orders} all", False)],
            [("Orders ", False), (f"{c.open_orders}/{c.all_orders}", False)]]


BUILT_IN = (
    Module("pick", "1", "Pick", PickQueueScreen, counts=pick_counts, orders=(OrderStatus.NEW, OrderStatus.PICKING)),
    Module("stage", "2", "Stage", StageScreen, short=("Stage", "Stg"), counts=stage_counts,
           orders=(OrderStatus.PICKED,)),
    Module("handoff", "3", "Hand-off", HandoffScreen, short=("Hand",), counts=handoff_counts,
           orders=(OrderStatus.STAGED,)),
    # Closed orders (and any state no module works on) are looked up in Orders.
    Module("orders", "4", "Orders", OrdersScreen, short=("Ordr", "Ord"), counts=orders_counts,
           orders=(ANY_OTHER_STATE,)),
)


def built_in_modules() -> ModuleRegistry:
    """A fresh registry of the built-in modules (each app has its own: registering one there
    leaves every other app as it was)."""
    return ModuleRegistry(BUILT_IN)
