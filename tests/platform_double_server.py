"""The commerce platform's REST side, as far as we call it (contract section 2), written from
the contract because the platform itself cannot run here: a real HTTP server on loopback
(FastAPI under uvicorn in a thread, on a free port) that checks each call as the platform would,
records every call in the order it arrived, and can be made to fail.

- bearer token required (401 otherwise);
- POST /rest/V1/wct-fulfillment/order/{picked,dispensed,cancel,creation-confirmed,cancel-confirmed};
- `fulfilmentLines` spelling, only `items[0]` read, statuses picked / nil-picked / dispensed /
  rejected; a nil-picked line with a qty, or a `picked` with no picked line (which the platform
  would take as "invoice everything"), is refused with 400 so our mistakes show;
- creation-confirmed / cancel-confirmed of an unknown order: 404; cancel-confirmed of an order not
  pending cancellation: 400; picked / dispensed / cancel of an unknown order: 500;
- answers `{"message": ..., "success": true}`; order/cancel of a closed order: 200 success:false.

Associate login (contract section 3), for associates set up with `add_associate(...)`:
- POST /rest/V1/wct-fulfillment/associate/login {"username", "password"} -> 200 with a session
  token (16 characters [a-z0-9]), session_lifetime, parameters {success, password_expires (RFC
  2822), password_change_required}, first_name, last_name, permissions, all_locations, locations;
  profile fields omitted when a password change is required. 401 with parameters.status
  `incorrect-username-password` (an unknown user too), `user-account-locked` (after 6 wrong
  passwords in a row; a locked account is refused whatever the password), `user-account-not-active`;
- GET /rest/V1/wct-fulfillment/associate/session/verify with header `session-token` -> 200
  {"result": true}, or 403 `session-not-found-invalid`;
- both need the bearer token; each is recorded in `associate_calls` (path, username, status).
The faults "500", "hang" and "garbage" (200 with a body that is not JSON) apply to them too.

At-least-once: a call whose `X-Storeassist-Event` was already accepted is answered as the first
was and counted in `duplicates` (tests assert none in the normal case, one after a deliverer was
killed with the answer on its way).

Faults: `fail(mode, times)` with mode "500", "hang" (answers nothing until released: past our
timeout), "false" (200 success:false), "accept-hang" (does the call, then answers nothing: the
answer is lost), or `down()` / `up()` (the port closed, then open again).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import socket
import string
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

TOKEN = "integration-token-123"
ALLOWED = {"picked", "nil-picked", "dispensed", "rejected"}
PATHS = ("picked", "dispensed", "cancel", "creation-confirmed", "cancel-confirmed")
LOCK_AFTER = 6  # wrong passwords in a row that lock a platform associate (contract section 3)
_TOKEN_CHARS = string.ascii_lowercase + string.digits


@dataclass
class PlatformAssociate:
    """An associate as the platform's admin sets one up."""

    username: str
    password: str
    first_name: str = "Jane"
    last_name: str = "Doe"
    permissions: list[str] = field(default_factory=lambda: ["picking_order", "dispense_order"])
    all_locations: bool = False
    locations: list[str] = field(default_factory=list)
    active: bool = True
    password_change_required: bool = False
    session_lifetime: int = 7200
    failures: int = 0
    locked: bool = False


@dataclass
class Received:
    path: str  # e.g. "picked"
    body: dict[str, Any]
    event_id: str
    at: float  # time.time() when it arrived
    order: str = ""


