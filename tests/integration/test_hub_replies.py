"""A hub answers the sender's socket itself, right after the events frame, before the sender's task resumes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from bench.seed import seed_exchanges
from exchange.db import make_engine
from exchange.sessions.broker import MemoryBroker
from exchange.sessions.commands import Actor, Join, RaiseHand, StartExchange
from exchange.sessions.connection import Connection
from exchange.sessions.hub import Accepted, Hub
from exchange.sessions.machine import Rejected
from exchange.sessions.store import EventStore
from tests.support.hubs import open_hub
from tests.unit.test_session_support import AMA, FACILITATOR, PLAN


class _Socket(Connection):
    """A connection that keeps what it is offered, in order, as the client would read it."""

    def __init__(self, actor: Actor) -> None:
        super().__init__(actor, send=self._unused, limit=100)
        self.frames: list[dict[str, Any]] = []

    @staticmethod
    async def _unused(_message: dict[str, Any]) -> None:
        raise AssertionError("frames are only offered here")

    def offer(self, frame: str) -> None:
        self.frames.append(json.loads(frame))


@pytest.fixture(scope="module")
def exchange_ids(database_url: str) -> Iterator[Iterator[int]]:
    seeded = seed_exchanges(database_url, secret="hub-reply-test-secret-0123456789", exchanges=3, practitioners=0)
    yield iter([exchange.exchange_id for exchange in seeded])


@pytest.fixture
def exchange_id(exchange_ids: Iterator[int]) -> int:
    return next(exchange_ids)  # each test its own exchange, seeded once per database


@pytest.fixture
async def hub(database_url: str, exchange_id: int) -> AsyncIterator[Hub]:
    """The exchange started, with Ama in it."""
    async with open_hub(database_url, exchange_id) as hub:
        for command, actor in ((StartExchange(plan=PLAN), FACILITATOR), (Join(name=AMA.name), AMA)):
            assert isinstance(await hub.submit(command, actor), Accepted)
        yield hub


async def test_the_sender_is_acked_after_the_events_frame_in_the_same_step(hub: Hub) -> None:
    ama, farida = _Socket(AMA), _Socket(FACILITATOR)
    for socket in (ama, farida):
        await hub.connect(socket, None)
    ama.frames.clear()
    farida.frames.clear()

    outcome = await hub.submit(RaiseHand(), AMA, "c-1", reply_to=ama)

    assert isinstance(outcome, Accepted)
    kinds = [frame["type"] for frame in ama.frames]
    assert kinds[0] == "events" and kinds[-1] == "ack", kinds
    assert ama.frames[-1] == {"type": "ack", "id": "c-1", "seq": outcome.seq}
    assert ama.frames[0]["seq"] == outcome.seq
    assert [frame["type"] for frame in farida.frames] == ["events"], "only the sender is answered"


async def test_a_refusal_and_a_resent_command_are_answered_too(hub: Hub) -> None:
    ama = _Socket(AMA)
    await hub.connect(ama, None)
    ama.frames.clear()

    refused = await hub.submit(StartExchange(plan=PLAN), AMA, "c-2", reply_to=ama)
    assert isinstance(refused, Rejected)
    assert ama.frames == [{"type": "rejected", "id": "c-2", "code": refused.code, "message": refused.message}]

    first = await hub.submit(RaiseHand(), AMA, "c-3", reply_to=ama)
    ama.frames.clear()
    again = await hub.submit(RaiseHand(), AMA, "c-3", reply_to=ama)
    assert isinstance(first, Accepted) and isinstance(again, Accepted) and again.duplicate
    assert ama.frames == [{"type": "ack", "id": "c-3", "seq": first.seq}], "applied once, acked again"


async def test_commands_waiting_when_the_hub_closes_are_answered(database_url: str, exchange_id: int) -> None:
    engine = make_engine(database_url)
    hub = Hub(exchange_id, store=EventStore(engine), broker=MemoryBroker())  # never opened: nothing handles commands
    ama = _Socket(AMA)
    try:
        pending = asyncio.create_task(hub.submit(RaiseHand(), AMA, "c-4", reply_to=ama))
        await asyncio.sleep(0)  # queued
        await hub.close()
        outcome = await pending
    finally:
        engine.dispose()
    assert isinstance(outcome, Rejected) and outcome.code == "unavailable"
    assert ama.frames == [{"type": "rejected", "id": "c-4", "code": "unavailable", "message": outcome.message}]
