"""Two app instances over one PostgreSQL database and Redis: one exchange, one truth."""

from __future__ import annotations

import asyncio
import os
import random
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from exchange.db import make_engine
from exchange.sessions.models import SessionEvent
from tests.support.databases import fresh_database, migrate
from tests.support.live import LiveClient
from tests.support.scenario import Setup, scheduled_exchange
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
    env = {"EXCHANGE_REDIS_URL": REDIS_URL, "EXCHANGE_REDIS_PREFIX": f"test-{uuid.uuid4().hex[:8]}"}
    a = ServerProcess(database_url, log_path=logs / "a.log", env=env)
    b = ServerProcess(database_url, log_path=logs / "b.log", env=env)
    a.start()
    b.start()
    yield a, b
    a.stop()
    b.stop()


def log_seqs(database_url: str, exchange_id: int) -> list[int]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            query = select(SessionEvent.seq).where(SessionEvent.exchange_id == exchange_id).order_by(SessionEvent.seq)
            return [row[0] for row in conn.execute(query)]
    finally:
        engine.dispose()


async def connect_spread(setup: Setup, servers) -> tuple[LiveClient, list[LiveClient]]:  # noqa: ANN001
    """The facilitator on the first instance, practitioners alternating between both."""
    facilitator = await LiveClient(servers[0].ws_url, setup.exchange_id, Setup.cookie(setup.facilitator)).connect()
    practitioners = [
        await LiveClient(servers[(i + 1) % 2].ws_url, setup.exchange_id, Setup.cookie(client)).connect()
        for i, client in enumerate(setup.practitioners)
    ]
    return facilitator, practitioners


async def test_clients_on_two_instances_see_the_same_exchange(pair) -> None:  # noqa: ANN001
    a, b = pair
    setup = scheduled_exchange(a, practitioners=4)
    facilitator, practitioners = await connect_spread(setup, pair)
    await facilitator.wait_view(lambda v: len(v["roster"]) == 4, timeout=10)
    # Presence crosses instances too.
    everyone = sorted([facilitator.you["id"], *(p.you["id"] for p in practitioners)])
    await asyncio.wait_for(_until(lambda: sorted(facilitator.online) == everyone), 15)

    await facilitator.ok("start_exchange")
    await facilitator.ok("next_phase")
    for _ in range(4):
        await facilitator.ok("next_turn")
        await facilitator.ok("finish_turn")
    await facilitator.ok("goto_phase", index=4)
    for client in practitioners:
        await client.ok("raise_hand")  # commands arrive on both instances
    await facilitator.ok("give_floor", participant_id=practitioners[1].you["id"])
    await practitioners[1].ok("end_floor")
    await facilitator.ok("end_exchange")

    final = facilitator.seq
    truth = log_seqs(a.database_url, setup.exchange_id)
    assert truth == list(range(1, final + 1))
    for client in practitioners:
        await client.wait_view(lambda v: v["status"] == "ended", timeout=10)
        assert client.seq == final
        assert client.event_seqs == sorted(set(client.event_seqs))  # no duplicates, in order
        assert client.event_seqs[-1] == final
        assert client.view == practitioners[0].view
    for client in [facilitator, *practitioners]:
        await client.close()
    setup.close()


async def _until(predicate, step: float = 0.05) -> None:  # noqa: ANN001
    while not predicate():
        await asyncio.sleep(step)


