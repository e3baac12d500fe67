"""AsciiField: a one-line input fit for VT220s and keyboard-wedge scanners.

- one row, no border, underlined so its extent shows without colour; the caret is reverse video
  and never blinks (a blinking caret costs ~8 KB per 5 s idle at 80x24);
- draws ASCII only: a password shows `*`, any non-ASCII character `?`;
- Enter (CR), ctrl+j (LF) and the end of each pasted line end the entry: the field captures its
  value in its own key handler and posts `AsciiField.Entered` (clearing itself there when
  `clear_on_enter` says so), so characters of a next scan can never be glued to this one
  (Textual issue #6605). CR LF counts once.
- `next_field(value)` may name the field to move to after an entry (user name -> PIN): focus
  moves right there, in the key handler, and keys of the same burst that were already on their
  way to this field (the App forwards each key to the widget focused when it handled the key)
  are passed on to the field now focused, in order, instead of landing here.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from rich.text import Text
from textual import events
from textual.message import Message
from textual.widgets import Input

from storeassist_tui.widgets.text import ascii_line

_LINE_END = re.compile(r"\r\n|\r|\n")
_CRLF_WINDOW_S = 0.15


class AsciiField(Input):
    DEFAULT_CSS = """
    AsciiField, AsciiField:ansi {
        height: 1;
        width: 1fr;
        border: none;
        padding: 0;
        background: ansi_default;
        color: ansi_default;
        text-style: underline;
        &:focus { text-style: bold underline; }
        & > .input--cursor { background: ansi_default; color: ansi_default; text-style: reverse; }
        & > .input--placeholder { color: ansi_default; text-style: none; }
        & > .input--selection { background: ansi_default; color: ansi_default; text-style: reverse; }
    }
    """

    class Entered(Message):
        """The associate (or a scanner) ended an entry in `field` with `value`."""

        def __init__(self, field: AsciiField, value: str) -> None:
            super().__init__()
            self.field = field
            self.value = value

        @property
        def control(self) -> AsciiField:
            return self.field

    def __init__(
        self, value: str = "", *, password: bool = False, max_length: int = 0,
        clear_on_enter: bool | Callable[[str], bool] = False,
        next_field: Callable[[str], AsciiField | None] | None = None,
        name: str | None = None, id: str | None = None, classes: str | None = None,
    ) -> None:
        super().__init__(value, "", password=password, max_length=max_length, select_on_focus=False,
                         compact=True, name=name, id=id, classes=classes)
        self.cursor_blink = False
        self.clear_on_enter = clear_on_enter
        self.next_field = next_field
        self._last_cr = 0.0

    @property
    def _value(self) -> Text:
        """What is drawn: `*` for a password, `?` for anything outside printable ASCII."""
        shown = "*" * len(self.value) if self.password else ascii_line(self.value)
        return Text(shown, no_wrap=True, overflow="ignore", end="")

    def _end_entry(self) -> None:
        value = self.value
        clear = self.clear_on_enter(value) if callable(self.clear_on_enter) else self.clear_on_enter
        if clear:
            self.value = ""
        target = self.next_field(value) if self.next_field is not None else None
        if target is not None and target is not self and self.is_attached:
            self.screen.set_focus(target)  # now, not later: the next key of a burst must go there
        self.post_message(self.Entered(self, value))

    def _handed_on(self) -> AsciiField | None:
        """The field that should take a key which reached this one after focus moved on."""
        if not self.is_attached:
            return None
        focused = self.screen.focused  # set at once by set_focus (has_focus follows later, by message)
        return focused if isinstance(focused, AsciiField) and focused is not self else None

    def take_key(self, event: events.Key) -> None:
        """Handle a key synchronously (a key handed on by another field of the same burst)."""
        target = self._handed_on()
        if target is not None:
            target.take_key(event)
        elif event.key in ("enter", "ctrl+j"):
            self._enter(event.key)
        elif event.key == "backspace":
            self.action_delete_left()
        elif event.is_printable and event.character:
            self.insert_text_at_cursor(event.character)

    def _enter(self, key: str) -> None:
        now = time.monotonic()
        if key == "ctrl+j" and now - self._last_cr < _CRLF_WINDOW_S:
            self._last_cr = 0.0  # the LF of a CR LF: the entry already ended
            return
        if key == "enter":
            self._last_cr = now
        self._end_entry()

    async def on_key(self, event: events.Key) -> None:
        target = self._handed_on()
        if target is not None:
            event.stop()
            event.prevent_default()
            target.take_key(event)
            return
        if event.key not in ("enter", "ctrl+j"):
            return
        event.stop()
        event.prevent_default()
        self._enter(event.key)

    def _on_paste(self, event: events.Paste) -> None:
        event.stop()
        event.prevent_default()
        parts = _LINE_END.split(event.text)
        for i, part in enumerate(parts):
            if part:
                self.insert_text_at_cursor(part)
            if i < len(parts) - 1:
                self._end_entry()
