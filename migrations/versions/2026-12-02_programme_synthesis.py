"""programme synthesis: the programme's own event log, full-text search, a practitioner's country

- programme_event: what a programme decided (themes accepted, renamed, merged or split; selection
  levels, panels and their choices; the placement scale and the stories placed on it). Append-only.
- search_doc / search_stamp: the contributions of each exchange's transcript as an export shows them,
  rebuilt when the record changes. SQLite searches them through the FTS5 table search_fts (kept in
  step by triggers); PostgreSQL through a GIN index on to_tsvector('simple', text). Neither is a
  model, so tests/integration/test_migrations.py leaves them out of its comparison.
- participant.country: optional, entered with the invite.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import exchange.db

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_FTS = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(text, content='search_doc', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER search_doc_ai AFTER INSERT ON search_doc BEGIN "
    "INSERT INTO search_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER search_doc_ad AFTER DELETE ON search_doc BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER search_doc_au AFTER UPDATE ON search_doc BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO search_fts(rowid, text) VALUES (new.id, new.text); END",
]
POSTGRES_FTS = ["CREATE INDEX search_doc_fts ON search_doc USING GIN (to_tsvector('simple', text))"]


def upgrade() -> None:
    op.create_table(
        'programme_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('programme_id', sa.Integer(), nullable=False),
        sa.Column('type', sa.String(length=40), nullable=False),
        sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('at', exchange.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_programme_event_programme_id_programme'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_event')),
    )
    op.create_index(op.f('ix_programme_event_programme_id'), 'programme_event', ['programme_id'], unique=False)
    op.create_table(
        'search_doc',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('programme_id', sa.Integer(), nullable=False),
        sa.Column('exchange_id', sa.Integer(), nullable=False),
        sa.Column('item_id', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('phase_index', sa.Integer(), nullable=True),
        sa.Column('phase_title', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column('author', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column('at', exchange.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column('text', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['exchange_id'], ['exchange.id'], name=op.f('fk_search_doc_exchange_id_exchange'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_search_doc_programme_id_programme'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_search_doc')),
    )
    op.create_index('ix_search_doc_programme_id_exchange_id', 'search_doc', ['programme_id', 'exchange_id'], unique=False)
    op.create_table(
        'search_stamp',
        sa.Column('exchange_id', sa.Integer(), nullable=False),
        sa.Column('fingerprint', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('built_at', exchange.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['exchange_id'], ['exchange.id'], name=op.f('fk_search_stamp_exchange_id_exchange'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('exchange_id', name=op.f('pk_search_stamp')),
    )
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False, server_default=''))
    for statement in SQLITE_FTS if op.get_bind().dialect.name == 'sqlite' else POSTGRES_FTS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for name in ('search_doc_au', 'search_doc_ad', 'search_doc_ai'):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    else:
        op.execute("DROP INDEX IF EXISTS search_doc_fts")
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_column('country')
    op.drop_table('search_stamp')
    op.drop_index('ix_search_doc_programme_id_exchange_id', table_name='search_doc')
    op.drop_table('search_doc')
    op.drop_index(op.f('ix_programme_event_programme_id'), table_name='programme_event')
    op.drop_table('programme_event')