async def test_a_thousand_racing_commands_leave_no_gap_and_no_duplicate(pair) -> None:  # noqa: ANN001
    a, _b = pair
    setup = scheduled_exchange(a, practitioners=10)
    facilitator, practitioners = await connect_spread(setup, pair)
    await facilitator.wait_view(lambda v: len(v["roster"]) == 10, timeout=10)
    await facilitator.ok("start_exchange")
    await facilitator.ok("goto_phase", index=4)

    async def toggle(client: LiveClient, rounds: int) -> list[dict]:
        replies = []
        for i in range(rounds):
            replies.append(await client.command("raise_hand" if i % 2 == 0 else "lower_hand"))
        return replies

    batches = await asyncio.gather(*(toggle(client, 100) for client in practitioners))
    replies = [reply for batch in batches for reply in batch]
    assert len(replies) == 1000
    assert all(reply["type"] == "ack" for reply in replies), [r for r in replies if r["type"] != "ack"][:3]
    acked = sorted(reply["seq"] for reply in replies)
    assert len(set(acked)) == 1000  # each toggle appended exactly one event

    truth = log_seqs(a.database_url, setup.exchange_id)
    assert truth == list(range(1, len(truth) + 1))
    assert set(acked) <= set(truth)
    for client in [facilitator, *practitioners]:
        await client.wait_view(lambda v, n=truth[-1]: v["seq"] == n, timeout=15)
        await client.close()
    setup.close()


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_clients_converge_on_the_log(pair, seed: int) -> None:  # noqa: ANN001
    """CRDT-style convergence fuzz: random operations, random disconnects, random delays."""
    rng = random.Random(seed)
    a, _b = pair
    steps = int(os.environ.get("EXCHANGE_FUZZ_STEPS", "1500"))  # set it higher for a longer local run
    setup = scheduled_exchange(a, practitioners=rng.randint(5, 12))
    facilitator, practitioners = await connect_spread(setup, pair)
    clients = [facilitator, *practitioners]
    await facilitator.wait_view(lambda v: len(v["roster"]) == len(practitioners), timeout=10)
    await facilitator.ok("start_exchange")
    await facilitator.ok("goto_phase", index=4)
    facilitator_moves = [
        ("next_phase", {}),
        ("previous_phase", {}),
        ("add_time", {"timer": "phase", "seconds": 60}),
        ("pause_timer", {"timer": "phase"}),
        ("resume_timer", {"timer": "phase"}),
        ("next_turn", {}),
        ("finish_turn", {}),
        ("set_queue_order", {"order": "progressive"}),
        ("set_queue_order", {"order": "first_come"}),
    ]
    pending: list[asyncio.Task] = []
    for step in range(steps):
        client = rng.choice(clients)
        if rng.random() < 0.03:  # a dropped connection; it comes back and resumes from its last seq
            await asyncio.gather(*pending)
            pending.clear()
            await client.close()
            await client.connect()
            continue
        if client is facilitator:
            name, fields = rng.choice(facilitator_moves)
        else:
            name, fields = rng.choice([("raise_hand", {}), ("lower_hand", {}), ("pass_turn", {}), ("end_floor", {})])
        pending.append(asyncio.create_task(client.command(name, **fields)))
        if step % 10 == 0:
            await asyncio.gather(*pending)
            pending.clear()
            await asyncio.sleep(rng.random() * 0.01)
    await asyncio.gather(*pending)

    truth = log_seqs(a.database_url, setup.exchange_id)
    assert truth == list(range(1, len(truth) + 1))
    for client in clients:
        await client.wait_view(lambda v, n=truth[-1]: v["seq"] == n, timeout=15)
    views = [client.view for client in practitioners]
    assert all(view == views[0] for view in views)
    for client in clients:
        # Whatever it received, across reconnects, is a gap-free run of the log without duplicates.
        assert client.event_seqs == sorted(set(client.event_seqs))
        await client.close()
    setup.close()


async def test_a_timer_fires_once_across_instances(pair) -> None:  # noqa: ANN001
    """Both instances hold a hub with the same deadline; the turn's time-up is appended once."""
    a, _b = pair
    setup = scheduled_exchange(a, practitioners=2)
    facilitator, practitioners = await connect_spread(setup, pair)  # hubs open on both instances
    await facilitator.wait_view(lambda v: len(v["roster"]) == 2, timeout=10)
    await facilitator.ok("start_exchange")
    await facilitator.ok("next_phase")  # story sharing: turns that signal when time is up
    await facilitator.ok("next_turn")
    turn_seconds = facilitator.view["phase"]["turn_seconds"]
    await facilitator.ok("add_time", timer="turn", seconds=-(turn_seconds - 2))
    for client in [facilitator, *practitioners]:
        await client.wait_view(lambda v: v["turns"]["timer"]["time_up"], timeout=10)
    await asyncio.sleep(1.5)  # give the slower instance's timer every chance to fire too

    engine = make_engine(a.database_url)
    try:
        with engine.connect() as conn:
            types = [
                row[0]
                for row in conn.execute(
                    select(SessionEvent.type).where(SessionEvent.exchange_id == setup.exchange_id)
                )
            ]
    finally:
        engine.dispose()
    assert types.count("time_up") == 1
    assert log_seqs(a.database_url, setup.exchange_id) == list(range(1, len(types) + 1))
    setup.close()
