"""The tables. Quantities are whole units, money is integer cents, times are aware UTC."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storeassist_tui.store.db import UTCDateTime, utcnow

MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL: anything larger names nothing


def _ts(**kw: object) -> object:
    return Field(sa_type=UTCDateTime, **kw)  # type: ignore[call-overload]


class Store(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)  # the platform's pickup-location code
    name: str = Field(max_length=200)
    timezone: str = Field(default="UTC", max_length=64)
    lead_time_minutes: int = 120
    opening_hours: str = "{}"  # JSON: {"mon": ["09:00", "21:00"], ...}
    curbside_enabled: bool = True
    parking_spots: str = "[]"  # JSON list of spot names
    signature_required: bool = False
    id_check_required: bool = False
    rejection_allowed: bool = True
    cleanup_days: int = 7
    weight_tolerance_pct: int = 10  # a weighed line is complete within this much of the amount ordered
    revision: int = 0  # bumped by every change to the store's orders: the polling ETag
    created_at: datetime = _ts(default_factory=utcnow)  # type: ignore[assignment]


class Associate(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    display_name: str = Field(max_length=200)
    role: str = Field(max_length=32)
    badge_code: str | None = Field(default=None, max_length=64, unique=True)
    secret_hash: str
    active_from: datetime | None = _ts(default=None)  # type: ignore[assignment]
    active_to: datetime | None = _ts(default=None)  # type: ignore[assignment]
    failed_logins: int = 0
    locked_until: datetime | None = _ts(default=None)  # type: ignore[assignment]
    created_at: datetime = _ts(default_factory=utcnow)  # type: ignore[assignment]
    # Set up in the commerce platform's admin and logged in through its associate login
    # (store/platform_associates.py): this row mirrors it, its secret_hash matches no PIN.
    platform_managed: bool = False


class AssociateStore(SQLModel, table=True):
    associate_id: int = Field(foreign_key="associate.id", primary_key=True)
    store_id: str = Field(foreign_key="store.id", primary_key=True, max_length=64)


class AuthToken(SQLModel, table=True):
    token_hash: str = Field(primary_key=True, max_length=64)
    associate_id: int = Field(foreign_key="associate.id", index=True)
    created_at: datetime = _ts(default_factory=utcnow)  # type: ignore[assignment]
    expires_at: datetime = _ts()  # type: ignore[assignment]
    revoked_at: datetime | None = _ts(default=None)  # type: ignore[assignment]


class LoginFailure(SQLModel, table=True):
    """A refused badge login, by client address: badges are throttled per terminal."""

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_address_at", "address", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(max_length=64)
    at: datetime = _ts(default_factory=utcnow)  # type: ignore[assignment]


class IntegrationKey(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    key_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _ts(default_factory=utcnow)  # type: ignore[assignment]
    revoked_at: datetime | None = _ts(default=None)  # type: ignore[assignment]


class PlatformClient(SQLModel, table=True):
    """OAuth client credentials of a commerce platform that calls us (its consumer id / secret)."""

    __tablename__ = "platform_client"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    consumer_id: str = Field(max_length=64, unique=True)
    secret_hash: str = Field(max_length=64)  # sha256 of the secret, like integration keys
    merchant_id: str = Field(default="", max_length=64)  # the platform's tenant id ("" = any)
    created_at: datetime = _ts(default_factory=utcnow)  # type: ignore[assignment]
    revoked_at: datetime | None = _ts(default=None)  # type: ignore[assignment]


class PlatformToken(SQLModel, table=True):
    """A bearer token handed out by the platform's token endpoint (kept hashed)."""

    __tablename__ = "platform_token"
    token_hash: str = Field(primary_key=True, max_length=64)
    client_id: int = Field(foreign_key="platform_client.id", index=True)
    created_at: datetime = _ts(default_factory=utcnow)  # type: ignore[assignment]
    expires_at: datetime = _ts()  # type: ignore[assignment]


class PickupPoint(SQLModel, table=True):
    """A store as the platform's pickup point: its integer id, activation and what it sent."""

    __tablename__ = "pickup_point"
    id: int | None = Field(default=None, primary_key=True)  # the platform's pickupPointId
    store_id: str = Field(foreign_key="store.id", max_length=64, unique=True)
    merchant_id: str = Field(default="", max_length=64)
    state: str = Field(default="inactive", max_length=16)  # inactive | active | deleted
    in_store: bool = True  # pickupPointType INSIDE
    details: str = "{}"  # JSON: the last create/update body as sent (address, latLong, phone, ...)
    updated_at: datetime = _ts(default_factory=utcnow)  # type: ignore[assignment]


