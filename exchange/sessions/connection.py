"""One socket's outbound side: a bounded backlog of frames and a writer that exists only while it has work.

An idle socket costs no task of its own here (thousands of them are open at once); a frame offered
while the socket is writable is written in the next loop step. A reader that falls `limit` frames
behind is closed with 1013 rather than waited for: the hub never blocks on a socket.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from exchange.sessions.commands import Actor, Role
from exchange.sessions.limits import TokenBucket

log = logging.getLogger(__name__)

STAFF_ROLES = frozenset({Role.FACILITATOR, Role.LEAD})
TOO_SLOW = 1013  # close code for a socket whose backlog overflowed: "try again later"
CLOSE_TIMEOUT = 2.0  # a reader that won't take even the close frame loses its TCP connection

Send = Callable[[dict[str, Any]], Awaitable[None]]


class Connection:
    """Who is on the socket, and what is waiting to be written to it."""

    __slots__ = (
        "actor", "staff", "limit", "close_code", "_send", "_writable", "_write_text", "_backlog", "_writer", "_closer",
        "_owner", "session", "used", "bucket", "language",
    )

    def __init__(self, actor: Actor, *, send: Send, limit: int, session: str | None = None) -> None:
        self.actor = actor
        self.staff = actor.role in STAFF_ROLES
        #: A staff socket's login (the session's token hash; memory only, never sent or logged), so it
        #: closes when that login ends (exchange/accounts/sockets.py); `used` once it sends a command.
        self.session = session
        self.used = False
        #: This socket's own command bucket (exchange/sessions/limits.py), set by the endpoint.
        self.bucket: TokenBucket | None = None
        #: The person's language: the hub decides their commands in it (so refusals read in it).
        self.language: str | None = None
        self.limit = limit
        self.close_code: int | None = None
        self._send = send
        # Uvicorn's websockets-sansio `send` only suspends while its protocol's `writable` event is
        # clear; any other server leaves this None and every frame goes through the writer task.
        socket = getattr(send, "__self__", None)
        writable = getattr(socket, "writable", None)
        self._writable = writable if isinstance(writable, asyncio.Event) else None
        #: Our protocol's direct write (exchange.server.LiveSocketProtocol), where uvicorn runs it.
        self._write_text: Callable[[str], bool] | None = getattr(socket, "write_text", None)
        self._backlog: deque[str] = deque()
        self._writer: asyncio.Task[None] | None = None
        self._closer: asyncio.Task[None] | None = None
        #: The task serving the socket; cancelled if the close frame can't be written in time.
        self._owner = asyncio.current_task()

    def offer(self, frame: str) -> None:
        """Queue a frame for writing; a reader this far behind is cut off rather than waited for."""
        if self.close_code is not None:
            return
        if len(self._backlog) >= self.limit:
            self.close(TOO_SLOW)
            return
        if self._writer is None and self._write_now(frame):
            return
        self._backlog.append(frame)
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._write())

    def _write_now(self, frame: str) -> bool:
        """Write at once, without a task, when nothing waits and the transport takes more.

        While the transport isn't paused, our protocol writes the frame straight to it, or else
        uvicorn's `send` frames and writes synchronously: running it to completion here saves a task
        and a loop step per frame, most of a fan-out's cost.
        """
        if self._writable is None or not self._writable.is_set():
            return False
        if self._write_text is not None and self._write_text(frame):
            return True
        step = self._send({"type": "websocket.send", "text": frame})
        try:
            step.send(None)
        except StopIteration:
            return True
        except Exception as exc:  # noqa: BLE001 - the socket went away; its receive loop sees that
            log.debug("write failed: %r", exc)
            return True
        step.close()  # it suspended before writing anything: let the writer task send the frame
        return False

    async def _write(self) -> None:
        try:
            while self._backlog:
                await self._send({"type": "websocket.send", "text": self._backlog.popleft()})
        except Exception as exc:  # noqa: BLE001 - the socket went away; its receive loop sees that
            log.debug("write failed: %r", exc)
        finally:
            self._writer = None

    def _stop_writing(self, code: int) -> None:
        self.close_code = code
        self._backlog.clear()
        if self._writer is not None:
            self._writer.cancel()  # it may be stuck writing to a reader that stopped reading

    def drop(self) -> None:
        """The socket is gone: forget what was waiting for it."""
        self._stop_writing(1006 if self.close_code is None else self.close_code)

    def close(self, code: int) -> None:
        """Stop writing and close the socket with `code`; the client resumes by seq when it returns."""
        if self.close_code is not None:
            return
        self._stop_writing(code)
        self._closer = asyncio.get_running_loop().create_task(self._close(code))

    async def _close(self, code: int) -> None:
        try:
            # Uvicorn writes even the close frame only once the socket drains; a reader that stopped
            # reading altogether gets its TCP connection closed instead (it sees 1006, and resumes).
            await asyncio.wait_for(self._send({"type": "websocket.close", "code": code}), CLOSE_TIMEOUT)
        except Exception:  # noqa: BLE001 - timed out or already gone: either way, drop the TCP
            if self._owner is not None and not self._owner.done():
                self._owner.cancel()
