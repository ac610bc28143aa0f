"""Integration fixtures: websocket clients are closed after every test, even a failed one."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest

from tests.support.live import OPEN_CLIENTS


@pytest.fixture(autouse=True)
async def _close_live_clients() -> AsyncIterator[None]:
    """Close whatever websockets a test left open, failed or not."""
    yield
    for client in list(OPEN_CLIENTS):
        with contextlib.suppress(Exception):
            await client.close()
