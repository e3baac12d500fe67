"""The polled lists of a store, answered with ETag / 304."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from storeassist_tui.server import etag
from storeassist_tui.server.deps import Ctx, Limit, Offset, Who
from storeassist_tui.store import admin, queries, views

router = APIRouter(prefix="/api/v1/stores/{store_id}", tags=["queues"])


def _cached(request: Request, ctx: Ctx, who: Who, store_id: str, per_minute: bool) -> tuple[str, Response | None]:
    tag = etag.tag(queries.revision(ctx.db, who, store_id), request, per_minute)
    return tag, etag.not_modified(tag) if etag.fresh(request, tag) else None


@router.get("")
def store(store_id: str, ctx: Ctx, who: Who) -> admin.StoreSettings:
    who.require_store(store_id, "store")
    return admin.get_store(ctx.db, store_id)


@router.get("/counts", response_model=views.Counts)
def counts(store_id: str, request: Request, ctx: Ctx, who: Who) -> Response:
    tag, cached = _cached(request, ctx, who, store_id, per_minute=True)
    return cached or etag.answer(queries.counts(ctx.db, who, store_id), tag)


@router.get("/pick-queue", response_model=views.PickQueue)
def pick_queue(store_id: str, request: Request, ctx: Ctx, who: Who, limit: Limit = 200) -> Response:
    tag, cached = _cached(request, ctx, who, store_id, per_minute=True)
    return cached or etag.answer(queries.pick_queue(ctx.db, who, store_id, limit), tag)


@router.get("/stage-queue", response_model=views.StageQueue)
def stage_queue(store_id: str, request: Request, ctx: Ctx, who: Who, limit: Limit = 200) -> Response:
    tag, cached = _cached(request, ctx, who, store_id, per_minute=False)
    return cached or etag.answer(queries.stage_queue(ctx.db, who, store_id, limit), tag)


@router.get("/handoff-queue", response_model=views.HandoffQueue)
def handoff_queue(store_id: str, request: Request, ctx: Ctx, who: Who) -> Response:
    tag, cached = _cached(request, ctx, who, store_id, per_minute=True)  # wait times grow by the minute
    return cached or etag.answer(queries.handoff_queue(ctx.db, who, store_id), tag)


@router.get("/orders", response_model=views.OrderPage)
def orders(
    store_id: str, request: Request, ctx: Ctx, who: Who, q: str = "", status: str = "", offset: Offset = 0,
    limit: Limit = 50,
) -> Response:
    tag, cached = _cached(request, ctx, who, store_id, per_minute=False)
    return cached or etag.answer(queries.search_orders(ctx.db, who, store_id, q, status, offset, limit), tag)
