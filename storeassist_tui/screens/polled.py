"""A list screen fed by a poll (services/poller.py): it polls while shown, not while another
screen covers it, and never after it is gone. The poll's messages arrive here: QueueChanged (the
subclass shows the answer in its own `on_queue_changed`; Textual runs both handlers) and
PollFailed ("offline since HH:MM", the bell once when the link goes down; a refused poll says
why; a 401 is the app's: it logs out).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from storeassist_tui.client import BackendError, BackendUnavailable
from storeassist_tui.screens import StoreScreen
from storeassist_tui.services.messages import PollFailed, QueueChanged
from storeassist_tui.services.poller import QueuePoller

T = TypeVar("T")


class PolledScreen(StoreScreen):
    poller: QueuePoller[Any]

    def new_poller(self, name: str, fetch: Callable[[], Awaitable[T]]) -> QueuePoller[T]:
        """The screen's poll: every `app.poll_interval_s`, while a store is chosen."""
        return QueuePoller(self, name, fetch, interval=lambda: self.store_app.poll_interval_s,
                           may_poll=lambda: bool(self.store_app.store_id))

    def on_screen_resume(self) -> None:
        self.store_app.show_scan_buffer()
        self.poller.resume()

    def on_screen_suspend(self) -> None:
        self.poller.pause()

    def on_unmount(self) -> None:
        self.poller.stop()

    def on_queue_changed(self, message: QueueChanged) -> None:
        if bar := self.message_bar:
            bar.clear("offline")
            bar.clear("poll")

    def on_poll_failed(self, message: PollFailed) -> None:
        if message.poll != self.poller.name:
            return  # another poll's (the arrival watch's): not what this screen shows
        exc, bar = message.error, self.message_bar
        if isinstance(exc, BackendUnavailable):
            first = self.store_app.offline_since is None
            if first or (bar is not None and (bar.kind == "offline" or not bar.text)):
                self.fail(exc, kind="offline", bell=first)
        elif isinstance(exc, BackendError):
            if exc.status != 401:  # a 401: the app logs out
                self.fail(exc, kind="poll", bell=bar is None or bar.kind != "poll")
        else:
            self.fail(exc, kind="poll", bell=False)
