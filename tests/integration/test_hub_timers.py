"""A hub wakes when its exchange's next deadline comes, with one timer moved only when the deadline moves."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from bench.seed import seed_exchanges
from exchange.sessions.commands import AddTime, Join, RaiseHand, StartExchange
from exchange.sessions.events import TimeUp
from exchange.sessions.hub import SYSTEM, Accepted, Hub
from tests.support.hubs import open_hub
from tests.unit.test_session_support import AMA, FACILITATOR, PLAN


@pytest.fixture
def exchange_id(database_url: str) -> Iterator[int]:
    (seeded,) = seed_exchanges(database_url, secret="hub-timer-test-secret-0123456789", exchanges=1, practitioners=0)
    yield seeded.exchange_id


@pytest.fixture
async def hub(database_url: str, exchange_id: int) -> AsyncIterator[Hub]:
    async with open_hub(database_url, exchange_id) as hub:
        yield hub


async def test_the_phase_running_out_is_signalled_by_the_hubs_own_timer(hub: Hub) -> None:
    for command, actor in ((StartExchange(plan=PLAN), FACILITATOR), (Join(name=AMA.name), AMA)):
        assert isinstance(await hub.submit(command, actor), Accepted)
    timer = hub._timer
    assert timer is not None, "the welcome phase's timer runs: the hub waits for it"
    assert isinstance(await hub.submit(RaiseHand(), AMA), Accepted)
    assert hub._timer is timer, "a change that leaves the deadline where it was keeps the timer"

    minutes = PLAN.phases[0].minutes
    assert isinstance(await hub.submit(AddTime(timer="phase", seconds=1 - 60 * minutes), FACILITATOR), Accepted)
    assert hub._timer is not timer, "the deadline moved one second away: so did the timer"
    for _ in range(100):
        if hub.state.phase_timer.time_up:
            break
        await asyncio.sleep(0.05)
    last = list(hub._recent)[-1]
    assert isinstance(last.event, TimeUp)
    assert last.actor == SYSTEM
    assert hub._timer is None, "nothing is due any more: no timer is left armed"
