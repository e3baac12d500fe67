"""the commerce platform calls us: its OAuth clients and tokens, pickup points, every field of its orders

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storeassist_tui.store.db

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('platform_client',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('consumer_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('secret_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('merchant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', storeassist_tui.store.db.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', storeassist_tui.store.db.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('consumer_id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('platform_token',
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('created_at', storeassist_tui.store.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', storeassist_tui.store.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['platform_client.id'], ),
    sa.PrimaryKeyConstraint('token_hash')
    )
    with op.batch_alter_table('platform_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_platform_token_client_id'), ['client_id'], unique=False)

    op.create_table('pickup_point',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('merchant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('in_store', sa.Boolean(), nullable=False),
    sa.Column('details', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('updated_at', storeassist_tui.store.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['store.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('store_id')
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('customer_order_id', sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(length=500),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('raw_order', sqlmodel.sql.sqltypes.AutoString(),
                                      nullable=False, server_default=''))
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('substitution_allowed', sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.drop_column('substitution_allowed')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('raw_order')
        batch_op.drop_column('notes')
        batch_op.drop_column('customer_order_id')
    op.drop_table('pickup_point')
    with op.batch_alter_table('platform_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_platform_token_client_id'))
    op.drop_table('platform_token')
    op.drop_table('platform_client')
