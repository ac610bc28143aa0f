"""method library: plan templates saved for a programme or the whole server, in versions

- plan_template: a template's title and scope (a programme's, or server-wide).
- plan_template_version: each saved version's whole plan; (template_id, number) unique.
- exchange.template_version_id: the library version an exchange's plan was copied from.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import exchange.db

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('plan_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=True),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', exchange.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['staff_user.id'], name=op.f('fk_plan_template_created_by_staff_user')),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_plan_template_programme_id_programme'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_template'))
    )
    with op.batch_alter_table('plan_template', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_template_programme_id'), ['programme_id'], unique=False)

    op.create_table('plan_template_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('plan', sa.JSON(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', exchange.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['staff_user.id'], name=op.f('fk_plan_template_version_created_by_staff_user')),
    sa.ForeignKeyConstraint(['template_id'], ['plan_template.id'], name=op.f('fk_plan_template_version_template_id_plan_template'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_template_version')),
    sa.UniqueConstraint('template_id', 'number', name=op.f('uq_plan_template_version_template_id_number'))
    )

    with op.batch_alter_table('exchange', schema=None) as batch_op:
        batch_op.add_column(sa.Column('template_version_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_exchange_template_version_id_plan_template_version'),
            'plan_template_version', ['template_version_id'], ['id'], ondelete='SET NULL',
        )


def downgrade() -> None:
    with op.batch_alter_table('exchange', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_exchange_template_version_id_plan_template_version'), type_='foreignkey')
        batch_op.drop_column('template_version_id')
    with op.batch_alter_table('plan_template', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_template_programme_id'))
    op.drop_table('plan_template_version')
    op.drop_table('plan_template')
