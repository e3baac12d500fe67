"""ETag / If-None-Match for the polled lists: the store's revision decides before any query runs."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from fastapi import Request, Response
from pydantic import BaseModel


def tag(store_revision: int, request: Request, per_minute: bool) -> str:
    """Changes when the store's orders change, when the query changes, and (for lists that show
    overdue or waiting times) once a minute."""
    minute = int(time.time() // 60) if per_minute else 0
    query = hashlib.sha1(str(request.url.query).encode()).hexdigest()[:10]
    return f'W/"{store_revision}-{minute}-{query}"'


def fresh(request: Request, etag: str) -> bool:
    return etag in {t.strip() for t in request.headers.get("if-none-match", "").split(",")}


def not_modified(etag: str) -> Response:
    return Response(status_code=304, headers={"ETag": etag, "Cache-Control": "no-cache"})


class Answers:
    """Answers already made, by path and tag (one per server app). A tag names the store's
    revision and the query, so an answer is right for every terminal of that store until the next
    change: after a change the first poll runs the query and the other terminals get the same
    bytes (terminals asking at the very same moment may each make it once). The answers do not
    depend on who asks, only on the store, which the route checks first."""

    def __init__(self, size: int = 128) -> None:
        self.size = size
        self._bodies: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def serve(self, request: Request, etag: str, make: Callable[[], BaseModel]) -> Response:
        """304 when the terminal has this answer; else the answer, made once per change."""
        if fresh(request, etag):
            return not_modified(etag)
        key = f"{request.url.path}|{etag}"
        with self._lock:
            body = self._bodies.get(key)
            if body is not None:
                self._bodies.move_to_end(key)
        if body is None:
            body = make().model_dump_json().encode()
            if not self.size:
                return Response(content=body, media_type="application/json",
                                headers={"ETag": etag, "Cache-Control": "no-cache"})
            with self._lock:
                self._bodies[key] = body
                while len(self._bodies) > self.size:
                    self._bodies.popitem(last=False)
        return Response(content=body, media_type="application/json",
                        headers={"ETag": etag, "Cache-Control": "no-cache"})
