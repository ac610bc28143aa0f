"""Alembic environment: the URL comes from the caller or from settings; models are imported explicitly."""

from __future__ import annotations

from alembic import context

import exchange.accounts.models  # noqa: F401 - registers tables
import exchange.programmes.models  # noqa: F401
import exchange.programmes.invite_models  # noqa: F401
import exchange.sessions.models  # noqa: F401
import exchange.synthesis.models  # noqa: F401
from exchange.db import make_engine, metadata
from exchange.settings import get_settings

config = context.config


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:  # noqa: ANN001 - alembic hands us a Connection
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
