"""How fast one person may send commands, and how many sockets they may hold open at once.

Two token buckets guard every command: one per socket, in process (a few float operations), and one
per person, shared by all their sockets. A bucket holds at most `burst` tokens, refills at
`per_second`, and each command takes one; an empty bucket refuses the command with `rate_limited`
before it reaches the hub, so a flood never reaches the log.

With the in-process broker the person's bucket and socket count live in this process. With Redis
(several instances) they live in Redis, updated atomically by small Lua scripts reading Redis's own
clock, so the limits hold for a person whose sockets are spread over instances. While Redis can't
be reached the limits fall back to this process's own: a person is then held to them per instance,
and nobody is refused for Redis being away.

The defaults (settings.py, `EXCHANGE_RATE_*`): 10 commands at once per socket, then 2 a second; 20
at once per person, then 4 a second; 5 sockets per person. A person clicking through a session
never meets them; one script writing 126 events a second is held to 4.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)

REDIS_TIMEOUT = 0.5
#: After Redis fails, this process's own limits are used for this long before Redis is tried again,
#: so commands don't each wait out a timeout while Redis is away.
REDIS_RETRY_SECONDS = 2.0
#: A socket's entry in Redis lives this long unless its instance refreshes it (a crashed instance's
#: sockets stop counting after this).
SOCKET_TTL = 30.0
SOCKET_REFRESH = 10.0
#: In-process buckets kept before the full (idle) ones are forgotten.
MAX_LOCAL_BUCKETS = 10_000


@dataclass(frozen=True, slots=True)
class Rate:
    burst: float
    per_second: float


class TokenBucket:
    """`burst` tokens at most, refilled at `per_second`; time from a monotonic clock."""

    __slots__ = ("rate", "tokens", "at")

    def __init__(self, rate: Rate, now: float | None = None) -> None:
        self.rate = rate
        self.tokens = rate.burst
        self.at = time.monotonic() if now is None else now

    def take(self, now: float | None = None) -> bool:
        """Take a token if there is one."""
        now = time.monotonic() if now is None else now
        tokens = min(self.rate.burst, self.tokens + (now - self.at) * self.rate.per_second)
        self.at = now
        if tokens < 1.0:
            self.tokens = tokens
            return False
        self.tokens = tokens - 1.0
        return True

    def full(self, now: float) -> bool:
        return self.tokens + (now - self.at) * self.rate.per_second >= self.rate.burst


class Limits(Protocol):
    person_rate: Rate
    socket_rate: Rate
    max_sockets: int

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def take(self, person: str) -> bool:
        """A token from the person's bucket: may they send another command now?"""
        ...

    async def open_socket(self, person: str) -> str | None:
        """Count a new socket of the person's; a handle to release it, or None when they have too many."""
        ...

    async def close_socket(self, person: str, handle: str) -> None: ...


class MemoryLimits:
    """The limits of one process (the in-process broker: one instance serves everything)."""

    def __init__(self, *, person_rate: Rate, socket_rate: Rate, max_sockets: int) -> None:
        self.person_rate = person_rate
        self.socket_rate = socket_rate
        self.max_sockets = max_sockets
        self._buckets: dict[str, TokenBucket] = {}
        self._sockets: dict[str, set[str]] = {}

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def take_now(self, person: str) -> bool:
        bucket = self._buckets.get(person)
        if bucket is None:
            if len(self._buckets) >= MAX_LOCAL_BUCKETS:
                self._forget_full()
            bucket = self._buckets[person] = TokenBucket(self.person_rate)
        return bucket.take()

    async def take(self, person: str) -> bool:
        return self.take_now(person)

    def _forget_full(self) -> None:
        """A full bucket is as good as a new one: drop those (and, under a flood of people, the oldest)."""
        now = time.monotonic()
        for person in [p for p, bucket in self._buckets.items() if bucket.full(now)]:
            del self._buckets[person]
        while len(self._buckets) >= MAX_LOCAL_BUCKETS:
            del self._buckets[next(iter(self._buckets))]

    def open_now(self, person: str) -> str | None:
        held = self._sockets.setdefault(person, set())
        if len(held) >= self.max_sockets:
            if not held:
                del self._sockets[person]
            return None
        handle = secrets.token_hex(8)
        held.add(handle)
        return handle

    async def open_socket(self, person: str) -> str | None:
        return self.open_now(person)

    def close_now(self, person: str, handle: str) -> None:
        held = self._sockets.get(person)
        if held is not None:
            held.discard(handle)
            if not held:
                del self._sockets[person]

    async def close_socket(self, person: str, handle: str) -> None:
        self.close_now(person, handle)


#: KEYS[1] the bucket; ARGV burst, per second. Returns 1 when a token was taken.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local held = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(held[1]) or burst
local at = tonumber(held[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local taken = 0
if tokens >= 1 then
  tokens = tokens - 1
  taken = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst / rate + 1) * 1000))
return taken
"""

#: KEYS[1] the person's sockets (member -> expiry); ARGV cap, member, ttl. 1 when counted in.
_OPEN = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[2])
redis.call('EXPIRE', KEYS[1], math.ceil(ttl) + 5)
return 1
"""

