"""The app shell driven like an associate would: keys through the Pilot, a real backend in-process
(the `backend` fixture: real FastAPI app, fresh demo database), assertions on what the screen shows.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import pytest
from sqlmodel import select
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.pilot import Pilot
from ui import (
    STORE,
    SwitchableTransport,
    drained,
    log_in,
    on_screen,
    render_segments,
    said,
    screen_lines,
    screen_text,
    send_burst,
    styled,
    type_text,
    wait_for,
)

from storeassist_tui.app import StoreAssistApp
from storeassist_tui.client import CANCEL, BackendClient, BackendError, Counts
from storeassist_tui.screens import StoreScreen, bottom_bars
from storeassist_tui.screens.handoff import HandoffScreen
from storeassist_tui.screens.home import HomeScreen
from storeassist_tui.screens.login import LoginScreen
from storeassist_tui.screens.orders import OrdersScreen
from storeassist_tui.screens.pick_queue import PickQueueScreen
from storeassist_tui.screens.registry import Module, Piece
from storeassist_tui.screens.stage import StageScreen
from storeassist_tui.store.db import Database
from storeassist_tui.store.models import Associate
from storeassist_tui.widgets import Hint, TitleBar

# What the user sees -----------------------------------------------------------------------------

def pick_long(c: Counts) -> str:
    return f"1 Pick: {c.to_pick} to pick, {c.overdue} overdue"


async def expected_counts(backend: BackendClient) -> Counts:
    """The counts as the backend has them, read before the app starts (as the lead)."""
    await backend.login("lee", "3333")
    return await backend.counts(STORE)


async def on_home(pilot: Pilot[None], *needles: str) -> str:
    """Wait for the home screen showing one of `needles`; answer the one shown."""
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen)  # type: ignore[arg-type]
                   and any(n in screen_text(app) for n in needles))  # type: ignore[arg-type]
    return next(n for n in needles if n in screen_text(app))  # type: ignore[arg-type]


def as_seen(c: Counts, shown: str) -> Counts:
    """The demo's orders fall due around now: one may turn overdue between reading the counts
    and the screen showing them. `c`, with the overdue count the screen actually shows."""
    return c if pick_long(c) in shown else c.model_copy(update={"overdue": c.overdue + 1})


def late_variants(c: Counts) -> list[str]:
    return [pick_long(c), pick_long(c.model_copy(update={"overdue": c.overdue + 1}))]


COUNTS = f"/api/v1/stores/{STORE}/counts"
HANDOFF_QUEUE = f"/api/v1/stores/{STORE}/handoff-queue"
LOGIN = "/api/v1/auth/login"


def work_done(app: StoreAssistApp) -> bool:
    """No worker is left running but the input consumer (which lives as long as the app): every
    request started so far (logins, polls, the demo list) has been answered and handled."""
    return all(w.is_finished for w in app.workers if w.group != "inputs")


def login_done(app: StoreAssistApp) -> bool:
    """No login request is under way (finished workers leave the app's worker list)."""
    return not any(w.group == "login" and not w.is_finished for w in app.workers)


def login_ready(app: StoreAssistApp) -> bool:
    """The login screen is up with the cursor in its user field: keys sent now reach the form."""
    return isinstance(app.screen, LoginScreen) and app.screen.is_mounted and app.focused is app.screen.user_field


# Login ------------------------------------------------------------------------------------------

async def test_pin_login_lands_on_home_with_the_backends_counts(backend: BackendClient) -> None:
    c = await expected_counts(backend)
    app = StoreAssistApp(backend, poll_interval_s=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, LoginScreen)
        await log_in(pilot, "pat", "1111")
        await on_home(pilot, *late_variants(c))
        text = screen_text(app)
        assert "Demo Store - Main St" in text and "Pat Picker" in text
        assert f"2 Stage: {c.to_stage} to stage" in text
        assert f"3 Hand-off: {c.waiting} waiting ({c.ready} ready)" in text
        assert f"4 Orders: {c.open_orders} open / {c.all_orders} all" in text
        assert app.session is not None and app.session.user.username == "pat"
        assert app.store_id == STORE


async def test_wrong_pin_says_tries_left_on_one_line_and_stays_on_login(backend: BackendClient) -> None:
    app = StoreAssistApp(backend)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_text(pilot, "pat")
        await pilot.press("enter")
        await type_text(pilot, "9999")
        text = screen_text(app)
        assert "****" in text and "9999" not in text  # the PIN is masked, in ASCII
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Wrong user name or PIN" in screen_text(app))
        lines = [ln for ln in screen_text(app).splitlines() if "Wrong user name or PIN" in ln]
        assert len(lines) == 1
        assert isinstance(app.screen, LoginScreen)
        assert app.session is None and backend.token == ""
        # The message is in reverse video: seen without colour.
        assert all(s.style and s.style.reverse for s in styled(app, "Wrong user name or PIN"))
        # The user name stays, the PIN is cleared for the next try.
        screen = app.screen
        assert screen.user_field.value == "pat" and screen.pin_field.value == ""
        assert app.focused is screen.pin_field


def _failures(db: Database, username: str) -> tuple[int, bool]:
    with db.read() as s:
        a = s.exec(select(Associate).where(Associate.username == username)).one()
        return a.failed_logins, a.locked_until is not None


async def test_six_wrong_pins_lock_the_account(backend: BackendClient, demo_db: Database) -> None:
    app = StoreAssistApp(backend)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_text(pilot, "pat")
        await pilot.press("enter")
        for n in range(1, 7):  # each answered like an unknown name: the database shows the count
            await type_text(pilot, "0000")
            await pilot.press("enter")
            await wait_for(pilot, lambda n=n: _failures(demo_db, "pat") == (n % 6, n == 6))
            await wait_for(pilot, lambda: "Wrong user name or PIN" in screen_text(app))
        # The right PIN is refused now, with the backend's lock-out line.
        await type_text(pilot, "1111")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "try again in" in screen_text(app))
        assert isinstance(app.screen, LoginScreen) and app.session is None


