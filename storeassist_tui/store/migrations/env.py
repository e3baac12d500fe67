"""Alembic environment: run against the connection handed over by storeassist_tui.store.migrate."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import storeassist_tui.store.models  # noqa: F401  (registers the tables)
from storeassist_tui.store.migrate import include_name

target_metadata = SQLModel.metadata
connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
    include_name=include_name,
)
with context.begin_transaction():
    context.run_migrations()
