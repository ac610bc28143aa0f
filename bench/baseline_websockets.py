"""B0: the fastest fan-out this machine can do in Python: the `websockets` library alone.

    python -m bench.baseline_websockets --port PORT

A command on /g/<group>?role=f|p is relayed with broadcast() to every socket of the group (frames
padded to the app's sizes), then acked. Same limits as the app's uvicorn: 64 KiB frames, pings
every 15 s, permessage-deflate offered to clients that ask for it, uvloop, the app's collector policy
(`bench.bare.collector_policy`).
"""

from __future__ import annotations

import argparse
import asyncio
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed

from bench.bare import Groups, ack_frame, collector_policy, parse

groups = Groups()


async def handler(ws: ServerConnection) -> None:
    assert ws.request is not None
    url = urlsplit(ws.request.path)
    name = url.path.rsplit("/", 1)[-1]
    staff = parse_qs(url.query).get("role") == ["f"]
    try:
        await ws.recv()  # hello
        group = groups.join(name, ws, staff)
        await ws.send(groups.snapshot(group, staff))
        async for raw in ws:
            message = parse(raw if isinstance(raw, str) else raw.decode())
            if message is None or message.get("type") != "command":
                continue
            staff_frame, other_frame = groups.frames(group)
            broadcast(group.staff, staff_frame)
            broadcast(group.others, other_frame)
            await ws.send(ack_frame(str(message.get("id")), group.seq))
    except ConnectionClosed:
        pass
    finally:
        groups.leave(name, ws)


async def main(port: int, ping: float, max_size: int) -> None:
    async with collector_policy(), serve(
        handler,
        "127.0.0.1",
        port,
        ping_interval=ping,
        ping_timeout=ping,
        max_size=max_size,
    ) as server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ping", type=float, default=15.0)
    parser.add_argument("--max-size", type=int, default=64 * 1024)
    args = parser.parse_args()
    try:
        import uvloop

        runner = asyncio.Runner(loop_factory=uvloop.new_event_loop)
    except ImportError:  # pragma: no cover
        runner = asyncio.Runner()
    with runner:
        runner.run(main(args.port, args.ping, args.max_size))
