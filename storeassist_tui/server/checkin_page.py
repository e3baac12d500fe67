"""The customer's check-in web page: GET shows the form, POST checks in through the domain.

Thin on purpose: the rules live in store.handoff (check-in) and store.customer_page (what the
page may show); this module turns a browser's form into a CheckInForm and every outcome,
refusals included, into an HTML page. The app's DomainError handler answers JSON for the API,
so these routes catch DomainError themselves: a customer never sees JSON or a traceback.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from storeassist_tui.server import checkin_html as page
from storeassist_tui.server.deps import Ctx
from storeassist_tui.store import customer_page, handoff
from storeassist_tui.store.customer_page import PageInfo
from storeassist_tui.store.errors import DomainError, NotFound, WrongState

log = logging.getLogger("storeassist.server")

router = APIRouter(include_in_schema=False)  # pages for people, not part of the JSON API

# The form's six short fields come to well under 1 KB even percent-encoded; a body past this is
# not a person typing, and is refused before it is parsed.
MAX_BODY = 8 * 1024
_FIELDS = ("location", "spot", "spot_other", "car_make", "car_colour", "note")
_LABELS = {"location": "Where you are", "spot": "Parking spot", "spot_other": "Other spot",
           "car_make": "Car make", "car_colour": "Car colour", "note": "Note"}
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")  # a tab is let through: the domain makes it a space
_TOKEN_MAX = 80


class Refused(Exception):
    """A request refused before it reaches the domain: its HTTP status, one line, and the field
    at fault (not echoed back: it may be 10,000 characters or control codes)."""

    def __init__(self, status: int, message: str, field: str = "") -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


def _html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status, headers=page.HEADERS)


def _bad_link() -> HTMLResponse:
    return _html(page.notice(
        "This check-in link doesn't work",
        "It may have been cut short or mistyped. Open it again from your ready-for-pickup message, "
        "or come to the store's pickup desk and tell us your order number.",
    ), 404)


def _failed() -> HTMLResponse:
    return _html(page.notice("Sorry, something went wrong",
                             "Nothing was changed. Please try again in a moment, or come to the pickup desk."), 500)


async def _read_form(request: Request) -> dict[str, str]:
    """The urlencoded body, bounded. Parsed here with parse_qs rather than FastAPI's Form so the
    server needs no multipart parser for one plain form, and so the size limit applies while
    reading, before anything is buffered whole."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise Refused(415, "Please send the form from the check-in page.")
    too_big = Refused(413, "That was far more text than the form takes. Please keep to short answers.")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise too_big
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise too_big
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=len(_FIELDS) * 2,
                          encoding="utf-8", errors="strict")
    except ValueError:  # undecodable bytes, or far more fields than the form has
        raise Refused(400, "The form could not be read. Please fill it in again.") from None
    return {name: parsed[name][0] for name in _FIELDS if name in parsed}


def _domain_form(fields: dict[str, str]) -> handoff.CheckInForm:
    """The browser's fields as the domain's CheckInForm; 'Other' plus words becomes the
    'Other: ...' spot the domain takes as the customer's own description."""
    spot, other = fields.get("spot", "").strip(), fields.get("spot_other", "").strip()
    if fields.get("location") == "curbside" and (spot.lower() == "other" or (not spot and other)):
        if not other:
            raise Refused(400, "Tell us where you parked, or choose a numbered spot.")
        spot = f"{page.OTHER_PREFIX}{other}"
    try:
        return handoff.CheckInForm(
            location=fields.get("location") or "in_store", spot=spot, car_make=fields.get("car_make", ""),
            car_colour=fields.get("car_colour", ""), note=fields.get("note", ""),
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]) if err.get("loc") else ""
        if name == "spot" and spot.startswith(page.OTHER_PREFIX):
            name = "spot_other"
        label = _LABELS.get(name, "The form")
        limit = (err.get("ctx") or {}).get("max_length")
        if err.get("type") == "string_too_long" and limit is not None:
            if name == "spot_other":
                limit -= len(page.OTHER_PREFIX)
            raise Refused(400, f"{label}: at most {limit} characters, please.", name) from None
        raise Refused(400, f"{label}: please choose again.", name) from None


@router.get("/checkin/{token}", response_class=HTMLResponse)
def checkin_form(token: str, ctx: Ctx) -> HTMLResponse:
    """The page behind the link in the ready-for-pickup message."""
    try:
        info = customer_page.checkin_page(ctx.db, token[:_TOKEN_MAX], ctx.settings.secret_key)
    except NotFound:
        return _bad_link()
    except Exception:  # a customer gets a page, never the API's JSON
        log.exception("check-in page failed")
        return _failed()
    return _html(page.checkin_form(info))


@router.post("/checkin/{token}", response_class=HTMLResponse)
async def checkin_submit(token: str, request: Request, ctx: Ctx) -> HTMLResponse:
    """The form sent: the check-in done (or updated) and confirmed, or the form again with why not."""
    token = token[:_TOKEN_MAX]
    try:
        return await _submit(token, request, ctx)
    except NotFound:
        return _bad_link()
    except Exception:  # a customer gets a page, never the API's JSON
        log.exception("check-in submit failed")
        return _failed()


async def _submit(token: str, request: Request, ctx: Ctx) -> HTMLResponse:
    secret_key = ctx.settings.secret_key
    info: PageInfo = await run_in_threadpool(customer_page.checkin_page, ctx.db, token, secret_key)
    try:
        fields = await _read_form(request)
    except Refused as exc:
        return _html(page.checkin_form(info, message=exc.message), exc.status)
    shown = page.Values(**fields)  # what the form shows again if the check-in is refused
    try:
        for name, value in fields.items():
            if _CONTROL.search(value):
                raise Refused(400, f"{_LABELS[name]}: please use plain text only.", name)
        form = _domain_form(fields)
    except Refused as exc:
        if exc.field:
            setattr(shown, exc.field, "")
        return _html(page.checkin_form(info, shown, exc.message), exc.status)
    try:
        done = await run_in_threadpool(handoff.customer_checkin, ctx.db, token, form, secret_key)
    except NotFound:
        raise
    except WrongState as exc:
        # Picked up, canceled or expired meanwhile: the page of what became of the order.
        info = await run_in_threadpool(customer_page.checkin_page, ctx.db, token, secret_key)
        return _html(page.checkin_form(info, shown, exc.message), 409)
    except DomainError as exc:
        return _html(page.checkin_form(info, shown, exc.message), 400)
    info = await run_in_threadpool(customer_page.checkin_page, ctx.db, token, secret_key)
    return _html(page.confirmation(info, done))
