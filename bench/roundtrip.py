"""Issue 3's figure: a facilitator's command to the last of 10 practitioners receiving it, on SQLite.

    python -m bench.roundtrip [--commands 1000] [--practitioners 10] [--mode add_time|turns] [--out bench/results]

The real server (`exchange serve`, its own process) on a fresh migrated SQLite file; one scheduled
exchange, its facilitator and practitioners connected over real websockets from this process. The
facilitator sends one command at a time (closed loop, no pause): `add_time` +1 s / -1 s on the
phase timer, or with `--mode turns` the story round's next_turn / finish_turn (and a phase switch
when the round is done). For each command: the time from just before sending it until the last
practitioner's socket has received the events frame with the ack's seq (perf_counter_ns, one
clock), and the time until the ack. Warm-up commands are not counted. Prints and writes JSON.

Then the same pages drive B0 (`bench/baseline_websockets.py`: the `websockets` library alone, no
validation, no database), its frames padded to the sizes the app's were: the floor of this round
trip on this machine, which the ack is compared with as well as the fsync (`--no-baseline` skips it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from bisect import bisect_left
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection, connect

from bench.common import (
    fsync_floor,
    machine_busy_seconds,
    proc_cpu_seconds,
    self_cpu_seconds,
    summary_ms,
)
from bench.seed import seed_exchanges
from bench.servers import ROOT, Server

UNLIMITED = {f"EXCHANGE_RATE_{name}": "1000000" for name in ("SOCKET_BURST", "SOCKET_PER_SECOND", "PERSON_BURST", "PERSON_PER_SECOND")}

now = time.perf_counter_ns


class Page:
    """One socket: every events frame's seq and arrival time; replies to its commands by id."""

    def __init__(self, url: str, cookie: str) -> None:
        self.url, self.cookie = url, cookie
        self.seqs: list[int] = []
        self.times: list[int] = []
        self.event_bytes: list[int] = []
        self.high = -1
        self.view: dict[str, Any] = {}
        self.replies: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.waiting: list[tuple[int, asyncio.Future[int]]] = []
        self.problems: list[str] = []
        self.ws: ClientConnection | None = None
        self.ready: asyncio.Future[None] | None = None

    async def open(self) -> None:
        self.ws = await connect(
            self.url,
            additional_headers={"Cookie": self.cookie},
            ping_interval=None,
            compression=None,
        )
        self.ready = asyncio.get_running_loop().create_future()
        await self.ws.send(json.dumps({"type": "hello", "last_seq": None}))
        self.task = asyncio.create_task(self._read())
        await asyncio.wait_for(self.ready, 30)

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for raw in self.ws:
                t = now()
                frame = json.loads(raw)
                kind = frame["type"]
                if kind in {"events", "snapshot"}:
                    if kind == "events":
                        self.event_bytes.append(len(raw))
                        for event in frame["events"]:
                            if event["seq"] != self.high + 1:
                                self.problems.append(f"expected seq {self.high + 1}, got {event['seq']}")
                            self.high = event["seq"]
                        self.seqs.append(frame["seq"])
                        self.times.append(t)
                    self.high = frame["seq"]
                    self.view = frame["view"] if "view" in frame else {**self.view, **frame["changes"]}
                    if self.ready is not None and not self.ready.done():
                        self.ready.set_result(None)
                    still = []
                    for seq, future in self.waiting:
                        if self.high >= seq:
                            future.set_result(t)
                        else:
                            still.append((seq, future))
                    self.waiting = still
                elif kind in {"ack", "rejected"}:
                    future = self.replies.pop(frame["id"], None)
                    if future is not None:
                        frame["t"] = t
                        future.set_result(frame)
        except websockets.ConnectionClosed:
            pass

    def arrival(self, seq: int) -> asyncio.Future[int]:
        """When the first frame reaching `seq` arrived (now or later)."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        index = bisect_left(self.seqs, seq)
        if index < len(self.seqs):
            future.set_result(self.times[index])
        else:
            self.waiting.append((seq, future))
        return future

    async def command(self, command: dict[str, Any], command_id: str) -> tuple[int, dict[str, Any]]:
        assert self.ws is not None
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.replies[command_id] = future
        text = json.dumps({"type": "command", "id": command_id, "command": command})
        sent = now()
        await self.ws.send(text)
        return sent, await asyncio.wait_for(future, 30)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            await self.task


def _next(mode: str, view: dict[str, Any], step: int) -> dict[str, Any]:
    if mode == "add_time":
        return {
            "type": "add_time",
            "timer": "phase",
            "seconds": 1 if step % 2 == 0 else -1,
        }
    if view.get("phase_index") != 1:
        return {"type": "goto_phase", "index": 1}
    turns = view.get("turns") or {}
    if turns.get("speaker"):
        return {"type": "finish_turn"}
    if turns.get("order"):
        return {"type": "next_turn"}
    return {"type": "goto_phase", "index": 4}


async def _measure(server: Server, exchange: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    facilitator = Page(server.ws_url(exchange["id"], "f"), exchange["facilitator"])
    practitioners = [Page(server.ws_url(exchange["id"], "p"), c) for c in exchange["practitioners"]]
    await facilitator.open()
    for page in practitioners:
        await page.open()
    _, reply = await facilitator.command({"type": "start_exchange"}, "rt-start-0001")
    assert reply["type"] == "ack", reply
    _, reply = await facilitator.command({"type": "goto_phase", "index": 4}, "rt-phase-0001")
    for page in [facilitator, *practitioners]:
        page.event_bytes.clear()
    c2ld: list[int] = []
    ack: list[int] = []
    rejected = 0
    busy0, own0, server0, wall0 = (
        machine_busy_seconds(),
        self_cpu_seconds(),
        proc_cpu_seconds(server.pid),
        time.monotonic(),
    )
    total = args.warmup + args.commands
    for step in range(total):
        command = _next(args.mode, facilitator.view, step)
        sent, reply = await facilitator.command(command, f"rt-{step:08d}")
        if reply["type"] != "ack":
            rejected += 1
            continue
        arrivals = await asyncio.wait_for(asyncio.gather(*(p.arrival(reply["seq"]) for p in practitioners)), 30)
        if step >= args.warmup:
            c2ld.append(max(arrivals) - sent)
            ack.append(reply["t"] - sent)
        while not all(p.high >= reply["seq"] for p in [facilitator, *practitioners]):
            await asyncio.sleep(0)
    wall = time.monotonic() - wall0
    server_cpu = proc_cpu_seconds(server.pid) - server0
    other = (machine_busy_seconds() - busy0) - server_cpu - (self_cpu_seconds() - own0)
    problems = [f"{i}: {p}" for i, page in enumerate([facilitator, *practitioners]) for p in page.problems]
    for page in [facilitator, *practitioners]:
        await page.close()
    return {
        "command_to_last_practitioner_ms": summary_ms(c2ld),
        "ack_ms": summary_ms(ack),
        "frame_bytes": {
            "f": _mean(facilitator.event_bytes),
            "p": _mean([size for page in practitioners for size in page.event_bytes]),
        },
        "rejected": rejected,
        "server_cpu_cores": round(server_cpu / wall, 3),
        "other_processes_cores": round(other / wall, 3),
        "problems": problems[:20],
    }


def _mean(sizes: list[int]) -> int:
    return round(sum(sizes) / len(sizes)) if sizes else 0


def _run(server: Server, exchange: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    server.start()
    try:
        with asyncio.Runner() as runner:
            return runner.run(_measure(server, exchange, args))
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    from tests.support.databases import migrate

    parser = argparse.ArgumentParser(prog="python -m bench.roundtrip", description=__doc__.split("\n\n")[0])
    parser.add_argument("--commands", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--practitioners", type=int, default=10)
    parser.add_argument("--mode", choices=("add_time", "turns"), default="add_time")
    parser.add_argument("--no-baseline", action="store_true", help="skip the same round trip against B0")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="exchange-roundtrip-") as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'exchange.db'}"
        migrate(url)
        secret = "roundtrip-" + "s" * 40
        exchange = seed_exchanges(url, secret=secret, exchanges=1, practitioners=args.practitioners)[0].as_json()
        floor = fsync_floor(folder)
        server = Server(
            "app",
            log_path=folder / "server.log",
            # One facilitator sends back to back, far above a person's rate limit (exchange/sessions/
            # limits.py): lifted, so what is measured is the round trip, not the limiter's refusals.
            env={"EXCHANGE_DATABASE_URL": url, "EXCHANGE_SECRET_KEY": secret, **UNLIMITED},
        )
        measured = _run(server, exchange, args)
        baseline = None
        if not args.no_baseline:
            sizes = measured["frame_bytes"]
            env = {"BENCH_FRAME_BYTES": str(sizes["p"]), "BENCH_STAFF_FRAME_BYTES": str(sizes["f"])}
            baseline = _run(Server("b0", log_path=folder / "b0.log", env=env), exchange, args)
    result = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m bench.roundtrip " + " ".join(sys.argv[1:] if argv is None else argv),
        "mode": args.mode,
        "practitioners": args.practitioners,
        "commands": args.commands,
        "database": "SQLite (WAL, synchronous=FULL) in a temp dir",
        "fsync_floor_ms": floor,
        **measured,
        "b0": baseline,
    }
    path = args.out / "roundtrip.json"
    path.write_text(json.dumps(result, indent=1))
    c, a = result["command_to_last_practitioner_ms"], result["ack_ms"]
    print(
        f"{args.commands} {args.mode} commands, 1 exchange x {args.practitioners} practitioners, SQLite:\n"
        f"  command -> last practitioner: median {c.get('median')} ms, p99 {c.get('p99')} ms, max {c.get('max')} ms\n"
        f"  command -> ack:               median {a.get('median')} ms, p99 {a.get('p99')} ms\n"
        f"  fsync floor (same disk):      median {floor.get('median')} ms\n"
        f"  other load on the machine meanwhile: {measured['other_processes_cores']} cores\n"
        f"  problems: {len(measured['problems'])}, rejected: {measured['rejected']} -> {path}"
    )
    if baseline is not None:
        bc, ba = baseline["command_to_last_practitioner_ms"], baseline["ack_ms"]
        print(
            "B0, the same pages and frame sizes (websockets alone, no database):\n"
            f"  command -> last practitioner: median {bc.get('median')} ms, p99 {bc.get('p99')} ms\n"
            f"  command -> ack:               median {ba.get('median')} ms, p99 {ba.get('p99')} ms\n"
            f"  problems: {len(baseline['problems'])}"
        )
    return 1 if measured["problems"] or (baseline and baseline["problems"]) else 0


if __name__ == "__main__":
    raise SystemExit(main())
