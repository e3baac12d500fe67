"""The embedded default: a SQLite file, migrated and seeded on first run, and the backend app
served in-process through httpx.ASGITransport (the same HTTP code path as a real server)."""

from __future__ import annotations

import httpx
from sqlmodel import func, select

from storeassist_tui.client import BackendClient
from storeassist_tui.config import Settings
from storeassist_tui.server import create_app
from storeassist_tui.store import demo, migrate
from storeassist_tui.store.db import Database, Timeouts
from storeassist_tui.store.models import Store


def open_database(settings: Settings, *, seed_if_empty: bool = False) -> Database:
    """Open and migrate to head; with seed_if_empty, a new database gets the demo store."""
    db = Database(settings.resolved_database_url(), timeouts=Timeouts(
        lock_s=settings.db_lock_timeout_s, statement_s=settings.db_statement_timeout_s,
        idle_in_transaction_s=settings.db_idle_in_transaction_timeout_s,
        sqlite_busy_s=settings.sqlite_busy_timeout_s))
    migrate.upgrade(db)
    if seed_if_empty:
        with db.read() as session:
            empty = session.exec(select(func.count()).select_from(Store)).one() == 0
        if empty:
            demo.seed_demo(db)
    return db


def embedded_client(db: Database, settings: Settings) -> BackendClient:
    app = create_app(db, settings)
    return BackendClient("http://embedded", transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                         timeout=settings.request_timeout_s)
