"""Schema migrations (Alembic) to head, run by `storeassist db upgrade` and on every start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from storeassist_tui.store.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"
_MIGRATION_LOCK = 7_340_022  # PostgreSQL advisory lock key: one replica migrates at a time


def alembic_config(db: Database) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return cfg


def upgrade(db: Database) -> None:
    """To head, once even when replicas start together: on PostgreSQL each takes the migration
    lock first (the others wait, then find the schema at head); SQLite's BEGIN IMMEDIATE does the
    same. The whole upgrade is one transaction, so the lock goes with its commit."""
    engine = db.engine.execution_options(write=True) if db.is_sqlite else db.engine
    with engine.begin() as conn:
        if not db.is_sqlite:
            # Migrating may rightly wait and run long: not the request bounds of db.Timeouts.
            conn.execute(text("SET LOCAL lock_timeout = 0"))
            conn.execute(text("SET LOCAL statement_timeout = 0"))
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        cfg = alembic_config(db)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def revision(db: Database, message: str) -> None:
    """For developers: autogenerate a migration from the models against an up-to-date database."""
    with db.engine.begin() as conn:
        cfg = alembic_config(db)
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=True)
