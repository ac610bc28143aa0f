"""privacy and consent: personal links bound to one device, review before release, retention

- participant: a link is a key for one device (claimed_at, device_hash) and can be handed over to
  another device with a short-lived code (handover_*).
- exchange: when it ended (ended_at, backfilled from the log's exchange_ended event), how many days
  the tellers review the transcript before it is released (review_days), and what retention purged.
- programme: how many days ended exchanges keep their stories (retention_days; NULL keeps them).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import exchange.db

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_at', exchange.db.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('device_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('handover_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('handover_expires_at', exchange.db.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('handover_attempts', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('exchange', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ended_at', exchange.db.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('review_days', sa.Integer(), nullable=False, server_default='7'))
        batch_op.add_column(sa.Column('purged_at', exchange.db.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('purge_summary', sa.JSON(), nullable=True))
    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention_days', sa.Integer(), nullable=True))
    # Ended exchanges: when the log says they ended, else when their row last changed.
    op.execute(
        "UPDATE exchange SET ended_at = COALESCE("
        "(SELECT MAX(session_event.at) FROM session_event "
        " WHERE session_event.exchange_id = exchange.id AND session_event.type = 'exchange_ended'),"
        " exchange.updated_at) WHERE exchange.status = 'ended'"
    )


def downgrade() -> None:
    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.drop_column('retention_days')
    with op.batch_alter_table('exchange', schema=None) as batch_op:
        batch_op.drop_column('purge_summary')
        batch_op.drop_column('purged_at')
        batch_op.drop_column('review_days')
        batch_op.drop_column('ended_at')
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_column('handover_attempts')
        batch_op.drop_column('handover_expires_at')
        batch_op.drop_column('handover_hash')
        batch_op.drop_column('device_hash')
        batch_op.drop_column('claimed_at')
