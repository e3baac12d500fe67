"""StoreAssistApp: the Textual shell - login, home, and the place module screens plug into.

Made for rugged scanner terminals (VT100/VT220, 20x16 to 80x24) and SSH: keyboard only, ANSI
theme, ASCII only, no borders, no scrollbars, no blinking caret, no animations. The cli runs it
with `app.run(mouse=False)`.
"""

from __future__ import annotations

import os

# The terminal recipe (reference/terminal-recipe.md): set before Textual is first imported.
os.environ.setdefault("TEXTUAL_DISABLE_KITTY_KEY", "1")  # also fixes VT220 F13-F20
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
os.environ.setdefault("ESCDELAY", "400")  # an F-key split by network jitter must not become Esc

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from textual import events
from textual.app import App
from textual.screen import Screen
from textual.timer import Timer

from storeassist_tui.client import (
    BackendClient,
    BackendError,
    BackendUnavailable,
    DemoCredential,
    Session,
    StoreInfo,
    VoidResult,
    new_request_id,
)
from storeassist_tui.journal import Journal
from storeassist_tui.scanning import END_KEYS, GS, Entry, ScanBuffer
from storeassist_tui.screens import Abandoned, StoreScreen
from storeassist_tui.screens.arrivals import ArrivalBanner, banner_forms
from storeassist_tui.screens.handoff import HandoffScreen
from storeassist_tui.screens.home import HomeScreen
from storeassist_tui.screens.login import LoginScreen
from storeassist_tui.screens.orders import OrdersScreen
from storeassist_tui.screens.pick_queue import PickQueueScreen
from storeassist_tui.screens.stage import StageScreen
from storeassist_tui.services.arrivals import ArrivalWatch
from storeassist_tui.services.messages import ArrivalsChanged, CustomersArrived, PollFailed, QueueChanged
from storeassist_tui.widgets.scan import ScanField

ModuleFactory = Callable[[], Screen[Any]]
T = TypeVar("T")
SLOW_ANSWER_S = 1.0  # an answer later than this: the screen says it waits, and Esc stops it
VOID_RETRY_S = (1.0, 2.0, 4.0, 8.0, 15.0)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeyPress:
    """A screen key (F4, Enter with nothing typed, Esc...) on a screen that takes scans: run in
    turn with the scans around it, on the screen current at its turn ("scan, scan, F4" in one
    burst finishes after both scans, on the walk the first scan opened)."""

    key: str


LONE_KEY_WINDOW_S = 0.15  # a menu digit with no other key this soon after it is a key, not a scan


