"""A real uvicorn server in its own process, on a free loopback port: start, kill, restart."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
NO_RATE_LIMITS = {
    "EXCHANGE_RATE_PERSON_BURST": "1000000",
    "EXCHANGE_RATE_PERSON_PER_SECOND": "1000000",
    "EXCHANGE_RATE_SOCKET_BURST": "1000000",
    "EXCHANGE_RATE_SOCKET_PER_SECOND": "1000000",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """`exchange serve` against a given database, as a separate OS process."""

    def __init__(self, database_url: str, *, log_path: Path, env: dict[str, str] | None = None) -> None:
        self.database_url = database_url
        self.port = free_port()
        self.log_path = log_path
        self.extra_env = env or {}
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "EXCHANGE_DATABASE_URL": self.database_url,
            "EXCHANGE_HOST": "127.0.0.1",
            "EXCHANGE_PORT": str(self.port),
            "EXCHANGE_SECRET_KEY": "test-secret-" + "x" * 40,
            "EXCHANGE_LOG_LEVEL": "warning",
            # Tests drive commands far faster than people click: the rate limits are out of the way
            # unless a test sets them (tests/integration/test_abuse_live.py).
            **NO_RATE_LIMITS,
            **self.extra_env,
        }

    def start(self, timeout: float = 20.0) -> None:
        with self.log_path.open("ab") as log:  # the child keeps its own copy of the handle
            self.process = subprocess.Popen(
                [sys.executable, "-m", "exchange.cli", "serve"], cwd=ROOT, env=self.env(), stdout=log, stderr=log
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early; see {self.log_path}:\n{self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not answer within {timeout}s; see {self.log_path}")

    def stop(self) -> None:
        """A graceful stop (SIGTERM), as a deploy would do."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to tidy up."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.kill()
        self.start()
