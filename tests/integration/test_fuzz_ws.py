"""Fuzzing the live socket of a real server: thousands of hostile and near-valid frames, from a
practitioner and from a facilitator, while another practitioner watches.

Every frame is answered (an `error` or `rejected` frame; `ack` or `pong` for the few that happen to
be valid) and the socket stays open; the server log holds no traceback; no refused frame reaches the
log (every logged command id was acked); the watching practitioner is never disturbed and its view
is the one a fresh socket gets. SQLite only: the edge and the hub are the same code on PostgreSQL,
which the access matrix drives. EXCHANGE_FUZZ_FRAMES (default 10,000) sets how many frames a run
sends at least.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import websockets
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.integration.test_access_matrix import COMMANDS
from tests.support.databases import fresh_database, migrate
from tests.support.live import LiveClient
from tests.support.scenario import Setup, scheduled_exchange
from tests.support.servers import ServerProcess
from tests.support.world import run_sql

#: Hypothesis describes each example's arguments; a room holding thousands of ids describes long.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

FRAMES = int(os.environ.get("EXCHANGE_FUZZ_FRAMES", "10000"))
BATCH = 110  # frames per socket per example; two sockets
EXAMPLES = max(1, -(-FRAMES // (2 * BATCH)))
ANSWERS = {"error", "rejected", "ack", "pong"}
ERROR_CODES = {"malformed", "unknown_type", "unknown_command", "invalid", "unexpected"}
STORIES = 1


@pytest.fixture(scope="module", params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One backend is enough here (see the module's docstring)."""
    with fresh_database(request.param, tmp_path_factory.mktemp("db")) as url:
        migrate(url)
        yield url


# --- what a hostile client sends --------------------------------------------------------------

