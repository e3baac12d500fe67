"""The embedded default: a SQLite file, migrated and seeded on first run, and the backend app
served in-process through httpx.ASGITransport (the same HTTP code path as a real server).

The backend's stack (SQLAlchemy, FastAPI, the store) is imported only here and only when used,
so that client mode never loads it; and on a database that needs no work (store/schema_version.py)
the terminal's first screen is drawn before the backend is built (see `start_embedded`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx

from storeassist_tui.client import BackendClient
from storeassist_tui.config import Settings
from storeassist_tui.store import schema_version

if TYPE_CHECKING:
    from storeassist_tui.store.db import Database

log = logging.getLogger(__name__)
EMBEDDED_URL = "http://embedded"


def open_database(settings: Settings, *, seed_if_empty: bool = False) -> Database:
    """Open and migrate to head; with seed_if_empty, a new database gets the demo store."""
    from sqlmodel import func, select

    from storeassist_tui.store import migrate
    from storeassist_tui.store.db import Database, Timeouts
    from storeassist_tui.store.models import Store

    db = Database(settings.resolved_database_url(), timeouts=Timeouts(
        lock_s=settings.db_lock_timeout_s, statement_s=settings.db_statement_timeout_s,
        idle_in_transaction_s=settings.db_idle_in_transaction_timeout_s,
        sqlite_busy_s=settings.sqlite_busy_timeout_s))
    migrate.upgrade(db)
    if seed_if_empty:
        with db.read() as session:
            empty = session.exec(select(func.count()).select_from(Store)).one() == 0
        if empty:
            from storeassist_tui.store import demo  # the first run only

            demo.seed_demo(db)
    return db


def _transport(db: Database, settings: Settings) -> httpx.ASGITransport:
    from storeassist_tui.server import create_app

    # Only the terminal's own API: nothing else can reach an in-process backend.
    return httpx.ASGITransport(app=create_app(db, settings, platform=False), raise_app_exceptions=False)


def embedded_client(db: Database, settings: Settings) -> BackendClient:
    return BackendClient(EMBEDDED_URL, transport=_transport(db, settings), timeout=settings.request_timeout_s)


class DeferredTransport(httpx.AsyncBaseTransport):
    """An in-process transport whose backend is built later, in a worker thread, so that the
    terminal's first screen is drawn first and the event loop goes on drawing and reading keys
    while it is built. `start()` begins the build (the app calls it, through
    `BackendClient.warm_up`, once its first screen is drawn); a request made before that waits
    for it at most START_WAIT_S, then starts it itself. Requests wait for the build. A build that
    fails is answered as the server's own unexpected error would be (500, one line; the
    traceback in the log) and is tried again at the next request."""

    START_WAIT_S = 1.0

    def __init__(self, build: Callable[[], httpx.AsyncBaseTransport]) -> None:
        self._build = build
        self._inner: httpx.AsyncBaseTransport | None = None
        self._building: asyncio.Task[httpx.AsyncBaseTransport] | None = None
        self._started = asyncio.Event()

    @property
    def built(self) -> bool:
        return self._inner is not None

    def start(self) -> None:
        """Build now (on the running event loop's default executor); once only."""
        if self._building is None and self._inner is None:
            self._building = asyncio.get_running_loop().create_task(asyncio.to_thread(self._build))
            self._building.add_done_callback(self._done)
            self._started.set()

    def _done(self, building: asyncio.Task[httpx.AsyncBaseTransport]) -> None:
        if building.cancelled():
            self._building = None
        elif (exc := building.exception()) is not None:
            log.error("the embedded backend did not start", exc_info=exc)
            self._building = None  # the next request builds again, at once
        else:
            self._inner = building.result()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._inner is None:
            if self._building is None:
                try:
                    await asyncio.wait_for(self._started.wait(), self.START_WAIT_S)
                except TimeoutError:
                    pass
                self.start()
            building = self._building
            assert building is not None
            try:
                self._inner = await asyncio.shield(building)  # a request given up on cancels no build
            except Exception as exc:  # noqa: BLE001  (said as one line, like any backend error)
                detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
                return httpx.Response(500, json={"code": "internal", "message": f"The backend did not start: {detail}"})
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        if self._inner is not None:
            await self._inner.aclose()


def start_embedded(settings: Settings) -> BackendClient:
    """The client of the embedded backend. On a database with nothing to create, migrate or seed,
    the backend (and the database) is made after the first screen is drawn (DeferredTransport):
    the login screen is up about as fast as in client mode. Any other database is made ready
    here first, so that a failure to create or migrate it is one line before the app starts."""
    if not schema_version.sqlite_ready(settings.resolved_database_url()):
        return embedded_client(open_database(settings, seed_if_empty=True), settings)

    def build() -> httpx.AsyncBaseTransport:
        return _transport(open_database(settings, seed_if_empty=True), settings)

    return BackendClient(EMBEDDED_URL, transport=DeferredTransport(build), timeout=settings.request_timeout_s)
