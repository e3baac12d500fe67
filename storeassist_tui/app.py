"""StoreAssistApp: the Textual shell - login, home, and the place module screens plug into.

Made for rugged scanner terminals (VT100/VT220, 20x16 to 80x24) and SSH: keyboard only, ANSI
theme, ASCII only, no borders, no scrollbars, no blinking caret, no animations. The cli runs it
with `app.run(mouse=False)`.
"""

from __future__ import annotations

import os

# What was measured of Textual on rugged terminals and slow links (the team's terminal recipe):
# set before Textual is first imported, since it reads them once.
os.environ.setdefault("TEXTUAL_DISABLE_KITTY_KEY", "1")  # also fixes VT220 F13-F20
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
os.environ.setdefault("ESCDELAY", "400")  # an F-key split by network jitter must not become Esc

import asyncio
import gc
import logging
import time
from datetime import datetime
from pathlib import Path

from textual import events
from textual.app import App

from storeassist_tui.client import (
    BackendClient,
    BackendError,
    BackendUnavailable,
    DemoCredential,
    Session,
    StoreInfo,
    VoidResult,
)
from storeassist_tui.error_text import error_forms, role_refusal
from storeassist_tui.input_router import InputRouter
from storeassist_tui.journal import Journal
from storeassist_tui.screens import StoreScreen
from storeassist_tui.screens.arrivals import ArrivalBanner, banner_forms
from storeassist_tui.screens.home import HomeScreen
from storeassist_tui.screens.login import LoginScreen
from storeassist_tui.screens.modules import built_in_modules
from storeassist_tui.screens.registry import Module
from storeassist_tui.services.arrivals import ArrivalWatch
from storeassist_tui.services.inactivity import InactivityWatch
from storeassist_tui.services.messages import ArrivalsChanged, CustomersArrived, PollFailed, QueueChanged

VOID_RETRY_S = (1.0, 2.0, 4.0, 8.0, 15.0)
log = logging.getLogger(__name__)


class StoreAssistApp(App[None]):
    """The terminal app. `client` is the only way to the backend; screens call `app.client`."""

    TITLE = "Store Assist"
    ENABLE_COMMAND_PALETTE = False
    # Textual declares these as instance variables; ClassVar would contradict it.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (40, "-medium"), (80, "-wide")]  # noqa: RUF012
    VERTICAL_BREAKPOINTS = [(0, "-short"), (12, "-tall")]  # noqa: RUF012

    # Absolute: Textual resolves a relative CSS_PATH from the file of the instantiated (sub)class.
    CSS_PATH = Path(__file__).with_name("app.tcss")

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
        self.session: Session | None = None
        self.offline_since: datetime | None = None
        self.modules = built_in_modules()  # what home offers (register_module adds one)
        self.arrivals = ArrivalWatch(self, self)
        self.arrival_banner = ArrivalBanner(self)
        self._store_info: tuple[float, StoreInfo] | None = None
        self._demo_credentials: list[DemoCredential] | None = None
        self.inactivity = InactivityWatch(self, inactivity_logout_s, self._inactive)
        self.inputs = InputRouter(self, threshold_s=scan_threshold_ms / 1000)
        self.journal_dir = journal_dir  # where unanswered requests survive a quit or crash

    # Start-up
    def on_mount(self) -> None:
        self.run_worker(self.inputs.consume(), group="inputs", exit_on_error=False)
        self.push_screen(LoginScreen())
        # Once the login screen is drawn: a backend that is built on first use starts now, not
        # while that first screen competes with it for the interpreter.
        self.call_after_refresh(self.client.warm_up)

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
    # that takes scans, the scan buffer gets the key first (input_router.py).
    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.Paste)):
            self.inactivity.touch()
            if not event.is_forwarded and self.inputs.take_key(event):
                return
        await super().on_event(event)

    # Input routing (input_router.py); screens reach it through these.
    def show_scan_buffer(self) -> None:
        self.inputs.show_scan_buffer()

    def stopped_waiting(self, screen: StoreScreen, what: str) -> None:
        """The associate stopped waiting: every unanswered request is stopped; one that may have
        reached the backend is voided before anything else is sent, so "Not saved" stays true."""
        stopped = self.client.abandon()
        dropped = self.inputs.drop_pending_entries()
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
            self.show_void_news()

    def show_void_news(self) -> None:
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
            self.show_void_news()
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
        """The error as one line, longest form first (error_text.py words it)."""
        return error_forms(error, self.note_offline() if isinstance(error, BackendUnavailable) else datetime.now())

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
        # What exists at the first login (the modules, the embedded backend, the app) lives as long
        # as the process: frozen, the collector's full passes leave it out; they stopped the app for
        # ~75 ms now and then (a scan shown that much later), ~7 ms this way. Once per process (a
        # test session runs many apps): what is made later is collected as usual.
        if not gc.get_freeze_count():
            gc.freeze()
        self.inputs.scan_buffer.clear()
        self.client.journal = Journal.open(self.journal_dir, self.client.base_url, session.user.username)
        stores = session.user.stores
        self.store_id = self.configured_store_id or (stores[0].id if stores else "")
        self.inactivity.start()
        self.switch_screen(HomeScreen(self.modules))
        self.arrivals.start()
        if self.client.journal.pending or self.client.journal.voids:
            self.run_worker(self._replay_journal(), group="voids", exclusive=True, exit_on_error=False)

    def request_logout(self, message: str = "", *, error: bool = False) -> None:
        """Log out (server and client), drop every screen above home, show the login screen."""
        if self.session is None:
            return
        self.session = None  # from now on, a second request (key, poll, timer) does nothing
        self._stop_arrivals()
        self.inputs.drop_pending_entries()  # scans of this session are not for the next associate
        self.inputs.scan_buffer.clear()
        self.inputs.stop_waiting()
        self.run_worker(self._logout(message, error), group="logout", exclusive=True, exit_on_error=False)

    async def _logout(self, message: str, error: bool) -> None:
        self.inactivity.stop()
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
        return role_refusal(self.session.user.role if self.session else "none", doing)

    async def store_info(self) -> StoreInfo:
        """The store's settings (hand-off prompts, parking spots), asked again after a minute."""
        cached = self._store_info
        if cached is None or cached[1].id != self.store_id or time.monotonic() - cached[0] > 60:
            info = await self.client.store_info(self.store_id)
            self._store_info = cached = (time.monotonic(), info)
        return cached[1]

    def _inactive(self, limit: float) -> None:
        """The inactivity watch (services/inactivity.py) found no key for `limit` seconds."""
        if self.session is not None:
            amount = f"{round(limit / 60)} min" if limit >= 60 else f"{limit:g} s"
            self.request_logout(f"Logged out after {amount} without activity")

    # Modules: the built-in ones are registered in screens/modules.py; home reads the registry.
    def register_module(self, module: Module) -> None:
        """Add a module to home (or replace the one of the same name), before logging in."""
        self.modules.register(module)
