"""The server's retention job: it keeps running through failures and closes the hubs of purged exchanges."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest

from exchange.programmes import retention_job
from exchange.programmes.retention import Purge, PurgeRun


class _Hubs:
    """The registry's two members the job uses: the open hubs, and forget."""

    def __init__(self, open_ids: list[int]) -> None:
        self.hubs = dict.fromkeys(open_ids)
        self.forgotten: list[int] = []

    async def forget(self, exchange_id: int) -> None:
        self.forgotten.append(exchange_id)
        self.hubs.pop(exchange_id, None)


PURGE = Purge(exchange_id=7, title="t", programme_id=1, ended_at=datetime(2026, 1, 1, tzinfo=UTC), retention_days=30,
              events=12, stories=2, participants=3)  # fmt: skip


async def test_a_failing_purge_is_logged_and_tried_again_and_purged_hubs_close(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[object] = []

    def purge_expired(engine: object) -> PurgeRun:
        calls.append(engine)
        if len(calls) == 1:
            raise ConnectionError("the database is away")
        return PurgeRun(purged=[PURGE] if len(calls) == 2 else [])

    def purged_among(engine: object, exchange_ids: list[int]) -> list[int]:
        return [i for i in exchange_ids if i in {7, 8}]  # 8: purged by another instance

    monkeypatch.setattr(retention_job, "purge_expired", purge_expired)
    monkeypatch.setattr(retention_job, "purged_among", purged_among)
    hubs = _Hubs([3, 7, 8])
    caplog.set_level(logging.INFO, logger=retention_job.__name__)
    job = asyncio.create_task(
        retention_job.purge_periodically(engine="engine", hubs=hubs, interval=0.01)  # type: ignore[arg-type]
    )
    try:
        for _ in range(500):
            if len(calls) >= 3:
                break
            await asyncio.sleep(0.01)
        assert len(calls) >= 3 and not job.done(), "the job keeps running after a failure"
    finally:
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job
    assert "the purge failed" in caplog.text and "the database is away" in caplog.text
    assert "deleted the stories of exchange 7" in caplog.text and "12 events, 2 stories, 3 participants" in caplog.text
    assert sorted(hubs.forgotten) == [7, 8] and list(hubs.hubs) == [3]

