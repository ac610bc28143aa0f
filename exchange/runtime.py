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
the rare full round every `full_seconds`, which unfreezes and collects everything.

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


async def _rounds(freeze_seconds: float, full_seconds: float) -> None:
    loop = asyncio.get_running_loop()
    next_full = loop.time() + full_seconds
    while True:
        await asyncio.sleep(freeze_seconds)
        full = loop.time() >= next_full
        if full:
            next_full = loop.time() + full_seconds
        pause = _round(full)
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