async def test_badge_login_and_an_unknown_badge(backend: BackendClient) -> None:
    app = StoreAssistApp(backend, poll_interval_s=0.1)
    async with app.run_test(size=(40, 16)) as pilot:
        await type_text(pilot, "B-4242")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Unknown badge" in screen_text(app))
        assert isinstance(app.screen, LoginScreen) and app.session is None
        assert app.screen.user_field.value == ""  # the scan was taken whole: the next one starts clean
        await type_text(pilot, "B-1002")
        await pilot.press("enter")
        await on_home(pilot, "Hana Handoff")
        assert app.session is not None and app.session.user.username == "hana"


async def test_terminal_of_another_store_refuses_the_associate(backend: BackendClient) -> None:
    app = StoreAssistApp(backend, store_id="elsewhere-9", poll_interval_s=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "pat", "1111")
        await wait_for(pilot, lambda: "Pat Picker is not set up for store elsewhere-9" in screen_text(app))
        assert isinstance(app.screen, LoginScreen) and app.session is None
        assert "Ctrl+Q Quit" in screen_text(app)


async def test_badge_scanned_after_a_wrong_pin_is_a_badge(backend: BackendClient, demo_db: Database) -> None:
    app = StoreAssistApp(backend, poll_interval_s=0.1)
    async with app.run_test(size=(40, 16)) as pilot:
        await log_in(pilot, "lee", "9999")
        await wait_for(pilot, lambda: "Wrong user name or PIN" in screen_text(app))
        await type_text(pilot, "B-1002")  # the focus is on the PIN field now
        await pilot.press("enter")
        await on_home(pilot, "Hana Handoff")
    # The badge was not taken as lee's PIN: one failure so far.
    assert _failures(demo_db, "lee") == (1, False)


async def test_wrong_badge_then_right_one_back_to_back_logs_in(backend: BackendClient) -> None:
    app = StoreAssistApp(backend, poll_interval_s=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: login_ready(app))
        send_burst(app, "B-0000\rB-4242\rB-1002\r")  # the last scan, not lost behind two in-flight logins
        await on_home(pilot, "Hana Handoff")
        assert app.session is not None and app.session.user.username == "hana"


