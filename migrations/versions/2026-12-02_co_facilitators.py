"""co-facilitators: facilitators of the programme who run an exchange beside the one who made it

- exchange_facilitator: (exchange_id, user_id), who added them and when.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import exchange.db

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('exchange_facilitator',
    sa.Column('exchange_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('added_by', sa.Integer(), nullable=False),
    sa.Column('added_at', exchange.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by'], ['staff_user.id'], name=op.f('fk_exchange_facilitator_added_by_staff_user')),
    sa.ForeignKeyConstraint(['exchange_id'], ['exchange.id'], name=op.f('fk_exchange_facilitator_exchange_id_exchange'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], name=op.f('fk_exchange_facilitator_user_id_staff_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('exchange_id', 'user_id', name=op.f('pk_exchange_facilitator'))
    )


def downgrade() -> None:
    op.drop_table('exchange_facilitator')
