"""A pytest plugin the mutation runner loads (`-p mutations.guard`): it stops the run unless every
module of the package was imported from the mutated copy. The package is installed editable
from the real tree; a test process that imported that tree would let every mutation survive."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

COPY_ENV = "STOREASSIST_MUTATION_COPY"


def strays(copy: Path) -> list[str]:
    """Modules of the package loaded from anywhere but `copy`."""
    out = []
    for name, module in list(sys.modules.items()):
        if name != "storeassist_tui" and not name.startswith("storeassist_tui."):
            continue
        file = getattr(module, "__file__", None)
        if file and not Path(file).resolve().is_relative_to(copy):
            out.append(f"{name} from {file}")
    return out


def pytest_collection_finish(session: pytest.Session) -> None:
    """After the conftests and test modules are imported, before any test runs."""
    copy = os.environ.get(COPY_ENV)
    if not copy:
        return
    if "storeassist_tui" not in sys.modules:
        pytest.exit("mutation guard: the selection never imported storeassist_tui", returncode=4)
    wrong = strays(Path(copy).resolve())
    if wrong:
        pytest.exit("mutation guard: not the mutated copy: " + "; ".join(wrong[:5]), returncode=4)
