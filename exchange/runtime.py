"""Process tuning for thousands of long-lived sockets: the garbage collector and the GIL.

The GIL: the event writer's thread (PostgreSQL's group commit) and the reader threads run Python
code too. With CPython's 5 ms switch interval the event loop can wait that long for the GIL after
every commit; 1 ms keeps it responsive.

The garbage collector: CPython's full collection walks every tracked object, so with the default
thresholds its pause grows with the open sockets and the hubs' state (0.5 s at 2,200 sockets, 3 s at
5,500, measured with `python -m bench.run --gc-log`): the tail of every live frame. Most of those
objects live as long as their socket or exchange, so scanning them again and again finds nothing.
Young collections cost more than their size suggests too: CPython counts allocations minus
deallocations, so while new parts of views replace old ones the young generation grows to 20,000
objects and more, and walking them (their references land all over a large heap) took 20-60 ms.

The policy: automatic collections are off. Every `freeze_seconds` (0.1 s) what was made since the
last round is collected and the survivors frozen: later collections skip them, so each object is
walked about once, in pauses of a few milliseconds. Objects that die are still freed at once by
reference counting; only garbage *cycles* wait for the next round, or, among frozen objects, for
a full round, which unfreezes and collects everything. That walks the whole heap (0.9-1.0 s for
960,000 objects at 5,500 sockets), so every `full_seconds` it runs only if the frozen heap has
grown by a quarter since the last one (cycles left by closed sockets would show so), or if a day
of such checks has passed: a steady server pauses once a day, not once an hour.

A round collects generation 1, not the oldest: a collection of the oldest generation also empties
CPython's free lists, so the work after it allocates from scratch. At 5,500 sockets that doubled
the rounds' cost and slowed everything between them (`bench.run --exchanges 500`: 0.80 -> 0.70
cores, p99 72 -> 18 ms).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
import time
from collections.abc import AsyncIterator

log = logging.getLogger(__name__)

SWITCH_INTERVAL = 0.001  # seconds a thread may hold the GIL while another waits (CPython: 0.005)


def _round(full: bool) -> float:
    started = time.perf_counter()
    if full:
        gc.unfreeze()
        gc.collect()
    else:
        # Everything made since the last round is in the two young generations (nothing collects
        # automatically): collecting those finds the same garbage as collecting all but the frozen,
        # and unlike a collection of the oldest generation it keeps CPython's free lists of
        # tuples, lists, dicts and frames, which the next 0.1 s of work would have to refill.
        gc.collect(1)
    gc.freeze()
    return (time.perf_counter() - started) * 1000


FULL_GROWTH = 1.25  # a full round when the frozen heap is this much larger than after the last one
FULL_AT_LEAST_EVERY = 24  # checks (hours, by default): the longest garbage cycles can wait


def full_round_due(frozen: int, frozen_after_last_full: int, checks_since_full: int) -> bool:
    """At a check (every `full_seconds`): is a round over the whole heap worth its pause?"""
    return frozen >= frozen_after_last_full * FULL_GROWTH or checks_since_full >= FULL_AT_LEAST_EVERY


async def _rounds(freeze_seconds: float, full_seconds: float) -> None:
    loop = asyncio.get_running_loop()
    next_check = loop.time() + full_seconds
    after_last_full, checks = gc.get_freeze_count(), 0
    while True:
        await asyncio.sleep(freeze_seconds)
        full = False
        if loop.time() >= next_check:
            next_check = loop.time() + full_seconds
            checks += 1
            full = full_round_due(gc.get_freeze_count(), after_last_full, checks)
        pause = _round(full)
        if full:
            after_last_full, checks = gc.get_freeze_count(), 0
        if full or pause > 50:
            log.info("%s collection took %.1f ms", "full" if full else "young", pause)


@contextlib.asynccontextmanager
async def tuned_runtime(freeze_seconds: float, full_seconds: float) -> AsyncIterator[None]:
    """Apply the tuning while the app runs (freeze_seconds 0: CPython's own collector)."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        if freeze_seconds <= 0:
            yield
        else:
            async with _collector_policy(freeze_seconds, full_seconds):
                yield
    finally:
        sys.setswitchinterval(interval)


@contextlib.asynccontextmanager
async def _collector_policy(freeze_seconds: float, full_seconds: float) -> AsyncIterator[None]:
    enabled = gc.isenabled()
    gc.disable()  # only the rounds collect
    _round(full=False)  # what startup made (modules, the app, the hubs) lives to the end
    task = asyncio.get_running_loop().create_task(_rounds(freeze_seconds, full_seconds))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        gc.unfreeze()
        if enabled:
            gc.enable()
