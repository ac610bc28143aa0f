"""Fresh, migrated databases for tests: a SQLite file, or a new PostgreSQL database on 127.0.0.1."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from alembic import command

from exchange.cli import alembic_config

POSTGRES_ADMIN = os.environ.get("EXCHANGE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")


@contextmanager
def fresh_database(backend: str, tmp_dir: Path) -> Iterator[str]:
    """Yield the URL of an empty database of the backend; PostgreSQL's is dropped afterwards.

    PostgreSQL must be reachable: a missing service fails the test, it never skips it.
    """
    if backend == "sqlite":
        yield f"sqlite:///{tmp_dir / f'exchange-{uuid.uuid4().hex[:8]}.db'}"
        return
    name = f"exchange_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate(url: str) -> None:
    """Apply every migration, exactly as `exchange db upgrade` does."""
    command.upgrade(alembic_config(url), "head")
