"""Two ASGI middlewares at the door: request bodies bounded before they are parsed, and the
client's address taken from X-Forwarded-For only when a configured proxy sent it."""

from __future__ import annotations

import ipaddress
import re

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storeassist_tui.config import proxy_networks
from storeassist_tui.server.errors import error_response

INTAKE_PATH = "/api/v1/orders"  # POST: the platform's order-create, whose bodies are the largest
FAAS_CREATE_PATH = "/api-proxy/service/supplychain/fulfillment/v1/faas/order/create"  # the same, its own path
INTAKE_PATHS = (INTAKE_PATH, FAAS_CREATE_PATH)
_SLASHES = re.compile(r"//+")


class BodyTooLarge(StarletteHTTPException):
    """Raised from `receive` while a route reads its body: FastAPI passes an HTTPException from
    the body read on as it is (anything else becomes a 400), so errors.py answers it."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large_message(limit))


def too_large_message(limit: int) -> str:
    return f"The request body is over the {limit // 1024} KB this path takes"


class BodyLimit:
    """Refuses a body over the limit with 413: a declared Content-Length before anything is read,
    a chunked body as soon as the bytes received pass it (so nothing big is ever buffered)."""

    def __init__(self, app: ASGIApp, limit: int, intake_limit: int) -> None:
        self.app, self.limit, self.intake_limit = app, limit, intake_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        intake = scope["method"] == "POST" and scope["path"].rstrip("/") in INTAKE_PATHS
        limit = self.intake_limit if intake else self.limit
        declared = next((v for k, v in scope.get("headers", []) if k == b"content-length"), None)
        if declared is not None:
            if not declared.strip().isdigit():
                await error_response(400, "bad_request", "Content-Length is not a number")(scope, receive, send)
                return
            if int(declared) > limit:
                await error_response(413, "too_large", too_large_message(limit))(scope, receive, send)
                return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, counted, send)


class ForwardedFor:
    """The client is the connection's peer, unless that peer is a trusted proxy: then it is the
    last address in X-Forwarded-For that is not itself a trusted proxy (what a client writes
    before that is its own claim). No proxies configured: the header is never read."""

    def __init__(self, app: ASGIApp, proxies: str) -> None:
        self.app = app
        self.networks = proxy_networks(proxies)

    def _trusted(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if self.networks and scope["type"] in ("http", "websocket") and client and self._trusted(client[0]):
            values = [v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"x-forwarded-for"]
            hops = [h.strip() for h in ",".join(values).split(",") if h.strip()]
            if hops:
                real = next((h for h in reversed(hops) if not self._trusted(h)), hops[0])
                scope = {**scope, "client": (real[:64], 0)}
        await self.app(scope, receive, send)


class CollapseSlashes:
    """`//api-proxy/...` is `/api-proxy/...`: the platform appends its paths to a server URL that
    ends in `/`, and puts `/` before its token path after a token URL that may end in one too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and "//" in scope.get("path", ""):
            path = _SLASHES.sub("/", scope["path"])
            raw = scope.get("raw_path")
            scope = {**scope, "path": path, "raw_path": _SLASHES.sub("/", raw.decode("latin-1")).encode("latin-1")
                     if isinstance(raw, bytes) else raw}
        await self.app(scope, receive, send)
