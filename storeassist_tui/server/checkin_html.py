"""The customer's check-in pages as plain HTML: one small inline style sheet, no script, no
external asset, so that it opens fast on any phone on a car park's weak signal.

Every piece of text that came from a person or the database goes through `esc`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storeassist_tui.store.customer_page import PageInfo
from storeassist_tui.store.handoff import CheckInForm
from storeassist_tui.store.views import CheckInView

OTHER_PREFIX = "Other: "  # the domain takes any spot starting with "other" as the customer's words

# The security headers of every page: nothing cached (the page is about one person's order), the
# link's token never sent on as a referrer, and the browser told to run no script at all.
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'",
}

_CSS = """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:#f3f3f0;color:#1b1b1b;font:18px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:34rem;margin:0 auto;padding:1rem .75rem 2rem}
h1{font-size:1.45rem;line-height:1.25;margin:.2rem 0 .8rem}
p{margin:0 0 .8rem}
.store{color:#4a4a4a;font-weight:600;margin:0}
.box{background:#fff;border-radius:.8rem;padding:1rem;margin:0 0 1rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
.msg{border-left:.4rem solid;border-radius:.4rem;padding:.75rem;margin:0 0 1rem}
.error{border-color:#b00020;background:#fdecee;color:#6d0012}
.ok{border-color:#0b6b36;background:#e7f5ec}
fieldset{border:0;padding:0;margin:0 0 1rem;min-width:0}
legend{font-weight:700;padding:0;margin:0 0 .5rem}
.choice{display:flex;align-items:center;gap:.7rem;min-height:3rem;padding:.55rem .8rem;margin:0 0 .5rem;
 background:#fff;border:2px solid #bdbdb8;border-radius:.6rem;cursor:pointer}
.choice input{flex:none;width:1.45rem;height:1.45rem;margin:0}
.choice:has(input:checked){border-color:#0a4fd6;background:#edf2ff}
.choice:focus-within,input[type=text]:focus{outline:3px solid #0a4fd6;outline-offset:1px}
.spots{display:grid;grid-template-columns:repeat(auto-fill,minmax(5.4rem,1fr));gap:.5rem;margin:0 0 .8rem}
.spots .choice{margin:0}
label.field{display:block;font-weight:600;margin:0 0 1rem}
.hint{font-weight:400;color:#4a4a4a}
input[type=text]{display:block;width:100%;min-height:3rem;margin:.3rem 0 0;padding:.5rem .75rem;
 font:inherit;color:inherit;background:#fff;border:2px solid #bdbdb8;border-radius:.6rem}
button{display:block;width:100%;min-height:3.25rem;padding:.75rem;font:inherit;font-weight:700;
 color:#fff;background:#0a4fd6;border:0;border-radius:.6rem;cursor:pointer}
a{color:#0a4fd6}
.again{display:inline-block;min-height:3rem;padding:.7rem 0}
form:has(#where-in:checked) .curbside{display:none}
""".strip()


def esc(text: object) -> str:
    """Safe in element text and in double-quoted attributes (the only kind written here); an
    apostrophe stays readable."""
    return html.escape(str(text), quote=False).replace('"', "&quot;")


def max_len(field: str) -> int:
    """The domain's own limit of a check-in field, so the inputs' maxlength never disagrees."""
    limits = [getattr(m, "max_length", None) for m in CheckInForm.model_fields[field].metadata]
    return next((int(n) for n in limits if n is not None), 100)


@dataclass
class Values:
    """What the form shows: what was just submitted, else the current check-in."""

    location: str = ""
    spot: str = ""  # a listed spot, "other", or (store without a list) the customer's words
    spot_other: str = ""
    car_make: str = ""
    car_colour: str = ""
    note: str = ""


def values_of(info: PageInfo) -> Values:
    """The form pre-filled from the current check-in, or from how the order was placed."""
    c = info.checkin
    if c is None:
        return Values(location=info.dispatch)
    spot, other = c.spot, ""
    if info.parking_spots and c.spot.lower().startswith("other"):
        spot, other = "other", other_text(c.spot)
    return Values(c.location, spot, other, c.car_make, c.car_colour, c.note)


def other_text(spot: str) -> str:
    """The customer's words of an 'Other: ...' spot."""
    return spot[len("other"):].lstrip(" :-").strip()


def _local(info: PageInfo, when: datetime) -> str:
    """A time as the store's clock shows it; the date only when it is not today."""
    try:
        zone = ZoneInfo(info.store_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = when.astimezone(zone)
    clock = local.strftime("%I:%M %p").lstrip("0")
    if local.date() != datetime.now(zone).date():
        return f"{clock} on {local.strftime('%a %d %b').replace(' 0', ' ')}"
    return clock


def where_text(c: CheckInView) -> str:
    if c.location != "curbside":
        return "in the store"
    if c.spot.lower().startswith("other"):
        words = other_text(c.spot)
        where = f"curbside ({words})" if words else "curbside"
    else:
        where = f"curbside at spot {c.spot}"
    car = " ".join(p for p in (c.car_colour, c.car_make) if p)
    return f"{where}, {car}" if car else where


def _doc(title: str, body: str) -> str:
    return (
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"robots\" content=\"noindex\">\n"
        f"<title>{esc(title)}</title>\n<style>\n{_CSS}\n</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _head(info: PageInfo) -> str:
    return f"<p class=\"store\">{esc(info.store_name)}</p>\n<h1>Order {esc(info.order_number)}</h1>\n"


def _error(message: str) -> str:
    return f"<p class=\"msg error\" role=\"alert\">{esc(message)}</p>\n" if message else ""


def _closed_text(info: PageInfo) -> str:
    when = f" at {_local(info, info.closed_at)}" if info.closed_at else ""
    if info.status == "dispensed":
        return f"This order was picked up{when}. Thank you!"
    if info.status == "expired":
        return ("This order was not collected in time and has been canceled; what you paid is being refunded. "
                "Questions? Ask at the store's service desk.")
    return ("This order was canceled; what you paid is being refunded. "
            "Questions? Ask at the store's service desk.")


def _choice(name: str, value: str, label: str, checked: bool, id_: str = "") -> str:
    id_attr = f" id=\"{id_}\"" if id_ else ""
    mark = " checked" if checked else ""
    return (f"<label class=\"choice\"><input type=\"radio\" name=\"{name}\" value=\"{esc(value)}\"{id_attr}{mark}>"
            f" {esc(label)}</label>\n")


def _text(name: str, label: str, value: str, limit: int, hint: str = "") -> str:
    hint_html = f" <span class=\"hint\">{esc(hint)}</span>" if hint else ""
    return (f"<label class=\"field\">{esc(label)}{hint_html}\n<input type=\"text\" name=\"{name}\" "
            f"value=\"{esc(value)}\" maxlength=\"{limit}\" autocomplete=\"off\"></label>\n")


def _spot_fields(info: PageInfo, v: Values) -> str:
    if not info.parking_spots:  # a store that lists no spots takes the customer's own words
        return _text("spot", "Where are you parked?", v.spot, max_len("spot"))
    chosen = v.spot.lower()
    spots = "".join(_choice("spot", s, s, chosen == s.lower()) for s in info.parking_spots)
    spots += _choice("spot", "other", "Other", chosen == "other")
    return (
        "<fieldset>\n<legend>Your parking spot</legend>\n"
        f"<div class=\"spots\">\n{spots}</div>\n"
        + _text("spot_other", "Other: where are you?", v.spot_other, max_len("spot") - len(OTHER_PREFIX),
                "(if no number fits)")
        + "</fieldset>\n"
    )


def _form(info: PageInfo, v: Values, message: str) -> str:
    parts = [_error(message), "<form method=\"post\" class=\"box\">\n"]
    if info.curbside_enabled:
        curbside = v.location == "curbside"
        parts.append(
            "<fieldset>\n<legend>Where are you?</legend>\n"
            + _choice("location", "in_store", "I'm in the store", not curbside, "where-in")
            + _choice("location", "curbside", "I'm parked outside (curbside)", curbside, "where-curb")
            + "</fieldset>\n<div class=\"curbside\">\n"
            + _spot_fields(info, v)
            + _text("car_make", "Car make", v.car_make, max_len("car_make"), "(e.g. Toyota)")
            + _text("car_colour", "Car colour", v.car_colour, max_len("car_colour"))
            + "</div>\n"
        )
    else:
        parts.append(
            "<input type=\"hidden\" name=\"location\" value=\"in_store\">\n"
            "<p>Please come inside to the pickup desk and tell us you're here.</p>\n"
        )
    parts.append(_text("note", "Anything we should know?", v.note, max_len("note"), "(optional)"))
    label = "Update my check-in" if info.checkin else "I'm here"
    parts.append(f"<button type=\"submit\">{esc(label)}</button>\n</form>\n")
    return "".join(parts)


def checkin_form(info: PageInfo, values: Values | None = None, message: str = "") -> str:
    """The page behind the link: the form while the order is open, else what became of it."""
    body = [_head(info)]
    if not info.can_check_in:
        body.append(_error(message))
        body.append(f"<p class=\"msg ok\">{esc(_closed_text(info))}</p>\n")
        return _doc(f"Order {info.order_number}", "".join(body))
    if info.ready:
        body.append("<p>Your order is ready for pickup. Tell us when you're here and we'll bring it to you.</p>\n")
    else:
        body.append("<p>We're still getting your order ready. You can tell us now that you're here: "
                    "we'll bring it as soon as it's ready.</p>\n")
    if info.checkin is not None:
        c = info.checkin
        body.append(f"<p class=\"msg ok\">You checked in at {esc(_local(info, c.arrived_at))}, "
                    f"{esc(where_text(c))}. Something changed? Update it below.</p>\n")
    body.append(_form(info, values or values_of(info), message))
    return _doc(f"Check in: order {info.order_number}", "".join(body))


def confirmation(info: PageInfo, c: CheckInView) -> str:
    """After a check-in: where we will bring the order, and a way to change it."""
    if c.location == "curbside":
        words = other_text(c.spot) if c.spot.lower().startswith("other") else ""
        if c.spot and not c.spot.lower().startswith("other"):
            target = f"spot {c.spot}"
        else:
            target = f"you ({words})" if words else "you"
        headline = (f"Thanks, we're bringing your order out to {target}." if info.ready
                    else f"Thanks, you're checked in at {target}.")
        car = " ".join(p for p in (c.car_colour, c.car_make) if p)
        detail = f"We'll look for your {car}. " if car else ""
    else:
        headline = "Thanks, we know you're here."
        detail = "Please come to the pickup desk. "
    if not info.ready:
        detail += "Your order is still being prepared: we'll bring it as soon as it's ready."
    body = (
        _head(info)
        + f"<p class=\"msg ok\" role=\"status\"><strong>{esc(headline)}</strong></p>\n"
        + (f"<p>{esc(detail.strip())}</p>\n" if detail.strip() else "")
        + "<p><a class=\"again\" href=\"\">Change my check-in</a></p>\n"
    )
    return _doc(f"Checked in: order {info.order_number}", body)


def notice(title: str, text: str) -> str:
    """A page with no order behind it: a bad link, a refused request, our own failure."""
    return _doc(title, f"<h1>{esc(title)}</h1>\n<p class=\"box\">{esc(text)}</p>\n")
