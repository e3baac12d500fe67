"""Logging out a shared terminal left alone: one one-shot timer, re-armed for the time left since
the last key (re-arming on every key would make a timer per keystroke)."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.app import App
from textual.timer import Timer


class InactivityWatch:
    """Calls `expired(limit_s)` once the session has seen no key for `limit_s` (0: never)."""

    def __init__(self, app: App[None], limit_s: float, expired: Callable[[float], None]) -> None:
        self.app, self.limit_s, self.expired = app, limit_s, expired
        self.last_activity = time.monotonic()
        self._timer: Timer | None = None
        self._running = False

    def touch(self) -> None:
        """A key or a paste: the session is in use."""
        self.last_activity = time.monotonic()

    def start(self) -> None:
        self.touch()
        self._running = True
        self._arm(self.limit_s)

    def stop(self) -> None:
        self._running = False
        self._cancel()

    def check(self) -> None:
        """What the timer does when it fires: log out, or wait for the time still left."""
        self._timer = None
        if not self._running:
            return
        left = self.last_activity + self.limit_s - time.monotonic()
        if left > 0:
            self._arm(left)
            return
        self._running = False
        self.expired(self.limit_s)

    def _arm(self, delay: float) -> None:
        self._cancel()
        if self.limit_s > 0:
            self._timer = self.app.set_timer(max(delay, 0.01), self.check, name="inactivity")

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