@dataclass
class PlatformDouble:
    token: str = TOKEN
    port: int = 0
    calls: list[Received] = field(default_factory=list)  # accepted, in the order they arrived
    requests: list[Received] = field(default_factory=list)  # every request, failures included
    refused: list[tuple[str, int, str]] = field(default_factory=list)  # (path, status, message)
    duplicates: int = 0
    known_orders: set[str] = field(default_factory=set)
    pending_cancellation: set[str] = field(default_factory=set)
    state: dict[str, str] = field(default_factory=dict)  # order -> processing | ready | complete | canceled
    mode: str = "ok"
    fail_left: int | None = None  # None: the mode lasts until changed
    fail_order: str | None = None  # only this order's calls fail; None: every call
    associates: dict[str, PlatformAssociate] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)  # session token -> username
    associate_calls: list[tuple[str, str, int]] = field(default_factory=list)  # (path, username, status)
    login_arrivals: int = 0  # associate/login requests received (answered or not yet)

    def __post_init__(self) -> None:
        self._cond = threading.Condition()
        self._release = threading.Event()
        self._answers: dict[str, tuple[int, dict[str, Any]]] = {}
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        if not self.port:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                self.port = s.getsockname()[1]
        self.app = self._make_app()

    # control -----------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/rest"

    def add_order(self, number: str) -> None:
        with self._cond:
            self.known_orders.add(number)
            self.state.setdefault(number, "processing")

    def add_associate(self, username: str, password: str, **profile: Any) -> PlatformAssociate:
        with self._cond:
            a = self.associates[username] = PlatformAssociate(username, password, **profile)
            return a

    def fail(self, mode: str, times: int | None = None, order: str | None = None) -> None:
        with self._cond:
            self.mode, self.fail_left, self.fail_order = mode, times, order
            self._release.clear()

    def heal(self) -> None:
        with self._cond:
            self.mode, self.fail_left, self.fail_order = "ok", None, None
            self._release.set()  # hung requests end (their clients have long given up)

    def wait_until(self, what: Callable[[PlatformDouble], bool], timeout: float = 20.0) -> None:
        """Block until `what(self)` holds (each recorded request wakes us), or fail the test."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not what(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"platform double: timed out; calls {self.summary()}")
                self._cond.wait(left)

    def summary(self) -> list[tuple[str, str]]:
        return [(c.path, c.order) for c in self.calls]

    def of(self, order: str) -> list[tuple[str, dict[str, Any]]]:
        return [(c.path, c.body) for c in self.calls if c.order == order]

    def start(self) -> PlatformDouble:
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="error",
                                lifespan="off", timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        ready = threading.Event()
        server = self._server

        def run() -> None:
            asyncio.run(self._serve(server, ready))

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("platform double did not start")
        return self

    async def _serve(self, server: uvicorn.Server, ready: threading.Event) -> None:
        task = asyncio.create_task(server.serve())
        while not server.started and not task.done():
            await asyncio.sleep(0.01)
        ready.set()
        await task

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self._server = self._thread = None

    down = stop

    def up(self) -> None:
        self._release.clear()
        self.start()

    # the platform ------------------------------------------------------------------------------

    def _make_app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/_double/calls")
        async def recorded() -> JSONResponse:  # for a double in another process (bench/)
            with self._cond:
                return JSONResponse({"duplicates": self.duplicates, "refused": len(self.refused),
                                     "calls": [[c.path, c.order, c.event_id, c.at] for c in self.calls]})

        @app.post("/rest/V1/wct-fulfillment/associate/login")
        async def associate_login(request: Request) -> Response:
            try:
                body = json.loads(await request.body() or b"null")
            except ValueError:
                body = None
            body = body if isinstance(body, dict) else {}
            username = str(body.get("username") or "")
            with self._cond:
                self.login_arrivals += 1
                mode = self._take_mode() if self.fail_order is None else "ok"
                self._cond.notify_all()
            if mode == "hang":
                await self._hang()
            if mode in ("500", "hang"):
                return self._associate_answer("login", username, 500, {"message": "Internal error"})
            if mode == "garbage":
                return self._associate_answer("login", username, 200, None)
            if request.headers.get("authorization") != f"Bearer {self.token}":
                return self._associate_answer("login", username, 401, {
                    "message": "The consumer isn't authorized to access %resources.",
                    "parameters": {"resources": "Walmart_BopisStoreAssociate::user"}})
            with self._cond:
                status, answer = self._login(username, str(body.get("password") or ""))
            return self._associate_answer("login", username, status, answer)

        @app.get("/rest/V1/wct-fulfillment/associate/session/verify")
        async def session_verify(request: Request) -> Response:
            if request.headers.get("authorization") != f"Bearer {self.token}":
                return self._associate_answer("session/verify", "", 401, {
                    "message": "The consumer isn't authorized to access %resources.",
                    "parameters": {"resources": "Walmart_BopisStoreAssociate::user"}})
            with self._cond:
                username = self.sessions.get(request.headers.get("session-token", ""), "")
            if not username:
                return self._associate_answer("session/verify", "", 403, {
                    "message": "Session not found or invalid.",
                    "parameters": {"status": "session-not-found-invalid"}})
            return self._associate_answer("session/verify", username, 200, {"result": True})

        @app.post("/rest/V1/wct-fulfillment/order/{path}")
        async def call(path: str, request: Request) -> JSONResponse:
            raw = await request.body()
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                body = None
            event_id = request.headers.get("x-storeassist-event", "")
            rec = Received(path, body if isinstance(body, dict) else {}, event_id, time.time(), _order_of(body))
            with self._cond:
                self.requests.append(rec)
                mode = self._take_mode() if self.fail_order in (None, rec.order) else "ok"
                self._cond.notify_all()
            if mode == "500":
                return JSONResponse({"message": "Internal error"}, status_code=500)
            if mode == "hang":
                await self._hang()
                return JSONResponse({"message": "too late"}, status_code=500)
            if mode == "false":
                return JSONResponse({"message": "Cannot do that now", "success": False})
            if request.headers.get("authorization") != f"Bearer {self.token}":
                return self._refuse(path, 401, "The consumer isn't authorized to access %resources.")
            if path not in PATHS:
                return self._refuse(path, 404, "Request does not match any route.")
            with self._cond:
                repeat = bool(event_id) and event_id in self._answers
                if repeat and path == "picked":  # the platform: the order is past processing now
                    self.duplicates += 1
                    self._cond.notify_all()
                    return JSONResponse({"message": "The order is not in the processing state.", "parameters": {}},
                                        status_code=500)
                if repeat:  # a repeat of a call already done
                    self.duplicates += 1
                    self.calls.append(rec)
                    self._cond.notify_all()
                    status, answer = self._answers[event_id]
                    return JSONResponse(answer, status_code=status)
                status, answer = self._apply(path, rec)
                if status == 200 and answer.get("success", True):
                    self.calls.append(rec)
                    if event_id:
                        self._answers[event_id] = (status, answer)
                else:
                    self.refused.append((path, status, str(answer.get("message"))))
                self._cond.notify_all()
            if mode == "accept-hang":
                await self._hang()  # done, but the answer never reaches the caller in time
            return JSONResponse(answer, status_code=status)

        return app

    def _associate_answer(self, path: str, username: str, status: int, answer: dict[str, Any] | None) -> Response:
        with self._cond:
            self.associate_calls.append((path, username, status))
            self._cond.notify_all()
        if answer is None:
            return Response("<html>Service Unavailable</html>", status_code=status, media_type="text/html")
        return JSONResponse(answer, status_code=status)

    def _login(self, username: str, password: str) -> tuple[int, dict[str, Any]]:
        """The platform's associate/login (sa/Model/Login.php, Auth/Validator.php), as the contract
        records it; called with self._cond held."""
        def refused(status: str, message: str) -> tuple[int, dict[str, Any]]:
            return 401, {"message": message, "parameters": {"status": status}}

        a = self.associates.get(username)
        if a is None:
            return refused("incorrect-username-password", "The username or password is incorrect.")
        if a.locked:
            return refused("user-account-locked", "Your account is temporarily locked.")
        if password != a.password:
            a.failures += 1
            if a.failures >= LOCK_AFTER:
                a.locked = True
            return refused("incorrect-username-password", "The username or password is incorrect.")
        a.failures = 0
        if not a.active:
            return refused("user-account-not-active", "Your account is not active.")
        token = "".join(secrets.choice(_TOKEN_CHARS) for _ in range(16))
        self.sessions[token] = username
        answer: dict[str, Any] = {
            "session_token": token, "session_lifetime": a.session_lifetime,
            "parameters": {"success": True, "password_expires": "Wed, 01 Jan 2031 10:00:00 +0000",
                           "password_change_required": a.password_change_required}}
        if not a.password_change_required:
            answer.update(first_name=a.first_name, last_name=a.last_name, permissions=list(a.permissions),
                          all_locations=a.all_locations, locations=[{"code": c} for c in a.locations])
        return 200, answer

    def _take_mode(self) -> str:
        mode = self.mode
        if mode != "ok" and self.fail_left is not None:
            self.fail_left -= 1
            if self.fail_left <= 0:
                self.mode, self.fail_left = "ok", None
        return mode

    async def _hang(self) -> None:
        for _ in range(600):  # at most 60 s; released by heal() / stop()
            if self._release.is_set():
                return
            await asyncio.sleep(0.1)

    def _refuse(self, path: str, status: int, message: str) -> JSONResponse:
        with self._cond:
            self.refused.append((path, status, message))
            self._cond.notify_all()
        return JSONResponse({"message": message, "parameters": {}}, status_code=status)

    def _apply(self, path: str, rec: Received) -> tuple[int, dict[str, Any]]:
        b, order = rec.body, rec.order
        if path in ("creation-confirmed", "cancel-confirmed"):
            if order not in self.known_orders:
                return 404, {"message": "The order does not exist."}
            if path == "creation-confirmed":
                if not isinstance(b.get("status"), dict) or "description" not in b["status"]:
                    return 400, {"message": "status.description is required"}
                return 200, {"message": "", "success": True}
            if order not in self.pending_cancellation:
                return 400, {"message": "The order is not pending cancellation."}
            status = b.get("status") or {}
            if status.get("description") == "CANCELLED":
                self.pending_cancellation.discard(order)
                self.state[order] = "canceled"
            return 200, {"message": "", "success": True}
        if path == "cancel":
            if "increment_id" not in b:
                return 400, {"message": '"increment_id" is required.'}
            if order not in self.known_orders:
                return 500, {"message": "The entity that was requested doesn't exist."}
            if self.state.get(order) in ("canceled", "complete"):
                return 200, {"message": "The order cannot be canceled.", "success": False}
            self.state[order] = "canceled"
            return 200, {"message": "", "success": True}
        section = "pickingSection" if path == "picked" else "dispenseSection"
        for key in ("orderId", "orderSource", "fulfilmentLines", section):
            if b.get(key) is None:
                return 400, {"message": f'"{key}" is required. Enter and try again.'}
        if order not in self.known_orders:
            return 500, {"message": "The order does not exist."}
        lines = b["fulfilmentLines"]
        if not isinstance(lines, list):
            return 400, {"message": "fulfilmentLines must be a list"}
        statuses = []
        for ln in lines:
            items = ln.get("items") if isinstance(ln, dict) else None
            if not isinstance(ln.get("lineNbr"), int) or not items:
                return 400, {"message": "each line needs lineNbr and items"}
            first = items[0]  # the platform reads items[0] only
            st, qty = first.get("status"), (first.get("qty") or {}).get("value")
            if st not in ALLOWED:
                return 500, {"message": f"Invalid status {st} for item {ln['lineNbr']}"}
            # Units, or the weight of a weighed item (its catalogue allows decimal quantities).
            if isinstance(qty, bool) or not isinstance(qty, int | float) or qty < 0:
                return 400, {"message": "qty.value must be a number, 0 or more"}
            if st in ("nil-picked", "rejected") and qty:
                return 400, {"message": f"{st} with a quantity would be counted as kept"}
            statuses.append(st)
        if path == "picked":
            if self.state.get(order, "processing") != "processing":
                return 500, {"message": "The order is not in the processing state."}
            if "picked" not in statuses:
                return 400, {"message": "nothing picked: the platform would invoice everything; use order/cancel"}
            self.state[order] = "ready"
        else:
            self.state[order] = "complete"
        return 200, {"message": "The customer has been notified.", "success": True}


class _AnyOrder(set[str]):
    """Every order is known (the bench does not tell the double about each one)."""

    def __contains__(self, item: object) -> bool:
        return True


def _order_of(body: Any) -> str:
    if not isinstance(body, dict):
        return ""
    return str(body.get("orderId") or body.get("increment_id") or "")


if __name__ == "__main__":  # a double in a process of its own: python tests/platform_double_server.py PORT
    import sys

    double = PlatformDouble(port=int(sys.argv[1]))
    double.known_orders = _AnyOrder()
    uvicorn.run(double.app, host="127.0.0.1", port=double.port, log_level="error", lifespan="off")
