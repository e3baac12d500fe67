"""services/: the polling core on a bare event loop (no Textual), its messages reaching screens
(Textual's run_test), and the log file that takes what the screen says in one line."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Static
from ui import log_in, said, send_burst, wait_for

from storeassist_tui.app import StoreAssistApp
from storeassist_tui.client import BackendClient, BackendError, BackendUnavailable
from storeassist_tui.config import Settings, default_log_dir
from storeassist_tui.logfile import LOG_FILE, log_to_file
from storeassist_tui.screens.home import HomeScreen
from storeassist_tui.services.messages import PollFailed, QueueChanged
from storeassist_tui.services.poller import QueuePoller
from storeassist_tui.services.polling import Answer, Backoff, Failure, Outcome, PollLoop

# The polling core ---------------------------------------------------------------------------------


class ManualScheduler:
    """Timers that fire only when the test says so (the delays they were armed with are kept),
    and the poll's work as tasks the test can wait for."""

    def __init__(self) -> None:
        self.timers: list[tuple[float, Callable[[], None]]] = []
        self.cancelled = 0
        self.tasks: list[asyncio.Task[None]] = []

    def call_later(self, delay: float, callback: Callable[[], None]) -> Callable[[], None]:
        entry = (delay, callback)
        self.timers.append(entry)

        def cancel() -> None:
            if entry in self.timers:
                self.timers.remove(entry)
                self.cancelled += 1
        return cancel

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        self.tasks.append(asyncio.get_running_loop().create_task(work))

    async def settle(self) -> None:
        await asyncio.gather(*self.tasks)

    async def fire(self) -> float:
        """Fire the one armed timer; its delay."""
        assert len(self.timers) == 1, self.timers
        delay, callback = self.timers.pop()
        callback()
        await self.settle()
        return delay


class Fetcher:
    """Answers from a script: a value is returned, an exception raised; the call count is kept."""

    def __init__(self, *script: object) -> None:
        self.script = list(script)
        self.calls = 0
        self.gate: asyncio.Event | None = None

    async def __call__(self) -> object:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        item = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(item, Exception):
            raise item
        return item


def loop_of(fetch: Fetcher, interval: float = 2.0) -> tuple[PollLoop[object], ManualScheduler, list[Outcome[object]]]:
    scheduler, seen = ManualScheduler(), []
    return PollLoop(fetch, seen.append, interval=lambda: interval, scheduler=scheduler), scheduler, seen


def test_backoff_doubles_to_the_cap_and_resets() -> None:
    b = Backoff(0.5, cap=3.0)
    assert [b.failed() for _ in range(5)] == [1.0, 2.0, 3.0, 3.0, 3.0]
    assert b.reset() == 0.5 and b.failed() == 1.0
    long = Backoff(60.0, cap=30.0)  # an interval longer than the cap is never shortened
    assert long.failed() == 60.0


async def test_failures_back_off_and_an_answer_brings_the_interval_back() -> None:
    down = BackendUnavailable("down")
    fetch = Fetcher(down, down, down, "list", "list")
    loop, scheduler, seen = loop_of(fetch, interval=0.25)
    loop.resume()
    await scheduler.settle()
    delays = [await scheduler.fire() for _ in range(4)]
    assert delays == [0.5, 1.0, 2.0, 0.25]  # three failures doubled the wait; the answer reset it
    assert [type(o) for o in seen] == [Failure, Failure, Failure, Answer, Answer]
    assert all(isinstance(o, Failure) and not o.unexpected for o in seen[:3])
    assert scheduler.timers[0][0] == 0.25


async def test_a_not_modified_answer_is_reported_unchanged() -> None:
    first, again = ["a"], ["a"]  # equal, but a new object: the backend sent a new body
    fetch = Fetcher(first, first, again)  # the client answers a 304 with the object it kept
    loop, scheduler, seen = loop_of(fetch)
    loop.resume()
    await scheduler.settle()
    await scheduler.fire()
    await scheduler.fire()
    assert [(o.value, o.changed) for o in seen if isinstance(o, Answer)] == [(first, True), (first, False), (again, True)]
    loop.forget()  # a new session: its first answer is news
    await scheduler.fire()
    assert seen[-1] == Answer(again, True)


async def test_pause_and_close_stop_polling_and_a_401_pauses() -> None:
    fetch = Fetcher("x")
    loop, scheduler, _ = loop_of(fetch)
    loop.resume()
    await scheduler.settle()
    assert loop.armed
    loop.pause()
    assert not loop.armed and scheduler.cancelled == 1
    loop.poll_now()
    assert fetch.calls == 1  # paused: no poll
    loop.resume()
    await scheduler.settle()
    assert fetch.calls == 2 and loop.armed
    loop.close()
    loop.resume()
    loop.poll_now()
    assert fetch.calls == 2 and not loop.armed and scheduler.timers == []
    refused = Fetcher(BackendError(401, "session", "Please log in again"))
    loop, scheduler, seen = loop_of(refused)
    loop.resume()
    await scheduler.settle()
    assert isinstance(seen[0], Failure) and seen[0].session_refused
    assert not loop.active and not loop.armed  # polling on would only be refused again


