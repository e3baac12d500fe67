"""One polling implementation: one request at a time, the next armed as a one-shot timer after
each answer (a fixed interval would pile requests up behind a slow backend), the interval doubled
after each failure up to a cap and back to normal with the next answer.

Textual-free, so it is tested on a bare event loop: the timers and the work go through a
`Scheduler` (asyncio here; services/poller.py hands it Textual's timers and workers, which end
with the screen or the app that owns them).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from storeassist_tui.client import BackendError, BackendUnavailable

T = TypeVar("T")
MAX_BACKOFF_S = 30.0
Cancel = Callable[[], None]


class Backoff:
    """The wait before the next poll: `base` after an answer; after each failure doubled, up to
    `cap` (or `base`, when that is longer)."""

    def __init__(self, base: float, cap: float = MAX_BACKOFF_S) -> None:
        self.base, self.cap = base, cap
        self.delay = base

    def reset(self, base: float | None = None) -> float:
        if base is not None:
            self.base = base
        self.delay = self.base
        return self.delay

    def failed(self) -> float:
        self.delay = min(max(self.delay * 2, self.base), max(self.cap, self.base))
        return self.delay


@dataclass(frozen=True)
class Answer(Generic[T]):
    """The backend answered. `changed` is False when it said "not modified": the client answers
    a 304 (If-None-Match) with the very object it returned last time."""

    value: T
    changed: bool


@dataclass(frozen=True)
class Failure:
    """No answer: `error` is BackendUnavailable (offline), BackendError (a refusal) or anything
    else (`unexpected`: a bug, which the reporter logs)."""

    error: Exception

    @property
    def unexpected(self) -> bool:
        return not isinstance(self.error, (BackendUnavailable, BackendError))

    @property
    def session_refused(self) -> bool:
        return isinstance(self.error, BackendError) and self.error.status == 401


Outcome = Answer[T] | Failure


class Scheduler(Protocol):
    def call_later(self, delay: float, callback: Callable[[], None]) -> Cancel: ...

    def spawn(self, work: Coroutine[Any, Any, None]) -> None: ...


class AsyncioScheduler:
    """Timers and tasks of the running asyncio loop."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()  # referenced until done (asyncio keeps weak ones)

    def call_later(self, delay: float, callback: Callable[[], None]) -> Cancel:
        return asyncio.get_running_loop().call_later(delay, callback).cancel

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


class PollLoop(Generic[T]):
    """Polls `fetch` while resumed and `may_poll()` holds, and reports each outcome to `report`.

    Never two requests at once: `poll_now` while one is under way is a no-op. A refused session
    (401) pauses the loop: polling on would only be refused again.
    """

    def __init__(self, fetch: Callable[[], Awaitable[T]], report: Callable[[Outcome[T]], None], *,
                 interval: Callable[[], float], scheduler: Scheduler,
                 may_poll: Callable[[], bool] = lambda: True, cap_s: float = MAX_BACKOFF_S) -> None:
        self.fetch, self.report, self.interval, self.scheduler, self.may_poll = (
            fetch, report, interval, scheduler, may_poll)
        self.backoff = Backoff(0.0, cap_s)  # its base is read at each resume
        self.active = False
        self.closed = False  # for good (its screen is gone)
        self.in_flight = False
        self._cancel_timer: Cancel | None = None
        self._last: object = _NOTHING

    @property
    def armed(self) -> bool:
        """A next poll is waiting on its timer."""
        return self._cancel_timer is not None

    def resume(self) -> None:
        """Poll now, then every interval."""
        if self.closed:
            return
        self.active = True
        self.backoff.reset(self.interval())
        self.poll_now()

    def pause(self) -> None:
        """No more polls until resumed (an answer under way is still reported)."""
        self.active = False
        self._stop_timer()

    def close(self) -> None:
        self.closed = True
        self.pause()

    def forget(self) -> None:
        """The next answer counts as changed (a new session: nothing has been seen yet)."""
        self._last = _NOTHING

    def poll_now(self) -> None:
        self._stop_timer()
        if self.active and not self.closed and not self.in_flight and self.may_poll():
            self.in_flight = True
            self.scheduler.spawn(self._poll())

    def _stop_timer(self) -> None:
        if self._cancel_timer is not None:
            self._cancel_timer()
            self._cancel_timer = None

    def _fired(self) -> None:
        self._cancel_timer = None
        self.poll_now()

    async def _poll(self) -> None:
        outcome: Outcome[T]
        try:
            try:
                value = await self.fetch()
            except Exception as exc:  # noqa: BLE001 - a poll never ends the app; the reporter logs bugs
                outcome = Failure(exc)
                self.backoff.failed()
                if outcome.session_refused:
                    self.active = False
            else:
                outcome = Answer(value, value is not self._last)
                self._last = value
                self.backoff.reset()
        finally:
            self.in_flight = False
        self.report(outcome)
        if self.active and not self.closed and self._cancel_timer is None:
            self._cancel_timer = self.scheduler.call_later(self.backoff.delay, self._fired)


_NOTHING = object()
