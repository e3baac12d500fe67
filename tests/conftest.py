"""Shared fixtures: a fresh database per test (SQLite, or PostgreSQL when
STOREASSIST_TEST_DATABASE_URL is set), the API over ASGI, and the embedded client."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from ui import SwitchableTransport

from storeassist_tui.client import BackendClient
from storeassist_tui.config import Settings
from storeassist_tui.server import create_app
from storeassist_tui.store import auth, demo, migrate
from storeassist_tui.store.db import Database, utcnow
from storeassist_tui.store.roles import Actor

PG_URL = os.environ.get("STOREASSIST_TEST_DATABASE_URL", "")


def _fresh_pg(base: str) -> tuple[str, str]:
    """A new empty database on the test PostgreSQL server, so tests never share state."""
    name = f"sa_test_{uuid.uuid4().hex[:12]}"
    url = make_url(base).set(drivername="postgresql+psycopg")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False), name


def _drop_pg(base: str, name: str) -> None:
    admin = create_engine(make_url(base).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    if PG_URL:
        url, name = _fresh_pg(PG_URL)
        yield url
        _drop_pg(PG_URL, name)
    else:
        yield f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    migrate.upgrade(database)
    yield database
    database.dispose()


@pytest.fixture
def demo_db(db: Database) -> Database:
    """The demo store with its associates and 40 orders due around now."""
    demo.seed_demo(db, orders=40)
    return db


@pytest.fixture
def settings() -> Settings:
    return Settings(demo=True, public_url="http://shop.test", secret_key="test-secret")


@pytest.fixture
async def api(demo_db: Database, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(demo_db, settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://test") as client:
        yield client


@pytest.fixture
def integration_key(demo_db: Database) -> str:
    return auth.new_integration_key(demo_db, "platform")


@pytest.fixture
async def backend(demo_db: Database, settings: Settings) -> AsyncIterator[BackendClient]:
    """The client the screens use, over the embedded backend (in-process ASGI, real SQLite/PG)."""
    client = BackendClient("http://embedded", transport=httpx.ASGITransport(app=create_app(demo_db, settings), raise_app_exceptions=False))
    yield client
    await client.aclose()


@pytest.fixture
def people(demo_db: Database) -> dict[str, Actor]:
    """The demo associates as the store sees them: pat picks, hana hands off, lee leads."""
    policy = auth.AuthPolicy()
    out: dict[str, Actor] = {}
    for cred in demo.DEMO_USERS:
        token = auth.login(demo_db, policy, username=cred.username, secret=cred.secret).token
        out[cred.username] = auth.authenticate(demo_db, token)[0]
    return out


@pytest.fixture
async def switchable(demo_db: Database, settings: Settings):  # type: ignore[no-untyped-def]
    transport = SwitchableTransport(httpx.ASGITransport(app=create_app(demo_db, settings)))
    client = BackendClient("http://embedded", transport=transport)
    yield client, transport
    await client.aclose()


@pytest.fixture
async def platform(demo_db: Database, settings: Settings) -> AsyncIterator[Any]:
    """The commerce platform calling us (tests/platform_double.py): its token, order create and
    cancel, store sync and check-in, into our server over ASGI, on the test's database."""
    from platform_double import PlatformDouble

    from storeassist_tui.store import platform_clients

    creds = platform_clients.add_client(demo_db, "shop", "merchant-1")
    transport = httpx.ASGITransport(app=create_app(demo_db, settings), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport) as http:
        yield PlatformDouble(http, "http://shop.test/", "http://shop.test/", creds.consumer_id,
                             creds.consumer_secret, "merchant-1")


@pytest.fixture
def platform_double() -> Iterator[object]:
    """The commerce platform's REST side on loopback (tests/platform_double_server.py)."""
    from platform_double_server import PlatformDouble

    double = PlatformDouble().start()
    yield double
    double.stop()


class Clock:
    """Real time plus an offset the test moves forward."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def senders() -> Iterator[list[Any]]:
    made: list[Any] = []
    yield made
    for s in made:
        s.close()


@pytest.fixture
def make_deliverer(demo_db: Database, platform_double: Any, clock: Clock, senders: list[Any]):  # type: ignore[no-untyped-def]
    """Deliverers with the real HTTP sender to the double, on the test's clock."""
    from platform_double_server import TOKEN

    from storeassist_tui.platform_sender import HttpSender
    from storeassist_tui.store import delivery

    def make(attempts: int = 5, timeout_s: float = 5.0, token: str = TOKEN) -> delivery.Deliverer:
        sender = HttpSender(platform_double.url, token, timeout_s)
        senders.append(sender)
        return delivery.Deliverer(demo_db, sender.send, delivery.Policy(max_attempts=attempts), clock=clock.now)
    return make
