"""The commerce platform's own calls (seed-platform-contract.md section 1), at its paths, with its
headers and bodies: the token endpoint, order create / cancel, pickup-point sync and the customer's
check-in. Thin: each route is one store/ use case. Every call but the token's carries
`Authorization: Bearer <token>` and `WM_CONSUMER.ID`; refusals are 4xx {"code", "message"} with
a one-line message (the platform logs the body)."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Body, Depends, Header, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from storeassist_tui.server.deps import Ctx, bearer
from storeassist_tui.store import handoff, intake, pickup_points, platform_clients, platform_orders
from storeassist_tui.store.errors import Forbidden, InvalidInput
from storeassist_tui.store.platform_clients import Caller
from storeassist_tui.store.text import CleanModel

PREFIX = "/api-proxy/service"
FULFILLMENT = "/supplychain/fulfillment/v1/faas"
TOKEN_PATH = f"{PREFIX}/identity/oauth/v1/token"
CHECKIN_PATH = f"{PREFIX}/supplychain/transportation/v1/chaas/customer/checkin"

router = APIRouter(prefix=PREFIX, tags=["commerce platform"])
StoreHeader = Annotated[str, Header(alias="X-storeId", max_length=64)]
UserHeader = Annotated[str, Header(alias="X-userid", max_length=64)]


def _invalid(exc: ValidationError, what: str) -> InvalidInput:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err.get("loc", ()))
    msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    return InvalidInput(f"{what}: {where + ': ' if where else ''}{msg}"[:300])


def caller(ctx: Ctx, request: Request, token: Annotated[str, Depends(bearer)]) -> Caller:
    """The platform client of this call: a live bearer token and its WM_CONSUMER.ID."""
    return platform_clients.authenticate(ctx.db, token, request.headers.get("wm_consumer.id", "").strip())


Platform = Annotated[Caller, Depends(caller)]


def _merchant(who: Caller, merchant_id: str) -> None:
    if who.merchant_id and merchant_id != who.merchant_id:
        raise Forbidden(f"Merchant {merchant_id[:64]} is not this client's")


# The token ----------------------------------------------------------------------------------------
@router.post("/identity/oauth/v1/token")
async def token(request: Request, ctx: Ctx) -> JSONResponse:
    """OAuth client credentials, form-encoded: client_id, client_secret, grant_type."""
    raw = (await request.body()).decode("utf-8", "replace")
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            loaded = json.loads(raw or "{}")
            form = {k: str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}
        except ValueError:
            form = {}
    else:
        form = {k: v[0] for k, v in parse_qs(raw).items()}
    if form.get("grant_type", "client_credentials") != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "Only grant_type=client_credentials is supported")
    try:
        issued = await _issue(ctx, form.get("client_id", ""), form.get("client_secret", ""))
    except platform_clients.InvalidClient as exc:
        return _oauth_error(401, "invalid_client", exc.message)
    return JSONResponse(issued.model_dump(), headers={"Cache-Control": "no-store"})


def _oauth_error(status: int, error: str, message: str) -> JSONResponse:
    """OAuth's `error` (what the platform logs), and our {"code", "message"} like every error answer."""
    return JSONResponse({"error": error, "code": error, "message": message}, status_code=status,
                        headers={"Cache-Control": "no-store"})


async def _issue(ctx: Ctx, client_id: str, secret: str) -> platform_clients.IssuedToken:
    import anyio.to_thread

    return await anyio.to_thread.run_sync(
        lambda: platform_clients.issue_token(ctx.db, client_id[:64], secret[:200], ctx.settings.platform_token_lifetime_s))


# Orders -------------------------------------------------------------------------------------------
class Accepted(BaseModel):
    orderId: str
    status: str
    message: str = ""


@router.post(f"{FULFILLMENT}/order/create", status_code=201)
def order_create(ctx: Ctx, who: Platform, body: Annotated[dict[str, Any], Body()],
                 x_store_id: StoreHeader = "") -> JSONResponse:
    """The platform's order: kept whole, every line as the screens need it; the same orderId again
    answers 200 and changes nothing."""
    try:
        envelope = intake.IntakeEnvelope.model_validate(body)
    except ValidationError as exc:
        raise _invalid(exc, "Order refused") from None
    raw = body.get("order")
    detail, created = intake.intake_order(ctx.db, envelope.order, x_store_id or None,
                                          raw=raw if isinstance(raw, dict) else None, source=intake.PLATFORM_SOURCE)
    answer = Accepted(orderId=detail.number, status="CREATED" if created else "ALREADY_CREATED")
    return JSONResponse(answer.model_dump(), status_code=201 if created else 200)


class CancelOrder(CleanModel):
    orderId: str = Field(min_length=1, max_length=64)
    storeNumber: str = Field(default="", max_length=64)
    cancelReasonCode: int | str | None = None
    orderSource: str = Field(default="", max_length=32)


class CancelBody(CleanModel):
    order: CancelOrder


@router.post(f"{FULFILLMENT}/order/cancel")
def order_cancel(ctx: Ctx, who: Platform, body: Annotated[dict[str, Any], Body()],
                 x_store_id: StoreHeader = "") -> Accepted:
    """Cancel in the store now; handed over or closed: 200 all the same (the platform counts any
    2xx as accepted) and the refusal goes back by cancel-confirmed."""
    try:
        c = CancelBody.model_validate(body).order
    except ValidationError as exc:
        raise _invalid(exc, "Cancel refused") from None
    done = platform_orders.cancel_by_platform(ctx.db, c.orderId, x_store_id or c.storeNumber, c.cancelReasonCode)
    return Accepted(orderId=done.orderId, status=done.status, message=done.message)


