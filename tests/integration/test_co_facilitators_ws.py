"""Co-facilitators over real websockets (SQLite and PostgreSQL): one leads; a co-facilitator's steering
is refused with `not_lead`; hand-over by offer and accept; when the lead's last socket goes the
timers run on and the others are offered the lead within 5 s; every change is in the log and the
transcript, which names no staff member."""

from __future__ import annotations

from tests.support.co import add_co_facilitator
from tests.support.live import LiveClient
from tests.support.scenario import Setup, scheduled_exchange
from tests.support.servers import ServerProcess
from tests.support.world import run_sql

WELCOME, STORIES = 0, 1


async def test_hand_over_and_a_lead_that_drops(server: ServerProcess) -> None:
    setup = scheduled_exchange(server, practitioners=2)
    co_web, co_id = add_co_facilitator(server, setup)
    url = server.ws_url
    first = await LiveClient(url, setup.exchange_id, Setup.cookie(setup.facilitator)).connect()
    second = await LiveClient(url, setup.exchange_id, Setup.cookie(co_web)).connect()
    practitioner = await LiveClient(url, setup.exchange_id, Setup.cookie(setup.practitioners[0])).connect()
    assert second.you["role"] == "facilitator" and second.you["id"] == f"staff:{co_id}"
    await first.wait_view(lambda v: len(v["roster"]) >= 1)

    await first.ok("start_exchange")
    await second.wait_view(lambda v: v["lead"]["id"] == first.you["id"])
    refused = await second.command("next_phase")
    assert refused["type"] == "rejected" and refused["code"] == "not_lead"
    assert first.you["name"] in refused["message"]
    assert (await second.ok("add_note", text="Watch the time")) > 0  # a co-facilitator still works beside

    # Hand-over: the lead offers, the co-facilitator accepts; steering moves with it.
    await first.ok("offer_lead", to=second.you["id"])
    await second.wait_view(lambda v: v["lead"]["offer"]["to"] == second.you["id"])
    await second.ok("accept_lead")
    await first.wait_view(lambda v: v["lead"]["id"] == second.you["id"])
    assert (await first.command("goto_phase", index=STORIES))["code"] == "not_lead"
    await second.ok("goto_phase", index=STORIES)
    await second.ok("next_turn")
    turn = (await practitioner.wait_view(lambda v: v["turns"]["speaker"] is not None))["turns"]
    assert "lead" not in practitioner.view  # practitioners never see who leads the console

    # The lead drops: their only socket goes. The turn's clock runs on; the lead is offered away.
    await second.close()
    view = await first.wait_view(lambda v: v["lead"]["offer"] is not None, timeout=10)
    assert view["lead"]["away"] and view["lead"]["offer"]["reason"] == "lead_left" and view["lead"]["offer"]["to"] is None
    assert view["turns"]["timer"]["deadline"] == turn["timer"]["deadline"] and view["turns"]["timer"]["running"]
    await first.ok("accept_lead")
    await first.ok("extend_turn", seconds=30)

    # The record: every change of lead, in order, naming no staff member.
    rows = run_sql(server.database_url, "SELECT type FROM session_event WHERE exchange_id = :e ORDER BY seq", e=setup.exchange_id)
    kinds = [kind for (kind,) in rows]
    lead_kinds = [k for k in kinds if k.startswith("lead_")]
    changes = ["lead_offered", "lead_accepted", "lead_left", "lead_offered", "lead_accepted"]
    assert lead_kinds == ["lead_taken", *changes], lead_kinds  # whoever starts leads, then every change
    transcript = setup.facilitator.get(f"/exchanges/{setup.exchange_id}/transcript.json")
    assert transcript.status_code == 200
    listed = [e["event"]["type"] for e in transcript.json()["events"]]
    assert [k for k in listed if k.startswith("lead_")] == changes
    assert "Kofi Co" not in transcript.text and f"staff:{co_id}" not in transcript.text
    for fmt in ("md", "html"):
        told = setup.facilitator.get(f"/exchanges/{setup.exchange_id}/transcript.{fmt}").text
        assert "Who led the console" in told and "Kofi Co" not in told, fmt
    co_web.close()
    setup.close()


async def test_a_lead_back_within_the_grace_keeps_the_lead(server: ServerProcess) -> None:
    setup = scheduled_exchange(server, practitioners=1)
    co_web, _co_id = add_co_facilitator(server, setup)
    first = await LiveClient(server.ws_url, setup.exchange_id, Setup.cookie(setup.facilitator)).connect()
    second = await LiveClient(server.ws_url, setup.exchange_id, Setup.cookie(co_web)).connect()
    await first.ok("start_exchange")
    await first.close()
    await second.wait_view(lambda v: v["lead"]["away"])
    await first.connect()  # a reload: back before the grace ends
    view = await second.wait_view(lambda v: not v["lead"]["away"])
    assert view["lead"]["offer"] is None and view["lead"]["id"] == first.you["id"]
    await first.ok("next_phase")
    co_web.close()
    setup.close()