ODD_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from([
        "\x00", "\x1b[2J\x1b[H", "\x1b]0;owned\x07", "\u202egnp.exe", "\u2066x\u2069", "\x7f\x85\x9b",
        "قصة تغيير", "סיפור", "👩🏾‍🌾", "\r\n", "\u2028", "\ufeff", "\uffff", "a" * 3000, " " * 300,
    ]),  # fmt: skip
)
JSON_SCALAR = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), ODD_TEXT
)
JSON_VALUE = st.recursive(
    JSON_SCALAR,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
#: Number tokens JSON doesn't have, or that no field can hold.
BAD_NUMBERS = st.sampled_from(["NaN", "Infinity", "-Infinity", "1e309", "-1e400", "9" * 400, "9" * 5000,
                               "1" + "0" * 30, "-0", "1e-400", "0.1e999999"])  # fmt: skip
NUMBER_SLOT = "\u0000NUMBER\u0000"  # replaced in the JSON text by one of BAD_NUMBERS
LIVE_KINDS = sorted(set(COMMANDS) - {"end_exchange", "start_exchange"})


@dataclass(frozen=True)
class Frame:
    data: str | bytes
    why: str

    def __repr__(self) -> str:  # hypothesis prints examples: keep it short
        return f"Frame({self.why!r}, {str(self.data)[:120]!r}, {len(self.data)} long)"


def _dumps(value: Any, ascii_only: bool) -> str:
    return json.dumps(value, ensure_ascii=ascii_only, allow_nan=True)


@st.composite
def near_valid(draw: st.DrawFn) -> Frame:
    """A real command (COMMANDS' sample) with exactly one thing off."""
    kind = draw(st.sampled_from(LIVE_KINDS))
    command: dict[str, Any] = {"type": kind, **COMMANDS[kind].fields}
    frame: dict[str, Any] = {"type": "command", "id": f"fz-{uuid.uuid4().hex[:16]}", "command": command}
    how = draw(st.sampled_from(["value", "number", "drop", "extra", "type", "id", "noid", "shape", "string"]))
    keys = [k for k in command if k != "type"]
    if how in {"value", "number", "drop", "string"} and not keys:
        how = "extra"
    if how == "value":
        command[draw(st.sampled_from(keys))] = draw(JSON_VALUE)
    elif how == "number":
        command[draw(st.sampled_from(keys + ["seconds", "index", "position"]))] = NUMBER_SLOT
    elif how == "string":
        command[draw(st.sampled_from(keys))] = draw(ODD_TEXT)
    elif how == "drop":
        del command[draw(st.sampled_from(keys))]
    elif how == "extra":
        command[draw(st.text(min_size=1, max_size=12))] = draw(JSON_VALUE)
    elif how == "type":
        command["type"] = draw(st.sampled_from([kind.upper(), kind + " ", " " + kind, kind.replace("_", "-"),
                                                kind + "\x00", kind[:-1], [kind], {"k": kind}, None, 7]))  # fmt: skip
    elif how == "id":
        frame["id"] = draw(st.one_of(JSON_VALUE, st.sampled_from(["short", "x" * 65, "bad id!", "ok-but-\u202e"])))
    elif how == "noid":
        del frame["id"]
    else:
        frame["command"] = draw(st.sampled_from([[command], json.dumps(command), None, 0]))
    text = _dumps(frame, draw(st.booleans()))
    slot = _dumps(NUMBER_SLOT, True)  # JSON escapes NUL either way: '"\\u0000NUMBER\\u0000"'
    if slot in text:
        text = text.replace(slot, draw(BAD_NUMBERS))
    return Frame(text, f"near-valid {kind}/{how}")


@st.composite
def hostile(draw: st.DrawFn) -> Frame:
    """Anything at all: wrong types, nesting, numbers, encodings, binary frames, not JSON."""
    how = draw(st.sampled_from(["type", "json", "nested", "number", "binary", "text", "hello", "ping", "bigstring"]))
    if how == "type":
        return Frame(_dumps({"type": draw(JSON_VALUE)}, draw(st.booleans())), "wrong type")
    if how == "json":
        return Frame(_dumps(draw(JSON_VALUE), draw(st.booleans())), "any JSON")
    if how == "nested":
        depth = draw(st.integers(min_value=15, max_value=9_000))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}"), ('{"type":"command","command":[', "]}")]))
        return Frame(opener * depth + "1" + closer * depth, f"nested {depth}")
    if how == "number":
        template = draw(st.sampled_from([
            '{"type":"ping","t":%s}', '{"type":"hello","last_seq":%s}', '{"type":%s}', "%s",
            '{"type":"command","id":"fz-number-01","command":{"type":"add_time","timer":"phase","seconds":%s}}',
            '{"type":"command","id":"fz-number-02","command":{"type":"goto_phase","index":%s}}',
        ]))  # fmt: skip
        return Frame(template % draw(BAD_NUMBERS), "bad number")
    if how == "binary":
        return Frame(draw(st.binary(max_size=64) | st.just(b'{"type":"ping"}')), "binary")
    if how == "text":
        return Frame(draw(ODD_TEXT | st.sampled_from(["", "{", "}", "[]", "null", "\"hello\"", "{'type':'ping'}"])), "not JSON")
    if how == "hello":
        return Frame(_dumps({"type": "hello", "last_seq": draw(JSON_VALUE), "protocol": draw(JSON_VALUE)}, True), "hello again")
    if how == "ping":
        return Frame(_dumps({"type": "ping", "t": draw(JSON_VALUE)}, True), "odd ping")
    size = draw(st.integers(min_value=1000, max_value=60_000))
    return Frame(_dumps({"type": "command", "id": "fz-big-string", "command": {"type": "share_story", "title": "x" * size}}, True), "big string")


#: Oversized frames close the socket (1009, tested on its own below): every frame here fits.
MAX_FRAME = 65_000
FRAME = st.one_of(near_valid(), near_valid(), hostile()).filter(
    lambda frame: len(frame.data if isinstance(frame.data, bytes) else frame.data.encode()) <= MAX_FRAME
)


# --- the room and its bookkeeping -------------------------------------------------------------


