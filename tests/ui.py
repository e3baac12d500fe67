"""Driving the real app like an associate: what the screen shows, keys, bursts, a cut network."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any

import httpx
from rich.console import Console
from rich.segment import Segment
from textual import events
from textual.pilot import Pilot
from textual.screen import Screen

from storeassist_tui.app import StoreAssistApp
from storeassist_tui.widgets.bars import MessageBar

STORE = "demo-001"


# What the user sees -----------------------------------------------------------------------------

def render_segments(app: StoreAssistApp) -> list[Segment]:
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="standard", legacy_windows=False)
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    return list(console.render(update))


def screen_text(app: StoreAssistApp) -> str:
    """The whole screen as plain text, one line per terminal row."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, record=True,
                      color_system=None, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


def screen_lines(app: StoreAssistApp) -> list[str]:
    return [line.rstrip() for line in screen_text(app).splitlines()]


def styled(app: StoreAssistApp, needle: str) -> list[Segment]:
    """The drawn segments whose text contains `needle`."""
    return [s for s in render_segments(app) if not s.control and needle in s.text]


def said(app: StoreAssistApp) -> str:
    """What the current screen's message line says, in full: its longest form, however much of it
    this width shows (a short form, or wrapped onto two rows). "" when it has no message line."""
    bars = app.screen.query(MessageBar)
    return bars.first().text if bars else ""


def lines_of(app: StoreAssistApp, selector: str) -> list[str]:
    """What the screen shows inside the widget `selector` only (its region of the drawn screen),
    so that the same words on the message line or in a banner do not count. [] while the
    screen has not mounted the widget yet (a wait may look before the screen is composed)."""
    found = app.screen.query(selector)
    if not found:
        return []
    region = found.first().region
    rows = screen_text(app).splitlines()[region.y:region.bottom]
    return [row[region.x:region.right].rstrip() for row in rows]


def on_screen(app: StoreAssistApp, screen: type[Screen[Any]], says: str = "", shows: str = "") -> Callable[[], bool]:
    """A condition for wait_for: the current screen is a `screen`, its message line says `says`
    and the drawn screen contains `shows`. Waiting on a word alone can be met by the screen just
    left (every screen has a title, keys and messages); the type makes the wait mean one screen."""
    return lambda: (isinstance(app.screen, screen) and app.screen.is_mounted
                    and says in said(app) and shows in screen_text(app))


def inputs_drained(app: StoreAssistApp) -> bool:
    """Every key and scan the app has taken so far has been handled to the end: nothing in the
    scan buffer or waiting as a lone menu key, nothing in the input queue, and its one consumer
    waiting for the next item rather than in the middle of one (a request, a screen opening)."""
    inputs = app.inputs
    queue = inputs.queue
    consumer_waiting = any(not f.done() for f in getattr(queue, "_getters", ()))
    return inputs.scan_buffer.empty and inputs.lone_key is None and queue.empty() and consumer_waiting


async def drained(pilot: Pilot[None], timeout: float = 5.0) -> None:
    """Wait until every key sent so far has been handled (see inputs_drained): the point after
    which "that key did nothing" can be asserted, without sleeping and hoping."""
    await pilot.pause()  # the key events posted so far reach the app's handlers first
    await wait_for(pilot, lambda: inputs_drained(pilot.app), timeout)  # type: ignore[arg-type]


async def wait_for(pilot: Pilot[None], what: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out; screen:\n{screen_text(pilot.app)}")  # type: ignore[arg-type]
        await pilot.pause(0.02)


async def type_text(pilot: Pilot[None], text: str) -> None:
    await pilot.press(*text)


async def log_in(pilot: Pilot[None], user: str, pin: str) -> None:
    await type_text(pilot, user)
    await pilot.press("enter")
    await type_text(pilot, pin)
    await pilot.press("enter")


def send_burst(app: StoreAssistApp, text: str) -> None:
    """Keys as a scanner or an SSH burst delivers them: all queued at once, no waiting for idle
    in between (Pilot.press waits after every key, so it cannot show burst bugs)."""
    for ch in text:
        key = {"\r": "enter", "\n": "ctrl+j"}.get(ch, ch)
        app.post_message(events.Key(key, ch if ch.isprintable() else None))


class SwitchableTransport(httpx.AsyncBaseTransport):
    """A real transport to the backend that can be cut: while `down`, every request fails with
    httpx.ConnectError, as when the store Wi-Fi or the server goes away. While `lose_answers`,
    the request reaches the backend (and is committed) but the answer is lost on the way back."""

    def __init__(self, inner: httpx.AsyncBaseTransport, down: bool = False) -> None:
        self.inner, self.down, self.calls = inner, down, 0
        self.paths: list[str] = []  # what was asked, in order
        self.lose_answers = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        self.paths.append(request.url.path)
        if self.down:
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        response = await self.inner.handle_async_request(request)
        if self.lose_answers:
            await response.aread()
            raise httpx.ReadError("connection reset by peer", request=request)
        return response
