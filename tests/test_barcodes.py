"""Tests of storeassist_tui.barcodes: check digits, UPC-E, GS1, cleaning, match keys."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storeassist_tui.barcodes import (
    MAX_SCAN_LENGTH,
    BadCheckDigit,
    BarcodeError,
    EmptyScan,
    ScanTooLong,
    clean_scan,
    gtin_check_digit,
    interpret,
    is_valid_gtin,
    match_keys,
    parse_gs1,
    sku_key,
    to_gtin14,
    upca_to_upce,
    upce_to_upca,
)

GS = "\x1d"
GTIN14 = "10012345678902"
CATALOGUE_TYPES = [
    None, "SKU", "UPC", "UPCA", "GTIN", "EAN13", "EAN8", "UPCE0",
    "PRICE_EMBEDDED_UPC", "DISA", "UAB", "CODABAR",
]


def ref_check(body: str) -> str:
    """GS1 mod-10 written another way: pad to 17 digits, weight 3,1,3... from the left."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(body.rjust(17, "0")))
    return str((10 - total % 10) % 10)


def with_check(body: str) -> str:
    return body + ref_check(body)


def digits(size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=size, max_size=size)


def refusal(call: Callable[[], object]) -> BarcodeError:
    with pytest.raises(BarcodeError) as info:
        call()
    return info.value


def assert_one_line(exc: BaseException) -> None:
    message = str(exc)
    assert message
    assert "\n" not in message and "\r" not in message
    assert len(message) < 80, message
    assert message.isprintable(), message


# --- check digits ----------------------------------------------------------------------

KNOWN_GTINS = [
    "036000291452",  # UPC-A
    "012345678905",  # UPC-A of the platform contract's example
    "4006381333931",  # EAN-13
    "5901234123457",  # EAN-13
    "96385074",  # EAN-8
    "10012345678902",  # GTIN-14
    "00012345600012",  # GTIN-14
]


@pytest.mark.parametrize("code", KNOWN_GTINS)
def test_known_check_digits_are_valid(code: str) -> None:
    assert gtin_check_digit(code[:-1]) == int(code[-1])
    assert is_valid_gtin(code)
    assert to_gtin14(code) == code.rjust(14, "0")


@pytest.mark.parametrize("code", KNOWN_GTINS)
def test_a_wrong_check_digit_is_refused(code: str) -> None:
    bad = code[:-1] + str((int(code[-1]) + 1) % 10)
    assert not is_valid_gtin(bad)
    with pytest.raises(BadCheckDigit):
        to_gtin14(bad)
    with pytest.raises(BadCheckDigit):
        interpret(bad)


def test_bad_check_digit_message_names_the_code() -> None:
    with pytest.raises(BadCheckDigit) as info:
        interpret("012345678906")
    assert str(info.value) == "Bad check digit in 012345678906 - scan again"


@pytest.mark.parametrize("code", ["", "1234567", "12345678901", "123456789012345", "03600029145X",
                                  "０３６０００２９１４５２", "036000 291452"])
def test_to_gtin14_refuses_what_is_not_8_12_13_or_14_digits(code: str) -> None:
    exc = refusal(lambda: to_gtin14(code))
    assert not isinstance(exc, BadCheckDigit)
    assert not is_valid_gtin(code)


def test_gtin_check_digit_refuses_non_digits() -> None:
    refusal(lambda: gtin_check_digit("12a4"))
    refusal(lambda: gtin_check_digit(""))


@given(st.sampled_from([7, 11, 12, 13]).flatmap(digits))
def test_any_body_with_its_check_digit_is_valid(body: str) -> None:
    assert gtin_check_digit(body) == int(ref_check(body))
    assert is_valid_gtin(with_check(body))


@given(st.sampled_from([7, 11, 12, 13]).flatmap(digits), st.data())
def test_changing_any_one_digit_breaks_the_check(body: str, data: st.DataObject) -> None:
    code = with_check(body)
    pos = data.draw(st.integers(0, len(code) - 1))
    new = data.draw(st.sampled_from([d for d in "0123456789" if d != code[pos]]))
    changed = code[:pos] + new + code[pos + 1 :]
    assert not is_valid_gtin(changed)
    with pytest.raises(BadCheckDigit):
        to_gtin14(changed)


