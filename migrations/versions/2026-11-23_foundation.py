"""foundation

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 09:15:09.236361
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import exchange.db

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('login_throttle',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', exchange.db.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_throttle'))
    )
    op.create_table('staff_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', exchange.db.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_user'))
    )
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_user_email'), ['email'], unique=True)

    op.create_table('programme',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', exchange.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['staff_user.id'], name=op.f('fk_programme_created_by_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme'))
    )
    op.create_table('staff_session',
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', exchange.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', exchange.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], name=op.f('fk_staff_session_user_id_staff_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_staff_session'))
    )
    with op.batch_alter_table('staff_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_session_user_id'), ['user_id'], unique=False)

    op.create_table('exchange',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('starts_at', exchange.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=35), nullable=False),
    sa.Column('call_url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('template_key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('plan', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', exchange.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', exchange.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['staff_user.id'], name=op.f('fk_exchange_created_by_staff_user')),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_exchange_programme_id_programme'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange'))
    )
    with op.batch_alter_table('exchange', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_programme_id'), ['programme_id'], unique=False)

    op.create_table('programme_member',
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('added_at', exchange.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_programme_member_programme_id_programme'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], name=op.f('fk_programme_member_user_id_staff_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('programme_id', 'user_id', name=op.f('pk_programme_member'))
    )
    op.create_table('participant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exchange_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('context', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('token_salt', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('token_version', sa.Integer(), nullable=False),
    sa.Column('revoked_at', exchange.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('rules_accepted_at', exchange.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('consent', sa.String(length=20), nullable=True),
    sa.Column('created_at', exchange.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['exchange_id'], ['exchange.id'], name=op.f('fk_participant_exchange_id_exchange'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participant'))
    )
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participant_exchange_id'), ['exchange_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_participant_token_hash'), ['token_hash'], unique=True)

    op.create_table('session_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exchange_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', exchange.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.JSON(), nullable=False),
    sa.Column('command_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['exchange_id'], ['exchange.id'], name=op.f('fk_session_event_exchange_id_exchange'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_event')),
    sa.UniqueConstraint('exchange_id', 'seq', name=op.f('uq_session_event_exchange_id_seq'))
    )
    with op.batch_alter_table('session_event', schema=None) as batch_op:
        batch_op.create_index('ix_session_event_exchange_id_command_id', ['exchange_id', 'command_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('session_event', schema=None) as batch_op:
        batch_op.drop_index('ix_session_event_exchange_id_command_id')

    op.drop_table('session_event')
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participant_token_hash'))
        batch_op.drop_index(batch_op.f('ix_participant_exchange_id'))

    op.drop_table('participant')
    op.drop_table('programme_member')
    with op.batch_alter_table('exchange', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_programme_id'))

    op.drop_table('exchange')
    with op.batch_alter_table('staff_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_session_user_id'))

    op.drop_table('staff_session')
    op.drop_table('programme')
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_user_email'))

    op.drop_table('staff_user')
    op.drop_table('login_throttle')
