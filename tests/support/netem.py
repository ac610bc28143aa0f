"""A small TCP proxy on loopback that makes a link weak on demand, for browser tests of bad networks.

Between a page and the real server it forwards bytes both ways, and can:
- delay chunks (a lost TCP segment is resent: the page sees the bytes late, never missing or reordered),
- cut a connection at a random chunk, in either direction (a dropped line: a command may have reached
  the server while its ack never reaches the page),
- go dead (`dead()`): forward nothing and close nothing, as a link that silently stops does, until
  `alive()` cuts what was open so the page must reconnect.
Chromium's own emulation (latency, throughput, offline) adds to this; this covers what it can't:
losing bytes on a websocket that is already open. Randomness comes from a seed: a run can be repeated.
"""

from __future__ import annotations

import asyncio
import random
import threading
from dataclasses import dataclass


@dataclass
class Weakness:
    delay_probability: float = 0.0  # of a chunk being held back (as a resent segment would be)
    delay_range: tuple[float, float] = (0.2, 1.2)  # seconds
    cut_probability: float = 0.0  # of a connection being cut at a chunk


class WeakLink:
    """`with WeakLink(port) as link:` pages go to `link.url` instead of the server's own address."""

    def __init__(self, upstream_port: int, *, seed: int = 17) -> None:
        self.upstream_port = upstream_port
        self.weakness = Weakness()
        self.random = random.Random(seed)
        self.port = 0
        self.cuts = 0
        self._dead = False
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, name="weak-link", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> WeakLink:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            assert self._server is not None
            self._server.close()
            for writer in list(self._writers):
                writer.transport.abort()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    # --- control, from the test's thread ------------------------------------------------------

    def weaken(self, **changes: object) -> None:
        self.weakness = Weakness(**changes)  # type: ignore[arg-type]

    def heal(self) -> None:
        self.weakness = Weakness()

    def dead(self) -> None:
        """Forward nothing from now on, and close nothing: the page must notice by itself."""
        self._dead = True

    def alive(self) -> None:
        """Back: what was open through the dead spell is cut (as a NAT that forgot it), new connections work."""
        self._dead = False

        async def cut_all() -> None:
            for writer in list(self._writers):
                writer.transport.abort()

        asyncio.run_coroutine_threadsafe(cut_all(), self._loop).result(10)

    # --- the proxy ----------------------------------------------------------------------------

    async def _serve(self) -> asyncio.base_events.Server:
        return await asyncio.start_server(self._client, "127.0.0.1", 0)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.transport.abort()
            return
        pair = (writer, up_writer)
        self._writers.update(pair)
        poisoned = {"dead": False}

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while chunk := await src.read(65536):
                    if self._dead or poisoned["dead"]:
                        poisoned["dead"] = True  # bytes lost mid-stream: this connection can't go on
                        continue
                    weakness = self.weakness
                    if weakness.cut_probability and self.random.random() < weakness.cut_probability:
                        self.cuts += 1
                        break
                    if weakness.delay_probability and self.random.random() < weakness.delay_probability:
                        await asyncio.sleep(self.random.uniform(*weakness.delay_range))
                    dst.write(chunk)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                for w in pair:
                    w.transport.abort()

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))
        self._writers.difference_update(pair)
