"""The one client the screens use: typed calls to the backend over HTTP (or in-process ASGI).

Mutating calls carry a request id; a retry with the same id never does the thing twice.
"""

from __future__ import annotations

import asyncio
import ssl
import uuid
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel

from storeassist_tui.journal import HeldRequest, Journal

# Typed results: the server's own shapes (storeassist_tui.schemas), parsed (unknown fields ignored).
# The screens know some by shorter names, given here.
from storeassist_tui.schemas import (
    CANCEL,
    CANCELED_BY_PLATFORM,
    CHECKIN_NOTE_MAX,
    DISPENSE,
    MAX_BATCH,
    MAX_SCANS,
    PICK,
    SEARCH_MAX,
    SIGNATURE_MAX,
    ClaimResult,
    Counts,
    DemoCredential,
    DemoInfo,
    HandoffEntry,
    HandoffQueue,
    OrderDetail,
    OrderPage,
    OrderSummary,
    PickQueue,
    Refusal,
    ScanBatchResult,
    ScanResult,
    StageQueue,
    StoreRef,
    TimelineEntry,
    VoidResult,
)
from storeassist_tui.schemas import CheckInView as CheckIn
from storeassist_tui.schemas import CodeView as Code
from storeassist_tui.schemas import LineView as Line
from storeassist_tui.schemas import LoginResult as Session
from storeassist_tui.schemas import RefundView as Refund
from storeassist_tui.schemas import StoreSettings as StoreInfo
from storeassist_tui.schemas import UserView as User

T = TypeVar("T", bound=BaseModel)

__all__ = [
    "CANCEL", "CANCELED_BY_PLATFORM", "CHECKIN_NOTE_MAX", "DISPENSE", "MAX_BATCH", "MAX_SCANS", "PICK", "SCANS_PATH",
    "SCAN_PATH", "SEARCH_MAX", "SIGNATURE_MAX", "BackendClient", "BackendError", "BackendUnavailable", "CheckIn",
    "ClaimResult", "Code", "Counts", "DemoCredential", "DemoInfo", "HandoffEntry", "HandoffQueue", "Line",
    "OrderDetail", "OrderPage", "OrderSummary", "PickQueue", "Refund", "Refusal", "ScanBatchResult", "ScanResult",
    "Session", "StageQueue", "StoreInfo", "StoreRef", "TimelineEntry", "User", "VoidResult", "new_request_id",
    "scan_body", "scan_item",
]


class BackendUnavailable(Exception):
    """The backend cannot be reached: the screen says so and keeps what the associate did."""


