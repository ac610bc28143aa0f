"""A websocket client for tests that speaks the live protocol and records everything it receives."""

from __future__ import annotations

import asyncio
import itertools
import json
import weakref
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from exchange.sessions.views import apply_items

_ids = itertools.count(1)
#: Every client made, so a test that fails halfway still has its sockets closed at teardown.
OPEN_CLIENTS: weakref.WeakSet[LiveClient] = weakref.WeakSet()


def new_command_id(prefix: str = "t") -> str:
    return f"{prefix}-{next(_ids):08d}"


class LiveClient:
    """One page's socket: hello with the last seq, then every frame is kept in order."""

    def __init__(self, ws_base: str, exchange_id: int, cookie: str, *, origin: str | None = None) -> None:
        self.url = f"{ws_base}/e/{exchange_id}/ws"
        self.cookie = cookie
        self.origin = origin
        self.frames: list[dict[str, Any]] = []
        self.event_seqs: list[int] = []  # seq of every event received, in order, across reconnects
        self.view: dict[str, Any] = {}
        self.seq = 0
        self.online: list[str] = []
        self.you: dict[str, Any] = {}
        self.close_code: int | None = None
        self.ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()
        OPEN_CLIENTS.add(self)

    async def connect(self, *, resume: bool = True, **kwargs: Any) -> LiveClient:
        headers = {"Cookie": self.cookie}
        if self.origin:
            headers["Origin"] = self.origin
        self.ws = await websockets.connect(self.url, additional_headers=headers, open_timeout=10, **kwargs)
        self.close_code = None
        start = len(self.frames)
        await self.ws.send(json.dumps({"type": "hello", "last_seq": self.seq if resume and self.seq else None}))
        self._reader = asyncio.create_task(self._read())
        await self.wait_for(lambda f: f["type"] in {"snapshot", "events"}, timeout=10, start=start)
        return self

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for raw in self.ws:
                frame = json.loads(raw)
                self.frames.append(frame)
                if frame["type"] == "welcome":
                    self.you = frame["you"]
                elif frame["type"] in {"snapshot", "events"}:
                    for event in frame.get("events", []):
                        self.event_seqs.append(event["seq"])
                    if "view" in frame:
                        self.view = frame["view"]
                    else:  # as the pages do (connection.js): parts replaced whole, lists item by item
                        self.view = apply_items({**self.view, **frame["changes"]}, frame.get("items", {}))
                    self.seq = frame["seq"]
                elif frame["type"] == "presence":
                    self.online = frame["online"]
                self._changed.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            self.close_code = self.ws.close_code
            self._changed.set()

    async def wait_for(self, predicate, *, timeout: float = 5.0, start: int = 0) -> dict[str, Any]:  # noqa: ANN001
        """The first frame (from index `start`) matching the predicate; waits for it if needed."""
        deadline = asyncio.get_running_loop().time() + timeout
        index = start
        while True:
            while index < len(self.frames):
                if predicate(self.frames[index]):
                    return self.frames[index]
                index += 1
            if self.close_code is not None and self._reader is not None and self._reader.done():
                raise ConnectionError(f"socket closed with {self.close_code} while waiting")
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"no matching frame within {timeout}s; last frames: {self.frames[-3:]}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                pass

    async def wait_view(self, predicate, *, timeout: float = 5.0) -> dict[str, Any]:  # noqa: ANN001
        """The latest view, once it satisfies the predicate (a predicate that trips on None is unmet)."""

        def met() -> bool:
            try:
                return bool(self.view) and bool(predicate(self.view))
            except (TypeError, KeyError, IndexError):
                return False

        deadline = asyncio.get_running_loop().time() + timeout
        while not met():
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"view never matched within {timeout}s; latest: {self.view}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                pass
        return self.view

    async def send_raw(self, text: str) -> None:
        assert self.ws is not None
        await self.ws.send(text)

    async def command(self, type_: str, *, command_id: str | None = None, **fields: Any) -> dict[str, Any]:
        """Send a command and return its ack or rejection."""
        command_id = command_id or new_command_id()
        start = len(self.frames)
        await self.send_raw(json.dumps({"type": "command", "id": command_id, "command": {"type": type_, **fields}}))
        return await self.wait_for(
            lambda f: f["type"] in {"ack", "rejected"} and f.get("id") == command_id, start=start, timeout=10
        )

    async def ok(self, type_: str, **fields: Any) -> int:
        reply = await self.command(type_, **fields)
        assert reply["type"] == "ack", reply
        return reply["seq"]

    async def reliable(self, type_: str, *, give_up: float = 60.0, **fields: Any) -> dict[str, Any]:
        """Like a page does: keep the command id, reconnect and resend until it is acked or refused."""
        command_id = new_command_id("r")
        deadline = asyncio.get_running_loop().time() + give_up
        delay = 0.05
        while True:
            try:
                if self.ws is None or self.close_code is not None or (self._reader and self._reader.done()):
                    await self.connect()
                reply = await self.command(type_, command_id=command_id, **fields)
                if reply["type"] == "ack" or reply.get("code") not in {"unavailable", "busy"}:
                    return reply
            except (OSError, ConnectionError, TimeoutError, websockets.WebSocketException):
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{type_} {command_id} was never acked")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await self._reader
