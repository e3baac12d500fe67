"""ASCII-only text helpers and a label that picks the longest form that fits its width."""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum

from rich.text import Text
from textual.geometry import Region
from textual.widget import Widget

_REPLACE = {
    "\u2026": "...", "\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"',
    "\u201d": '"', "\u00a0": " ", "\u2022": "*", "\u00b7": ".",
}


def ascii_line(text: str) -> str:
    """One line of printable ASCII: line breaks and tabs become spaces, anything else non-ASCII `?`."""
    out = []
    for ch in text:
        if ch in "\r\n\t":
            out.append(" ")
        elif ch in _REPLACE:
            out.append(_REPLACE[ch])
        elif " " <= ch <= "~":
            out.append(ch)
        elif ch.isprintable():
            out.append("?")
    return "".join(out)


def first_fit(candidates: Sequence[str], width: int) -> str:
    """The first candidate no wider than `width`, else the last one clipped (never an ellipsis)."""
    for candidate in candidates:
        if len(candidate) <= width:
            return candidate
    return candidates[-1][: max(width, 0)] if candidates else ""



class Quote(IntEnum):
    """How many characters of a free text (an item's description, a customer's name, what was
    typed or scanned) a message form quotes. The screens' forms name one of these rather than a
    number, so the widths are chosen here; the label then picks the longest form that fits."""

    REASON = 40  # a typed reason, inside the longest form of a question
    LONG = 30  # a description or typed text in a message's longest form
    NAME = 24  # a description or order number where the message has room for one long quote
    SCAN = 20  # a scanned code, in what a request waiting for the backend says it is
    MID = 16  # a description in a middle form
    SHORT = 12  # a description or typed text in a short form


class Width(IntEnum):
    """The terminal widths at which a list's columns change (a row's own forms aside)."""

    WIDE = 70  # room for every column: a store PC, an 80-column terminal
    MIDDLE = 40  # a 40-column scanner terminal
    NARROW = 30  # below it a weight shows without its unit


class Column(IntEnum):
    """Widths of the lists' aligned columns, named for the column and the row form they sit in
    (a row is written as forms for about 80, 40 and 20 columns; `fit` draws the widest that fits).
    Chosen here so that a row form reads as its columns, not as numbers."""

    ITEM = 40  # an item's description in a wide row
    PLACE = 22  # a staging location in a wide row
    NAME_ALONE = 20  # a customer's name in a wide row with no place beside it
    PLACE_WAIT = 20  # where a not-yet-arrived order waits, in a wide row
    ITEM_MID = 22  # an item's description in a middle row
    ITEM_MID_COUNTED = 24  # the same beside a short count
    NAME = 16  # a customer's name in a wide row beside a place
    PLACE_MID = 16  # a place in a middle row
    NAME_TOTE = 14  # a customer's name after a tote and an order number
    ITEM_SHORT = 10  # an item's description in a narrow row
    ITEM_SHORT_COUNTED = 12  # the same beside a short count
    FIRST = 10  # a first name in a middle row beside a count
    FIRST_PLACE = 9  # a first name in a middle row beside a wait or a place
    FIRST_STATE = 8  # a first name in a middle row beside a state
    STATE = 10  # an order's state word in a wide row
    STATE_SHORT = 8  # an order's state word in a narrow row
    DEPARTMENT = 6  # a department (or an aisle) before a walk line's item
    ORDER = 10  # an order number in a wide queue row
    ORDER_MID = 9  # the same in a middle queue row
    ITEM_SUBST = 26  # an item's description before its substitution word
    WHERE = 34  # where the customer waits (and their note), last in a wide row
    WHERE_MID = 12  # the same in a middle row
    PLACE_SHORT = 8  # where the customer waits, in a narrow row


def clip(text: str, width: int) -> str:
    """`text` cut to `width` characters, with no ellipsis (as `first_fit`): where the cut would
    lose what matters, the screen gives a shorter form instead."""
    return text[: max(width, 0)]


def cell(text: str, width: int) -> str:
    """`text` clipped and padded to `width`, so the column after it lines up from row to row."""
    return clip(text, width).ljust(width)


class FitLabel(Widget):
    """A one-line label given several forms, longest first; it draws the first that fits."""

    DEFAULT_CSS = """
    FitLabel { height: 1; width: 1fr; text-wrap: nowrap; text-overflow: clip; }
    """

    def __init__(self, *forms: str, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._forms = [ascii_line(f) for f in forms] or [""]

    @property
    def forms(self) -> list[str]:
        return list(self._forms)

    def set_forms(self, *forms: str) -> None:
        self._forms = [ascii_line(f) for f in forms] or [""]
        self.refresh()

    def render(self) -> Text:
        return Text(first_fit(self._forms, self.size.width), no_wrap=True, overflow="crop", end="")


class FormLines(Widget):
    """Several lines, each given as forms longest first; each line draws the first that fits.
    The first line can be bold (a heading, e.g. the item's description)."""

    DEFAULT_CSS = """
    FormLines { height: auto; width: 1fr; text-wrap: nowrap; text-overflow: clip; }
    """

    def __init__(self, *, bold_first: bool = False, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.bold_first = bold_first
        self.rows: list[list[str]] = []

    def set_rows(self, rows: Sequence[Sequence[str]]) -> None:
        """Show `rows`; only the rows that changed are repainted (the same number of rows)."""
        new = [[ascii_line(f) for f in forms] or [""] for forms in rows]
        if new == self.rows:
            return
        if len(new) != len(self.rows):
            self.rows = new
            self.refresh(layout=True)
            return
        changed = [Region(0, y, self.size.width, 1) for y, (was, now) in enumerate(zip(self.rows, new, strict=True))
                   if was != now]
        self.rows = new
        self.refresh(*changed)

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return len(self.rows)

    def render(self) -> Text:
        width = self.size.width
        text = Text(no_wrap=True, overflow="crop", end="")
        for i, forms in enumerate(self.rows):
            if i:
                text.append("\n")
            text.append(first_fit(forms, width), style="bold" if i == 0 and self.bold_first else "")
        return text


class Banner(FitLabel):
    """A one-line notice over the message bar on every screen (a customer arrived): bold reverse
    video, hidden while empty so it takes a row only when it has something to say."""

    DEFAULT_CSS = """
    Banner { text-style: bold reverse; display: none; }
    """

    def show_forms(self, forms: Sequence[str]) -> None:
        self.set_forms(*forms)
        self.display = bool(forms and forms[0])
