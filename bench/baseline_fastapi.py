"""B1: the same fan-out as a bare FastAPI websocket endpoint on uvicorn (the app's stack, no app).

    python -m uvicorn bench.baseline_fastapi:app --port PORT  (bench.run passes the app's ws settings)

A command on /g/<group>?role=f|p is sent with send_text to every socket of the group, under a
per-group lock so frames reach everyone in seq order, then acked. No validation, no database; the
app's collector policy (`bench.bare.collector_policy`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI, WebSocket, WebSocketDisconnect

from bench.bare import Groups, ack_frame, collector_policy, parse


@contextlib.asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    async with collector_policy():
        yield


app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
groups = Groups()
locks: dict[str, asyncio.Lock] = {}


@app.websocket("/g/{name}")
async def endpoint(websocket: WebSocket, name: str, role: str = "p") -> None:
    await websocket.accept()
    staff = role == "f"
    lock = locks.setdefault(name, asyncio.Lock())
    try:
        await websocket.receive_text()  # hello
        group = groups.join(name, websocket, staff)
        await websocket.send_text(groups.snapshot(group, staff))
        while True:
            message = parse(await websocket.receive_text())
            if message is None or message.get("type") != "command":
                continue
            async with lock:
                staff_frame, other_frame = groups.frames(group)
                for members, frame in (
                    (group.staff, staff_frame),
                    (group.others, other_frame),
                ):
                    for member in tuple(members):
                        with contextlib.suppress(Exception):  # a socket closing meanwhile
                            await member.send_text(frame)
                seq = group.seq
            await websocket.send_text(ack_frame(str(message.get("id")), seq))
    except WebSocketDisconnect:
        pass
    finally:
        groups.leave(name, websocket)
