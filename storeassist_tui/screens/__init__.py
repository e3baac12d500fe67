"""Textual screens. They show state and turn keys and scans into calls on `self.app.client`;
they never touch a database and hold no business rules.

`StoreScreen` is the base every screen uses. Compose `TitleBar(...)`, then the body as
`Vertical(id="body")`, then `bottom_bars(hints)` (message bar over key bar): the title is docked
at the top and the bars at the bottom, so at 20x8 the body is clipped, never the keys. Report
with `say()` / `fail()` (one line; `fail` rings the bell). Give the body's blank or optional part
the class "flex" (height 1fr): a long message may take a second row from it on a narrow screen,
and never from anything else.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePath

# The terminal recipe: these must be set before Textual is first imported (any import order).
os.environ.setdefault("TEXTUAL_DISABLE_KITTY_KEY", "1")
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
os.environ.setdefault("ESCDELAY", "400")

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from textual.binding import Binding
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widget import Widget

from storeassist_tui.barcodes import is_item_code
from storeassist_tui.client import CANCELED_BY_PLATFORM, BackendError, BackendUnavailable, OrderDetail
from storeassist_tui.order_status import word
from storeassist_tui.scanning import Entry
from storeassist_tui.widgets import Banner, Hint, KeyBar, MessageBar, Quote, clip

if TYPE_CHECKING:
    from storeassist_tui.app import StoreAssistApp

T = TypeVar("T")
RETRY_DELAYS_S = (0.5, 1.0, 2.0, 4.0, 5.0)


class Abandoned(Exception):
    """The associate stopped waiting for the backend (Esc while offline), or the session ended:
    what was being retried was not saved, and the App says so."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


def list_keys() -> list[Binding]:
    """The keys of every list screen: Up/Down a row, PgUp/PgDn a page, Home/End the ends
    (each screen has `action_move(delta)` and `action_page(direction)`)."""
    return [
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("home", "move(-1000000000)", show=False),
        Binding("end", "move(1000000000)", show=False),
    ]


def bottom_bars(hints: Sequence[Hint], scan_field: Widget | None = None) -> Vertical:
    """The message bar over the key bar, docked at the bottom: always on screen, whatever the body;
    a screen that takes scans puts its scan field on top of them, so it is never clipped either."""
    parts = [scan_field] if scan_field is not None else []
    return Vertical(Banner(id="banner"), *parts, MessageBar(id="message"), KeyBar(hints), id="bottom")


def screen_css(module_file: str | None = None) -> list[str | PurePath]:
    """A screen's `CSS_PATH`: `store_screen.tcss` (every screen's layout), then the `.tcss` named
    after `module_file`, next to it. Textual reads only the class's own `CSS_PATH`, not its bases'
    (unlike `DEFAULT_CSS`), and resolves a relative path from the file of the instantiated class,
    so the base's file is listed in every screen's, and both paths are absolute."""
    paths: list[str | PurePath] = [Path(__file__).with_name("store_screen.tcss")]
    if module_file is not None:
        paths.append(Path(module_file).with_suffix(".tcss"))
    return paths


