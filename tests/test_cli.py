"""The `storeassist` command as an administrator uses it: set-up, seeding, one-line failures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from storeassist_tui.config import Settings
from storeassist_tui.embedded import embedded_client, open_database


def run(*args: str, stdin: str = "", env_db: str = "") -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "STOREASSIST_CONFIG": "/nonexistent.toml"}
    if env_db:
        env["STOREASSIST_DATABASE_URL"] = env_db
    return subprocess.run([sys.executable, "-m", "storeassist_tui.cli", *args], input=stdin, capture_output=True,
                          text=True, timeout=120, env=env)


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_help_of_every_command() -> None:
    for args in ([], ["serve"], ["db", "upgrade"], ["seed"], ["store", "add"], ["user", "add"], ["user", "unlock"],
                 ["store", "list"], ["user", "list"], ["user", "set-pin"], ["key", "add"], ["expire"]):
        out = run(*args, "--help")
        assert out.returncode == 0 and "usage: storeassist" in out.stdout, args


async def test_set_up_a_store_and_an_associate_who_can_log_in(url: str) -> None:
    assert run("db", "upgrade", "--database-url", url).returncode == 0
    out = run("store", "add", "--id", "austin-01", "--name", "Austin", "--timezone", "America/Chicago",
              "--hours", "mon-fri 09:00-21:00", "--spots", "A1,A2", "--signature", "--database-url", url)
    assert out.returncode == 0, out.stderr
    out = run("user", "add", "--username", "Jo", "--name", "Jo Doe", "--role", "lead", "--stores", "austin-01",
              "--pin", "-", "--badge", "B-77", stdin="4711\n", env_db=url)
    assert out.returncode == 0 and "user jo added" in out.stdout, out.stderr
    key = run("key", "add", "platform", "--database-url", url).stdout.strip()
    assert key.startswith("sak_")
    db = open_database(Settings(database_url=url))
    client = embedded_client(db, Settings())
    session = await client.login("jo", "4711")
    assert [s.id for s in session.user.stores] == ["austin-01"] and "quantity_reduction_and_cancellation" in (
        session.user.permissions)
    counts = await client.counts("austin-01")
    assert counts.all_orders == 0
    await client.aclose()
    assert run("user", "unlock", "jo", "--database-url", url).returncode == 0
    listed = run("store", "list", "--database-url", url).stdout.splitlines()
    assert listed[0].split("\t")[:3] == ["austin-01", "Austin", "America/Chicago"] and "spots A1,A2" in listed[0]
    users = run("user", "list", "--store", "austin-01", "--database-url", url).stdout.splitlines()
    assert users == ["jo\tJo Doe\tlead\taustin-01\tbadge\tactive\tlocal"]
    assert run("user", "list", "--store", "nowhere", "--database-url", url).stdout.strip() == "no associates in store nowhere"


def test_serve_on_a_taken_port_is_one_line(url: str) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = run("serve", "--port", str(port), "--database-url", url)
    assert out.returncode == 1 and out.stderr.strip() == (
        f"storeassist: error: cannot listen on 127.0.0.1:{port}: Address already in use")


def test_seed_many_orders_in_several_stores(url: str) -> None:
    out = run("seed", "--demo", "--orders", "500", "--stores", "3", "--database-url", url)
    assert out.returncode == 0 and out.stdout.startswith("seeded 500 orders in 3 store(s)"), out.stderr
    db = open_database(Settings(database_url=url))
    with db.engine.connect() as conn:
        from sqlalchemy import text

        assert conn.execute(text("select count(*) from orders")).scalar() == 500
        assert conn.execute(text("select count(distinct store_id) from orders")).scalar() == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["store", "add", "--id", "x y", "--name", "X"], "Store code"),
        (["store", "add", "--id", "x", "--name", "X", "--timezone", "Nowhere/City"], "time zone"),
        (["store", "add", "--id", "x", "--name", "X", "--hours", "someday"], "Opening hours"),
        (["user", "add", "--username", "al", "--role", "lead", "--stores", "nope", "--pin", "1234"], "No store nope"),
        (["user", "unlock", "ghost"], "No user ghost"),
        (["seed", "--orders", "5"], "--demo"),
    ],
)
def test_failures_are_one_line(url: str, args: list[str], message: str) -> None:
    out = run(*args, "--database-url", url)
    assert out.returncode == 1
    assert message in out.stderr and len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [(["db"], "required: COMMAND"), (["user"], "required: COMMAND"), (["store"], "required: COMMAND"),
     (["key"], "required: COMMAND"), (["serve", "--port", "70000"], "not a port"),
     (["serve", "--port", "http"], "not a port"), (["user", "add"], "required: --username")],
)
def test_usage_errors_do_not_start_anything(args: list[str], message: str) -> None:
    out = run(*args)  # without a subcommand a group must not fall through to the terminal app
    assert out.returncode == 2 and message in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert not out.stdout


def test_bad_setting_names_the_setting(url: str) -> None:
    out = subprocess.run([sys.executable, "-m", "storeassist_tui.cli", "db", "upgrade", "--database-url", url],
                         capture_output=True, text=True, timeout=60,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "STOREASSIST_CONFIG": "/nonexistent",
                              "STOREASSIST_POLL_INTERVAL_S": "0"})
    assert out.returncode == 1 and out.stderr.startswith("storeassist: error: setting poll_interval_s:")
    assert len(out.stderr.strip().splitlines()) == 1


def test_backend_must_be_an_http_url() -> None:
    out = run("--backend", "ftp://store-server")
    assert out.returncode == 1 and out.stderr.strip() == (
        "storeassist: error: setting backend: 'ftp://store-server' is not an http:// or https:// URL")


def test_unreachable_database_is_one_line() -> None:
    out = run("db", "upgrade", "--database-url", "postgresql://nobody@127.0.0.1:1/none")
    assert out.returncode == 1 and out.stderr.startswith("storeassist: error: database:")
    assert len(out.stderr.strip().splitlines()) == 1


def test_serve_answers_health(url: str, tmp_path: Path) -> None:
    import socket
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "storeassist_tui.cli", "serve", "--port", str(port),
                             "--database-url", url], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and proc.poll() is None, "server did not come up"
                time.sleep(0.2)
        assert r.json()["status"] == "ok"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
