"""One-line title bar, one-line message bar and the key-hint bar (our own, not the stock Footer).

All three draw only ASCII, clip instead of wrapping or adding an ellipsis, and mark state with
bold / reverse video so they read the same with NO_COLOR, on a VT220 and in colour.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from storeassist_tui.widgets.text import Width, ascii_line

BOLD = Style(bold=True)
BOLD_REVERSE = Style(bold=True, reverse=True)
REVERSE = Style(reverse=True)


class TitleBar(Widget):
    """One line in bold reverse video: `left` flush left, `right` flush right.

    Each side is given as forms, longest first; the bar shows the longest pair that fits
    (left gets priority), else the shortest left form clipped.
    """

    DEFAULT_CSS = """
    TitleBar { height: 1; width: 1fr; text-wrap: nowrap; text-overflow: clip; }
    """

    def __init__(self, left: Sequence[str] = ("",), right: Sequence[str] = ("",), *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._left = [ascii_line(s) for s in left] or [""]
        self._right = [ascii_line(s) for s in right] or [""]

    def set_title(self, left: Sequence[str], right: Sequence[str] = ("",)) -> None:
        self._left = [ascii_line(s) for s in left] or [""]
        self._right = [ascii_line(s) for s in right] or [""]
        self.refresh()

    def line(self, width: int) -> str:
        for left in self._left:
            for right in self._right:
                gap = 1 if left and right else 0
                if len(left) + gap + len(right) <= width:
                    return left + " " * (width - len(left) - len(right)) + right
        # Nothing fits whole: clip the left side, keep the shortest right side (e.g. who is logged in).
        right = min(self._right, key=len)
        room = width - len(right) - 1
        if right and room >= 4:
            left = self._left[0][:room].rstrip()
            return left + " " * (width - len(left) - len(right)) + right
        return self._left[-1][:width].ljust(width)

    def render(self) -> Text:
        return Text(self.line(self.size.width), style=BOLD_REVERSE, no_wrap=True, overflow="crop", end="")


def _visible_rows(widget: Widget) -> int:
    """Rows of `widget` actually on screen (a 1fr widget pushed out of a clipped body has none)."""
    region = widget.region
    parent = widget.parent
    if isinstance(parent, Widget):
        region = region.intersection(parent.region)
    return region.height


class MessageBar(Widget):
    """What just happened, on one line. Errors are bold reverse video (and the screen rings the
    bell); information is bold.

    `text` may be given as forms, longest first: the longest that fits one line is shown. When
    none fits, the message wraps onto 2 lines (3 below 40 columns) rather than losing its end
    ("... (5 tries left)"), taking the rows from the screen's widgets of class "flex" (blank
    space, the demo list); when there are none to take, it is clipped.
    `kind` tags a message so that, e.g., the "offline" line can be cleared when the backend
    answers again without wiping an unrelated message.
    """

    DEFAULT_CSS = """
    MessageBar { height: 1; width: 1fr; text-wrap: nowrap; text-overflow: clip; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.forms: list[str] = [""]
        self.error = False
        self.kind = ""
        self.wrap = False
        self._lines: list[str] = []

    @property
    def text(self) -> str:
        """The full message (its longest form)."""
        return self.forms[0]

    def show(self, text: str | Sequence[str], *, error: bool = False, kind: str = "", wrap: bool = False) -> None:
        """`wrap`: a question - its full text on up to 2 rows (3 below 40 columns) is better than a
        short form on one, so the short forms are used only when the full one cannot fit."""
        forms = [text] if isinstance(text, str) else list(text)
        self.forms = [ascii_line(f).strip() for f in forms] or [""]
        self.error, self.kind, self.wrap = error, kind, wrap
        self.relayout()

    def clear(self, kind: str | None = None) -> None:
        """Clear the line; with `kind`, only if the line shown is of that kind."""
        if kind is None or self.kind == kind:
            self.show("")

    def _max_rows(self, width: int) -> int:
        cap = 2 if width >= Width.MIDDLE else 3
        if not self.is_attached:
            return 1
        # Only rows a flexible widget of the screen (class "flex") can give up: the key bar and
        # the body's fixed rows are never pushed off the screen.
        spare = sum(_visible_rows(w) for w in self.screen.query(".flex"))
        return max(1, min(cap, max(self.size.height, 1) + spare))

    def relayout(self) -> None:
        width = self.size.width or (self.app.size.width if self.is_attached else 80)
        fitting = next((f for f in self.forms if len(f) <= width), None)
        wrapped = None
        if self.wrap and len(self.forms[0]) > width:  # a question: the fullest form that wraps into the rows
            rows = self._max_rows(width)
            wrapped = next((w for f in self.forms if len(w := textwrap.wrap(f, width)) <= rows), None)
        if wrapped is not None:
            lines = wrapped
        elif fitting is not None:
            lines = [fitting] if fitting else []
        else:
            lines = textwrap.wrap(self.forms[0], width, break_long_words=True)[: self._max_rows(width)]
        self._lines = lines
        rows = max(1, len(lines))
        if self.styles.height is None or self.styles.height.value != rows:
            self.styles.height = rows
        self.refresh()

    def on_resize(self) -> None:
        self.relayout()

    def render(self) -> Text:
        width = self.size.width
        if not self._lines:
            return Text("", end="")
        style = BOLD_REVERSE if self.error else BOLD
        # An error is reverse video across the whole width, so it is seen without colour.
        shown = [ln[:width].ljust(width) if self.error else ln[:width] for ln in self._lines]
        return Text("\n".join(shown), style=style, no_wrap=True, overflow="crop", end="")


@dataclass(frozen=True)
class Hint:
    """One key hint: `key` / `label` at full width, `short_key` / `short_label` when narrow,
    `tiny_label` when even that does not fit (20x8)."""

    key: str
    label: str
    short_key: str = ""
    short_label: str = ""
    tiny_label: str = ""

    def form(self, level: int) -> tuple[str, str]:
        """level 0: "F3/3 Hand-off"; 1: "3 Hand-off"; 2: "3 Hand"; 3: "3 Hnd"."""
        key = self.key if level == 0 else (self.short_key or self.key)
        labels = [self.label, self.label, self.short_label, self.tiny_label]
        label = next((lbl for lbl in reversed(labels[: level + 1]) if lbl), self.label)
        return ascii_line(key), ascii_line(label)


class KeyBar(Widget):
    """The key hints at the bottom of a screen: one grid cell per key, the key in reverse video.

    It picks the richest labels that fit the width, on as few rows as needed: up to 3 rows on a
    tall screen (12 rows or more), 1 row on a short one (e.g. 40x8) unless even the shortest
    labels need more, and clips only as a last resort.
    """

    DEFAULT_CSS = """
    KeyBar { height: 1; width: 1fr; text-wrap: nowrap; text-overflow: clip; }
    """

    def __init__(self, hints: Sequence[Hint] = (), *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._hints = list(hints)
        self._rows: list[list[tuple[str, str]]] = []
        self._widths: list[int] = []
        self._gap = 1

    def set_hints(self, hints: Sequence[Hint]) -> None:
        if list(hints) != self._hints:
            self._hints = list(hints)
            self.relayout()

    def _max_rows(self) -> int:
        height = self.screen.size.height if self.is_attached else 24
        return 3 if height >= 12 else 1

    @staticmethod
    def _arrange(cells: list[tuple[str, str]], rows: int) -> tuple[list[list[tuple[str, str]]], list[int]]:
        cols = math.ceil(len(cells) / rows) if cells else 0
        grid = [cells[r * cols:(r + 1) * cols] for r in range(rows)]
        grid = [row for row in grid if row]
        widths = [
            max(len(k) + (1 if lbl else 0) + len(lbl) for k, lbl in (row[c] for row in grid if c < len(row)))
            for c in range(cols)
        ]
        return grid, widths

    def layout_for(self, width: int, max_rows: int) -> tuple[list[list[tuple[str, str]]], list[int]]:
        if not self._hints:
            return [], []
        for level in (0, 1, 2, 3):
            cells = [h.form(level) for h in self._hints]
            for rows in range(1, max_rows + 1):
                grid, widths = self._arrange(cells, rows)
                for gap in (2, 1):
                    if sum(widths) + gap * (len(widths) - 1) <= width:
                        self._gap = gap
                        return grid, widths
        # Nothing fits in the rows a short screen can spare: a key hidden is worse than a row less
        # for the body, so take up to 3 rows of the shortest labels; clip only if even that fails.
        self._gap = 1
        cells = [h.form(3) for h in self._hints]
        for rows in range(max_rows + 1, 4):
            grid, widths = self._arrange(cells, rows)
            if sum(widths) + len(widths) - 1 <= width:
                return grid, widths
        return self._arrange(cells, 3)

    def relayout(self) -> None:
        width = self.size.width if self.size.width else (self.app.size.width if self.is_attached else 80)
        self._rows, self._widths = self.layout_for(width, self._max_rows())
        rows = max(1, len(self._rows))
        if self.styles.height is None or self.styles.height.value != rows:
            self.styles.height = rows
        self.refresh()

    def on_mount(self) -> None:
        self.relayout()

    def on_resize(self) -> None:
        self.relayout()

    def render(self) -> Text:
        width = self.size.width
        text = Text(no_wrap=True, overflow="crop", end="")
        for r, row in enumerate(self._rows):
            if r:
                text.append("\n")
            line = Text(no_wrap=True, overflow="crop", end="")
            for c, (key, label) in enumerate(row):
                if c:
                    line.append(" " * self._gap)
                line.append(key, REVERSE)
                cell = (" " + label) if label else ""
                line.append(cell.ljust(self._widths[c] - len(key)) if c < len(row) - 1 else cell)
            line.truncate(width)
            text.append_text(line)
        return text