@dataclass(repr=False)
class Fuzzer:
    """A raw socket that sends batches and collects one answer per frame, in order."""

    name: str
    url: str
    cookie: str
    ws: Any = None
    sent: int = 0
    acked: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)

    async def open(self) -> None:
        self.ws = await websockets.connect(self.url, additional_headers={"Cookie": self.cookie}, max_size=None)
        await self.ws.send(json.dumps({"type": "hello", "last_seq": None}))
        while json.loads(await self.ws.recv())["type"] not in {"snapshot", "events"}:
            pass

    async def volley(self, frames: list[Frame]) -> list[str]:
        """Send every frame, then read until each has its answer; what went wrong, as sentences."""
        problems: list[str] = []
        for frame in frames:
            await self.ws.send(frame.data)
        self.sent += len(frames)
        answers: list[dict[str, Any]] = []
        try:
            while len(answers) < len(frames):
                reply = json.loads(await asyncio.wait_for(self.ws.recv(), 30))
                if reply["type"] in ANSWERS:
                    answers.append(reply)
        except (TimeoutError, websockets.ConnectionClosed) as exc:
            problems.append(f"{self.name}: {len(answers)} answers for {len(frames)} frames ({exc!r}); "
                            f"first unanswered: {frames[len(answers)].why} {str(frames[len(answers)].data)[:200]!r}")  # fmt: skip
            await self.open()
        for frame, reply in zip(frames, answers, strict=False):
            if reply["type"] == "error" and (reply["code"] not in ERROR_CODES or not reply["message"]):
                problems.append(f"{self.name}: odd error {reply} for {frame.why}")
            if reply["type"] == "ack":
                self.acked.add(reply["id"])
            elif reply["type"] == "rejected":
                self.refused.add(reply["id"])
                if not reply["message"]:
                    problems.append(f"{self.name}: a rejection without a sentence: {reply}")
        return problems


@dataclass(repr=False)
class Room:
    server: ServerProcess
    setup: Setup
    watcher: LiveClient
    fuzzers: list[Fuzzer]
    setup_ids: set[str]

    @property
    def sent(self) -> int:
        return sum(f.sent for f in self.fuzzers)


@pytest.fixture(scope="module")
async def room(server: ServerProcess) -> AsyncIterator[Room]:
    setup = scheduled_exchange(server, practitioners=2)
    facilitator = await LiveClient(server.ws_url, setup.exchange_id, Setup.cookie(setup.facilitator)).connect()
    teller = await LiveClient(server.ws_url, setup.exchange_id, Setup.cookie(setup.practitioners[0])).connect()
    watcher = await LiveClient(server.ws_url, setup.exchange_id, Setup.cookie(setup.practitioners[1])).connect()
    await facilitator.wait_view(lambda v: len(v["roster"]) == 2)
    setup_ids = {frame_id for frame_id in [
        await _ok_id(facilitator, "start_exchange"), await _ok_id(facilitator, "goto_phase", index=STORIES),
        await _ok_id(facilitator, "next_turn"),
    ]}  # fmt: skip
    await teller.wait_view(lambda v: v["turns"]["speaker"]["id"] == teller.you["id"])
    setup_ids.add(await _ok_id(teller, "share_story", title="The well", summary="Women dug a well."))
    url = f"{server.ws_url}/e/{setup.exchange_id}/ws"
    fuzzers = [Fuzzer("practitioner", url, Setup.cookie(setup.practitioners[0])), Fuzzer("facilitator", url, Setup.cookie(setup.facilitator))]
    for fuzzer in fuzzers:
        await fuzzer.open()
    await facilitator.close()
    await teller.close()
    yield Room(server, setup, watcher, fuzzers, setup_ids)
    for fuzzer in fuzzers:
        await fuzzer.ws.close()
    await watcher.close()
    setup.close()


async def _ok_id(client: LiveClient, kind: str, **fields: object) -> str:
    reply = await client.command(kind, **fields)
    assert reply["type"] == "ack", reply
    return str(reply["id"])


# --- the fuzzing and what must hold after it --------------------------------------------------


@settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.generate],
          suppress_health_check=list(HealthCheck))  # fmt: skip
@given(practitioner=st.lists(FRAME, min_size=BATCH, max_size=BATCH), facilitator=st.lists(FRAME, min_size=BATCH, max_size=BATCH))
async def test_hostile_frames_are_answered_and_change_nothing(room: Room, practitioner: list[Frame], facilitator: list[Frame]) -> None:
    by_practitioner, by_facilitator = room.fuzzers
    results = await asyncio.gather(by_practitioner.volley(practitioner), by_facilitator.volley(facilitator))
    problems = [p for found in results for p in found]
    assert room.watcher.close_code is None, f"the watching practitioner was cut off: {room.watcher.close_code}"
    assert not [f for f in room.watcher.frames if f["type"] in {"error", "rejected"}], "the watcher got someone else's error"
    assert not problems, "\n".join(problems)


