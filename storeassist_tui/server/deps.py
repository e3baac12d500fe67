"""What every route needs: the database, the settings, who is asking."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

import anyio
from fastapi import Depends, Header, Path, Query, Request
from pydantic import Field

from storeassist_tui.config import Settings
from storeassist_tui.server.etag import Answers
from storeassist_tui.store.auth import AuthPolicy, UserView, authenticate, bearer_token, check_integration_key
from storeassist_tui.store.db import Database
from storeassist_tui.store.errors import DomainError, SessionInvalid
from storeassist_tui.store.models import MAX_ID
from storeassist_tui.store.platform_associates import AskLogin
from storeassist_tui.store.poll_check import PollCheck
from storeassist_tui.store.roles import Actor
from storeassist_tui.store.txn import check_request_id

# Numbers from the outside world, bounded so that none reaches the database as an overflow.
OrderId = Annotated[int, Path(ge=1, le=MAX_ID)]
LineId = Annotated[int, Path(ge=1, le=MAX_ID)]
BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=1000)]


PLATFORM_LOGIN_THREADS = 16  # logins waiting on the platform at once; more wait their turn


@dataclass
class Context:
    db: Database
    settings: Settings
    polls: PollCheck  # a poll's session check and store revision, in one query
    answers: Answers = field(default_factory=Answers)  # the polled lists' answers, made once per change
    # The platform's associate login (settings.associate_login == "platform"), else None.
    platform_login: AskLogin | None = None
    _platform_limiter: anyio.CapacityLimiter | None = field(default=None, init=False, repr=False)

    def platform_login_limiter(self) -> anyio.CapacityLimiter:
        """The threads logins through the platform run on, apart from the server's own."""
        if self._platform_limiter is None:
            self._platform_limiter = anyio.CapacityLimiter(PLATFORM_LOGIN_THREADS)
        return self._platform_limiter

    @property
    def policy(self) -> AuthPolicy:
        s = self.settings
        return AuthPolicy(s.session_lifetime_s, s.lockout_failures, s.lockout_minutes)


# The dependencies that do no I/O are `async def`: FastAPI runs them on the event loop instead of
# handing each to the threadpool (a poll's 304 went through five thread hops before).
async def context(request: Request) -> Context:
    return request.app.state.ctx


Ctx = Annotated[Context, Depends(context)]


async def bearer(authorization: Annotated[str, Header()] = "") -> str:
    return bearer_token(authorization)


def current(ctx: Ctx, token: Annotated[str, Depends(bearer)]) -> tuple[Actor, UserView]:
    return authenticate(ctx.db, token)


async def actor(who: Annotated[tuple[Actor, UserView], Depends(current)]) -> Actor:
    return who[0]


Who = Annotated[Actor, Depends(actor)]


async def request_id(idempotency_key: Annotated[str, Header(alias="Idempotency-Key")] = "") -> str:
    check_request_id(idempotency_key)
    return idempotency_key


RequestId = Annotated[str, Depends(request_id)]


class IntegrationRefused(DomainError):
    code, status = "bad_integration_key", 401


def integration(ctx: Ctx, token: Annotated[str, Depends(bearer)],
                x_integration_key: Annotated[str, Header()] = "") -> None:
    if not check_integration_key(ctx.db, x_integration_key or token):
        raise IntegrationRefused("A valid integration key is required (Authorization: Bearer sak_...)")


Platform = Depends(integration)

__all__ = ["Ctx", "Platform", "RequestId", "SessionInvalid", "Who", "current"]
