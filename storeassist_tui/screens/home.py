"""The home screen: the store and the associate, the live counts of the modules.

The modules, their rows, key hints and keys come from the registry (screens/registry.py; the
built-in ones are in screens/modules.py). Keys: 1 / F1 Pick, 2 / F2 Stage, 3 / F3 Hand-off,
4 / F4 Orders (a registered module's digit and F-key); F10 log out, 0 asks "Log out?"
first (Enter = yes: a digit is easily hit). Esc does nothing here (it is "back" elsewhere, and
home is as far back as it goes).

The counts are polled (services/polling.py: one request at a time, a one-shot timer re-armed after
each answer, every `app.poll_interval_s`; the client sends If-None-Match, the server answers 304
when nothing changed; offline back-off up to 30 s).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static

from storeassist_tui.client import Counts
from storeassist_tui.scanning import Entry
from storeassist_tui.screens import StoreScreen, bottom_bars, screen_css
from storeassist_tui.screens.polled import PolledScreen
from storeassist_tui.screens.registry import Module, ModuleRegistry
from storeassist_tui.services.messages import QueueChanged
from storeassist_tui.widgets import Hint, ScanField, TitleBar
from storeassist_tui.widgets.bars import BOLD_REVERSE

LOGOUT_HINT = Hint("F10/0", "Logout", "0", "Out")


class ModuleCounts(Widget):
    """The modules with their live counts, one row each, in the longest form that fits."""

    DEFAULT_CSS = """
    ModuleCounts { width: 1fr; text-wrap: nowrap; text-overflow: clip; }
    """

    def __init__(self, modules: ModuleRegistry, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.modules = modules
        self.counts: Counts | None = None
        self.styles.height = len(modules)  # one row per module

    def set_counts(self, counts: Counts) -> None:
        if counts != self.counts:  # redraw only what changed
            self.counts = counts
            self.refresh()

    def render(self) -> Text:
        width = self.size.width
        text = Text(no_wrap=True, overflow="crop", end="")
        for i, forms in enumerate(m.rows(self.counts) for m in self.modules):
            pieces = next((f for f in forms if sum(len(s) for s, _ in f) <= width), forms[-1])
            if i:
                text.append("\n")
            line = Text(no_wrap=True, overflow="crop", end="")
            for s, urgent in pieces:
                line.append(s, BOLD_REVERSE if urgent else None)
            line.truncate(width)
            text.append_text(line)
        return text


class HomeScreen(PolledScreen):
    """Store, associate, and the live counts of the registered modules.

    Scans work here too: an order number opens the module its state calls for (pick, stage,
    hand-off; Orders once closed: `Module.orders`) and that order there. The menu keys are
    digits, so a digit followed at once by more characters is a scan, not a key (input_router.py)."""

    TAKES_SCANS = True
    LONE_KEYS = True

    CSS_PATH = screen_css(__file__)

    # The modules' keys (their digit, and F1-F9) come from the registry, in `action_for`: home
    # takes scans, so every key reaches it through the App's input routing, which asks that.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f10", "logout", "Logout", show=False),
        Binding("0", "ask_logout", "Logout", show=False),
        Binding("enter", "confirm", show=False),
        Binding("escape", "nothing", show=False),
    ]

    def __init__(self, modules: ModuleRegistry) -> None:
        super().__init__()
        self.modules = modules
        self.poller = self.new_poller("counts", self._fetch)
        self._asking = False  # "Log out?" is on screen

    def compose(self) -> ComposeResult:
        app = self.store_app
        user = app.session.user if app.session else None
        store = next((s for s in user.stores if s.id == app.store_id), None) if user else None
        left = (store.name,) if store else (app.store_id or "No store",)
        name = user.display_name or user.username if user else ""
        right = (name, name.split()[0]) if name else ("",)
        yield TitleBar(left, right)
        with Vertical(id="body"):
            yield ModuleCounts(self.modules, id="counts")
            yield Static("", id="spacer", classes="flex")
        hints = [*(m.hint for m in self.modules), LOGOUT_HINT]
        yield bottom_bars(hints, ScanField("Scan an order number:", "Scan order:", "Order:", id="scan"))

    def on_mount(self) -> None:
        if not self.store_app.store_id:
            self.fail("No store assigned to you; ask your lead")

    async def _fetch(self) -> Counts:
        return await self.store_app.client.counts(self.store_app.store_id)

    def on_queue_changed(self, message: QueueChanged) -> None:
        self._show(message.value)

    def _show(self, counts: Counts) -> None:
        for widget in self.query(ModuleCounts):  # none while the screen is being taken down
            widget.set_counts(counts)

    async def handle_entry(self, entry: Entry) -> None:
        """A scan on home: an order number opens its module and the order there; anything else is
        refused here."""
        text = entry.text.strip()
        if len(text) == 1 and (action := self.action_for(text)) is not None:
            await self.run_action(action)  # a menu key typed and ended with Enter
            if action == "ask_logout":
                self.action_confirm()  # "0" then Enter, faster than the key window: the Enter is the yes
            return
        if entry.too_long or not text:
            keys = self.modules.menu_keys()
            self.fail((f"Choose {keys}, or scan an order number", f"Choose {keys} or scan an order", f"{keys} or scan"))
            return
        # The order's state says where it is worked on next: picking, staging, hand-off, or just
        # looking it up once it is closed. The module is handed the order (no second look-up).
        if (order := await self.find_order(text)) is None:
            return
        if (module := self.modules.for_state(order.status)) is None or not self._may_open(module):
            return
        screen = module.screen()
        await self.app.push_screen(screen)
        if isinstance(screen, StoreScreen):
            await screen.show_order(order)

    def _may_open(self, module: Module) -> bool:
        """Whether the associate's role may open `module` (said with the bell when not)."""
        if module.permission and not self.store_app.may(module.permission):
            self.fail(self.store_app.role_refusal(f"use {module.title}"))
            return False
        return True

    # Keys
    def action_for(self, key: str) -> str | None:
        module = self.modules.by_key(key)
        return f"module({module.name!r})" if module is not None else super().action_for(key)

    def action_module(self, name: str) -> None:
        self._withdraw()
        if (module := self.modules.get(name)) is not None and self._may_open(module):
            self.app.push_screen(module.screen())

    def action_logout(self) -> None:
        self.store_app.request_logout()

    def action_ask_logout(self) -> None:
        """0 asks first: a digit is easily hit, typing a number on home must not end the session."""
        self._asking = True
        self.ask(("Log out? Enter = yes, any other key = no", "Log out? Enter = yes", "Out? Enter"), kind="confirm")

    def action_confirm(self) -> None:
        if self._asking:
            self.store_app.request_logout()

    def typing_started(self) -> None:
        super().typing_started()
        self._withdraw()

    def before_input(self, action: str | None) -> None:
        if action not in ("confirm", "ask_logout"):
            self._withdraw()  # a scan, a typed entry, an arrow: anything but Enter says no

    def _withdraw(self) -> None:
        """Any key but Enter after "Log out?" withdraws the question."""
        if self._asking:
            self._asking = False
            if bar := self.message_bar:
                bar.clear("confirm")

    def action_nothing(self) -> None:
        """Esc on home: nothing to go back to (it only withdraws a "Log out?")."""
        self._withdraw()
