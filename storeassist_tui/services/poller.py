"""A screen's poll: services/polling.py's loop on the screen's own timers and workers (so none
outlives the screen), each outcome posted to the screen as a message (QueueChanged, PollFailed).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Generic, TypeVar

from textual.dom import DOMNode
from textual.widget import Widget

from storeassist_tui.services.messages import PollFailed, QueueChanged
from storeassist_tui.services.polling import Answer, Cancel, Outcome, PollLoop

T = TypeVar("T")
log = logging.getLogger(__name__)


class TextualScheduler:
    """Timers and workers of a Textual node: they end with it."""

    def __init__(self, node: Widget | DOMNode, name: str) -> None:
        self.node, self.name = node, name

    def call_later(self, delay: float, callback: Callable[[], None]) -> Cancel:
        return self.node.set_timer(delay, callback, name=f"{self.name}-poll").stop

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        self.node.run_worker(work, group=self.name, exit_on_error=False)


class QueuePoller(Generic[T]):
    """Polls `fetch` for `screen` while resumed (the screen resumes it when shown and pauses it
    when covered), every `interval()` seconds, while `may_poll()` (e.g. a store is chosen)."""

    def __init__(self, screen: Widget, name: str, fetch: Callable[[], Awaitable[T]], *,
                 interval: Callable[[], float], may_poll: Callable[[], bool] = lambda: True) -> None:
        self.screen, self.name = screen, name
        self.loop = PollLoop(fetch, self._report, interval=interval, scheduler=TextualScheduler(screen, name),
                             may_poll=may_poll)

    def resume(self) -> None:
        self.loop.resume()

    def pause(self) -> None:
        self.loop.pause()

    def stop(self) -> None:
        self.loop.close()

    def poll_now(self) -> None:
        self.loop.poll_now()

    def _report(self, outcome: Outcome[T]) -> None:
        if isinstance(outcome, Answer):
            self.screen.post_message(QueueChanged(self.name, outcome.value, outcome.changed))
            return
        if outcome.unexpected:
            log.error("poll %s failed", self.name, exc_info=outcome.error)
        self.screen.post_message(PollFailed(self.name, outcome.error))
