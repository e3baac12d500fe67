"""The modes of the stage screen (`stage.py`) and how keys and scans move between them.

The order being placed and its location belong to the modes that have them (LOCATION has an
order, CONFIRM an order and a location), so "a location but no order" cannot exist. Pure: no
Textual, so the table is tested on its own; the screen renders each mode and does the I/O.

    BROWSE --Enter on a row / order scanned--> LOCATION --location scanned or typed--> CONFIRM
    CONFIRM --Enter, or typed bags--> SAVING --saved--> BROWSE (the next just-picked order, if any, is chosen)
    SAVING --refused--> LOCATION (another location);  --not saved (stopped waiting)--> CONFIRM
    Esc: CONFIRM -> LOCATION -> BROWSE -> LEFT;  F2 (the other list): always BROWSE
"""

from __future__ import annotations

from enum import Enum


class Mode(Enum):
    BROWSE = "browse"  # the list: Up/Down, Enter chooses, F2 the other list, Esc leaves
    LOCATION = "location"  # an order chosen: scan or type where it goes
    CONFIRM = "confirm"  # order and location: Enter stages (typed digits first: the bags) or moves it
    SAVING = "saving"  # on its way to the backend
    LEFT = "left"  # the screen is done (Esc)


class Event(Enum):
    MOVE = "move"  # Up/Down, PgUp/PgDn, Home/End
    CHOOSE = "choose"  # an order chosen: Enter on its row, its number scanned, the next just-picked one
    ENTER = "enter"  # Enter (F1) with nothing typed
    LOCATION = "location"  # a scan or typed text that is not an order number
    BAGS = "bags"  # typed digits at the staging question (see `is_bags`)
    SWITCH = "switch"  # F2: staged / to stage
    BACK = "back"  # Esc
    DROP = "drop"  # the order chosen is gone (no just-picked order left to stage)
    SAVED = "saved"
    REFUSED = "refused"  # the backend refused the location (or the order): ask for another
    NOT_SAVED = "not_saved"  # stopped waiting for the backend: the same question again


_TABLE: dict[tuple[Mode, Event], Mode] = {
    (Mode.BROWSE, Event.MOVE): Mode.BROWSE,
    (Mode.BROWSE, Event.CHOOSE): Mode.LOCATION,
    (Mode.BROWSE, Event.SWITCH): Mode.BROWSE,
    (Mode.BROWSE, Event.BACK): Mode.LEFT,
    (Mode.LOCATION, Event.CHOOSE): Mode.LOCATION,  # another order
    (Mode.LOCATION, Event.ENTER): Mode.LOCATION,  # nothing scanned: the question again
    (Mode.LOCATION, Event.LOCATION): Mode.CONFIRM,
    (Mode.LOCATION, Event.SWITCH): Mode.BROWSE,
    (Mode.LOCATION, Event.BACK): Mode.BROWSE,
    (Mode.LOCATION, Event.DROP): Mode.BROWSE,
    (Mode.CONFIRM, Event.CHOOSE): Mode.LOCATION,
    (Mode.CONFIRM, Event.ENTER): Mode.SAVING,
    (Mode.CONFIRM, Event.BAGS): Mode.SAVING,
    (Mode.CONFIRM, Event.LOCATION): Mode.CONFIRM,  # another location instead
    (Mode.CONFIRM, Event.SWITCH): Mode.BROWSE,
    (Mode.CONFIRM, Event.BACK): Mode.LOCATION,
    (Mode.CONFIRM, Event.DROP): Mode.BROWSE,
    (Mode.SAVING, Event.SAVED): Mode.BROWSE,
    (Mode.SAVING, Event.REFUSED): Mode.LOCATION,
    (Mode.SAVING, Event.NOT_SAVED): Mode.CONFIRM,
}

WITH_ORDER = frozenset({Mode.LOCATION, Mode.CONFIRM, Mode.SAVING})  # the modes that have an order chosen


def handles(mode: Mode, event: Event) -> bool:
    """Whether `event` means anything in `mode` (a key that does not is ignored)."""
    return (mode, event) in _TABLE


def next_mode(mode: Mode, event: Event) -> Mode:
    """The mode after `event`; `mode` itself when the event means nothing there."""
    return _TABLE.get((mode, event), mode)


def is_bags(mode: Mode, text: str, *, manual: bool, staging: bool) -> bool:
    """Digits typed at the question to stage a picked order are its number of bags; a scanned
    label (even "14") is another location, and moving a staged order records no bags."""
    return mode is Mode.CONFIRM and manual and staging and text.isascii() and text.isdigit()


__all__ = ["WITH_ORDER", "Event", "Mode", "handles", "is_bags", "next_mode"]
