"""Staging: where the packed order is put. Makes it ready for pickup and issues not-found refunds."""

from __future__ import annotations

from storeassist_tui import barcodes
from storeassist_tui import order_status as status
from storeassist_tui.order_status import OrderStatus
from storeassist_tui.store import checkin_tokens
from storeassist_tui.store.db import Database
from storeassist_tui.store.errors import InvalidInput
from storeassist_tui.store.refunds import issue_pending
from storeassist_tui.store.roles import PICK, Actor
from storeassist_tui.store.text import clean
from storeassist_tui.store.txn import Tx, check_entry, move_order, mutate, require_step
from storeassist_tui.store.views import OrderDetail, order_detail


def clean_location(text: str) -> str:
    location = clean(text)
    if not location:
        raise InvalidInput("Give a staging location (scan a label or type e.g. B3)")
    if len(location) > 100:
        raise InvalidInput("Staging location: at most 100 characters")
    if _is_item_barcode(location):
        raise InvalidInput("That is an item barcode, not a location: scan the location label")
    return location


def _is_item_barcode(text: str) -> bool:
    """A product barcode, or a misread one (GTIN-length digits with a bad check digit): an item
    scanned by mistake, never a place on a shelf."""
    return (text.isascii() and text.isdigit() and len(text) in (8, 12, 13, 14)) or barcodes.is_item_code(text)


def stage(
    db: Database, actor: Actor, order_id: int, location: str, request_id: str, *, bags: int | None = None,
    entry: str = "manual", public_url: str = "", secret_key: str = "",
) -> OrderDetail:
    actor.require(PICK)
    place = clean_location(location)
    check_entry(entry)
    if bags is not None and not 0 <= bags <= 99:
        raise InvalidInput("Bags: 0 to 99")

    def run(tx: Tx) -> OrderDetail:
        o = tx.order(order_id)
        require_step(o, status.STAGE)
        move_order(o, status.STAGE, OrderStatus.STAGED)
        o.staging_location, o.bags, o.staged_at = place, bags, tx.now
        tx.session.add(o)
        tx.audit(o, "staged", entry=entry, location=place, bags=bags)
        issue_pending(tx, o)
        token = checkin_tokens.sign(checkin_tokens.secret(tx.session, secret_key), o)
        tx.emit(o, "staged", location=place, checkin_token=token,
                checkin_url=f"{public_url.rstrip('/')}/checkin/{token}" if public_url else "")
        tx.session.flush()
        return order_detail(tx.session, o)

    return mutate(db, actor, request_id, "stage", OrderDetail, run)


def restage(
    db: Database, actor: Actor, order_id: int, location: str, request_id: str, *, entry: str = "manual"
) -> OrderDetail:
    actor.require(PICK)
    place = clean_location(location)
    check_entry(entry)

    def run(tx: Tx) -> OrderDetail:
        o = tx.order(order_id)
        require_step(o, status.MOVE)
        if o.staging_location.casefold() == place.casefold():
            raise InvalidInput(f"Order {o.number} is already at {place}")
        old, o.staging_location = o.staging_location, place
        tx.session.add(o)
        tx.audit(o, "restaged", entry=entry, old=old, new=place)
        tx.session.flush()
        return order_detail(tx.session, o)

    return mutate(db, actor, request_id, "restage", OrderDetail, run)
