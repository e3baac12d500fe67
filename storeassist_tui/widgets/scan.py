"""`ScanField`: the one-line field that shows the App's scan buffer (`storeassist_tui/scanning.py`
has the buffer and says why it is one object fed from the App's own key handler)."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from storeassist_tui.scanning import GS
from storeassist_tui.widgets.text import ascii_line


class ScanField(Widget):
    """The one-line scan / typed-code field of a screen: a label, then what is typed so far,
    underlined, with a reverse-video caret (no blinking: it costs bandwidth). It only shows the
    App's `ScanBuffer`; the App feeds it keys (see the module docstring for why)."""

    DEFAULT_CSS = """
    ScanField { height: 1; width: 1fr; text-wrap: nowrap; text-overflow: clip; }
    """

    def __init__(self, *labels: str, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._labels = [ascii_line(s) for s in labels] or ["Scan:"]
        self.buffer_text = ""

    def set_labels(self, *labels: str) -> None:
        new = [ascii_line(s) for s in labels] or ["Scan:"]
        if new != self._labels:
            self._labels = new
            self.refresh()

    def show_buffer(self, text: str) -> None:
        if text != self.buffer_text:
            self.buffer_text = text
            self.refresh()

    def render(self) -> Text:
        width = self.size.width
        typed = ascii_line(self.buffer_text.replace(GS, " "))
        # The longest label that leaves room for at least 12 typed characters.
        label = next((lbl for lbl in self._labels if len(lbl) + 13 <= width), self._labels[-1])
        room = max(width - len(label) - 2, 1)
        shown = typed[-room:]  # the end of a long entry: what was typed last
        text = Text(no_wrap=True, overflow="crop", end="")
        text.append(label + " ", style="bold")
        text.append(shown, style="underline")
        text.append(" ", style="reverse")
        text.append(" " * max(room - len(shown), 0), style="underline")
        return text
