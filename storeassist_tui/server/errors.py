"""Every error answer is {"code", "message"}: the framework's own (an unknown route, a wrong
method, a body that cannot be read) as well as the domain's, and no message carries a control
character, whatever a client put in a key, a path or a value that a message quotes."""

from __future__ import annotations

import re
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from storeassist_tui.store.errors import DomainError, Unavailable
from storeassist_tui.store.text import clean

MAX_MESSAGE = 300
# Line breaks and direction overrides that are not control characters but break a one-line
# message just the same (a terminal shows the message as it is).
_LAYOUT = re.compile(r"[\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")

_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large",
          415: "unsupported_media_type"}
_MESSAGES = {
    400: "The request could not be read (JSON nested or numbered past what is read, or not JSON)",
    404: "No such path in the API",
    405: "That method is not allowed on this path",
}


def one_line(message: object) -> str:
    """The one place every error message passes: one line of plain text, bounded."""
    return _LAYOUT.sub("", clean(str(message)))[:MAX_MESSAGE] or "Error"


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"code": code, "message": one_line(message)}, status_code=status, headers=headers)


def domain_error_response(exc: DomainError) -> JSONResponse:
    """A refusal of the store's (store/errors.py): its status, code and one line; a 401 says how
    to authenticate, an outage when to try again (the client retries a 503)."""
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    if isinstance(exc, Unavailable):
        headers = {"Retry-After": str(exc.retry_after_s)}
    return error_response(exc.status, exc.code, exc.message, headers)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    code = _CODES.get(status) or _phrase(status).lower().replace(" ", "_").replace("-", "_")
    # FastAPI's own details ("Not Found", "There was an error parsing the body") say less than
    # ours; a detail a route chose (a str that is not the bare phrase) is kept.
    detail = exc.detail if isinstance(exc.detail, str) else ""
    generic = not detail or detail == _phrase(status) or "error parsing the body" in detail
    message = _MESSAGES.get(status, _phrase(status)) if generic else detail
    return error_response(status, code, message, dict(exc.headers or {}) or None)


def install(app: FastAPI) -> None:
    """Answer the framework's errors (StarletteHTTPException and FastAPI's subclass) in our shape."""
    app.add_exception_handler(StarletteHTTPException, _http_error)