class StoreScreen(Screen[None]):
    """A screen of the app: title bar (docked top), body, `bottom_bars` (docked bottom).

    The body is clipped, never the bars: at 20x8 the key hints stay visible.
    """

    CSS_PATH = screen_css()

    # A screen that takes scans sets this: the App's scan buffer then gets every printable key,
    # and each finished entry is awaited in `handle_entry`, one at a time.
    TAKES_SCANS: ClassVar[bool] = False
    # Printable keys are the screen's menu keys (home's 1-4, 0): a lone one is a key press, one
    # followed at once by more characters is the start of a scan.
    LONE_KEYS: ClassVar[bool] = False

    _show_at_once = False

    @property
    def store_app(self) -> StoreAssistApp:
        return cast("StoreAssistApp", self.app)

    def show_at_once(self) -> None:
        """Write the next frame as soon as the changes just made reach the screen, rather than at the
        next of Textual's 60 Hz ticks (up to 16.7 ms later): for what the associate just did."""
        self._show_at_once = True

    def on_idle(self) -> None:
        # Runs before Textual's own idle handler of the screen, which would start its update timer
        # (the 60 Hz tick) for the widgets that changed. Textual has no public call that writes a
        # frame now; `_on_timer_update` is the tick's own body, which Textual's test pilot calls
        # the same way. With nothing changed it writes nothing.
        if self._show_at_once:
            self._show_at_once = False
            self._on_timer_update()

    async def handle_entry(self, entry: Entry) -> None:
        """A scan or typed code for this screen (called by the App, one at a time)."""
        self.fail("Nothing to scan on this screen")

    def takes_together(self, entry: Entry) -> bool:
        """Whether `entry`, waiting its turn right behind others this is true of, may be handled
        with them in one go (`handle_entries`): scans that each mean the same alone or together."""
        return False

    async def handle_entries(self, entries: list[Entry]) -> list[Entry]:
        """Entries that waited their turn together (`takes_together`), handled as each would have
        been alone, in order; returns those left to be handled one by one, next."""
        await self.handle_entry(entries[0])
        return entries[1:]

    async def find_order(self, number: str) -> OrderDetail | None:
        """The order of a scanned or typed number in this terminal's store; None when there is none
        (said on the message line: an item code gets "That is an item")."""
        try:
            return await self.store_app.client.order_by_number(number, self.store_app.store_id)
        except BackendError as exc:
            if exc.status != 404:
                self.fail(exc)
            elif is_item_code(number):
                self.fail(("That is an item: scan the order's number", "That is an item code", "Item, not order"))
            else:
                self.fail(f"No order {clip(number, Quote.NAME)} in this store")
            return None

    async def show_order(self, order: OrderDetail) -> None:
        """An order found elsewhere (scanned on home) for this module: each module shows it its way."""
        self.fail(f"Order {order.number} is {word(order.status)}")

    def action_for(self, key: str) -> str | None:
        """The action this screen binds to `key` (on scan screens the App runs it in turn)."""
        for binding in self.BINDINGS:
            if isinstance(binding, Binding) and key in (k.strip() for k in binding.key.split(",")):
                return binding.action
        return None

    def held_request(self, entry: Entry) -> tuple[str, dict[str, Any], str] | None:
        """The request (path, body, what) this entry will make, if it is one the terminal keeps in
        its journal while the backend is away (a scan on the walk); None otherwise."""
        return None

    async def until_committed(self, call: Callable[[], Awaitable[T]], what: str) -> T:
        """`call` until the backend answers. While it cannot be reached, say so and retry the same
        request (the caller fixed its request id, so a retry never does it twice); a refusal
        (BackendError) is raised to the caller. Scans that come meanwhile wait their turn. Esc
        stops the waiting at any moment (Abandoned): during a pause, or while an answer is late."""
        tries = 0
        app = self.store_app
        token = app.client.token
        while True:
            if tries and (not self.is_attached or app.session is None or app.client.token != token):
                raise Abandoned(what)  # logged out meanwhile: never retry with someone else's session
            try:
                result = await app.inputs.answer_or_abandon(call(), lambda: self._say_waiting(what), what)
            except BackendUnavailable as exc:
                since = f"{app.note_offline():%H:%M}"
                app.inputs.hold_waiting_entries()
                waiting = app.inputs.waiting_inputs
                more = f"; {waiting} more waiting" if waiting else ""
                self.fail([f"Offline since {since}: {what} not saved yet, retrying{more} (Esc stops)",
                           f"Offline {since}: {what} not saved, retrying{more}",
                           f"Offline: retrying {what}{more}"], kind="offline", bell=tries == 0)
                self.log.warning(f"{what}: {exc}")
                if await app.inputs.wait_or_abandon(RETRY_DELAYS_S[min(tries, len(RETRY_DELAYS_S) - 1)]):
                    raise Abandoned(what) from None
                tries += 1
                continue
            if tries:
                self.store_app.note_online()
                if bar := self.message_bar:
                    bar.clear("offline")
            return result

    def _say_waiting(self, what: str) -> None:
        self.fail([f"Waiting for the backend: {what} not saved yet (Esc stops)",
                   f"Waiting: {what} not saved yet (Esc stops)", f"Waiting: {what} (Esc stops)",
                   "Waiting (Esc stops)", "Waiting: Esc stops"], kind="offline", bell=False)

    @property
    def message_bar(self) -> MessageBar | None:
        try:
            return self.query_one(MessageBar)
        except NoMatches:
            return None

    def say(self, text: str | Sequence[str], *, kind: str = "") -> None:
        """Information on the message line (bold); `text` may be forms, longest first."""
        if bar := self.message_bar:
            bar.show(text, kind=kind)

    def ask(self, text: str | Sequence[str], *, kind: str = "prompt", bell: bool = False) -> None:
        """A question on the message line: in full on up to 2-3 rows rather than cut short."""
        if bar := self.message_bar:
            bar.show(text, error=bell, kind=kind, wrap=True)
        if bell:
            self.app.bell()

    def before_input(self, action: str | None) -> None:
        """Called before each scan (`action` None) or key (its action) is handed to this screen."""

    def typing_started(self) -> None:
        """The first character of a scan or of typing: the last message has been read; a question
        (its answer may be what is being typed) and the offline line stay."""
        if (bar := self.message_bar) and bar.kind not in ("offline", "prompt", "confirm"):
            bar.clear()

    def fail(self, error: BaseException | str | Sequence[str], *, kind: str = "", bell: bool = True) -> None:
        """An error on the message line (bold reverse video) and the bell; never a traceback.
        A session the backend no longer accepts (expired, revoked) logs out with its message."""
        if isinstance(error, BackendError) and error.status == 401 and self.store_app.session is not None:
            self.store_app.request_logout(error.message, error=True)
            return
        text = self.store_app.error_forms(error) if isinstance(error, BaseException) else error
        if bar := self.message_bar:
            bar.show(text, error=True, kind=kind)
        if bell:
            self.app.bell()

    async def leave_if_canceled(self, error: BaseException) -> bool:
        """The store system (the commerce platform) cancelled the order this screen works on: say
        so with the bell on the screen below (the queue) and go back to it. False for any other error."""
        if not (isinstance(error, BackendError) and error.code == CANCELED_BY_PLATFORM):
            return False
        self.app.bell()
        if self.is_current:
            await self.app.pop_screen()
        below = self.app.screen
        if isinstance(below, StoreScreen):
            below.fail(error.message, bell=False)
        return True

    def on_screen_resume(self) -> None:
        """Shown again: the arrival banner still current is shown here too (every screen has it)."""
        self.store_app.arrival_banner.show_on(self)

    def on_resize(self) -> None:
        # The bars take more rows on a tall screen: re-lay them out when only the height changed.
        for bar in self.query(KeyBar):
            bar.relayout()
        for message in self.query(MessageBar):
            message.relayout()


__all__ = ["Abandoned", "StoreScreen", "bottom_bars", "list_keys"]
