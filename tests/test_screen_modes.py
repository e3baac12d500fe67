"""The screens' modes as plain tables: each mode's reaction to every event, without Textual.

Each table is written out here on its own (not derived from the module), so a changed transition
shows up as a failed expectation; every (mode, event) pair not listed must leave the mode as it is.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from storeassist_tui.screens import cancel_modes as cm
from storeassist_tui.screens import handoff_modes as ho
from storeassist_tui.screens import pick_modes as pk
from storeassist_tui.screens import stage_modes as st

ROOT = Path(__file__).resolve().parent.parent
MODE_MODULES = ["storeassist_tui/screens/handoff_modes.py", "storeassist_tui/screens/stage_modes.py",
                "storeassist_tui/screens/pick_modes.py", "storeassist_tui/screens/cancel_modes.py"]


def test_the_mode_modules_load_without_textual() -> None:
    """Each mode module loads from its file alone with Textual and Rich unimportable."""
    code = """
import importlib.abc, importlib.util, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("textual", "rich"):
            raise ImportError("blocked: " + name)
        return None
sys.meta_path.insert(0, Block())
for i, path in enumerate(sys.argv[1:]):
    spec = importlib.util.spec_from_file_location(f"mode_module_{i}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
assert not any(m.split(".")[0] in ("textual", "rich") for m in sys.modules), "Textual was imported"
"""
    paths = [str(ROOT / p) for p in MODE_MODULES]
    done = subprocess.run([sys.executable, "-c", code, *paths], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


# Hand-off ---------------------------------------------------------------------------------------
M, E = ho.Mode, ho.Event
ALL_RULES = [ho.Rules(id_check=i, signature=s, all_rejected=a)
             for i, s, a in itertools.product((False, True), repeat=3)]


def handoff_expected(rules: ho.Rules) -> dict[tuple[ho.Mode, ho.Event], ho.Mode]:
    if rules.all_rejected:
        first = M.CLOSE_ALL_REJECTED
    elif rules.id_check:
        first = M.ID_CHECK
    else:
        first = M.SIGNATURE if rules.signature else M.CONFIRM
    return {
        (M.BROWSE, E.HAND_OFF): first,
        (M.BROWSE, E.REJECT): M.REJECTING,
        (M.BROWSE, E.CHECK_IN): M.CHECKING_IN,
        (M.BROWSE, E.BACK): M.LEFT,
        (M.REJECTING, E.HAND_OFF): first,
        (M.REJECTING, E.REJECT): M.BROWSE,
        (M.REJECTING, E.BACK): M.BROWSE,
        (M.CHECKING_IN, E.CHECK_IN): M.CHECKING_IN,
        (M.CHECKING_IN, E.CHECKED_IN): M.BROWSE,
        (M.CHECKING_IN, E.BACK): M.BROWSE,
        (M.CLOSE_ALL_REJECTED, E.ENTER): M.HANDING_OFF,
        (M.CLOSE_ALL_REJECTED, E.BACK): M.BROWSE,
        (M.ID_CHECK, E.ENTER): M.SIGNATURE if rules.signature else M.CONFIRM,
        (M.ID_CHECK, E.BACK): M.BROWSE,
        (M.SIGNATURE, E.SIGNED): M.HANDING_OFF,
        (M.SIGNATURE, E.BACK): M.BROWSE,
        (M.CONFIRM, E.ENTER): M.HANDING_OFF,
        (M.CONFIRM, E.BACK): M.BROWSE,
        (M.HANDING_OFF, E.HANDED_OFF): M.LEFT,
        (M.HANDING_OFF, E.NOT_HANDED_OFF): M.BROWSE,
    }


@pytest.mark.parametrize("rules", ALL_RULES, ids=str)
def test_handoff_every_mode_and_event(rules: ho.Rules) -> None:
    expected = handoff_expected(rules)
    for mode, event in itertools.product(M, E):
        want = expected.get((mode, event), mode)
        assert ho.next_mode(mode, event, rules) is want, (mode, event)
        assert ho.handles(mode, event) is ((mode, event) in expected), (mode, event)


def test_handoff_steps_follow_the_store() -> None:
    """F1 walks the steps the store asks for, and only those, before the hand-off is sent."""

    def walk(rules: ho.Rules) -> list[ho.Mode]:
        mode, seen = ho.next_mode(M.BROWSE, E.HAND_OFF, rules), []
        while mode is not M.HANDING_OFF:
            seen.append(mode)
            mode = ho.next_mode(mode, E.SIGNED if mode is M.SIGNATURE else E.ENTER, rules)
        return seen

    assert walk(ho.Rules()) == [M.CONFIRM]  # one Enter, so a stray F1 never hands over an order
    assert walk(ho.Rules(id_check=True)) == [M.ID_CHECK, M.CONFIRM]
    assert walk(ho.Rules(signature=True)) == [M.SIGNATURE]
    assert walk(ho.Rules(id_check=True, signature=True)) == [M.ID_CHECK, M.SIGNATURE]
    for i, s in itertools.product((False, True), repeat=2):  # nothing handed over: no ID, no signature
        assert walk(ho.Rules(id_check=i, signature=s, all_rejected=True)) == [M.CLOSE_ALL_REJECTED]


def test_handoff_reports_the_id_checked_only_when_a_step_asked_for_it() -> None:
    for rules in ALL_RULES:
        assert rules.id_checked is (rules.id_check and not rules.all_rejected)


def test_handoff_a_signature_needs_its_own_event() -> None:
    """Enter alone never signs, and a key never skips the signature."""
    for rules, event in itertools.product(ALL_RULES, E):
        if event is not E.SIGNED and event is not E.BACK:
            assert ho.next_mode(M.SIGNATURE, event, rules) is M.SIGNATURE


# Stage ------------------------------------------------------------------------------------------
SM, SE = st.Mode, st.Event
STAGE_EXPECTED = {
    (SM.BROWSE, SE.MOVE): SM.BROWSE,
    (SM.BROWSE, SE.CHOOSE): SM.LOCATION,
    (SM.BROWSE, SE.SWITCH): SM.BROWSE,
    (SM.BROWSE, SE.BACK): SM.LEFT,
    (SM.LOCATION, SE.CHOOSE): SM.LOCATION,
    (SM.LOCATION, SE.ENTER): SM.LOCATION,
    (SM.LOCATION, SE.LOCATION): SM.CONFIRM,
    (SM.LOCATION, SE.SWITCH): SM.BROWSE,
    (SM.LOCATION, SE.BACK): SM.BROWSE,
    (SM.LOCATION, SE.DROP): SM.BROWSE,
    (SM.CONFIRM, SE.CHOOSE): SM.LOCATION,
    (SM.CONFIRM, SE.ENTER): SM.SAVING,
    (SM.CONFIRM, SE.BAGS): SM.SAVING,
    (SM.CONFIRM, SE.LOCATION): SM.CONFIRM,
    (SM.CONFIRM, SE.SWITCH): SM.BROWSE,
    (SM.CONFIRM, SE.BACK): SM.LOCATION,
    (SM.CONFIRM, SE.DROP): SM.BROWSE,
    (SM.SAVING, SE.SAVED): SM.BROWSE,
    (SM.SAVING, SE.REFUSED): SM.LOCATION,
    (SM.SAVING, SE.NOT_SAVED): SM.CONFIRM,
}


def test_stage_esc_steps_back_one_at_a_time() -> None:
    mode, seen = SM.CONFIRM, []
    while mode is not SM.LEFT:
        mode = st.next_mode(mode, SE.BACK)
        seen.append(mode)
    assert seen == [SM.LOCATION, SM.BROWSE, SM.LEFT]


def test_stage_only_modes_with_an_order_keep_it() -> None:
    assert st.WITH_ORDER == {SM.LOCATION, SM.CONFIRM, SM.SAVING}
    # Nothing reaches CONFIRM or SAVING except through a mode that has an order.
    for (mode, _event), target in STAGE_EXPECTED.items():
        if target in (SM.CONFIRM, SM.SAVING):
            assert mode in st.WITH_ORDER


@pytest.mark.parametrize(("mode", "text", "manual", "staging", "bags"), [
    (SM.CONFIRM, "2", True, True, True),
    (SM.CONFIRM, "120", True, True, True),  # bags still: the screen says 0 to 99
    (SM.CONFIRM, "14", False, True, False),  # a scanned label "14" is a location
    (SM.CONFIRM, "2", True, False, False),  # a move records no bags
    (SM.CONFIRM, "B3", True, True, False),
    (SM.CONFIRM, "\u0663", True, True, False),  # a non-ASCII digit is no number of bags
    (SM.LOCATION, "2", True, True, False),  # before a location: "2" is the location
    (SM.BROWSE, "2", True, True, False),
])
def test_stage_typed_digits_are_bags_only_at_the_staging_question(
        mode: st.Mode, text: str, manual: bool, staging: bool, bags: bool) -> None:
    assert st.is_bags(mode, text, manual=manual, staging=staging) is bags


# Pick walk --------------------------------------------------------------------------------------
PM, PE = pk.Mode, pk.Event
WORKING = [PM.SCAN, PM.QUANTITY, PM.ARMED, PM.NOT_FOUND, PM.FINISH_CONFIRM]
PROGRESSES = [pk.Progress(), pk.Progress(left=3), pk.Progress(closes=True), pk.Progress(left=1, closes=True)]


def pick_expected(progress: pk.Progress) -> dict[tuple[pk.Mode, pk.Event], pk.Mode]:
    expected = {}
    for mode in WORKING:
        expected[mode, PE.MOVE] = PM.SCAN
        expected[mode, PE.QUANTITY] = PM.QUANTITY
        expected[mode, PE.NOT_FOUND] = PM.NOT_FOUND
        expected[mode, PE.SKIP] = PM.SCAN
        expected[mode, PE.SCAN] = PM.SCAN
        expected[mode, PE.BACK] = PM.LEFT if mode is PM.SCAN else PM.SCAN
        if progress.left:
            expected[mode, PE.FINISH] = PM.SCAN
        elif progress.closes and mode is not PM.FINISH_CONFIRM:
            expected[mode, PE.FINISH] = PM.FINISH_CONFIRM
        else:
            expected[mode, PE.FINISH] = PM.FINISHING
    expected[PM.QUANTITY, PE.AMOUNT] = PM.ARMED
    expected[PM.NOT_FOUND, PE.AMOUNT] = PM.SCAN
    expected[PM.NOT_FOUND, PE.ENTER] = PM.SCAN
    expected[PM.FINISHING, PE.FINISHED] = PM.LEFT
    expected[PM.FINISHING, PE.NOT_FINISHED] = PM.SCAN
    return expected


@pytest.mark.parametrize("progress", PROGRESSES, ids=str)
def test_pick_every_mode_and_event(progress: pk.Progress) -> None:
    expected = pick_expected(progress)
    for mode, event in itertools.product(PM, PE):
        want = expected.get((mode, event), mode)
        assert pk.next_mode(mode, event, progress) is want, (mode, event)
        assert pk.handles(mode, event) is ((mode, event) in expected), (mode, event)


def test_pick_closing_an_empty_order_takes_a_second_f4() -> None:
    closes = pk.Progress(closes=True)
    first = pk.next_mode(PM.SCAN, PE.FINISH, closes)
    assert first is PM.FINISH_CONFIRM
    assert pk.next_mode(first, PE.FINISH, closes) is PM.FINISHING
    assert pk.next_mode(first, PE.BACK, closes) is PM.SCAN  # Esc: not closed
    assert pk.next_mode(PM.SCAN, PE.FINISH) is PM.FINISHING  # nothing to close: at once


def test_pick_several_units_need_the_question_first() -> None:
    """ARMED (a scan counting several units) is reached only from the quantity question."""
    sources = {mode for (mode, _), target in pick_expected(pk.Progress()).items() if target is PM.ARMED}
    assert sources == {PM.QUANTITY}


@pytest.mark.parametrize(("mode", "text", "amount"), [
    (PM.QUANTITY, "3", True),
    (PM.NOT_FOUND, "120", True),
    (PM.NOT_FOUND, "1234", False),  # longer: an item code, scanned instead of the answer
    (PM.QUANTITY, "\u0663", False),  # a non-ASCII digit is no number
    (PM.QUANTITY, "12A", False),
    (PM.SCAN, "3", False),  # no question: "3" is a code
    (PM.ARMED, "3", False),
    (PM.FINISH_CONFIRM, "3", False),
])
def test_pick_a_typed_number_answers_only_a_question_for_one(mode: pk.Mode, text: str, amount: bool) -> None:
    assert pk.is_amount(mode, text) is amount


@pytest.mark.parametrize(("mode", "n", "pending", "ok"), [
    (PM.QUANTITY, 1, 5, False),  # one unit is a plain scan
    (PM.QUANTITY, 2, 5, True),
    (PM.QUANTITY, 5, 5, True),
    (PM.QUANTITY, 6, 5, False),
    (PM.NOT_FOUND, 0, 5, False),
    (PM.NOT_FOUND, 1, 5, True),
    (PM.NOT_FOUND, 5, 5, True),
    (PM.NOT_FOUND, 6, 5, False),
    (PM.SCAN, 2, 5, False),
])
def test_pick_amounts_the_questions_accept(mode: pk.Mode, n: int, pending: int, ok: bool) -> None:
    assert pk.amount_ok(mode, n, pending) is ok


# Order detail: cancelling -------------------------------------------------------------------------
CM, CE = cm.Mode, cm.Event
CANCEL_EXPECTED = {
    (CM.VIEW, CE.START): CM.REASON,
    (CM.VIEW, CE.BACK): CM.LEFT,
    (CM.REASON, CE.REASON): CM.CONFIRM,
    (CM.REASON, CE.BACK): CM.VIEW,
    (CM.CONFIRM, CE.ENTER): CM.CANCELLING,
    (CM.CONFIRM, CE.BACK): CM.VIEW,
    (CM.CANCELLING, CE.DONE): CM.VIEW,
    (CM.CANCELLING, CE.REFUSED): CM.VIEW,
    (CM.CANCELLING, CE.NOT_SAVED): CM.CONFIRM,
}


@pytest.mark.parametrize(("module", "expected"), [(st, STAGE_EXPECTED), (cm, CANCEL_EXPECTED)], ids=["stage", "cancel"])
def test_every_mode_and_event(module: Any, expected: dict[tuple[Any, Any], Any]) -> None:
    """The tables that need nothing but the mode and the event (stage, order detail's cancel)."""
    for mode, event in itertools.product(module.Mode, module.Event):
        want = expected.get((mode, event), mode)
        assert module.next_mode(mode, event) is want, (mode, event)
        assert module.handles(mode, event) is ((mode, event) in expected), (mode, event)


def test_cancel_enter_before_the_reason_changes_nothing() -> None:
    """Enter at the reason question (nothing typed) neither confirms nor cancels."""
    assert cm.next_mode(CM.REASON, CE.ENTER) is CM.REASON
    assert cm.next_mode(CM.VIEW, CE.ENTER) is CM.VIEW
