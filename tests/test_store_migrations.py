"""The Alembic migrations build exactly the schema the models describe, and upgrade is repeatable."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from storeassist_tui.store import migrate
from storeassist_tui.store.db import Database


def test_migrations_match_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": migrate.include_name})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_upgrade_twice_keeps_the_data(db: Database) -> None:
    from storeassist_tui.store import demo

    demo.seed_demo(db, orders=5)
    migrate.upgrade(db)
    with db.engine.connect() as conn:
        assert "alembic_version" in inspect(conn).get_table_names()
        assert conn.exec_driver_sql("select count(*) from orders").scalar() == 5


def test_a_store_with_data_upgrades_from_an_older_release(tmp_path: Path) -> None:
    """SQLite alters a table by copying it and dropping the old one; with foreign keys enforced
    that drop fails once other rows point at it, so a store's own database could not upgrade.
    A database at 0004 with a store, an associate of it, a session and an order: all kept."""
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    with db.engine.execution_options(write=True).begin() as conn:
        cfg = migrate.alembic_config(db)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")
    with db.engine.execution_options(write=True).begin() as conn:
        conn.execute(text(
            "INSERT INTO store (id, name, timezone, lead_time_minutes, opening_hours, curbside_enabled, parking_spots,"
            " signature_required, id_check_required, rejection_allowed, cleanup_days, revision, created_at)"
            " VALUES ('s1', 'Old store', 'UTC', 120, '{}', 1, '[]', 0, 0, 1, 7, 3, '2026-01-01 00:00:00')"))
        conn.execute(text(
            "INSERT INTO associate (id, username, display_name, role, secret_hash, failed_logins, created_at)"
            " VALUES (1, 'pat', 'Pat', 'picker', 'x', 0, '2026-01-01 00:00:00')"))
        conn.execute(text("INSERT INTO associatestore (associate_id, store_id) VALUES (1, 's1')"))
        conn.execute(text("INSERT INTO authtoken (token_hash, associate_id, created_at, expires_at)"
                          " VALUES ('t', 1, '2026-01-01 00:00:00', '2026-01-02 00:00:00')"))
    migrate.upgrade(db)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("select name, weight_tolerance_pct from store").all() == [("Old store", 10)]
        assert conn.exec_driver_sql("select username, platform_managed from associate").all() == [("pat", 0)]
        assert conn.exec_driver_sql("select count(*) from associatestore").scalar() == 1
        assert conn.exec_driver_sql("select count(*) from authtoken").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # enforced again afterwards
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