# Pickup points (stores) ---------------------------------------------------------------------------
class SearchBody(CleanModel):
    parentPickupPointExternalId: str = Field(default="", max_length=64)
    externalId: str = Field(default="", max_length=64)


def _pickup_body(body: dict[str, Any]) -> pickup_points.PickupPointBody:
    try:
        return pickup_points.PickupPointBody.model_validate(body)
    except ValidationError as exc:
        raise _invalid(exc, "Store refused") from None


@router.post(f"{FULFILLMENT}/clients/{{merchant_id}}/pickuppoints/external")
def pickup_search(ctx: Ctx, who: Platform, body: SearchBody, merchant_id: Annotated[str, Path(max_length=64)],
                  category: str = "", lite: str = "") -> list[pickup_points.PickupPointView]:
    """A JSON array: the pickup point whose externalId is exactly the one asked, or none."""
    _merchant(who, merchant_id)
    return pickup_points.search(ctx.db, merchant_id, body.externalId)


@router.post(f"{FULFILLMENT}/store/create", status_code=201)
def store_create(ctx: Ctx, who: Platform, body: Annotated[dict[str, Any], Body()],
                 x_userid: UserHeader = "") -> pickup_points.PickupPointView:
    _merchant(who, x_userid)
    return pickup_points.create(ctx.db, x_userid, _pickup_body(body))


@router.put(f"{FULFILLMENT}/store/update")
def store_update(ctx: Ctx, who: Platform, body: Annotated[dict[str, Any], Body()], x_userid: UserHeader = "",
                 x_store_id: StoreHeader = "") -> pickup_points.PickupPointView:
    _merchant(who, x_userid)
    return pickup_points.update(ctx.db, x_userid, x_store_id, _pickup_body(body))


@router.put(f"{FULFILLMENT}/clients/{{merchant_id}}/pickuppoints/{{pickup_point_id}}/activate")
def pickup_activate(ctx: Ctx, who: Platform, merchant_id: Annotated[str, Path(max_length=64)],
                    pickup_point_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> pickup_points.PickupPointView:
    _merchant(who, merchant_id)
    return pickup_points.set_active(ctx.db, pickup_point_id, True)


@router.put(f"{FULFILLMENT}/clients/{{merchant_id}}/pickuppoints/{{pickup_point_id}}/deactivate")
def pickup_deactivate(ctx: Ctx, who: Platform, merchant_id: Annotated[str, Path(max_length=64)],
                      pickup_point_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> pickup_points.PickupPointView:
    _merchant(who, merchant_id)
    return pickup_points.set_active(ctx.db, pickup_point_id, False)


@router.delete(f"{FULFILLMENT}/store/delete")
def store_delete(ctx: Ctx, who: Platform, x_userid: UserHeader = "",
                 x_store_id: StoreHeader = "") -> pickup_points.PickupPointView:
    _merchant(who, x_userid)
    return pickup_points.delete(ctx.db, x_userid, x_store_id)


# The customer's check-in --------------------------------------------------------------------------
class CheckinOrder(CleanModel):
    orderNumber: str = Field(min_length=1, max_length=64)
    type: str = Field(default="", max_length=16)


class ParkingInfo(CleanModel):
    vehicleColor: str = Field(default="", max_length=200)
    vehicleMake: str = Field(default="", max_length=200)
    parkBayNumber: str = Field(default="", max_length=200)
    parkingNote: str = Field(default="", max_length=1000)


class PickupPointInfo(CleanModel):
    pickupPointId: str | int = Field(default="", union_mode="left_to_right")
    storeId: str = Field(default="", max_length=64)


class CheckinPayload(CleanModel):
    clientId: str = Field(default="", max_length=64)
    pickupPointInfo: PickupPointInfo = PickupPointInfo()
    parkingInfo: ParkingInfo | None = None
    orders: list[CheckinOrder] = Field(min_length=1, max_length=20)


class CheckinBody(CleanModel):
    payload: CheckinPayload


class CheckedIn(BaseModel):
    orderNumber: str
    location: str
    spot: str


@router.post("/supplychain/transportation/v1/chaas/customer/checkin")
def customer_checkin(ctx: Ctx, who: Platform, body: Annotated[dict[str, Any], Body()],
                     tenant_id: Annotated[str, Header(alias="TENANT_ID", max_length=64)] = "") -> list[CheckedIn]:
    """The customer says they are here: in the store (no parking info) or curbside."""
    try:
        p = CheckinBody.model_validate(body).payload
    except ValidationError as exc:
        raise _invalid(exc, "Check-in refused") from None
    _merchant(who, tenant_id or p.clientId)
    store_id = p.pickupPointInfo.storeId or str(p.pickupPointInfo.pickupPointId)
    park = p.parkingInfo or ParkingInfo()
    if park.parkBayNumber or park.vehicleMake or park.vehicleColor:
        form = handoff.CheckInForm(location="curbside", spot=park.parkBayNumber[:40], car_make=park.vehicleMake[:60],
                                   car_colour=park.vehicleColor[:40], note=park.parkingNote[:100])
    else:
        form = handoff.CheckInForm(location="in_store", note=park.parkingNote[:100])
    done = []
    for o in p.orders:
        c = handoff.checkin_by_number(ctx.db, store_id, o.orderNumber, form)
        done.append(CheckedIn(orderNumber=o.orderNumber, location=c.location, spot=c.spot))
    return done
