"""The load generator: a process of its own that opens every socket and measures on one clock.

    python -m bench.loadgen SPEC.json OUT.json

The spec (written by bench.run) lists each exchange's sockets (URL and cookie), the rates and the
phases to run. Modes:
- "load": connect, set up (the app: start each exchange and open the discussion phase; pump a few
  exchanges past `resume_behind` events), run commands open-loop at `rate` per exchange, measure a
  window after a warm-up, then resume samples (a client `resume_behind` events behind reconnects),
  stop, drain, check every socket saw every event exactly once, and optionally a reconnect storm.
- "idle": connect every socket, let the server settle, read its RSS, disconnect.

It reads the server's CPU and RSS from /proc at the window's edges and its own CPU with getrusage,
so the report can show the generator was not the bottleneck. Only 127.0.0.1 is ever dialled, and
every phase is bounded in time.
"""

from __future__ import annotations

import asyncio
import gc
import json
import random
import resource
import sys
import time
from typing import Any
from urllib.parse import urlsplit

import websockets
from pydantic_core import from_json
from websockets.asyncio.client import ClientConnection, connect

from bench.analysis import Cmd, Track, Window, analyse
from bench.common import (
    machine_busy_seconds,
    machine_softirq_seconds,
    percentile,
    proc_cpu_seconds,
    proc_rss_bytes,
    self_cpu_seconds,
    summary_ms,
)
from bench.policy import PHASE_CYCLE, Exchange, Person, compact

now = time.perf_counter_ns
dumps = json.dumps
#: Every socket parses every frame it gets, 11,000 a second at E=1000: pydantic-core's parser (Rust)
#: takes half the time of json.loads on these frames, and the generator's CPU is the machine's too.
loads = from_json
MAX_IN_FLIGHT = 8  # per socket; beyond this the generator skips a beat rather than pile up
CONNECT_ERRORS = (
    OSError,
    TimeoutError,
    websockets.InvalidHandshake,
    websockets.InvalidStatus,
)