class BackendError(Exception):
    """The backend refused: `code` is stable, `message` is one line for the associate."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def new_request_id() -> str:
    return uuid.uuid4().hex


SCAN_PATH = "/api/v1/picks/scan"
SCANS_PATH = "/api/v1/picks/scans"  # several scans in one request (scan_many)


def scan_body(order_ids: list[int], code: str, entry: str = "scan", quantity: int = 1,
              line_id: int | None = None) -> dict[str, Any]:
    return {"order_ids": order_ids, "code": code, "entry": entry, "quantity": quantity, "line_id": line_id}


def scan_item(code: str, request_id: str, entry: str = "scan", quantity: int = 1,
              line_id: int | None = None) -> dict[str, Any]:
    """One scan of those `scan_many` sends together."""
    return {"code": code, "entry": entry, "quantity": quantity, "line_id": line_id, "request_id": request_id}


class BackendClient:
    """Async, typed access to the backend. `transport` lets the embedded mode talk in-process."""

    def __init__(
        self, base_url: str = "http://storeassist", *, transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 15.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        if transport is None and self.base_url.startswith("http://"):
            # Plain HTTP never uses TLS, yet httpx would load the CA bundle for it (about 25 ms at
            # every start). A verifying context with no CAs instead: cheap, and it refuses any
            # certificate, should a TLS connection ever be made through it.
            transport = httpx.AsyncHTTPTransport(verify=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
        self._transport = transport
        self._http = httpx.AsyncClient(base_url=self.base_url, transport=transport, timeout=timeout)
        self.token = ""
        self._etags: dict[str, tuple[str, Any]] = {}
        # Mutating requests sent and not answered yet; the journal keeps those that must survive.
        self.unsettled: dict[str, HeldRequest] = {}
        self.journal = Journal()
        self.void_news: list[VoidResult] = []  # answers to voids sent ahead of a request, for the screen
        self.scans_together = True  # scans waiting their turn may go in one request (scan_many)
        self._void_lock = asyncio.Lock()

    async def aclose(self) -> None:
        await self._http.aclose()

    def warm_up(self) -> None:
        """The app's first screen is drawn: a backend built on first use (the embedded one,
        embedded.DeferredTransport) may start building now. Nothing to do for any other."""
        start = getattr(self._transport, "start", None)
        if callable(start):
            start()

    async def _send(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None,
                    headers: dict[str, str] | None = None) -> httpx.Response:
        h = dict(headers or {})
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        try:
            resp = await self._http.request(method, path, json=json, params=params, headers=h)
        except httpx.TransportError as exc:
            raise BackendUnavailable(f"Backend unreachable ({type(exc).__name__}); will retry") from None
        if resp.status_code == 304:
            return resp
        if resp.status_code == 503:
            # The backend says it is briefly unable (its database away, a lock timeout): retry.
            raise BackendUnavailable("Backend busy or restarting (503); will retry")
        if resp.status_code >= 400:
            try:
                body = resp.json()
                code, message = str(body["code"]), str(body["message"])
            except (ValueError, KeyError, TypeError):
                # Not our server's answer (a proxy, a restart in progress): treat as an outage.
                if resp.status_code >= 500:
                    raise BackendUnavailable(f"Backend error {resp.status_code}; will retry") from None
                code, message = "http_error", f"Backend refused the request (HTTP {resp.status_code})"
            raise BackendError(resp.status_code, code, message)  # a refusal: never retried
        return resp

    async def _get(self, path: str, model: type[T], params: dict[str, Any] | None = None) -> T:
        resp = await self._send("GET", path, params=params)
        return model.model_validate_json(resp.content)

    async def _get_cached(self, path: str, model: type[T], params: dict[str, Any] | None = None) -> T:
        """GET with If-None-Match: a 304 answers the last result without a body."""
        key = f"{path}?{sorted((params or {}).items())}"
        cached = self._etags.get(key)
        resp = await self._send("GET", path, params=params, headers={"If-None-Match": cached[0]} if cached else None)
        if resp.status_code == 304 and cached:
            return cached[1]
        result = model.model_validate_json(resp.content)
        if etag := resp.headers.get("etag"):
            self._etags[key] = (etag, result)
        return result

    async def _post(self, path: str, model: type[T], body: Any = None, request_id: str | None = None,
                    what: str = "") -> T:
        """A mutating call. Voids the associate asked for go first, so that a scan made again after
        "Not saved" can never be counted next to the one it replaces."""
        rid = request_id or new_request_id()
        req = HeldRequest(rid, "POST", path, body if body is not None else {}, what or path)
        resp = await self._send_held(req)
        return model.model_validate_json(resp.content)

    async def _send_held(self, req: HeldRequest) -> httpx.Response:
        return await self._send_together([req], req.method, req.path, req.body, {"Idempotency-Key": req.request_id})

    async def _send_together(self, reqs: list[HeldRequest], method: str, path: str, body: Any,
                             headers: dict[str, str] | None) -> httpx.Response:
        """Send `reqs` (one request, or several in one body, each under its own id): unsettled until
        answered, kept in the journal when the backend is away."""
        for req in reqs:
            self.unsettled[req.request_id] = req
        try:
            if self.journal.voids:
                self.void_news.extend(await self.flush_voids())
            for req in reqs:
                req.sent = True
            resp = await self._send(method, path, json=body, headers=headers)
        except BackendUnavailable:
            for req in reqs:
                self.journal.hold(req)  # on disk before the associate is told it waits
            raise
        except BackendError:
            for req in reqs:
                self.settle(req.request_id)
            raise
        for req in reqs:
            self.settle(req.request_id)
        return resp

    # Requests the backend has not answered ----------------------------------------------------
    def hold(self, request_id: str, path: str, body: Any, what: str) -> None:
        """Keep a request made while the backend is away (not sent yet) in the journal."""
        req = HeldRequest(request_id, "POST", path, body, what)
        self.unsettled[request_id] = req
        self.journal.hold(req)

    def keep_unsettled(self) -> None:
        """Answers are late: what is in the backend's hands is kept on disk too, in case the app
        goes before the answers come."""
        for req in list(self.unsettled.values()):
            self.journal.hold(req)

    def settle(self, request_id: str) -> None:
        """The request was answered (or will never be sent): nothing more to keep."""
        self.unsettled.pop(request_id, None)
        self.journal.done(request_id)

    def abandon(self) -> list[HeldRequest]:
        """The associate stopped waiting: every unanswered request is stopped. One that may have
        reached the backend is voided (sent before any other request); the others are dropped."""
        stopped = list(self.unsettled.values())
        for req in stopped:
            if req.sent:
                self.journal.void(req.request_id)
            else:
                self.journal.done(req.request_id)
        self.unsettled.clear()
        return stopped

    async def flush_voids(self) -> list[VoidResult]:
        """Send the voids still owed, in order; BackendUnavailable when the backend is away."""
        results: list[VoidResult] = []
        async with self._void_lock:
            for rid in list(self.journal.voids):
                try:
                    resp = await self._send("POST", f"/api/v1/requests/{quote(rid, safe='')}/void",
                                            json={}, headers={"Idempotency-Key": f"void-{rid}"[:64]})
                except BackendError as exc:
                    if exc.status == 401:
                        raise  # the session ended: the void waits for the associate's next login
                    results.append(VoidResult(request_id=rid, voided=False, saved=False, message=exc.message))
                else:
                    results.append(VoidResult.model_validate_json(resp.content))
                self.journal.voided(rid)
        return results

    async def replay(self) -> list[tuple[HeldRequest, str]]:
        """What the journal kept from before (the app quit or crashed while the backend was away):
        voids first, then each request again with its own id, in order. Returns each request and
        "" when it was done, else the backend's refusal."""
        self.void_news.extend(await self.flush_voids())
        outcomes: list[tuple[HeldRequest, str]] = []
        for req in list(self.journal.pending.values()):
            try:
                await self._send_held(req)
            except BackendError as exc:
                outcomes.append((req, exc.message))
            else:
                outcomes.append((req, ""))
        return outcomes

    # Associates
    async def login(self, username: str, secret: str, store: str = "") -> Session:
        """`store`: the store this terminal is set up for (an associate of other stores is refused)."""
        body = {"username": username, "secret": secret, "store": store}
        resp = await self._send("POST", "/api/v1/auth/login", json=body)
        return self._logged_in(Session.model_validate_json(resp.content))

    async def login_badge(self, badge: str, store: str = "") -> Session:
        resp = await self._send("POST", "/api/v1/auth/login", json={"badge": badge, "store": store})
        return self._logged_in(Session.model_validate_json(resp.content))

    def _logged_in(self, session: Session) -> Session:
        self.token = session.token
        self._etags.clear()
        return session

    async def logout(self) -> None:
        if self.token:
            try:
                await self._send("POST", "/api/v1/auth/logout")
            finally:
                self.token = ""
                self._etags.clear()

    async def demo_info(self) -> DemoInfo:
        return await self._get("/api/v1/demo", DemoInfo)

    # Store lists (polled: ETag / 304)
    async def counts(self, store_id: str) -> Counts:
        return await self._get_cached(f"/api/v1/stores/{store_id}/counts", Counts)

    async def pick_queue(self, store_id: str, limit: int = 200) -> PickQueue:
        return await self._get_cached(f"/api/v1/stores/{store_id}/pick-queue", PickQueue, {"limit": limit})

    async def store_info(self, store_id: str) -> StoreInfo:
        return await self._get(f"/api/v1/stores/{store_id}", StoreInfo)

    async def stage_queue(self, store_id: str) -> StageQueue:
        return await self._get_cached(f"/api/v1/stores/{store_id}/stage-queue", StageQueue)

    async def handoff_queue(self, store_id: str) -> HandoffQueue:
        return await self._get_cached(f"/api/v1/stores/{store_id}/handoff-queue", HandoffQueue)

    async def search_orders(self, store_id: str, q: str = "", status: str = "", offset: int = 0,
                            limit: int = 50) -> OrderPage:
        params = {"q": q, "status": status, "offset": offset, "limit": limit}
        return await self._get_cached(f"/api/v1/stores/{store_id}/orders", OrderPage, params)

    # Orders
    async def order(self, order_id: int) -> OrderDetail:
        return await self._get(f"/api/v1/orders/{order_id}", OrderDetail)

    async def order_by_number(self, number: str, store_id: str = "") -> OrderDetail:
        """The order of that number in `store_id` (a terminal's store), else in any of the associate's."""
        params = {"store": store_id} if store_id else None
        return await self._get(f"/api/v1/orders/by-number/{quote(number, safe='')}", OrderDetail, params)

    async def timeline(self, order_id: int) -> list[TimelineEntry]:
        resp = await self._send("GET", f"/api/v1/orders/{order_id}/timeline")
        return [TimelineEntry.model_validate(e) for e in resp.json()]

    async def claim(self, order_ids: list[int], *, take_over: bool = False, request_id: str | None = None) -> ClaimResult:
        return await self._post("/api/v1/picks/claim", ClaimResult, {"order_ids": order_ids, "take_over": take_over},
                                request_id)

    async def scan(self, order_ids: list[int], code: str, *, entry: str = "scan", quantity: int = 1,
                   line_id: int | None = None, request_id: str | None = None) -> ScanResult:
        return await self._post(SCAN_PATH, ScanResult, scan_body(order_ids, code, entry, quantity, line_id),
                                request_id, f"scan {code[:20]}")

    async def scan_many(self, order_ids: list[int], scans: list[dict[str, Any]]) -> ScanBatchResult:
        """Scans that waited their turn together (`scan_item`s), in one request. Each has its own
        request id, the one it keeps if it is sent again alone, so none is ever counted twice; while
        unanswered each is held as the scan alone would be (the journal keeps it as one)."""
        reqs = [HeldRequest(s["request_id"], "POST", SCAN_PATH,
                            scan_body(order_ids, s["code"], s["entry"], s["quantity"], s["line_id"]),
                            f"scan {s['code'][:20]}") for s in scans]
        try:
            resp = await self._send_together(reqs, "POST", SCANS_PATH, {"order_ids": order_ids, "scans": scans}, None)
        except BackendError as exc:
            if exc.status in (404, 405):  # a backend older than this terminal: scans go one by one
                self.scans_together = False
            raise
        return ScanBatchResult.model_validate_json(resp.content)

    async def release(self, order_id: int, request_id: str | None = None) -> OrderDetail:
        return await self._post(f"/api/v1/orders/{order_id}/release", OrderDetail, None, request_id)

    async def not_found(self, order_id: int, line_id: int, quantity: int, request_id: str | None = None) -> OrderDetail:
        return await self._post(f"/api/v1/orders/{order_id}/lines/{line_id}/not-found", OrderDetail,
                                {"quantity": quantity}, request_id)

    async def skip(self, order_id: int, line_id: int, request_id: str | None = None) -> OrderDetail:
        return await self._post(f"/api/v1/orders/{order_id}/lines/{line_id}/skip", OrderDetail, None, request_id)

    async def finish_pick(self, order_id: int, request_id: str | None = None) -> OrderDetail:
        return await self._post(f"/api/v1/orders/{order_id}/finish-pick", OrderDetail, None, request_id)

    async def stage(self, order_id: int, location: str, *, bags: int | None = None, entry: str = "manual",
                    request_id: str | None = None) -> OrderDetail:
        return await self._post(f"/api/v1/orders/{order_id}/stage", OrderDetail,
                                {"location": location, "bags": bags, "entry": entry}, request_id)

    async def restage(self, order_id: int, location: str, *, entry: str = "manual",
                      request_id: str | None = None) -> OrderDetail:
        return await self._post(f"/api/v1/orders/{order_id}/restage", OrderDetail,
                                {"location": location, "entry": entry}, request_id)

    async def checkin(self, order_id: int, *, location: str = "in_store", spot: str = "", car_make: str = "",
                      car_colour: str = "", note: str = "", request_id: str | None = None) -> CheckIn:
        body = {"location": location, "spot": spot, "car_make": car_make, "car_colour": car_colour, "note": note}
        return await self._post(f"/api/v1/orders/{order_id}/checkin", CheckIn, body, request_id)

    async def dispense(self, order_id: int, *, rejected: dict[int, int] | None = None, signature: str = "",
                       id_checked: bool = False, request_id: str | None = None) -> OrderDetail:
        body = {"rejected": rejected or {}, "signature": signature, "id_checked": id_checked}
        return await self._post(f"/api/v1/orders/{order_id}/dispense", OrderDetail, body, request_id)

    async def cancel(self, order_id: int, reason: str, request_id: str | None = None) -> OrderDetail:
        return await self._post(f"/api/v1/orders/{order_id}/cancel", OrderDetail, {"reason": reason}, request_id)