@given(st.sampled_from("01").flatmap(lambda ns: digits(10).map(lambda d: ns + d)))
def test_upca_ean13_and_gtin14_forms_are_one_item(body: str) -> None:
    upca = with_check(body)
    forms = [upca, "0" + upca, "00" + upca]
    assert {to_gtin14(form) for form in forms} == {"00" + upca}
    for form in forms:
        scan_keys = set(interpret(form).keys)
        assert scan_keys & match_keys(upca, "UPC")
        assert scan_keys & match_keys("0" + upca, "EAN13")
        assert scan_keys & match_keys("00" + upca, "GTIN")


# --- UPC-E -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("upce", "upca_body"),
    [
        ("04252614", "04210000526"),  # last digit 0-2: maker 42100, item 00526
        ("01234565", "01234500006"),  # last digit 5-9: maker 12345, item 00006
        ("0" + "123450", "01200000345"),  # last digit 0
        ("1" + "123453", "11230000045"),  # last digit 3, number system 1
        ("0" + "123454", "01234000005"),  # last digit 4
    ],
)
def test_upce_expands_per_the_rule_table(upce: str, upca_body: str) -> None:
    upca = with_check(upca_body)
    full = upce if len(upce) == 8 else upce + upca[-1]
    assert upce_to_upca(full) == upca
    assert upce_to_upca(full[:7]) == upca
    if full[0] == "0":
        assert upce_to_upca(full[1:7]) == upca
    assert upca_to_upce(upca) == full


def test_upce_known_example_and_its_scan() -> None:
    assert upce_to_upca("04252614") == "042100005264"
    scan = interpret("04252614")
    assert scan.kind == "upce"
    assert scan.gtin14 == "00042100005264"
    assert "GTIN:00042100005264" in scan.keys
    assert set(scan.keys) & match_keys("042100005264", "UPCA")


def test_upce_refusals() -> None:
    with pytest.raises(BadCheckDigit):
        upce_to_upca("04252615")
    assert not isinstance(refusal(lambda: upce_to_upca("24252614")), BadCheckDigit)
    assert not isinstance(refusal(lambda: upce_to_upca("12345")), BadCheckDigit)
    assert not isinstance(refusal(lambda: upce_to_upca("0425261a")), BadCheckDigit)


def test_upca_to_upce_none_when_not_zero_suppressible() -> None:
    assert upca_to_upce("036000291452") is None
    assert upca_to_upce(with_check("21200000345")) is None  # number system 2
    with pytest.raises(BadCheckDigit):
        upca_to_upce("036000291453")
    assert not isinstance(refusal(lambda: upca_to_upce("96385074")), BadCheckDigit)


def _is_canonical_upce(six: str) -> bool:
    """The form a printer uses: the other forms name a UPC-A with a shorter UPC-E rule."""
    last = six[5]
    if last == "3":
        return six[2] not in "012"
    if last == "4":
        return six[3] != "0"
    if last >= "5":
        return six[4] != "0"
    return True


@given(st.sampled_from("01"), digits(6))
def test_upce_upca_round_trip(system: str, six: str) -> None:
    upca = upce_to_upca(system + six)
    assert len(upca) == 12 and upca[0] == system
    assert upca[-1] == ref_check(upca[:-1])
    upce = upca_to_upce(upca)
    assert upce is not None
    assert upce_to_upca(upce) == upca
    if _is_canonical_upce(six):
        assert upce == system + six + upca[-1]
    assert match_keys(upce, "UPCE0") == match_keys(upca, "UPCA")
    assert set(interpret(upce).keys) & match_keys(upca, "UPC")


@given(st.sampled_from("01"), st.text(alphabet="0000000000123456789", min_size=10, max_size=10))
def test_upca_to_upce_only_returns_codes_that_expand_back(system: str, rest: str) -> None:
    body = system + rest
    upca = with_check(body)
    upce = upca_to_upce(upca)
    if upce is not None:
        assert upce_to_upca(upce) == upca


# --- 8 digits: EAN-8 or UPC-E ----------------------------------------------------------


def test_ean8_scan() -> None:
    scan = interpret("96385074")
    assert scan.kind == "gtin"
    assert scan.gtin14 == "00000096385074"
    assert set(scan.keys) == {"GTIN:00000096385074", "SKU:96385074"}
    assert set(scan.keys) & match_keys("96385074", "EAN8")


