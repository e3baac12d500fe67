"""Stores as the commerce platform's pickup points: its search, create, update, activate,
deactivate and delete, mapped onto our stores (one store = one pickup point, id = externalId).

A store made by hand (`storeassist store add`) is found by the search too (it gets its pickup
point id then, and counts as active: it was serving already). A store the platform creates is
inactive until the platform activates it. Inactive or deleted stores keep serving what they have
(orders, check-ins, terminals): the platform stops routing new orders to them, and `storeassist
store list` shows their state. A deleted store is no longer found by the search; creating it
again brings it back (inactive until activated)."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, select

from storeassist_tui.store.admin import StoreSettings, store_settings, validate_store
from storeassist_tui.store.db import Database
from storeassist_tui.store.errors import Duplicate, InvalidInput, NotFound
from storeassist_tui.store.models import PickupPoint, Store
from storeassist_tui.store.text import CleanModel

_DAYS = {"monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu", "friday": "fri",
         "saturday": "sat", "sunday": "sun"}
_HHMM = re.compile(r"^([01]\d|2[0-3])[0-5]\d$")
ACTIVE, INACTIVE, DELETED = "active", "inactive", "deleted"


class OperationalHours(CleanModel):
    day: str = Field(max_length=16)
    start: str = Field(max_length=8)
    end: str = Field(max_length=8)


class PickupPointBody(CleanModel):
    """The platform's store create / update body; fields we do not map are kept as sent."""

    model_config = ConfigDict(extra="allow")
    name: str = Field(min_length=1, max_length=200)
    externalId: str = Field(min_length=1, max_length=64)
    timeZone: str = Field(default="UTC", max_length=64)
    pickupPointType: list[str] = Field(default_factory=list, max_length=10)
    parkingBayNumbers: str = Field(default="", max_length=4000)
    operationalHours: list[OperationalHours] = Field(default_factory=list, max_length=14)
    address: dict[str, Any] = Field(default_factory=dict)
    latLong: dict[str, Any] = Field(default_factory=dict)
    phone: dict[str, Any] = Field(default_factory=dict)


class PickupPointView(BaseModel):
    externalId: str
    pickupPointId: int
    name: str
    active: bool
    state: str
    pickupPointType: list[str]


def opening_hours(hours: list[OperationalHours]) -> dict[str, list[str]]:
    """[{"day": "Monday", "start": "0900", "end": "2100"}] -> {"mon": ["09:00", "21:00"]}, the
    shape `storeassist store add --hours` keeps."""
    out: dict[str, list[str]] = {}
    for h in hours:
        day = _DAYS.get(h.day.strip().lower())
        if day is None:
            raise InvalidInput(f"operationalHours: unknown day {h.day[:16]!r} (Monday ... Sunday)")
        if not (_HHMM.match(h.start) and _HHMM.match(h.end)) or h.start >= h.end:
            raise InvalidInput(f"operationalHours {h.day}: times are HHmm, opening before closing")
        out[day] = [f"{h.start[:2]}:{h.start[2:]}", f"{h.end[:2]}:{h.end[2:]}"]
    return out


def _types(curbside: bool, in_store: bool) -> list[str]:
    return [t for t, on in (("INSIDE", in_store), ("CURBSIDE", curbside)) if on]


def _view(store: Store, pp: PickupPoint) -> PickupPointView:
    return PickupPointView(externalId=store.id, pickupPointId=pp.id or 0, name=store.name,
                           active=pp.state == ACTIVE, state=pp.state,
                           pickupPointType=_types(store.curbside_enabled, pp.in_store))


def _settings(body: PickupPointBody, base: StoreSettings | None) -> StoreSettings:
    types = {t.strip().upper() for t in body.pickupPointType}
    spots = [p.strip() for p in body.parkingBayNumbers.split(",") if p.strip()]
    values: dict[str, Any] = dict(
        id=body.externalId, name=body.name.strip(), timezone=body.timeZone or "UTC",
        opening_hours=opening_hours(body.operationalHours), curbside_enabled="CURBSIDE" in types,
        parking_spots=spots,
    )
    s = base.model_copy(update=values) if base is not None else StoreSettings(**values)
    validate_store(s)
    return s