#: KEYS the sockets' sets; ARGV ttl, then one member per key. Pushes each one's expiry on.
_REFRESH = """
local t = redis.call('TIME')
local until_ = tonumber(t[1]) + tonumber(t[2]) / 1000000 + tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, 'XX', until_, ARGV[i + 1])
  redis.call('EXPIRE', key, math.ceil(tonumber(ARGV[1])) + 5)
end
return 1
"""


class RedisLimits:
    """The limits shared by every instance through Redis; this process's own while Redis is away."""

    def __init__(self, url: str, *, prefix: str, person_rate: Rate, socket_rate: Rate, max_sockets: int) -> None:
        self.person_rate = person_rate
        self.socket_rate = socket_rate
        self.max_sockets = max_sockets
        self.url = url
        self.prefix = prefix
        self._local = MemoryLimits(person_rate=person_rate, socket_rate=socket_rate, max_sockets=max_sockets)
        self._client = None
        self._scripts: dict[str, object] = {}
        #: handle -> person, for this instance's sockets counted in Redis (refreshed while open).
        self._held: dict[str, str] = {}
        self._refresher: asyncio.Task[None] | None = None
        self._instance = secrets.token_hex(6)
        self._down_until = 0.0  # monotonic time before which Redis isn't tried

    async def start(self) -> None:
        import redis.asyncio as redis  # noqa: PLC0415 - only with Redis configured

        self._client = redis.Redis.from_url(
            self.url, socket_connect_timeout=1.0, socket_timeout=REDIS_TIMEOUT, retry_on_timeout=False
        )
        self._scripts = {name: self._client.register_script(text) for name, text in
                         (("take", _TAKE), ("open", _OPEN), ("refresh", _REFRESH))}  # fmt: skip
        self._refresher = asyncio.create_task(self._refresh_forever(), name="socket-limits")

    async def close(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
        if self._client is not None:
            for handle, person in tuple(self._held.items()):
                with contextlib.suppress(Exception):
                    await self._client.zrem(self._sockets_key(person), handle)
            await self._client.aclose()

    def _bucket_key(self, person: str) -> str:
        return f"{self.prefix}:rate:{person}"

    def _sockets_key(self, person: str) -> str:
        return f"{self.prefix}:sockets:{person}"

    async def _run(self, name: str, keys: list[str], args: list[object]) -> int | None:
        """A script's answer, or None when Redis can't be reached in time (the caller falls back)."""
        if time.monotonic() < self._down_until:
            return None
        try:
            answer = int(await asyncio.wait_for(self._scripts[name](keys=keys, args=args), REDIS_TIMEOUT))
        except Exception as exc:  # noqa: BLE001 - any Redis trouble: use this process's limits
            if self._down_until == 0.0:
                log.warning("rate limits: Redis unavailable (%s); using this instance's own", type(exc).__name__)
            self._down_until = time.monotonic() + REDIS_RETRY_SECONDS
            return None
        if self._down_until:
            log.info("rate limits: Redis is back; limits are shared across instances again")
            self._down_until = 0.0
        return answer

    async def take(self, person: str) -> bool:
        rate = self.person_rate
        taken = await self._run("take", [self._bucket_key(person)], [rate.burst, rate.per_second])
        return self._local.take_now(person) if taken is None else bool(taken)

    async def open_socket(self, person: str) -> str | None:
        handle = f"{self._instance}:{secrets.token_hex(8)}"
        counted = await self._run("open", [self._sockets_key(person)], [self.max_sockets, handle, SOCKET_TTL])
        if counted is None:
            local = self._local.open_now(person)
            return None if local is None else f"local:{local}"
        if not counted:
            return None
        self._held[handle] = person
        return handle

    async def close_socket(self, person: str, handle: str) -> None:
        if handle.startswith("local:"):
            self._local.close_now(person, handle.removeprefix("local:"))
            return
        self._held.pop(handle, None)
        if self._client is not None:
            try:
                await asyncio.wait_for(self._client.zrem(self._sockets_key(person), handle), REDIS_TIMEOUT)
            except Exception:  # noqa: BLE001 - the entry expires by itself within SOCKET_TTL
                pass

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(SOCKET_REFRESH)
            held = tuple(self._held.items())
            if held:
                keys = [self._sockets_key(person) for _handle, person in held]
                await self._run("refresh", keys, [SOCKET_TTL, *(handle for handle, _person in held)])


def limits_for(settings) -> Limits:  # noqa: ANN001 - exchange.settings.Settings
    """The limits of this deployment: shared through Redis when it is configured."""
    person = Rate(settings.rate_person_burst, settings.rate_person_per_second)
    socket = Rate(settings.rate_socket_burst, settings.rate_socket_per_second)
    if settings.redis_url:
        return RedisLimits(
            settings.redis_url, prefix=settings.redis_prefix, person_rate=person, socket_rate=socket,
            max_sockets=settings.rate_max_sockets,
        )
    return MemoryLimits(person_rate=person, socket_rate=socket, max_sockets=settings.rate_max_sockets)
