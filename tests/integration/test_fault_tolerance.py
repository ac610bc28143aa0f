"""Failures: an instance killed, connections cut, Redis restarted or down, slow and dead peers."""

from __future__ import annotations

import asyncio
import json
import random
import socket
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets
from sqlalchemy import select

from exchange.db import make_engine
from exchange.sessions.connection import CLOSE_TIMEOUT
from exchange.sessions.models import SessionEvent
from tests.support.databases import fresh_database, migrate
from tests.support.live import LiveClient
from tests.support.redis_server import RedisProcess
from tests.support.scenario import Setup, scheduled_exchange
from tests.support.servers import ServerProcess


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database("postgresql", tmp_path_factory.mktemp("db")) as url:
        migrate(url)
        yield url


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    """Our own Redis, so stopping it disturbs nothing else on the machine."""
    process = RedisProcess(tmp_path_factory.mktemp("redis"))
    process.start()
    yield process
    process.stop()


@pytest.fixture
def pair(database_url: str, redis_server: RedisProcess, tmp_path: Path) -> Iterator[list[ServerProcess]]:
    env = {"EXCHANGE_REDIS_URL": redis_server.url, "EXCHANGE_REDIS_PREFIX": f"t{uuid.uuid4().hex[:8]}"}
    servers = [ServerProcess(database_url, log_path=tmp_path / f"{name}.log", env=env) for name in "ab"]
    for server in servers:
        server.start()
    yield servers
    for server in servers:
        server.stop()


def events_by_command(database_url: str, exchange_id: int) -> tuple[list[int], Counter[str]]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(SessionEvent.seq, SessionEvent.command_id)
                .where(SessionEvent.exchange_id == exchange_id)
                .order_by(SessionEvent.seq)
            ).all()
    finally:
        engine.dispose()
    return [row[0] for row in rows], Counter(row[1] for row in rows if row[1])


async def test_chaos_loses_nothing_that_was_acked(pair, redis_server: RedisProcess) -> None:  # noqa: ANN001
    a, b = pair
    rng = random.Random(7)
    setup = scheduled_exchange(a, practitioners=6)
    facilitator = await LiveClient(a.ws_url, setup.exchange_id, Setup.cookie(setup.facilitator)).connect()
    practitioners = [
        await LiveClient((a, b)[i % 2].ws_url, setup.exchange_id, Setup.cookie(c)).connect()
        for i, c in enumerate(setup.practitioners)
    ]
    await facilitator.wait_view(lambda v: len(v["roster"]) == 6, timeout=10)
    await facilitator.ok("start_exchange")
    await facilitator.ok("goto_phase", index=4)

    acked: list[str] = []
    stop = asyncio.Event()

    async def practitioner_load(client: LiveClient) -> None:
        raised = False
        while not stop.is_set():
            reply = await client.reliable("lower_hand" if raised else "raise_hand")
            if reply["type"] == "ack":
                acked.append(reply["id"])
                raised = not raised
            await asyncio.sleep(rng.random() * 0.02)

    async def facilitator_load() -> None:
        while not stop.is_set():
            sign = rng.choice([60, -60])
            reply = await facilitator.reliable("add_time", timer="phase", seconds=sign)
            if reply["type"] == "ack":
                acked.append(reply["id"])
            await asyncio.sleep(0.05)

    async def chaos() -> None:
        await asyncio.sleep(1.0)
        b.kill()  # SIGKILL one instance mid-load
        await asyncio.sleep(0.5)
        await asyncio.to_thread(b.start)
        for _ in range(5):  # cut connections at random
            await asyncio.sleep(0.3)
            victim = rng.choice(practitioners)
            if victim.ws is not None:
                victim.ws.transport.abort()
        redis_server.stop()  # Redis restarted once
        await asyncio.sleep(1.0)
        await asyncio.to_thread(redis_server.start)
        await asyncio.sleep(2.0)
        stop.set()

    await asyncio.wait_for(
        asyncio.gather(chaos(), facilitator_load(), *(practitioner_load(c) for c in practitioners)), timeout=120
    )

    seqs, per_command = events_by_command(a.database_url, setup.exchange_id)
    assert seqs == list(range(1, len(seqs) + 1))  # gap-free
    assert len(acked) > 50
    for command_id in acked:
        assert per_command[command_id] == 1, command_id  # in the log exactly once
    for client in [facilitator, *practitioners]:
        if client.close_code is not None or client.ws is None:
            await client.connect()
        await client.wait_view(lambda v, n=seqs[-1]: v["seq"] == n, timeout=20)
        assert client.event_seqs == sorted(set(client.event_seqs))
        await client.close()
    setup.close()