async def test_never_two_requests_at_once_and_an_answer_after_close_arms_nothing() -> None:
    fetch = Fetcher("x")
    fetch.gate = asyncio.Event()
    loop, scheduler, seen = loop_of(fetch)
    loop.resume()
    await asyncio.sleep(0)  # the task starts and waits at the gate
    loop.poll_now()
    loop.poll_now()
    assert fetch.calls == 1 and loop.in_flight
    loop.close()
    fetch.gate.set()
    await scheduler.settle()
    assert len(seen) == 1 and not loop.armed and not loop.in_flight


async def test_an_unexpected_error_is_a_failure_and_polling_goes_on() -> None:
    fetch = Fetcher(KeyError("bug"), "x")
    loop, scheduler, seen = loop_of(fetch, interval=1.0)
    loop.resume()
    await scheduler.settle()
    assert isinstance(seen[0], Failure) and seen[0].unexpected
    assert await scheduler.fire() == 2.0
    assert seen[-1] == Answer("x", True)


# Messages reaching a screen -----------------------------------------------------------------------


class PolledStub(Screen[None]):
    def __init__(self, fetch: Fetcher) -> None:
        super().__init__()
        self.poller = QueuePoller(self, "stub", fetch, interval=lambda: 0.05)
        self.answers: list[tuple[object, bool]] = []
        self.failures: list[Exception] = []

    def compose(self) -> ComposeResult:
        yield Static("stub")

    def on_mount(self) -> None:
        self.poller.resume()

    def on_unmount(self) -> None:
        self.poller.stop()

    def on_queue_changed(self, message: QueueChanged) -> None:
        self.answers.append((message.value, message.changed))

    def on_poll_failed(self, message: PollFailed) -> None:
        self.failures.append(message.error)


class StubApp(App[None]):
    def __init__(self, screen: PolledStub) -> None:
        super().__init__()
        self.stub = screen
        self.bubbled: list[str] = []

    def on_mount(self) -> None:
        self.push_screen(self.stub)

    def on_queue_changed(self, message: QueueChanged) -> None:
        self.bubbled.append(message.poll)


async def test_a_screens_poll_reaches_it_as_messages_and_they_bubble_to_the_app(
        caplog: pytest.LogCaptureFixture) -> None:
    value = ["same"]
    fetch = Fetcher(value, BackendUnavailable("down"), RuntimeError("bug in the list"), value)
    stub = PolledStub(fetch)
    app = StubApp(stub)
    with caplog.at_level(logging.ERROR, logger="storeassist_tui"):
        async with app.run_test() as pilot:
            await wait_for(pilot, lambda: len(stub.answers) >= 3)  # type: ignore[arg-type]
            assert stub.answers[:3] == [(value, True), (value, False), (value, False)]
            assert [type(e) for e in stub.failures] == [BackendUnavailable, RuntimeError]
            assert "stub" in app.bubbled  # the app keeps the app-wide part (online again)
    # The bug, not the outage, is in the log, with its traceback.
    bugs = [r for r in caplog.records if r.exc_info]
    assert len(bugs) == 1 and "bug in the list" in str(bugs[0].exc_info[1])  # type: ignore[index]


# The log file -------------------------------------------------------------------------------------


@pytest.fixture
def log_file(tmp_path: Path) -> Any:
    path = log_to_file(tmp_path / "log")
    yield path
    logger = logging.getLogger("storeassist_tui")
    for handler in logger.handlers[:]:
        logger.removeHandler(handler)
        handler.close()
    logger.propagate = True
    logger.setLevel(logging.NOTSET)


async def test_an_unexpected_error_is_one_line_on_screen_and_its_traceback_in_the_log(
        backend: BackendClient, log_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(number: str, store_id: str = "") -> Any:
        raise ZeroDivisionError("a bug in the look-up")

    monkeypatch.setattr(backend, "order_by_number", broken)
    app = StoreAssistApp(backend, poll_interval_s=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "pat", "1111")
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen) and app.screen.is_mounted)
        send_burst(app, "W00000018\r")
        await wait_for(pilot, lambda: "Something went wrong" in said(app))
        assert said(app) == "Something went wrong (ZeroDivisionError); please try again"
        assert isinstance(app.screen, HomeScreen) and app.is_running
    text = log_file.read_text()
    assert "Traceback (most recent call last)" in text
    assert "ZeroDivisionError: a bug in the look-up" in text and "entry failed on HomeScreen" in text


def test_the_log_file_rotates_and_its_directory_is_a_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             log_file: Path) -> None:
    from logging.handlers import RotatingFileHandler

    handlers = [h for h in logging.getLogger("storeassist_tui").handlers if isinstance(h, RotatingFileHandler)]
    assert len(handlers) == 1 and handlers[0].maxBytes > 0 and handlers[0].backupCount > 0
    assert log_file.name == LOG_FILE and log_file.parent == tmp_path / "log"
    log_to_file(tmp_path / "again")  # set up twice: one file at a time
    assert len([h for h in logging.getLogger("storeassist_tui").handlers if isinstance(h, RotatingFileHandler)]) == 1
    monkeypatch.setenv("STOREASSIST_LOG_DIR", str(tmp_path / "elsewhere"))
    assert Settings().resolved_log_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv("STOREASSIST_LOG_DIR")
    assert Settings().resolved_log_dir() == default_log_dir()
