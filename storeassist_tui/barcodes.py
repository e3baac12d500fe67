"""Barcode normalisation: clean a keyboard-wedge scan, classify it, check its digits.

A scan and a catalogue code match when their key sets intersect: ``interpret(raw).keys``
on the scan side, ``match_keys(code, code_type)`` on the catalogue side. Keys are
``"GTIN:" + gtin14`` (UPC-A, UPC-E, EAN-8/13 and GTIN-14 all meet there), ``"PE:2IIIII"``
(price-embedded UPC item number) and ``"SKU:" + upper-case text``.

Pure: standard library only, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

__all__ = [
    "MAX_SCAN_LENGTH",
    "BadCheckDigit",
    "BarcodeError",
    "EmptyScan",
    "Scan",
    "ScanTooLong",
    "clean_scan",
    "gtin_check_digit",
    "interpret",
    "is_valid_gtin",
    "match_keys",
    "parse_gs1",
    "sku_key",
    "to_gtin14",
    "upca_to_upce",
    "upce_to_upca",
]

MAX_SCAN_LENGTH: int = 64

GS = "\x1d"
_GTIN_LENGTHS = frozenset({8, 12, 13, 14})
_GS1_SYMBOLOGIES = frozenset({"]C1", "]e0", "]d2", "]Q3", "]J1"})
_SYMBOLOGY_ID = re.compile(r"\][A-Za-z][0-9]")
_GS_TEXT = re.compile(r"<(?:GS|FNC1)>", re.IGNORECASE)
_BRACKETED_AI = re.compile(r"\((\d{2,4})\)")
_SHOWN_MAX = 24


class BarcodeError(ValueError):
    """A scan that cannot be used; str(exc) is one clear line for a store associate."""


class BadCheckDigit(BarcodeError):
    """The digits were read but their check digit is wrong: a misread or a misprint."""


class EmptyScan(BarcodeError):
    """Nothing is left of the scan once prefixes, suffixes and control characters go."""


class ScanTooLong(BarcodeError):
    """More characters than one scan can hold: a paste or a stuck key, not a barcode."""


def _shown(text: str) -> str:
    """The text as it may appear in a one-line message on a VT220: printable ASCII, short."""
    safe = "".join(ch if " " <= ch <= "~" else "?" for ch in text[: _SHOWN_MAX + 1])
    return safe if len(safe) <= _SHOWN_MAX else safe[: _SHOWN_MAX - 3] + "..."


def _bad_check(code: str) -> BadCheckDigit:
    return BadCheckDigit(f"Bad check digit in {_shown(code)} - scan again")


def _too_long(length: int, max_len: int) -> ScanTooLong:
    return ScanTooLong(f"Scan too long ({length} characters, at most {max_len})")


def _is_digits(text: str) -> bool:
    # str.isdigit alone accepts superscripts and non-Latin digits.
    return text.isascii() and text.isdigit()


# --- GTIN check digits -------------------------------------------------------------------


def gtin_check_digit(body: str) -> int:
    """The GS1 mod-10 check digit of ``body`` (all digits but the check digit)."""
    if not _is_digits(body):
        raise BarcodeError(f"Not a number: {_shown(body)}")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return -total % 10


def _check_ok(code: str) -> bool:
    """``code`` is digits whose last one is the check digit of the others."""
    return len(code) >= 2 and _is_digits(code) and gtin_check_digit(code[:-1]) == int(code[-1])


def is_valid_gtin(code: str) -> bool:
    """8, 12, 13 or 14 digits with a correct check digit."""
    return len(code) in _GTIN_LENGTHS and _check_ok(code)


def to_gtin14(code: str) -> str:
    """A GTIN-8/12/13/14 as 14 digits, zero-padded on the left.

    Raises BadCheckDigit on a wrong check digit, BarcodeError if not 8/12/13/14 digits.
    """
    if not (_is_digits(code) and len(code) in _GTIN_LENGTHS):
        raise BarcodeError(f"Not a GTIN: {_shown(code)} (needs 8, 12, 13 or 14 digits)")
    if not _check_ok(code):
        raise _bad_check(code)
    return code.zfill(14)


# --- UPC-E -----------------------------------------------------------------------------


def upce_to_upca(upce: str) -> str:
    """Expand a UPC-E to its 12-digit UPC-A.

    Takes 8 digits (number system 0 or 1, six digits, check digit), 7 digits (number
    system and six digits) or 6 digits (number system 0 assumed). Raises BadCheckDigit
    when a given check digit is wrong, BarcodeError on anything else that is not a UPC-E.
    """
    if not (_is_digits(upce) and 6 <= len(upce) <= 8):
        raise BarcodeError(f"Not a UPC-E: {_shown(upce)} (needs 6, 7 or 8 digits)")
    full = "0" + upce if len(upce) == 6 else upce
    system, d = full[0], full[1:7]
    if system not in "01":
        raise BarcodeError(f"Not a UPC-E: {_shown(upce)} (must start with 0 or 1)")
    last = d[5]
    if last in "012":
        body = d[0:2] + last + "0000" + d[2:5]
    elif last == "3":
        body = d[0:3] + "00000" + d[3:5]
    elif last == "4":
        body = d[0:4] + "00000" + d[4]
    else:
        body = d[0:5] + "0000" + last
    upca_body = system + body
    check = gtin_check_digit(upca_body)
    if len(full) == 8 and int(full[7]) != check:
        raise _bad_check(upce)
    return f"{upca_body}{check}"


def upca_to_upce(upca: str) -> str | None:
    """The 8-digit UPC-E of a zero-suppressible UPC-A, or None if it has none.

    Raises BarcodeError if ``upca`` is not 12 digits, BadCheckDigit on a wrong check digit.
    """
    if not (_is_digits(upca) and len(upca) == 12):
        raise BarcodeError(f"Not a UPC-A: {_shown(upca)} (needs 12 digits)")
    if not _check_ok(upca):
        raise _bad_check(upca)
    system, maker, item, check = upca[0], upca[1:6], upca[6:11], upca[11]
    if system not in "01":
        return None
    # The order of these rules picks the one UPC-E form the standard prints.
    if maker[2:] in ("000", "100", "200") and item.startswith("00"):
        six = maker[:2] + item[2:] + maker[2]
    elif maker[3:] == "00" and item.startswith("000"):
        six = maker[:3] + item[3:] + "3"
    elif maker[4] == "0" and item.startswith("0000"):
        six = maker[:4] + item[4] + "4"
    elif item.startswith("0000") and item[4] >= "5":
        six = maker + item[4]
    else:
        return None
    return system + six + check


# --- GS1 element strings ---------------------------------------------------------------


@dataclass(frozen=True)
class _AISpec:
    fixed: int | None  # the value's length when fixed, None when variable
    max_len: int
    numeric: bool
    min_len: int = 1
    check_digit: bool = False
    date: bool = False


def _fixed(length: int, *, check_digit: bool = False, date: bool = False) -> _AISpec:
    return _AISpec(length, length, True, length, check_digit, date)


def _variable(max_len: int, *, numeric: bool = False, min_len: int = 1) -> _AISpec:
    return _AISpec(None, max_len, numeric, min_len)


def _ai_table() -> dict[str, _AISpec]:
    # GS1 AIs are prefix-free (the first two digits fix the AI's length), which is what
    # lets the parser read an AI without a length table of its own.
    table: dict[str, _AISpec] = {
        "00": _fixed(18, check_digit=True),  # SSCC
        "01": _fixed(14, check_digit=True),  # GTIN
        "02": _fixed(14, check_digit=True),  # GTIN of contained trade items
        "10": _variable(20),  # batch or lot
        "20": _fixed(2),  # variant
        "21": _variable(20),  # serial number
        "22": _variable(20),  # consumer product variant
        "30": _variable(8, numeric=True),  # variable count
        "37": _variable(8, numeric=True),  # count of trade items
        "240": _variable(30),
        "241": _variable(30),
        "250": _variable(30),
        "251": _variable(30),
        "254": _variable(20),
        "400": _variable(30),  # customer's purchase order number
        "401": _variable(30),
        "410": _fixed(13, check_digit=True),  # ship to GLN
        "414": _fixed(13, check_digit=True),  # physical location GLN
        "7003": _fixed(10),  # expiration date and time
        "8020": _variable(25),  # payment slip reference
    }
    for ai in ("11", "12", "13", "15", "16", "17"):  # dates YYMMDD
        table[ai] = _fixed(6, date=True)
    for measure in ("310", "311", "312", "313", "314", "315", "316", "320"):
        for decimals in range(6):
            table[f"{measure}{decimals}"] = _fixed(6)
    for decimals in range(10):
        table[f"392{decimals}"] = _variable(15, numeric=True)  # amount payable
        table[f"393{decimals}"] = _variable(18, numeric=True, min_len=4)  # ISO currency + amount
    table["90"] = _variable(30)
    for n in range(91, 100):  # company internal
        table[str(n)] = _variable(90)
    return table


_AIS: dict[str, _AISpec] = _ai_table()


def _ai_at(text: str, pos: int) -> str:
    for size in (2, 3, 4):
        if text[pos : pos + size] in _AIS:
            return text[pos : pos + size]
    rest = text[pos : pos + 4]
    if len(rest) < 4 and _is_digits(rest) and any(ai.startswith(rest) for ai in _AIS):
        raise BarcodeError("GS1 data is cut short - scan again")
    raise BarcodeError(f"Unknown GS1 field ({_shown(rest)}) - scan again")


def _check_value(ai: str, value: str) -> None:
    spec = _AIS[ai]
    if len(value) < spec.min_len:
        raise BarcodeError(f"GS1 field ({ai}) is cut short - scan again")
    if len(value) > spec.max_len:
        raise BarcodeError(f"GS1 field ({ai}) is too long - scan again")
    if spec.numeric and not _is_digits(value):
        raise BarcodeError(f"GS1 field ({ai}) must be digits - scan again")
    if spec.check_digit and not _check_ok(value):
        raise _bad_check(value)
    if spec.date and not ("01" <= value[2:4] <= "12" and value[4:6] <= "31"):
        raise BarcodeError(f"GS1 field ({ai}) is not a date - scan again")


def _store(fields: dict[str, str], ai: str, value: str) -> None:
    _check_value(ai, value)
    if fields.setdefault(ai, value) != value:
        raise BarcodeError(f"GS1 field ({ai}) appears twice - scan again")


def _parse_element_string(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        if text[pos] == GS:
            pos += 1
            continue
        ai = _ai_at(text, pos)
        pos += len(ai)
        spec = _AIS[ai]
        if spec.fixed is not None:
            value = text[pos : pos + spec.fixed]
            if len(value) < spec.fixed or GS in value:
                raise BarcodeError(f"GS1 field ({ai}) is cut short - scan again")
        else:
            end = text.find(GS, pos)
            value = text[pos : len(text) if end < 0 else end]
        pos += len(value)
        _store(fields, ai, value)
    return fields


def _parse_bracketed(text: str) -> dict[str, str]:
    """The human-readable form ``(01)10012345678902(10)LOT42``, as typed by hand."""
    parts = _BRACKETED_AI.split(text.replace(GS, ""))
    fields: dict[str, str] = {}
    for ai, value in zip(parts[1::2], parts[2::2], strict=False):
        if ai not in _AIS:
            raise BarcodeError(f"Unknown GS1 field ({ai}) - scan again")
        _store(fields, ai, value.strip())
    return fields


def _parse_gs1_text(text: str) -> dict[str, str]:
    if _BRACKETED_AI.match(text):
        return _parse_bracketed(text)
    return _parse_element_string(text)


def parse_gs1(data: str) -> dict[str, str]:
    """A GS1 element string as ``{AI: value}``.

    Accepts a leading symbology identifier (``]C1``, ``]d2``...), a leading FNC1 (GS,
    ``<FNC1>``), GS or ``<GS>`` between fields, and the bracketed ``(01)...(10)...`` form.
    Raises BarcodeError on an unknown AI, a cut-short or over-long field, BadCheckDigit
    when AI 00, 01, 02, 410 or 414 has a wrong check digit.
    """
    text, _ = _clean(data, None, keep_gs=True)
    return _parse_gs1_text(text)


def _decimal_text(value: str, decimals: int) -> str:
    return format(Decimal(int(value)).scaleb(-decimals), "f")


# --- cleaning --------------------------------------------------------------------------


def _is_noise(ch: str) -> bool:
    """A control, format or unassigned character: never part of a code."""
    return unicodedata.category(ch)[0] == "C"


def _lstrip_noise(text: str) -> tuple[str, bool]:
    """Drop leading whitespace and control characters; also say whether a GS was among them."""
    pos = 0
    while pos < len(text) and (text[pos].isspace() or _is_noise(text[pos])):
        pos += 1
    return text[pos:], GS in text[:pos]


def _starts_with_ai(text: str) -> bool:
    return any(text[:size] in _AIS for size in (2, 3, 4))


def _clean(raw: str, max_len: int | None, keep_gs: bool | None = None) -> tuple[str, bool]:
    """The cleaned text and whether it is GS1 data (so its GS separators were kept).

    ``keep_gs`` None decides from the scan; ``max_len`` None sets no length limit.
    """
    if max_len is not None and len(raw) > max_len * 4:
        raise _too_long(len(raw), max_len)
    text, leading_fnc1 = _lstrip_noise(_GS_TEXT.sub(GS, raw))
    symbology = ""
    if _SYMBOLOGY_ID.match(text):
        symbology, text = text[:3], text[3:]
        text, leading_fnc1 = _lstrip_noise(text)
    if keep_gs is None:
        keep_gs = (
            symbology in _GS1_SYMBOLOGIES
            or leading_fnc1
            or (GS in text and _starts_with_ai(text))
        )
    text = "".join(ch for ch in text if not _is_noise(ch) or (keep_gs and ch == GS))
    text = text.strip()  # str.strip also drops a trailing GS, which separates nothing
    if not text:
        raise EmptyScan("Nothing was scanned - scan again")
    if max_len is not None and len(text) > max_len:
        raise _too_long(len(text), max_len)
    return text, keep_gs


def clean_scan(raw: str, max_len: int = MAX_SCAN_LENGTH) -> str:
    """The scan without whitespace, scanner prefixes/suffixes or control characters.

    Strips a leading AIM symbology identifier (``]`` + letter + digit) and FNC1, trailing
    CR/LF/Tab and every control character except the GS separators of GS1 data; the text
    ``<GS>`` counts as a GS. Raises ScanTooLong above ``max_len`` characters (checked on
    the raw input at four times the limit, before any work), EmptyScan if nothing is left.
    """
    return _clean(raw, max_len)[0]


def sku_key(text: str) -> str:
    """The match key of ``text`` read as a SKU (e.g. digits whose check digit failed)."""
    cleaned, _ = _clean(text, None, keep_gs=False)
    return "SKU:" + cleaned.upper()


# --- interpretation --------------------------------------------------------------------


@dataclass(frozen=True)
class Scan:
    """One usable scan: what it is and the keys to find it among catalogue codes."""

    text: str
    kind: str  # "gtin" | "upce" | "gs1" | "price_embedded" | "text"
    gtin14: str | None
    keys: tuple[str, ...]
    price_cents: int | None = None
    weight_kg: str | None = None
    lot: str | None = None
    weight_lb: str | None = None
    serial: str | None = None


def _gtin_key(gtin14: str) -> str:
    return "GTIN:" + gtin14


def _looks_like_gs1(text: str, gs1_marked: bool) -> bool:
    if gs1_marked or GS in text or _BRACKETED_AI.match(text):
        return True
    if not (text.startswith("01") and _is_digits(text[2:16]) and len(text) >= 16):
        return False
    # Without a symbology id a bare "01" + GTIN-14 is 16 digits; a 16-digit SKU would
    # rarely carry a valid GTIN check digit in the right place.
    return len(text) > 16 or _check_ok(text[2:16])


def _gs1_scan(text: str) -> Scan:
    fields = _parse_gs1_text(text)
    gtin14 = fields.get("01") or fields.get("02")
    keys = [_gtin_key(gtin14)] if gtin14 else []
    if _is_digits(text):
        keys.append("SKU:" + text)
    weight_kg = weight_lb = price_cents = None
    for ai, value in fields.items():
        if ai.startswith("310"):
            weight_kg = _decimal_text(value, int(ai[3]))
        elif ai.startswith("320"):  # net weight in pounds
            weight_lb = _decimal_text(value, int(ai[3]))
        elif ai.startswith("392"):
            cents = Decimal(int(value)).scaleb(2 - int(ai[3]))
            if cents == cents.to_integral_value():
                price_cents = int(cents)
    return Scan(
        text=text,
        kind="gs1",
        gtin14=gtin14,
        keys=tuple(keys),
        price_cents=price_cents,
        weight_kg=weight_kg,
        weight_lb=weight_lb,
        lot=fields.get("10"),
        serial=fields.get("21"),
    )


def _price_embedded_upca(text: str) -> str | None:
    """The 12-digit price-embedded UPC-A in ``text``, also when sent as an EAN-13."""
    upca = text[1:] if len(text) == 13 and text.startswith("02") else text
    if len(upca) == 12 and upca.startswith("2") and _check_ok(upca):
        return upca
    return None


def _upce_reading(code: str) -> str | None:
    """The GTIN-14 of an 8-digit code read as a UPC-E, if that reading is valid."""
    if code[0] not in "01":
        return None
    try:
        return upce_to_upca(code).zfill(14)
    except BarcodeError:
        return None


def _digits_scan(text: str) -> Scan:
    """An all-digit scan that is not GS1 data."""
    sku = "SKU:" + text
    upca = _price_embedded_upca(text)
    if upca is not None:
        # Layout 2 IIIII P DDDD C. The price check digit P is not verified: scale
        # labels differ in how they fill it, and the final check digit C guards the read.
        gtin14 = text.zfill(14)
        return Scan(
            text=text,
            kind="price_embedded",
            gtin14=None,
            keys=("PE:" + upca[:6], _gtin_key(gtin14), sku),
            price_cents=int(upca[7:11]),
        )
    if len(text) == 8:
        ean8 = text.zfill(14) if _check_ok(text) else None
        upce = _upce_reading(text)
        if ean8 is None and upce is None:
            raise _bad_check(text)
        readings = [g for g in (ean8, upce) if g is not None]
        kind = "gtin" if ean8 is not None else "upce"
        keys = (*tuple(_gtin_key(g) for g in readings), sku)
        return Scan(text=text, kind=kind, gtin14=readings[0], keys=keys)
    if len(text) in _GTIN_LENGTHS:
        gtin14 = to_gtin14(text)
        return Scan(text=text, kind="gtin", gtin14=gtin14, keys=(_gtin_key(gtin14), sku))
    return Scan(text=text, kind="text", gtin14=None, keys=(sku,))


def _classify(text: str, gs1_marked: bool) -> Scan:
    if _looks_like_gs1(text, gs1_marked):
        return _gs1_scan(text)
    if _is_digits(text):
        return _digits_scan(text)
    return Scan(text=text, kind="text", gtin14=None, keys=("SKU:" + text.upper(),))


def interpret(raw: str, max_len: int = MAX_SCAN_LENGTH) -> Scan:
    """Clean and classify one scan (or one typed code).

    Raises EmptyScan, ScanTooLong, BadCheckDigit (8, 12, 13 or 14 digits, or AI 01,
    with a wrong check digit: the caller may retry the text as a SKU with ``sku_key``)
    and BarcodeError on malformed GS1 data.
    """
    text, gs1_marked = _clean(raw, max_len)
    return _classify(text, gs1_marked)


# --- catalogue codes -------------------------------------------------------------------

_GTIN_TYPES = frozenset(
    {"UPC", "UPCA", "GTIN", "GTIN8", "GTIN12", "GTIN13", "GTIN14", "EAN", "EAN13", "EAN8"}
)
_UPCE_TYPES = frozenset({"UPCE", "UPCE0", "UPCE1"})
_PRICE_EMBEDDED_TYPES = frozenset({"PRICEEMBEDDEDUPC"})


def _gtin_keys(code: str, code_type: str) -> frozenset[str]:
    """GTIN keys of a catalogue code; empty when no reading of it is valid."""
    if not (_is_digits(code) and 8 <= len(code) <= 14):
        return frozenset()
    keys = set()
    # 9 to 11 digits are taken as a UPC whose leading zeros a spreadsheet dropped.
    if _check_ok(code):
        keys.add(_gtin_key(code.zfill(14)))
    if len(code) == 8 and code_type != "EAN8":
        upce = _upce_reading(code)
        if upce is not None:
            keys.add(_gtin_key(upce))
    return frozenset(keys)


def _catalogue_keys(code: str, code_type: str | None) -> frozenset[str]:
    if code_type is None:
        text, gs1_marked = _clean(code, None)
        try:
            return frozenset(_classify(text, gs1_marked).keys)
        except BarcodeError:
            return frozenset({sku_key(text)})
    text, _ = _clean(code, None, keep_gs=False)
    kind = re.sub(r"[\s_-]", "", code_type).upper()
    keys: frozenset[str] = frozenset()
    if kind in _GTIN_TYPES:
        keys = _gtin_keys(text, kind)
    elif kind in _UPCE_TYPES:
        try:
            keys = frozenset({_gtin_key(upce_to_upca(text).zfill(14))})
        except BarcodeError:
            if len(text) in (12, 13, 14):  # sent already expanded
                keys = _gtin_keys(text, kind)
    elif kind in _PRICE_EMBEDDED_TYPES:
        upca = text[1:] if len(text) == 13 and text.startswith("02") else text
        if _is_digits(upca) and len(upca) >= 6:
            keys = frozenset({"PE:" + upca[:6]})
    return keys or frozenset({"SKU:" + text.upper()})


def match_keys(code: str, code_type: str | None = None) -> frozenset[str]:
    """The match keys of a catalogue code as the commerce platform sends it.

    ``code_type`` is the platform's barcodeType (SKU, UPC, UPCA, GTIN, EAN13, EAN8, UPCE0,
    PRICE_EMBEDDED_UPC, DISA, UAB, CODABAR) or None to guess as ``interpret`` does. Never
    raises: a code whose check digit is wrong falls back to its SKU key, so that a
    catalogue mistake cannot stop an order's intake; an empty code has no keys.
    """
    try:
        return _catalogue_keys(code, code_type)
    except EmptyScan:
        return frozenset()


def is_item_code(text: str) -> bool:
    """A product barcode (GTIN, UPC-E, GS1, scale label): never an order number or a location."""
    try:
        return interpret(text).kind in ("gtin", "upce", "gs1", "price_embedded")
    except BarcodeError:
        return False
