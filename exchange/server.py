"""Running uvicorn: a graceful "going away" for websockets, and several worker processes.

Uvicorn's own shutdown closes websockets with 1012 after the app has lost its chance to speak; we
close them first with 1001 so clients reconnect (through the load balancer) to another instance.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
from typing import Any

import uvicorn
from fastapi import FastAPI

from exchange.logs import log_config
from exchange.settings import Settings


def _fastapi_app(app: Any) -> FastAPI | None:
    """Unwrap uvicorn's middleware to reach our FastAPI instance."""
    for _ in range(10):
        if isinstance(app, FastAPI):
            return app
        app = getattr(app, "app", None)
    return None


class ExchangeServer(uvicorn.Server):
    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        app = _fastapi_app(self.config.loaded_app)
        hubs = getattr(app.state, "hubs", None) if app is not None else None
        if hubs is not None:
            await hubs.going_away()
        await super().shutdown(sockets)


def make_config(settings: Settings, *, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        "exchange.app:create_app",
        factory=True,
        host=host,
        port=port,
        log_level=settings.log_level,
        log_config=log_config(settings),
        ws="websockets-sansio",
        ws_max_size=settings.ws_max_frame,
        # Protocol-level pings find dead peers (half-open TCP) within two intervals.
        ws_ping_interval=settings.ws_heartbeat_seconds,
        ws_ping_timeout=settings.ws_heartbeat_seconds,
        ws_per_message_deflate=settings.ws_compression,
        timeout_graceful_shutdown=5,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )


def _worker(config: uvicorn.Config, sock: socket.socket) -> None:
    config.configure_logging()  # a spawned process starts with logging unconfigured
    ExchangeServer(config).run(sockets=[sock])


def serve(settings: Settings, *, host: str, port: int, workers: int = 1) -> int:
    """Serve until told to stop; with workers > 1, that many processes share one listening socket."""
    config = make_config(settings, host=host, port=port)
    if workers <= 1:
        server = ExchangeServer(config)
        server.run()
        return 0 if server.started else 3
    sock = config.bind_socket()
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_worker, args=(config, sock), daemon=False) for _ in range(workers)]
    for process in processes:
        process.start()

    def stop(signum: int, _frame: object) -> None:
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: each worker says "going away" to its sockets

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for process in processes:
        process.join()
    sock.close()
    return 0 if all(p.exitcode == 0 for p in processes) else 1

