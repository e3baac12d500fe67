"""The messages services post. A poll's messages go to the screen shown (or the screen that owns
the poll); they bubble up to the app, which keeps the app-wide state (online, logged in)."""

from __future__ import annotations

from typing import Any

from textual.message import Message

from storeassist_tui.client import HandoffEntry, HandoffQueue

ARRIVALS = "arrivals"  # the name of the arrival watch's poll


class QueueChanged(Message):
    """A screen's poll answered. `value` is what its fetch returned; `changed` is False when the
    backend said "not modified" (the same object as last time)."""

    def __init__(self, poll: str, value: Any, changed: bool) -> None:
        super().__init__()
        self.poll, self.value, self.changed = poll, value, changed


class PollFailed(Message):
    """A poll got no answer: offline (BackendUnavailable), refused (BackendError; 401 = the
    session is gone) or a bug (anything else, already in the log)."""

    def __init__(self, poll: str, error: Exception) -> None:
        super().__init__()
        self.poll, self.error = poll, error


class ArrivalsChanged(Message):
    """The hand-off queue as the arrival watch last saw it (every answer)."""

    def __init__(self, queue: HandoffQueue, changed: bool) -> None:
        super().__init__()
        self.queue, self.changed = queue, changed


class CustomersArrived(Message):
    """Customers checked in since the last answer (never those already waiting at the first one,
    nor those this terminal checked in); `waiting` is how many wait now."""

    def __init__(self, arrived: list[HandoffEntry], waiting: int) -> None:
        super().__init__()
        self.arrived, self.waiting = arrived, waiting
