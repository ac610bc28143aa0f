"""The servers under test, each a process of its own on a free loopback port.

- the app: `python -m exchange.cli serve`, configured through EXCHANGE_* variables;
- B1: the bare FastAPI endpoint on uvicorn with the app's websocket settings;
- B0: the bare `websockets` server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

import httpx

from bench.common import free_port, summary_ms, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
WS_MAX_SIZE = 64 * 1024  # the app's EXCHANGE_WS_MAX_FRAME default
PING_SECONDS = 15.0  # the app's EXCHANGE_WS_HEARTBEAT_SECONDS default


class Server:
    """One server process: start, wait until it answers, stop; its pid for /proc and py-spy."""

    def __init__(
        self,
        kind: str,
        *,
        log_path: Path,
        env: dict[str, str] | None = None,
        server_log: bool = False,
    ) -> None:
        self.kind = kind
        self.server_log = server_log
        self.port = free_port()
        self.log_path = log_path
        self.env = {**os.environ, **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def ws_url(self, exchange_id: int, role: str) -> str:
        if self.kind == "app":
            return f"ws://127.0.0.1:{self.port}/e/{exchange_id}/ws"
        return f"ws://127.0.0.1:{self.port}/g/{exchange_id}?role={role}"

    def _command(self) -> list[str]:
        if self.kind == "app":
            module = "bench.serverlog" if self.server_log else "exchange.cli"
            return [sys.executable, "-m", module, "serve", "--port", str(self.port)]
        if self.kind == "b1":
            return [
                sys.executable, "-m", "uvicorn", "bench.baseline_fastapi:app",
                "--host", "127.0.0.1", "--port", str(self.port),
                "--ws-max-size", str(WS_MAX_SIZE),
                "--ws-ping-interval", str(PING_SECONDS), "--ws-ping-timeout", str(PING_SECONDS),
                "--log-level", "warning", "--timeout-graceful-shutdown", "5",
            ]  # fmt: skip
        if self.kind == "b0":
            return [
                sys.executable,
                "-m",
                "bench.baseline_websockets",
                "--port",
                str(self.port),
            ]
        raise ValueError(self.kind)

    def start(self, timeout: float = 60.0) -> None:
        env = dict(self.env)
        if self.kind == "app":
            env.update(EXCHANGE_HOST="127.0.0.1", EXCHANGE_PORT=str(self.port))
            env.setdefault("EXCHANGE_LOG_LEVEL", "warning")
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(self._command(), cwd=ROOT, env=env, stdout=log, stderr=log)
        alive = lambda: self.process is not None and self.process.poll() is None
        try:
            wait_for_port(self.port, timeout=timeout, alive=alive)
            if self.kind == "app":
                self._wait_healthy(timeout)
        except RuntimeError as exc:
            tail = self.log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{self.kind} server did not start: {exc}\n{tail}") from None

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError("no answer on /healthz")

    def _logged(self, kind: str) -> list[dict[str, str]]:
        """The fields of each line bench.serverlog wrote to the server's log, of one kind."""
        prefix = f"BENCH-{kind} "
        return [
            dict(part.split("=", 1) for part in line.split()[1:])
            for line in self.log_path.read_text(errors="replace").splitlines()
            if line.startswith(prefix)
        ]

    def gc_pauses(self) -> dict[str, object]:
        """The collector's rounds and long pauses, over the server's whole run."""
        pauses = [(int(f["gen"]), float(f["ms"]), int(f["objects"])) for f in self._logged("GC")]
        rounds = [p for p in pauses if p[0] >= 1]
        return {
            "rounds": len(rounds),
            "round_max_ms": max((p[1] for p in rounds), default=None),
            "round_total_ms": round(sum(p[1] for p in rounds), 1),
            "objects_after_last_round": rounds[-1][2] if rounds else None,
            "full_collections": sum(1 for p in pauses if p[0] == 2),
            "pauses_over_5ms": sum(1 for p in pauses if p[1] > 5),
        }

    def commits(self, window_ns: tuple[int, int]) -> dict[str, object]:
        """The log's transactions during the measured window (perf_counter_ns, shared by processes)."""
        return commit_summary(
            [
                CommitLine(int(f["t"]), int(f["appends"]), [int(us) for us in f["us"].split(",") if us])
                for f in self._logged("COMMIT")
            ],
            window_ns,
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


class CommitLine(NamedTuple):
    """One line of bench.serverlog's commit log: the transactions since the line before."""

    t: int  # perf_counter_ns when written
    appends: int
    durations_us: list[int]


def commit_summary(lines: list[CommitLine], window_ns: tuple[int, int]) -> dict[str, object]:
    """Group commit at work during the window: only lines whose whole span lies in it count."""
    start, end = window_ns
    spans = [(before.t, line) for before, line in zip(lines, lines[1:]) if before.t >= start and line.t <= end]
    durations = [us for _, line in spans for us in line.durations_us]
    if not durations:
        return {"transactions": 0}
    seconds = (spans[-1][1].t - spans[0][0]) / 1e9
    return {
        "seconds": round(seconds, 3),
        "transactions": len(durations),
        "transactions_per_second": round(len(durations) / seconds, 1),
        "appends_per_transaction": round(sum(line.appends for _, line in spans) / len(durations), 2),
        "transaction_ms": summary_ms([us * 1000 for us in durations]),
        "share_of_time": round(sum(durations) / 1e6 / seconds, 4),
    }
