"""Run `exchange serve` with its collector's pauses and its log's commits written out (`bench.run --server-log`).

    python -m bench.serverlog serve --port PORT

Both go to standard error, for the benchmark to tell event-loop stalls apart and to show how well
the log's group commit gathers:

- every collection of the older generations (the app's collector rounds collect generation 1, its
  full round and CPython's own full collections generation 2), and any collection longer than 5 ms:
  `BENCH-GC gen=<n> ms=<pause> collected=<n> objects=<tracked objects left unfrozen>`;
- every second with commits, what the event store's transactions did in it:
  `BENCH-COMMIT t=<ns> appends=<n> us=<each transaction's µs,...>`,
  with `t` on `time.perf_counter_ns()`, the clock the load generator measures its window on.
"""

from __future__ import annotations

import functools
import gc
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

_started = [0.0]


def _callback(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _started[0] = time.perf_counter()
        return
    pause = (time.perf_counter() - _started[0]) * 1000
    if info["generation"] >= 1 or pause > 5:
        print(
            f"BENCH-GC gen={info['generation']} ms={pause:.1f} collected={info['collected']} "
            f"objects={len(gc.get_objects(generation=2)) if info['generation'] >= 1 else -1}",
            file=sys.stderr,
            flush=True,
        )
        if info["generation"] >= 1 and os.environ.get("BENCH_GC_TYPES"):
            kinds = Counter(type(o).__qualname__ for o in gc.get_objects())
            print(
                "BENCH-GC-TYPES " + ", ".join(f"{k}={n}" for k, n in kinds.most_common(25)),
                file=sys.stderr,
                flush=True,
            )


class _Commits:
    """Counts and times the store's transactions; a line per second that had any."""

    def __init__(self) -> None:
        self.since = time.perf_counter_ns()
        self.appends = 0
        self.durations: list[int] = []  # ns

    def timed(self, write: Callable[[Any, list[Any]], None]) -> Callable[[Any, list[Any]], None]:
        @functools.wraps(write)
        def timed_write(store: Any, requests: list[Any]) -> None:
            started = time.perf_counter_ns()
            try:
                write(store, requests)
            finally:
                ended = time.perf_counter_ns()
                self.appends += len(requests)
                self.durations.append(ended - started)
                if ended - self.since >= 1_000_000_000:
                    self.flush(ended)

        return timed_write

    def flush(self, at: int) -> None:
        print(
            f"BENCH-COMMIT t={at} appends={self.appends} us={','.join(str(d // 1000) for d in self.durations)}",
            file=sys.stderr,
            flush=True,
        )
        self.since, self.appends, self.durations = at, 0, []


def main() -> int:
    gc.callbacks.append(_callback)
    from exchange.cli import main as exchange_main
    from exchange.sessions.store import EventStore

    EventStore._write = _Commits().timed(EventStore._write)  # one call per transaction
    return exchange_main(sys.argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