def test_eight_digits_valid_both_ways_keep_both_readings() -> None:
    # As EAN-8: 0000015 + check 4; as UPC-E 0 00015 4: maker 00001, item 00005.
    assert upce_to_upca("00000154") == "000001000054"
    scan = interpret("00000154")
    assert scan.kind == "gtin"
    assert scan.gtin14 == "00000000000154"
    assert set(scan.keys) == {"GTIN:00000000000154", "GTIN:00000001000054", "SKU:00000154"}


@given(st.sampled_from("01"), digits(7))
def test_eight_digits_keep_every_valid_reading(system: str, rest: str) -> None:
    code = system + rest
    ean8 = ref_check(code[:7]) == code[7]
    upca_body = upce_to_upca(code[:7])[:-1]
    upce = ref_check(upca_body) == code[7]
    if not (ean8 or upce):
        with pytest.raises(BadCheckDigit):
            interpret(code)
        return
    scan = interpret(code)
    expected = {"SKU:" + code}
    if ean8:
        expected.add("GTIN:000000" + code)
    if upce:
        expected.add("GTIN:00" + upca_body + code[7])
    assert set(scan.keys) == expected
    assert scan.kind == ("upce" if upce and not ean8 else "gtin")


# --- GS1 -------------------------------------------------------------------------------

GS1_FIELDS = {"01": GTIN14, "10": "LOT42", "21": "SER9"}
SSCC = with_check("00614141123456789")
BAD_SSCC = SSCC[:-1] + str((int(SSCC[-1]) + 1) % 10)
GS1_BODY = "01" + GTIN14 + "10LOT42" + GS + "21SER9"


@pytest.mark.parametrize(
    "raw",
    [
        "]C1" + GS1_BODY,
        "]C1" + GS1_BODY.replace(GS, "<GS>"),
        "]C1" + GS1_BODY.replace(GS, "<gs>") + "\r\n",
        "]d2" + GS1_BODY,
        "]Q3" + GS1_BODY,
        "]e0" + GS1_BODY,
        GS + GS1_BODY,
        "<FNC1>" + GS1_BODY,
        GS1_BODY,
        "(01)" + GTIN14 + "(10)LOT42(21)SER9",
        "(01) " + GTIN14 + " (10) LOT42 (21) SER9\t",
        "01" + GTIN14 + "21SER9" + GS + "10LOT42",
    ],
)
def test_gs1_forms_parse_to_the_same_fields(raw: str) -> None:
    assert parse_gs1(raw) == GS1_FIELDS
    scan = interpret(raw)
    assert scan.kind == "gs1"
    assert scan.gtin14 == GTIN14
    assert scan.lot == "LOT42"
    assert scan.serial == "SER9"
    assert "GTIN:" + GTIN14 in scan.keys
    assert set(scan.keys) & match_keys(GTIN14, "GTIN")


def test_gs1_keeps_gs_in_the_cleaned_text_only_between_fields() -> None:
    assert clean_scan("]C1" + GS1_BODY + GS + "\r\n") == GS1_BODY
    assert interpret("]d2" + GS1_BODY).text == GS1_BODY


def test_gs1_upc_a_inside_ai_01_matches_the_upc_catalogue_code() -> None:
    scan = interpret("]C10100036000291452" + "17251231")
    assert scan.gtin14 == "00036000291452"
    assert set(scan.keys) & match_keys("036000291452", "UPC")


@pytest.mark.parametrize(
    ("ai", "value", "expected"),
    [("3103", "001250", "1.250"), ("3100", "001250", "1250"), ("3102", "001250", "12.50"),
     ("3105", "123456", "1.23456"), ("3101", "000000", "0.0")],
)
def test_gs1_net_weight(ai: str, value: str, expected: str) -> None:
    scan = interpret("]C101" + GTIN14 + ai + value)
    assert scan.weight_kg == expected
    assert parse_gs1("01" + GTIN14 + ai + value)[ai] == value


def test_gs1_price_and_count_fields() -> None:
    fields = parse_gs1("]C1" + "01" + GTIN14 + "3922" + "1299" + GS + "37" + "12" + GS
                       + "3930978" + "500" + GS + "8020" + "REF-1")
    assert fields == {"01": GTIN14, "3922": "1299", "37": "12", "3930": "978500",
                      "8020": "REF-1"}
    assert interpret("]C1" + "01" + GTIN14 + "3921" + "1299").price_cents == 12990


def test_gs1_without_a_gtin_has_no_gtin_key() -> None:
    scan = interpret("]C100" + SSCC)
    assert scan.kind == "gs1"
    assert scan.gtin14 is None
    assert not [key for key in scan.keys if key.startswith("GTIN:")]


