"""The doorbell between instances: "exchange N has new events up to seq S".

The log in the database is the truth; a broker message only says where to look, and carries the
envelopes as a shortcut. A subscriber that misses a message or sees a gap reads the log. So the
interface is tiny, and the in-process broker is a faithful stand-in for Redis in one process.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Protocol

SUBSCRIBER_QUEUE = 1024


class Broker(Protocol):
    """Publish a batch of encoded envelopes for an exchange; subscribe to an exchange's batches."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def publish(self, exchange_id: int, message: bytes) -> None: ...

    def subscribe(self, exchange_id: int) -> contextlib.AbstractAsyncContextManager[asyncio.Queue[bytes]]: ...

    @property
    def healthy(self) -> bool: ...

    #: True when other processes may append to the same exchanges (and must be told about ours).
    shared: bool


class MemoryBroker:
    """Fan-out inside one process. Queues are bounded; a full one drops (the log fills the gap)."""

    shared = False  # one process, one hub per exchange: nobody else appends

    def __init__(self) -> None:
        self._subscribers: dict[int, set[asyncio.Queue[bytes]]] = defaultdict(set)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        self._subscribers.clear()

    @property
    def healthy(self) -> bool:
        return True

    async def publish(self, exchange_id: int, message: bytes) -> None:
        for queue in tuple(self._subscribers.get(exchange_id, ())):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(message)

    @contextlib.asynccontextmanager
    async def subscribe(self, exchange_id: int) -> AsyncIterator[asyncio.Queue[bytes]]:
        queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=SUBSCRIBER_QUEUE)
        self._subscribers[exchange_id].add(queue)
        try:
            yield queue
        finally:
            subscribers = self._subscribers.get(exchange_id)
            if subscribers is not None:
                subscribers.discard(queue)
                if not subscribers:
                    del self._subscribers[exchange_id]


def broker_for(redis_url: str | None, *, prefix: str = "story-exchange") -> Broker:
    """The in-process broker, or Redis pub/sub when a URL is configured (imported lazily)."""
    if not redis_url:
        return MemoryBroker()
    from exchange.sessions.redis_broker import RedisBroker

    return RedisBroker(redis_url, prefix=prefix)
