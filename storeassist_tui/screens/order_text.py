"""How the Stage, Hand-off and Orders screens write orders: rows and detail lines as forms, longest
first, so the widest that fits the terminal is drawn (80, 40 or 20 columns). No rules here: what
the backend answered, put into words."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storeassist_tui import weights
from storeassist_tui.client import CheckIn, HandoffEntry, Line, OrderDetail, OrderSummary, TimelineEntry
from storeassist_tui.order_status import ALL, OPEN, SHORT_WORDS, OrderStatus, word
from storeassist_tui.screens.pick_text import aware, done_of, first_name, money, span
from storeassist_tui.widgets.rows import Piece, fit
from storeassist_tui.widgets.text import Column, cell, clip

# The Orders screen's status filter, in the order F2 steps through it: all, the open ones, then each.
FILTERS: list[tuple[str, str]] = [("", "all"), (",".join(s for s in ALL if s in OPEN), "open"),
                                  *((s.value, SHORT_WORDS[s]) for s in ALL)]


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def clock(t: datetime, tz: ZoneInfo, now: datetime) -> str:
    """14:05 today, else 'Nov 24 14:05', in the store's time zone."""
    local, today = aware(t).astimezone(tz), now.astimezone(tz)
    return f"{local:%H:%M}" if local.date() == today.date() else f"{local:%b %d %H:%M}"


def ago(t: datetime | None, now: datetime) -> str:
    return span((now - aware(t)).total_seconds()) if t is not None else "-"


