"""The login screen: user name + PIN/password, or a badge scan.

Keys:
- type the user name, Enter: on to the PIN field; type the PIN, Enter: log in;
- Esc: clear both fields and start again (Tab / shift+Tab also move between the fields).

Badge rule: a code that starts with ``B-`` (any case) and is ended with Enter in either field
is a badge: the screen calls
``client.login_badge(code)`` and no PIN is asked. A keyboard-wedge scanner types the badge into
the focused field and sends Enter, so a scan simply works; the key bar says "Scan badge B-...".
Anything else in the user field is a user name. The backend decides whether the badge is known.

Wrong PIN, lock-out, expired or inactive accounts: the backend's one-line message, in reverse
video, with the bell. In demo mode (``app.demo``) the demo credentials are listed under the
form, fetched from ``client.demo_info()``; never without demo mode.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widget import Widget

from storeassist_tui.client import BackendError, BackendUnavailable, DemoCredential, Session
from storeassist_tui.screens import StoreScreen, bottom_bars, screen_css
from storeassist_tui.widgets import (
    AsciiField,
    FitLabel,
    Hint,
    TitleBar,
    ascii_line,
    first_fit,
)

log = logging.getLogger(__name__)

BADGE_PREFIX = "B-"

HINTS = [
    Hint("Enter", "Next/Log in", "Enter", "OK"),
    Hint("Scan", "badge B-...", "Scan", "badge"),
    Hint("Esc", "Clear", "Esc", "Clear"),
    Hint("Ctrl+Q", "Quit", "^Q", "Quit"),
]


def is_badge(text: str) -> bool:
    """The badge rule of this screen: a code starting with "B-" (any case) is a badge."""
    return text.strip().upper().startswith(BADGE_PREFIX)


class DemoCredentials(Widget):
    """The demo associates, one per line; shown in demo mode only, never otherwise."""

    DEFAULT_CSS = """
    DemoCredentials { height: 1fr; width: 1fr; text-wrap: nowrap; text-overflow: clip; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.credentials: list[DemoCredential] = []

    def set_credentials(self, credentials: list[DemoCredential]) -> None:
        self.credentials = list(credentials)
        self.refresh()

    @staticmethod
    def line(c: DemoCredential, width: int) -> str:
        return first_fit([
            ascii_line(f"{c.username} / {c.secret} ({c.role})  badge {c.badge}"),
            ascii_line(f"{c.username}/{c.secret} {c.badge} {c.role}"),
            ascii_line(f"{c.username}/{c.secret} {c.badge}"),
        ], width)

    def render(self) -> Text:
        width, height = self.size
        if not self.credentials:
            return Text("", end="")
        lines = [self.line(c, width) for c in self.credentials]
        if height > len(lines):  # the heading only where there is room for it and every user
            lines.insert(0, first_fit(["Demo store - practice users:", "Demo users:", "Demo:"], width))
        return Text("\n".join(lines[:height]), no_wrap=True, overflow="crop", end="")


class LoginScreen(StoreScreen):
    """User name + PIN, or a badge starting with "B-" (see the module docstring for the keys)."""

    CSS_PATH = screen_css(__file__)

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "clear", "Clear", show=False)]

    def __init__(self, message: str = "", *, error: bool = False) -> None:
        super().__init__()
        self._initial_message = message
        self._initial_error = error
        self._busy = False
        # A scan that came while a login was in flight (a wrong badge, then the right one, back
        # to back): tried next if that login fails, dropped if it succeeds.
        self._next: tuple[str, str, str] | None = None

    def compose(self) -> ComposeResult:
        store = self.store_app.store_id
        yield TitleBar(("Store Assist - Log in", "Store Assist", "Log in"), (store, "") if store else ("",))
        with Vertical(id="body"):
            with Vertical(id="form"):
                with Horizontal(classes="row"):
                    yield FitLabel("User or badge:", "User:", classes="field-label")
                    yield AsciiField(id="user", max_length=64, clear_on_enter=is_badge, next_field=self._after_user)
                with Horizontal(classes="row"):
                    yield FitLabel("PIN / password:", "PIN:", classes="field-label")
                    yield AsciiField(id="pin", password=True, max_length=128, clear_on_enter=True)
            yield DemoCredentials(id="demo", classes="flex")
        yield bottom_bars(HINTS)

    @property
    def user_field(self) -> AsciiField:
        return self.query_one("#user", AsciiField)

    @property
    def pin_field(self) -> AsciiField:
        return self.query_one("#pin", AsciiField)

    def on_mount(self) -> None:
        self.user_field.focus()
        if self._initial_message:
            if self._initial_error:
                self.fail(self._initial_message, bell=False)
            else:
                self.say(self._initial_message)
        if self.store_app.demo:
            self.run_worker(self._load_demo(), group="demo", exclusive=True, exit_on_error=False)

    async def _load_demo(self) -> None:
        try:
            credentials = await self.store_app.demo_credentials()
        except (BackendUnavailable, BackendError) as exc:  # offline at start-up: say so, the form still works
            self.fail(exc, kind="offline", bell=False)
            return
        except Exception as exc:  # a bug: in the log file; one line here, and the form still works
            log.exception("demo credentials")
            self.fail(exc, bell=False)
            return
        for widget in self.query(DemoCredentials):
            widget.set_credentials(credentials)

    def action_clear(self) -> None:
        self.user_field.value = ""
        self.pin_field.value = ""
        self.user_field.focus()
        if bar := self.message_bar:
            bar.clear()

    def _after_user(self, value: str) -> AsciiField | None:
        """Enter in the user field: on to the PIN, unless it was a badge (or nothing)."""
        return self.pin_field if value.strip() and not is_badge(value) else None

    def on_ascii_field_entered(self, event: AsciiField.Entered) -> None:
        event.stop()
        value = event.value.strip()
        if event.field.id == "user":
            if is_badge(value):
                self._start(badge=value)
            elif not value:
                self.fail("Type your user name, or scan your badge")
            # else: the field has already moved the focus to the PIN (see _after_user)
            return
        user = self.user_field.value.strip()
        if is_badge(value):  # a badge scanned while the PIN field had the focus: a badge, not a PIN
            self.user_field.value = ""
            self._start(badge=value)
        elif not user:
            self.user_field.focus()
            self.fail("Type your user name first, or scan your badge")
        elif not event.value:
            self.fail("Type your PIN, then Enter")
        else:
            self._start(user=user, secret=event.value)

    def _start(self, *, user: str = "", secret: str = "", badge: str = "") -> None:
        if self._busy:
            self._next = (user, secret, badge)
            return
        self._busy = True
        self.say("Logging in...")
        self.run_worker(self._login(user, secret, badge), group="login", exclusive=True, exit_on_error=False)

    async def _login(self, user: str, secret: str, badge: str) -> None:
        client = self.store_app.client
        try:
            store = self.store_app.configured_store_id
            session: Session = await (client.login_badge(badge, store) if badge else client.login(user, secret, store))
        except (BackendUnavailable, BackendError) as exc:  # its message, or "offline since"
            self._refused(exc, user, badge)
            return
        except Exception as exc:  # a bug: in the log file; one line here, never a traceback
            log.exception("login")
            self._refused(exc, user, badge)
            return
        self._busy = False
        self._next = None
        self.store_app.start_session(session)

    def _refused(self, exc: BaseException, user: str, badge: str) -> None:
        """The login failed: one line, the PIN cleared, the next login typed meanwhile tried."""
        self._busy = False
        if self.is_attached:
            self.pin_field.value = ""
            (self.user_field if badge or not user else self.pin_field).focus()
            self.fail(exc)
            if self._next is not None:
                user, secret, badge = self._next
                self._next = None
                self._start(user=user, secret=secret, badge=badge)
