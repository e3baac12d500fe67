"""The modes of the order detail screen (`order_detail.py`) while a lead cancels the order.

The reason belongs to the modes that have one (CONFIRM, CANCELLING), so "confirming without a
reason" cannot exist. Pure: no Textual, so the table is tested on its own.

    VIEW --F4--> REASON --reason typed--> CONFIRM --Enter--> CANCELLING --canceled / refused--> VIEW
    CANCELLING --not saved (stopped waiting)--> CONFIRM (Enter tries again)
    Esc: CONFIRM -> VIEW, REASON -> VIEW ("Not canceled"), VIEW -> LEFT
"""

from __future__ import annotations

from enum import Enum


class Mode(Enum):
    VIEW = "view"  # the order: Up/Down scroll, F4 cancels, Esc leaves
    REASON = "reason"  # F4 pressed: type why
    CONFIRM = "confirm"  # the reason given: Enter cancels, Esc keeps the order
    CANCELLING = "cancelling"  # on its way to the backend
    LEFT = "left"  # the screen is done (Esc)


class Event(Enum):
    START = "start"  # F4 (allowed: the role may cancel and the order is open)
    REASON = "reason"  # a reason typed in words
    ENTER = "enter"
    BACK = "back"  # Esc
    DONE = "done"  # canceled
    REFUSED = "refused"  # the backend refused: the order is shown as it is now
    NOT_SAVED = "not_saved"  # stopped waiting for the backend


_TABLE: dict[tuple[Mode, Event], Mode] = {
    (Mode.VIEW, Event.START): Mode.REASON,
    (Mode.VIEW, Event.BACK): Mode.LEFT,
    (Mode.REASON, Event.REASON): Mode.CONFIRM,
    (Mode.REASON, Event.BACK): Mode.VIEW,
    (Mode.CONFIRM, Event.ENTER): Mode.CANCELLING,
    (Mode.CONFIRM, Event.BACK): Mode.VIEW,
    (Mode.CANCELLING, Event.DONE): Mode.VIEW,
    (Mode.CANCELLING, Event.REFUSED): Mode.VIEW,
    (Mode.CANCELLING, Event.NOT_SAVED): Mode.CONFIRM,
}

CANCELLING_MODES = frozenset({Mode.REASON, Mode.CONFIRM, Mode.CANCELLING})  # F4 pressed, not over yet


def handles(mode: Mode, event: Event) -> bool:
    """Whether `event` means anything in `mode` (a key that does not is ignored or refused)."""
    return (mode, event) in _TABLE


def next_mode(mode: Mode, event: Event) -> Mode:
    """The mode after `event`; `mode` itself when the event means nothing there."""
    return _TABLE.get((mode, event), mode)


__all__ = ["CANCELLING_MODES", "Event", "Mode", "handles", "next_mode"]