def plural(n: int, word: str) -> str:
    """'1 unit', '2 units'; 'customer' -> 'customers'."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def where(c: CheckIn | None) -> list[str]:
    """Where the customer waits, longest first: 'curbside P2, red Ford: blue cap' / 'in store'."""
    if c is None:
        return ["not arrived", "-"]
    if c.location != "curbside":
        note = f": {c.note}" if c.note else ""
        return [f"in store{note}", "in store", "store"]
    car = " ".join(x for x in (c.car_colour, c.car_make) if x)
    note = f": {c.note}" if c.note else ""
    return [f"curbside {c.spot}, {car}{note}" if car else f"curbside {c.spot}{note}",
            f"curb {c.spot} {car}".strip(), f"curb {c.spot}", c.spot]


# Stage --------------------------------------------------------------------------------------------
def stage_row(o: OrderSummary, now: datetime, width: int) -> list[Piece]:
    if o.status == OrderStatus.STAGED:
        return fit([
            [(f"{o.number} {cell(o.customer_name, Column.NAME)} at {cell(o.staging_location, Column.PLACE)} ready {ago(o.staged_at, now)}", False)],
            [(f"{o.number} at {o.staging_location}", False)],
            [(f"{o.number[-6:]} {o.staging_location}", False)],
        ], width)
    return fit([
        [(f"{o.number} {cell(o.customer_name, Column.NAME)} {plural(o.line_count, 'line'):>8} {plural(o.units, 'unit'):>9}", False)],
        [(f"{o.number} {cell(first_name(o.customer_name), Column.FIRST)} {o.units:>3}u", False)],
        [(f"{o.number[-6:]} {o.units}u", False)],
    ], width)


# Hand-off -----------------------------------------------------------------------------------------
def handoff_row(e: HandoffEntry, now: datetime, width: int) -> list[Piece]:
    o = e.order
    if e.waiting_since is None:
        place = o.staging_location or "?"
        return fit([
            [(f"{o.number} {cell(o.customer_name, Column.NAME)} not here yet   at {clip(place, Column.PLACE_WAIT)}", False)],
            [(f"{o.number} {cell(first_name(o.customer_name), Column.FIRST_PLACE)} at {clip(place, Column.PLACE_MID)}", False)],
            [(f"{o.number[-6:]} {place}", False)],
        ], width)
    wait = ago(e.waiting_since, now)
    places = where(o.checkin)
    if o.status != OrderStatus.STAGED:  # came before the order was staged: stage it first
        places = [f"{word(o.status, short=True).upper()}, {p}" for p in places[:2]] + [word(o.status, True).upper()]
    return fit([
        [(f"{o.number} {cell(o.customer_name, Column.NAME)} ", False), (f"WAIT {wait:>5}", True), (f" {clip(places[0], Column.WHERE)}", False)],
        [(f"{o.number} {cell(first_name(o.customer_name), Column.FIRST_PLACE)} ", False), (f"{wait:>5}", True),
         (f" {clip(places[min(1, len(places) - 1)], Column.WHERE_MID)}", False)],
        [(f"{o.number[-6:]} ", False), (wait, True), (f" {clip(places[-1], Column.PLACE_SHORT)}", False)],
    ], width)


def handoff_info(o: OrderDetail, now: datetime, tz: ZoneInfo) -> list[list[str]]:
    """What the associate needs before fetching and handing over the order, most needed first
    (a short screen shows the first rows): who and where they wait, where the order is, what is
    missing, how to reach them."""
    rows = [[f"{o.number} {o.customer_name}", o.number]]
    if o.notes:  # the customer's own words come right after who they are
        rows.append([f"Customer note: {o.notes}", f"Note: {o.notes}"])
    c = o.checkin
    if c is not None:
        places = where(c)
        rows.append([f"Waiting since {clock(c.arrived_at, tz, now)} ({ago(c.arrived_at, now)}): {places[0]}",
                     f"Waiting {ago(c.arrived_at, now)}: {places[1]}", f"{ago(c.arrived_at, now)} {places[-1]}"])
    else:
        rows.append(["Not checked in (F3 checks the customer in)", "Not checked in (F3)", "Not here"])
    place = f"{o.staging_location}" + (f", {plural(o.bags, 'bag')}" if o.bags else "")
    if o.staged_at is not None:
        rows.append([f"At {place}, ready since {clock(o.staged_at, tz, now)} ({ago(o.staged_at, now)})",
                     f"At {place}, ready {ago(o.staged_at, now)}", f"At {o.staging_location}"])
    missing = sum(ln.not_found for ln in o.lines)
    if missing:
        refund = sum(r.amount_cents for r in o.refunds if r.reason == "not_found")
        rows.append([f"Not found: {plural(missing, 'unit')}, {money(refund)} refunded",
                     f"Not found {missing}: {money(refund)}", f"NF {missing}"])
    if o.customer_phone:
        rows.append([f"Phone {o.customer_phone}", o.customer_phone])
    if o.alt_name or o.alt_phone or o.alt_email:
        alt = " ".join(x for x in (o.alt_name, o.alt_phone, o.alt_email) if x)
        rows.append([f"Picked up by: {alt}", f"By: {alt}"])
    return rows


def handoff_line(ln: Line, rejected: int, width: int) -> list[Piece]:
    if not ln.picked:
        return fit([[(f"  - x {clip(ln.description, Column.ITEM)} ({ln.not_found} NOT FOUND)", False)],
                    [(f" - {clip(ln.description, Column.ITEM_MID)} NOT FOUND", False)], [(f"- {clip(ln.description, Column.ITEM_SHORT)} NF", False)]],
                   width)
    nf = f" (+{ln.not_found} not found)" if ln.not_found else ""
    rej = [(f" REJECT {rejected}", True)] if rejected else []
    if weights.is_weighed(ln.uom):  # one package of a weighed item: its weight says how much
        amount = weights.shown(ln.weight_picked_milli, ln.uom)
        return fit([[(f"{amount} {clip(ln.description, Column.ITEM)}", False), *rej], [(f"{amount} {clip(ln.description, Column.ITEM_MID)}", False), *rej],
                    [(f"{amount.split()[0]} {clip(ln.description, Column.ITEM_SHORT)}", False), *([(" R", True)] if rejected else [])]],
                   width)
    return fit([
        [(f"{ln.picked:>3} x {clip(ln.description, Column.ITEM)}{nf}", False), *rej],
        [(f"{ln.picked:>2}x {clip(ln.description, Column.ITEM_MID_COUNTED)}", False), *rej],
        [(f"{ln.picked}x {clip(ln.description, Column.ITEM_SHORT_COUNTED)}", False), *([(f" R{rejected}", True)] if rejected else [])],
    ], width)


# Orders -------------------------------------------------------------------------------------------
def orders_row(o: OrderSummary | None, now: datetime, width: int, tz: ZoneInfo) -> list[Piece]:
    if o is None:
        return [("...", False)]
    state = word(o.status, short=True)
    placed = clock(o.placed_at, tz, now)
    return fit([
        [(f"{o.number} {cell(o.customer_name, Column.NAME_ALONE)} {cell(state, Column.STATE)} {plural(o.units, 'unit'):>9} {placed:>12}", False)],
        [(f"{o.number} {cell(first_name(o.customer_name), Column.FIRST_STATE)} {clip(state, Column.STATE)}", False)],
        [(f"{o.number[-6:]} {clip(state, Column.STATE_SHORT)}", False)],
    ], width)


def detail_rows(o: OrderDetail, events: list[TimelineEntry], now: datetime, tz: ZoneInfo) -> list[list[str]]:
    """The whole order, one row each: who, state, lines, refunds, check-in, then the timeline."""
    rows: list[list[str]] = [
        [f"{o.number} {o.customer_name} - {word(o.status, short=True).upper()}",
         f"{o.number} {word(o.status, short=True).upper()}"],
        [f"Placed {clock(o.placed_at, tz, now)}, due {clock(o.due_at, tz, now)}, total {money(o.total_cents)}",
         f"Placed {clock(o.placed_at, tz, now)} {money(o.total_cents)}"],
    ]
    contact = " ".join(x for x in (o.customer_phone, o.customer_email) if x)
    if contact:
        rows.append([contact, o.customer_phone or o.customer_email])
    if o.alt_name or o.alt_phone or o.alt_email:
        rows.append(["Picked up by: " + " ".join(x for x in (o.alt_name, o.alt_phone, o.alt_email) if x)])
    if o.staging_location:
        rows.append([f"Staged at {o.staging_location}" + (f", {plural(o.bags, 'bag')}" if o.bags else "")])
    if o.checkin is not None:
        rows.append([f"Checked in {clock(o.checkin.arrived_at, tz, now)}: {where(o.checkin)[0]}",
                     f"In {clock(o.checkin.arrived_at, tz, now)}: {where(o.checkin)[1]}"])
    if o.close_reason:
        rows.append([f"Closed: {o.close_reason}"])
    rows.append([f"Lines ({len(o.lines)}):", "Lines:"])
    for ln in o.lines:
        extra = [f"{n} {what}" for n, what in ((ln.not_found, "not found"), (ln.rejected, "rejected"),
                                                 (ln.dispensed, "handed off")) if n]
        more = f" ({', '.join(extra)})" if extra else ""
        rows.append([f" {done_of(ln)} {ln.description}{more}", f" {done_of(ln)} {ln.description}"])
    if o.refunds:
        rows.append(["Refunds:"])
        for r in o.refunds:
            rows.append([f" {money(r.amount_cents)} {r.reason.replace('_', ' ')}{f' x{r.quantity}' if r.quantity else ''}, {r.state}",
                         f" {money(r.amount_cents)} {r.reason.replace('_', ' ')} {r.state}"])
    rows.append(["Timeline:"])
    for ev in events:
        rows.append(timeline_row(ev, now, tz))
    if not events:
        rows.append([" (no events recorded)", " (none recorded)"])
    return rows


def timeline_row(ev: TimelineEntry, now: datetime, tz: ZoneInfo) -> list[str]:
    how = {"scan": " (scanned)", "manual": " (typed)"}.get(ev.entry, "")
    what = ev.action.replace("_", " ")
    d = ev.detail
    if ev.action == "picked" and d.get("code"):
        what = f"picked {d.get('quantity', 1)} of line {d.get('line')}: {d.get('code')}"
    elif ev.action == "not_found":
        what = f"not found {d.get('quantity')} of line {d.get('line')}"
    elif ev.action == "staged" and d.get("location"):
        what = f"staged at {d.get('location')}"
    elif ev.action == "restaged":
        what = f"moved {d.get('old')} -> {d.get('new')}"
    elif ev.action in ("canceled", "expired") and d.get("reason"):
        what = f"{ev.action}: {d.get('reason')}"
    elif ev.action == "dispensed":
        rejected = d.get("rejected") or {}
        what = "handed off"
        if isinstance(rejected, dict) and rejected:
            what += f", {sum(int(v) for v in rejected.values())} rejected"
        if d.get("id_checked"):
            what += ", ID checked"
        if d.get("signature"):
            what += f", signed {d.get('signature')}"
    elif ev.action in ("checked_in", "checkin_updated") and d.get("location"):
        what = f"{what}: {str(d.get('location')).replace('_', ' ')} {d.get('spot') or ''}".rstrip()
    at = clock(ev.at, tz, now)
    return [f" {at} {ev.who}: {what}{how}", f" {at} {first_name(ev.who)}: {what}", f" {at} {what}"]


def now_utc() -> datetime:
    return datetime.now(UTC)
