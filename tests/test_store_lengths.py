"""Set-up by an administrator checks lengths as they will be stored: PostgreSQL refuses a value
longer than its column where SQLite keeps it, so the store refuses it first, the same way on both."""

from __future__ import annotations

import pytest
from helpers import STORE

from storeassist_tui.store import admin
from storeassist_tui.store.db import Database
from storeassist_tui.store.errors import InvalidInput


def test_a_display_name_longer_than_its_column_is_refused(demo_db: Database) -> None:
    with pytest.raises(InvalidInput, match="Name: at most 200"):
        admin.add_user(demo_db, username="kim", display_name="K" * 201, role="picker", stores=[STORE],
                       secret="1234")
    assert admin.add_user(demo_db, username="kim", display_name=" " + "K" * 200 + " ", role="picker",
                          stores=[STORE], secret="1234").display_name == "K" * 200


def test_a_parking_spot_longer_than_a_check_in_keeps_is_refused(demo_db: Database) -> None:
    # A customer's check-in stores the spot in 40 characters: a longer spot could never be chosen.
    with pytest.raises(InvalidInput, match="Parking spots"):
        admin.add_store(demo_db, admin.StoreSettings(id="s2", name="Two", parking_spots=["A" * 41]))
    assert admin.add_store(demo_db, admin.StoreSettings(id="s2", name="Two", parking_spots=["A" * 40])).id == "s2"
