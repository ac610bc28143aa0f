"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

import exchange.accounts.models  # noqa: F401 - registers tables
import exchange.programmes.models  # noqa: F401
import exchange.sessions.models  # noqa: F401
import exchange.synthesis.models  # noqa: F401
from exchange.cli import alembic_config
from exchange.db import make_engine, metadata
from tests.support.databases import BACKENDS, fresh_database, migrate

EXPECTED_TABLES = {
    "staff_user",
    "staff_session",
    "login_throttle",
    "programme",
    "programme_member",
    "exchange",
    "participant",
    "session_event",
    "plan_template",
    "plan_template_version",
    "security_event",
    "programme_event",
    "search_doc",
    "search_stamp",
}
#: Full-text search is not a model: SQLite's FTS5 table (and the shadow tables FTS5 makes for it) and
#: PostgreSQL's GIN index on the text's tsvector are made by the synthesis migration alone, so the
#: comparison of models and schema leaves them out (the search tests exercise them).
FULL_TEXT = ("search_fts", "search_doc_fts")


def _not_full_text(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    return not (name or "").startswith(FULL_TEXT)


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def engine(empty_url: str) -> Iterator[Engine]:
    engine = make_engine(empty_url)
    try:
        yield engine
    finally:
        engine.dispose()


def _differences(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": _not_full_text})
        return list(compare_metadata(context, metadata))


def _head() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def _current(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_upgrade_to_head_matches_the_models(empty_url: str, engine: Engine) -> None:
    assert _current(engine) is None
    assert set(inspect(engine).get_table_names()) == set()

    migrate(empty_url)

    assert _current(engine) == _head()
    tables = {t for t in inspect(engine).get_table_names() if not t.startswith(FULL_TEXT)} - {"alembic_version"}
    assert tables == set(metadata.tables)
    assert EXPECTED_TABLES <= tables
    assert _differences(engine) == []


def test_compare_metadata_notices_a_schema_that_differs(empty_url: str, engine: Engine) -> None:
    """The check above can fail: a migrated database missing a table is reported."""
    migrate(empty_url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE login_throttle"))
    diffs = _differences(engine)
    assert any(diff[0] == "add_table" and diff[1].name == "login_throttle" for diff in diffs), diffs  # type: ignore[index]


def test_downgrade_to_base_then_upgrade_again(empty_url: str, engine: Engine) -> None:
    migrate(empty_url)
    command.downgrade(alembic_config(empty_url), "base")
    engine.dispose()
    assert _current(engine) is None
    assert set(inspect(engine).get_table_names()) - {"alembic_version"} == set()

    migrate(empty_url)
    engine.dispose()
    assert _current(engine) == _head()
    assert _differences(engine) == []


def test_sqlite_runs_in_wal_mode_with_foreign_keys_on(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nested' / 'pragmas.db'}"
    migrate(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        # Foreign keys are really enforced: a member of a programme that does not exist is refused.
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO programme_member (programme_id, user_id, added_at) "
                    "VALUES (999, 999, '2030-01-01 00:00:00')"
                )
            )
    finally:
        engine.dispose()
