"""An order's states, the one table of which step may move it from which state to which, and how
each state reads to an associate. Pure: the store enforces the table, the screens word it.

    new --claim--> picking --finish--> picked --stage--> staged --dispense--> dispensed
     ^               |  ^                                  |  \\
     +---release-----+  +--release (something counted)     |   +--expire--> expired
    any open state --cancel--> canceled   (finish with nothing found, or every item rejected, too)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class OrderStatus(StrEnum):
    """Stored as its value; a StrEnum equals its value, so rows and JSON stay plain words."""

    NEW = "new"
    PICKING = "picking"
    PICKED = "picked"
    STAGED = "staged"
    DISPENSED = "dispensed"
    CANCELED = "canceled"
    EXPIRED = "expired"


S = OrderStatus
OPEN: frozenset[OrderStatus] = frozenset({S.NEW, S.PICKING, S.PICKED, S.STAGED})
TO_PICK: frozenset[OrderStatus] = frozenset({S.NEW, S.PICKING})
CLOSED: frozenset[OrderStatus] = frozenset(S) - OPEN
ALL: tuple[OrderStatus, ...] = tuple(S)  # in lifecycle order

# How a state reads in a sentence ("Order 1234 is ready for pickup") and in a list column.
WORDS: dict[OrderStatus, str] = {
    S.NEW: "new", S.PICKING: "being picked", S.PICKED: "waiting to be staged", S.STAGED: "ready for pickup",
    S.DISPENSED: "handed off", S.CANCELED: "canceled", S.EXPIRED: "expired",
}
SHORT_WORDS: dict[OrderStatus, str] = {
    S.NEW: "new", S.PICKING: "picking", S.PICKED: "to stage", S.STAGED: "ready", S.DISPENSED: "handed off",
    S.CANCELED: "canceled", S.EXPIRED: "expired",
}


def word(status: str, short: bool = False) -> str:
    """An associate's word for a stored state (an unknown one is shown as stored)."""
    try:
        return (SHORT_WORDS if short else WORDS)[OrderStatus(status)]
    except ValueError:
        return status


@dataclass(frozen=True)
class Step:
    """A use case that moves an order (or needs it in a given state): the states it starts from,
    the states it may leave the order in, and the refusal from any other state."""

    name: str
    starts: frozenset[OrderStatus]
    ends: frozenset[OrderStatus]
    refusal: str  # follows "Order 1234 is <word>: "


def _step(name: str, starts: set[OrderStatus], ends: set[OrderStatus], refusal: str) -> Step:
    return Step(name, frozenset(starts), frozenset(ends), refusal)


# The table. Every change of Order.status in the store goes through one of these.
CLAIM = _step("claim", {S.NEW, S.PICKING}, {S.PICKING}, "nothing to pick")
RELEASE = _step("release", {S.PICKING}, {S.NEW, S.PICKING}, "not being picked")
COUNT = _step("count", {S.PICKING}, {S.PICKING}, "not being picked")  # scan, not found, skip, void
FINISH_PICK = _step("finish_pick", {S.PICKING}, {S.PICKED, S.CANCELED}, "not being picked")
STAGE = _step("stage", {S.PICKED}, {S.STAGED}, "only a picked order can be staged")
MOVE = _step("move", {S.STAGED}, {S.STAGED}, "not staged")
HAND_OFF = _step("hand_off", {S.STAGED}, {S.DISPENSED, S.CANCELED}, "only a staged order can be handed off")
CHECK_IN = _step("check_in", set(OPEN), set(OPEN), "nothing to pick up")
CANCEL_ORDER = _step("cancel", set(OPEN), {S.CANCELED}, "it can no longer be canceled")
EXPIRE = _step("expire", {S.STAGED}, {S.EXPIRED}, "no longer staged")
STEPS: tuple[Step, ...] = (CLAIM, RELEASE, COUNT, FINISH_PICK, STAGE, MOVE, HAND_OFF, CHECK_IN, CANCEL_ORDER, EXPIRE)


def allowed(step: Step, status: str) -> bool:
    return status in step.starts
