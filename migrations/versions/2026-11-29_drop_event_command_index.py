"""drop the event log's command_id index: no query reads it

Replayed commands are recognised by the hub from its memory of command ids, rebuilt from the log
when the hub opens (exchange/sessions/hub.py), never by querying the log. The index only added a
page to every event's commit (about a tenth of a commit's time on SQLite).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 19:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('session_event', schema=None) as batch_op:
        batch_op.drop_index('ix_session_event_exchange_id_command_id')


def downgrade() -> None:
    with op.batch_alter_table('session_event', schema=None) as batch_op:
        batch_op.create_index('ix_session_event_exchange_id_command_id', ['exchange_id', 'command_id'], unique=False)
