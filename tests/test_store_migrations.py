"""The Alembic migrations build exactly the schema the models describe, and upgrade is repeatable."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from storeassist_tui.store import migrate
from storeassist_tui.store.db import Database


def test_migrations_match_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_upgrade_twice_keeps_the_data(db: Database) -> None:
    from storeassist_tui.store import demo

    demo.seed_demo(db, orders=5)
    migrate.upgrade(db)
    with db.engine.connect() as conn:
        assert "alembic_version" in inspect(conn).get_table_names()
        assert conn.exec_driver_sql("select count(*) from orders").scalar() == 5
