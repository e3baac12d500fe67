"""Associate log-in, lock-out, bearer sessions; integration keys of the commerce platform."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from argon2 import Parameters, PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import Type
from sqlalchemy import delete
from sqlmodel import Session, col, select

from storeassist_tui.schemas import LoginResult, StoreRef, UserView
from storeassist_tui.store.db import Database, utcnow
from storeassist_tui.store.errors import (
    AccountInactive,
    AccountLocked,
    AuthFailed,
    Forbidden,
    SessionInvalid,
    TooManyBadges,
)
from storeassist_tui.store.models import Associate, AssociateStore, AuthToken, IntegrationKey, LoginFailure, Store
from storeassist_tui.store.roles import Actor

# How PINs (and passwords) are hashed: argon2id with the least memory of the OWASP Password
# Storage Cheat Sheet's sets of equal strength (m=19 MiB t=2, 12 MiB t=3, 9 MiB t=4, 7 MiB t=5;
# all p=1). More memory would buy little: a PIN of a few digits falls to offline guessing whatever
# the cost; what guards an account is the lock-out after a few wrong tries. And in embedded mode
# the hash runs in the terminal's own process: argon2-cffi's default (64 MiB t=3 p=4) made a PIN
# login's peak memory 4.7x a bare Textual app's (bench/startup.py --login pin; 12 MiB: 3.1x).
# Hashes made with other parameters still verify, and are made anew at the next login.
PIN_HASH = Parameters(type=Type.ID, version=19, salt_len=16, hash_len=32, time_cost=5, memory_cost=7 * 1024,
                      parallelism=1)
_hasher = PasswordHasher.from_parameters(PIN_HASH)
# What an unknown user name's PIN is checked against, so that the answer takes as long as for a
# known one. Written out rather than hashed at import, which would cost every start the hash's
# time and memory. Made with PIN_HASH (tests/test_store_auth.py checks it).
_DUMMY_HASH = "$argon2id$v=19$m=7168,t=5,p=1$qolpAln2zGiAzxLiHnWZWg$DL11FtGzNOidoy+u15+7P6sEmY1n0sqGMfSMJ/JbpXk"


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def _verify(secret_hash: str, secret: str) -> bool:
    try:
        return _hasher.verify(secret_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


def _rehashed(secret_hash: str, secret: str) -> str | None:
    """A new hash of a secret just verified against `secret_hash`, if that was made with other
    parameters than PIN_HASH (older ones); else None."""
    return hash_secret(secret) if _hasher.check_needs_rehash(secret_hash) else None


def bearer_token(authorization: str) -> str:
    """The token of an `Authorization: Bearer <token>` header's value; "" for anything else."""
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class AuthPolicy:
    session_lifetime_s: int = 7200
    lockout_failures: int = 6
    lockout_minutes: int = 30
    badge_failures: int = 20  # unknown badges from one terminal within the window block badge login
    badge_window_minutes: int = 10


def _stores_of(session: Session, associate_id: int) -> list[Store]:
    return list(
        session.exec(
            select(Store)
            .join(AssociateStore, col(AssociateStore.store_id) == col(Store.id))
            .where(AssociateStore.associate_id == associate_id)
            .order_by(col(Store.id))
        )
    )


def _actor(a: Associate, stores: list[Store]) -> Actor:
    return Actor(a.id or 0, a.username, a.display_name, a.role, frozenset(s.id for s in stores))


def user_view(a: Associate, stores: list[Store]) -> UserView:
    actor = _actor(a, stores)
    return UserView(
        id=actor.id, username=a.username, display_name=a.display_name, role=a.role,
        permissions=sorted(actor.permissions), stores=[StoreRef(id=s.id, name=s.name) for s in stores],
    )


class AccountTimes(Protocol):
    """What decides whether an account may be used now: an Associate row, or the poll check's
    row (store/poll_check.py), which reads these columns with the store's revision."""

    @property
    def locked_until(self) -> datetime | None: ...
    @property
    def active_from(self) -> datetime | None: ...
    @property
    def active_to(self) -> datetime | None: ...


