"""The scan buffer's rules on their own: suffixes, pastes, control characters, length, timing."""

from __future__ import annotations

from storeassist_tui.scanning import GS, MAX_ENTRY, Entry, ScanBuffer

FAST = 0.005  # a scanner: a few ms between characters
SLOW = 0.180  # a person typing


def feed(buf: ScanBuffer, keys: list[str], gap: float, start: float = 100.0) -> list[Entry | None]:
    """Keys at a steady `gap`; "enter" / "ctrl+j" / "tab" end entries. Returns what each end gave."""
    out: list[Entry | None] = []
    t = start
    for k in keys:
        if k in ("enter", "ctrl+j", "tab"):
            if buf.empty:
                buf.crlf_tail(k, t)  # nothing typed: an LF after CR, or a stray key: no entry
                out.append(None)
            else:
                out.append(buf.end(k, t))
        else:
            buf.add(k, t)
        t += gap
    return out


def test_every_suffix_ends_a_scan_and_crlf_counts_once() -> None:
    buf = ScanBuffer()
    got = feed(buf, [*"123", "enter", *"456", "ctrl+j", *"789", "enter", "ctrl+j", *"0AB", "tab"], FAST)
    assert [e.text for e in got if e] == ["123", "456", "789", "0AB"]
    assert all(not e.manual for e in got if e)


def test_a_second_lf_long_after_a_cr_is_not_swallowed_silently() -> None:
    buf = ScanBuffer()
    buf.add("1", 0.0)
    assert buf.end("enter", 0.01) == Entry("1", False)
    assert buf.crlf_tail("ctrl+j", 0.02)  # the LF of CR LF
    assert not buf.crlf_tail("ctrl+j", 5.0)  # a lone LF much later is an Enter of its own


def test_typing_is_manual_and_scanning_is_not() -> None:
    buf = ScanBuffer(threshold_s=0.040)
    (typed,) = feed(buf, [*"SKU-1000", "enter"], SLOW)
    (scanned,) = feed(buf, [*"036000291001", "enter"], FAST)
    assert typed == Entry("SKU-1000", True) and typed.kind == "manual"
    assert scanned == Entry("036000291001", False) and scanned.kind == "scan"


def test_one_stall_inside_a_scan_does_not_make_it_typed() -> None:
    buf = ScanBuffer(threshold_s=0.040)
    for i, ch in enumerate("036000291001"):
        buf.add(ch, 10.0 + i * FAST + (0.3 if i >= 6 else 0.0))  # a 300 ms Wi-Fi stall halfway
    assert buf.end("enter", 10.4) == Entry("036000291001", False)


def test_the_threshold_is_configurable() -> None:
    (e,) = feed(ScanBuffer(threshold_s=0.250), [*"12345", "enter"], SLOW)
    assert e is not None and not e.manual


def test_control_characters_are_stripped_but_gs_is_kept() -> None:
    buf = ScanBuffer()
    for ch in f"\x02]C1{GS}0109501101020917\x1b[31m\x07":
        buf.add(ch, 0.0)
    assert buf.text == f"]C1{GS}0109501101020917[31m"


def test_over_long_input_is_refused_whole() -> None:
    buf = ScanBuffer()
    for _ in range(10_000):
        buf.add("9", 0.0)
    entry = buf.end("enter", 0.0)
    assert entry == Entry("", False, 10_000)
    assert buf.empty and buf.text == ""
    buf.add("1", 1.0)
    assert buf.end("enter", 1.001) == Entry("1", False)  # the next scan is unharmed


def test_up_to_the_limit_is_accepted() -> None:
    buf = ScanBuffer()
    buf.add("7" * MAX_ENTRY, 0.0)
    assert buf.end("enter", 0.0) == Entry("7" * MAX_ENTRY, False)


def test_a_paste_of_several_lines_is_several_scans() -> None:
    buf = ScanBuffer()
    assert buf.paste("W00000001\r\n036000291001\n036000291001\rSKU-1000\t4006380000032") == [
        Entry("W00000001", False), Entry("036000291001", False), Entry("036000291001", False),
        Entry("SKU-1000", False), Entry("4006380000032", False)]
    assert buf.empty


def test_a_paste_of_blank_lines_gives_nothing_and_a_huge_paste_one_refusal() -> None:
    buf = ScanBuffer()
    assert buf.paste("\r\n\r\n\n") == []
    assert buf.paste("x" * 10_000) == [Entry("", False, 10_000)]


def test_backspace_edits_what_was_typed() -> None:
    buf = ScanBuffer()
    feed(buf, [*"SKU-10009"], SLOW)
    buf.backspace(200.0)
    assert buf.end("enter", 200.2) == Entry("SKU-1000", True)


def test_the_limit_is_128_characters_as_the_readme_says() -> None:
    buf = ScanBuffer()
    buf.add("8" * 128, 0.0)
    assert buf.end("enter", 0.0) == Entry("8" * 128, False)
    buf.add("9" * 129, 0.0)
    assert buf.end("enter", 0.0) == Entry("", False, 129)
