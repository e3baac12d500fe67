"""The arrival banner: "Customer arrived: ..." on one line of every screen, with two rings, for a
minute or until the Hand-off screen is opened. The app shows it when the arrival watch
(services/arrivals.py) posts CustomersArrived; a screen opened while it is fresh shows it too.
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.screen import Screen
from textual.timer import Timer

from storeassist_tui.client import HandoffEntry
from storeassist_tui.screens.order_text import where
from storeassist_tui.widgets import Banner

BANNER_S = 60.0  # how long an arrival stays on screen (unless the hand-off screen is opened)


def banner_forms(new: list[HandoffEntry], waiting: int) -> list[str]:
    """'Customer arrived: W00000018 Kim Lee, curbside P2 red Ford (3 waiting)', longest first."""
    last = new[-1].order
    number, name = last.number, last.customer_name
    places = where(last.checkin)
    others = f" +{len(new) - 1}" if len(new) > 1 else ""
    total = f" ({waiting} waiting)" if waiting > 1 else ""
    return [f"Customer arrived{others}: {number} {name}, {places[0]}{total}",
            f"Customer arrived{others}: {number} {name}, {places[min(1, len(places) - 1)]}{total}",
            f"Arrived{others}: {number} {places[min(1, len(places) - 1)]}",
            f"Arrived: {number}", "Arrived"]


class ArrivalBanner:
    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.forms: list[str] = []
        self._clear_timer: Timer | None = None

    def announce(self, forms: list[str]) -> None:
        self.forms = forms
        # Two rings: an arrival, not the single ring of a refused scan.
        self.app.bell()
        self.app.set_timer(0.3, self.app.bell, name="arrival-bell")
        self.show_on(self.app.screen)
        if self._clear_timer is not None:
            self._clear_timer.stop()
        self._clear_timer = self.app.set_timer(BANNER_S, self.dismiss, name="arrival-banner")

    def dismiss(self) -> None:
        """The banner has been seen (hand-off opened) or is old."""
        self.forms = []
        self._clear_timer = None
        self.show_on(self.app.screen)

    def stop(self) -> None:
        """The session ended: nothing more to show, no timer left."""
        self.forms = []
        if self._clear_timer is not None:
            self._clear_timer.stop()
            self._clear_timer = None

    def show_on(self, screen: Screen[Any]) -> None:
        for widget in screen.query(Banner):
            widget.show_forms(self.forms)
