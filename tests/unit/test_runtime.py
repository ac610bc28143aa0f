"""The process tuning: the collector policy freezes what lives long, and a full round reclaims."""

from __future__ import annotations

import asyncio
import gc
import sys
import weakref

from exchange import runtime
from exchange.runtime import FULL_AT_LEAST_EVERY, SWITCH_INTERVAL, _round, full_round_due, tuned_runtime


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector can free it


async def _freed(gone: weakref.ref[_Node], seconds: float = 1.0) -> bool:
    """Whether the rounds free the object within `seconds`."""
    for _ in range(int(seconds / 0.01)):
        if gone() is None:
            return True
        await asyncio.sleep(0.01)
    return gone() is None


async def test_the_policy_applies_while_the_app_runs_and_is_undone_after() -> None:
    assert gc.isenabled()
    interval = sys.getswitchinterval()
    async with tuned_runtime(0.01, 3600):
        assert not gc.isenabled(), "only the rounds collect"
        assert sys.getswitchinterval() == SWITCH_INTERVAL
        assert gc.get_freeze_count() > 0
        await asyncio.sleep(0.05)  # a few rounds run
    assert gc.isenabled()
    assert sys.getswitchinterval() == interval
    assert gc.get_freeze_count() == 0


async def test_a_new_garbage_cycle_is_freed_by_the_next_round() -> None:
    async with tuned_runtime(0.01, 3600):
        node = _Node()
        gone = weakref.ref(node)
        del node
        assert await _freed(gone)


def test_a_frozen_cycle_waits_for_the_full_round() -> None:
    try:
        node = _Node()
        gone = weakref.ref(node)
        _round(full=False)  # node survives and is frozen
        del node
        gc.collect()
        assert gone() is not None, "a frozen cycle is not walked by ordinary collections"
        _round(full=True)
        assert gone() is None
    finally:
        gc.unfreeze()


def test_a_full_round_runs_when_the_frozen_heap_grew_or_a_day_of_checks_passed() -> None:
    """Its pause grows with the heap (about 1 s at 5,500 sockets): a steady server skips it."""
    assert not full_round_due(frozen=1_000_000, frozen_after_last_full=960_000, checks_since_full=1)
    assert full_round_due(frozen=1_200_000, frozen_after_last_full=960_000, checks_since_full=1)
    assert full_round_due(frozen=960_000, frozen_after_last_full=960_000, checks_since_full=FULL_AT_LEAST_EVERY)
    assert not full_round_due(frozen=900_000, frozen_after_last_full=960_000, checks_since_full=FULL_AT_LEAST_EVERY - 1)


async def test_a_frozen_cycle_is_freed_once_the_frozen_heap_grows(monkeypatch) -> None:  # noqa: ANN001
    """The rounds themselves: with a check every 0.05 s, growth brings a full round that frees old cycles."""
    monkeypatch.setattr(runtime, "FULL_GROWTH", 1.0)  # any check finds "growth": the round is due
    monkeypatch.setattr(runtime, "FULL_AT_LEAST_EVERY", 10**6)  # never for want of time
    async with tuned_runtime(0.01, 0.05):
        node = _Node()
        gone = weakref.ref(node)
        await asyncio.sleep(0.03)  # frozen by a round
        del node
        assert await _freed(gone)