class Socket:
    """One simulated page: its connection, its record, and the commands awaiting a reply."""

    def __init__(self, gen: Generator, exchange: int, role: str, url: str, cookie: str) -> None:
        host = urlsplit(url).hostname
        if host not in {"127.0.0.1", "localhost"}:
            raise SystemExit(f"refusing to dial {host}: the benchmark only talks to 127.0.0.1")
        self.gen = gen
        self.exchange = exchange
        self.url = url
        self.cookie = cookie
        self.person = Person(role=role)
        self.track = Track(exchange=exchange, role=role)
        self.high = -1
        self.ws: ClientConnection | None = None
        self.reader: asyncio.Task[None] | None = None
        self.pending: dict[str, tuple[Cmd, asyncio.Future[Cmd] | None]] = {}
        self.expect_close = False
        self.redialing = False
        self.synced: asyncio.Future[int] | None = None

    async def open(self, *, resume: bool) -> int:
        """Connect (retrying with jittered backoff), say hello, and wait for the first state frame."""
        delay = 0.2
        for attempt in range(10):
            try:
                self.ws = await connect(
                    self.url,
                    additional_headers={"Cookie": self.cookie},
                    compression=self.gen.compression,
                    open_timeout=60,
                    close_timeout=5,
                    ping_interval=None,  # the server pings; the client answers
                    max_size=2**24,
                )
                break
            except CONNECT_ERRORS:
                self.gen.counters["connect_retries"] += 1
                if attempt == 9:
                    raise
                await asyncio.sleep(delay * random.uniform(0.5, 1.5))
                delay = min(delay * 2, 5.0)
        assert self.ws is not None
        self.expect_close = False
        self.synced = asyncio.get_running_loop().create_future()
        last_seq = self.high if resume and self.high >= 0 else None
        await self.ws.send(dumps({"type": "hello", "last_seq": last_seq}))
        self.reader = asyncio.create_task(self._read(self.ws))
        return await asyncio.wait_for(asyncio.shield(self.synced), 60)

    async def close(self) -> None:
        self.expect_close = True
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await self.reader

    async def _read(self, ws: ClientConnection) -> None:
        gen = self.gen
        try:
            async for raw in ws:
                t = now()
                frame = loads(raw)
                kind = frame["type"]
                if kind == "events":
                    self._events(frame, t, len(raw))
                elif kind == "ack" or kind == "rejected":
                    entry = self.pending.pop(frame["id"], None)
                    if entry is None:
                        gen.anomaly(
                            self,
                            f"a reply for an unknown or already answered command {frame['id']}",
                        )
                        continue
                    cmd, future = entry
                    cmd.t_reply, cmd.status, cmd.reply_seq, cmd.code = (
                        t,
                        kind,
                        frame.get("seq"),
                        frame.get("code"),
                    )
                    if future is not None and not future.done():
                        future.set_result(cmd)
                elif kind == "snapshot":
                    if self.high >= 0 and (gen.resuming or self.redialing):
                        gen.anomaly(
                            self,
                            f"a snapshot instead of the missing events after {self.high}",
                        )
                    self.high = frame["seq"]
                    self.person.view = compact(frame["view"])
                    self._sync(t)
                elif kind == "welcome":
                    self.person.actor_id = frame["you"]["id"]
                elif kind == "error":
                    gen.anomaly(self, f"error frame {frame.get('code')}: {frame.get('message')}")
        except websockets.ConnectionClosed:
            pass
        finally:
            if not self.expect_close and ws is self.ws:
                self._dropped(ws.close_code)

    def _dropped(self, code: int | None) -> None:
        """The server closed this socket: like the real page, redial and resume from the last seq."""
        gen = self.gen
        gen.counters["server_drops"] += 1
        gen.drop_codes[str(code)] = gen.drop_codes.get(str(code), 0) + 1
        for cmd, future in self.pending.values():
            cmd.status = "dropped"  # a real page would resend it under the same id
            if future is not None and not future.done():
                future.set_exception(ConnectionError("socket dropped"))
        self.pending.clear()
        if self.synced is not None and not self.synced.done():
            self.synced.set_exception(ConnectionError(f"closed with {code}"))
            return
        if not gen.stop_redials:
            gen.redials.append(asyncio.create_task(self._redial()))

    async def _redial(self) -> None:
        await asyncio.sleep(random.uniform(0.2, 1.0))
        self.redialing = True
        try:
            await self.open(resume=True)
        except (ConnectionError, *CONNECT_ERRORS) as exc:
            self.gen.anomaly(self, f"could not redial after a drop: {exc!r}")
        finally:
            self.redialing = False

    def _events(self, frame: dict[str, Any], t: int, size: int) -> None:
        seq = frame["seq"]
        expected = self.high + 1
        # A practitioner is not sent the staff-only events (the console's lead changing hands, notes):
        # their frames may skip those seqs, and only a repeat or a step back is wrong for them. The
        # console is sent every event, so any gap there is a loss.
        sees_all = self.person.role == "f"
        for event in frame["events"]:
            got = event["seq"]
            if got < expected or (sees_all and got != expected):
                what = "duplicate" if got < expected else "gap"
                self.gen.anomaly(self, f"{what}: expected seq {expected}, got {got}")
            expected = got + 1
        if seq < self.high:
            self.gen.anomaly(self, f"frame seq went back from {self.high} to {seq}")
        if sees_all and seq > self.high and expected != seq + 1:
            self.gen.anomaly(self, f"frame says seq {seq} but its events end at {expected - 1}")
        self.high = max(self.high, seq)
        track = self.track
        track.seqs.append(seq)
        track.times.append(t)
        track.sizes.append(size)
        if "view" in frame:
            self.person.view = compact(frame["view"])
        else:
            self.person.view = compact(frame["changes"], self.person.view, frame.get("items"))
        self._sync(t)

    def _sync(self, t: int) -> None:
        if self.synced is not None and not self.synced.done():
            self.synced.set_result(t)

    async def send(self, command: dict[str, Any], *, wait: bool = False) -> Cmd:
        gen = self.gen
        gen.serial += 1
        command_id = f"b{gen.serial:09d}"
        cmd = Cmd(exchange=self.exchange, role=self.person.role, kind=command["type"])
        future = asyncio.get_running_loop().create_future() if wait else None
        self.pending[command_id] = (cmd, future)
        gen.commands.append(cmd)
        text = dumps({"type": "command", "id": command_id, "command": command})
        assert self.ws is not None
        cmd.high_at_send = self.high
        cmd.t_send = now()
        try:
            await self.ws.send(text)
        except websockets.ConnectionClosed:
            self.pending.pop(command_id, None)
            cmd.status = "dropped"
            raise
        if future is not None:
            return await asyncio.wait_for(future, 60)
        return cmd


