"""The FastAPI app: routes over storeassist_tui.store, errors as {"code", "message"}."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from storeassist_tui.config import Settings
from storeassist_tui.platform_login import PlatformLogin
from storeassist_tui.server import errors, etag, limits, routes_auth, routes_orders, routes_queues, routes_requests
from storeassist_tui.server.deps import Context
from storeassist_tui.server.etag import Answers
from storeassist_tui.store.db import Database, unavailable
from storeassist_tui.store.errors import DomainError
from storeassist_tui.store.poll_check import PollCheck

log = logging.getLogger("storeassist.server")


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return errors.error_response(status, code, message, headers)  # one line, no control characters


def validation_message(errors: Sequence[Any]) -> str:
    err = errors[0]
    where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header"))
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where or 'request'}: {err.get('msg', 'invalid')}{more}"[:300]


# Sync routes and the database run in the threadpool. For CPU-bound polls 40 threads (anyio's
# default) only add switching: 8 answered 200 terminals at lower cost (bench/poll_cost.py). A
# server whose requests mostly wait on the database (many writers, PostgreSQL) may want more:
# STOREASSIST_SERVER_THREADS.
@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    ctx: Context = app.state.ctx
    anyio.to_thread.current_default_thread_limiter().total_tokens = ctx.settings.server_threads
    worker = None
    if ctx.settings.platform_url and ctx.settings.platform_deliver_in_server:
        from storeassist_tui.platform_sender import BackgroundDeliverer

        # A thread beside the server, never inside a request: a slow platform holds up no terminal.
        worker = BackgroundDeliverer(ctx.db, ctx.settings)
        worker.start()
    try:
        yield
    finally:
        if worker is not None:
            await anyio.to_thread.run_sync(worker.stop)
        if isinstance(ctx.platform_login, PlatformLogin):
            ctx.platform_login.close()
        await ctx.polls.close()


def create_app(db: Database, settings: Settings, *, platform: bool = True) -> FastAPI:
    """The API. `platform=False` leaves out what only the outside world calls (the commerce
    platform's paths and the customers' check-in pages): the embedded backend, which nothing but
    its own terminal can reach, then never loads them."""
    app = FastAPI(
        lifespan=_lifespan,
        title="Store Assist API",
        version="1",
        description="Pick, stage and hand off buy-online-pick-up-in-store orders.",
    )
    platform_login = PlatformLogin.from_settings(settings) if settings.associate_login == "platform" else None
    app.state.ctx = ctx = Context(db=db, settings=settings, polls=PollCheck(db),
                                  answers=Answers(settings.answer_cache_size), platform_login=platform_login)

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return errors.domain_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, "invalid", validation_message(exc.errors()))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        down = unavailable(exc)  # a database failure met outside the store's transactions
        if down is not None:
            return await _domain(request, down)
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return _error(500, "internal", "Internal error; nothing was changed, please try again")

    for module in (routes_auth, routes_queues, routes_orders, routes_requests):
        app.include_router(module.router)
    if platform:
        from storeassist_tui.server import checkin_page, routes_faas, routes_platform

        for module in (routes_platform, routes_faas, checkin_page):
            app.include_router(module.router)
    errors.install(app)
    # Innermost: polls answered at the door (server/etag.py), after the path is collapsed.
    app.add_middleware(etag.PolledLists, polls=ctx.polls, answers=ctx.answers, lists=routes_queues.POLLED)
    app.add_middleware(limits.BodyLimit, limit=settings.max_body_bytes, intake_limit=settings.max_intake_body_bytes)
    app.add_middleware(limits.ForwardedFor, proxies=settings.trusted_proxies)
    app.add_middleware(limits.CollapseSlashes)  # outermost: every path is read collapsed
    return app
