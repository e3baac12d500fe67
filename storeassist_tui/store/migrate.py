"""Schema migrations (Alembic) to head, run by `storeassist db upgrade` and on every start.

A database already at head is told so by one query (store/schema_version.py) and Alembic is not
even loaded: the usual start does no schema work.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from storeassist_tui.store import schema_version
from storeassist_tui.store.db import Database

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
_MIGRATION_LOCK = 7_340_022  # PostgreSQL advisory lock key: one replica migrates at a time
# Made by hand in migration 0007, outside the models (SQLAlchemy cannot describe them): SQLite's
# FTS5 search table with its shadow tables and its per-status order counts, PostgreSQL's trigram index.
SEARCH_OBJECTS = ("orders_search", "store_order_count", "ix_orders_search")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """For autogenerate and the schema check: everything but SEARCH_OBJECTS."""
    return not (name or "").startswith(SEARCH_OBJECTS)


def alembic_config(db: Database) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return cfg


def upgrade(db: Database) -> None:
    """To head, once even when replicas start together: on PostgreSQL each takes the migration
    lock first (the others wait, then find the schema at head); SQLite's BEGIN IMMEDIATE does the
    same. The whole upgrade is one transaction, so the lock goes with its commit."""
    if is_current(db):
        return
    if db.is_sqlite:
        _upgrade_sqlite(db)
        return
    with db.engine.begin() as conn:
        # Migrating may rightly wait and run long: not the request bounds of db.Timeouts.
        conn.execute(text("SET LOCAL lock_timeout = 0"))
        conn.execute(text("SET LOCAL statement_timeout = 0"))
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        _to_head(db, conn)


def is_current(db: Database) -> bool:
    """The schema is at head (a plain read of `alembic_version`; a new database has no such table)."""
    try:
        with db.engine.connect() as conn:
            stored = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
    except DBAPIError:
        return False
    return schema_version.is_current(stored)


def _to_head(db: Database, conn: Connection) -> None:
    from alembic import command

    cfg = alembic_config(db)
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


def _upgrade_sqlite(db: Database) -> None:
    """SQLite alters a table by copying it and dropping the old one, and with foreign keys
    enforced that drop fails as soon as rows point at the table: a store's own database could not
    upgrade. So foreign keys are off for the upgrade (the pragma is ignored inside a transaction,
    hence set before it), checked whole before it commits, and on again for the pooled connection."""
    with db.engine.execution_options(write=True).connect() as conn:
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        dbapi.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                _to_head(db, conn)
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"the upgrade would leave rows pointing nowhere: {broken[:3]}")
        finally:
            dbapi.execute("PRAGMA foreign_keys=ON")


def revision(db: Database, message: str) -> None:
    """For developers: autogenerate a migration from the models against an up-to-date database."""
    from alembic import command

    with db.engine.begin() as conn:
        cfg = alembic_config(db)
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=True)
