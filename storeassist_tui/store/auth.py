"""Associate log-in, lock-out, bearer sessions; integration keys of the commerce platform."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
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

_hasher = PasswordHasher()
# What an unknown user name's PIN is checked against, so that the answer takes as long as for a
# known one. Written out rather than hashed at import: hashing took 0.1-0.3 s and 64 MiB (the
# hasher's memory cost) at every start. Same parameters as _hasher (tests/test_store_auth.py).
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$QdHqlMdBxbUOpkrXq39Llg$gfjJCtLk5L9i2R8RZ0t0c+hVYcvLWpsrxcBB4mb4jcU"


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def _verify(secret_hash: str, secret: str) -> bool:
    try:
        return _hasher.verify(secret_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


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


def account_state(a: Associate, now: datetime) -> str:
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


def _check_usable(a: Associate, now: datetime) -> None:
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
    holds the database's write lock; only the outcome is written, on the freshly locked row.
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
    if secret_ok:
        _check_usable(found, now)
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
            session.add(a)
            result = issue_session(session, a, policy.session_lifetime_s, now, store)
    if failure is not None:  # raised after the commit, so the failed try is counted
        raise failure
    return result


def authenticate(db: Database, token: str, now: datetime | None = None) -> tuple[Actor, UserView]:
    now = now or utcnow()
    with db.read() as session:
        row = session.get(AuthToken, token_digest(token)) if token else None
        if row is None or row.revoked_at is not None:
            raise SessionInvalid("Not logged in; please log in")
        if row.expires_at <= now:
            raise SessionInvalid("Your session has expired; please log in again")
        a = session.get(Associate, row.associate_id)
        if a is None:
            raise SessionInvalid("Not logged in; please log in")
        _check_usable(a, now)
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
