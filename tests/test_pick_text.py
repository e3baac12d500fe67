"""How pick rows are written and scrolled, on their own (the screens draw exactly these)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storeassist_tui.client import Line, OrderSummary
from storeassist_tui.screens.pick_text import due_forms, queue_row, scroll_mark, scroll_top, walk_row

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_the_list_scrolls_back_when_there_is_room_and_keeps_the_cursor_in_view() -> None:
    assert scroll_top(top=3, cursor=3, rows=4, height=4) == 0  # it grew back: nothing hidden above
    assert scroll_top(top=0, cursor=9, rows=20, height=5) == 5
    assert scroll_top(top=8, cursor=2, rows=20, height=5) == 2
    assert [scroll_mark(r, 5, 20, 5) for r in range(5)] == ["^", "", "", "", "v"]
    assert [scroll_mark(r, 0, 3, 5) for r in range(3)] == ["", "", ""]


def test_due_times_read_in_and_late() -> None:
    assert due_forms(NOW + timedelta(minutes=25), NOW) == (["in 25m", "25m"], False)
    assert due_forms(NOW - timedelta(minutes=65), NOW) == (["late 1h05", "-1h05"], True)
    assert due_forms(NOW - timedelta(days=2, hours=3), NOW)[0][0] == "late 2d3h"


def _line(**kw: object) -> Line:
    base: dict[str, object] = dict(
        id=1, line_nbr=1, sku="SKU-1021", description="Water Bottle 24 oz", quantity=3, picked=1, not_found=1,
        pending=1, dispensed=0, rejected=0, unit_price_cents=1999, size="24 oz", colour="Black", fit="",
        image_url="", department="Sports", aisle="G04-3", codes=[])
    base.update(kw)
    return Line.model_validate(base)


def test_walk_rows_say_size_once_and_mark_skips_and_totes() -> None:
    row = walk_row(_line(), "B", 60, skipped=True)
    assert row.startswith("G04-3  Water Bottle 24 oz Black")
    assert row.endswith("1/3 nf1 skip B") and len(row) == 60
    assert walk_row(_line(pending=0, picked=2), "", 40).endswith("2/3 nf1 done")


def test_queue_rows_at_40_columns_keep_customer_and_picker_apart() -> None:
    o = OrderSummary.model_validate(dict(
        id=1, number="W00000016", store_id="s", customer_name="Eli Garcia", dispatch="in_store", status="picking",
        placed_at=NOW, due_at=NOW + timedelta(minutes=5), units=2, line_count=1, claimed_by=7,
        claimed_by_name="Lee Lead", batch_id=None, staging_location="", staged_at=None))
    row = "".join(p for p, _ in queue_row(o, NOW, 3, False, 40))
    assert len(row) <= 40 and row.endswith("@Lee") and "Eli G" in row


def test_a_weighed_line_reads_by_weight_with_its_unit_where_there_is_room() -> None:
    cheese = _line(description="Cheddar", size="", colour="", quantity=1, picked=1, not_found=0, pending=0,
                   uom="LB", weight_milli=2500, weight_picked_milli=2376)
    assert walk_row(cheese, "", 40) == "G04-3  Cheddar         2.38/2.50 lb done"
    assert walk_row(cheese, "", 20) == "Chedd 2.38/2.50 done"  # the name keeps five letters, not one