class StoreAssistApp(App[None]):
    """The terminal app. `client` is the only way to the backend; screens call `app.client`."""

    TITLE = "Store Assist"
    ENABLE_COMMAND_PALETTE = False
    # Textual declares these as instance variables; ClassVar would contradict it.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (40, "-medium"), (80, "-wide")]  # noqa: RUF012
    VERTICAL_BREAKPOINTS = [(0, "-short"), (12, "-tall")]  # noqa: RUF012

    CSS = """
    * { scrollbar-size: 0 0; }
    Screen { overflow: hidden; background: ansi_default; color: ansi_default; }
    """

    def __init__(
        self, client: BackendClient, *, store_id: str = "", demo: bool = False, poll_interval_s: float = 2.0,
        inactivity_logout_s: float = 600, scan_threshold_ms: float = 40, journal_dir: Path | None = None,
    ) -> None:
        super().__init__(ansi_color=True)
        self.theme = "ansi-dark"
        self.client = client
        self.configured_store_id = store_id
        self.store_id = store_id
        self.demo = demo
        self.poll_interval_s = poll_interval_s
        self.inactivity_logout_s = inactivity_logout_s
        self.session: Session | None = None
        self.offline_since: datetime | None = None
        self.modules: dict[str, ModuleFactory] = {
            "pick": PickQueueScreen, "stage": StageScreen, "handoff": HandoffScreen, "orders": OrdersScreen,
        }
        self.arrivals = ArrivalWatch(self, self)
        self.arrival_banner = ArrivalBanner(self)
        self._store_info: tuple[float, StoreInfo] | None = None
        self._demo_credentials: list[DemoCredential] | None = None
        self._last_activity = time.monotonic()
        self._inactivity_timer: Timer | None = None
        self.scan_buffer = ScanBuffer(threshold_s=scan_threshold_ms / 1000)
        # Scans and actions, in the order they came; one consumer hands them to the current screen.
        self.inputs: asyncio.Queue[Entry | KeyPress] = asyncio.Queue()
        self._lone_key: Timer | None = None
        self.waiting = False  # an entry is waiting for the backend: Esc stops it
        self._abandon = asyncio.Event()
        self.journal_dir = journal_dir  # where unanswered requests survive a quit or crash

    # Start-up
    def on_mount(self) -> None:
        self.run_worker(self._consume_inputs(), group="inputs", exit_on_error=False)
        self.push_screen(LoginScreen())

    def on_unmount(self) -> None:
        self._stop_arrivals()  # their re-armed timers must not outlive the app

    def _stop_arrivals(self) -> None:
        self.arrivals.stop()
        self.arrival_banner.stop()

    # What the services post (services/messages.py), after the screen shown has had them: the
    # app-wide part. A poll that answered means the backend is back; a 401 ends the session.
    def on_queue_changed(self, message: QueueChanged) -> None:
        self.note_online()

    def on_arrivals_changed(self, message: ArrivalsChanged) -> None:
        self.note_online()

    def on_poll_failed(self, message: PollFailed) -> None:
        error = message.error
        if isinstance(error, BackendError) and error.status == 401 and self.session is not None:
            self.request_logout(error.message, error=True)

    def on_customers_arrived(self, message: CustomersArrived) -> None:
        if self.session is not None:
            self.arrival_banner.announce(banner_forms(message.arrived, message.waiting))

    # Every key (and paste) counts as activity, whichever widget ends up handling it. On a screen
    # that takes scans, the scan buffer gets the key first (widgets/scan.py says why here).
    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.Paste)):
            self._last_activity = time.monotonic()
            if not event.is_forwarded and self._scan_key(event):
                return
        await super().on_event(event)

    # The scan path ------------------------------------------------------------------------------
    def _scan_key(self, event: events.Key | events.Paste) -> bool:
        """Feed the scan buffer, or queue the screen's key; True when the key was taken here."""
        screen = self.screen
        if not isinstance(screen, StoreScreen) or not screen.TAKES_SCANS:
            return False
        buf = self.scan_buffer
        shown = buf.shown
        if isinstance(event, events.Paste):
            for entry in buf.paste(event.text):
                self._queue_entry(entry)
            self.show_scan_buffer()
            return True
        key, char = event.key, event.character
        if key == "ctrl+q":
            return False  # quitting always works, typed or not
        if key in END_KEYS and not buf.empty:
            if (ended := buf.end(key, event.time)) is not None:
                self._queue_entry(ended)
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
            if buf.empty:
                screen.typing_started()
            buf.add(char, event.time)
        elif char and not char.isprintable() and not buf.empty and key not in END_KEYS:
            pass  # a control character inside a scan (STX / ETX framing): dropped
        else:
            # Any other key (F-keys, arrows, Esc, Enter or Space with nothing typed): resolved
            # against the screen that is current when its turn comes, as that is the screen the
            # associate pressed it for once the scans before it have been handled.
            self.inputs.put_nowait(KeyPress(key))
        if buf.shown != shown:  # redraw the field only when what it shows changed
            self.show_scan_buffer()
        return True

    def _queue_entry(self, entry: Entry) -> None:
        """An entry waits its turn; while the backend is away, the request it will make is kept in
        the journal first, so that quitting or a crash now loses nothing."""
        if self.waiting or self.offline_since is not None:
            entry = self._held(entry)
        self.inputs.put_nowait(entry)

    def _held(self, entry: Entry) -> Entry:
        screen = self.screen
        if entry.request_id or not isinstance(screen, StoreScreen):
            return entry
        if (held := screen.held_request(entry)) is None:
            return entry
        rid = new_request_id()
        self.client.hold(rid, *held)
        return dataclasses.replace(entry, request_id=rid)

    def _requeue(self, change: Callable[[list[Entry | KeyPress]], list[Entry | KeyPress]]) -> None:
        """Rewrite what waits its turn (nothing can come in between: this runs on the event loop)."""
        items: list[Entry | KeyPress] = []
        while not self.inputs.empty():
            items.append(self.inputs.get_nowait())
        for item in change(items):
            self.inputs.put_nowait(item)

    def _take_queued_escape(self) -> bool:
        """Remove the first Esc waiting its turn (the rest keep their order); True if there was one."""
        found: list[bool] = []

        def without_escape(items: list[Entry | KeyPress]) -> list[Entry | KeyPress]:
            if KeyPress("escape") in items:
                items.remove(KeyPress("escape"))
                found.append(True)
            return items

        self._requeue(without_escape)
        return bool(found)

    def hold_waiting_entries(self) -> None:
        """The backend went away: the entries already waiting their turn are kept in the journal."""
        self._requeue(lambda items: [self._held(i) if isinstance(i, Entry) else i for i in items])

    def _maybe_lone_key(self, char: str, at: float) -> None:
        """On a screen whose menu keys are printable (home: 1-4, 0): the key waits in the buffer; if
        nothing follows within the window it was a key press, else it was the start of a scan."""
        buf = self.scan_buffer
        buf.add(char, at)
        stamp = buf.stamp
        if self._lone_key is not None:
            self._lone_key.stop()

        def fire() -> None:
            self._lone_key = None
            if buf.stamp == stamp and buf.text == char:
                buf.clear()
                self.show_scan_buffer()
                self.inputs.put_nowait(KeyPress(char))

        self._lone_key = self.set_timer(LONE_KEY_WINDOW_S, fire, name="lone-key")

    def show_scan_buffer(self) -> None:
        for scan_field in self.screen.query(ScanField):
            scan_field.show_buffer(self.scan_buffer.shown)

    @property
    def waiting_inputs(self) -> int:
        return self.inputs.qsize()

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
            self.client.keep_unsettled()
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

    def drop_pending_entries(self) -> int:
        """Forget the scans still waiting their turn (after an abandoned retry, or a logout)."""
        before = self.inputs.qsize()
        self._requeue(lambda items: [i for i in items if not isinstance(i, Entry)])
        return before - self.inputs.qsize()

    async def _consume_inputs(self) -> None:
        """One at a time: each scan or key goes to the screen current when its turn comes, after
        the previous one has finished (including any screen it opened)."""
        while True:
            item = await self.inputs.get()
            screen = self.screen
            if not isinstance(screen, StoreScreen) or not screen.TAKES_SCANS:
                continue  # e.g. logged out meanwhile: the login screen takes no scans
            try:
                action = screen.action_for(item.key) if isinstance(item, KeyPress) else None
                screen.before_input(action)
                if isinstance(item, KeyPress):
                    if action is not None:
                        await screen.run_action(action)
                else:
                    await screen.handle_entry(item)
            except Abandoned as exc:
                self._stopped_waiting(screen, exc.what)
            except Exception as exc:  # a failed entry is one line, never the end of the app
                log.exception("%s failed on %s", "key " + item.key if isinstance(item, KeyPress) else "entry",
                              type(screen).__name__)
                shown = self.screen  # the entry may have opened another screen before it failed
                target = shown if isinstance(shown, StoreScreen) else screen
                if target.is_attached:
                    target.fail(exc)
            if isinstance(item, Entry) and (req := self.client.unsettled.get(item.request_id)) and not req.sent:
                self.client.settle(item.request_id)  # the entry made no request (a typed quantity...)
            if self.client.void_news:
                self._show_void_news()

    def _stopped_waiting(self, screen: StoreScreen, what: str) -> None:
        """The associate stopped waiting: every unanswered request is stopped; one that may have
        reached the backend is voided before anything else is sent, so "Not saved" stays true."""
        stopped = self.client.abandon()
        dropped = self.drop_pending_entries()
        unsure = [r.what for r in stopped if r.sent and not r.what.startswith("scan")]
        if self.client.journal.voids:
            self.run_worker(self._send_voids(), group="voids", exclusive=True, exit_on_error=False)
        if not screen.is_attached:
            return
        if unsure:
            screen.fail([f"Stopped waiting: {unsure[0]} is checked when the backend is back",
                         f"Stopped: {unsure[0]} checked later", "Stopped waiting"], kind="offline")
            return
        more = f" and {dropped} more scans" if dropped else ""
        code = what.removeprefix("scan ")
        screen.fail([f"Not saved: {what}{more}. Scan again when the backend is back",
                     f"Not saved: {what}{more}; scan again later", f"Not saved: {what}{more}; scan again",
                     f"Not saved: {code}{more}", f"Not saved {code}", "Not saved"], kind="offline")

    async def _send_voids(self) -> None:
        """Voids owed to the backend, sent as soon as it answers (and before any other request)."""
        session = self.session
        for delay in (0.0, *VOID_RETRY_S, *[VOID_RETRY_S[-1]] * 1000):
            if self.session is not session or session is None or not self.client.journal.voids:
                return
            if delay:
                await asyncio.sleep(delay)
            try:
                self.client.void_news.extend(await self.client.flush_voids())
            except (BackendUnavailable, BackendError):
                continue
            self._show_void_news()

    def _show_void_news(self) -> None:
        """A void that found its request done and could not take it back: said, with the bell."""
        news: list[VoidResult] = self.client.void_news[:]
        self.client.void_news.clear()
        screen = self.screen
        for result in news:
            if result.saved and isinstance(screen, StoreScreen):
                screen.fail(result.message)

    async def _replay_journal(self) -> None:
        """What this associate's journal kept from before (the app quit or crashed while waiting):
        sent again in order, once each, as soon as the backend answers; home says what became of it."""
        session = self.session
        for delay in (0.0, *VOID_RETRY_S, *[VOID_RETRY_S[-1]] * 1000):
            if self.session is not session or session is None:
                return
            if delay:
                await asyncio.sleep(delay)
            try:
                outcomes = await self.client.replay()
            except (BackendUnavailable, BackendError):
                continue
            self._show_void_news()
            if not outcomes:
                return
            # Said on the screen the associate now sees: the switch to home may still be under way.
            for _ in range(100):
                if not isinstance(self.screen, LoginScreen) and self.screen.is_mounted:
                    break
                await asyncio.sleep(0.05)
            refused = [(r, msg) for r, msg in outcomes if msg]
            n = len(outcomes)
            scans = all(r.what.startswith("scan") for r, _ in outcomes)
            noun = ("scan" if n == 1 else "scans") if scans else ("step" if n == 1 else "steps")
            screen = self.screen
            if not isinstance(screen, StoreScreen):
                return
            if refused:
                req, msg = refused[0]
                screen.fail([f"Kept from before: {n - len(refused)} of {n} {noun} saved; {req.what}: {msg}",
                             f"Kept {noun}: {n - len(refused)}/{n} saved; {msg}", f"Kept: {n - len(refused)}/{n}"])
            else:
                screen.say([f"Kept from before: {n} {noun} sent and saved", f"Kept from before: {n} saved",
                            f"Kept: {n} saved"])
            return

    # Errors: one line, never a traceback
    def describe_error(self, error: BaseException) -> str:
        """The one line an associate sees for an error (its longest form)."""
        return self.error_forms(error)[0]

    def error_forms(self, error: BaseException) -> list[str]:
        """The error as one line, longest form first (the message bar shows the first that fits)."""
        if isinstance(error, BackendUnavailable):
            since = f"{self.note_offline():%H:%M}"
            return [f"Backend unreachable - offline since {since}", f"Backend offline since {since}",
                    f"Offline since {since}", f"Offline {since}"]
        if isinstance(error, BackendError):
            return [error.message]
        # Anything else is a bug: whoever caught it has put it in the log file with its traceback.
        return [f"Something went wrong ({type(error).__name__}); please try again",
                "Something went wrong; try again", "Error; try again"]

    def note_offline(self) -> datetime:
        if self.offline_since is None:
            self.offline_since = datetime.now()
        return self.offline_since

    def note_online(self) -> None:
        self.offline_since = None

    async def action_quit(self) -> None:
        """ctrl+q: end the associate's session on the backend too (a shared terminal), then exit."""
        self._stop_arrivals()
        if self.session is not None:
            self.session = None
            try:
                await asyncio.wait_for(self.client.logout(), timeout=2.0)
            except (BackendUnavailable, BackendError, TimeoutError) as exc:
                log.info("logout on quit: %r", exc)  # the session ends on the backend by itself
            except Exception:  # quitting must never fail
                log.exception("logout on quit")
        self.exit()

    def action_help_quit(self) -> None:
        """ctrl+c: no toast (it would draw Unicode borders); nothing to copy either."""

    # Demo mode
    async def demo_credentials(self) -> list[DemoCredential]:
        """The demo associates (empty unless both the app and the backend are in demo mode)."""
        if not self.demo:
            return []
        if self._demo_credentials is None:
            info = await self.client.demo_info()
            self._demo_credentials = list(info.credentials) if info.demo else []
        return self._demo_credentials

    # Session
    def start_session(self, session: Session) -> None:
        """Called by the login screen once the backend accepted the associate."""
        self.session = session
        self.scan_buffer.clear()
        self.client.journal = Journal.open(self.journal_dir, self.client.base_url, session.user.username)
        stores = session.user.stores
        self.store_id = self.configured_store_id or (stores[0].id if stores else "")
        self._last_activity = time.monotonic()
        self._arm_inactivity(self.inactivity_logout_s)
        self.switch_screen(HomeScreen())
        self.arrivals.start()
        if self.client.journal.pending or self.client.journal.voids:
            self.run_worker(self._replay_journal(), group="voids", exclusive=True, exit_on_error=False)

    def request_logout(self, message: str = "", *, error: bool = False) -> None:
        """Log out (server and client), drop every screen above home, show the login screen."""
        if self.session is None:
            return
        self.session = None  # from now on, a second request (key, poll, timer) does nothing
        self._stop_arrivals()
        self.drop_pending_entries()  # scans of this session are not for the next associate
        self.scan_buffer.clear()
        if self.waiting:
            self._abandon.set()
        self.run_worker(self._logout(message, error), group="logout", exclusive=True, exit_on_error=False)

    async def _logout(self, message: str, error: bool) -> None:
        self._stop_inactivity()
        try:
            await self.client.logout()  # clears the client's token even when the backend is away
        except (BackendUnavailable, BackendError) as exc:
            log.info("logout: %r", exc)  # logging out offline still logs out this terminal
        except Exception:  # nor does a bug keep the next associate out
            log.exception("logout")
        self.store_id = self.configured_store_id
        while len(self.screen_stack) > 2:
            await self.pop_screen()
        await self.switch_screen(LoginScreen(message, error=error))

    def may(self, permission: str) -> bool:
        """Whether the associate's role has the permission (the backend decides; this only spares
        the associate steps the backend would refuse at the end)."""
        return self.session is not None and permission in self.session.user.permissions

    def role_refusal(self, doing: str) -> list[str]:
        role = self.session.user.role if self.session else "none"
        return [f"Your role ({role}) may not {doing}: ask a lead", f"Your role may not {doing}", "Not allowed"]

    async def store_info(self) -> StoreInfo:
        """The store's settings (hand-off prompts, parking spots), asked again after a minute."""
        cached = self._store_info
        if cached is None or cached[1].id != self.store_id or time.monotonic() - cached[0] > 60:
            info = await self.client.store_info(self.store_id)
            self._store_info = cached = (time.monotonic(), info)
        return cached[1]

    # Inactivity: one one-shot timer, re-armed for the time left since the last key.
    def _arm_inactivity(self, delay: float) -> None:
        self._stop_inactivity()
        if self.inactivity_logout_s > 0:
            self._inactivity_timer = self.set_timer(max(delay, 0.01), self._check_inactivity, name="inactivity")

    def _stop_inactivity(self) -> None:
        if self._inactivity_timer is not None:
            self._inactivity_timer.stop()
            self._inactivity_timer = None

    def _check_inactivity(self) -> None:
        self._inactivity_timer = None
        if self.session is None:
            return
        left = self._last_activity + self.inactivity_logout_s - time.monotonic()
        if left > 0:
            self._arm_inactivity(left)
            return
        limit = self.inactivity_logout_s
        amount = f"{round(limit / 60)} min" if limit >= 60 else f"{limit:g} s"
        self.request_logout(f"Logged out after {amount} without activity")

    # Modules plug in here (pick, stage, handoff, orders); until then home says "coming later".
    def register_module(self, key: str, factory: ModuleFactory) -> None:
        self.modules[key] = factory

    def open_module(self, key: str) -> bool:
        factory = self.modules.get(key)
        if factory is None:
            return False
        self.push_screen(factory())
        return True
