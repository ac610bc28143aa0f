"""The live session over real websockets against a real server, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
import websockets

from tests.support.live import LiveClient, new_command_id
from tests.support.scenario import Setup, scheduled_exchange
from tests.support.servers import ServerProcess


@pytest.fixture
async def live(server: ServerProcess) -> AsyncIterator[tuple[Setup, LiveClient, list[LiveClient]]]:
    """A scheduled exchange with a connected facilitator and three connected practitioners."""
    setup = scheduled_exchange(server, practitioners=3)
    facilitator = await LiveClient(server.ws_url, setup.exchange_id, Setup.cookie(setup.facilitator)).connect()
    practitioners = [
        await LiveClient(server.ws_url, setup.exchange_id, Setup.cookie(client)).connect()
        for client in setup.practitioners
    ]
    await facilitator.wait_view(lambda v: len(v["roster"]) == 3)
    yield setup, facilitator, practitioners
    for client in [facilitator, *practitioners]:
        await client.close()
    setup.close()


async def test_a_whole_exchange_runs_from_start_to_end(live) -> None:  # noqa: ANN001
    setup, facilitator, practitioners = live
    amina, rosa, tomas = practitioners
    assert sorted(facilitator.online) == sorted([facilitator.you["id"], *(p.you["id"] for p in practitioners)])

    await facilitator.ok("start_exchange")
    view = await amina.wait_view(lambda v: v["status"] == "live")
    assert view["phase"]["title"] == "Welcome and ground rules"
    assert view["phase_timer"]["running"]

    # Story sharing: timed turns in the order people arrived.
    await facilitator.ok("next_phase")
    await facilitator.ok("next_turn")
    view = await rosa.wait_view(lambda v: v["turns"] and v["turns"]["speaker"])
    assert view["phase"]["kind"] == "story_round"
    assert view["turns"]["speaker"]["id"] == amina.you["id"]
    assert view["turns"]["next_speaker"]["id"] == rosa.you["id"]
    assert view["turns"]["timer"]["deadline"]

    await amina.ok("pass_turn")  # Amina will share later in the round
    await facilitator.ok("next_turn")
    view = await tomas.wait_view(lambda v: v["turns"]["speaker"] and v["turns"]["speaker"]["id"] == rosa.you["id"])
    await facilitator.ok("extend_turn", seconds=60)
    await rosa.ok("finish_turn")
    await facilitator.ok("skip_participant", participant_id=tomas.you["id"])
    await facilitator.ok("next_turn")
    view = await facilitator.wait_view(lambda v: v["turns"]["speaker"] and v["turns"]["speaker"]["id"] == amina.you["id"])
    await facilitator.ok("finish_turn")
    airtime = {person["id"]: person["airtime_seconds"] for person in facilitator.view["roster"]}
    assert airtime[amina.you["id"]] >= 0 and airtime[rosa.you["id"]] > 0

    # An open phase: raised hands and the floor.
    await facilitator.ok("goto_phase", index=4)
    await tomas.ok("raise_hand")
    await amina.ok("raise_hand")
    view = await facilitator.wait_view(lambda v: v["floor"] and len(v["floor"]["hands"]) == 2)
    assert [hand["id"] for hand in view["floor"]["hands"]] == [tomas.you["id"], amina.you["id"]]
    await facilitator.ok("set_queue_order", order="progressive")
    view = await facilitator.wait_view(lambda v: v["floor"]["queue_order"] == "progressive")
    # Progressive stack: whoever has spoken least goes first; Tomás has not spoken at all.
    assert view["floor"]["hands"][0]["id"] == tomas.you["id"]
    await facilitator.ok("give_floor", participant_id=tomas.you["id"])
    await tomas.ok("end_floor")
    await amina.ok("lower_hand")

    await facilitator.ok("end_exchange")
    final_seq = facilitator.seq
    for client in practitioners:
        view = await client.wait_view(lambda v: v["status"] == "ended")
        assert client.seq == final_seq
    # The facilitator saw every event exactly once, in order, without gaps.
    assert facilitator.event_seqs == list(range(1, final_seq + 1))
    assert setup.facilitator.get(f"/exchanges/{setup.exchange_id}").text.count("badge--ended") >= 1


async def test_a_practitioner_cannot_steer(live) -> None:  # noqa: ANN001
    _setup, facilitator, practitioners = live
    await facilitator.ok("start_exchange")
    before = practitioners[0].seq
    for command, fields in [
        ("next_phase", {}),
        ("end_exchange", {}),
        ("give_floor", {"participant_id": practitioners[0].you["id"]}),
        ("add_time", {"timer": "phase", "seconds": 600}),
        ("tick", {}),
        ("lower_hand", {"participant_id": practitioners[1].you["id"]}),
    ]:
        reply = await practitioners[0].command(command, **fields)
        assert reply["type"] == "rejected", (command, reply)
        assert reply["message"]
    await asyncio.sleep(0.2)
    assert practitioners[0].seq == before


async def test_a_practitioner_cannot_start_with_a_plan_of_their_own(live) -> None:  # noqa: ANN001
    _setup, facilitator, practitioners = live
    reply = await practitioners[0].command("start_exchange", plan=None)
    assert reply["type"] == "rejected" and reply["code"] == "forbidden"
    assert facilitator.view["status"] == "waiting"


async def test_a_resent_command_is_applied_once(live) -> None:  # noqa: ANN001
    _setup, facilitator, practitioners = live
    await facilitator.ok("start_exchange")
    await facilitator.ok("goto_phase", index=4)
    command_id = new_command_id("resend")
    first = await practitioners[0].command("raise_hand", command_id=command_id)
    second = await practitioners[0].command("raise_hand", command_id=command_id)
    assert first["type"] == second["type"] == "ack" and first["seq"] == second["seq"]
    # The same id from a new connection (a page that reloaded) is still applied once.
    await practitioners[0].close()
    await practitioners[0].connect()
    third = await practitioners[0].command("raise_hand", command_id=command_id)
    assert third == {**first}
    view = await facilitator.wait_view(lambda v: v["floor"] is not None)
    assert [hand["id"] for hand in view["floor"]["hands"]] == [practitioners[0].you["id"]]


async def test_bad_frames_get_an_error_and_change_nothing(live) -> None:  # noqa: ANN001
    _setup, facilitator, practitioners = live
    await facilitator.ok("start_exchange")
    client = practitioners[0]
    seq = client.seq
    for raw, code in [
        ("this is not json", "malformed"),
        ("[1, 2, 3]", "malformed"),
        (json.dumps({"type": "shout"}), "unknown_type"),
        (json.dumps({"type": "command", "id": "abcdefgh", "command": {"type": "dance"}}), "unknown_command"),
        (json.dumps({"type": "command", "id": "x", "command": {"type": "raise_hand"}}), "invalid"),
        (json.dumps({"type": "command", "id": "abcdefgh", "command": {"type": "raise_hand", "extra": 1}}), "invalid"),
        (json.dumps({"type": "hello", "last_seq": 0}), "unexpected"),
    ]:
        start = len(client.frames)
        await client.send_raw(raw)
        frame = await client.wait_for(lambda f: f["type"] == "error", start=start)
        assert frame["code"] == code, (raw, frame)
    assert client.close_code is None
    assert client.seq == seq
    # The connection still works.
    await facilitator.ok("goto_phase", index=4)
    await client.ok("raise_hand")


async def test_an_oversized_frame_is_refused_and_nothing_else_suffers(live) -> None:  # noqa: ANN001
    _setup, facilitator, practitioners = live
    await facilitator.ok("start_exchange")
    big, other = practitioners[0], practitioners[1]
    await big.send_raw(json.dumps({"type": "ping", "t": 1, "pad": "x" * (200 * 1024)}))
    with pytest.raises(ConnectionError):
        await big.wait_for(lambda f: False, timeout=5)
    assert big.close_code == 1009
    # The exchange and the other sockets carry on; the refused client reconnects and resumes.
    await facilitator.ok("next_phase")
    await other.wait_view(lambda v: v["phase_index"] == 1)
    await big.connect()
    assert big.view["phase_index"] == 1
    assert big.event_seqs == sorted(set(big.event_seqs))


async def test_a_client_that_drops_mid_phase_sees_every_event_once(live) -> None:  # noqa: ANN001
    _setup, facilitator, practitioners = live
    await facilitator.ok("start_exchange")
    await facilitator.ok("next_phase")
    dropper = practitioners[2]
    await dropper.wait_view(lambda v: v["phase_index"] == 1)
    await dropper.close()
    await facilitator.ok("next_turn")
    await facilitator.ok("extend_turn", seconds=30)
    await facilitator.ok("finish_turn")
    await facilitator.ok("next_turn")
    await dropper.connect()  # says the last seq it has
    assert dropper.seq == facilitator.seq
    first = next(f for f in dropper.frames if f["type"] == "snapshot")["seq"]  # it arrived after two joins
    # Every event a practitioner may see, once: all of them but the console's lead (staff only).
    staff_only = {e["seq"] for f in facilitator.frames if f["type"] == "events" for e in f["events"]
                  if e["event"]["type"].startswith("lead_")}  # fmt: skip
    assert dropper.event_seqs == [seq for seq in range(first + 1, facilitator.seq + 1) if seq not in staff_only]
    assert dropper.view["turns"]["speaker"] == facilitator.view["turns"]["speaker"]


async def test_resuming_from_nothing_gets_a_snapshot(live) -> None:  # noqa: ANN001
    _setup, facilitator, practitioners = live
    await facilitator.ok("start_exchange")
    client = practitioners[0]
    await client.close()
    client.seq = 0
    await client.connect(resume=False)
    snapshot = [f for f in client.frames if f["type"] == "snapshot"][-1]
    assert snapshot["seq"] == facilitator.seq and snapshot["view"]["status"] == "live"


async def test_the_socket_refuses_strangers(server: ServerProcess, live) -> None:  # noqa: ANN001
    setup, _facilitator, _practitioners = live
    cookie = Setup.cookie(setup.practitioners[0])
    # Another site's page can't open the socket with the practitioner's cookies.
    with pytest.raises(websockets.InvalidStatus):
        await LiveClient(server.ws_url, setup.exchange_id, cookie, origin="https://evil.example").connect()
    # No cookie, and a practitioner's cookie for a different exchange, open nothing: the socket is
    # closed with 1008 before anything is sent, so the page knows not to retry.
    other = scheduled_exchange(server, practitioners=1)
    for exchange_id, who in ((setup.exchange_id, ""), (other.exchange_id, cookie)):
        async with websockets.connect(
            f"{server.ws_url}/e/{exchange_id}/ws", additional_headers={"Cookie": who}
        ) as ws:
            with pytest.raises(websockets.ConnectionClosed):
                await ws.recv()
            assert ws.close_code == 1008
    other.close()
    # The page's own origin is fine.
    same = await LiveClient(server.ws_url, setup.exchange_id, cookie, origin=server.url).connect()
    await same.close()


async def test_a_socket_that_never_says_hello_is_closed(server: ServerProcess, live) -> None:  # noqa: ANN001
    setup, _facilitator, _practitioners = live
    async with websockets.connect(
        f"{server.ws_url}/e/{setup.exchange_id}/ws", additional_headers={"Cookie": Setup.cookie(setup.facilitator)}
    ) as ws:
        await ws.send(json.dumps({"type": "ping"}))
        frame = json.loads(await ws.recv())
        assert frame["type"] == "error" and frame["code"] == "hello_expected"
        with pytest.raises(websockets.ConnectionClosed):
            await ws.recv()
        assert ws.close_code == 1008


async def test_a_revoked_link_ends_the_open_socket(live) -> None:  # noqa: ANN001
    setup, facilitator, practitioners = live
    victim = practitioners[2]
    participant_id = victim.you["id"].removeprefix("p:")
    response = setup.facilitator.post(
        f"/exchanges/{setup.exchange_id}/participants/{participant_id}/revoke", {"confirm": "yes"}
    )
    assert response.status_code == 303
    with pytest.raises(ConnectionError):
        await victim.wait_for(lambda f: False, timeout=5)
    assert victim.close_code == 1008
    await facilitator.wait_for(lambda f: f["type"] == "presence" and victim.you["id"] not in f["online"])


async def test_compressed_sockets_use_small_windows_and_work(server: ServerProcess, live) -> None:  # noqa: ANN001
    """permessage-deflate (on by default, for phones) with small windows: less zlib state per socket."""
    setup, facilitator, _practitioners = live
    compressed = await LiveClient(server.ws_url, setup.exchange_id, Setup.cookie(setup.practitioners[0])).connect(
        compression="deflate"
    )
    try:
        [deflate] = compressed.ws.protocol.extensions
        assert deflate.name == "permessage-deflate"
        assert deflate.remote_max_window_bits == 11  # the server compresses with a 2 KiB window
        assert deflate.local_max_window_bits == 9  # the client's commands are small: 512 bytes will do
        await facilitator.ok("start_exchange")
        view = await compressed.wait_view(lambda v: v["status"] == "live")
        assert view["phase"]["title"] == "Welcome and ground rules"
    finally:
        await compressed.close()


async def test_sockets_with_and_without_compression_get_the_same_frames(server: ServerProcess, live) -> None:  # noqa: ANN001
    """Frames are written straight to the transport: framed once for every socket that doesn't
    compress, by each socket's own compressor for the others. Either way the page reads the same."""
    setup, facilitator, _practitioners = live
    cookie = Setup.cookie(setup.practitioners[0])
    compressed = await LiveClient(server.ws_url, setup.exchange_id, cookie).connect(compression="deflate")
    plain = await LiveClient(server.ws_url, setup.exchange_id, cookie).connect(compression=None)
    try:
        assert [e.name for e in compressed.ws.protocol.extensions] == ["permessage-deflate"]
        assert plain.ws.protocol.extensions == []
        await facilitator.ok("start_exchange")
        await facilitator.ok("next_phase")
        seq = await facilitator.ok("add_time", timer="phase", seconds=60)
        for client in (compressed, plain):
            await client.wait_view(lambda v: v["seq"] == seq)

        def live_frames(client: LiveClient) -> list[dict]:
            return [f for f in client.frames if f["type"] in {"events", "personal"}]

        assert live_frames(plain) == live_frames(compressed)
        assert [f["seq"] for f in live_frames(plain) if f["type"] == "events"][-1] == seq
    finally:
        await compressed.close()
        await plain.close()
