"""The mutation runner's own rules: a mutation applies to exactly one place or not at all, the
catalogue is well formed and still matches the code, and the guard spots a stray import."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import pytest

from .guard import strays
from .run import ROOT, Mutation, MutationError, apply, load, mutated_source


def test_the_original_is_replaced_once() -> None:
    assert apply("a = 1\nb = 2\n", "b = 2", "b = 3") == "a = 1\nb = 3\n"


def test_an_original_not_found_is_refused() -> None:
    with pytest.raises(MutationError, match="not found"):
        apply("if quantity > pending:\n", "if quantity >= pending:", "if False:")


def test_an_original_found_twice_is_refused() -> None:
    # Which copy would be mutated is a guess; a refactor that duplicated the code must be noticed.
    with pytest.raises(MutationError, match="found 2 times"):
        apply("x = 0\ny = 1\nx = 0\n", "x = 0", "x = 1")


def test_an_empty_or_unchanged_mutation_is_refused() -> None:
    with pytest.raises(MutationError, match="empty"):
        apply("x = 0", "", "x")
    with pytest.raises(MutationError, match="nothing would change"):
        apply("x = 0", "x = 0", "x = 0")


def test_a_catalogue_with_a_misspelt_key_or_a_duplicate_name_is_refused(tmp_path: Path) -> None:
    entry = 'name = "a"\nfile = "f.py"\noriginal = "x"\nreplacement = "y"\ntests = ["t"]\n'
    misspelt = tmp_path / "misspelt.toml"
    misspelt.write_text(f"[[mutation]]\n{entry}needs_pg = true\n")
    with pytest.raises(MutationError, match="needs_pg"):
        load(misspelt)
    twice = tmp_path / "twice.toml"
    twice.write_text(f"[[mutation]]\n{entry}\n[[mutation]]\n{entry}")
    with pytest.raises(MutationError, match="duplicate"):
        load(twice)
    no_tests = tmp_path / "no_tests.toml"
    no_tests.write_text("[[mutation]]\n" + entry.replace('["t"]', "[]"))
    with pytest.raises(MutationError, match="no tests"):
        load(no_tests)


def test_every_mutation_still_applies_and_names_existing_tests() -> None:
    """The ordinary test run notices when code or tests a mutation points at have moved."""
    mutations = load()
    assert mutations
    for m in mutations:
        assert mutated_source(ROOT, m) != (ROOT / m.file).read_text(encoding="utf-8")
        for sel in m.tests:
            path, _, test = sel.partition("::")
            assert (ROOT / path).is_file(), f"{m.name}: {path} does not exist"
            if test:
                name = test.split("[")[0].split("::")[-1]
                source = (ROOT / path).read_text(encoding="utf-8")
                assert re.search(rf"^(async )?def {re.escape(name)}\(", source, re.M), f"{m.name}: no {sel}"


def test_the_guard_reports_a_module_imported_from_outside_the_copy(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    inside = types.ModuleType("storeassist_tui.inside_probe")
    inside.__file__ = str(tmp_path / "storeassist_tui" / "inside_probe.py")
    outside = types.ModuleType("storeassist_tui.outside_probe")
    outside.__file__ = "/elsewhere/storeassist_tui/outside_probe.py"
    monkeypatch.setitem(sys.modules, inside.__name__, inside)
    monkeypatch.setitem(sys.modules, outside.__name__, outside)
    found = strays(tmp_path.resolve())
    assert any("outside_probe" in s for s in found) and not any("inside_probe" in s for s in found)


def test_mutation_defaults_run_on_sqlite() -> None:
    m = Mutation(name="n", file="f", original="x", replacement="y", tests=["t"])
    assert m.needs_postgresql is False and m.timeout_s > 0
