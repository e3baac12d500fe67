"""Customers arriving: the hand-off queue, polled for the whole session whatever screen is open.

One poll (services/polling.py) serves the arrival banner on every screen and the Hand-off
screen's list. Each check-in seen for the first time (after the first answer, which only learns
who is already waiting) is posted to the app as CustomersArrived; every answer goes to the screen
shown as ArrivalsChanged, and a failure as PollFailed (the Hand-off screen says "offline"; the app
logs out on a 401).
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from textual.app import App, ScreenStackError
from textual.message import Message

from storeassist_tui.client import BackendClient, HandoffEntry, HandoffQueue
from storeassist_tui.services.messages import ARRIVALS, ArrivalsChanged, CustomersArrived, PollFailed
from storeassist_tui.services.poller import TextualScheduler
from storeassist_tui.services.polling import Answer, Outcome, PollLoop

log = logging.getLogger(__name__)


class SessionHost(Protocol):
    """What the watch reads of the app: who is logged in, where, and how often to poll."""

    @property
    def client(self) -> BackendClient: ...

    @property
    def session(self) -> object | None: ...

    @property
    def store_id(self) -> str: ...

    @property
    def poll_interval_s(self) -> float: ...


class ArrivalWatch:
    def __init__(self, app: App[Any], host: SessionHost) -> None:
        self.app, self.host = app, host
        self.queue: HandoffQueue | None = None  # the last answer (the Hand-off screen opens on it)
        self.answers = 0  # answers taken this session
        self._seen: set[tuple[int, str]] = set()  # (order id, arrived at): one banner per arrival
        self._quiet: set[int] = set()  # checked in on this terminal: the associate knows
        self._primed = False
        self._session: object | None = None  # the session the answers are for
        self.loop: PollLoop[HandoffQueue] = PollLoop(
            self._fetch, self._report, interval=lambda: host.poll_interval_s,
            scheduler=TextualScheduler(app, ARRIVALS), may_poll=self._may_poll)

    def start(self) -> None:
        """A session began: learn who is waiting now, then watch for arrivals."""
        self.stop()
        self._seen.clear()
        self._primed = False
        self.queue = None
        self.answers = 0
        self._session = self.host.session
        self.loop.forget()
        self.loop.resume()

    def stop(self) -> None:
        self.loop.pause()

    def poll_now(self) -> None:
        """Now (the hand-off screen was opened, or a check-in was made here); never two at once."""
        self.loop.poll_now()

    def quiet(self, order_id: int) -> None:
        """This terminal checks the order's customer in: no banner for that arrival."""
        self._quiet.add(order_id)

    def unquiet(self, order_id: int) -> None:
        self._quiet.discard(order_id)

    def _may_poll(self) -> bool:
        return self.host.session is not None and bool(self.host.store_id)

    async def _fetch(self) -> HandoffQueue:
        return await self.host.client.handoff_queue(self.host.store_id)

    def _post_to_screen(self, message: Message) -> None:
        try:
            screen = self.app.screen
        except ScreenStackError:
            return  # the app is closing
        screen.post_message(message)

    def _report(self, outcome: Outcome[HandoffQueue]) -> None:
        if isinstance(outcome, Answer):
            # An answer for another session (logged out meanwhile) or store is dropped.
            if self.loop.active and self.host.session is self._session and \
                    outcome.value.store_id == self.host.store_id:
                self._take(outcome.value, outcome.changed)
            return
        if outcome.unexpected:
            log.error("arrival watch: poll failed", exc_info=outcome.error)
        if self.host.session is not None and self.host.session is self._session:
            self._post_to_screen(PollFailed(ARRIVALS, outcome.error))

    def _take(self, queue: HandoffQueue, changed: bool) -> None:
        self.queue = queue
        self.answers += 1
        new: list[HandoffEntry] = []
        for e in queue.checked_in if changed or not self._primed else ():
            if e.order.checkin is None:
                continue
            key = (e.order.id, e.order.checkin.arrived_at.isoformat())
            if key not in self._seen:
                self._seen.add(key)
                if e.order.id in self._quiet:
                    self._quiet.discard(e.order.id)
                    continue
                new.append(e)
        if new and self._primed:
            self.app.post_message(CustomersArrived(new, len(queue.checked_in)))
        self._primed = True
        self._post_to_screen(ArrivalsChanged(queue, changed))
