"""The commerce platform's side: order intake, the event feed, expiry; the customer's check-in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel

from storeassist_tui.server.deps import Ctx, Limit, Offset, Platform
from storeassist_tui.store import closing, handoff, intake, queries
from storeassist_tui.store.views import CheckInView, EventPage, OrderDetail

router = APIRouter(prefix="/api/v1")


class Expired(BaseModel):
    expired: list[str]


@router.post("/orders", tags=["platform"], dependencies=[Platform], status_code=201)
def create_order(
    ctx: Ctx, response: Response, payload: intake.IntakeEnvelope,
    x_store_id: Annotated[str, Header(alias="X-storeId")] = "",
) -> OrderDetail:
    """Order intake in the platform's order-create shape ({"order": {...}}); idempotent by orderId:
    201 when created, 200 with the existing order when that id was already received."""
    detail, created = intake.intake_order(ctx.db, payload.order, x_store_id or None)
    if not created:
        response.status_code = 200
    return detail


@router.get("/events", tags=["platform"], dependencies=[Platform])
def events(ctx: Ctx, after: Offset = 0, limit: Limit = 100,
           store: Annotated[str, Query(max_length=64, pattern=r"^[A-Za-z0-9_.-]*$")] = "") -> EventPage:
    """Events after the cursor, oldest first; delivery is at least once, idempotent by event_id."""
    return queries.events(ctx.db, after, limit, store)


@router.post("/expire", tags=["platform"], dependencies=[Platform])
def expire(ctx: Ctx) -> Expired:
    """Expire staged orders past their store's clean-up window (call from a scheduler)."""
    return Expired(expired=closing.expire_due(ctx.db))


@router.post("/checkin/{token}", tags=["customers"])
def customer_checkin(token: str, body: handoff.CheckInForm, ctx: Ctx) -> CheckInView:
    """The customer's own check-in, from the link in the ready-for-pickup message."""
    return handoff.customer_checkin(ctx.db, token[:80], body, ctx.settings.secret_key)
