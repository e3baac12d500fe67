"""The layers stay apart: store/ and server/ never load Textual; the screens never load the database."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

BACKEND = """
import pkgutil, importlib, sys
import storeassist_tui.store, storeassist_tui.server
for pkg in (storeassist_tui.store, storeassist_tui.server):
    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
        if ".migrations" not in m.name:
            importlib.import_module(m.name)
import storeassist_tui.barcodes, storeassist_tui.embedded, storeassist_tui.cli
bad = sorted(m for m in sys.modules if m.split(".")[0] == "textual"
             or m.startswith(("storeassist_tui.screens", "storeassist_tui.widgets", "storeassist_tui.app")))
print("LOADED", bad)
"""

FRONTEND = """
import pkgutil, importlib, sys
import storeassist_tui.app, storeassist_tui.screens, storeassist_tui.client
for m in pkgutil.walk_packages(storeassist_tui.screens.__path__, "storeassist_tui.screens."):
    importlib.import_module(m.name)
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("sqlmodel", "sqlalchemy", "alembic")
             or m.startswith(("storeassist_tui.store", "storeassist_tui.server")))
print("LOADED", bad)
"""


@pytest.mark.parametrize("script", [BACKEND, FRONTEND], ids=["backend-without-textual", "screens-without-db"])
def test_layer_imports(script: str) -> None:
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "LOADED []"


def test_import_contracts() -> None:
    lint = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    out = subprocess.run([lint], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "broken" not in out.stdout.lower() or "0 broken" in out.stdout.lower()
