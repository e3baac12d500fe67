"""A list with a cursor for the module screens: one row per item, drawn from (text, urgent) pieces.

The cursor row is reverse video with `>`; urgent pieces are bold reverse (bold on the cursor row),
so state reads without colour. Hidden rows above / below are marked `^` / `v`. The cursor stays on
the same item (by key) when the items are replaced by a fresh poll.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Generic, TypeVar

from rich.text import Text
from textual.widget import Widget

from storeassist_tui.widgets.bars import BOLD, BOLD_REVERSE, REVERSE
from storeassist_tui.widgets.text import ascii_line

T = TypeVar("T")
Piece = tuple[str, bool]  # text, urgent


def fit(forms: Sequence[Sequence[Piece]], width: int) -> list[Piece]:
    """The first form of a row (its pieces) that fits the width, else the last one: a row is
    written as whole forms, longest first, rather than cut to the width."""
    for form in forms:
        if sum(len(p) for p, _ in form) <= width - 1:  # one column for the cursor
            return list(form)
    return list(forms[-1])


def scroll_top(top: int, cursor: int, rows: int, height: int) -> int:
    """The first row to draw so the cursor is visible and no room is left empty below the list."""
    if cursor < top:
        top = cursor
    elif cursor >= top + height:
        top = cursor - height + 1
    return max(0, min(top, rows - height))


def scroll_mark(row: int, top: int, rows: int, height: int) -> str:
    """`^` on the first drawn row when rows are hidden above, `v` on the last when below."""
    if row == 0 and top > 0:
        return "^"
    if row == height - 1 and top + height < rows:
        return "v"
    return ""


class RowList(Widget, Generic[T]):
    """Items drawn by `row(item, width)`; `key(item)` keeps the cursor on its item across updates.
    A paged list hands over its rows with `set_source` (a row is None until its page comes)."""

    DEFAULT_CSS = """
    RowList { height: 1fr; width: 1fr; text-wrap: nowrap; text-overflow: clip; }
    """

    def __init__(self, row: Callable[[T, int], Sequence[Piece]], key: Callable[[T], Hashable], empty: str, *,
                 mark: Callable[[T], str] | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.row, self.key, self.empty = row, key, empty
        self.mark = mark  # the first column of a row (e.g. `*` marked); a blank one shows the cursor
        self.items: Sequence[T] = []
        self.cursor = 0
        self.top = 0

    @property
    def current(self) -> T | None:
        return self.items[self.cursor] if 0 <= self.cursor < len(self.items) else None

    def set_items(self, items: Sequence[T], empty: str | None = None) -> None:
        """New rows; the cursor stays on the item it was on (or the row where it was)."""
        keep = self.key(self.current) if self.current is not None else None
        self.items = list(items)
        if empty is not None:
            self.empty = empty
        if keep is not None:
            for i, item in enumerate(self.items):
                if self.key(item) == keep:
                    self.cursor = i
                    break
        self.cursor = max(0, min(self.cursor, len(self.items) - 1))
        self.refresh()

    def set_source(self, items: Sequence[T], cursor: int | None = None) -> None:
        """Rows of a paged list (items may be None until their page comes), not copied: the
        cursor keeps its row, or goes to `cursor`."""
        self.items = items
        if cursor is not None:
            self.cursor = cursor
        self.cursor = max(0, min(self.cursor, len(items) - 1))
        self.refresh()

    def move(self, delta: int) -> None:
        if self.items:
            self.cursor = max(0, min(self.cursor + delta, len(self.items) - 1))
            self.refresh()

    def page(self, direction: int) -> None:
        self.move(direction * max(self.size.height - 1, 1))

    def go_to(self, key: Hashable) -> bool:
        for i, item in enumerate(self.items):
            if self.key(item) == key:
                self.cursor = i
                self.refresh()
                return True
        return False

    def render(self) -> Text:
        width, height = self.size
        if not self.items:
            return Text(ascii_line(self.empty)[:width], end="")
        text = Text(no_wrap=True, overflow="crop", end="")
        if height <= 0:
            return text
        self.top = scroll_top(self.top, self.cursor, len(self.items), height)
        for row, item in enumerate(self.items[self.top:self.top + height]):
            i = self.top + row
            if row:
                text.append("\n")
            pieces = [(ascii_line(p), urgent) for p, urgent in self.row(item, width)]
            first = (self.mark(item) if self.mark else " ")[:1] or " "
            cursor = i == self.cursor
            if first == " " and cursor:
                first = ">"
            elif first == " ":
                first = scroll_mark(row, self.top, len(self.items), height) or " "
            plain = first + "".join(p for p, _ in pieces)
            line = Text(plain[:width].ljust(width) if cursor else plain[:width], style=REVERSE if cursor else "",
                        no_wrap=True, overflow="crop", end="")
            at = 1
            for p, urgent in pieces:
                if urgent:
                    line.stylize(BOLD if cursor else BOLD_REVERSE, at, at + len(p))
                at += len(p)
            text.append_text(line)
        return text
