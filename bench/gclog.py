"""Run `exchange serve` with the garbage collector's pauses logged (`bench.run --gc-log`).

    python -m bench.gclog serve --port PORT

Every collection of the older generations (the app's collector rounds collect generation 1, its
hourly full round and CPython's own full collections generation 2), and any collection longer than
5 ms, is written to standard error as `BENCH-GC gen=<n> ms=<pause> collected=<n> objects=<tracked
objects left unfrozen>`, so the benchmark can tell event-loop stalls caused by the collector from
the rest.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from collections import Counter

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


def main() -> int:
    gc.callbacks.append(_callback)
    from exchange.cli import main as exchange_main

    return exchange_main(sys.argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
