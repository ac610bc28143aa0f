"""A real hub for tests that drive it directly: a real event store on the test's database."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from exchange.db import make_engine
from exchange.sessions.broker import MemoryBroker
from exchange.sessions.hub import Hub
from exchange.sessions.store import EventStore


@contextlib.asynccontextmanager
async def open_hub(database_url: str, exchange_id: int) -> AsyncIterator[Hub]:
    """The exchange's hub, opened (rebuilt from the log) until the block ends."""
    engine = make_engine(database_url)
    store = EventStore(engine)
    await store.start()
    hub = Hub(exchange_id, store=store, broker=MemoryBroker())
    await hub.open()
    try:
        yield hub
    finally:
        await hub.close()
        await store.close()
        engine.dispose()
