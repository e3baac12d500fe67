"""How the pick screens write times, money, queue rows and walk lines: each as forms, longest
first, so the widest that fits the terminal is drawn (80, 40 or 20 columns)."""

from __future__ import annotations

import string
from datetime import UTC, datetime

from storeassist_tui.client import Line, OrderDetail, OrderSummary


def aware(t: datetime) -> datetime:
    """The backend writes UTC; a naive time from it is UTC."""
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def span(seconds: float) -> str:
    """12m, 1h05, 2d3h."""
    minutes = int(abs(seconds) // 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours}h"


def due_forms(due: datetime, now: datetime) -> tuple[list[str], bool]:
    """("due in 25m" / "late 1h05" forms, overdue?)."""
    seconds = (aware(due) - now).total_seconds()
    if seconds < 0:
        s = span(seconds)
        return [f"late {s}", f"-{s}"], True
    s = span(seconds)
    return [f"in {s}", f"{s}"], False


def money(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def first_name(name: str) -> str:
    return name.split()[0] if name.split() else name


def tote_label(index: int) -> str:
    """A, B, ... Z, then T27, T28 (a batch holds at most 20 orders)."""
    return string.ascii_uppercase[index] if index < 26 else f"T{index + 1}"


def queue_header(width: int) -> str:
    if width >= 70:
        return f"  {'Order':<10} {'Customer':<20} {'Itm/Un':>6}  {'Due':<10} Picker"
    if width >= 40:
        return f"  {'Order':<9} {'Due':<9} {'It/Un':<5} Customer"
    return ""


def queue_row(o: OrderSummary, now: datetime, me: int | None, marked: bool, width: int) -> list[tuple[str, bool]]:
    """The row of order `o`: mark, number, customer, items/units, due, who picks it."""
    forms, late = due_forms(o.due_at, now)
    mark = "*" if marked else " "
    items = f"{o.line_count}/{o.units}"
    if o.claimed_by is None:
        picker, short_picker = "", ""
    elif o.claimed_by == me:
        picker, short_picker = "me", "@me"
    else:
        picker = o.claimed_by_name or "another associate"
        short_picker = "@" + first_name(picker)
    if width >= 70:
        return [(f"{mark} {o.number:<10.10} {o.customer_name:<20.20} {items:>6}  ", False),
                (f"{forms[0]:<10}", late), (f" {picker}", False)]
    if width >= 40:
        rest = f"{o.customer_name}"
        if short_picker:
            rest = f"{short_picker} {rest}"
        return [(f"{mark} {o.number:<9.9} ", False), (f"{forms[0]:<9}", late), (f" {items:<5} {rest}", False)]
    tail = f" {short_picker}" if short_picker else ""
    return [(f"{mark}{o.number[-6:]} ", False), (forms[1], late), (f" {o.units}u{tail}", False)]


def line_state(line: Line) -> str:
    if line.pending == 0:
        return "done" if not line.not_found else ("NF" if not line.picked else "done")
    return ""


def walk_row(line: Line, tote: str, width: int) -> str:
    """One line of the walk: where, what, how many done of how many, the tote in a batch."""
    what = " ".join(p for p in (line.description, line.size, line.colour) if p)
    nf = f" nf{line.not_found}" if line.not_found else ""
    count = f"{line.picked}/{line.quantity}{nf}"
    state = line_state(line)
    right = f"{count}{' ' + state if state else ''}{' ' + tote if tote else ''}"
    left = f"{line.aisle or line.department[:6]:<6} {what}" if width >= 40 else what
    room = max(width - len(right) - 1, 1)
    return f"{left[:room]:<{room}} {right}"


def detail_forms(line: Line, order: OrderDetail, tote: str) -> list[list[str]]:
    """The item detail, one list of forms per row."""
    looks = [p for p in (line.size and f"Size {line.size}", line.colour and f"Colour {line.colour}",
                         line.fit and f"Fit {line.fit}") if p]
    short_looks = " / ".join(p for p in (line.size, line.colour, line.fit) if p)
    code = next((c for c in line.codes if c.type != "SKU"), None)
    code_text = f"{code.type or 'Code'} {code.code}" if code else ""
    where = line.aisle and f"Aisle {line.aisle}"
    rows = [[line.description]]
    if tote:  # in a batch, which tote the unit goes to comes right after what it is
        rows.append([f"Tote {tote}: order {order.number} ({order.customer_name})",
                     f"Tote {tote}: {order.number}", f"Tote {tote}"])
    rows += [
        [f"Qty {line.quantity}: picked {line.picked}, not found {line.not_found}, left {line.pending}",
         f"Qty {line.quantity} picked {line.picked} nf {line.not_found} left {line.pending}",
         f"{line.picked}+{line.not_found}nf of {line.quantity}, {line.pending} left"],
        ["  ".join(looks) or "No size / colour", short_looks or "-"],
        [f"SKU {line.sku}  {code_text}  {where} ({line.department})".strip(),
         f"{line.sku} {code.code if code else ''} {line.aisle}".strip(),
         f"{line.sku} {line.aisle}".strip()],
        [f"Price {money(line.unit_price_cents)} each", money(line.unit_price_cents)],
    ]
    return rows