def test_sixteen_digit_ai_01_without_marker_is_gs1_only_with_a_valid_gtin() -> None:
    assert interpret("01" + GTIN14).gtin14 == GTIN14
    assert set(interpret("01" + GTIN14).keys) == {"GTIN:" + GTIN14, "SKU:01" + GTIN14}
    sku = "01" + GTIN14[:-1] + "3"
    assert interpret(sku).kind == "text"
    assert interpret(sku).keys == ("SKU:" + sku,)


@pytest.mark.parametrize(
    "raw",
    [
        "]C1" + "01" + GTIN14 + "89" + "X1",  # unassigned AI
        "]C1" + "01" + GTIN14 + "3106" + "001250",  # net weight has 0-5 decimals
        "]C1" + "ABC",
        "(01)" + GTIN14 + "(89)X",
        "(01)" + GTIN14 + "(3106)001250",
    ],
)
def test_gs1_unknown_ai_is_refused(raw: str) -> None:
    exc = refusal(lambda: interpret(raw))
    assert "Unknown GS1 field" in str(exc)
    assert_one_line(exc)


@pytest.mark.parametrize(
    "raw",
    [
        "]C1" + "01" + GTIN14[:12],
        "]C1" + "01" + GTIN14[:8] + GS + GTIN14[8:],
        "]C1" + "01" + GTIN14 + "17" + "2512",
        "]C1" + "01" + GTIN14 + "10",
        "]C1" + "01" + GTIN14 + "10" + GS + "21SER9",
        "]C1" + "01" + GTIN14 + "3",
        "]C1" + "01" + GTIN14 + "393" + "1" + "978",
        "(01)" + GTIN14[:12] + "(10)LOT42",
        "(01)" + GTIN14 + "(10)",
    ],
)
def test_gs1_truncated_field_is_refused(raw: str) -> None:
    exc = refusal(lambda: parse_gs1(raw))
    assert not isinstance(exc, BadCheckDigit)
    assert "cut short" in str(exc)
    assert_one_line(exc)
    assert "cut short" in str(refusal(lambda: interpret(raw)))


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("]C1" + "10" + "A" * 21, "too long"),
        ("(01)" + GTIN14 + "0", "too long"),
        ("]C1" + "01" + GTIN14 + "17" + "251331", "not a date"),
        ("]C1" + "01" + GTIN14 + "37" + "12A", "must be digits"),
        ("]C1" + "10" + "A" + GS + "10" + "B", "appears twice"),
    ],
)
def test_gs1_malformed_field_is_refused(raw: str, words: str) -> None:
    exc = refusal(lambda: parse_gs1(raw))
    assert words in str(exc)
    assert_one_line(exc)


@pytest.mark.parametrize(
    "raw",
    [
        "]C1" + "01" + GTIN14[:-1] + "3" + "10LOT42",
        "(01)" + GTIN14[:-1] + "3" + "(10)LOT42",
        "01" + GTIN14[:-1] + "3" + "10LOT42",
        "]C1" + "00" + BAD_SSCC,
    ],
)
def test_gs1_bad_check_digit_inside_a_gtin_field(raw: str) -> None:
    with pytest.raises(BadCheckDigit):
        interpret(raw)
    with pytest.raises(BadCheckDigit):
        parse_gs1(raw)


# --- cleaning --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("036000291452\r\n", "036000291452"),
        ("036000291452\r", "036000291452"),
        ("036000291452\n", "036000291452"),
        ("036000291452\t", "036000291452"),
        ("  ABC-123  ", "ABC-123"),
        ("\x1b036000291452\x07", "036000291452"),
        ("\x02ABC-123\x03\r\n", "ABC-123"),
        ("AB\x7fC\x85D\x9f", "ABCD"),
        ("\ufeffABC\u200b", "ABC"),
        ("AB" + GS + "CD", "ABCD"),
        ("AB<GS>CD", "ABCD"),
        ("]E0036000291452", "036000291452"),
        ("]E496385074", "96385074"),
        ("]C0ABC-123", "ABC-123"),
        ("]A0ABC-123\r\n", "ABC-123"),
        ("\r\n]E0036000291452", "036000291452"),
        ("Sweater blue M", "Sweater blue M"),
    ],
)
def test_clean_scan_strips_scanner_noise(raw: str, expected: str) -> None:
    assert clean_scan(raw) == expected


