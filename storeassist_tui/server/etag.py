"""ETag / If-None-Match for the polled lists: the store's revision decides before any query runs.

A poll is answered at the door (`PolledLists`, an ASGI middleware) whenever it can be: the
session and the store's revision come from the database in one query (store/poll_check.py),
then a 304, or the answer another terminal's poll already made. Only a poll after a change,
the first one for that answer in this server, goes on to its route, which makes the answer
(in a worker thread) and keeps it. A 304 thus costs neither FastAPI's routing and dependencies
nor a thread, and what it checks is what every request checks.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping

from fastapi import Request, Response
from pydantic import BaseModel
from starlette.types import ASGIApp, Receive, Scope, Send

from storeassist_tui.server.errors import domain_error_response
from storeassist_tui.store.admin import CODE
from storeassist_tui.store.auth import bearer_token
from storeassist_tui.store.errors import DomainError
from storeassist_tui.store.poll_check import PollCheck

_HEADERS = {"Cache-Control": "no-cache"}


def tag(store_revision: int, query: str, per_minute: bool) -> str:
    """Changes when the store's orders change, when the query changes, and (for lists that show
    overdue or waiting times) once a minute."""
    minute = int(time.time() // 60) if per_minute else 0
    digest = hashlib.sha1(query.encode()).hexdigest()[:10]
    return f'W/"{store_revision}-{minute}-{digest}"'


def query_of(scope: Scope) -> str:
    return str(scope["query_string"].decode("latin-1"))


def header(scope: Scope, name: bytes) -> str:
    """A request header's first value (as Starlette reads it), "" when absent."""
    return next((v.decode("latin-1") for k, v in scope["headers"] if k == name), "")


def fresh(if_none_match: str, etag: str) -> bool:
    return etag in {t.strip() for t in if_none_match.split(",")}


def not_modified(etag: str) -> Response:
    return Response(status_code=304, headers={"ETag": etag, **_HEADERS})


def answer(body: bytes, etag: str) -> Response:
    return Response(content=body, media_type="application/json", headers={"ETag": etag, **_HEADERS})


class Answers:
    """Answers already made, by path and tag (one per server app). A tag names the store's
    revision and the query, so an answer is right for every terminal of that store until the next
    change: after a change the first poll runs the query and the other terminals get the same
    bytes (terminals asking at the very same moment may each make it once). The answers do not
    depend on who asks, only on the store, which is checked first. The revision is read from the
    database on every poll, so no replica serves an answer kept here after another changed the
    store."""

    def __init__(self, size: int = 128) -> None:
        self.size = size
        self._bodies: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            body = self._bodies.get(key)
            if body is not None:
                self._bodies.move_to_end(key)
        return body

    def serve(self, request: Request, etag: str, make: Callable[[], BaseModel]) -> Response:
        """304 when the terminal has this answer; else the answer, made once per change."""
        if fresh(header(request.scope, b"if-none-match"), etag):
            return not_modified(etag)
        key = f"{request.scope['path']}|{etag}"
        body = self.get(key)
        if body is None:
            body = make().model_dump_json().encode()
            if self.size:
                with self._lock:
                    self._bodies[key] = body
                    while len(self._bodies) > self.size:
                        self._bodies.popitem(last=False)
        return answer(body, etag)


POLL_TAG = "poll_tag"  # request.state's name for the tag PolledLists read, for the route to use


class PolledLists:
    """GET of a polled list (`/api/v1/stores/{store_id}/{name}`, `name` in `lists`, which says
    whether its tag changes each minute): answered here with a 304, the answer already made, or
    the refusal any request of that session gets (401, 404, 503); else passed on to the route
    with its tag in `request.state` (POLL_TAG), so the route reads the revision no second time."""

    # A path whose store cannot be one (a NUL, say) goes on to the route, which refuses it.
    _PATH = re.compile(rf"/api/v1/stores/({CODE})/([a-z-]+)")

    def __init__(self, app: ASGIApp, polls: PollCheck, answers: Answers, lists: Mapping[str, bool]) -> None:
        self.app, self.polls, self.answers, self.lists = app, polls, answers, lists
        # Answers being made, by key: after a change, the polls that ask meanwhile wait for the
        # one being made instead of each making it again (each in a thread, side by side).
        self._making: dict[str, asyncio.Future[None]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self._PATH.fullmatch(scope["path"]) if scope["type"] == "http" and scope["method"] == "GET" else None
        if found is None or found[2] not in self.lists:
            await self.app(scope, receive, send)
            return
        try:
            revision = await self.polls.revision(bearer_token(header(scope, b"authorization")), found[1])
        except DomainError as exc:
            await domain_error_response(exc)(scope, receive, send)
            return
        etag = tag(revision, query_of(scope), self.lists[found[2]])
        if fresh(header(scope, b"if-none-match"), etag):
            await not_modified(etag)(scope, receive, send)
            return
        key = f"{scope['path']}|{etag}"
        loop = asyncio.get_running_loop()
        making = self._making.get(key)
        if making is not None and making.get_loop() is loop:
            await asyncio.shield(making)
        body = self.answers.get(key)
        if body is not None:
            await answer(body, etag)(scope, receive, send)
            return
        mine = self._making[key] = loop.create_future()
        scope.setdefault("state", {})[POLL_TAG] = etag
        try:
            await self.app(scope, receive, send)  # the route makes the answer and keeps it
        finally:
            if self._making.get(key) is mine:
                del self._making[key]
            mine.set_result(None)