def _apply(store: Store, s: StoreSettings) -> None:
    store.name, store.timezone = s.name, s.timezone
    store.opening_hours, store.curbside_enabled = json.dumps(s.opening_hours), s.curbside_enabled
    store.parking_spots = json.dumps(s.parking_spots)


def _point(session: Session, store: Store, merchant_id: str) -> PickupPoint:
    """The store's pickup point; a store made by hand gets one now, active (it was serving)."""
    pp = session.exec(select(PickupPoint).where(PickupPoint.store_id == store.id)).first()
    if pp is None:
        pp = PickupPoint(store_id=store.id, merchant_id=merchant_id, state=ACTIVE)
        session.add(pp)
        session.flush()
    return pp


def search(db: Database, merchant_id: str, external_id: str) -> list[PickupPointView]:
    """The pickup points whose externalId is exactly this one: [] or one."""
    with db.write() as session:
        store = session.get(Store, external_id) if external_id else None
        if store is None:
            return []
        pp = _point(session, store, merchant_id)
        if pp.state == DELETED:
            return []
        return [_view(store, pp)]


def create(db: Database, merchant_id: str, body: PickupPointBody) -> PickupPointView:
    """A new store from the platform, inactive until activated (or a deleted one brought back)."""
    s = _settings(body, None)
    with db.write() as session:
        store = session.get(Store, s.id)
        pp = session.exec(select(PickupPoint).where(PickupPoint.store_id == s.id)).first() if store else None
        if store is not None and (pp is None or pp.state != DELETED):
            raise Duplicate(f"Store {s.id} already exists: update it (store/update)")
        if store is None:
            store = Store(id=s.id, name=s.name)
        _apply(store, s)
        session.add(store)
        session.flush()
        if pp is None:
            pp = PickupPoint(store_id=store.id, merchant_id=merchant_id)
        pp.state, pp.in_store = INACTIVE, "INSIDE" in {t.strip().upper() for t in body.pickupPointType}
        pp.details = body.model_dump_json()
        session.add(pp)
        session.flush()
        return _view(store, pp)


def update(db: Database, merchant_id: str, store_id: str, body: PickupPointBody) -> PickupPointView:
    if store_id and store_id != body.externalId:
        raise InvalidInput(f"X-storeId {store_id[:64]} and externalId {body.externalId[:64]} differ")
    with db.write() as session:
        store = session.get(Store, body.externalId)
        if store is None:
            raise NotFound(f"No store {body.externalId[:64]}")
        pp = _point(session, store, merchant_id)
        if pp.state == DELETED:
            raise NotFound(f"Store {store.id} was deleted: create it again")
        _apply(store, _settings(body, store_settings(store)))
        pp.in_store = "INSIDE" in {t.strip().upper() for t in body.pickupPointType}
        pp.details = body.model_dump_json()
        session.add_all([store, pp])
        session.flush()
        return _view(store, pp)


def set_active(db: Database, pickup_point_id: int, active: bool) -> PickupPointView:
    with db.write() as session:
        pp = session.get(PickupPoint, pickup_point_id)
        store = session.get(Store, pp.store_id) if pp is not None else None
        if pp is None or store is None or pp.state == DELETED:
            raise NotFound(f"No pickup point {pickup_point_id}")
        pp.state = ACTIVE if active else INACTIVE
        session.add(pp)
        session.flush()
        return _view(store, pp)


def delete(db: Database, merchant_id: str, store_id: str) -> PickupPointView:
    """The store leaves the platform: no longer found, its orders stay as they are."""
    with db.write() as session:
        store = session.get(Store, store_id) if store_id else None
        if store is None:
            raise NotFound(f"No store {store_id[:64]}")
        pp = _point(session, store, merchant_id)
        pp.state = DELETED
        session.add(pp)
        session.flush()
        return _view(store, pp)


def states(db: Database) -> dict[str, str]:
    """Store id -> its pickup-point state (stores never seen by the platform are absent)."""
    with db.read() as session:
        return {pp.store_id: pp.state for pp in session.exec(select(PickupPoint))}
