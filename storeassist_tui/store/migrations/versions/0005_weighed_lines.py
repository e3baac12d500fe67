"""weighed lines: a line's unit and amounts, the store's weight tolerance

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('order_line') as batch:
        batch.add_column(sa.Column('uom', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False,
                                   server_default='EACH'))
        batch.add_column(sa.Column('weight_milli', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('weight_picked_milli', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('store') as batch:
        batch.add_column(sa.Column('weight_tolerance_pct', sa.Integer(), nullable=False, server_default='10'))


def downgrade() -> None:
    with op.batch_alter_table('store') as batch:
        batch.drop_column('weight_tolerance_pct')
    with op.batch_alter_table('order_line') as batch:
        batch.drop_column('weight_picked_milli')
        batch.drop_column('weight_milli')
        batch.drop_column('uom')
