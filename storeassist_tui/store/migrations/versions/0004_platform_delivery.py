"""calls to the commerce platform made from the outbox, with their delivery state

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storeassist_tui.store.db

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('platform_delivery',
    sa.Column('outbox_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('order_number', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('event_type', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('call', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', storeassist_tui.store.db.UTCDateTime(), nullable=False),
    sa.Column('last_attempt_at', storeassist_tui.store.db.UTCDateTime(), nullable=True),
    sa.Column('failed_at', storeassist_tui.store.db.UTCDateTime(), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('event_created_at', storeassist_tui.store.db.UTCDateTime(), nullable=False),
    sa.Column('delivered_at', storeassist_tui.store.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ),
    sa.ForeignKeyConstraint(['outbox_id'], ['outboxevent.id'], ),
    sa.PrimaryKeyConstraint('outbox_id'),
    sa.UniqueConstraint('event_id')
    )
    with op.batch_alter_table('platform_delivery', schema=None) as batch_op:
        batch_op.create_index('ix_platform_delivery_open', ['state', 'order_id', 'outbox_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_platform_delivery_order_id'), ['order_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('platform_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_platform_delivery_order_id'))
        batch_op.drop_index('ix_platform_delivery_open')

    op.drop_table('platform_delivery')
