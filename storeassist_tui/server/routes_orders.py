"""An associate's work on orders: thin routes over storeassist_tui.store, one use case each."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from storeassist_tui.schemas import MAX_BATCH, MAX_SCANS, Refusal, ScanBatchResult
from storeassist_tui.server import errors
from storeassist_tui.server.deps import BodyId, Ctx, LineId, OrderId, RequestId, Who
from storeassist_tui.store import closing, handoff, picking, queries, staging
from storeassist_tui.store.views import CheckInView, OrderDetail, ScanResult, TimelineEntry

router = APIRouter(prefix="/api/v1", tags=["orders"])


Entry = Literal["scan", "manual"]


class ClaimBody(BaseModel):
    order_ids: list[BodyId] = Field(min_length=1, max_length=MAX_BATCH)
    take_over: bool = False


class ScanBody(BaseModel):
    order_ids: list[BodyId] = Field(min_length=1, max_length=MAX_BATCH)
    code: str = Field(max_length=4096)  # the store refuses anything longer than a scan, with its reason
    entry: Entry = "scan"
    quantity: int = Field(default=1, ge=-999_999, le=999_999)
    line_id: BodyId | None = None


class ScanOf(BaseModel):
    """One scan of several sent together: a scan's body, and the request id it would have alone."""

    code: str = Field(max_length=4096)
    entry: Entry = "scan"
    quantity: int = Field(default=1, ge=-999_999, le=999_999)
    line_id: BodyId | None = None
    request_id: str = Field(max_length=64)  # checked as an Idempotency-Key is


class ScansBody(BaseModel):
    order_ids: list[BodyId] = Field(min_length=1, max_length=MAX_BATCH)
    scans: list[ScanOf] = Field(min_length=1, max_length=MAX_SCANS)


class QuantityBody(BaseModel):
    quantity: int = Field(ge=-999_999, le=999_999)


class StageBody(BaseModel):
    location: str = Field(max_length=4096)
    bags: int | None = Field(default=None, ge=-999_999, le=999_999)
    entry: Entry = "manual"


class CancelBody(BaseModel):
    reason: str = Field(max_length=4096)


@router.get("/orders/by-number/{number}")
def by_number(number: str, ctx: Ctx, who: Who,
              store: Annotated[str, Query(max_length=64, pattern=r"^[A-Za-z0-9_.-]*$")] = "") -> OrderDetail:
    """`store=` looks in that store only (a terminal's store); without it, in all of the associate's."""
    return queries.find_order(ctx.db, who, number, store)


@router.get("/orders/{order_id}")
def get_order(order_id: OrderId, ctx: Ctx, who: Who) -> OrderDetail:
    return queries.get_order(ctx.db, who, order_id)


@router.get("/orders/{order_id}/timeline")
def timeline(order_id: OrderId, ctx: Ctx, who: Who) -> list[TimelineEntry]:
    return queries.order_timeline(ctx.db, who, order_id)


@router.post("/picks/claim")
def claim(body: ClaimBody, ctx: Ctx, who: Who, rid: RequestId) -> picking.ClaimResult:
    return picking.claim(ctx.db, who, body.order_ids, rid, body.take_over)


@router.post("/picks/scan")
def scan(body: ScanBody, ctx: Ctx, who: Who, rid: RequestId) -> ScanResult:
    return picking.record_scan(ctx.db, who, body.order_ids, body.code, rid, body.entry, body.quantity, body.line_id)


@router.post("/picks/scans")
def scans(body: ScansBody, ctx: Ctx, who: Who) -> ScanBatchResult:
    """Scans a terminal had waiting together (a wedge's burst): each done as /picks/scan does it,
    in order, under its own request id, until one is refused; the refusal is in the answer."""
    done, refused = picking.record_scans(ctx.db, who, body.order_ids, [
        picking.ScanRequest(s.code, s.request_id, s.entry, s.quantity, s.line_id) for s in body.scans])
    return ScanBatchResult(results=done, refused=None if refused is None else Refusal(
        status=refused.status, code=refused.code, message=errors.one_line(refused.message)))


@router.post("/orders/{order_id}/release")
def release(order_id: OrderId, ctx: Ctx, who: Who, rid: RequestId) -> OrderDetail:
    return picking.release(ctx.db, who, order_id, rid)


@router.post("/orders/{order_id}/lines/{line_id}/not-found")
def not_found(order_id: OrderId, line_id: LineId, body: QuantityBody, ctx: Ctx, who: Who, rid: RequestId) -> OrderDetail:
    return picking.mark_not_found(ctx.db, who, order_id, line_id, body.quantity, rid)


@router.post("/orders/{order_id}/lines/{line_id}/skip")
def skip(order_id: OrderId, line_id: LineId, ctx: Ctx, who: Who, rid: RequestId) -> OrderDetail:
    return picking.skip_line(ctx.db, who, order_id, line_id, rid)


@router.post("/orders/{order_id}/finish-pick")
def finish_pick(order_id: OrderId, ctx: Ctx, who: Who, rid: RequestId) -> OrderDetail:
    return picking.finish_pick(ctx.db, who, order_id, rid)


@router.post("/orders/{order_id}/stage")
def stage(order_id: OrderId, body: StageBody, ctx: Ctx, who: Who, rid: RequestId) -> OrderDetail:
    return staging.stage(ctx.db, who, order_id, body.location, rid, bags=body.bags, entry=body.entry,
                         public_url=ctx.settings.public_url, secret_key=ctx.settings.secret_key)


@router.post("/orders/{order_id}/restage")
def restage(order_id: OrderId, body: StageBody, ctx: Ctx, who: Who, rid: RequestId) -> OrderDetail:
    return staging.restage(ctx.db, who, order_id, body.location, rid, entry=body.entry)


@router.post("/orders/{order_id}/checkin")
def checkin(order_id: OrderId, body: handoff.CheckInForm, ctx: Ctx, who: Who, rid: RequestId) -> CheckInView:
    return handoff.associate_checkin(ctx.db, who, order_id, body, rid)


@router.post("/orders/{order_id}/dispense")
def dispense(order_id: OrderId, body: handoff.DispenseForm, ctx: Ctx, who: Who, rid: RequestId) -> OrderDetail:
    return handoff.dispense(ctx.db, who, order_id, body, rid)


@router.post("/orders/{order_id}/cancel")
def cancel(order_id: OrderId, body: CancelBody, ctx: Ctx, who: Who, rid: RequestId) -> OrderDetail:
    return closing.cancel(ctx.db, who, order_id, body.reason, rid)
