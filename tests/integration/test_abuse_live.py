"""Nobody can break, flood or take over a live exchange (issue 16), against a real server.

One practitioner's command ids can't make anyone else's commands (or joins) duplicates, not even after
a restart; a flood is answered with `rate_limited` before it reaches the log; a sixth socket of one
person is closed with a code the page explains.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.live import LiveClient
from tests.support.scenario import Setup, scheduled_exchange
from tests.support.servers import ServerProcess

PROBLEMS = 6  # a cards phase with an open floor (exchange/prompts/templates/story-exchange.toml)
#: Rate limits out of the way, for tests about something else.
GENEROUS = {
    "EXCHANGE_RATE_PERSON_BURST": "100000",
    "EXCHANGE_RATE_PERSON_PER_SECOND": "100000",
    "EXCHANGE_RATE_SOCKET_BURST": "100000",
    "EXCHANGE_RATE_SOCKET_PER_SECOND": "100000",
}


@pytest.fixture
def generous_server(database_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(database_url, log_path=tmp_path / "server.log", env=GENEROUS)
    process.start()
    try:
        yield process
    finally:
        process.stop()


def participant_number(client: LiveClient) -> int:
    return int(client.you["id"].removeprefix("p:"))


async def test_no_one_can_make_another_persons_commands_or_join_a_duplicate(generous_server: ServerProcess) -> None:
    server = generous_server
    setup = scheduled_exchange(server, practitioners=3)
    eid = setup.exchange_id
    facilitator = await LiveClient(server.ws_url, eid, Setup.cookie(setup.facilitator)).connect()
    attacker = await LiveClient(server.ws_url, eid, Setup.cookie(setup.practitioners[0])).connect()
    await facilitator.ok("start_exchange")
    await facilitator.ok("goto_phase", index=PROBLEMS)
    await attacker.wait_view(lambda v: v["phase_index"] == PROBLEMS)

    # The attacker uses up every join id the server used to make (join:p:<id>) around their own, and
    # the ids the others' pages will send, each in a command that changed something (so it is logged).
    mine = participant_number(attacker)
    stolen = [f"join:p:{n}" for n in range(max(1, mine - 50), mine + 150)]
    stolen += [f"victim-cmd-{n:04d}" for n in range(1, 5)]
    for index, command_id in enumerate(stolen):
        reply = await attacker.command("raise_hand" if index % 2 == 0 else "lower_hand", command_id=command_id)
        assert reply["type"] == "ack", reply
    # A join under a name of their choosing changes nothing: the roster keeps the facilitator's names.
    assert (await attacker.command("join", name="Facilitator"))["type"] == "ack"
    before_restart = attacker.seq

    # A practitioner arriving now joins, under their own name, and their commands are applied.
    rosa = await LiveClient(server.ws_url, eid, Setup.cookie(setup.practitioners[1])).connect()
    view = await facilitator.wait_view(lambda v: rosa.you["id"] in {m["id"] for m in v["roster"]})
    names = {m["id"]: m["name"] for m in view["roster"]}
    assert names[rosa.you["id"]] == setup.practitioner_names[1]
    assert names[attacker.you["id"]] == setup.practitioner_names[0]
    reply = await rosa.command("raise_hand", command_id="victim-cmd-0001")
    assert reply["type"] == "ack" and reply["seq"] > before_restart, reply
    await facilitator.wait_view(lambda v: rosa.you["id"] in {h["id"] for h in v["floor"]["hands"]})
    # Her own resend is still recognised as hers: applied once.
    again = await rosa.command("raise_hand", command_id="victim-cmd-0001")
    assert again == {**reply, "id": "victim-cmd-0001"}

    # After a restart the memory is rebuilt from the log, per sender: the same holds.
    server.kill()
    await asyncio.sleep(0.5)
    server.start()
    for client in (facilitator, attacker, rosa):
        await client.connect()
    seq = facilitator.seq
    reply = await rosa.command("lower_hand", command_id="victim-cmd-0002")
    assert reply["type"] == "ack" and reply["seq"] > seq, reply
    await facilitator.wait_view(lambda v: rosa.you["id"] not in {h["id"] for h in v["floor"]["hands"]})
    again = await rosa.command("lower_hand", command_id="victim-cmd-0002")
    assert again["type"] == "ack" and again["seq"] == reply["seq"]
    # ...and the attacker's own resend after the restart is a duplicate of theirs alone.
    replay = await attacker.command("raise_hand", command_id=stolen[0])
    assert replay["type"] == "ack" and replay["seq"] <= before_restart

    tomas = await LiveClient(server.ws_url, eid, Setup.cookie(setup.practitioners[2])).connect()
    await facilitator.wait_view(lambda v: tomas.you["id"] in {m["id"] for m in v["roster"]})
    reply = await tomas.command("raise_hand", command_id="victim-cmd-0003")
    assert reply["type"] == "ack", reply
    await facilitator.wait_view(lambda v: tomas.you["id"] in {h["id"] for h in v["floor"]["hands"]})

    # The server's own join ids are unguessable: nothing like join:p:<id> is in the log.
    joins = [
        e for f in facilitator.frames for e in f.get("events", []) if e["event"]["type"] == "participant_joined"
    ]
    assert joins and all(not str(e.get("command_id") or "").startswith("join:p:") for e in joins)
    for client in (facilitator, attacker, rosa, tomas):
        await client.close()
    setup.close()