async def test_login_typed_in_one_burst_and_pasted(backend: BackendClient) -> None:
    app = StoreAssistApp(backend, poll_interval_s=0.1)
    async with app.run_test(size=(40, 16)) as pilot:
        await wait_for(pilot, lambda: login_ready(app))
        send_burst(app, "pat\r1111\r")
        await on_home(pilot, "Pat Picker")
        await pilot.press("f10")
        await wait_for(pilot, lambda: login_ready(app))
        send_burst(app, "B-1002\r\n")  # a badge scan with a CR LF suffix: one entry, not two
        await on_home(pilot, "Hana Handoff")
        await pilot.press("0")
        await wait_for(pilot, on_screen(app, HomeScreen, says="Log out?"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: login_ready(app))
        # Some terminal clients inject a scan as a bracketed paste ending in CR LF.
        assert isinstance(app.screen, LoginScreen)
        app.screen.user_field.post_message(events.Paste("B-1003\r\n"))
        await on_home(pilot, "Lee Lead")


async def test_backend_unreachable_at_login(switchable: tuple[BackendClient, SwitchableTransport]) -> None:
    client, transport = switchable
    transport.down = True
    app = StoreAssistApp(client, demo=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "offline since" in screen_text(app))  # the demo list could not load
        await log_in(pilot, "pat", "1111")
        # The login was tried and its failure handled: the line says so again, after "Logging in...".
        # (the login's own worker, not every worker: the demo list is retried meanwhile)
        await wait_for(pilot, lambda: LOGIN in transport.paths and login_done(app)
                       and said(app).startswith("Backend unreachable"))
        assert isinstance(app.screen, LoginScreen)
        line = next(ln for ln in screen_text(app).splitlines() if "offline since" in ln)
        assert line.startswith("Backend unreachable - offline since ")
        assert "Traceback" not in screen_text(app)
        transport.down = False
        await log_in(pilot, "pat", "1111")
        await on_home(pilot, "Pat Picker")


# Demo credentials -------------------------------------------------------------------------------

async def test_no_demo_credentials_without_demo_mode(backend: BackendClient) -> None:
    # The backend itself is in demo mode here: only the app's flag keeps them off the screen.
    app = StoreAssistApp(backend, demo=False)
    async with app.run_test(size=(80, 24)) as pilot:
        # The form is up and whatever it started on mounting has finished: a list it fetched
        # would be on screen by now.
        await wait_for(pilot, lambda: login_ready(app) and work_done(app))
        await pilot.pause()  # and drawn
        text = screen_text(app)
        assert "User or badge" in text
        assert "1111" not in text and "B-1001" not in text and "demo" not in text.lower()


# Home -------------------------------------------------------------------------------------------

async def test_counts_update_live(backend: BackendClient) -> None:
    c = await expected_counts(backend)
    app = StoreAssistApp(backend, poll_interval_s=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "pat", "1111")
        await on_home(pilot, f"2 Stage: {c.to_stage} to stage")
        queue = await backend.stage_queue(STORE)  # the app's own client, logged in as pat
        assert queue.orders, "the demo has picked orders waiting to be staged"
        await backend.stage(queue.orders[0].id, "B3")
        await on_home(pilot, f"2 Stage: {c.to_stage - 1} to stage")
        assert f"({c.ready + 1} ready)" in screen_text(app)


async def test_offline_poll_shows_offline_backs_off_and_recovers(
    switchable: tuple[BackendClient, SwitchableTransport],
) -> None:
    client, transport = switchable
    app = StoreAssistApp(client, poll_interval_s=0.1)
    async with app.run_test(size=(40, 16)) as pilot:
        await log_in(pilot, "pat", "1111")
        await on_home(pilot, "1 Pick")
        before = screen_text(app)
        home = app.screen
        assert isinstance(home, HomeScreen)
        transport.down = True
        down_at = len(transport.paths)
        await wait_for(pilot, lambda: "offline since" in screen_text(app))

        def failed(path: str) -> int:
            return transport.paths[down_at:].count(path)

        # Four tries of each poll while down (so three failures handled): each failure doubled the
        # wait before the next try, 0.1 s -> 0.2 -> 0.4 -> 0.8, where a fixed 0.1 s would hammer it.
        await wait_for(pilot, lambda: failed(COUNTS) >= 4 and failed(HANDOFF_QUEUE) >= 4, timeout=10)
        assert home.poller.loop.backoff.delay >= 0.8 and app.arrivals.loop.backoff.delay >= 0.8
        assert app.is_running and isinstance(app.screen, HomeScreen)
        text = screen_text(app)
        assert "Backend offline since" in text  # the short form: it fits 40 columns on one line
        assert before.splitlines()[2] in text  # the last known counts stay on screen
        assert all(s.style and s.style.reverse for s in styled(app, "offline since"))
        transport.down = False
        await wait_for(pilot, lambda: "offline" not in screen_text(app), timeout=3)
        assert app.offline_since is None


async def test_module_keys_open_each_module_and_esc_comes_home(backend: BackendClient) -> None:
    app = StoreAssistApp(backend, poll_interval_s=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "pat", "1111")
        await on_home(pilot, "1 Pick:")
        for key, screen, title in [("f2", StageScreen, "Stage"), ("3", HandoffScreen, "Hand-off"),
                                   ("f4", OrdersScreen, "Orders"), ("2", StageScreen, "Stage"),
                                   ("1", PickQueueScreen, "Pick queue")]:
            await pilot.press(key)
            await wait_for(pilot, lambda s=screen, t=title: isinstance(app.screen, s)
                           and screen_lines(app)[:1] != [] and screen_lines(app)[0].startswith(t))
            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen))
        await pilot.press("escape")  # nothing to go back to: nothing happens
        await drained(pilot)
        assert isinstance(app.screen, HomeScreen) and app.session is not None
        # A later key, handled after the Esc (keys are taken in order), is answered by home itself.
        await pilot.press("0")
        await wait_for(pilot, on_screen(app, HomeScreen, says="Log out?"))
        assert app.is_running and app.session is not None


