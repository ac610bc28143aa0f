"""The bare baselines run under the app's collector policy unless asked for CPython's own."""

from __future__ import annotations

import gc

import pytest

from bench.bare import collector_policy


async def test_a_baseline_collects_as_the_app_does(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BENCH_BASELINE_GC", raising=False)
    assert gc.isenabled()
    async with collector_policy():
        assert not gc.isenabled(), "only the policy's rounds collect"
        assert gc.get_freeze_count() > 0
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


async def test_a_baseline_can_keep_cpythons_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCH_BASELINE_GC", "default")
    async with collector_policy():
        assert gc.isenabled()
        assert gc.get_freeze_count() == 0
