"""The terminal's bytes into keys (storeassist_tui/keyparser.py): what is no key never reaches a
scan, and keys still come through. Fed as the Linux driver feeds it (any chunking)."""

from __future__ import annotations

import pytest
from textual import events

from storeassist_tui.keyparser import KeyParser


def parse(*chunks: str) -> list[str]:
    """Keys (their names) and pastes (`paste:<text>`) the parser reports for these reads."""
    parser = KeyParser()
    out = [e for chunk in chunks for e in parser.feed(chunk)] + list(parser.feed(""))
    return [f"paste:{e.text}" if isinstance(e, events.Paste) else e.key for e in out
            if isinstance(e, (events.Key, events.Paste))]


SCAN = ["7", "5", "7", "3", "6", "8", "1", "9", "3", "0", "3", "4", "enter"]

STRAYS = {
    "unknown CSI": "\x1b[99~",
    "private CSI (device attributes answer)": "\x1b[?62;1;6c",
    "mode report": "\x1b[?2026;2$y",
    "CSI u": "\x1b[97;5u",
    "SGR mouse": "\x1b[<0;3;4M",
    "OSC with BEL": "\x1b]22;default\x07",
    "OSC with ST": "\x1b]11;rgb:0000/0000/0000\x1b\\",
    "DCS": "\x1bP1$r0m\x1b\\",
    "APC": "\x1b_Gi=1;OK\x1b\\",
    "unknown SS3": "\x1bOz",
    "broken CSI": "\x1b[12\x01",
}


@pytest.mark.parametrize("stray", list(STRAYS.values()), ids=list(STRAYS))
def test_a_sequence_that_is_no_key_is_dropped_whole_and_never_glues_to_the_next_scan(stray: str) -> None:
    assert parse(stray + "757368193034\r") == SCAN


@pytest.mark.parametrize("stray", list(STRAYS.values()), ids=list(STRAYS))
def test_split_across_reads_it_is_dropped_all_the_same(stray: str) -> None:
    data = stray + "757368193034\r"
    assert parse(*data) == SCAN  # one character per read, as a slow link delivers them


def test_keys_the_app_binds_still_come_through() -> None:
    assert parse("\x1bOP", "\x1b[11~", "\x1b[[A", "\x1b[21~", "\x1b[A", "\x1b[6~", "\x1b[1;5A", "\x1b[Z") == [
        "f1", "f1", "f1", "f10", "up", "pagedown", "ctrl+up", "shift+tab"]


def test_esc_then_a_character_is_esc_then_that_character() -> None:
    # An associate's Esc then "2" within the escape delay: no Alt+2 ("(TM)") in the scan field.
    assert parse("\x1b2") == ["escape", "2"]
    assert parse("xyz\x1bpat") == ["x", "y", "z", "escape", "p", "a", "t"]
    assert parse("\x1b\x1b[A") == ["escape", "up"]


def test_a_lone_esc_is_esc() -> None:
    assert parse("\x1b") == ["escape"]


def test_bracketed_paste_is_one_paste_with_its_lines() -> None:
    assert parse("\x1b[200~W1\rW2\r\x1b[201~x") == ["paste:W1\rW2\r", "x"]


def test_an_endless_csi_is_dropped_and_what_follows_it_kept() -> None:
    assert parse("\x1b[" + "1" * 200 + "~" + "12\r") == ["1", "2", "enter"]
