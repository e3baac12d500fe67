"""Associate log-in and log-out; the demo credentials in demo mode; health."""

from __future__ import annotations

from functools import partial
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy import text

from storeassist_tui.schemas import DemoInfo
from storeassist_tui.server.deps import Ctx, bearer, current
from storeassist_tui.store import auth, platform_associates
from storeassist_tui.store.demo import DEMO_USERS
from storeassist_tui.store.errors import InvalidInput
from storeassist_tui.store.text import CleanModel

router = APIRouter(prefix="/api/v1")


class LoginBody(CleanModel):
    username: str = Field(default="", max_length=64)
    secret: str = Field(default="", max_length=128)
    badge: str = Field(default="", max_length=64)
    store: str = Field(default="", max_length=64)  # the store the terminal is set up for, if any


class Health(BaseModel):
    status: str
    database: str


@router.post("/auth/login", tags=["associates"])
async def login(body: LoginBody, ctx: Ctx, request: Request) -> auth.LoginResult:
    if not body.badge and not (body.username and body.secret):
        raise InvalidInput("Scan your badge, or give your user name and PIN")
    address = request.client.host if request.client else ""  # unknown badges are throttled per terminal
    if ctx.platform_login is not None and not body.badge:  # associates managed in the platform, too
        # On threads of their own: logins waiting on a platform that hangs never take the threads
        # the other requests (polls, scans) run on.
        return await anyio.to_thread.run_sync(partial(
            platform_associates.login, ctx.db, ctx.policy, ctx.platform_login, username=body.username,
            secret=body.secret, address=address, store=body.store), limiter=ctx.platform_login_limiter())
    return await anyio.to_thread.run_sync(partial(
        auth.login, ctx.db, ctx.policy, username=body.username, secret=body.secret, badge=body.badge,
        address=address, store=body.store))


@router.post("/auth/logout", tags=["associates"], status_code=204)
def logout(ctx: Ctx, token: Annotated[str, Depends(bearer)]) -> None:
    if token:
        auth.logout(ctx.db, token)


@router.get("/auth/me", tags=["associates"])
def me(who: Annotated[tuple[object, auth.UserView], Depends(current)]) -> auth.UserView:
    return who[1]


@router.get("/demo", tags=["associates"])
def demo(ctx: Ctx) -> DemoInfo:
    shown = bool(ctx.settings.demo)
    return DemoInfo(demo=shown, credentials=DEMO_USERS if shown else [])


@router.get("/health", tags=["operations"])
def health(ctx: Ctx) -> Health:
    with ctx.db.read() as session:
        session.execute(text("SELECT 1"))
    return Health(status="ok", database="sqlite" if ctx.db.is_sqlite else "postgresql")