class ModuleStub(StoreScreen):
    """A module screen as the later issues will plug in: Esc goes back to home."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back")]

    def compose(self) -> ComposeResult:
        yield TitleBar(("Pick module",))
        yield Vertical(id="body")
        yield bottom_bars([Hint("Esc", "Back")])


async def test_module_screen_plugs_in_and_pauses_home_polling(
    switchable: tuple[BackendClient, SwitchableTransport],
) -> None:
    client, transport = switchable
    app = StoreAssistApp(client, poll_interval_s=0.1)
    pick = app.modules.get("pick")
    assert pick is not None
    app.register_module(dataclasses.replace(pick, screen=ModuleStub))  # the same module, a stand-in screen
    async with app.run_test(size=(40, 16)) as pilot:
        await log_in(pilot, "pat", "1111")
        await on_home(pilot, "1 Pick:")
        await pilot.press("1")
        await wait_for(pilot, on_screen(app, ModuleStub, shows="Pick module"))
        # The arrival watch polls on every screen, at the interval home would: its requests are the
        # clock. One first (a counts request already in flight is then answered), then three more,
        # in which time hidden home would have polled three times too.
        await wait_for(pilot, lambda: transport.paths.count(HANDOFF_QUEUE) > 0 and work_done(app))
        counts, watched = transport.paths.count(COUNTS), transport.paths.count(HANDOFF_QUEUE)
        await wait_for(pilot, lambda: transport.paths.count(HANDOFF_QUEUE) >= watched + 3)
        assert transport.paths.count(COUNTS) == counts  # home's counts are not polled while it is hidden
        await pilot.press("escape")
        await on_home(pilot, "1 Pick:")
        await wait_for(pilot, lambda: transport.paths.count(COUNTS) > counts)


class ReturnsScreen(StoreScreen):
    """A fifth module, known only to these tests."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back")]

    def compose(self) -> ComposeResult:
        yield TitleBar(("Returns desk",))
        yield Vertical(id="body")
        yield bottom_bars([Hint("Esc", "Back")])


def returns_counts(c: Counts) -> list[list[Piece]]:
    return [[("Returns: ", False), (f"{c.open_orders} to check", False)], [("Ret ", False), (f"{c.open_orders}", False)]]


RETURNS = Module("returns", "5", "Returns", ReturnsScreen, short=("Ret",), counts=returns_counts)


@pytest.mark.parametrize(("size", "row", "hint"), [((80, 24), "5 Returns: {n} to check", "F5/5 Returns"),
                                                   ((40, 16), "5 Returns: {n} to check", "5 Ret")])
