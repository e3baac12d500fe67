"""Start-up does only what the chosen mode needs: client mode never loads the backend's stack, an
embedded start on a database at head does no schema work, and the embedded backend is built after
the first screen is drawn. (How fast that makes it: bench/startup.py.)"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text

from storeassist_tui.app import StoreAssistApp
from storeassist_tui.client import BackendClient, BackendError
from storeassist_tui.config import Settings
from storeassist_tui.embedded import DeferredTransport, start_embedded
from storeassist_tui.screens.login import LoginScreen
from storeassist_tui.server import create_app
from storeassist_tui.store import demo, migrate, schema_version
from storeassist_tui.store.db import Database

ROOT = Path(__file__).resolve().parent.parent

# The `storeassist` command up to the point where the app would take over the terminal: the app's
# run is replaced by what the test wants of the backend, then what was loaded is printed.
COMMAND = """
import sys
from storeassist_tui.app import StoreAssistApp

async def run(self, **kwargs):
    {run}

StoreAssistApp.run_async = run
from storeassist_tui import cli
assert cli.main(sys.argv[1:]) == 0
backend = ("sqlalchemy", "sqlmodel", "fastapi", "starlette", "alembic", "uvicorn", "argon2", "psycopg", "click")
print("LOADED", sorted(m for m in sys.modules if m.split(".")[0] in backend or m.startswith((
    "storeassist_tui.store", "storeassist_tui.server", "storeassist_tui.embedded"))))
