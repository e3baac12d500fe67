"""Customers arriving: the hand-off queue, polled for the whole session whatever screen is open.

One request at a time, the next armed as a one-shot timer after each answer (like screens/poller.py),
with If-None-Match so an unchanged queue costs the backend a 304. Each check-in seen for the first
time (after the first answer, which only learns who is already waiting) rings the bell once and
shows a one-line banner on the current screen, and on any screen opened while it is fresh. The
Hand-off screen shows the same answers: one poll for both, not two.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.timer import Timer

from storeassist_tui.client import BackendError, BackendUnavailable, HandoffQueue
from storeassist_tui.screens.order_text import where
from storeassist_tui.widgets import Banner

if TYPE_CHECKING:
    from storeassist_tui.app import StoreAssistApp
    from storeassist_tui.screens import StoreScreen

BANNER_S = 60.0  # how long an arrival stays on screen (unless the hand-off screen is opened)
MAX_BACKOFF_S = 30.0


def banner_forms(new: list[tuple[str, str, list[str]]], waiting: int) -> list[str]:
    """'Customer arrived: W00000018 Kim Lee, curbside P2 red Ford (3 waiting)', longest first."""
    number, name, places = new[-1]
    others = f" +{len(new) - 1}" if len(new) > 1 else ""
    total = f" ({waiting} waiting)" if waiting > 1 else ""
    return [f"Customer arrived{others}: {number} {name}, {places[0]}{total}",
            f"Customer arrived{others}: {number} {name}, {places[min(1, len(places) - 1)]}{total}",
            f"Arrived{others}: {number} {places[min(1, len(places) - 1)]}",
            f"Arrived: {number}", "Arrived"]


class ArrivalWatch:
    def __init__(self, app: StoreAssistApp) -> None:
        self.app = app
        self.queue: HandoffQueue | None = None
        self.banner: list[str] = []
        self._seen: set[tuple[int, str]] = set()  # (order id, arrived at): one banner per arrival
        self._quiet: set[int] = set()  # checked in on this terminal: the associate knows
        self._primed = False
        self._timer: Timer | None = None
        self._clear_timer: Timer | None = None
        self._polling = False
        self._running = False
        self._delay = 0.0
        self.listeners: list[Callable[[HandoffQueue], None]] = []

    def start(self) -> None:
        """A session began: learn who is waiting now, then watch for arrivals."""
        self.stop()
        self._seen.clear()
        self._primed = False
        self.queue = None
        self._running = True
        self._delay = self.app.poll_interval_s
        self.poll_now()

    def stop(self) -> None:
        self._running = False
        self.banner = []
        for timer in (self._timer, self._clear_timer):
            if timer is not None:
                timer.stop()
        self._timer = self._clear_timer = None

    def poll_now(self) -> None:
        """Now (the hand-off screen was opened, or the timer fired); never two requests at once."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self._running and not self._polling and self.app.session is not None and self.app.store_id:
            self._polling = True
            self.app.run_worker(self._poll(), group="arrivals", exit_on_error=False)

    async def _poll(self) -> None:
        app = self.app
        session = app.session  # an answer for another session (logged out meanwhile) is dropped
        try:
            queue = await app.client.handoff_queue(app.store_id)
        except BackendUnavailable as exc:
            self._delay = min(max(self._delay * 2, app.poll_interval_s), MAX_BACKOFF_S)
            self._offline(exc)
        except BackendError as exc:
            if exc.status == 401 and app.session is not None and app.session is session:
                app.request_logout(exc.message, error=True)
            self._delay = min(max(self._delay * 2, app.poll_interval_s), MAX_BACKOFF_S)
        except Exception as exc:  # noqa: BLE001 - watching must never end the app
            app.log.warning(f"arrivals: {exc!r}")
            self._delay = min(max(self._delay * 2, app.poll_interval_s), MAX_BACKOFF_S)
        else:
            self._delay = app.poll_interval_s
            if self._running and app.session is session and queue.store_id == app.store_id:
                self._online()
                self._take(queue)
        finally:
            self._polling = False
            if self._running and app.session is not None:
                self._timer = app.set_timer(self._delay, self.poll_now, name="arrivals-poll")

    def _offline(self, exc: Exception) -> None:
        """The screen showing this queue (Hand-off) says so; other screens have their own polls."""
        screen = self.app.screen
        if getattr(screen, "SHOWS_ARRIVALS", False):
            first = self.app.offline_since is None
            screen.fail(exc, kind="offline", bell=first)  # type: ignore[attr-defined]

    def _online(self) -> None:
        self.app.note_online()
        screen = self.app.screen
        if getattr(screen, "SHOWS_ARRIVALS", False) and (bar := screen.message_bar):  # type: ignore[attr-defined]
            bar.clear("offline")

    def _take(self, queue: HandoffQueue) -> None:
        self.queue = queue
        new = []
        for e in queue.checked_in:
            if e.order.checkin is None:
                continue
            key = (e.order.id, e.order.checkin.arrived_at.isoformat())
            if key not in self._seen:
                self._seen.add(key)
                if e.order.id in self._quiet:
                    self._quiet.discard(e.order.id)
                    continue
                new.append((e.order.number, e.order.customer_name, where(e.order.checkin)))
        if new and self._primed:
            self.announce(banner_forms(new, len(queue.checked_in)))
        self._primed = True
        for listener in list(self.listeners):
            listener(queue)

    def quiet(self, order_id: int) -> None:
        """This terminal checks the order's customer in: no banner for that arrival."""
        self._quiet.add(order_id)

    def unquiet(self, order_id: int) -> None:
        self._quiet.discard(order_id)

    def announce(self, forms: list[str]) -> None:
        self.banner = forms
        # Two rings: an arrival, not the single ring of a refused scan.
        self.app.bell()
        self.app.set_timer(0.3, self.app.bell, name="arrival-bell")
        screen = self.app.screen
        self.show_banner(screen)  # type: ignore[arg-type]
        if self._clear_timer is not None:
            self._clear_timer.stop()
        self._clear_timer = self.app.set_timer(BANNER_S, self.dismiss, name="arrival-banner")

    def dismiss(self) -> None:
        """The banner has been seen (hand-off opened) or is old."""
        self.banner = []
        self._clear_timer = None
        self.show_banner(self.app.screen)  # type: ignore[arg-type]

    def show_banner(self, screen: StoreScreen) -> None:
        for widget in screen.query(Banner):
            widget.show_forms(self.banner)
