"""The modes of the pick walk (`pick_walk.py`) and how keys and scans move between them.

A typed number means one thing at a time: how many units the next scan counts (QUANTITY) or how
many are not found (NOT_FOUND); a count of several units exists only while it waits for its scan
(ARMED). Pure: no Textual, so the table is tested on its own; the screen renders each mode (scan
field label, hints, questions) and does the I/O.

    SCAN --F1--> QUANTITY --2..n typed--> ARMED --scan (counts n)--> SCAN
    SCAN --F2--> NOT_FOUND --Enter, or 1..n typed--> SCAN (marked not found)
    SCAN --F4--> FINISHING, or FINISH_CONFIRM first when an order closes with nothing found (F4 again)
    any question, or ARMED --Esc / Up/Down / F3 / a scan--> SCAN;  SCAN --Esc--> LEFT
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Mode(Enum):
    SCAN = "scan"  # a scan counts one unit
    QUANTITY = "quantity"  # F1: a typed number is how many units the next scan counts
    ARMED = "armed"  # the next scan counts several units
    NOT_FOUND = "not_found"  # F2: Enter = all left on the line, or a typed number
    FINISH_CONFIRM = "finish_confirm"  # F4 again closes an order of which nothing was found
    FINISHING = "finishing"  # the orders are being finished
    LEFT = "left"  # the screen is done (Esc to the queue, or finished)


class Event(Enum):
    MOVE = "move"  # Up/Down
    QUANTITY = "quantity"  # F1 (the line has 2 units or more left)
    NOT_FOUND = "not_found"  # F2 (the line has units left)
    SKIP = "skip"  # F3
    FINISH = "finish"  # F4, with the walk's `Progress` at that moment
    ENTER = "enter"  # Enter with nothing typed
    AMOUNT = "amount"  # a number the question accepts (see `amount_ok`)
    SCAN = "scan"  # an item scanned or typed (what is not an answer to the question)
    BACK = "back"  # Esc
    FINISHED = "finished"
    NOT_FINISHED = "not_finished"  # refused, or not saved


@dataclass(frozen=True)
class Progress:
    """What F4 leads to: units still to scan or mark, and whether finishing closes an order."""

    left: int = 0
    closes: bool = False


# Every mode the associate works in: each takes the walk's keys and scans.
WORKING = frozenset({Mode.SCAN, Mode.QUANTITY, Mode.ARMED, Mode.NOT_FOUND, Mode.FINISH_CONFIRM})
QUESTIONS = frozenset({Mode.QUANTITY, Mode.NOT_FOUND, Mode.FINISH_CONFIRM})  # they ask on the message line

_TABLE: dict[tuple[Mode, Event], Mode] = {
    **{(mode, Event.MOVE): Mode.SCAN for mode in WORKING},  # another line: what was asked is dropped
    **{(mode, Event.QUANTITY): Mode.QUANTITY for mode in WORKING},
    **{(mode, Event.NOT_FOUND): Mode.NOT_FOUND for mode in WORKING},
    **{(mode, Event.SKIP): Mode.SCAN for mode in WORKING},
    **{(mode, Event.SCAN): Mode.SCAN for mode in WORKING},  # a scan instead of an answer: it counts
    **{(mode, Event.BACK): Mode.SCAN for mode in WORKING - {Mode.SCAN}},  # "Cancelled"
    (Mode.SCAN, Event.BACK): Mode.LEFT,  # to the queue: the pick stays this associate's
    (Mode.QUANTITY, Event.AMOUNT): Mode.ARMED,
    (Mode.NOT_FOUND, Event.AMOUNT): Mode.SCAN,
    (Mode.NOT_FOUND, Event.ENTER): Mode.SCAN,  # all that is left on the line
    (Mode.FINISHING, Event.FINISHED): Mode.LEFT,
    (Mode.FINISHING, Event.NOT_FINISHED): Mode.SCAN,
}


def _finish(mode: Mode, progress: Progress) -> Mode:
    if progress.left:
        return Mode.SCAN  # units left: said, and the walk goes on
    if progress.closes and mode is not Mode.FINISH_CONFIRM:
        return Mode.FINISH_CONFIRM  # closing an order and refunding it takes a second F4
    return Mode.FINISHING


def handles(mode: Mode, event: Event) -> bool:
    """Whether `event` means anything in `mode` (a key that does not is ignored)."""
    return (mode, event) in _TABLE or (event is Event.FINISH and mode in WORKING)


def next_mode(mode: Mode, event: Event, progress: Progress | None = None) -> Mode:
    """The mode after `event` (`progress` for F4); `mode` itself when the event means nothing there."""
    if event is Event.FINISH and mode in WORKING:
        return _finish(mode, progress or Progress())
    return _TABLE.get((mode, event), mode)


def is_amount(mode: Mode, text: str) -> bool:
    """Whether typed text answers the question of `mode` (a number); a longer code is a scan."""
    return mode in (Mode.QUANTITY, Mode.NOT_FOUND) and text.isascii() and text.isdigit() and len(text) <= 3


def amount_ok(mode: Mode, amount: int, pending: int) -> bool:
    """A count of several units is 2 to what is left (one unit is a plain scan); not found is 1 to it."""
    if mode is Mode.QUANTITY:
        return 2 <= amount <= pending
    if mode is Mode.NOT_FOUND:
        return 1 <= amount <= pending
    return False


__all__ = ["QUESTIONS", "WORKING", "Event", "Mode", "Progress", "amount_ok", "handles", "is_amount", "next_mode"]
