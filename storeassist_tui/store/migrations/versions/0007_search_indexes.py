"""search and lists at scale: trigram indexes for order search, an index per status for the
Orders filters, and (SQLite) each store's order count per status

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30

Search by any part of a name, e-mail or phone digits (`orders.search_text`, store/search.py):
- SQLite: an FTS5 table with the trigram tokenizer over `orders.search_text` (external content:
  it keeps only the index), kept in step with `orders` by triggers;
- PostgreSQL: a GIN index of `search_text`'s trigrams (pg_trgm) led by `store_id` (btree_gin), so
  one index scan finds a store's matches; `LIKE '%...%'` uses it as it is.
SQLite also keeps each store's number of orders per status (`store_order_count`, by triggers):
SQLite counts an index range row by row, and a list's total at 100,000 orders cost more than the
page itself.

These objects are not in the models (SQLAlchemy does not describe them): migrate.SEARCH_OBJECTS
names them so autogenerate leaves them alone. SQLite drops a table's triggers with the table: a
later migration that copies `orders` in batch mode must create the triggers again (the search
tests fail otherwise).
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE_UP = [
    # Case-sensitive: the search text is lower-case already, and a phrase of trigrams is then
    # exactly a substring, as LIKE finds it (case folding would also take 'ς' for 'σ').
    "CREATE VIRTUAL TABLE orders_search USING fts5("
    "search_text, content='orders', content_rowid='id', tokenize='trigram case_sensitive 1')",
    "CREATE TRIGGER orders_search_insert AFTER INSERT ON orders BEGIN"
    " INSERT INTO orders_search (rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER orders_search_delete AFTER DELETE ON orders BEGIN"
    " INSERT INTO orders_search (orders_search, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER orders_search_update AFTER UPDATE OF id, search_text ON orders BEGIN"
    " INSERT INTO orders_search (orders_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);"
    " INSERT INTO orders_search (rowid, search_text) VALUES (new.id, new.search_text); END",
    "INSERT INTO orders_search (orders_search) VALUES ('rebuild')",
    "CREATE TABLE store_order_count (store_id VARCHAR(64) NOT NULL, status VARCHAR(16) NOT NULL,"
    " n INTEGER NOT NULL, PRIMARY KEY (store_id, status)) WITHOUT ROWID",
    "CREATE TRIGGER store_order_count_insert AFTER INSERT ON orders BEGIN"
    " INSERT INTO store_order_count (store_id, status, n) VALUES (new.store_id, new.status, 1)"
    " ON CONFLICT (store_id, status) DO UPDATE SET n = n + 1; END",
    "CREATE TRIGGER store_order_count_delete AFTER DELETE ON orders BEGIN"
    " UPDATE store_order_count SET n = n - 1 WHERE store_id = old.store_id AND status = old.status; END",
    # Only a change of status or store: a scan's update of the order costs nothing here.
    "CREATE TRIGGER store_order_count_update AFTER UPDATE OF store_id, status ON orders"
    " WHEN old.store_id IS NOT new.store_id OR old.status IS NOT new.status BEGIN"
    " UPDATE store_order_count SET n = n - 1 WHERE store_id = old.store_id AND status = old.status;"
    " INSERT INTO store_order_count (store_id, status, n) VALUES (new.store_id, new.status, 1)"
    " ON CONFLICT (store_id, status) DO UPDATE SET n = n + 1; END",
    "INSERT INTO store_order_count (store_id, status, n)"
    " SELECT store_id, status, count(*) FROM orders GROUP BY store_id, status",
]
_SQLITE_DOWN = [
    "DROP TRIGGER store_order_count_update",
    "DROP TRIGGER store_order_count_delete",
    "DROP TRIGGER store_order_count_insert",
    "DROP TABLE store_order_count",
    "DROP TRIGGER orders_search_update",
    "DROP TRIGGER orders_search_delete",
    "DROP TRIGGER orders_search_insert",
    "DROP TABLE orders_search",
]
_POSTGRESQL_UP = [
    # Trusted extensions (PostgreSQL 13+): the database's owner may create them.
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE EXTENSION IF NOT EXISTS btree_gin",
    "CREATE INDEX ix_orders_search ON orders USING gin (store_id, search_text gin_trgm_ops)",
]
_POSTGRESQL_DOWN = ["DROP INDEX ix_orders_search"]  # the extensions stay: other schemas may use them


def upgrade() -> None:
    # Newest first within a store, the id breaking ties: the id is in the index, so a deep page's
    # offset is skipped in the index alone (PostgreSQL: an index-only scan).
    op.drop_index('ix_orders_store_placed', table_name='orders')
    op.create_index('ix_orders_store_placed', 'orders', ['store_id', 'placed_at', 'id'])
    # The Orders screen's status filters, newest first: an open or expired order among 100,000
    # handed-off ones is found without walking them.
    op.create_index('ix_orders_store_status_placed', 'orders', ['store_id', 'status', 'placed_at', 'id'])
    for statement in _SQLITE_UP if op.get_bind().dialect.name == 'sqlite' else _POSTGRESQL_UP:
        op.execute(statement)


def downgrade() -> None:
    for statement in _SQLITE_DOWN if op.get_bind().dialect.name == 'sqlite' else _POSTGRESQL_DOWN:
        op.execute(statement)
    op.drop_index('ix_orders_store_status_placed', table_name='orders')
    op.drop_index('ix_orders_store_placed', table_name='orders')
    op.create_index('ix_orders_store_placed', 'orders', ['store_id', 'placed_at'])
