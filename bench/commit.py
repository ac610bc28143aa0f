"""What one durable append costs the event loop: the store's commit of a one-event batch, next to fsync.

    python -m bench.commit [--appends 5000] [--out bench/results]

A fresh migrated SQLite file (WAL, synchronous=FULL, as the app runs it) with one exchange; the
event store appends one small event at a time, as a hub does for a lone command, and each append
is timed from the call until it is durable. The fsync floor is measured on the same disk in the
same run. No server and no sockets: this is the persistence share of the ack, nothing else.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.common import fsync_floor, summary_ms
from bench.seed import seed_exchanges
from exchange.db import make_engine
from exchange.sessions.commands import Actor, Role
from exchange.sessions.events import EventEnvelope, HandRaised
from exchange.sessions.store import EventStore


async def _appends(url: str, exchange_id: int, count: int) -> list[int]:
    engine = make_engine(url)
    store = EventStore(engine)
    await store.start()
    actor = Actor(role=Role.PARTICIPANT, id="p:1", name="Amina")
    samples: list[int] = []
    try:
        for seq in range(1, count + 1):
            at = datetime.now(UTC)
            envelope = EventEnvelope(
                exchange_id=exchange_id,
                seq=seq,
                at=at,
                actor=actor,
                command_id=f"commit-bench-{seq:08d}",
                event=HandRaised(participant_id=actor.id, at=at),
            )
            started = time.perf_counter_ns()
            await store.append([envelope])
            samples.append(time.perf_counter_ns() - started)
    finally:
        await store.close()
        engine.dispose()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appends", type=int, default=5000)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    from tests.support.databases import migrate

    with tempfile.TemporaryDirectory(prefix="exchange-commit-") as folder:
        url = f"sqlite:///{Path(folder) / 'exchange.db'}"
        migrate(url)
        [seeded] = seed_exchanges(url, secret="commit-bench-secret-0123456789abcdef", exchanges=1, practitioners=0)
        floor = fsync_floor(Path(folder))
        samples = asyncio.run(_appends(url, seeded.exchange_id, args.appends))
    result = {"appends": args.appends, "append_ms": summary_ms(samples), "fsync_floor_ms": floor}
    result["append_over_fsync_median"] = round(result["append_ms"]["median"] / floor["median"], 2)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "commit.json").write_text(json.dumps(result, indent=2) + "\n")
    append, fsync = result["append_ms"], floor
    print(
        f"append (one event, durable): median {append['median']} ms, p99 {append['p99']} ms, max {append['max']} ms; "
        f"fsync floor median {fsync['median']} ms -> {result['append_over_fsync_median']}x"
    )


if __name__ == "__main__":
    main()
