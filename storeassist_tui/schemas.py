"""The shapes that cross the wire between the backend and the terminal, and the words both use.

One module for both sides: store/views.py (and the other use cases) build these objects, the
server answers them, and client.py parses the answers into the same classes. A field added or
changed here is added or changed for both at once (tests/test_schemas.py checks the served
OpenAPI and real answers against these classes).

Pure: pydantic and the standard library only. It never imports the store, the server, the
database, HTTP or Textual (pyproject.toml's import contracts keep it so), so both sides may
import it.

Unknown fields in an answer are ignored (pydantic's default), so a terminal keeps working
against a newer backend that adds a field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

# --- Words both sides use -----------------------------------------------------------------

# The permissions of the source platform. The backend enforces them; the screens only use them to
# refuse at once rather than after the customer signed. `UserView.permissions` names them.
PICK = "picking"
DISPENSE = "dispensing"
CANCEL = "quantity_reduction_and_cancellation"

# The roles an associate can have (`UserView.role`) and the permissions each gives.
ROLES: dict[str, frozenset[str]] = {
    "picker": frozenset({PICK}),
    "handoff": frozenset({DISPENSE}),
    "associate": frozenset({PICK, DISPENSE}),
    "lead": frozenset({PICK, DISPENSE, CANCEL}),
}

MAX_BATCH = 20  # orders one claim or scan may name: the backend refuses more, the pick queue marks no more
MAX_SCANS = 50  # scans one request may carry (POST /picks/scans): the backend refuses more, a terminal sends no more

CHECKIN_NOTE_MAX = 100  # characters of a check-in's note (CheckInView.note) the backend takes
SIGNATURE_MAX = 100  # characters of a customer's typed name at hand-off
SEARCH_MAX = 100  # characters of an Orders search

# The error `code` of a step on an order the commerce platform cancelled meanwhile (HTTP 409).
CANCELED_BY_PLATFORM = "canceled_by_platform"


# --- Associates ---------------------------------------------------------------------------


class StoreRef(BaseModel):
    id: str
    name: str


class UserView(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    permissions: list[str]
    stores: list[StoreRef]


class LoginResult(BaseModel):
    token: str
    expires_at: datetime
    session_lifetime_s: int
    user: UserView


class DemoCredential(BaseModel):
    username: str
    secret: str
    badge: str
    role: str
    display_name: str


class DemoInfo(BaseModel):
    demo: bool
    credentials: list[DemoCredential]


# --- Stores -------------------------------------------------------------------------------


class StoreSettings(BaseModel):
    """A store's settings: the administrator sets them, the screens follow them (hand-off
    prompts, parking spots)."""

    id: str
    name: str
    timezone: str = "UTC"
    lead_time_minutes: int = 120
    opening_hours: dict[str, list[str]] = {}
    curbside_enabled: bool = True
    parking_spots: list[str] = []
    signature_required: bool = False
    id_check_required: bool = False
    rejection_allowed: bool = True
    cleanup_days: int = 7
    weight_tolerance_pct: int = 10  # weighed lines: how far labels may add up from the amount ordered


class Counts(BaseModel):
    store_id: str
    to_pick: int
    overdue: int
    to_stage: int
    waiting: int
    ready: int
    open_orders: int
    all_orders: int


# --- Orders -------------------------------------------------------------------------------


class CodeView(BaseModel):
    code: str
    type: str | None = None


class LineView(BaseModel):
    id: int
    line_nbr: int
    sku: str
    description: str
    quantity: int
    picked: int
    not_found: int
    pending: int
    dispensed: int
    rejected: int
    unit_price_cents: int
    size: str
    colour: str
    fit: str
    image_url: str
    department: str
    dept_seq: int = 0  # the store's walking order of departments (lines without an aisle)
    aisle: str
    codes: list[CodeView]
    substitution_allowed: bool | None = None  # the customer's word on substitutes; None = not said
    uom: str = "EACH"  # LB / KG: a weighed line, one unit complete when its weight is picked
    weight_milli: int = 0  # amount ordered, thousandths of uom
    weight_picked_milli: int = 0


class CheckInView(BaseModel):
    arrived_at: datetime
    location: str
    spot: str
    car_make: str
    car_colour: str
    note: str
    by: str


class RefundView(BaseModel):
    id: int
    line_id: int | None
    reason: str
    quantity: int
    amount_cents: int
    state: str
    issued_at: datetime | None


class OrderSummary(BaseModel):
    id: int
    number: str
    store_id: str
    customer_name: str
    dispatch: str
    status: str
    placed_at: datetime
    due_at: datetime
    units: int
    line_count: int
    claimed_by: int | None
    claimed_by_name: str | None
    batch_id: str | None
    staging_location: str
    staged_at: datetime | None
    checkin: CheckInView | None = None


class OrderDetail(OrderSummary):
    customer_phone: str
    customer_email: str
    alt_name: str
    alt_phone: str
    alt_email: str
    total_cents: int
    bags: int | None
    picked_at: datetime | None
    dispensed_at: datetime | None
    closed_at: datetime | None
    close_reason: str
    version: int
    # Finishing the pick now would close the order instead of sending it to staging.
    closes_when_finished: bool = False
    source: str = ""
    customer_order_id: str = ""
    notes: str = ""  # the customer's instructions: shown to the picker and at hand-off
    lines: list[LineView]
    refunds: list[RefundView]


class TimelineEntry(BaseModel):
    at: datetime
    who: str
    action: str
    entry: str
    detail: dict[str, Any]


# --- Answers to an associate's steps --------------------------------------------------------


class ClaimResult(BaseModel):
    batch_id: str | None
    orders: list[OrderDetail]


class ScanResult(BaseModel):
    order: OrderDetail
    order_id: int
    line_id: int
    counted: int
    entry: str
    weight_milli: int = 0  # what a scale label on a weighed line weighed


class Refusal(BaseModel):
    """A refusal inside an answer: what an error answer alone says ({code, message}), with its status."""

    status: int
    code: str
    message: str


class ScanBatchResult(BaseModel):
    """Scans sent together (POST /picks/scans), each done as POST /picks/scan does it, in order:
    the answers of those done; `refused`, the first one refused, which ended the batch (the scans
    after it were not looked at)."""

    results: list[ScanResult]
    refused: Refusal | None = None


class VoidResult(BaseModel):
    """What became of a request the associate stopped waiting for."""

    request_id: str
    voided: bool  # the request has no effect, and never will
    saved: bool  # it had taken effect and could not be taken back
    message: str


# --- Polled lists ---------------------------------------------------------------------------


class PickQueue(BaseModel):
    store_id: str
    overdue: int
    total: int
    orders: list[OrderSummary]


class StageQueue(BaseModel):
    """Picked orders waiting for a staging location (oldest first), then the staged ones."""

    store_id: str
    total: int
    orders: list[OrderSummary]
    staged_total: int
    staged: list[OrderSummary]


class HandoffEntry(BaseModel):
    order: OrderSummary
    waiting_since: datetime | None
    wait_seconds: int | None  # as of when the answer was made (it is served until the store changes)


class HandoffQueue(BaseModel):
    store_id: str
    checked_in: list[HandoffEntry]
    ready: list[HandoffEntry]


class OrderPage(BaseModel):
    store_id: str
    total: int
    offset: int
    orders: list[OrderSummary]


# --- The event feed the commerce platform reads ------------------------------------------------


class EventView(BaseModel):
    cursor: int
    event_id: str
    type: str
    store_id: str
    order_id: int
    order_number: str
    created_at: datetime
    payload: dict[str, object]


class EventPage(BaseModel):
    events: list[EventView]
    next_cursor: int
