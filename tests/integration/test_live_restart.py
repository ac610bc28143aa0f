"""A server killed mid-turn comes back at the same phase, speaker and deadline; nothing acked is lost."""

from __future__ import annotations

import asyncio

from tests.support.live import LiveClient
from tests.support.scenario import Setup, scheduled_exchange
from tests.support.servers import ServerProcess


async def test_a_killed_server_resumes_mid_turn(fresh_server: ServerProcess) -> None:
    server = fresh_server
    setup = scheduled_exchange(server, practitioners=2)
    facilitator = await LiveClient(server.ws_url, setup.exchange_id, Setup.cookie(setup.facilitator)).connect()
    amina = await LiveClient(server.ws_url, setup.exchange_id, Setup.cookie(setup.practitioners[0])).connect()
    rosa = await LiveClient(server.ws_url, setup.exchange_id, Setup.cookie(setup.practitioners[1])).connect()
    await facilitator.wait_view(lambda v: len(v["roster"]) == 2)
    await facilitator.ok("start_exchange")
    await facilitator.ok("next_phase")
    acked = await facilitator.ok("next_turn")
    before = await rosa.wait_view(lambda v: v["seq"] == acked)

    server.kill()  # SIGKILL: no shutdown, no flushing
    await asyncio.sleep(0.5)
    server.start()

    for client in (facilitator, amina, rosa):
        await client.connect()  # resumes from the last seq it holds
    after = facilitator.view
    assert facilitator.seq == acked
    assert after["phase_index"] == before["phase_index"] == 1
    assert after["turns"]["speaker"] == before["turns"]["speaker"] == {"id": amina.you["id"], "name": amina.you["name"]}
    assert after["turns"]["timer"]["deadline"] == before["turns"]["timer"]["deadline"]
    assert rosa.view["turns"] == before["turns"]

    # The session carries on where it was, and every client holds the same, gap-free sequence.
    await amina.ok("finish_turn")
    await facilitator.ok("next_turn")
    await rosa.wait_view(lambda v: v["turns"]["speaker"]["id"] == rosa.you["id"])
    assert facilitator.event_seqs == list(range(1, facilitator.seq + 1))
    for client in (facilitator, amina, rosa):
        await client.close()
    setup.close()


async def test_a_deadline_that_passed_while_down_is_handled_on_restart(fresh_server: ServerProcess) -> None:
    server = fresh_server
    setup = scheduled_exchange(server, practitioners=1)
    facilitator = await LiveClient(server.ws_url, setup.exchange_id, Setup.cookie(setup.facilitator)).connect()
    await facilitator.ok("start_exchange")
    # Bring the phase timer down to a few seconds, then go down before it runs out.
    minutes = facilitator.view["phase"]["minutes"]
    await facilitator.ok("add_time", timer="phase", seconds=-(minutes * 60 - 3))
    server.kill()
    await asyncio.sleep(3.5)
    server.start()  # nobody is connected: the live exchange is resumed for its timers alone
    await asyncio.sleep(1.0)
    await facilitator.connect()
    view = await facilitator.wait_view(lambda v: v["phase_timer"]["time_up"], timeout=5)
    assert view["phase_index"] == 0  # the welcome phase only signals; the facilitator moves on
    await facilitator.close()
    setup.close()
