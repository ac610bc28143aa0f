"""Running uvicorn: a graceful "going away" for websockets, smaller compression state, several workers.

Uvicorn's own shutdown closes websockets with 1012 after the app has lost its chance to speak; we
close them first with 1001 so clients reconnect (through the load balancer) to another instance.
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
import signal
import socket
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.server import ServerProtocol

from exchange.logs import log_config
from exchange.settings import Settings


def _fastapi_app(app: Any) -> FastAPI | None:
    """Unwrap uvicorn's middleware to reach our FastAPI instance."""
    for _ in range(10):
        if isinstance(app, FastAPI):
            return app
        app = getattr(app, "app", None)
    return None


#: permessage-deflate per socket: uvicorn's 4 KiB windows and zlib memLevel 5 hold about 52 KiB of
#: zlib state per socket (measured with `python -m bench.run`: 86 against 34 KiB per idle socket).
#: Live frames are about 1 KB of JSON: with a 2 KiB window (which still holds the frame before)
#: and memLevel 2 they compress as well as with uvicorn's settings (5% of their size, from the
#: second frame on). Commands from the pages are a few hundred bytes: a 512-byte window will do.
SERVER_WINDOW_BITS = 11
CLIENT_WINDOW_BITS = 9
DEFLATE_MEM_LEVEL = 2


@functools.lru_cache(maxsize=8)
def _utf8(text: str) -> bytes:
    """A frame's text as sent: a hub offers the same text to all its sockets, encoded once."""
    return text.encode()


@functools.lru_cache(maxsize=8)
def _text_frame(text: str) -> bytes:
    """An uncompressed text frame on the wire: a server doesn't mask, so every socket that doesn't
    compress gets the very same bytes, framed once."""
    return Frame(Opcode.TEXT, _utf8(text)).serialize(mask=False, extensions=[])


class LiveSocketProtocol(WebSocketsSansIOProtocol):
    """Uvicorn's websockets-sansio protocol with smaller compression state per socket, and a
    direct write for the frames a hub fans out."""

    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        if config.ws_per_message_deflate:
            deflate = ServerPerMessageDeflateFactory(
                server_max_window_bits=SERVER_WINDOW_BITS,
                client_max_window_bits=CLIENT_WINDOW_BITS,
                compress_settings={"memLevel": DEFLATE_MEM_LEVEL},
            )
            self.conn = ServerProtocol(
                extensions=[deflate], max_size=config.ws_max_size, logger=logging.getLogger("uvicorn.error")
            )

    def write_text(self, text: str) -> bool:
        """Write a text frame now, as uvicorn's `send` would; False if the socket is closing.

        The caller knows the transport takes more (`writable` is set), so there is nothing to await:
        this skips `send`'s coroutine, message and wait. A socket that compresses frames the text
        for itself; the others share one framing.
        """
        if self.conn.state is not State.OPEN or self.close_sent or self.transport.is_closing():
            return False
        if self.conn.extensions:
            self.conn.send_text(_utf8(text))
            self.transport.write(b"".join(self.conn.data_to_send()))
        else:
            self.transport.write(_text_frame(text))
        return True


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
        ws=LiveSocketProtocol,
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