async def test_enough_frames_were_sent(room: Room) -> None:
    assert room.sent >= FRAMES, f"only {room.sent} frames"


async def test_oversized_frames_close_with_a_reason(room: Room) -> None:
    fuzzer = Fuzzer("oversize", room.fuzzers[0].url, room.fuzzers[0].cookie)
    await fuzzer.open()
    await fuzzer.ws.send("x" * 70_000)
    with pytest.raises(websockets.ConnectionClosed):
        while True:
            await asyncio.wait_for(fuzzer.ws.recv(), 10)
    assert fuzzer.ws.close_code == 1009


async def test_only_acked_commands_reached_the_log(room: Room) -> None:
    rows = run_sql(room.server.database_url, "SELECT command_id FROM session_event WHERE exchange_id = :e",
                   e=room.setup.exchange_id)  # fmt: skip
    logged = {row[0] for row in rows if row[0] is not None and not str(row[0]).startswith("join:")}
    acked = set().union(*(f.acked for f in room.fuzzers), room.setup_ids)
    refused = set().union(*(f.refused for f in room.fuzzers))
    assert not logged & (refused - acked), "a refused command is in the log"
    assert logged <= acked, f"logged but never acked: {sorted(logged - acked)[:10]}"


async def test_the_watcher_saw_one_consistent_log(room: Room) -> None:
    [(head,)] = run_sql(room.server.database_url, "SELECT COALESCE(MAX(seq), 0) FROM session_event WHERE exchange_id = :e",
                        e=room.setup.exchange_id)  # fmt: skip
    await room.watcher.wait_for(lambda f: f.get("seq", -1) >= head and f["type"] in {"events", "snapshot"}, timeout=20)
    seqs = room.watcher.event_seqs
    assert seqs == sorted(set(seqs)), "events repeated or out of order"
    fresh = await LiveClient(room.server.ws_url, room.setup.exchange_id, Setup.cookie(room.setup.practitioners[1])).connect(resume=False)
    try:
        await fresh.wait_for(lambda f: f.get("seq", -1) >= head and f["type"] in {"events", "snapshot"}, timeout=20)
        assert _comparable(fresh.view) == _comparable(room.watcher.view)
    finally:
        await fresh.close()


def _comparable(view: dict[str, Any]) -> str:
    """A view without what moves by itself (the clock)."""
    return json.dumps({k: v for k, v in view.items() if k not in {"server_time", "now"}}, sort_keys=True)


@pytest.mark.parametrize("first", [b"\x00\x01", '{"type": []}', "[" * 50_000, '{"type":"ping","t":NaN}', '{"type":"command"}'])
async def test_a_bad_first_frame_closes_with_a_reason(room: Room, first: str | bytes) -> None:
    """Before hello, a frame of any shape gets `hello_expected` and a 1008 close that says why."""
    fuzzer = room.fuzzers[0]
    async with websockets.connect(fuzzer.url, additional_headers={"Cookie": fuzzer.cookie}) as ws:
        await ws.send(first)
        reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert reply["type"] == "error" and reply["code"] == "hello_expected" and reply["message"]
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)
        assert ws.close_code == 1008 and ws.close_reason == "hello expected"


async def test_an_exchange_id_no_table_can_hold_is_just_not_allowed(room: Room) -> None:
    for exchange_id in ("999999999999999999", "2147483648", "0"):
        url = room.fuzzers[0].url.replace(f"/e/{room.setup.exchange_id}/", f"/e/{exchange_id}/")
        async with websockets.connect(url, additional_headers={"Cookie": room.fuzzers[0].cookie}) as ws:
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 10)
            assert ws.close_code == 1008, exchange_id


async def test_no_traceback_in_the_server_log(room: Room) -> None:
    log = Path(room.server.log_path).read_text(errors="replace")
    assert "Traceback" not in log and "Exception in ASGI application" not in log, log[-5000:]
