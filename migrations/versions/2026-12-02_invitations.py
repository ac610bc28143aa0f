"""invitations that arrive: what was emailed, the practitioner's language, staff invitations

- (the practitioner's language, which their invitation is written in, is participant.language from 0007)
- mail_delivery: one row per practitioner and message (the invitation, each reminder), unique, so
  no reminder is sent twice whatever the number of instances or restarts.
- staff_invite: a lead's invitation for a colleague to join a programme (only the token's hash).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import exchange.db

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('mail_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_at', exchange.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('sent_at', exchange.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_at', exchange.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_mail_delivery_participant_id_participant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_delivery')),
    sa.UniqueConstraint('participant_id', 'key', name=op.f('uq_mail_delivery_participant_id_key'))
    )
    with op.batch_alter_table('mail_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mail_delivery_participant_id'), ['participant_id'], unique=False)
    op.create_table('staff_invite',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', exchange.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', exchange.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', exchange.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('accepted_by', sa.Integer(), nullable=True),
    sa.Column('revoked_at', exchange.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('mail_status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('mail_error', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_staff_invite_programme_id_programme'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['staff_user.id'], name=op.f('fk_staff_invite_created_by_staff_user')),
    sa.ForeignKeyConstraint(['accepted_by'], ['staff_user.id'], name=op.f('fk_staff_invite_accepted_by_staff_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_invite'))
    )
    with op.batch_alter_table('staff_invite', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_invite_programme_id'), ['programme_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_invite_token_hash'), ['token_hash'], unique=True)


def downgrade() -> None:
    op.drop_table('staff_invite')
    op.drop_table('mail_delivery')
