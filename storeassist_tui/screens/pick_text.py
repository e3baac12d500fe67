"""How the pick screens write times, money, queue rows and walk lines: each as forms, longest
first, so the widest that fits the terminal is drawn (80, 40 or 20 columns)."""

from __future__ import annotations

import string
from datetime import UTC, datetime

from storeassist_tui import weights
from storeassist_tui.client import Line, OrderDetail, OrderSummary

# The pick screens' lists scroll like every list (re-exported for them).
from storeassist_tui.widgets.rows import scroll_mark as scroll_mark
from storeassist_tui.widgets.rows import scroll_top as scroll_top
from storeassist_tui.widgets.text import Column, Width, cell, clip


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
    if width >= Width.WIDE:
        return f"  {cell('Order', Column.ORDER)} {cell('Customer', Column.NAME_ALONE)} {'Itm/Un':>6}  {'Due':<10} Picker"
    if width >= Width.MIDDLE:
        return f"  {cell('Order', Column.ORDER_MID)} {'Due':<9} {'It/Un':<5} Customer"
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
    if width >= Width.WIDE:
        return [(f"{mark} {cell(o.number, Column.ORDER)} {cell(o.customer_name, Column.NAME_ALONE)} {items:>6}  ", False),
                (f"{forms[0]:<10}", late), (f" {picker}", False)]
    if width >= Width.MIDDLE:
        room = max(width - 28, 1)  # after mark, number, due and items: the name takes the rest
        tail = f" {short_picker}" if short_picker else ""
        rest = f"{cell(o.customer_name, max(room - len(tail), 0))}{tail}"
        return [(f"{mark} {cell(o.number, Column.ORDER_MID)} ", False), (f"{forms[0]:<9}", late), (f" {items:<5} {rest}", False)]
    tail = f" {short_picker}" if short_picker else ""
    return [(f"{mark}{o.number[-6:]} ", False), (forms[1], late), (f" {o.units}u{tail}", False)]


def item_name(line: Line) -> str:
    """Description, size, colour - the size left out when the description already says it."""
    size = line.size if line.size and line.size.lower() not in line.description.lower() else ""
    return " ".join(p for p in (line.description, size, line.colour) if p)


def done_of(line: Line, unit: bool = True) -> str:
    """How much of a line is done: "1/2" units, or for a weighed line "1.24/2.50 lb" ("1.24/2.50"
    without its unit, where a narrow row has no room for it)."""
    if not weights.is_weighed(line.uom):
        return f"{line.picked}/{line.quantity}"
    picked = weights.shown(line.weight_picked_milli, line.uom).split()[0]
    ordered = weights.shown(line.weight_milli, line.uom)
    return f"{picked}/{ordered if unit else ordered.split()[0]}"


def walk_row(line: Line, tote: str, width: int, skipped: bool = False) -> str:
    """One line of the walk: where, what, how many done of how many (nf = not found), the tote."""
    nf = f" nf{line.not_found}" if line.not_found else ""
    done = " done" if not line.pending else (" skip" if skipped else "")
    right = f"{done_of(line, unit=width >= Width.NARROW)}{nf}{done}{' ' + tote if tote else ''}"
    # the walk's list is one column narrower than the screen (its cursor)
    where = line.aisle or clip(line.department, Column.DEPARTMENT)
    left = f"{where:<{Column.DEPARTMENT}} {item_name(line)}" if width >= Width.MIDDLE - 1 else item_name(line)
    return f"{cell(left, max(width - len(right) - 1, 1))} {right}"


CODE_NAMES = {"UPCA": "UPC", "UPC": "UPC", "UPCE0": "UPC-E", "UPCE": "UPC-E", "EAN13": "EAN", "EAN8": "EAN",
              "GTIN": "GTIN", "PRICE_EMBEDDED_UPC": "Scale label"}


def subst_word(line: Line) -> str:
    """Whether the customer accepts a substitute for this line ("" when they did not say)."""
    if line.substitution_allowed is None:
        return ""
    return "subst. OK" if line.substitution_allowed else "no subst."


def detail_forms(line: Line, order: OrderDetail, tote: str) -> list[list[str]]:
    """The item detail, one list of forms per row."""
    looks = [p for p in (line.size and f"Size {line.size}", line.colour and f"Colour {line.colour}",
                         line.fit and f"Fit {line.fit}") if p]
    short_looks = " / ".join(p for p in (line.size, line.colour, line.fit) if p)
    code = next((c for c in line.codes if c.type != "SKU"), None)
    code_text = f"{CODE_NAMES.get(code.type or '', 'Code')} {code.code}" if code else ""
    where = f"Aisle {line.aisle}" if line.aisle else line.department
    rows = [[line.description]]
    if line.substitution_allowed is not None:  # the customer's word on substitutes, before the search
        rows[0] = [f"{line.description} ({subst_word(line)})", f"{clip(line.description, Column.ITEM_SUBST)} ({subst_word(line)})",
                   f"{subst_word(line)} {line.description}"]
    if order.notes:
        rows.append([f"Customer note: {order.notes}", f"Note: {order.notes}"])
    if tote:  # in a batch, which tote the unit goes to comes right after what it is
        rows.append([f"Tote {tote}: order {order.number} ({order.customer_name})",
                     f"Tote {tote}: {order.number}", f"Tote {tote}"])
    if weights.is_weighed(line.uom):  # picked by weight: scale labels add up to the amount ordered
        rows += [[f"{where}  Weigh {weights.shown(line.weight_milli, line.uom)}: labels so far "
                  f"{weights.shown(line.weight_picked_milli, line.uom)}{' (done)' if not line.pending else ''}",
                  f"{line.aisle} Weigh {done_of(line)}".strip(), f"Weigh {done_of(line)}"]]
    else:
        rows += [[f"{where}  Qty {line.quantity}: picked {line.picked}, not found {line.not_found}, left {line.pending}",
         f"{line.aisle} Qty {line.quantity} picked {line.picked} nf {line.not_found} left {line.pending}".strip(),
         f"{line.aisle} Qty {line.quantity}, {line.pending} left".strip(),
         f"{line.picked}+{line.not_found}nf of {line.quantity}, {line.pending} left"]]
    rows += [
        ["  ".join(looks) or "No size / colour", short_looks or "-"],
        [f"SKU {line.sku}  {code_text}  {f'({line.department})' if line.department else ''}".strip(),
         f"{line.sku} {code.code if code else ''}".strip(), line.sku],
        [f"Price {money(line.unit_price_cents)} {'a ' + line.uom.lower() if weights.is_weighed(line.uom) else 'each'}",
         money(line.unit_price_cents)],
    ]
    return rows
