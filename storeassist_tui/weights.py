"""Weighed lines (sold by the pound or the kilogram): amounts, what a scale label weighs, the
store's tolerance, prices. Amounts are whole thousandths of the line's unit ("milli"), so that
no float ever decides whether a line is complete.

Pure: standard library and barcodes only; used by the store's rules and the screens alike.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from storeassist_tui.barcodes import Scan

EACH = "EACH"
# The units a platform may send, as (the unit a line is kept in, thousandths of it per one sent).
UNITS: dict[str, tuple[str, Decimal]] = {
    "LB": ("LB", Decimal(1000)), "LBS": ("LB", Decimal(1000)), "OZ": ("LB", Decimal("62.5")),
    "KG": ("KG", Decimal(1000)), "KGS": ("KG", Decimal(1000)), "G": ("KG", Decimal(1)),
}
LB_PER_KG = Decimal("2.20462262185")
MAX_MILLI = 999_999  # 999.999 lb or kg on one line: more is a typing slip, not an order
DEFAULT_TOLERANCE_PCT = 10


def is_weighed(uom: str) -> bool:
    return uom.strip().upper() in UNITS


def to_milli(value: Decimal, uom: str) -> tuple[str, int]:
    """An amount as sent (2.5 LB, 750 G) as the line keeps it: ("LB", 2500), ("KG", 750)."""
    unit, per = UNITS[uom.strip().upper()]
    return unit, int((value * per).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def shown(milli: int, uom: str) -> str:
    """An amount for a screen: "2.47 lb", "0.75 kg" (two decimals: what a scale label prints)."""
    amount = (Decimal(milli) / 1000).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{amount} {uom.lower()}"


def sent(milli: int) -> float:
    """An amount as the platform's `qty.value`: a number with up to three decimals."""
    return float(Decimal(milli) / 1000)


def bounds(ordered_milli: int, tolerance_pct: int) -> tuple[int, int]:
    """The least that completes a line and the most it may hold: the ordered amount +- the
    store's tolerance (a 2.5 lb order at 10% takes 2.25 to 2.75 lb)."""
    slack = ordered_milli * tolerance_pct // 100
    return ordered_milli - slack, ordered_milli + slack


def price_cents(unit_price_cents: int, milli: int) -> int:
    """What `milli` thousandths of a unit cost at `unit_price_cents` a unit, to the cent."""
    return int((Decimal(unit_price_cents) * milli / 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def scan_milli(scan: Scan, uom: str, unit_price_cents: int) -> int | None:
    """What a scale label says the package weighs, in the line's unit: a GS1 net weight (310x in
    kg, 320x in lb) or a price-embedded label's price divided by the price per unit. None when
    the label carries neither (an ordinary barcode of a weighed item)."""
    kg, lb = scan.weight_kg, scan.weight_lb
    if kg is not None:
        amount = Decimal(kg) * (LB_PER_KG if uom == "LB" else 1)
    elif lb is not None:
        amount = Decimal(lb) / (LB_PER_KG if uom == "KG" else 1)
    elif scan.price_cents is not None and unit_price_cents > 0:
        amount = Decimal(scan.price_cents) / unit_price_cents
    else:
        return None
    return int((amount * 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP))