async def test_a_fifth_module_is_one_registration(
    backend: BackendClient, size: tuple[int, int], row: str, hint: str,
) -> None:
    """Registered once, a module is on home (its row with its count, its key hint) and its digit
    and F-key open it, next to the four built-in ones."""
    c = await expected_counts(backend)
    app = StoreAssistApp(backend, poll_interval_s=0.1)
    app.register_module(RETURNS)
    async with app.run_test(size=size) as pilot:
        await log_in(pilot, "pat", "1111")
        await on_home(pilot, row.format(n=c.open_orders))
        text = screen_text(app)
        assert "4 Orders" in text and hint in text and "F10/0" in text and text.isascii()
        for key in ("5", "f5"):
            await pilot.press(key)
            await wait_for(pilot, on_screen(app, ReturnsScreen, shows="Returns desk"))
            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen))
        await pilot.press("4")  # the built-in ones still open by their keys
        await wait_for(pilot, lambda: isinstance(app.screen, OrdersScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen))
        # The menu's keys follow the registry: an entry too long to be an order says which are.
        send_burst(app, "9" * 130 + "\r")
        await wait_for(pilot, on_screen(app, HomeScreen, says="Choose 1-5"))


async def test_a_module_that_needs_a_permission_is_refused_to_a_role_without_it(backend: BackendClient) -> None:
    app = StoreAssistApp(backend, poll_interval_s=0.1)
    app.register_module(dataclasses.replace(RETURNS, permission=CANCEL))
    async with app.run_test(size=(40, 16)) as pilot:
        await log_in(pilot, "pat", "1111")
        await on_home(pilot, "5 Returns")
        await pilot.press("5")
        await wait_for(pilot, on_screen(app, HomeScreen, says="may not use Returns"))
        await drained(pilot)
        assert isinstance(app.screen, HomeScreen)


async def test_logout_keys_return_to_login(backend: BackendClient) -> None:
    app = StoreAssistApp(backend, poll_interval_s=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        homes: list[HomeScreen] = []
        for keys in (["f10"], ["0", "enter"]):  # 0 asks first: a stray digit must not log out
            await log_in(pilot, "pat", "1111")
            await on_home(pilot, "1 Pick:")
            assert isinstance(app.screen, HomeScreen)
            homes.append(app.screen)
            token = backend.token
            await pilot.press(*keys)
            await wait_for(pilot, lambda: login_ready(app) and "User" in screen_text(app))
            assert app.session is None and backend.token == ""
            assert "1 Pick" not in screen_text(app)
            # The session is ended on the server too, not just forgotten here.
            backend.token = token
            with pytest.raises(BackendError, match="log in"):
                await backend.counts(STORE)
            backend.token = ""
        # No poll of an old home screen is left to bring it back: none in flight, none armed.
        await wait_for(pilot, lambda: work_done(app))
        assert all(h.poller.loop.closed and not h.poller.loop.armed for h in homes)
        assert not app.arrivals.loop.active and not app.arrivals.loop.armed
        assert isinstance(app.screen, LoginScreen) and app.is_running
        # Quitting (ctrl+q) while logged in ends the session on the backend as well.
        await log_in(pilot, "pat", "1111")
        await on_home(pilot, "1 Pick:")
        token = backend.token
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: not app.is_running)
    backend.token = token
    with pytest.raises(BackendError, match="log in"):
        await backend.counts(STORE)


async def test_session_ended_elsewhere_returns_to_login(
    switchable: tuple[BackendClient, SwitchableTransport],
) -> None:
    client, transport = switchable
    app = StoreAssistApp(client, poll_interval_s=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "pat", "1111")
        await on_home(pilot, "1 Pick:")
        other = BackendClient("http://embedded", transport=transport)  # e.g. an admin ending the session
        other.token = client.token
        await other.logout()
        await wait_for(pilot, lambda: "Not logged in; please log in" in screen_text(app))
        assert isinstance(app.screen, LoginScreen) and app.session is None and app.is_running
        assert all(s.style and s.style.reverse for s in styled(app, "please log in"))


