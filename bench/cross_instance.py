"""Issue 6's figure: a command on instance A to a practitioner connected to instance B.

    python -m bench.cross_instance [--commands 1000] [--practitioners 10]

Two real app instances (`exchange serve`, each its own process) over one fresh PostgreSQL database
on 127.0.0.1 and Redis on 127.0.0.1:6379 (a private channel prefix). One scheduled exchange: its
facilitator on instance A, its practitioners on instance B. The facilitator sends one command at a
time (`add_time` +1 s / -1 s on the phase timer); for each, the time from just before sending until
the last practitioner on B has the events frame with the ack's seq (one clock, this process), next
to the same figure for a practitioner on A. Prints and writes JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import summary_ms
from bench.roundtrip import Page
from bench.seed import SeededExchange, seed_exchanges
from bench.servers import ROOT, Server
from tests.support.databases import fresh_database, migrate

SECRET = "bench-cross-instance-" + "s" * 40


async def _measure(a: Server, b: Server, exchange: SeededExchange, commands: int, warmup: int) -> dict[str, Any]:
    facilitator = Page(a.ws_url(exchange.exchange_id, "f"), exchange.facilitator_cookie)
    local = Page(a.ws_url(exchange.exchange_id, "p"), exchange.practitioner_cookies[0])
    remote = [Page(b.ws_url(exchange.exchange_id, "p"), cookie) for cookie in exchange.practitioner_cookies[1:]]
    for page in [facilitator, local, *remote]:
        await page.open()
    _, reply = await facilitator.command({"type": "start_exchange"}, "ci-start-0001")
    assert reply["type"] == "ack", reply
    to_b: list[int] = []
    to_a: list[int] = []
    for step in range(warmup + commands):
        command = {"type": "add_time", "timer": "phase", "seconds": 1 if step % 2 else -1}
        sent, reply = await facilitator.command(command, f"ci-{step:08d}")
        assert reply["type"] == "ack", reply
        arrivals = await asyncio.wait_for(asyncio.gather(*(p.arrival(reply["seq"]) for p in remote)), 30)
        here = await asyncio.wait_for(local.arrival(reply["seq"]), 30)
        if step >= warmup:
            to_b.append(max(arrivals) - sent)
            to_a.append(here - sent)
    problems = [p for page in [facilitator, local, *remote] for p in page.problems]
    for page in [facilitator, local, *remote]:
        await page.close()
    return {
        "command_on_A_to_last_practitioner_on_B_ms": summary_ms(to_b),
        "command_on_A_to_practitioner_on_A_ms": summary_ms(to_a),
        "problems": problems[:20],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cross_instance", description=__doc__.split("\n\n")[0])
    parser.add_argument("--commands", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--practitioners", type=int, default=10)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="exchange-cross-"))
    with fresh_database("postgresql", folder) as url:
        migrate(url)
        (exchange,) = seed_exchanges(url, secret=SECRET, exchanges=1, practitioners=args.practitioners + 1)
        env = {
            "EXCHANGE_DATABASE_URL": url,
            "EXCHANGE_SECRET_KEY": SECRET,
            "EXCHANGE_REDIS_URL": args.redis_url,
            "EXCHANGE_REDIS_PREFIX": f"bench-{uuid.uuid4().hex[:8]}",
            "EXCHANGE_LOG_LEVEL": "warning",
        }
        a = Server("app", log_path=folder / "a.log", env=env)
        b = Server("app", log_path=folder / "b.log", env=env)
        a.start()
        b.start()
        try:
            result = asyncio.run(_measure(a, b, exchange, args.commands, args.warmup))
        finally:
            a.stop()
            b.stop()
    report = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m bench.cross_instance " + " ".join(argv or sys.argv[1:]),
        "database": "PostgreSQL 127.0.0.1, Redis 127.0.0.1, two app instances",
        "commands": args.commands,
        "practitioners_on_B": args.practitioners,
        **result,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "cross_instance.json").write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
