"""Rules of a pick that both the use cases and the views need (views cannot import picking)."""

from __future__ import annotations


def closes_when_finished(picked_units: int) -> bool:
    """Finishing a pick of which nothing was found closes the order (cancelled, refunded in full)
    instead of sending it on to staging."""
    return picked_units == 0
