"""The polled lists of a store, answered with ETag / 304."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from storeassist_tui.server import etag
from storeassist_tui.server.deps import Ctx, Limit, Offset, Who
from storeassist_tui.store import admin, queries, views

router = APIRouter(prefix="/api/v1/stores/{store_id}", tags=["queues"])

# The polled lists under the prefix, and whether each one's tag also changes once a minute (lists
# that show overdue or due-in times). A poll is answered before its route whenever it can be
# (etag.PolledLists); a route below runs only to make an answer after a change.
POLLED = {"counts": True, "pick-queue": True, "stage-queue": False, "handoff-queue": False, "orders": False}


def _tag(request: Request, ctx: Ctx, who: Who, store_id: str, name: str) -> str:
    """The tag etag.PolledLists read (with the session's check), else read now: the store's
    revision (checking the associate may see the store) and the query."""
    made = getattr(request.state, etag.POLL_TAG, None)
    if isinstance(made, str):
        return made
    return etag.tag(queries.revision(ctx.db, who, store_id), etag.query_of(request.scope), POLLED[name])


@router.get("")
def store(store_id: str, ctx: Ctx, who: Who) -> admin.StoreSettings:
    who.require_store(store_id, "store")
    return admin.get_store(ctx.db, store_id)


@router.get("/counts", response_model=views.Counts)
def counts(store_id: str, request: Request, ctx: Ctx, who: Who) -> Response:
    tag = _tag(request, ctx, who, store_id, "counts")
    return ctx.answers.serve(request, tag, lambda: queries.counts(ctx.db, who, store_id))


@router.get("/pick-queue", response_model=views.PickQueue)
def pick_queue(store_id: str, request: Request, ctx: Ctx, who: Who, limit: Limit = 200) -> Response:
    tag = _tag(request, ctx, who, store_id, "pick-queue")
    return ctx.answers.serve(request, tag, lambda: queries.pick_queue(ctx.db, who, store_id, limit))


@router.get("/stage-queue", response_model=views.StageQueue)
def stage_queue(store_id: str, request: Request, ctx: Ctx, who: Who, limit: Limit = 200) -> Response:
    tag = _tag(request, ctx, who, store_id, "stage-queue")
    return ctx.answers.serve(request, tag, lambda: queries.stage_queue(ctx.db, who, store_id, limit))


@router.get("/handoff-queue", response_model=views.HandoffQueue)
def handoff_queue(store_id: str, request: Request, ctx: Ctx, who: Who) -> Response:
    # Only changes make a new answer (POLLED: False): the terminals count the wait from
    # `waiting_since` themselves (a per-minute tag made every terminal fetch the whole queue at
    # once, every minute).
    tag = _tag(request, ctx, who, store_id, "handoff-queue")
    return ctx.answers.serve(request, tag, lambda: queries.handoff_queue(ctx.db, who, store_id))


@router.get("/orders", response_model=views.OrderPage)
def orders(
    store_id: str, request: Request, ctx: Ctx, who: Who, q: str = "", status: str = "", offset: Offset = 0,
    limit: Limit = 50,
) -> Response:
    tag = _tag(request, ctx, who, store_id, "orders")
    return ctx.answers.serve(request, tag, lambda: queries.search_orders(ctx.db, who, store_id, q, status, offset, limit))
