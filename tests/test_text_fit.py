"""The text-fitting helpers in widgets/text.py: whole forms chosen by width, quotes cut without an ellipsis."""

from __future__ import annotations

from storeassist_tui.widgets.text import Quote, clip, first_fit


def test_clip_cuts_without_an_ellipsis() -> None:
    assert clip("Organic whole milk 1 gallon, 2 pack", Quote.MID) == "Organic whole mi"
    assert clip("Eggs", Quote.LONG) == "Eggs"
    assert clip("Eggs", -1) == ""


def test_quote_widths_fall_from_long_to_short() -> None:
    assert list(Quote) == sorted(Quote, reverse=True)


def test_first_fit_picks_the_longest_whole_form_that_fits() -> None:
    forms = ["Counted Milk -> tote 3: 2/4", "OK Milk 2/4", "OK 2/4"]
    assert first_fit(forms, 80) == forms[0]
    assert first_fit(forms, 12) == forms[1]
    assert first_fit(forms, 4) == "OK 2"