"""


def storeassist(tmp_path: Path, *args: str, run: str = "pass") -> list[str]:
    """Run the command in a process of its own (a fresh sys.modules); what it loaded."""
    env = {**os.environ, "STOREASSIST_CONFIG": str(tmp_path / "none.toml"), "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_DATA_HOME": str(tmp_path / "data")}
    env = {k: v for k, v in env.items() if k not in ("STOREASSIST_DATABASE_URL", "STOREASSIST_BACKEND")}
    out = subprocess.run([sys.executable, "-c", COMMAND.format(run=run), *args], capture_output=True, text=True,
                         cwd=ROOT, env=env, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout.strip().splitlines()


def current_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'current.db'}"
    db = Database(url)
    migrate.upgrade(db)
    demo.seed_demo(db, orders=3)
    db.dispose()
    return url


def stored_version(url: str) -> list[str]:
    db = Database(url)
    with db.engine.connect() as conn:
        versions = list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    db.dispose()
    return versions


def test_client_mode_loads_no_backend_stack(tmp_path: Path) -> None:
    """`storeassist --backend URL` imports the terminal's side only: no database, no server, no
    migrations (and not httpx's own command-line tool either)."""
    out = storeassist(tmp_path, "--backend", "http://127.0.0.1:9")
    assert out[-1] == "LOADED []"


def test_an_embedded_start_on_a_current_database_does_no_schema_work(tmp_path: Path) -> None:
    """On a database at head the app logs in without Alembic ever being loaded, the database's
    recorded version untouched; and without the platform's routes."""
    url = current_db(tmp_path)
    before = stored_version(url)
    out = storeassist(tmp_path, "--database-url", url, run=(
        "print('USER', (await self.client.login_badge('B-1001')).user.username)"))
    assert "USER pat" in out
    loaded = out[-1]
    assert "'storeassist_tui.store.migrate'" in loaded  # the embedded backend did start ...
    assert "'alembic" not in loaded and "routes_faas" not in loaded and "checkin_page" not in loaded  # ... lean
    assert stored_version(url) == before == sorted(schema_version.head_revisions() or ())


def test_upgrade_leaves_a_database_at_head_alone(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_migrating(*args: object) -> None:
        raise AssertionError("Alembic ran on a database at head")

    monkeypatch.setattr(migrate, "_to_head", no_migrating)
    assert migrate.is_current(db)
    migrate.upgrade(db)  # the `db` fixture is at head already


def test_the_head_read_from_the_files_is_alembics(db: Database) -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config(db))
    assert schema_version.head_revisions() == frozenset(script.get_heads())


def test_revision_files_of_every_shape(tmp_path: Path) -> None:
    """A chain, a branch and a merge as Alembic writes them; anything unreadable: no answer."""
    def history(name: str, *revisions: tuple[str, str]) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        for n, (rev, down) in enumerate(revisions):
            (folder / f"{n:04d}_x.py").write_text(f"revision: str = {rev}\ndown_revision: str | None = {down}\n")
        return folder

    chain = (("'a'", "None"), ("'b'", "'a'"))
    assert schema_version.head_revisions(history("chain", *chain)) == frozenset({"b"})
    branched = (*chain, ('"c"', "'a'"))
    assert schema_version.head_revisions(history("branched", *branched)) == frozenset({"b", "c"})
    assert schema_version.head_revisions(history("merged", *branched, ("'d'", "('b', 'c')"))) == frozenset({"d"})
    assert schema_version.head_revisions(history("unreadable", *chain, ("REVISION", "'b'"))) is None


def test_which_sqlite_databases_need_nothing(tmp_path: Path) -> None:
    assert not schema_version.sqlite_ready(f"sqlite:///{tmp_path / 'none.db'}")  # no such file
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    assert not schema_version.sqlite_ready(f"sqlite:///{tmp_path / 'junk.db'}")
    empty = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    migrate.upgrade(empty)
    empty.dispose()
    assert not schema_version.sqlite_ready(f"sqlite:///{tmp_path / 'empty.db'}")  # no store: the demo is seeded
    url = current_db(tmp_path)
    assert schema_version.sqlite_ready(url)
    assert not schema_version.sqlite_ready(url + "?mode=ro") and not schema_version.sqlite_ready("sqlite://")
    old = Database(url)
    with old.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0004'"))
    old.dispose()
    assert not schema_version.sqlite_ready(url)  # behind


async def test_an_embedded_database_behind_head_is_upgraded_before_the_app_starts(tmp_path: Path) -> None:
    """Only a database with nothing to do waits for the first screen: one that must be migrated
    is migrated by the time the app is handed its client (a failure there is one line, no app)."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    db = Database(url)
    with db.engine.execution_options(write=True).begin() as conn:
        cfg = migrate.alembic_config(db)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")
    db.dispose()
    client = start_embedded(Settings(database_url=url))
    assert stored_version(url) == sorted(schema_version.head_revisions() or ())
    assert (await client.login_badge("B-1001")).user.username == "pat"  # seeded: it had no store
    await client.aclose()


async def test_the_embedded_backend_is_built_once_the_first_screen_is_drawn(tmp_path: Path) -> None:
    """Nothing is opened before the app asks for it; the app asks once its login screen is up,
    whether or not a request was made (here none: not the demo, so no demo users to fetch)."""
    url = current_db(tmp_path)
    client = start_embedded(Settings(database_url=url, demo=False))
    transport = client._transport
    assert isinstance(transport, DeferredTransport) and not transport.built
    app = StoreAssistApp(client)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(200):
            if transport.built:
                break
            await pilot.pause(0.05)
        assert transport.built and isinstance(app.screen, LoginScreen)
    await client.aclose()


async def test_requests_wait_for_the_one_build_and_a_failed_build_is_one_line(db: Database) -> None:
    demo.seed_demo(db, orders=3)
    builds: list[int] = []
    gate = threading.Event()

    def build() -> httpx.AsyncBaseTransport:
        builds.append(1)
        gate.wait(10)
        if len(builds) == 1:
            raise RuntimeError("database is locked\nmore detail")
        return httpx.ASGITransport(app=create_app(db, Settings(demo=True), platform=False))

    client = BackendClient("http://embedded", transport=DeferredTransport(build))
    first = [asyncio.create_task(client.demo_info()) for _ in range(3)]
    await asyncio.sleep(0.05)
    gate.set()
    results = await asyncio.gather(*first, return_exceptions=True)
    assert len(builds) == 1  # three requests, one build
    assert all(isinstance(r, BackendError) and r.status == 500
               and r.message == "The backend did not start: database is locked" for r in results)
    info = await client.demo_info()  # tried again, and it starts this time
    assert len(builds) == 2 and [c.username for c in info.credentials] == ["pat", "hana", "lee"]
    await client.aclose()


async def test_the_embedded_app_serves_the_terminal_only(db: Database) -> None:
    """What only the outside world calls is not there in-process (nothing outside can reach it)."""
    demo.seed_demo(db, orders=3)
    app = create_app(db, Settings(demo=True), platform=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://embedded") as http:
        assert (await http.post("/api-proxy/service/identity/oauth/v1/token", data={})).status_code == 404
        assert (await http.get("/checkin/anything")).status_code == 404
        assert (await http.post("/api/v1/auth/login", json={"badge": "B-1001"})).status_code == 200
