"""ASCII-only text helpers and a label that picks the longest form that fits its width."""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum

from rich.text import Text
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


def clip(text: str, width: int) -> str:
    """`text` cut to `width` characters, with no ellipsis (as `first_fit`): where the cut would
    lose what matters, the screen gives a shorter form instead."""
    return text[: max(width, 0)]


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
        new = [[ascii_line(f) for f in forms] or [""] for forms in rows]
        if new != self.rows:
            resize = len(new) != len(self.rows)
            self.rows = new
            self.refresh(layout=resize)

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