class Clock:
    """The app's clock, moved by the test: how long the associate was idle is then a fact of the
    test, not of how busy the machine running it is."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


async def test_inactivity_logs_out(backend: BackendClient, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    monkeypatch.setattr("storeassist_tui.services.inactivity.time", clock)  # the watch's clock only
    app = StoreAssistApp(backend, poll_interval_s=0.1, inactivity_logout_s=0.4)
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "pat", "1111")
        await on_home(pilot, "1 Pick:")
        for _ in range(5):  # keys keep the session alive past the limit: 1.5 s in all
            clock.now += 0.3
            await pilot.press("x")
        app.inactivity.check()  # what the inactivity timer does when it fires: still active
        assert isinstance(app.screen, HomeScreen) and app.session is not None
        clock.now += 0.5  # then nothing for longer than the limit: the timer's next check logs out
        await wait_for(pilot, lambda: "Logged out after 0.4 s without activity" in screen_text(app), timeout=3)
        assert isinstance(app.screen, LoginScreen)
        assert app.session is None and backend.token == ""


# Sizes, ASCII, monochrome -----------------------------------------------------------------------

@pytest.mark.parametrize(("size", "rows", "keys"), [
    ((80, 24), ["1 Pick: {p} to pick, {o} overdue", "2 Stage: {s} to stage", "3 Hand-off: {w} waiting ({r} ready)",
                "4 Orders: {n} open / {a} all"], ["F1/1", "F4/4", "F10/0 Logout"]),
    ((40, 16), ["1 Pick: {p} to pick, {o} overdue", "2 Stage: {s} to stage", "3 Hand-off: {w} waiting ({r} ready)",
                "4 Orders: {n} open / {a} all"], ["F1/1 Pick", "F10/0 Logout"]),
    ((40, 8), ["1 Pick: {p} to pick, {o} overdue", "2 Stage: {s} to stage", "3 Hand-off: {w} waiting ({r} ready)",
               "4 Orders: {n} open / {a} all"], ["1 Pick", "0 Out"]),
    ((20, 16), ["1 Pick {p} ({o} late)", "2 Stage: {s} to stage", "3 Hand-off {w} ({r} rdy)", "4 Orders {n}/{a}"],
     ["1 Pick", "0 Logout"]),
])
async def test_layout_reads_at_every_size(
    backend: BackendClient, size: tuple[int, int], rows: list[str], keys: list[str],
) -> None:
    """Login (with the demo credentials, demo mode) and home read at 80x24, 40x16, 40x8 and 20x16."""
    c = await expected_counts(backend)
    app = StoreAssistApp(backend, demo=True, poll_interval_s=0.1)
    demo = ["pat / 1111 (picker)  badge B-1001", "hana / 2222 (handoff)  badge B-1002",
            "lee / 3333 (lead)  badge B-1003"]
    if size[0] < 40:
        demo = ["pat/1111 B-1001", "hana/2222 B-1002", "lee/3333 B-1003 lead"]
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: demo[0] in screen_lines(app))
        login = screen_text(app)
        assert all(line in screen_lines(app) for line in demo)  # one line per demo user
        assert "User" in login and "PIN" in login and "Enter" in login and "Esc" in login
        assert login.isascii()
        await log_in(pilot, "pat", "1111")
        variants = [c, c.model_copy(update={"overdue": c.overdue + 1})]  # see as_seen

        def fmt(row: str, v: Counts) -> str:
            return row.format(p=v.to_pick, o=v.overdue, s=v.to_stage, w=v.waiting, r=v.ready, n=v.open_orders,
                              a=v.all_orders)

        shown = await on_home(pilot, *(fmt(rows[0], v) for v in variants))
        c = next(v for v in variants if fmt(rows[0], v) == shown)
        text = screen_text(app)
        assert text.isascii()
        for row in rows:
            assert fmt(row, c) in text
        for hint in keys:
            assert hint in text
        # A module opens at every size, and its title reads.
        await pilot.press("3")
        await wait_for(pilot, lambda: isinstance(app.screen, HandoffScreen)
                       and screen_lines(app)[:1] != [] and screen_lines(app)[0].startswith("Hand-off"))


async def test_no_color_status_by_reverse_video(backend: BackendClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    c = await expected_counts(backend)
    assert c.overdue > 0 and c.waiting > 0, "the demo has overdue orders and waiting customers"
    app = StoreAssistApp(backend, poll_interval_s=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "pat", "1111")
        c = as_seen(c, await on_home(pilot, *late_variants(c)))
        segments = [s for s in render_segments(app) if not s.control and s.text.strip()]
        assert all(s.style is None or s.style.color is None or s.style.color.is_default for s in segments)
        assert all(s.style is None or s.style.bgcolor is None or s.style.bgcolor.is_default for s in segments)
        for urgent in (f"{c.overdue} overdue", f"{c.waiting} waiting"):
            assert styled(app, urgent) and all(s.style and s.style.reverse for s in styled(app, urgent))
        assert not any(s.style and s.style.reverse for s in styled(app, f"{c.to_pick} to pick"))
        title = styled(app, "Demo Store - Main St")
        assert title and all(s.style and s.style.reverse and s.style.bold for s in title)
