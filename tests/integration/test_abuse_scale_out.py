"""The rate limits and the socket cap hold for a person whose sockets are spread over two instances
sharing PostgreSQL and Redis (exchange/sessions/limits.py: token buckets and socket counts in Redis)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
import websockets

from tests.integration.test_abuse_live import LIMITED, TOO_MANY_SOCKETS, flood, live_room, refused_socket, through
from tests.support.databases import fresh_database, migrate
from tests.support.live import LiveClient
from tests.support.scenario import Setup
from tests.support.servers import ServerProcess

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Scale-out means PostgreSQL."""
    with fresh_database("postgresql", tmp_path_factory.mktemp("db")) as url:
        migrate(url)
        yield url


@pytest.fixture(scope="module")
def pair(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    logs = tmp_path_factory.mktemp("logs")
    env = {**LIMITED, "EXCHANGE_REDIS_URL": REDIS_URL, "EXCHANGE_REDIS_PREFIX": f"test-{uuid.uuid4().hex[:8]}"}
    a = ServerProcess(database_url, log_path=logs / "a.log", env=env)
    b = ServerProcess(database_url, log_path=logs / "b.log", env=env)
    a.start()
    b.start()
    yield a, b
    a.stop()
    b.stop()


async def test_a_persons_bucket_is_shared_across_instances(pair: tuple[ServerProcess, ServerProcess]) -> None:
    a, b = pair
    setup, facilitator = await live_room([a, b])
    cookie = Setup.cookie(setup.practitioners[0])
    on_a = await LiveClient(a.ws_url, setup.exchange_id, cookie).connect()
    on_b = await LiveClient(b.ws_url, setup.exchange_id, cookie).connect()
    on_b2 = await LiveClient(b.ws_url, setup.exchange_id, cookie).connect()
    replies = [*await flood(on_a, 10), *await flood(on_b, 10), *await flood(on_b2, 10)]
    assert through(replies) == 15  # the person's burst, wherever their sockets are
    # Another practitioner, on either instance, is not slowed down.
    rosa = await LiveClient(b.ws_url, setup.exchange_id, Setup.cookie(setup.practitioners[1])).connect()
    assert (await rosa.command("raise_hand"))["type"] == "ack"
    assert (await facilitator.command("give_floor"))["type"] == "ack"
    setup.close()


async def test_the_socket_cap_counts_every_instance(pair: tuple[ServerProcess, ServerProcess]) -> None:
    a, b = pair
    setup, _facilitator = await live_room([a, b])
    cookie = Setup.cookie(setup.practitioners[0])
    held = [
        await LiveClient(a.ws_url, setup.exchange_id, cookie).connect(),
        await LiveClient(b.ws_url, setup.exchange_id, cookie).connect(),
        await LiveClient(a.ws_url, setup.exchange_id, cookie).connect(),
    ]
    assert await refused_socket(b, setup, 0) == (TOO_MANY_SOCKETS, "too many sockets")
    assert await refused_socket(a, setup, 0) == (TOO_MANY_SOCKETS, "too many sockets")
    other = await LiveClient(b.ws_url, setup.exchange_id, Setup.cookie(setup.practitioners[1])).connect()
    assert other.close_code is None
    # A socket closed on one instance makes room on the other.
    await held[1].close()
    for _attempt in range(50):
        try:
            again = await LiveClient(a.ws_url, setup.exchange_id, cookie).connect()
            break
        except (ConnectionError, websockets.ConnectionClosed):
            await asyncio.sleep(0.1)
    assert again.close_code is None
    setup.close()
