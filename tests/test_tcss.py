"""Every screen's styles are in `.tcss` files that exist and parse (a missing file would only
show as a wrong layout), and the App's breakpoints stay in app.py."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest
from textual.css.stylesheet import Stylesheet

import storeassist_tui.screens as screens_pkg
from storeassist_tui.app import StoreAssistApp
from storeassist_tui.screens import StoreScreen


def _screen_classes() -> list[type[StoreScreen]]:
    for m in pkgutil.iter_modules(screens_pkg.__path__, "storeassist_tui.screens."):
        importlib.import_module(m.name)
    found: list[type[StoreScreen]] = []
    todo: list[type[StoreScreen]] = [StoreScreen]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(c for c in cls.__subclasses__() if c.__module__.startswith("storeassist_tui."))
    return found


def _paths(css_path: object) -> list[Path]:
    return [Path(p) for p in (css_path if isinstance(css_path, list) else [css_path])]


@pytest.mark.parametrize("cls", _screen_classes(), ids=lambda c: c.__name__)
def test_screen_css_files_exist_and_parse(cls: type[StoreScreen]) -> None:
    paths = _paths(cls.CSS_PATH)
    assert paths and all(p.is_absolute() and p.is_file() for p in paths), paths
    assert "DEFAULT_CSS" not in cls.__dict__  # a screen's styles live in its .tcss
    sheet = Stylesheet()
    sheet.read_all(paths)
    sheet.parse()


def test_app_css_file() -> None:
    paths = _paths(StoreAssistApp.CSS_PATH)
    assert all(p.is_absolute() and p.is_file() and p.suffix == ".tcss" for p in paths)
    assert not StoreAssistApp.CSS