def account_state(a: AccountTimes, now: datetime) -> str:
    """'locked', 'not yet active', 'expired' or 'active'."""
    if a.locked_until and a.locked_until > now:
        return "locked"
    if a.active_from and a.active_from > now:
        return "not yet active"
    if a.active_to and a.active_to <= now:
        return "expired"
    return "active"


# The one answer to a wrong user name or PIN, whether the user exists, is locked or has ended:
# what the account's state is, is told only to who gives its right PIN (or badge).
WRONG_CREDENTIALS = "Wrong user name or PIN"


def _check_usable(a: AccountTimes, now: datetime) -> None:
    state = account_state(a, now)
    if state == "locked" and a.locked_until:
        minutes = max(1, int((a.locked_until - now).total_seconds() + 59) // 60)
        raise AccountLocked(f"Account locked after too many failed logins; try again in {minutes} min")
    if state == "not yet active" and a.active_from:
        raise AccountInactive(f"Account not active until {a.active_from:%Y-%m-%d}")
    if state == "expired" and a.active_to:
        raise AccountInactive(f"Account expired on {a.active_to:%Y-%m-%d}")


def _badge_throttle(session: Session, policy: AuthPolicy, address: str, now: datetime) -> None:
    """Refuse badge logins from a terminal that scanned too many unknown badges lately."""
    since = now - timedelta(minutes=policy.badge_window_minutes)
    recent = list(session.exec(
        select(LoginFailure.at).where(LoginFailure.address == address, col(LoginFailure.at) > since)
        .order_by(col(LoginFailure.at).desc()).limit(policy.badge_failures)
    ))
    if len(recent) >= policy.badge_failures:
        free_at = recent[-1] + timedelta(minutes=policy.badge_window_minutes)
        minutes = max(1, int((free_at - now).total_seconds() + 59) // 60)
        raise TooManyBadges(
            f"Too many unknown badges here: use user name + PIN, or wait {minutes} min"
        )


def issue_session(session: Session, a: Associate, lifetime_s: int, now: datetime, store: str = "") -> LoginResult:
    """A bearer session for an associate whose credentials were just accepted, inside the
    caller's write transaction; refused when the terminal's `store` is not one of theirs."""
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(seconds=lifetime_s)
    session.add(AuthToken(token_hash=token_digest(token), associate_id=a.id or 0, created_at=now,
                          expires_at=expires))
    stores = _stores_of(session, a.id or 0)
    if store and store not in {s.id for s in stores}:
        raise Forbidden(f"{a.display_name} is not set up for store {store[:64]}")
    return LoginResult(token=token, expires_at=expires, session_lifetime_s=lifetime_s, user=user_view(a, stores))


def login(
    db: Database, policy: AuthPolicy, *, username: str = "", secret: str = "", badge: str = "",
    address: str = "", store: str = "", now: datetime | None = None,
) -> LoginResult:
    """Log in by user name + PIN/password, or by badge code alone; `store` is the store the
    terminal is set up for, if any: an associate of other stores only is refused there.

    The slow hash check runs outside any write transaction, so that a burst of logins never
    holds the database's write lock; only the outcome is written, on the freshly locked row
    (with the PIN's new hash if its stored one was made with older parameters than PIN_HASH).
    """
    now = now or utcnow()
    address = address[:64]
    with db.read() as session:
        if badge:
            _badge_throttle(session, policy, address, now)
            found = session.exec(select(Associate).where(Associate.badge_code == badge.strip())).first()
        else:
            found = session.exec(select(Associate).where(Associate.username == username.strip().lower())).first()
    if found is None:
        if badge:
            with db.write() as session:
                stale = now - timedelta(minutes=policy.badge_window_minutes)
                session.execute(delete(LoginFailure).where(
                    col(LoginFailure.address) == address, col(LoginFailure.at) <= stale))
                session.add(LoginFailure(address=address, at=now))
            raise AuthFailed("Unknown badge; scan again or log in with your user name")
        _verify(_DUMMY_HASH, secret)  # same time as a real check: no probing for names
        raise AuthFailed(WRONG_CREDENTIALS)
    # The hash is checked even for a locked or ended account: same time, same answer as above.
    secret_ok = bool(badge) or _verify(found.secret_hash, secret)
    if not secret_ok and account_state(found, now) == "locked":
        raise AuthFailed(WRONG_CREDENTIALS)  # not counted: the lock-out runs its time
    rehashed = None
    if secret_ok:
        _check_usable(found, now)
        # Hashed here, like the check, outside the write transaction; stored with the login.
        rehashed = None if badge else _rehashed(found.secret_hash, secret)
    failure: AuthFailed | None = None
    with db.write() as session:
        # FOR UPDATE: concurrent wrong PINs each count (PostgreSQL; SQLite writers queue anyway)
        a = session.exec(select(Associate).where(Associate.id == found.id).with_for_update()).one()
        if not secret_ok:
            failure = AuthFailed(WRONG_CREDENTIALS)
            if account_state(a, now) != "locked":  # locked meanwhile: not counted, as above
                a.failed_logins += 1
                if a.failed_logins >= policy.lockout_failures:
                    # Counted afresh: a lapsed lock-out allows the full number of tries again.
                    a.failed_logins = 0
                    a.locked_until = now + timedelta(minutes=policy.lockout_minutes)
                session.add(a)
        else:
            _check_usable(a, now)  # it may have been locked while the PIN was being checked
            a.failed_logins = 0
            a.locked_until = None
            if rehashed and a.secret_hash == found.secret_hash:  # not over a PIN changed meanwhile
                a.secret_hash = rehashed
            session.add(a)
            result = issue_session(session, a, policy.session_lifetime_s, now, store)
    if failure is not None:  # raised after the commit, so the failed try is counted
        raise failure
    return result


_Account = TypeVar("_Account", bound=AccountTimes)


def require_live_session(expires_at: datetime | None, revoked_at: datetime | None, account: _Account | None,
                         now: datetime) -> _Account:
    """The rule of a bearer session, checked on every request (by `authenticate`, and by the poll
    check in store/poll_check.py): the token exists and was not revoked (logout), it has not
    expired, and its associate's account may be used now (not locked out, within its dates)."""
    if expires_at is None or revoked_at is not None or account is None:
        raise SessionInvalid("Not logged in; please log in")
    if expires_at <= now:
        raise SessionInvalid("Your session has expired; please log in again")
    _check_usable(account, now)
    return account


def authenticate(db: Database, token: str, now: datetime | None = None) -> tuple[Actor, UserView]:
    now = now or utcnow()
    with db.read() as session:
        row = session.get(AuthToken, token_digest(token)) if token else None
        found = session.get(Associate, row.associate_id) if row is not None else None
        a = require_live_session(None if row is None else row.expires_at, None if row is None else row.revoked_at,
                                 found, now)
        stores = _stores_of(session, a.id or 0)
        return _actor(a, stores), user_view(a, stores)


def logout(db: Database, token: str, now: datetime | None = None) -> None:
    with db.write() as session:
        row = session.get(AuthToken, token_digest(token))
        if row is not None and row.revoked_at is None:
            row.revoked_at = now or utcnow()
            session.add(row)


def new_integration_key(db: Database, name: str) -> str:
    key = "sak_" + secrets.token_urlsafe(32)
    with db.write() as session:
        session.add(IntegrationKey(name=name, key_hash=token_digest(key)))
    return key


def check_integration_key(db: Database, key: str) -> bool:
    if not key:
        return False
    with db.read() as session:
        row = session.exec(select(IntegrationKey).where(IntegrationKey.key_hash == token_digest(key))).first()
        return row is not None and row.revoked_at is None
