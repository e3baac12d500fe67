"""Per-order signed check-in tokens: HMAC of the order, never guessable from its number."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from storeassist_tui.store.models import MAX_ID, AppSetting, Order

_KEY = "checkin_secret"


def secret(session: Session, configured: str = "") -> bytes:
    """The configured secret, else one made once and kept in the database for every replica."""
    if configured:
        return configured.encode()
    row = session.get(AppSetting, _KEY)
    if row is None:
        is_sqlite = session.get_bind().dialect.name == "sqlite"
        ins = (sqlite_insert if is_sqlite else pg_insert)(AppSetting)
        session.execute(ins.values(key=_KEY, value=secrets.token_hex(32)).on_conflict_do_nothing(index_elements=["key"]))
        row = session.get(AppSetting, _KEY)
    assert row is not None
    return row.value.encode()


def sign(key: bytes, order: Order) -> str:
    mac = hmac.new(key, f"{order.id}:{order.number}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"{order.id}-{mac}"


def order_id_of(token: str) -> int | None:
    head, _, mac = token.partition("-")
    if not head.isascii() or not head.isdigit() or len(head) > 10 or len(mac) != 32 or int(head) > MAX_ID:
        return None
    return int(head)


def verify(key: bytes, order: Order, token: str) -> bool:
    return hmac.compare_digest(sign(key, order), token)
