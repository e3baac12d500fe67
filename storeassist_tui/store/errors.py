"""Domain errors: a stable code, an HTTP status for the server, one line for the associate."""

from __future__ import annotations

from typing import Any

from storeassist_tui.schemas import CANCELED_BY_PLATFORM


class DomainError(Exception):
    code = "refused"
    status = 409

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(DomainError):
    code, status = "invalid", 422


class NotFound(DomainError):
    code, status = "not_found", 404


class Forbidden(DomainError):
    code, status = "forbidden", 403


class WrongState(DomainError):
    code, status = "wrong_state", 409


class ClaimedByOther(DomainError):
    code, status = "claimed_by_other", 409


class StaleOrder(DomainError):
    """Another request changed the order between our read and our write; the caller retries."""

    code, status = "conflict", 409


class Unavailable(DomainError):
    """The database cannot answer now (down, restarting, a lock held too long): send again soon."""

    code, status = "unavailable", 503
    retry_after_s = 2


class RequestIdReused(DomainError):
    code, status = "request_id_reused", 409


class Duplicate(DomainError):
    code, status = "duplicate", 409


class WrongItem(DomainError):
    code, status = "wrong_item", 422


class UnknownCode(DomainError):
    code, status = "unknown_code", 422


class BadCode(DomainError):
    code, status = "bad_code", 422


class OverPick(DomainError):
    code, status = "over_pick", 422


class AuthFailed(DomainError):
    code, status = "bad_credentials", 401


class AccountLocked(DomainError):
    code, status = "locked", 401


class AccountInactive(DomainError):
    code, status = "inactive", 401


class SessionInvalid(DomainError):
    code, status = "session_invalid", 401


class TooManyBadges(DomainError):
    code, status = "too_many_badges", 429


class PasswordChangeRequired(DomainError):
    """The commerce platform's associate login wants a new password first (expired, or set by an
    administrator): the associate changes it there; we do not log them in."""

    code, status = "password_change_required", 401


class PlatformUnavailable(DomainError):
    """The commerce platform's associate login did not answer, or answered what cannot be read.
    502 (the platform behind us failed), not 503: our backend itself is up, and the terminal
    shows this line instead of going "offline"."""

    code, status = "platform_unavailable", 502


# The close reason of an order the commerce platform cancelled (its order/cancel call).
PLATFORM_CANCEL_REASON = "cancelled by the store system"


class CanceledByPlatform(DomainError):
    """A terminal's next step on an order the platform cancelled meanwhile: it stops and says so."""

    code, status = CANCELED_BY_PLATFORM, 409
