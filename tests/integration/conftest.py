"""Integration fixtures: websocket clients are closed after every test, even a failed one."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from tests.support.live import OPEN_CLIENTS
from tests.support.servers import ServerProcess
from tests.support.web import WebClient


@pytest.fixture(autouse=True)
async def _close_live_clients() -> AsyncIterator[None]:
    """Close whatever websockets a test left open, failed or not."""
    yield
    for client in list(OPEN_CLIENTS):
        with contextlib.suppress(Exception):
            await client.close()


@pytest.fixture
def clients(server: ServerProcess) -> Iterator[Callable[[], WebClient]]:
    """Make as many independent browsers as a test needs; all are closed afterwards."""
    made: list[WebClient] = []

    def make() -> WebClient:
        client = WebClient(server.url)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