class Generator:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.compression = spec.get("compression")
        self.rng = random.Random(spec.get("seed", 7))
        self.counters: dict[str, int] = {
            "connect_retries": 0,
            "skipped_busy": 0,
            "skipped_nothing": 0,
            "server_drops": 0,
        }
        self.drop_codes: dict[str, int] = {}
        self.redials: list[asyncio.Task[None]] = []
        self.stop_redials = False
        self.commands: list[Cmd] = []
        self.anomalies: list[str] = []
        self.anomaly_count = 0
        self.serial = 0
        self.resuming = False
        self.stop_load = False
        self.sockets: list[Socket] = []
        self.groups: list[list[Socket]] = []
        self.exchanges: list[Exchange] = []
        for index, entry in enumerate(spec["exchanges"]):
            group = [
                Socket(
                    self,
                    index,
                    "f",
                    entry["facilitator"]["url"],
                    entry["facilitator"]["cookie"],
                )
            ]
            group += [Socket(self, index, "p", p["url"], p["cookie"]) for p in entry["practitioners"]]
            self.groups.append(group)
            self.sockets.extend(group)
            self.exchanges.append(
                Exchange(
                    facilitator=group[0].person,
                    practitioners=[s.person for s in group[1:]],
                    rng=random.Random(self.rng.random()),
                    stateful=spec["target"] == "app",
                    phase_commands=spec.get("phase_commands", 12),
                    practitioner_share=spec.get("practitioner_share", 0.5),
                )
            )
        self.pids: list[int] = spec.get("server_pids", [])

    def anomaly(self, socket: Socket, message: str) -> None:
        self.anomaly_count += 1
        if len(self.anomalies) < 200:
            self.anomalies.append(f"exchange #{socket.exchange} {socket.person.role}: {message}")

    def log(self, message: str) -> None:
        print(f"[loadgen {self.spec['target']}] {message}", file=sys.stderr, flush=True)

    def server_rss(self) -> int:
        return sum(proc_rss_bytes(pid) for pid in self.pids)

    def server_cpu(self) -> float:
        return sum(proc_cpu_seconds(pid) for pid in self.pids)

    # --- connecting ---------------------------------------------------------------------------

    async def connect_all(self) -> float:
        """Facilitators first (their exchange's hub opens), then practitioners; bounded concurrency."""
        started = time.monotonic()
        limit = asyncio.Semaphore(self.spec.get("connect_concurrency", 64))

        async def one(socket: Socket) -> None:
            async with limit:
                await socket.open(resume=False)

        await asyncio.gather(*(one(group[0]) for group in self.groups))
        await asyncio.gather(*(one(s) for group in self.groups for s in group[1:]))
        return time.monotonic() - started

    async def close_all(self) -> None:
        limit = asyncio.Semaphore(256)

        async def one(socket: Socket) -> None:
            async with limit:
                await socket.close()

        await asyncio.gather(*(one(s) for s in self.sockets))

    # --- set-up -------------------------------------------------------------------------------

    async def setup_app(self) -> None:
        """Start every exchange in a phase of the cycle (a third in each); pump some past the resume distance."""
        limit = asyncio.Semaphore(32)

        async def start(group: list[Socket], phase: int) -> None:
            async with limit:
                facilitator = group[0]
                if facilitator.person.view.get("status") != "live":
                    reply = await facilitator.send({"type": "start_exchange"}, wait=True)
                    if reply.status != "ack":
                        raise RuntimeError(f"start_exchange refused: {reply.code}")
                if facilitator.person.view.get("phase_index") != phase:
                    await facilitator.send({"type": "goto_phase", "index": phase}, wait=True)

        await asyncio.gather(
            *(start(group, PHASE_CYCLE[i % len(PHASE_CYCLE)]) for i, group in enumerate(self.groups))
        )
        behind = self.spec.get("resume_behind", 300)
        pumped = self.groups[: self.spec.get("resume_exchanges", 0)] if self.spec.get("resume_samples") else []

        async def pump(group: list[Socket]) -> None:
            facilitator = group[0]
            sign = 1
            while facilitator.high < behind + 20:
                batch = []
                for _ in range(32):
                    sign = -sign
                    batch.append(
                        facilitator.send(
                            {"type": "add_time", "timer": "phase", "seconds": sign},
                            wait=True,
                        )
                    )
                await asyncio.gather(*batch)

        await asyncio.gather(*(pump(group) for group in pumped))
        await self.quiesce(timeout=60)

    async def quiesce(self, *, timeout: float) -> bool:
        """Wait until no reply is outstanding and every socket of an exchange holds the same seq."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not any(s.pending for s in self.sockets) and all(
                len({s.high for s in group}) == 1 for group in self.groups
            ):
                return True
            await asyncio.sleep(0.1)
        return False

    # --- the load -----------------------------------------------------------------------------

    async def drive(self, index: int, start: int) -> None:
        """Open-loop: commands at fixed intervals with a random phase, whatever the replies do."""
        exchange, group = self.exchanges[index], self.groups[index]
        interval = int(1e9 / self.spec["rate"])
        due = start + int(exchange.rng.uniform(0, interval))
        sockets = {id(s.person): s for s in group}
        while not self.stop_load:
            delay = due - now()
            if delay > 0:
                await asyncio.sleep(delay / 1e9)
                if self.stop_load:
                    return
            self.schedule_lag.append(now() - due)
            due += interval
            choice = exchange.next_command()
            if choice is None:
                self.counters["skipped_nothing"] += 1
                continue
            person, command = choice
            socket = sockets[id(person)]
            if len(socket.pending) >= MAX_IN_FLIGHT:
                self.counters["skipped_busy"] += 1
                continue
            try:
                await socket.send(command)
            except websockets.ConnectionClosed:
                pass  # recorded by its reader

    async def loop_lag(self, samples: list[int]) -> None:
        """How late the generator's own event loop wakes up: if this grows, its clock reads are late."""
        while True:
            before = now()
            await asyncio.sleep(0.02)
            samples.append(now() - before - 20_000_000)

    async def resume_samples(self) -> dict[str, Any]:
        """A practitioner `resume_behind` events behind reconnects: time from dialling to caught up."""
        count, behind = (
            self.spec.get("resume_samples", 0),
            self.spec.get("resume_behind", 300),
        )
        groups = self.groups[: self.spec.get("resume_exchanges", 0)]
        if not count or not groups:
            return {"count": 0}
        times: list[int] = []
        sizes: list[int] = []
        failed = 0
        self.resuming = True
        budget_ends = time.monotonic() + self.spec.get("resume_budget", 60.0)
        for i in range(count):
            if time.monotonic() > budget_ends:  # an overloaded server: keep what was measured, move on
                self.log(f"resume samples cut short after {i}: over the time budget")
                break
            group = groups[i % len(groups)]
            template = group[1 + (i // len(groups)) % (len(group) - 1)]
            probe = Socket(self, template.exchange, "p", template.url, template.cookie)
            probe.high = group[0].high - behind
            if probe.high < 0:
                continue
            start_high = probe.high
            started = now()
            try:
                arrived = await probe.open(resume=True)
            except (ConnectionError, *CONNECT_ERRORS) as exc:
                # An overloaded server may not even finish the handshake in time: that sample is a
                # failure to report, not a reason to lose the whole run's figures.
                failed += 1
                self.log(f"resume sample {i} could not connect: {exc!r}")
                await probe.close()
                continue
            times.append(arrived - started)
            sizes.append(probe.track.sizes[0] if probe.track.sizes else 0)
            if probe.high - start_high < behind:
                self.anomaly(probe, f"resumed only {probe.high - start_high} events")
            await probe.close()
        self.resuming = False
        result: dict[str, Any] = summary_ms(times)
        result.update(
            behind=behind,
            frame_bytes_mean=round(sum(sizes) / len(sizes)) if sizes else None,
            failed_to_connect=failed,
        )
        return result

    async def storm(self) -> dict[str, Any]:
        """Every client drops and reconnects at once, each after a random delay, resuming by seq."""
        jitter = self.spec.get("storm_jitter", 3.0)
        await self.close_all()
        self.resuming = True
        started = now()
        limit = asyncio.Semaphore(self.spec.get("connect_concurrency", 64) * 4)

        async def one(socket: Socket) -> int:
            await asyncio.sleep(self.rng.uniform(0, jitter))
            async with limit:
                dialled = now()
                await socket.open(resume=True)
                return now() - dialled

        each = await asyncio.gather(*(one(s) for s in self.sockets))
        total = now() - started
        self.resuming = False
        caught_up = await self.quiesce(timeout=30)
        return {
            "clients": len(self.sockets),
            "jitter_s": jitter,
            "all_caught_up_s": round(total / 1e9, 3),
            "per_client_ms": summary_ms(each),
            "converged": caught_up,
        }

    async def run_load(self) -> dict[str, Any]:
        spec = self.spec
        result: dict[str, Any] = {"rss_before_connect": self.server_rss()}
        result["connect_seconds"] = round(await self.connect_all(), 3)
        self.log(f"{len(self.sockets)} sockets connected in {result['connect_seconds']}s")
        if spec["target"] == "app":
            await self.setup_app()
            self.log("exchanges started")
        self.commands.clear()  # set-up commands are not part of the measurement
        self.schedule_lag: list[int] = []
        lag: list[int] = []
        lag_task = asyncio.create_task(self.loop_lag(lag))
        start = now()
        drivers = [asyncio.create_task(self.drive(i, start)) for i in range(len(self.groups))]
        window = Window(
            start + int(spec["warmup"] * 1e9),
            start + int((spec["warmup"] + spec["duration"]) * 1e9),
        )
        await asyncio.sleep(spec["warmup"])
        lag.clear()
        self.schedule_lag.clear()
        cpu0, self0, busy0, irq0, t0 = (
            self.server_cpu(),
            self_cpu_seconds(),
            machine_busy_seconds(),
            machine_softirq_seconds(),
            now(),
        )
        if spec.get("profile_marker"):
            self.log("MEASURE-START")
        await asyncio.sleep(spec["duration"])
        cpu1, self1, busy1, irq1, t1 = (
            self.server_cpu(),
            self_cpu_seconds(),
            machine_busy_seconds(),
            machine_softirq_seconds(),
            now(),
        )
        result["rss_under_load"] = self.server_rss()
        window = Window(window.start, t1)
        result["window_ns"] = [window.start, window.end]  # for the server's own logs (bench.serverlog)
        lag_in_window, schedule_in_window = sorted(lag), sorted(self.schedule_lag)
        self.log("measured window over")
        result["resume"] = await self.resume_samples() if spec["target"] == "app" else {"count": 0}
        self.stop_load = True
        for task in drivers:
            task.cancel()
        await asyncio.gather(*drivers, return_exceptions=True)
        await asyncio.gather(*self.redials, return_exceptions=True)  # dropped sockets resume first
        result["drained"] = await self.quiesce(timeout=spec.get("drain_timeout", 30))
        if not result["drained"]:
            self.anomalies.append("sockets did not converge on the same seq after the load stopped")
            self.anomaly_count += 1
        if spec.get("storm"):
            self.log("reconnect storm")
            try:
                result["storm"] = await asyncio.wait_for(self.storm(), spec.get("storm_budget", 180.0))
            except TimeoutError:
                result["storm"] = {"clients": len(self.sockets), "converged": False, "timed_out": True}
            if not result["storm"]["converged"]:
                self.anomalies.append("sockets did not converge after the reconnect storm")
                self.anomaly_count += 1
        lag_task.cancel()
        self.stop_redials = True
        await asyncio.gather(*self.redials, return_exceptions=True)
        await self.close_all()
        analysed = analyse([s.track for s in self.sockets], self.commands, window, [])
        wall = (t1 - t0) / 1e9
        cpu = cpu1 - cpu0
        result.update(analysed)
        result.update(
            sockets=len(self.sockets),
            server_cpu_seconds=round(cpu, 3),
            server_cpu_cores=round(cpu / wall, 3),
            server_cpu_us_per_delivery=round(cpu * 1e6 / analysed["deliveries"], 2) if analysed["deliveries"] else None,
            loadgen_cpu_cores=round((self1 - self0) / wall, 3),
            machine_busy_cores=round((busy1 - busy0) / wall, 3),
            softirq_cores=round((irq1 - irq0) / wall, 3),
            other_processes_cores=round(((busy1 - busy0) - cpu - (self1 - self0)) / wall, 3),
            loadgen_loop_lag_ms={
                "p50": round(percentile(lag_in_window, 50) / 1e6, 3) if lag_in_window else None,
                "p99": round(percentile(lag_in_window, 99) / 1e6, 3) if lag_in_window else None,
                "max": round(lag_in_window[-1] / 1e6, 3) if lag_in_window else None,
            },
            loadgen_schedule_lag_ms={
                "p50": round(percentile(schedule_in_window, 50) / 1e6, 3) if schedule_in_window else None,
                "p99": round(percentile(schedule_in_window, 99) / 1e6, 3) if schedule_in_window else None,
            },
            counters=self.counters,
            server_drop_codes=self.drop_codes,
            anomaly_count=self.anomaly_count,
            anomalies=self.anomalies[:50],
        )
        result["lost_or_duplicated"] = self.anomaly_count + analysed["problem_count"]
        return result

    async def run_idle(self) -> dict[str, Any]:
        before = self.server_rss()
        seconds = await self.connect_all()
        await asyncio.sleep(self.spec.get("idle_settle", 3.0))
        after = self.server_rss()
        negotiated = sum(
            1
            for s in self.sockets
            if s.ws is not None and any(e.name == "permessage-deflate" for e in s.ws.protocol.extensions)
        )
        await self.close_all()
        return {
            "sockets": len(self.sockets),
            "compression": self.compression,
            "deflate_negotiated": negotiated,
            "connect_seconds": round(seconds, 3),
            "rss_before": before,
            "rss_after": after,
            "rss_per_connection_kib": round((after - before) / len(self.sockets) / 1024, 2),
            "anomaly_count": self.anomaly_count,
            "anomalies": self.anomalies[:20],
        }


async def _main(spec: dict[str, Any]) -> dict[str, Any]:
    gen = Generator(spec)
    runner = gen.run_idle() if spec["mode"] == "idle" else gen.run_load()
    # No collector in the generator while it measures: CPython's young collections stalled its loop
    # for up to 60 ms at E=200 (and rounds like the server's for 11 ms at p99), and its late reads
    # counted as the server's latency. Garbage cycles wait until the run ends; the report shows
    # the generator's peak memory.
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        result = await asyncio.wait_for(runner, spec.get("time_limit", 900))
    finally:
        gc.enable()
        gc.unfreeze()
    result["loadgen_max_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    spec_path, out_path = args
    with open(spec_path) as handle:
        spec = json.load(handle)
    try:
        import uvloop

        loop_factory = uvloop.new_event_loop
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        loop_factory = None
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        result = runner.run(_main(spec))
    result["loop"] = "uvloop" if loop_factory else "asyncio"
    with open(out_path, "w") as handle:
        json.dump(result, handle)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
