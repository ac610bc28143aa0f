"""The server's own retention purge: shortly after start, then every `purge_interval_seconds`.

The purge runs in a worker thread, so the event loop keeps serving; a failure is logged and the
purge tried again at the next interval, never taken down with the server. Every instance of a
deployment runs it; the purge itself settles which one deletes what (see retention.py).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from exchange.logs import current_exchange
from exchange.programmes.retention import PurgeRun, purge_expired, purged_among

if TYPE_CHECKING:
    from exchange.sessions.registry import HubRegistry

log = logging.getLogger(__name__)
#: Seconds from start to the first purge: the server is up and answering first.
FIRST_PURGE_AFTER = 30.0


async def purge_periodically(*, engine: Engine, hubs: HubRegistry, interval: float) -> None:
    """Run the purge until cancelled (at shutdown)."""
    delay = min(FIRST_PURGE_AFTER, interval)
    while True:
        await asyncio.sleep(delay)
        delay = interval
        try:
            await purge_once(engine=engine, hubs=hubs)
        except Exception:  # noqa: BLE001 - the database may be away: keep serving, try again later
            log.exception("retention: the purge failed; trying again in %s s", interval)


async def purge_once(*, engine: Engine, hubs: HubRegistry) -> PurgeRun:
    """One purge; then close this process's hubs of purged exchanges, so nothing is served from memory."""
    run = await asyncio.to_thread(purge_expired, engine)
    for purge in run.purged:
        token = current_exchange.set(purge.exchange_id)
        try:
            log.info(
                "retention: deleted the stories of exchange %s (ended %s, kept %s days): "
                "%s events, %s stories, %s participants",
                purge.exchange_id, purge.ended_at.isoformat(), purge.retention_days,
                purge.events, purge.stories, purge.participants,
            )  # fmt: skip
        finally:
            current_exchange.reset(token)
    if run.failed:
        log.warning("retention: %d exchange(s) could not be purged; tried again next time", len(run.failed))
    # Also those another instance purged: a socket may still hold one of their hubs open here.
    for exchange_id in await asyncio.to_thread(purged_among, engine, list(hubs.hubs)):
        await hubs.forget(exchange_id)
    return run
