"""The order's states as one table (storeassist_tui/order_status.py): every change of state in the
store goes through it, closed orders take no step, and what an associate reads is a word, never
the stored state."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import picked_order, rid

from storeassist_tui import order_status as status
from storeassist_tui.order_status import CLOSED, OPEN, OrderStatus, word
from storeassist_tui.store import closing, handoff, staging
from storeassist_tui.store.db import Database
from storeassist_tui.store.errors import WrongState
from storeassist_tui.store.models import Order
from storeassist_tui.store.roles import Actor
from storeassist_tui.store.txn import move_order

STORE_DIR = Path(__file__).resolve().parent.parent / "storeassist_tui" / "store"


def test_every_change_of_state_in_the_store_goes_through_the_table() -> None:
    assignments = [f"{p.name}: {line.strip()}" for p in STORE_DIR.glob("*.py")
                   for line in p.read_text().splitlines()
                   if re.match(r"\s*[\w.]+\.status\s*(=[^=]|,[^)]*=[^=])", line)]
    assert [a for a in assignments if "order.status = to" not in a] == []


def test_the_table_is_whole_and_closed_orders_take_no_step() -> None:
    assert set(status.WORDS) == set(status.SHORT_WORDS) == set(OrderStatus)
    for step in status.STEPS:
        assert step.starts and step.ends, step.name
        assert not step.starts & CLOSED, f"{step.name} starts from a closed state"
    reachable = {OrderStatus.NEW} | {s for step in status.STEPS for s in step.ends}
    assert reachable | {OrderStatus.DISPENSED, OrderStatus.EXPIRED} == set(OrderStatus)
    assert reachable == set(OrderStatus)
    assert OPEN | CLOSED == set(OrderStatus) and not OPEN & CLOSED


def test_a_step_cannot_leave_an_order_where_the_table_does_not_say() -> None:
    order = Order(number="1", store_id="s", status=OrderStatus.PICKED)
    with pytest.raises(AssertionError, match="stage cannot leave an order dispensed"):
        move_order(order, status.STAGE, OrderStatus.DISPENSED)
    assert order.status == OrderStatus.PICKED


def test_refusals_word_the_state_as_an_associate_reads_it(demo_db: Database, people: dict[str, Actor]) -> None:
    pat, hana, lee = people["pat"], people["hana"], people["lee"]
    order = picked_order(demo_db, pat)
    with pytest.raises(WrongState, match=f"^Order {order.number} is waiting to be staged: only a staged order "
                                         "can be handed off$"):
        handoff.dispense(demo_db, hana, order.id, handoff.DispenseForm(signature="Ana Lee"), rid())
    staging.stage(demo_db, pat, order.id, "B7", rid(), secret_key="test-secret")
    with pytest.raises(WrongState, match=f"^Order {order.number} is ready for pickup: only a picked order can be staged$"):
        staging.stage(demo_db, pat, order.id, "B8", rid(), secret_key="test-secret")
    closing.cancel(demo_db, lee, order.id, "customer asked", rid())
    with pytest.raises(WrongState, match=f"^Order {order.number} is canceled: it can no longer be canceled$"):
        closing.cancel(demo_db, lee, order.id, "again", rid())
    assert word("staged") == "ready for pickup" and word("staged", short=True) == "ready"
    assert word("odd") == "odd"  # a state a newer backend knows is shown as it comes
