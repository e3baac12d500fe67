"""ETag / If-None-Match for the polled lists: the store's revision decides before any query runs."""

from __future__ import annotations

import hashlib
import time

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


def answer(model: BaseModel, etag: str) -> Response:
    return Response(content=model.model_dump_json(), media_type="application/json",
                    headers={"ETag": etag, "Cache-Control": "no-cache"})


def not_modified(etag: str) -> Response:
    return Response(status_code=304, headers={"ETag": etag, "Cache-Control": "no-cache"})
