"""Scans as a keyboard wedge delivers them, many back to back, never `Pilot.press` (it waits for
idle after every key and so hides burst bugs): 200 scans posted as key events without waiting,
and 200 scans typed into the real app in a real pty by tmux. Each must be counted exactly once,
in the order sent, as a scan (not typed)."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from ui import drained, send_burst, wait_for

from storeassist_tui import barcodes
from storeassist_tui.app import StoreAssistApp
from storeassist_tui.client import BackendClient
from storeassist_tui.screens.home import HomeScreen
from storeassist_tui.screens.pick_walk import PickWalkScreen
from storeassist_tui.store import demo, intake, migrate, queries
from storeassist_tui.store.db import Database
from storeassist_tui.store.roles import Actor

SCANS = 200
NUMBER = "BURST-0001"


def big_order(db: Database) -> tuple[int, list[str]]:
    """An order of 4 lines x 50 units, and 200 scans of its items in a shuffled order."""
    items = [i for i in demo.catalogue() if i.code_type == "UPCA"][:4]
    lines = [{
        "lineNbr": n + 1, "quantity": {"value": SCANS // len(items)}, "storeUnitPrice": f"{it.price_cents / 100}",
        "itemDesc": it.description, "products": [{"barcode": it.code, "barcodeType": "UPC"}],
        "department": {"deptNbr": n + 1, "deptName": it.department, "deptSequence": it.dept_seq},
    } for n, it in enumerate(items)]
    order = intake.IntakeOrder.model_validate({
        "orderId": NUMBER, "customer": {"contact": {"name": {"firstName": "Bea", "lastName": "Burst"}}},
        "orderLines": lines,
    })
    detail, _ = intake.intake_order(db, order, "demo-001")
    codes = [it.code for it in items for _ in range(SCANS // len(items))]
    random.Random(3).shuffle(codes)
    return detail.id, codes


def counted(db: Database, lee: Actor, order_id: int) -> list[tuple[str, str]]:
    """(code, entry) of every unit counted, in the order the backend committed them."""
    return [(str(e.detail["code"]), e.entry) for e in queries.order_timeline(db, lee, order_id) if e.action == "picked"]


def clean(code: str) -> str:
    return barcodes.interpret(code).text


async def test_200_scans_posted_back_to_back_are_each_counted_once_in_order(
    backend: BackendClient, demo_db: Database, people: dict[str, Actor],
) -> None:
    order_id, codes = big_order(demo_db)
    app = StoreAssistApp(backend, poll_interval_s=0.5)
    async with app.run_test(size=(80, 24)) as pilot:
        send_burst(app, "B-1001\r")
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen))
        await pilot.press("1")
        await wait_for(pilot, lambda: getattr(app.screen, "queue", None) is not None)
        # The order number and then 200 items in one burst: the first scan opens the walk while
        # the rest are still arriving; none may land on the queue screen or be lost.
        send_burst(app, NUMBER + "\r" + "".join(c + "\r" for c in codes))
        await wait_for(pilot, lambda: len(counted(demo_db, people["lee"], order_id)) >= SCANS, timeout=90)
        await wait_for(pilot, lambda: isinstance(app.screen, PickWalkScreen) and app.screen.units == (SCANS, SCANS))
        await drained(pilot)  # every scan handled: nothing more is coming
    got = counted(demo_db, people["lee"], order_id)
    assert [c for c, _ in got] == [clean(c) for c in codes]
    assert {entry for _, entry in got} == {"scan"}


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def _screen(session: str) -> str:
    return _tmux("capture-pane", "-p", "-t", session)


def _wait_screen(session: str, needle: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while needle not in _screen(session):
        if time.monotonic() > deadline:
            raise AssertionError(f"{needle!r} not on screen:\n{_screen(session)}")
        time.sleep(0.1)


@dataclass
class PtyApp:
    """The real app in a real pty (tmux), Pat on the pick queue, over a fresh SQLite file."""

    session: str
    db: Database
    lee: Actor
    order_id: int
    codes: list[str]


@contextmanager
def pick_queue_in_a_pty(tmp_path: Path, name: str, term: str, orders: int) -> Iterator[PtyApp]:
    url = f"sqlite:///{tmp_path / f'{name}.db'}"
    db = Database(url)
    migrate.upgrade(db)
    demo.seed_demo(db, orders=orders)
    order_id, codes = big_order(db)
    from storeassist_tui.store import auth

    lee = auth.authenticate(db, auth.login(db, auth.AuthPolicy(), username="lee", secret="3333").token)[0]
    exe = Path(sys.executable).with_name("storeassist")
    session = f"{name}{tmp_path.name[-8:]}".replace(".", "")
    _tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24",
          f"env {term} STOREASSIST_DATABASE_URL={url} XDG_DATA_HOME={tmp_path / 'data'} {exe}")
    try:
        _wait_screen(session, "Log in")
        _tmux("send-keys", "-t", session, "B-1001", "Enter")
        _wait_screen(session, "1 Pick")
        _tmux("send-keys", "-t", session, "1")
        _wait_screen(session, "Pick queue")
        yield PtyApp(session, db, lee, order_id, codes)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
        db.dispose()


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (CI installs it)")
def test_200_scans_through_a_real_pty_are_each_counted_once_in_order(tmp_path: Path) -> None:
    with pick_queue_in_a_pty(tmp_path, "burst", "TERM=xterm-256color", 40) as pty:
        keys = [NUMBER, "Enter"] + [k for c in pty.codes for k in (c, "Enter")]
        _tmux("send-keys", "-t", pty.session, *keys)  # one write: every scan back to back, no delay
        deadline = time.monotonic() + 120
        while len(counted(pty.db, pty.lee, pty.order_id)) < SCANS and time.monotonic() < deadline:
            time.sleep(0.2)
        _wait_screen(pty.session, f"{SCANS}/{SCANS}")
        _wait_screen(pty.session, "All units done")  # said after the last scan's answer, and only then
        got = counted(pty.db, pty.lee, pty.order_id)
        assert [c for c, _ in got] == [clean(c) for c in pty.codes]
        assert {entry for _, entry in got} == {"scan"}


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (CI installs it)")
def test_sequences_that_are_no_keys_never_glue_onto_a_scan_in_a_real_pty(tmp_path: Path) -> None:
    """Unknown CSI, OSC, DCS, SS3 and a device-attributes answer, each right before a scan, all in
    one write: every scan is counted, none refused as "Unknown code [99~...". """
    strays = ["\x1b[99~", "\x1b]22;default\x07", "\x1bP1$r0m\x1b\\", "\x1bOz", "\x1b[?62;1;6c", "\x1b[97;5u"]
    with pick_queue_in_a_pty(tmp_path, "stray", "TERM=vt220 LANG=C", 5) as pty:
        sent = pty.codes[:len(strays)]
        burst = NUMBER + "\r" + "".join(s + c + "\r" for s, c in zip(strays, sent, strict=True))
        _tmux("send-keys", "-t", pty.session, "-H", *(f"{b:02x}" for b in burst.encode()))  # one write
        deadline = time.monotonic() + 30
        while len(counted(pty.db, pty.lee, pty.order_id)) < len(sent) and time.monotonic() < deadline:
            time.sleep(0.1)
        got = counted(pty.db, pty.lee, pty.order_id)
        assert [c for c, _ in got] == [clean(c) for c in sent]
        assert "Unknown" not in _screen(pty.session)
