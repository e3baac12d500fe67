"""Voiding a request the terminal stopped waiting for: "Not saved" stays true whichever arrives
first, the request or its void (store/voiding.py)."""

from __future__ import annotations

import threading

import pytest
from helpers import new_orders, pick_all, rid

from storeassist_tui.store import picking, queries, voiding
from storeassist_tui.store.db import Database
from storeassist_tui.store.errors import NotFound, RequestIdReused
from storeassist_tui.store.roles import Actor


def claimed(db: Database, pat: Actor) -> tuple[int, str]:
    """A new order claimed by `pat`, and the SKU of its first line."""
    (order_id,) = new_orders(db, pat)
    picking.claim(db, pat, [order_id], rid())
    return order_id, queries.get_order(db, pat, order_id).lines[0].sku


def picked(db: Database, who: Actor, order_id: int) -> int:
    return sum(ln.picked for ln in queries.get_order(db, who, order_id).lines)


def test_a_request_voided_before_it_arrives_is_refused_and_changes_nothing(demo_db: Database, people: dict[str, Actor]) -> None:
    db, pat = demo_db, people["pat"]
    order_id, sku = claimed(db, pat)
    assert voiding.void_request(db, pat, "scan-late-1").voided
    with pytest.raises(RequestIdReused):
        picking.record_scan(db, pat, [order_id], sku, "scan-late-1")
    assert picked(db, pat, order_id) == 0


def test_a_scan_that_arrived_first_is_taken_back_once(demo_db: Database, people: dict[str, Actor]) -> None:
    db, pat = demo_db, people["pat"]
    order_id, sku = claimed(db, pat)
    picking.record_scan(db, pat, [order_id], sku, "scan-first-1")
    assert picked(db, pat, order_id) == 1
    first = voiding.void_request(db, pat, "scan-first-1")
    again = voiding.void_request(db, pat, "scan-first-1")
    assert (first.voided, first.saved, again.voided) == (True, False, True)
    assert picked(db, pat, order_id) == 0
    with pytest.raises(RequestIdReused):  # a retry of the request after its void
        picking.record_scan(db, pat, [order_id], sku, "scan-first-1")
    assert picked(db, pat, order_id) == 0
    assert [e.action for e in queries.order_timeline(db, pat, order_id)][-2:] == ["picked", "scan_voided"]


def test_a_scan_of_an_order_that_moved_on_is_reported_saved(demo_db: Database, people: dict[str, Actor]) -> None:
    db, pat = demo_db, people["pat"]
    order_id, sku = claimed(db, pat)
    picking.record_scan(db, pat, [order_id], sku, "scan-done-1")
    pick_all(db, pat, order_id)
    picking.finish_pick(db, pat, order_id, rid())
    before = picked(db, pat, order_id)
    result = voiding.void_request(db, pat, "scan-done-1")
    assert (result.voided, result.saved) == (False, True)
    assert picked(db, pat, order_id) == before


def test_another_associates_request_cannot_be_voided(demo_db: Database, people: dict[str, Actor]) -> None:
    db, pat, lee = demo_db, people["pat"], people["lee"]
    order_id, sku = claimed(db, pat)
    picking.record_scan(db, pat, [order_id], sku, "scan-pats-1")
    with pytest.raises(NotFound):
        voiding.void_request(db, lee, "scan-pats-1")
    assert picked(db, pat, order_id) == 1


def test_request_and_void_racing_always_end_not_counted(demo_db: Database, people: dict[str, Actor]) -> None:
    db, pat = demo_db, people["pat"]
    order_id, sku = claimed(db, pat)
    for n in range(15):
        key = f"race-scan-{n:04d}"
        barrier = threading.Barrier(2)

        def scan(key: str = key, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            try:
                picking.record_scan(db, pat, [order_id], sku, key)
            except RequestIdReused:
                pass

        def void(key: str = key, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            voiding.void_request(db, pat, key)

        threads = [threading.Thread(target=scan), threading.Thread(target=void)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # Whichever came first, the void has the last word.
        assert voiding.void_request(db, pat, key).voided
    assert picked(db, pat, order_id) == 0
