"""The token bucket and the in-process limits (exchange/sessions/limits.py), with explicit times."""

from __future__ import annotations

import asyncio

from exchange.sessions.limits import MemoryLimits, Rate, RedisLimits, TokenBucket
from tests.support.servers import free_port


def test_a_bucket_allows_its_burst_then_its_rate() -> None:
    bucket = TokenBucket(Rate(burst=10, per_second=2), now=0.0)
    assert [bucket.take(now=0.0) for _ in range(12)] == [True] * 10 + [False] * 2
    assert bucket.take(now=0.4) is False  # 0.8 of a token
    assert bucket.take(now=0.5) is True  # one token after half a second at 2 a second
    assert bucket.take(now=0.5) is False
    # Idle for long, it holds no more than its burst.
    assert sum(bucket.take(now=1000.0) for _ in range(20)) == 10


def test_people_have_buckets_and_socket_counts_of_their_own() -> None:
    limits = MemoryLimits(person_rate=Rate(3, 0.001), socket_rate=Rate(3, 0.001), max_sockets=2)
    assert [limits.take_now("p:1") for _ in range(4)] == [True, True, True, False]
    assert limits.take_now("p:2") is True
    first, second = limits.open_now("1:p:1"), limits.open_now("1:p:1")
    assert first and second and limits.open_now("1:p:1") is None
    assert limits.open_now("1:p:2") is not None
    limits.close_now("1:p:1", first)
    assert limits.open_now("1:p:1") is not None


def test_without_redis_each_instance_applies_the_limits_itself() -> None:
    async def run() -> tuple[list[bool], str | None]:
        # Nothing listens on this port: every Redis call fails, and the process's own limits answer.
        limits = RedisLimits(
            f"redis://127.0.0.1:{free_port()}/0", prefix="test", person_rate=Rate(3, 0.001),
            socket_rate=Rate(3, 0.001), max_sockets=1,
        )
        await limits.start()
        try:
            taken = [await limits.take("p:1") for _ in range(4)]
            handle = await limits.open_socket("1:p:1")
            refused = await limits.open_socket("1:p:1")
            assert refused is None
            return taken, handle
        finally:
            await limits.close()

    taken, handle = asyncio.run(run())
    assert taken == [True, True, True, False]
    assert handle is not None and handle.startswith("local:")
