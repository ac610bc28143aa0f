"""languages: each practitioner's and each staff member's own language

- participant.language: the language the practitioner picked in their lobby (NULL: their browser's
  Accept-Language decides). A preference of the person, not part of the exchange's record, so it
  lives on their row and not in the session's event log.
- staff_user.language: the language a facilitator or lead picked on their account page (NULL: their
  browser decides).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 11:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=35), nullable=True))
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=35), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_column('language')
