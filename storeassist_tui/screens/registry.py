"""The module registry: what home offers (its menu rows, key hints and keys) and where an order
scanned on home goes, each module declared once as a `Module`.

Adding a module is one new screen file plus one registration (`screens/modules.py` for the
built-in ones, or `StoreAssistApp.register_module`); home and the App read the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from textual.screen import Screen

from storeassist_tui.client import Counts
from storeassist_tui.widgets import Hint

Piece = tuple[str, bool]  # a run of text on a home row; True: urgent (bold reverse video)
ModuleFactory = Callable[[], Screen[Any]]
ANY_OTHER_STATE = "*"  # in `Module.orders`: an order in a state no other module takes opens here
KEYS = "123456789"  # home's menu digits; F1-F9 go with them, 0 and F10 are log out


@dataclass(frozen=True)
class Module:
    """One module of the app, as home shows it and the App opens it."""

    name: str  # how the code names it ("handoff")
    key: str  # its digit on home ("3"); F3 opens it too
    title: str  # its name on a wide screen ("Hand-off")
    screen: ModuleFactory  # its first screen, opened by the key
    short: tuple[str, ...] = ()  # shorter names for narrow key bars, longest first ("Hand",)
    # Needed to open it at all; "" when every role may look (the built-in modules: each step
    # checks its own permission, and the backend enforces them).
    permission: str = ""
    # Its row on home from the live counts: the forms, longest first, each a list of pieces
    # (the key is put in front). None: the row is just its key and title.
    counts: Callable[[Counts], Sequence[Sequence[Piece]]] | None = None
    # The states of an order scanned on home that this module works on next.
    orders: tuple[str, ...] = ()

    @property
    def hint(self) -> Hint:
        short = (*self.short, "", "")
        return Hint(f"F{self.key}/{self.key}", self.title, self.key, short[0], short[1])

    @property
    def keys(self) -> tuple[str, str]:
        return self.key, f"f{self.key}"

    def rows(self, counts: Counts | None) -> list[list[Piece]]:
        """Its row's forms on home, longest first, the key in front."""
        if counts is None or self.counts is None:
            return [[(f"{self.key} {self.title}", False)]]
        return [[(f"{self.key} ", False), *form] for form in self.counts(counts)]


class ModuleRegistry:
    """The modules, in the order of their keys."""

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        self._modules: dict[str, Module] = {}
        for module in modules:
            self.register(module)

    def register(self, module: Module) -> None:
        """Add `module`; one of the same name is replaced (a stand-in screen, say)."""
        if len(module.key) != 1 or module.key not in KEYS:
            raise ValueError(f"module {module.name!r}: its key must be one of {KEYS}, not {module.key!r}")
        taken = next((m for m in self._modules.values() if m.key == module.key and m.name != module.name), None)
        if taken is not None:
            raise ValueError(f"module {module.name!r}: key {module.key} is {taken.name!r}'s")
        self._modules[module.name] = module

    def __iter__(self) -> Iterator[Module]:
        return iter(sorted(self._modules.values(), key=lambda m: m.key))

    def __len__(self) -> int:
        return len(self._modules)

    def get(self, name: str) -> Module | None:
        return self._modules.get(name)

    def by_key(self, key: str) -> Module | None:
        """The module a key opens on home ("2" or "f2")."""
        return next((m for m in self if key in m.keys), None)

    def for_state(self, status: str) -> Module | None:
        """The module an order in `status` goes to when scanned on home."""
        return (next((m for m in self if status in m.orders), None)
                or next((m for m in self if ANY_OTHER_STATE in m.orders), None))

    def menu_keys(self) -> str:
        """The keys as home names them: "1-4"."""
        keys = [m.key for m in self]
        return "" if not keys else keys[0] if len(keys) == 1 else f"{keys[0]}-{keys[-1]}"
