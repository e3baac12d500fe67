"""The modes of the hand-off screen (`handoff_order.py`) and how keys move between them.

One mode at a time, so a combination such as "rejecting while the customer signs" cannot exist.
Pure: no Textual, so the table is tested on its own; the screen renders each mode (hints,
questions) and does the I/O.

    BROWSE --F1--> first step (CLOSE_ALL_REJECTED, or ID_CHECK / SIGNATURE / CONFIRM as the store requires)
    BROWSE --F2--> REJECTING --F2/Esc--> BROWSE      (REJECTING --F1--> first step)
    BROWSE --F3--> CHECKING_IN --saved/Esc--> BROWSE
    ID_CHECK --Enter--> SIGNATURE or CONFIRM; SIGNATURE --name--> HANDING_OFF; CONFIRM / CLOSE_ALL_REJECTED --Enter--> HANDING_OFF
    any step --Esc--> BROWSE;  HANDING_OFF --saved--> LEFT, --not saved--> BROWSE;  BROWSE --Esc--> LEFT
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Mode(Enum):
    BROWSE = "browse"  # the order shown: F1 hands off, F2 rejects, F3 checks in, Esc leaves
    REJECTING = "rejecting"  # a typed number rejects that many units of the current line
    CHECKING_IN = "checking_in"  # Enter = in store, or a parking spot
    CLOSE_ALL_REJECTED = "close_all_rejected"  # every item rejected: Enter closes and refunds the order
    ID_CHECK = "id_check"  # Enter once the photo ID is checked
    SIGNATURE = "signature"  # the customer types their name
    CONFIRM = "confirm"  # one Enter, so a stray F1 never hands an order over
    HANDING_OFF = "handing_off"  # the hand-off is on its way to the backend
    LEFT = "left"  # the screen is done (handed off, or Esc back)


class Event(Enum):
    HAND_OFF = "hand_off"  # F1
    REJECT = "reject"  # F2
    CHECK_IN = "check_in"  # F3
    ENTER = "enter"  # Enter with nothing typed
    SIGNED = "signed"  # the customer typed a name that passes as a signature
    BACK = "back"  # Esc
    CHECKED_IN = "checked_in"  # the backend saved the check-in
    HANDED_OFF = "handed_off"  # the backend saved the hand-off
    NOT_HANDED_OFF = "not_handed_off"  # the hand-off was refused, or not saved


@dataclass(frozen=True)
class Rules:
    """What decides the steps of a hand-off: the store's settings and what was rejected."""

    id_check: bool = False
    signature: bool = False
    all_rejected: bool = False  # nothing is handed over: no ID, no signature, only "close and refund?"

    @property
    def id_checked(self) -> bool:
        """What the hand-off reports: every path to HANDING_OFF passes ID_CHECK when this is true."""
        return self.id_check and not self.all_rejected


STEPS = frozenset({Mode.CLOSE_ALL_REJECTED, Mode.ID_CHECK, Mode.SIGNATURE, Mode.CONFIRM})

_TABLE: dict[tuple[Mode, Event], Mode] = {
    (Mode.BROWSE, Event.REJECT): Mode.REJECTING,
    (Mode.BROWSE, Event.CHECK_IN): Mode.CHECKING_IN,
    (Mode.BROWSE, Event.BACK): Mode.LEFT,
    (Mode.REJECTING, Event.REJECT): Mode.BROWSE,
    (Mode.REJECTING, Event.BACK): Mode.BROWSE,  # what was rejected stays (the screen says so)
    (Mode.CHECKING_IN, Event.CHECK_IN): Mode.CHECKING_IN,  # F3 again: the question again
    (Mode.CHECKING_IN, Event.CHECKED_IN): Mode.BROWSE,  # a later Enter must never check in again
    (Mode.CHECKING_IN, Event.BACK): Mode.BROWSE,
    (Mode.CLOSE_ALL_REJECTED, Event.ENTER): Mode.HANDING_OFF,
    (Mode.CONFIRM, Event.ENTER): Mode.HANDING_OFF,
    (Mode.SIGNATURE, Event.SIGNED): Mode.HANDING_OFF,
    **{(step, Event.BACK): Mode.BROWSE for step in STEPS},
    (Mode.HANDING_OFF, Event.HANDED_OFF): Mode.LEFT,
    (Mode.HANDING_OFF, Event.NOT_HANDED_OFF): Mode.BROWSE,
}


def first_step(rules: Rules) -> Mode:
    if rules.all_rejected:
        return Mode.CLOSE_ALL_REJECTED
    if rules.id_check:
        return Mode.ID_CHECK
    return after_id(rules)


def after_id(rules: Rules) -> Mode:
    return Mode.SIGNATURE if rules.signature else Mode.CONFIRM


def _target(mode: Mode, event: Event, rules: Rules) -> Mode | None:
    if event is Event.HAND_OFF and mode in (Mode.BROWSE, Mode.REJECTING):
        return first_step(rules)  # F1 while rejecting ends it: what was rejected stays
    if (mode, event) == (Mode.ID_CHECK, Event.ENTER):
        return after_id(rules)
    return _TABLE.get((mode, event))


def handles(mode: Mode, event: Event) -> bool:
    """Whether `event` means anything in `mode` (a key that does not is ignored)."""
    return _target(mode, event, Rules()) is not None


def next_mode(mode: Mode, event: Event, rules: Rules) -> Mode:
    """The mode after `event`; `mode` itself when the event means nothing there."""
    target = _target(mode, event, rules)
    return mode if target is None else target


__all__ = ["STEPS", "Event", "Mode", "Rules", "first_step", "handles", "next_mode"]
