"""The terminal's bytes into keys: every escape sequence is read whole, and one that is no key is
dropped whole.

Textual's own parser re-issues a sequence it does not know as typed characters ("[99~", "22;default"
of an OSC answer, a device-attributes reply...). On a scan screen those land in the scan buffer
and glue onto the next scan ("Unknown code [99~757368193034"): one good scan lost per stray
sequence. Here a sequence is delimited by its grammar (ECMA-48: CSI parameters then a final byte,
SS3 plus one byte, OSC / DCS / APC / PM / SOS up to their terminator), then it is a key Textual
knows, a bracketed paste, or nothing at all. ESC followed by a plain character is Esc, then that
character (associates press Esc then a digit all day; it is no Alt+digit here).

`install()` makes Textual's Linux driver use this parser (the driver names its parser class at
module level); it is called by the CLI before the app runs.
"""

from __future__ import annotations

import os

# The terminal recipe, before Textual is first imported (see app.py): this module may come first.
os.environ.setdefault("TEXTUAL_DISABLE_KITTY_KEY", "1")
os.environ.setdefault("ESCDELAY", "400")

from collections.abc import Generator

from textual import constants, events
from textual._ansi_sequences import ANSI_SEQUENCES_KEYS
from textual._parser import ParseEOF, ParseTimeout, Peek1, Read1, TokenCallback
from textual._xterm_parser import XTermParser
from textual.keys import Keys
from textual.message import Message

ESC = "\x1b"
BEL = "\x07"
PASTE_START = "\x1b[200~"
PASTE_END = "\x1b[201~"
MAX_SEQUENCE = 64  # a CSI longer than this is garbage, not a key
MAX_STRING = 4096  # an OSC / DCS body longer than this is dropped as it comes
_STRINGS = frozenset("]P_^X")  # OSC, DCS, APC, PM, SOS: a body up to BEL or ST


class KeyParser(XTermParser):
    """Textual's parser with a stricter grammar; the key tables are Textual's own."""

    def parse(self, token_callback: TokenCallback[Message]) -> Generator[Read1 | Peek1, str, None]:
        def keys(sequence: str) -> None:
            for event in self._keys(sequence):
                if event.key != Keys.Ignore:
                    token_callback(event)

        pending = ""  # a character read while looking for the end of an Esc, to handle next
        while not self.is_eof:
            if pending:
                ch, pending = pending, ""
            else:
                try:
                    ch = yield self.read1()
                except ParseEOF:
                    return
            if ch != ESC:
                keys(ch)
                continue
            try:
                nxt = yield self.read1(constants.ESCAPE_DELAY)
            except ParseTimeout:
                token_callback(events.Key("escape", ESC))
                continue
            except ParseEOF:
                token_callback(events.Key("escape", ESC))
                return
            if nxt == "[":
                try:
                    sequence = yield from self._csi()
                except ParseTimeout:
                    continue  # a sequence cut short: its start is dropped, never typed
                except ParseEOF:
                    return
                if sequence == PASTE_START:
                    try:
                        text = yield from self._paste()
                    except ParseEOF:
                        return
                    token_callback(events.Paste(text.replace("\x00", "")))
                elif sequence:
                    keys(sequence)
            elif nxt == "O":
                try:
                    final = yield self.read1(constants.ESCAPE_DELAY)
                except (ParseTimeout, ParseEOF):
                    continue
                keys(ESC + "O" + final)
            elif nxt in _STRINGS:
                try:
                    yield from self._string()
                except (ParseTimeout, ParseEOF):
                    continue
            else:
                # Esc then a key of its own: Esc, then that key (an Esc now starts a new sequence).
                token_callback(events.Key("escape", ESC))
                pending = nxt

    def _keys(self, sequence: str) -> list[events.Key]:
        """Textual's key table only: a sequence it does not list is no key (Textual would also try
        the kitty protocol here, which reads any CSI ending in u or ~ as some key)."""
        if len(sequence) == 1:
            return list(self._sequence_to_key_events(sequence))
        keys = ANSI_SEQUENCES_KEYS.get(sequence)
        if isinstance(keys, str):  # the keypad's digits in application mode
            return list(self._sequence_to_key_events(keys))
        if isinstance(keys, tuple):
            return [events.Key(k.value, None) for k in keys]
        return []

    def _csi(self) -> Generator[Read1 | Peek1, str, str]:
        """After ESC [: parameter and intermediate bytes up to the final byte. Empty when it is
        too long to be anything (the rest is read up to its final byte and dropped)."""
        body = ""
        while True:
            ch = yield self.read1(constants.ESCAPE_DELAY)
            if body == "" and ch == "[":  # the Linux console's F1-F5: ESC [ [ A
                ch2 = yield self.read1(constants.ESCAPE_DELAY)
                return ESC + "[[" + ch2
            if "\x20" <= ch <= "\x3f":
                body += ch
                continue
            if "\x40" <= ch <= "\x7e":
                return "" if len(body) > MAX_SEQUENCE else ESC + "[" + body + ch
            return ""  # a control character inside a CSI: the sequence is broken, drop it

    def _string(self) -> Generator[Read1 | Peek1, str, None]:
        """An OSC / DCS / APC / PM / SOS body: read up to BEL, ST (ESC \\) or C1 ST, and dropped."""
        count = 0
        while count < MAX_STRING:
            ch = yield self.read1(constants.ESCAPE_DELAY)
            count += 1
            if ch in (BEL, "\x9c"):
                return
            if ch == ESC:
                yield self.read1(constants.ESCAPE_DELAY)  # the "\\" of ST (or whatever follows)
                return

    def _paste(self) -> Generator[Read1 | Peek1, str, str]:
        """The text of a bracketed paste, up to ESC [ 201 ~."""
        text: list[str] = []
        while True:
            ch = yield self.read1()
            text.append(ch)
            if ch == "~" and "".join(text[-len(PASTE_END):]) == PASTE_END:
                return "".join(text[: -len(PASTE_END)])


def install() -> None:
    """Make Textual's Linux driver read the terminal with `KeyParser`."""
    from textual.drivers import linux_driver

    linux_driver.XTermParser = KeyParser  # type: ignore[misc]