@given(st.text(max_size=MAX_SCAN_LENGTH * 4))
def test_clean_scan_output_is_free_of_noise(raw: str) -> None:
    try:
        text = clean_scan(raw)
    except BarcodeError as exc:
        assert isinstance(exc, (EmptyScan, ScanTooLong))
        assert_one_line(exc)
        return
    assert text and text == text.strip()
    assert len(text) <= MAX_SCAN_LENGTH
    assert all(ch == GS or ch.isprintable() or ch.isspace() for ch in text)
    assert not any(ch in text for ch in "\r\n\t\x1b\x00\x7f")


@pytest.mark.parametrize("raw", ["", "   ", "\r\n", "\t", "\x1b\x00", "]C1", "]E0\r\n", "<GS>"])
def test_nothing_left_is_an_empty_scan(raw: str) -> None:
    with pytest.raises(EmptyScan):
        clean_scan(raw)
    with pytest.raises(EmptyScan):
        interpret(raw)


def test_a_pasted_page_is_refused_before_any_work() -> None:
    with pytest.raises(ScanTooLong) as info:
        interpret("7" * 10_000)
    assert str(info.value) == "Scan too long (10000 characters, at most 64)"
    # All noise would clean to nothing: ScanTooLong shows the length came first.
    with pytest.raises(ScanTooLong):
        clean_scan("\x00" * 10_000)
    huge = "\x1b" * 5_000_000
    started = time.perf_counter()
    with pytest.raises(ScanTooLong):
        clean_scan(huge)
    assert time.perf_counter() - started < 0.05


def test_length_limits() -> None:
    assert clean_scan("A" * MAX_SCAN_LENGTH) == "A" * MAX_SCAN_LENGTH
    with pytest.raises(ScanTooLong) as info:
        clean_scan("A" * (MAX_SCAN_LENGTH + 1))
    assert str(info.value) == "Scan too long (65 characters, at most 64)"
    padded = "\x00" * (MAX_SCAN_LENGTH * 3) + "A" * MAX_SCAN_LENGTH
    assert clean_scan(padded) == "A" * MAX_SCAN_LENGTH
    with pytest.raises(ScanTooLong):
        clean_scan(padded + "\x00")
    assert clean_scan("ABCD", max_len=4) == "ABCD"
    with pytest.raises(ScanTooLong):
        interpret("ABCDE", max_len=4)


# --- price-embedded UPC ----------------------------------------------------------------


@given(digits(5), digits(1), digits(4))
def test_price_embedded_upc(item: str, price_check: str, price: str) -> None:
    code = with_check("2" + item + price_check + price)
    scan = interpret(code)
    assert scan.kind == "price_embedded"
    assert scan.price_cents == int(price)
    assert "PE:2" + item in scan.keys
    assert "GTIN:00" + code in scan.keys
    catalogue = with_check("2" + item + "00000")
    assert set(scan.keys) & match_keys(catalogue, "PRICE_EMBEDDED_UPC")
    assert set(scan.keys) & match_keys(code, "UPC")
    assert interpret("0" + code).price_cents == int(price)


def test_price_embedded_example() -> None:
    code = with_check("21234501299")
    scan = interpret(code + "\r\n")
    assert (scan.text, scan.price_cents) == (code, 1299)
    assert scan.keys[0] == "PE:212345"
    bad = code[:-1] + str((int(code[-1]) + 1) % 10)
    with pytest.raises(BadCheckDigit):
        interpret(bad)


# --- other text, SKU keys --------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["ABC-123", "abc-123", "]C0abc-123\r\n", "123456", "1234567890", "12345678901"]
)
def test_anything_else_is_a_sku(raw: str) -> None:
    scan = interpret(raw)
    text = clean_scan(raw)
    assert scan.kind == "text"
    assert scan.gtin14 is None
    assert scan.keys == ("SKU:" + text.upper(),)
    assert set(scan.keys) == match_keys(text, "SKU")


def test_a_numeric_sku_typed_by_hand_matches_its_sku_code() -> None:
    assert set(interpret("036000291452").keys) & match_keys("036000291452", "SKU")
    bad = "036000291453"
    with pytest.raises(BadCheckDigit):
        interpret(bad)
    assert sku_key(bad + "\r\n") in match_keys(bad, "SKU")
    assert sku_key(" abc\x1b ") == "SKU:ABC"


