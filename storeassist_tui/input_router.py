"""The App's input routing: every key and scan, in the order it came, to the screen it is for.

On a screen that takes scans the App hands each key here first. Printable keys go into the one
`ScanBuffer` (scanning.py says why it is one buffer fed from the App, not a field per screen);
a finished entry, or a screen key (F-keys, Esc, Enter with nothing typed), waits its turn in one
queue, and one consumer hands them to the screen current when their turn comes, one at a time.
While an entry waits for the backend, Esc stops the waiting rather than being kept as "back".
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from textual import events
from textual.css.query import NoMatches
from textual.timer import Timer

from storeassist_tui.client import MAX_SCANS, new_request_id
from storeassist_tui.scanning import END_KEYS, GS, Entry, KeyPress, ScanBuffer
from storeassist_tui.screens import Abandoned, StoreScreen
from storeassist_tui.widgets.scan import ScanField

if TYPE_CHECKING:
    from storeassist_tui.app import StoreAssistApp

T = TypeVar("T")
Item = Entry | KeyPress
SLOW_ANSWER_S = 1.0  # an answer later than this: the screen says it waits, and Esc stops it
LONE_KEY_WINDOW_S = 0.15  # a menu digit with no other key this soon after it is a key, not a scan
log = logging.getLogger(__name__)


class InputRouter:
    """The scan buffer, the queue of entries and keys, and its one consumer (`consume`)."""

    def __init__(self, app: StoreAssistApp, *, threshold_s: float) -> None:
        self.app = app
        self.scan_buffer = ScanBuffer(threshold_s=threshold_s)
        # Scans and actions, in the order they came; one consumer hands them to the current screen.
        self.queue: asyncio.Queue[Item] = asyncio.Queue()
        self.lone_key: Timer | None = None
        self.waiting = False  # an entry is waiting for the backend: Esc stops it
        self._echo_due = False  # the field is to be drawn once the keys waiting are taken (_echo_soon)
        self._started = False  # a first character came since the field was last drawn
        self._abandon = asyncio.Event()

    # Keys in ------------------------------------------------------------------------------------
    def take_key(self, event: events.Key | events.Paste) -> bool:
        """Feed the scan buffer, or queue the screen's key; True when the key was taken here."""
        screen = self.app.screen
        if not isinstance(screen, StoreScreen) or not screen.TAKES_SCANS:
            return False
        buf = self.scan_buffer
        shown = buf.shown
        if isinstance(event, events.Paste):
            for entry in buf.paste(event.text):
                self.queue_entry(entry)
            self.show_scan_buffer()
            return True
        key, char = event.key, event.character
        if key == "ctrl+q":
            return False  # quitting always works, typed or not
        if key in END_KEYS and not buf.empty:
            if (ended := buf.end(key, event.time)) is not None:
                self.queue_entry(ended)
        elif key in END_KEYS and buf.crlf_tail(key, event.time):
            pass  # the LF of a CR LF
        elif key == "backspace" and not buf.empty:
            buf.backspace(event.time)
        elif key == "escape" and not buf.empty:
            buf.clear()  # Esc first clears what was typed; with nothing typed it is the screen's Esc
        elif key == "escape" and self.waiting:
            self._abandon.set()  # stop waiting for the backend (the next Esc is the screen's)
        elif buf.empty and screen.LONE_KEYS and char and char.isprintable() and screen.action_for(key):
            self._maybe_lone_key(char, event.time)  # a menu digit, or the first of a scan
        elif char == GS or (event.is_printable and char and not (key == "space" and buf.empty)):
            self._started = self._started or buf.empty
            buf.add(char, event.time)
        elif char and not char.isprintable() and not buf.empty and key not in END_KEYS:
            pass  # a control character inside a scan (STX / ETX framing): dropped
        else:
            # Any other key (F-keys, arrows, Esc, Enter or Space with nothing typed): resolved
            # against the screen that is current when its turn comes, as that is the screen the
            # associate pressed it for once the scans before it have been handled.
            self.queue.put_nowait(KeyPress(key))
        if buf.shown != shown:  # redraw the field only when what it shows changed
            self._echo_soon()
        return True

    def _echo_soon(self) -> None:
        """Draw the field once the keys already waiting have been taken (Textual hands them over one
        at a time). A wedge's scan comes whole in one burst and has left the buffer by then: it is
        not drawn, nor does its first character clear the message that its answer replaces, so the
        terminal draws nothing while the scan's request runs. Typing is drawn key by key."""
        if not self._echo_due:
            self._echo_due = True
            self.app.call_later(self._echo)

    def _echo(self) -> None:
        self._echo_due = False
        screen = self.app.screen
        if self._started and not self.scan_buffer.empty and isinstance(screen, StoreScreen):
            screen.typing_started()
        self._started = False
        self.show_scan_buffer()

    def _maybe_lone_key(self, char: str, at: float) -> None:
        """On a screen whose menu keys are printable (home: 1-4, 0): the key waits in the buffer; if
        nothing follows within the window it was a key press, else it was the start of a scan."""
        buf = self.scan_buffer
        buf.add(char, at)
        stamp = buf.stamp
        if self.lone_key is not None:
            self.lone_key.stop()

        def fire() -> None:
            self.lone_key = None
            if buf.stamp == stamp and buf.text == char:
                buf.clear()
                self.show_scan_buffer()
                self.queue.put_nowait(KeyPress(char))

        self.lone_key = self.app.set_timer(LONE_KEY_WINDOW_S, fire, name="lone-key")

    def show_scan_buffer(self) -> None:
        try:  # query_one is cached by Textual; a query of every node per key was most of a key's cost
            scan_field = self.app.screen.query_one(ScanField)
        except NoMatches:
            return
        scan_field.show_buffer(self.scan_buffer.shown)

    # The queue ----------------------------------------------------------------------------------
    def queue_entry(self, entry: Entry) -> None:
        """An entry waits its turn; while the backend is away, the request it will make is kept in
        the journal first, so that quitting or a crash now loses nothing."""
        if self.waiting or self.app.offline_since is not None:
            entry = self._held(entry)
        self.queue.put_nowait(entry)

    def _held(self, entry: Entry) -> Entry:
        screen = self.app.screen
        if entry.request_id or not isinstance(screen, StoreScreen):
            return entry
        if (held := screen.held_request(entry)) is None:
            return entry
        rid = new_request_id()
        self.app.client.hold(rid, *held)
        return dataclasses.replace(entry, request_id=rid)

    def _requeue(self, change: Callable[[list[Item]], list[Item]]) -> None:
        """Rewrite what waits its turn (nothing can come in between: this runs on the event loop)."""
        items: list[Item] = []
        while not self.queue.empty():
            items.append(self.queue.get_nowait())
        for item in change(items):
            self.queue.put_nowait(item)

    def _take_queued_escape(self) -> bool:
        """Remove the first Esc waiting its turn (the rest keep their order); True if there was one."""
        found: list[bool] = []

        def without_escape(items: list[Item]) -> list[Item]:
            if KeyPress("escape") in items:
                items.remove(KeyPress("escape"))
                found.append(True)
            return items

        self._requeue(without_escape)
        return bool(found)

    def hold_waiting_entries(self) -> None:
        """The backend went away: the entries already waiting their turn are kept in the journal."""
        self._requeue(lambda items: [self._held(i) if isinstance(i, Entry) else i for i in items])

    def drop_pending_entries(self) -> int:
        """Forget the scans still waiting their turn (after an abandoned retry, or a logout)."""
        before = self.queue.qsize()
        self._requeue(lambda items: [i for i in items if not isinstance(i, Entry)])
        return before - self.queue.qsize()

    @property
    def waiting_inputs(self) -> int:
        return self.queue.qsize()

    # Waiting for the backend --------------------------------------------------------------------
    def stop_waiting(self) -> None:
        """Whatever waits for the backend stops (the session ended)."""
        if self.waiting:
            self._abandon.set()

    async def wait_or_abandon(self, delay: float) -> bool:
        """Sleep `delay` before the next retry; True if the associate stopped waiting meanwhile."""
        if self._take_queued_escape():
            return True  # Esc came while the failed try was under way
        self.waiting = True
        try:
            await asyncio.wait_for(self._abandon.wait(), delay)
        except TimeoutError:
            return False
        finally:
            self.waiting = False
        self._abandon.clear()
        return True

    async def answer_or_abandon(self, call: Awaitable[T], slow: Callable[[], None], what: str) -> T:
        """The backend's answer to `call`; when it is late, `slow()` says so and Esc stops waiting
        (the request is cancelled here; what may have reached the backend is voided, app-wide)."""
        task = asyncio.ensure_future(call)
        try:
            return await self._answer_or_abandon(task, slow, what)
        except asyncio.CancelledError:
            task.cancel()  # the app is going: the request stays in the journal, unanswered
            raise

    async def _answer_or_abandon(self, task: asyncio.Future[T], slow: Callable[[], None], what: str) -> T:
        done, _ = await asyncio.wait({task}, timeout=SLOW_ANSWER_S)
        if not done:
            slow()
            self.app.client.keep_unsettled()
            self.hold_waiting_entries()
            self._abandon.clear()
            if self._take_queued_escape():
                self._abandon.set()  # Esc pressed while the answer was due: it meant stop waiting
            stop = asyncio.ensure_future(self._abandon.wait())
            self.waiting = True
            try:
                either: set[asyncio.Future[Any]] = {task, stop}
                finished, _ = await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
            finally:
                self.waiting = False
                stop.cancel()
            if task not in finished:
                self._abandon.clear()
                task.cancel()
                raise Abandoned(what)
        return task.result()

    # Scans waiting together ------------------------------------------------------------------
    def _together(self, screen: StoreScreen, entry: Entry) -> list[Entry]:
        """The entries right behind `entry` in the queue that the screen takes with it in one go (a
        wedge's burst on the walk: one request for many scans), taken out of the queue."""
        if not screen.takes_together(entry):
            return []
        taken: list[Entry] = []

        def take(items: list[Item]) -> list[Item]:
            for item in items:
                if len(taken) + 1 >= MAX_SCANS or not isinstance(item, Entry) or not screen.takes_together(item):
                    break
                taken.append(item)
            return items[len(taken):]

        self._requeue(take)
        return taken

    async def _handle_together(self, screen: StoreScreen, entries: list[Entry]) -> None:
        try:
            left = await screen.handle_entries(entries)
        except Abandoned:
            # Put back behind the first, so that "Not saved: scan ... and N more" counts them all.
            self._requeue(lambda items: [*entries[1:], *items])
            raise
        if self.app.session is not None:  # (a log-out meanwhile dropped what was waiting)
            self._requeue(lambda items: [*left, *items])  # their turn comes next, one by one or together

    # The one consumer ---------------------------------------------------------------------------
    async def consume(self) -> None:
        """One at a time: each scan or key goes to the screen current when its turn comes, after
        the previous one has finished (including any screen it opened)."""
        app = self.app
        while True:
            item = await self.queue.get()
            screen = app.screen
            if not isinstance(screen, StoreScreen) or not screen.TAKES_SCANS:
                continue  # e.g. logged out meanwhile: the login screen takes no scans
            try:
                action = screen.action_for(item.key) if isinstance(item, KeyPress) else None
                screen.before_input(action)
                if isinstance(item, KeyPress):
                    if action is not None:
                        await screen.run_action(action)
                elif together := self._together(screen, item):
                    await self._handle_together(screen, [item, *together])
                else:
                    await screen.handle_entry(item)
            except Abandoned as exc:
                app.stopped_waiting(screen, exc.what)
            except Exception as exc:  # a failed entry is one line, never the end of the app
                log.exception("%s failed on %s", "key " + item.key if isinstance(item, KeyPress) else "entry",
                              type(screen).__name__)
                shown = app.screen  # the entry may have opened another screen before it failed
                target = shown if isinstance(shown, StoreScreen) else screen
                if target.is_attached:
                    target.fail(exc)
            client = app.client
            if isinstance(item, Entry) and (req := client.unsettled.get(item.request_id)) and not req.sent:
                client.settle(item.request_id)  # the entry made no request (a typed quantity...)
            if client.void_news:
                app.show_void_news()
            # What the associate did is on screen in the next frame, at once; scans still waiting
            # (a burst) are shown together at Textual's usual pace, then the last one at once.
            if self.queue.empty() and isinstance(shown := app.screen, StoreScreen):
                shown.show_at_once()