class AppSetting(SQLModel, table=True):
    key: str = Field(primary_key=True, max_length=64)
    value: str


class Order(SQLModel, table=True):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_queue", "store_id", "status", "due_at"),
        Index("ix_orders_store_placed", "store_id", "placed_at", "id"),
        Index("ix_orders_store_status_placed", "store_id", "status", "placed_at", "id"),
        Index("ix_orders_store_email", "store_id", "email_key", "placed_at"),
        Index("ix_orders_store_phone", "store_id", "phone_key", "placed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=64, unique=True)  # the platform's order id
    store_id: str = Field(foreign_key="store.id", max_length=64)
    source: str = Field(default="web", max_length=32)
    customer_id: str = Field(default="", max_length=64)
    customer_name: str = Field(max_length=200)
    customer_phone: str = Field(default="", max_length=40)
    customer_email: str = Field(default="", max_length=200)
    # Lower-case name, e-mail, phone digits; searched by any part through a trigram index (store/search.py).
    search_text: str = Field(default="", max_length=500)
    email_key: str = Field(default="", max_length=200)  # lower-case e-mail: indexed exact look-up
    phone_key: str = Field(default="", max_length=10)  # last 10 phone digits: indexed exact look-up
    dispatch: str = Field(default="in_store", max_length=16)  # in_store | curbside
    alt_name: str = Field(default="", max_length=200)
    alt_phone: str = Field(default="", max_length=40)
    alt_email: str = Field(default="", max_length=200)
    placed_at: datetime = _ts()  # type: ignore[assignment]
    due_at: datetime = _ts()  # type: ignore[assignment]
    status: str = Field(default="new", max_length=16)
    total_cents: int = 0
    units: int = 0
    line_count: int = 0
    claimed_by: int | None = Field(default=None, foreign_key="associate.id")
    claimed_at: datetime | None = _ts(default=None)  # type: ignore[assignment]
    batch_id: str | None = Field(default=None, max_length=40)
    picked_at: datetime | None = _ts(default=None)  # type: ignore[assignment]
    staging_location: str = Field(default="", max_length=100)
    bags: int | None = None
    staged_at: datetime | None = _ts(default=None)  # type: ignore[assignment]
    dispensed_at: datetime | None = _ts(default=None)  # type: ignore[assignment]
    closed_at: datetime | None = _ts(default=None)  # type: ignore[assignment]
    close_reason: str = Field(default="", max_length=200)
    customer_order_id: str = Field(default="", max_length=64)
    notes: str = Field(default="", max_length=500)  # the customer's instructions, for picker and hand-off
    raw_order: str = ""  # JSON: the platform's order as it was sent, every field of it
    version: int = 1  # optimistic lock: every change is UPDATE ... WHERE version = the one read
    updated_at: datetime = _ts(default_factory=utcnow)  # type: ignore[assignment]


class OrderLine(SQLModel, table=True):
    __tablename__ = "order_line"
    __table_args__ = (UniqueConstraint("order_id", "line_nbr"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    line_nbr: int
    sku: str = Field(default="", max_length=64)
    description: str = Field(max_length=300)
    quantity: int  # a weighed line is one unit, complete once its weight is picked
    picked: int = 0
    not_found: int = 0
    dispensed: int = 0
    rejected: int = 0
    unit_price_cents: int = 0  # of a weighed line: the price of one lb / kg
    uom: str = Field(default="EACH", max_length=8)  # EACH, or LB / KG for a weighed line
    weight_milli: int = 0  # a weighed line's amount ordered, thousandths of its uom
    weight_picked_milli: int = 0  # what its scale labels added up to
    size: str = Field(default="", max_length=40)
    colour: str = Field(default="", max_length=40)
    fit: str = Field(default="", max_length=40)
    image_url: str = Field(default="", max_length=500)
    department: str = Field(default="", max_length=100)
    dept_seq: int = 0
    substitution_allowed: bool | None = None  # isSubstitutionAllowed; None = not said
    aisle: str = Field(default="", max_length=64)  # walk order: "A03-2" sorts before "A11-1"
    codes: str = "[]"  # JSON [{"code": ..., "type": ...}] as the platform sent them
    match_keys: str = "[]"  # JSON list of normalised keys (barcodes.match_keys)


class CatalogCode(SQLModel, table=True):
    """Every code ever seen on an order line: tells a wrong item from an unknown code."""

    key: str = Field(primary_key=True, max_length=80)
    sku: str = Field(default="", max_length=64)
    description: str = Field(max_length=300)


class Refund(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    line_id: int | None = Field(default=None, foreign_key="order_line.id")
    reason: str = Field(max_length=16)  # not_found | rejected | canceled | expired
    quantity: int
    amount_cents: int
    state: str = Field(default="pending", max_length=16)  # pending | issued
    created_at: datetime = _ts(default_factory=utcnow)  # type: ignore[assignment]
    issued_at: datetime | None = _ts(default=None)  # type: ignore[assignment]


class CheckIn(SQLModel, table=True):
    order_id: int = Field(foreign_key="orders.id", primary_key=True)
    arrived_at: datetime = _ts()  # type: ignore[assignment]
    location: str = Field(default="in_store", max_length=16)  # in_store | curbside
    spot: str = Field(default="", max_length=40)
    car_make: str = Field(default="", max_length=60)
    car_colour: str = Field(default="", max_length=40)
    note: str = Field(default="", max_length=200)
    by: str = Field(default="customer", max_length=16)  # customer | associate
    associate_id: int | None = Field(default=None, foreign_key="associate.id")
    updated_at: datetime = _ts(default_factory=utcnow)  # type: ignore[assignment]


class AuditEvent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    order_id: int | None = Field(default=None, foreign_key="orders.id", index=True)
    store_id: str = Field(max_length=64)
    associate_id: int | None = Field(default=None, foreign_key="associate.id")
    action: str = Field(max_length=40)
    entry: str = Field(default="", max_length=8)  # scan | manual | "" when not a code entry
    detail: str = "{}"
    at: datetime = _ts(default_factory=utcnow)  # type: ignore[assignment]


class OutboxEvent(SQLModel, table=True):
    """The platform's event feed: the id is the cursor, event_id makes redelivery idempotent."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=40, unique=True)
    store_id: str = Field(max_length=64, index=True)
    order_id: int = Field(foreign_key="orders.id")
    order_number: str = Field(max_length=64)
    type: str = Field(max_length=32)
    payload: str = "{}"
    created_at: datetime = _ts(default_factory=utcnow)  # type: ignore[assignment]


class RequestRecord(SQLModel, table=True):
    """A mutating request already done: its id and answer, so a retry does nothing twice."""

    request_id: str = Field(primary_key=True, max_length=64)
    associate_id: int | None = None
    operation: str = Field(max_length=40)
    result: str = "{}"
    created_at: datetime = _ts(default_factory=utcnow)  # type: ignore[assignment]


class PlatformDelivery(SQLModel, table=True):
    """One call to the commerce platform made from an outbox event (store/delivery.py): built once
    when the event is read, so every retry sends the same body; delivered in outbox order per order."""

    __tablename__ = "platform_delivery"
    __table_args__ = (Index("ix_platform_delivery_open", "state", "order_id", "outbox_id"),)

    outbox_id: int = Field(primary_key=True, foreign_key="outboxevent.id", sa_column_kwargs={"autoincrement": False})
    event_id: str = Field(max_length=40, unique=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    order_number: str = Field(max_length=64)
    event_type: str = Field(max_length=32)
    call: str = Field(max_length=32)  # the path under /V1/wct-fulfillment/order/
    body: str
    state: str = Field(default="pending", max_length=16)  # pending | delivered | dead
    attempts: int = 0
    next_attempt_at: datetime = _ts()  # type: ignore[assignment]
    last_attempt_at: datetime | None = _ts(default=None)  # type: ignore[assignment]
    failed_at: datetime | None = _ts(default=None)  # type: ignore[assignment]
    last_error: str = Field(default="", max_length=500)
    event_created_at: datetime = _ts()  # type: ignore[assignment]
    delivered_at: datetime | None = _ts(default=None)  # type: ignore[assignment]
