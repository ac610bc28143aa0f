"""Redis pub/sub as the doorbell between instances: one channel per exchange.

Only the exchanges this instance serves are subscribed, so it decodes nothing else. Redis may go
away: publishing then fails fast and is skipped, `healthy` turns false so hubs read new events from
the log, and the reader reconnects with backoff, subscribes again and rings every hub once (an empty
message) so each reads whatever the log gained meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator

import redis.asyncio as redis
from redis.exceptions import RedisError

from exchange.sessions.broker import SUBSCRIBER_QUEUE

log = logging.getLogger(__name__)

PUBLISH_TIMEOUT = 1.0
RESYNC = b""  # "you may have missed something: read the log"


class RedisBroker:
    """Cross-instance fan-out through Redis, with the database as the fallback when Redis is down."""

    shared = True

    def __init__(self, url: str, *, prefix: str = "story-exchange") -> None:
        self.url = url
        self.prefix = prefix
        self._client: redis.Redis | None = None
        self._pubsub: redis.client.PubSub | None = None
        self._subscribers: dict[int, set[asyncio.Queue[bytes]]] = defaultdict(set)
        self._reader: asyncio.Task[None] | None = None
        self._healthy = False

    @property
    def healthy(self) -> bool:
        return self._healthy

    def channel(self, exchange_id: int) -> str:
        return f"{self.prefix}:exchange:{exchange_id}"

    async def start(self) -> None:
        self._client = redis.Redis.from_url(
            self.url, socket_connect_timeout=1.0, socket_timeout=PUBLISH_TIMEOUT, retry_on_timeout=False
        )
        self._reader = asyncio.create_task(self._read_forever(), name="redis-broker")

    async def close(self) -> None:
        if self._reader:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._drop_pubsub()
        if self._client is not None:
            await self._client.aclose()

    async def ping(self) -> bool:
        assert self._client is not None
        try:
            return bool(await asyncio.wait_for(self._client.ping(), PUBLISH_TIMEOUT))
        except (RedisError, OSError, TimeoutError):
            return False

    async def publish(self, exchange_id: int, message: bytes) -> None:
        """Best effort: while Redis is down the others read the log, so don't wait on it."""
        if not self._healthy or self._client is None:
            return
        try:
            await asyncio.wait_for(self._client.publish(self.channel(exchange_id), message), PUBLISH_TIMEOUT)
        except (RedisError, OSError, TimeoutError) as exc:
            self._mark_unhealthy(exc)

    @contextlib.asynccontextmanager
    async def subscribe(self, exchange_id: int) -> AsyncIterator[asyncio.Queue[bytes]]:
        queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=SUBSCRIBER_QUEUE)
        first = not self._subscribers[exchange_id]
        self._subscribers[exchange_id].add(queue)
        if first and self._pubsub is not None:
            with contextlib.suppress(RedisError, OSError, TimeoutError):
                await self._pubsub.subscribe(self.channel(exchange_id))
        try:
            yield queue
        finally:
            queues = self._subscribers.get(exchange_id)
            if queues is not None:
                queues.discard(queue)
                if not queues:
                    del self._subscribers[exchange_id]
                    if self._pubsub is not None:
                        with contextlib.suppress(RedisError, OSError, TimeoutError):
                            await self._pubsub.unsubscribe(self.channel(exchange_id))

    # --- the reader ---------------------------------------------------------------------------

    async def _read_forever(self) -> None:
        backoff = 0.2
        while True:
            try:
                await self._connect()
                backoff = 0.2
                await self._pump()
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError, TimeoutError) as exc:
                self._mark_unhealthy(exc)
            await self._drop_pubsub()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 2.0)

    async def _connect(self) -> None:
        assert self._client is not None
        pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        # A channel nobody publishes on keeps the connection subscribed while we serve no exchange.
        await pubsub.subscribe(f"{self.prefix}:idle")
        # Hubs that subscribe while this connects find no pubsub yet and leave their channel to us:
        # subscribe until nothing was added meanwhile, and only then let them use the connection
        # (two subscribes racing on a connection being opened could lose one).
        subscribed: set[str] = set()
        while wanted := {self.channel(i) for i in self._subscribers} - subscribed:
            await pubsub.subscribe(*wanted)
            subscribed |= wanted
        self._pubsub = pubsub
        if not self._healthy:
            log.info("redis broker connected")
        self._healthy = True
        self._ring_everyone()
        # We may have skipped publishing while Redis was away: ring the other instances too.
        for exchange_id in tuple(self._subscribers):
            await self._client.publish(self.channel(exchange_id), RESYNC)

    async def _pump(self) -> None:
        assert self._pubsub is not None
        while True:
            message = await self._pubsub.get_message(timeout=None)
            if message is None or message.get("type") != "message":
                continue
            name = message["channel"].decode() if isinstance(message["channel"], bytes) else message["channel"]
            try:
                exchange_id = int(name.rsplit(":", 1)[1])
            except ValueError:
                continue
            self._deliver(exchange_id, message["data"])

    def _deliver(self, exchange_id: int, data: bytes) -> None:
        for queue in tuple(self._subscribers.get(exchange_id, ())):
            try:
                queue.put_nowait(data)
            except asyncio.QueueFull:
                pass  # that hub is behind anyway; it will see the gap and read the log

    def _ring_everyone(self) -> None:
        for exchange_id in tuple(self._subscribers):
            self._deliver(exchange_id, RESYNC)

    def _mark_unhealthy(self, exc: BaseException) -> None:
        if self._healthy:
            log.warning("redis broker unavailable (%s); reading new events from the database", exc)
        self._healthy = False

    async def _drop_pubsub(self) -> None:
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
            self._pubsub = None