# --- catalogue codes -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "code_type", "expected"),
    [
        ("036000291452", "UPC", {"GTIN:00036000291452"}),
        ("036000291452", "UPCA", {"GTIN:00036000291452"}),
        ("0036000291452", "EAN13", {"GTIN:00036000291452"}),
        ("00036000291452", "GTIN", {"GTIN:00036000291452"}),
        ("36000291452", "UPC", {"GTIN:00036000291452"}),
        (" 036000291452 ", "upc", {"GTIN:00036000291452"}),
        ("96385074", "EAN8", {"GTIN:00000096385074"}),
        ("04252614", "UPC", {"GTIN:00042100005264"}),  # a UPC-E sent as "UPC"
        ("00000154", "UPC", {"GTIN:00000000000154", "GTIN:00000001000054"}),
        ("00000154", "EAN8", {"GTIN:00000000000154"}),
        ("04252614", "UPCE0", {"GTIN:00042100005264"}),
        ("425261", "UPCE0", {"GTIN:00042100005264"}),
        ("042100005264", "UPCE0", {"GTIN:00042100005264"}),
        ("04252615", "UPCE0", {"SKU:04252615"}),
        ("036000291453", "UPC", {"SKU:036000291453"}),
        ("upc-12", "UPC", {"SKU:UPC-12"}),
        (with_check("21234500000"), "PRICE_EMBEDDED_UPC", {"PE:212345"}),
        ("abc-1", "SKU", {"SKU:ABC-1"}),
        ("X1", "DISA", {"SKU:X1"}),
        ("A123B", "CODABAR", {"SKU:A123B"}),
        ("036000291452", None, {"GTIN:00036000291452", "SKU:036000291452"}),
        ("036000291453", None, {"SKU:036000291453"}),
        ("(01)" + GTIN14, None, {"GTIN:" + GTIN14}),
        ("", "UPC", set()),
        ("\r\n", None, set()),
    ],
)
def test_match_keys(code: str, code_type: str | None, expected: set[str]) -> None:
    assert match_keys(code, code_type) == expected


@given(st.text(max_size=80), st.sampled_from(CATALOGUE_TYPES))
def test_match_keys_never_raises(code: str, code_type: str | None) -> None:
    keys = match_keys(code, code_type)
    assert isinstance(keys, frozenset)
    assert all(key.startswith(("GTIN:", "PE:", "SKU:")) for key in keys)


# --- refusals --------------------------------------------------------------------------


def test_error_classes() -> None:
    assert issubclass(BarcodeError, ValueError)
    for cls in (BadCheckDigit, EmptyScan, ScanTooLong):
        assert issubclass(cls, BarcodeError)


REFUSALS: list[Callable[[], object]] = [
    lambda: interpret("012345678906"),
    lambda: interpret("\x1b" + "9" * 13 + "\x1b"),
    lambda: interpret(""),
    lambda: interpret("x" * 10_000),
    lambda: interpret("]C1" + "01" + "1" * 14),
    lambda: interpret("]C1" + "éé"),
    lambda: interpret("]C1" + "10" + "\u202e" * 40),
    lambda: parse_gs1("(01)" + GTIN14 + "(10)" + "é" * 40),
    lambda: to_gtin14("ü" * 200),
    lambda: to_gtin14("1\n2\r3"),
    lambda: upce_to_upca("9" * 300),
    lambda: upca_to_upce("\x00" * 12),
    lambda: gtin_check_digit("\t" * 100),
    lambda: sku_key("\r\n"),
]


@pytest.mark.parametrize("call", REFUSALS)
def test_every_refusal_is_one_short_line(call: Callable[[], object]) -> None:
    assert_one_line(refusal(call))


@given(st.text(max_size=MAX_SCAN_LENGTH * 4 + 8))
def test_interpret_returns_a_scan_or_refuses_in_one_line(raw: str) -> None:
    try:
        scan = interpret(raw)
    except BarcodeError as exc:
        assert_one_line(exc)
        return
    assert scan.text == clean_scan(raw)
    assert scan.keys or scan.kind == "gs1"  # e.g. an SSCC: no item to match


GS1_PIECES = ["01", "10", "21", "17", "3103", "392", GS, "<GS>", "(", ")", "A", GTIN14]


@given(st.lists(st.one_of(st.sampled_from(GS1_PIECES), digits(1)), max_size=12).map("".join))
def test_gs1_like_noise_never_escapes_as_another_error(body: str) -> None:
    for raw in ("]C1" + body, body):
        try:
            interpret(raw)
        except BarcodeError as exc:
            assert_one_line(exc)