async def test_commands_carry_on_while_redis_is_down(pair, redis_server: RedisProcess) -> None:  # noqa: ANN001
    a, b = pair
    setup = scheduled_exchange(a, practitioners=2)
    facilitator = await LiveClient(a.ws_url, setup.exchange_id, Setup.cookie(setup.facilitator)).connect()
    watcher = await LiveClient(b.ws_url, setup.exchange_id, Setup.cookie(setup.practitioners[0])).connect()
    await facilitator.ok("start_exchange")
    await watcher.wait_view(lambda v: v["status"] == "live", timeout=10)

    redis_server.stop()
    await asyncio.sleep(2.0)
    for server in (a, b):
        ready = httpx.get(f"{server.url}/readyz").json()
        assert ready["broker"] == "down" and ready["database"] == "ok"
    seq = await facilitator.ok("next_phase")  # persisted although Redis is gone
    view = await watcher.wait_view(lambda v: v["seq"] == seq, timeout=5)  # read from the log instead
    assert view["phase_index"] == 1
    assert "redis broker unavailable" in b.log_path.read_text()

    redis_server.start()
    deadline = time.monotonic() + 10
    while httpx.get(f"{b.url}/readyz").json()["status"] != "ready":
        assert time.monotonic() < deadline, "the broker never came back"
        await asyncio.sleep(0.2)
    seq = await facilitator.ok("next_phase")
    await watcher.wait_view(lambda v: v["seq"] == seq, timeout=5)
    await facilitator.close()
    await watcher.close()
    setup.close()


