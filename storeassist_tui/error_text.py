"""How an error reads to the associate: one line, longest form first (the message bar shows the
first that fits), never a traceback. Pure: the app supplies when it went offline."""

from __future__ import annotations

from datetime import datetime

from storeassist_tui.client import BackendError, BackendUnavailable


def error_forms(error: BaseException, offline_since: datetime) -> list[str]:
    """`offline_since`: when the backend was first found unreachable (used for BackendUnavailable)."""
    if isinstance(error, BackendUnavailable):
        since = f"{offline_since:%H:%M}"
        return [f"Backend unreachable - offline since {since}", f"Backend offline since {since}",
                f"Offline since {since}", f"Offline {since}"]
    if isinstance(error, BackendError):
        return [error.message]
    # Anything else is a bug: whoever caught it has put it in the log file with its traceback.
    return [f"Something went wrong ({type(error).__name__}); please try again",
            "Something went wrong; try again", "Error; try again"]


def role_refusal(role: str, doing: str) -> list[str]:
    """What an associate whose role may not do something is told (the backend would refuse it)."""
    return [f"Your role ({role}) may not {doing}: ask a lead", f"Your role may not {doing}", "Not allowed"]
