"""Settings: flags over STOREASSIST_* environment over the TOML file."""

from __future__ import annotations

from pathlib import Path

import pytest

from storeassist_tui.cli import _settings, build_parser
from storeassist_tui.config import Settings


def test_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toml = tmp_path / "config.toml"
    toml.write_text('database_url = "sqlite:////from/toml.db"\nstore = "toml-store"\nlockout_failures = 4\n')
    monkeypatch.setenv("STOREASSIST_CONFIG", str(toml))
    s = Settings()
    assert (s.database_url, s.store, s.lockout_failures, s.session_lifetime_s) == (
        "sqlite:////from/toml.db", "toml-store", 4, 7200)
    monkeypatch.setenv("STOREASSIST_STORE", "env-store")
    assert Settings().store == "env-store"
    args = build_parser().parse_args(["--store", "flag-store", "--database-url", "sqlite:////flag.db"])
    s = _settings(args)
    assert (s.store, s.database_url, s.lockout_failures) == ("flag-store", "sqlite:////flag.db", 4)


def test_default_database_is_in_the_user_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STOREASSIST_CONFIG", str(tmp_path / "missing.toml"))
    monkeypatch.delenv("STOREASSIST_DATABASE_URL", raising=False)
    url = Settings().resolved_database_url()
    assert url.startswith("sqlite:///") and url.endswith("storeassist/storeassist.db")
