"""The scan path's rules: `ScanBuffer` turns keys and pastes into whole entries (pure: no Textual,
so its rules are tested on their own; `widgets/scan.py` shows it, `input_router.py` feeds it).

A keyboard-wedge scanner types a code and a suffix (CR, LF, CR LF or Tab) in one burst; an
associate types the same field by hand. Why the buffer is one object owned by the App and fed
from the App's own key handler, not a stock `Input` per screen:

- Textual's `Input` runs Enter as a binding after the key bubbled to the App, so the next scan's
  characters are inserted first and back-to-back scans get glued (Textual issue #6605).
- A field per screen splits a scan when the screen changes mid-burst ("order, item, item" after
  a Wi-Fi stall): the first characters land in the old screen's field, the rest in the new one.
  The App handles keys one at a time, in arrival order, so one buffer fed there never splits or
  reorders a scan; widgets' own message queues give no such order between two widgets.

The buffer ends an entry in the same call that received the suffix, clears itself there, strips
control characters (keeping GS, the GS1 group separator), refuses over-long input, and tells a
scan from typing by key timing: an entry whose keys (suffix included) came with a median gap
at most `threshold_s` apart is a scan, else typed by hand ("manual"). The timestamps are those
of the key events (taken when the terminal's bytes were read), so a burst that waits in a queue
still reads as a burst. A bracketed paste is scans, one per line.
"""

from __future__ import annotations

import itertools
import re
import statistics
from dataclasses import dataclass, field

GS = "\x1d"
MAX_ENTRY = 128  # longer than any scan or typed code; the backend refuses what it cannot read
_CRLF_WINDOW_S = 0.15  # an LF this soon after a CR is the second half of CR LF
_LINE_END = re.compile(r"\r\n|[\r\n\t]")
END_KEYS = frozenset({"enter", "ctrl+j", "tab", "ctrl+m", "ctrl+i"})


@dataclass(frozen=True)
class Entry:
    """One completed entry: `text` as read (controls stripped), scanned or typed by hand."""

    text: str
    manual: bool
    too_long: int = 0  # the length of a refused over-long entry (text is then empty)
    request_id: str = ""  # kept in the terminal's journal while the backend is away (input_router.py)

    @property
    def kind(self) -> str:
        """The backend's word for how it was entered: "scan" or "manual"."""
        return "manual" if self.manual else "scan"


def _keep(ch: str) -> bool:
    return ch == GS or (ch.isprintable() and ch not in "\r\n\t")


@dataclass
class ScanBuffer:
    """Keys in, entries out. Pure: no Textual, so its rules are tested on their own."""

    threshold_s: float = 0.040
    max_length: int = MAX_ENTRY
    text: str = ""
    _times: list[float] = field(default_factory=list)
    _overflow: int = 0
    _last_end: tuple[str, float] = ("", -1.0)
    stamp: int = 0  # changes with every key taken: "did anything come since?"

    @property
    def empty(self) -> bool:
        return not self.text and not self._overflow

    @property
    def shown(self) -> str:
        """What the field shows: the text, or that it is already too long to be a code."""
        return f"({self._overflow} characters: too long)" if self._overflow else self.text

    def clear(self) -> None:
        self.text, self._times, self._overflow = "", [], 0
        self.stamp += 1

    def add(self, chars: str, at: float) -> None:
        """Characters typed (one key, or a scanner's character) at time `at`."""
        kept = "".join(ch for ch in chars if _keep(ch))
        if not kept:
            return
        self.stamp += 1
        self._times.append(at)
        room = self.max_length - len(self.text)
        if self._overflow or len(kept) > room:
            self._overflow = max(self._overflow, len(self.text)) + len(kept)
            self.text = ""
            return
        self.text += kept

    def backspace(self, at: float) -> None:
        self.stamp += 1
        self._times.append(at)
        self.text = self.text[:-1]

    def crlf_tail(self, key: str, at: float) -> bool:
        """With nothing typed: is this key the LF of a CR LF (so it ends nothing)?"""
        last_key, last_at = self._last_end
        self._last_end = (key, at)
        return key == "ctrl+j" and last_key == "enter" and 0 <= at - last_at < _CRLF_WINDOW_S

    def end(self, key: str, at: float) -> Entry | None:
        """A suffix key (enter / ctrl+j / tab): the entry, or None when nothing was typed."""
        self._last_end = (key, at)
        if self.empty:
            return None
        times = [*self._times, at]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        manual = bool(gaps) and statistics.median(gaps) > self.threshold_s
        entry = Entry("", manual, self._overflow) if self._overflow else Entry(self.text, manual)
        self.clear()
        return entry

    def paste(self, text: str) -> list[Entry]:
        """A bracketed paste: each line (CR, LF, CR LF or Tab ended) is one scan."""
        parts = _LINE_END.split(text)
        out: list[Entry] = []
        for i, part in enumerate(parts):
            self.add(part, 0.0)
            if (i < len(parts) - 1 or part) and not self.empty:
                self._times = []  # a paste arrives at once: a scan, whatever the clock says
                entry = self.end("paste", 0.0)
                if entry is not None:
                    out.append(entry)
        return out


@dataclass(frozen=True)
class KeyPress:
    """A screen key (F4, Enter with nothing typed, Esc...) on a screen that takes scans: run in
    turn with the scans around it, on the screen current at its turn ("scan, scan, F4" in one
    burst finishes after both scans, on the walk the first scan opened)."""

    key: str
