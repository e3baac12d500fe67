"""The administrator's set-up: stores, associates, unlocking."""

from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel
from sqlmodel import col, select

from storeassist_tui.schemas import StoreSettings
from storeassist_tui.store.auth import UserView, account_state, hash_secret, user_view
from storeassist_tui.store.db import Database, utcnow
from storeassist_tui.store.errors import Duplicate, Forbidden, InvalidInput, NotFound
from storeassist_tui.store.models import Associate, AssociateStore, Store
from storeassist_tui.store.roles import permissions_of

CODE = r"[A-Za-z0-9_.-]{1,64}"  # what a store id, a parking spot or a badge may be
_CODE = re.compile(f"^{CODE}$")
_USERNAME = re.compile(r"^[a-z0-9_.-]{2,64}$")
_SPOT_MAX = 40  # a check-in keeps the chosen spot in 40 characters (CheckIn.spot)
_NAME_MAX = 200  # Associate.display_name
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


MAX_TOLERANCE_PCT = 50


def parse_hours(text: str) -> dict[str, list[str]]:
    """'mon-fri 09:00-21:00, sat 10:00-18:00' -> {"mon": ["09:00", "21:00"], ...}."""
    hours: dict[str, list[str]] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            days, span = part.split()
            start, end = span.split("-")
        except ValueError:
            raise InvalidInput(f"Opening hours {part!r}: write like 'mon-fri 09:00-21:00'") from None
        if not (_HHMM.match(start) and _HHMM.match(end)) or start >= end:
            raise InvalidInput(f"Opening hours {part!r}: times are HH:MM, opening before closing")
        first, _, last = days.lower().partition("-")
        if first not in _DAYS or (last and last not in _DAYS):
            raise InvalidInput(f"Opening hours {part!r}: days are {', '.join(_DAYS)}")
        i, j = _DAYS.index(first), _DAYS.index(last or first)
        for d in _DAYS[i : j + 1]:
            hours[d] = [start, end]
    return hours


def validate_store(s: StoreSettings) -> None:
    if not _CODE.match(s.id):
        raise InvalidInput("Store code: 1 to 64 letters, digits or _.-")
    if not s.name.strip() or len(s.name) > 200:
        raise InvalidInput("Store name: 1 to 200 characters")
    try:
        ZoneInfo(s.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"Unknown time zone {s.timezone!r} (e.g. America/Chicago)") from None
    if not 0 <= s.lead_time_minutes <= 60 * 24 * 14:
        raise InvalidInput("Pickup lead time: 0 to 20160 minutes")
    if not 1 <= s.cleanup_days <= 90:
        raise InvalidInput("Clean-up window: 1 to 90 days")
    if not 0 <= s.weight_tolerance_pct <= MAX_TOLERANCE_PCT:
        raise InvalidInput(f"Weight tolerance: 0 to {MAX_TOLERANCE_PCT} percent")
    if any(not _CODE.match(p) or len(p) > _SPOT_MAX for p in s.parking_spots):
        raise InvalidInput(f"Parking spots: names of 1 to {_SPOT_MAX} letters, digits or _.-")


def add_store(db: Database, s: StoreSettings) -> StoreSettings:
    validate_store(s)
    with db.write() as session:
        if session.get(Store, s.id) is not None:
            raise Duplicate(f"Store {s.id} already exists")
        session.add(
            Store(
                id=s.id, name=s.name.strip(), timezone=s.timezone, lead_time_minutes=s.lead_time_minutes,
                opening_hours=json.dumps(s.opening_hours), curbside_enabled=s.curbside_enabled,
                parking_spots=json.dumps(s.parking_spots), signature_required=s.signature_required,
                id_check_required=s.id_check_required, rejection_allowed=s.rejection_allowed,
                cleanup_days=s.cleanup_days, weight_tolerance_pct=s.weight_tolerance_pct,
            )
        )
    return s


def store_settings(store: Store) -> StoreSettings:
    return StoreSettings(
        id=store.id, name=store.name, timezone=store.timezone, lead_time_minutes=store.lead_time_minutes,
        opening_hours=json.loads(store.opening_hours), curbside_enabled=store.curbside_enabled,
        parking_spots=json.loads(store.parking_spots), signature_required=store.signature_required,
        id_check_required=store.id_check_required, rejection_allowed=store.rejection_allowed,
        cleanup_days=store.cleanup_days, weight_tolerance_pct=store.weight_tolerance_pct,
    )


def set_weight_tolerance(db: Database, store_id: str, pct: int) -> StoreSettings:
    """How far the scale labels of a weighed line may add up from the amount ordered, in percent."""
    with db.write() as session:
        store = session.get(Store, store_id)
        if store is None:
            raise NotFound(f"No store {store_id}")
        validate_store(store_settings(store).model_copy(update={"weight_tolerance_pct": pct}))
        store.weight_tolerance_pct = pct
        session.add(store)
        return store_settings(store)


