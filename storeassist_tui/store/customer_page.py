"""Read side of the customer's check-in page: what the link's owner may see about their order.

Only what the customer needs on their phone (store, order number, state, where they can wait):
the link is a bearer secret, so the page shows no address, phone number or items.
"""

from __future__ import annotations

import json
from datetime import datetime

from pydantic import BaseModel

from storeassist_tui.order_status import OPEN, OrderStatus
from storeassist_tui.store import checkin_tokens
from storeassist_tui.store.db import Database
from storeassist_tui.store.errors import NotFound
from storeassist_tui.store.models import CheckIn, Order, Store
from storeassist_tui.store.views import CheckInView, checkin_view


class PageInfo(BaseModel):
    store_name: str
    store_timezone: str
    order_number: str
    status: str
    dispatch: str  # how the customer asked to pick up when ordering: the form's first choice
    curbside_enabled: bool
    parking_spots: list[str]
    checkin: CheckInView | None
    closed_at: datetime | None  # dispensed, canceled or expired: when

    @property
    def can_check_in(self) -> bool:
        """The same states in which the domain accepts a check-in."""
        return self.status in OPEN

    @property
    def ready(self) -> bool:
        return self.status == OrderStatus.STAGED


def checkin_page(db: Database, token: str, secret_key: str = "") -> PageInfo:
    """The page behind a check-in link; NotFound for a link that names no order or is forged."""
    order_id = checkin_tokens.order_id_of(token)
    with db.read() as session:
        order = session.get(Order, order_id) if order_id is not None else None
        if order is None or not checkin_tokens.verify(checkin_tokens.secret(session, secret_key), order, token):
            raise NotFound("This check-in link is not valid")
        store = session.get(Store, order.store_id)
        assert store is not None  # a foreign key
        checkin = session.get(CheckIn, order.id)
        return PageInfo(
            store_name=store.name,
            store_timezone=store.timezone,
            order_number=order.number,
            status=order.status,
            dispatch=order.dispatch,
            curbside_enabled=store.curbside_enabled,
            parking_spots=json.loads(store.parking_spots or "[]"),
            checkin=checkin_view(checkin),
            closed_at=order.dispensed_at or order.closed_at,
        )