async def _stubborn_reader(server: ServerProcess, exchange_id: int, cookie: str) -> websockets.ClientConnection:
    """A client that connects and then stops reading, with a tiny receive buffer so backpressure
    reaches the server quickly instead of filling megabytes of loopback buffers first."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", server.port))
    ws = await websockets.connect(
        f"{server.ws_url}/e/{exchange_id}/ws", sock=sock, additional_headers={"Cookie": cookie}, max_queue=1, compression=None
    )
    await ws.send(json.dumps({"type": "hello", "last_seq": None}))
    return ws


DRAFT_PHASE = 6  # the story-exchange template's "Crafting messages for funding partners", 3 sections
MAX_EDITS = 1500


async def test_a_slow_reader_is_cut_off_and_resumes(database_url: str, tmp_path: Path) -> None:
    server = ServerProcess(
        database_url, log_path=tmp_path / "s.log", env={"EXCHANGE_WS_QUEUE_FRAMES": "32", "EXCHANGE_WS_COMPRESSION": "0"}
    )
    server.start()
    try:
        setup = scheduled_exchange(server, practitioners=2)
        facilitator = await LiveClient(server.ws_url, setup.exchange_id, Setup.cookie(setup.facilitator)).connect()
        brisk = await LiveClient(server.ws_url, setup.exchange_id, Setup.cookie(setup.practitioners[1])).connect()
        slow = await _stubborn_reader(server, setup.exchange_id, Setup.cookie(setup.practitioners[0]))
        await facilitator.wait_for(lambda f: f["type"] == "presence" and len(f["online"]) == 3)
        all_online = len(facilitator.frames)
        await facilitator.ok("start_exchange")
        await facilitator.ok("goto_phase", index=DRAFT_PHASE)

        # The others keep getting every event promptly while the slow reader's buffers and then its
        # bounded queue fill up, until the server cuts it off (seen as presence dropping it). Each
        # edit of a draft section (8,000 characters) makes a frame of about 16 KB (the edit, and the
        # section as it now stands): backpressure reaches the server through megabytes of loopback
        # buffers.
        for i in range(MAX_EDITS):
            text = f"{i:04d} " + "the evidence from our stories " * 265
            seq = await facilitator.ok("edit_section", section=i % 3, base_version=i // 3, text=text)
            await brisk.wait_view(lambda v, n=seq: v["seq"] >= n, timeout=5)
            if len(facilitator.online) == 2:
                break
        # Cut off, a reader that reads nothing at all loses its TCP connection once its close frame
        # has waited CLOSE_TIMEOUT to be written; a fast machine notes every point before that.
        await facilitator.wait_for(
            lambda f: f["type"] == "presence" and len(f["online"]) == 2, start=all_online, timeout=CLOSE_TIMEOUT + 5
        )

        # Reading again, it finds what was queued, then the server's "try again later".
        frames = []
        with pytest.raises(websockets.ConnectionClosed):
            while True:
                frames.append(json.loads(await asyncio.wait_for(slow.recv(), 10)))
        # "Try again later" when the close frame could be written; a socket that was not draining
        # at all has its TCP connection closed under it instead.
        assert slow.close_code in {1013, 1006}
        held = max(f["seq"] for f in frames if f["type"] in {"snapshot", "events"})
        assert held < facilitator.seq  # it really was cut off behind

        # It resumes by seq and gets exactly what it missed.
        resumed = LiveClient(server.ws_url, setup.exchange_id, Setup.cookie(setup.practitioners[0]))
        resumed.seq = held
        await resumed.connect(max_size=None)  # the missed edits come in one frame of megabytes
        assert resumed.seq == facilitator.seq
        assert resumed.event_seqs == list(range(held + 1, facilitator.seq + 1))
        for client in (facilitator, brisk, resumed):
            await client.close()
        setup.close()
    finally:
        server.stop()


async def test_a_dead_peer_is_noticed_within_30_seconds(database_url: str, tmp_path: Path) -> None:
    server = ServerProcess(database_url, log_path=tmp_path / "s.log")  # the default heartbeat
    server.start()
    try:
        setup = scheduled_exchange(server, practitioners=1)
        facilitator = await LiveClient(server.ws_url, setup.exchange_id, Setup.cookie(setup.facilitator)).connect()
        # A peer that vanished without a FIN: its socket is open but nothing answers the pings.
        ghost = await websockets.connect(
            f"{server.ws_url}/e/{setup.exchange_id}/ws",
            additional_headers={"Cookie": Setup.cookie(setup.practitioners[0])},
            ping_interval=None,
        )
        await ghost.send(json.dumps({"type": "hello", "last_seq": None}))
        ghost_id = None
        await facilitator.wait_for(lambda f: f["type"] == "presence" and len(f["online"]) == 2, timeout=10)
        ghost_id = next(pid for pid in facilitator.online if pid.startswith("p:"))
        ghost.transport.pause_reading()
        started = time.monotonic()
        await facilitator.wait_for(
            lambda f: f["type"] == "presence" and ghost_id not in f["online"], timeout=35, start=len(facilitator.frames)
        )
        assert time.monotonic() - started < 30
        ghost.transport.abort()
        await facilitator.close()
        setup.close()
    finally:
        server.stop()


async def test_a_stopping_instance_says_going_away(pair) -> None:  # noqa: ANN001
    a, b = pair
    setup = scheduled_exchange(a, practitioners=1)
    client = await LiveClient(b.ws_url, setup.exchange_id, Setup.cookie(setup.practitioners[0])).connect()
    await asyncio.to_thread(b.stop)  # SIGTERM, as a deploy does
    with pytest.raises(ConnectionError):
        await client.wait_for(lambda f: False, timeout=10)
    assert client.close_code == 1001
    client.url = client.url.replace(str(b.port), str(a.port))  # the load balancer sends it elsewhere
    await client.connect()
    assert client.view["exchange_id"] == setup.exchange_id
    await client.close()
    setup.close()
    b.start()