def get_store(db: Database, store_id: str) -> StoreSettings:
    with db.read() as session:
        store = session.get(Store, store_id)
        if store is None:
            raise NotFound(f"No store {store_id}")
        return store_settings(store)


def list_stores(db: Database) -> list[StoreSettings]:
    with db.read() as session:
        return [store_settings(s) for s in session.exec(select(Store).order_by(col(Store.id)))]


class UserRow(BaseModel):
    username: str
    display_name: str
    role: str
    stores: list[str]
    badge: bool
    state: str  # auth.account_state: active, locked, not yet active, expired
    platform_managed: bool = False  # set up in the commerce platform, logged in through it


def list_users(db: Database, store_id: str = "") -> list[UserRow]:
    now = utcnow()
    with db.read() as session:
        links = session.exec(select(AssociateStore)).all()
        stores_of: dict[int, list[str]] = {}
        for link in links:
            stores_of.setdefault(link.associate_id, []).append(link.store_id)
        rows = [
            UserRow(username=a.username, display_name=a.display_name, role=a.role,
                    stores=sorted(stores_of.get(a.id or 0, [])), badge=a.badge_code is not None,
                    state=account_state(a, now), platform_managed=a.platform_managed)
            for a in session.exec(select(Associate).order_by(col(Associate.username)))
        ]
    return [r for r in rows if not store_id or store_id in r.stores]


def add_user(
    db: Database, *, username: str, display_name: str, role: str, stores: list[str], secret: str,
    badge: str | None = None, active_from: datetime | None = None, active_to: datetime | None = None,
) -> UserView:
    username = username.strip().lower()
    if not _USERNAME.match(username):
        raise InvalidInput("User name: 2 to 64 lower-case letters, digits or _.-")
    permissions_of(role)
    if len(secret) < 4 or len(secret) > 128:
        raise InvalidInput("PIN or password: 4 to 128 characters")
    if not stores:
        raise InvalidInput("Give at least one store the associate works in")
    if badge is not None and not _CODE.match(badge):
        raise InvalidInput("Badge code: 1 to 64 letters, digits or _.-")
    if len(display_name.strip()) > _NAME_MAX:  # measured as stored, stripped
        raise InvalidInput(f"Name: at most {_NAME_MAX} characters")
    if active_from and active_to and active_to <= active_from:
        raise InvalidInput("Active to must be after active from")
    with db.write() as session:
        if session.exec(select(Associate).where(Associate.username == username)).first():
            raise Duplicate(f"User {username} already exists")
        if badge and session.exec(select(Associate).where(Associate.badge_code == badge)).first():
            raise Duplicate(f"Badge {badge} is already someone's")
        found = [session.get(Store, s) for s in stores]
        missing = [s for s, f in zip(stores, found, strict=True) if f is None]
        if missing:
            raise NotFound(f"No store {', '.join(missing)}")
        a = Associate(
            username=username, display_name=display_name.strip() or username, role=role, badge_code=badge,
            secret_hash=hash_secret(secret), active_from=active_from, active_to=active_to,
        )
        session.add(a)
        session.flush()
        for s in stores:
            session.add(AssociateStore(associate_id=a.id or 0, store_id=s))
        return user_view(a, [f for f in found if f is not None])


def _local(a: Associate | None, username: str) -> Associate:
    if a is None:
        raise NotFound(f"No user {username}")
    if a.platform_managed:
        raise Forbidden(f"User {a.username} is managed in the commerce platform: "
                        "change the password in the platform's admin, not here")
    return a


def require_local(db: Database, username: str) -> None:
    """Refuse at once (before a PIN is asked for) an associate managed in the commerce platform."""
    with db.read() as session:
        _local(session.exec(select(Associate).where(Associate.username == username.strip().lower())).first(), username)


def set_secret(db: Database, username: str, secret: str) -> None:
    """A new PIN or password for a local associate; an associate managed in the commerce platform
    has none here (its password is the platform's, changed there)."""
    if len(secret) < 4 or len(secret) > 128:
        raise InvalidInput("PIN or password: 4 to 128 characters")
    with db.write() as session:
        a = _local(session.exec(select(Associate).where(Associate.username == username.strip().lower())).first(),
                   username)
        a.secret_hash = hash_secret(secret)
        session.add(a)


def unlock_user(db: Database, username: str) -> None:
    with db.write() as session:
        a = session.exec(select(Associate).where(Associate.username == username.strip().lower())).first()
        if a is None:
            raise NotFound(f"No user {username}")
        a.failed_logins = 0
        a.locked_until = None
        session.add(a)
