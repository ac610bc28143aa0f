"""Fixtures shared by the whole suite: real databases and real servers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.databases import fresh_database, migrate
from tests.support.servers import ServerProcess

ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, migrated database per test module, once on SQLite and once on PostgreSQL."""
    with fresh_database(request.param, tmp_path_factory.mktemp("db")) as url:
        migrate(url)
        yield url


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A real uvicorn process serving the app on a free loopback port."""
    process = ServerProcess(database_url, log_path=tmp_path_factory.mktemp("logs") / "server.log")
    process.start()
    try:
        yield process
    finally:
        process.stop()


def pytest_report_header() -> str:
    return f"CI={os.environ.get('CI', '')}: missing services fail, never skip"


@pytest.fixture
def fresh_server(database_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    """A server of the test's own, for tests that kill or restart it."""
    process = ServerProcess(database_url, log_path=tmp_path / "server.log")
    process.start()
    try:
        yield process
    finally:
        process.stop()
