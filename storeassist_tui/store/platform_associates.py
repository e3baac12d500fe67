"""Associates set up in the commerce platform's admin, logged in through its associate login
(seed-platform-contract.md section 3), when the server runs with associate_login = "platform".

The one rule of it:

- a user name of a local associate (not platform-managed) logs in locally, as always, and never
  asks the platform; any other user name is asked of the platform (`ask`: the HTTP call, handed
  in by the server, storeassist_tui/platform_login.py; store/ makes no HTTP calls);
- the platform's yes makes (or updates) a local `Associate` row marked `platform_managed`: its user
  name, its first + last name, the role its permissions map to, its stores (its `locations`, or
  every store when `all_locations`), a secret hash that matches no PIN; then OUR bearer session is
  issued as for a local login, lasting no longer than the platform's `session_lifetime`;
- its no is one line for the associate: a wrong user name or password says what the local login
  says; locked, not active, password to change, no permission or no store we know, each says so;
  a platform that does not answer (down, timeout, 5xx, an answer that cannot be read) is
  `PlatformUnavailable`; never a fall-back to what a stale local row might hold.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select

from storeassist_tui.store.auth import WRONG_CREDENTIALS, AuthPolicy, LoginResult, issue_session
from storeassist_tui.store.auth import login as local_login
from storeassist_tui.store.db import Database, utcnow
from storeassist_tui.store.errors import (
    AccountInactive,
    AccountLocked,
    AuthFailed,
    Forbidden,
    PasswordChangeRequired,
    PlatformUnavailable,
)
from storeassist_tui.store.models import Associate, AssociateStore, Store
from storeassist_tui.store.roles import CANCEL, DISPENSE, PICK, ROLES
from storeassist_tui.store.text import clean

log = logging.getLogger("storeassist.platform_associates")

# The platform's permissions (its admin's associate roles) as ours.
PERMISSIONS: dict[str, str] = {
    "picking_order": PICK,
    "dispense_order": DISPENSE,
    "item_qty_reduction": CANCEL,
}

# Not an argon2 hash: the local check of it is always false (auth._verify), whatever is typed.
NO_LOCAL_SECRET = "!platform-managed"

WRONG = WRONG_CREDENTIALS
LOCKED = "Account locked in the platform: ask your store lead"
INACTIVE = "Account not active in the platform: ask your store lead"
CHANGE_PASSWORD = "Change your password in the platform first, then log in"
NOT_ANSWERING = "The platform's associate login is not answering: try again"
TOKEN_REFUSED = "The platform refused this server's integration token: tell your administrator"
TWO_FACTOR = "The platform asks for two-factor login, which Store Assist cannot do: ask your administrator"
NO_PERMISSION = "Your platform account may not pick or hand off: ask your store lead"
NO_STORE = "Your platform account has none of this server's stores: ask your store lead"


@dataclass(frozen=True)
class PlatformAnswer:
    """What the platform's `associate/login` answered: the HTTP status and the JSON body read, or
    status 0 when it did not answer at all (refused connection, timeout); `detail` is for the log."""

    status: int
    body: Any = None
    detail: str = ""


AskLogin = Callable[[str, str], PlatformAnswer]  # (username, password) -> the answer


def role_for(permissions: list[str] | set[str] | frozenset[str]) -> str | None:
    """The local role for the platform's permissions: the role with the most permissions among
    those granting nothing the platform did not grant (picking_order alone -> picker, with
    dispense_order -> associate, all three -> lead); None when no role fits."""
    ours = {PERMISSIONS[p] for p in permissions if p in PERMISSIONS}
    fitting = [(len(perms), name) for name, perms in ROLES.items() if perms <= ours]
    return max(fitting)[1] if fitting else None


def is_local(db: Database, username: str) -> bool:
    """A user name of a local associate (one not set up in the platform): logged in locally."""
    with db.read() as session:
        a = session.exec(select(Associate).where(Associate.username == username.strip().lower())).first()
    return a is not None and not a.platform_managed


def login(
    db: Database, policy: AuthPolicy, ask: AskLogin, *, username: str, secret: str, address: str = "",
    store: str = "", now: datetime | None = None,
) -> LoginResult:
    """Log in by user name and password: a local associate locally, anyone else through the
    platform (see the module docstring)."""
    if is_local(db, username):
        return local_login(db, policy, username=username, secret=secret, address=address, store=store, now=now)
    answer = ask(username.strip(), secret)
    profile = _accepted(answer)
    return _upsert_and_issue(db, policy, username, profile, store, now or utcnow())


@dataclass(frozen=True)
class _Profile:
    display_name: str
    role: str
    all_locations: bool
    locations: list[str]
    lifetime_s: int


def _unreadable(answer: PlatformAnswer, why: str) -> PlatformUnavailable:
    log.warning("platform associate login: %s (HTTP %s) %s", why, answer.status, answer.detail[:200])
    return PlatformUnavailable(NOT_ANSWERING)


def _accepted(answer: PlatformAnswer) -> _Profile:
    """The platform's yes, read; its no (or no answer) raised as the associate's one line."""
    body: dict[str, Any] = answer.body if isinstance(answer.body, dict) else {}
    given = body.get("parameters")
    params: dict[str, Any] = given if isinstance(given, dict) else {}
    if answer.status == 0:
        raise _unreadable(answer, "no answer")
    if answer.status in (401, 403):
        status = params.get("status")
        if status == "incorrect-username-password":
            raise AuthFailed(WRONG)
        if status == "user-account-locked":
            raise AccountLocked(LOCKED)
        if status == "user-account-not-active":
            raise AccountInactive(INACTIVE)
        # No associate status: the platform refused us (the integration token), not the associate.
        log.warning("platform associate login refused the integration token: HTTP %s %s",
                    answer.status, answer.detail[:200])
        raise PlatformUnavailable(TOKEN_REFUSED)
    if answer.status != 200:
        raise _unreadable(answer, "unexpected status")
    if params.get("password_change_required") is True:
        raise PasswordChangeRequired(CHANGE_PASSWORD)
    if params.get("success") is not True:
        raise _unreadable(answer, "no success")
    permissions = body.get("permissions")
    if permissions is None and ("tfa_available" in body or "tfa_providers" in body):
        raise Forbidden(TWO_FACTOR)  # profile fields come only after a second factor we cannot ask
    lifetime = body.get("session_lifetime")
    locations = body.get("locations", [])
    all_locations = body.get("all_locations", False)
    if (not isinstance(permissions, list) or not all(isinstance(p, str) for p in permissions)
            or not isinstance(lifetime, int) or isinstance(lifetime, bool) or lifetime <= 0
            or not isinstance(locations, list) or not isinstance(all_locations, bool)
            or not all(isinstance(loc, dict) and isinstance(loc.get("code"), str) for loc in locations)):
        raise _unreadable(answer, "answer not as the contract says")
    role = role_for(permissions)
    if role is None:
        raise Forbidden(NO_PERMISSION)
    first, last = body.get("first_name"), body.get("last_name")
    name = " ".join(clean(n) for n in (first, last) if isinstance(n, str) and clean(n))
    return _Profile(display_name=name[:200], role=role, all_locations=all_locations,
                    locations=[loc["code"] for loc in locations], lifetime_s=lifetime)


def _upsert_and_issue(db: Database, policy: AuthPolicy, username: str, p: _Profile, store: str,
                      now: datetime) -> LoginResult:
    username = username.strip().lower()[:64]
    with db.write() as session:
        q = select(Store.id) if p.all_locations else select(Store.id).where(col(Store.id).in_(p.locations))
        store_ids = sorted(session.exec(q))
        if not store_ids:
            raise Forbidden(NO_STORE)
        a = session.exec(select(Associate).where(Associate.username == username).with_for_update()).first()
        if a is None:
            a = Associate(username=username, display_name=p.display_name or username, role=p.role,
                          secret_hash=NO_LOCAL_SECRET, platform_managed=True)
        elif not a.platform_managed:  # added locally while the platform was being asked
            raise Forbidden(f"User {username} is a local associate here: log in with the local PIN")
        a.display_name = p.display_name or a.display_name
        a.role = p.role
        a.secret_hash = NO_LOCAL_SECRET
        a.failed_logins, a.locked_until = 0, None  # the platform counts and locks, not us
        session.add(a)
        session.flush()
        linked = set(session.exec(select(AssociateStore.store_id).where(AssociateStore.associate_id == a.id)))
        for s in linked - set(store_ids):
            link = session.get(AssociateStore, (a.id, s))
            if link is not None:
                session.delete(link)
        for s in set(store_ids) - linked:
            session.add(AssociateStore(associate_id=a.id or 0, store_id=s))
        session.flush()
        return issue_session(session, a, min(policy.session_lifetime_s, p.lifetime_s), now, store)
