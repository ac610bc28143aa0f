"""A scripted exchange from arrival to close, and the clock: tick, expiry, next_deadline, the log."""

from __future__ import annotations

from datetime import timedelta

import pytest

from exchange.prompts.models import OnExpiry, QueueOrder, SpeakingOrder
from exchange.sessions import commands as c
from exchange.sessions.commands import TimerKind
from exchange.sessions.machine import SequenceGap, apply_envelope, next_deadline, rebuild
from exchange.sessions.state import SessionState, Status
from exchange.sessions.views import facilitator_view, participant_view
from tests.unit.test_session_support import (
    AMA,
    BEA,
    CHE,
    FACILITATOR,
    LEVERS,
    STORIES,
    SYSTEM,
    joined,
    make_plan,
    types,
)


def test_full_exchange() -> None:
    """Join three, tell stories with pass/skip/extend, run timers, expire, stack hands, end."""
    plan = make_plan(story_expiry=OnExpiry.SIGNAL, open_expiry=OnExpiry.ADVANCE)
    session = joined(AMA, BEA, CHE, plan=plan)
    assert session.state.status is Status.LIVE

    # Phase 0 -> stories. The order is the joining order; nobody speaks until next_turn.
    session.do(FACILITATOR, c.NextPhase())
    assert session.state.phase_index == STORIES
    assert session.state.turns.remaining == ("p:1", "p:2", "p:3")
    assert session.state.turns.speaker is None

    # Ama isn't ready: she passes and goes to the end.
    session.do(FACILITATOR, c.NextTurn())
    session.wait(10)
    session.do(AMA, c.PassTurn())
    assert session.state.turns.remaining == ("p:2", "p:3", "p:1")

    # Bea speaks; the facilitator pauses for a dropped connection, adds time, resumes.
    session.do(FACILITATOR, c.NextTurn())
    session.wait(100)
    session.do(FACILITATOR, c.PauseTimer(timer=TimerKind.TURN))
    assert session.state.turns.timer.paused_remaining == 200
    session.wait(50)
    assert session.do(SYSTEM, c.Tick()) == []  # a paused timer never expires
    session.do(FACILITATOR, c.AddTime(timer=TimerKind.TURN, seconds=30))
    session.do(FACILITATOR, c.ResumeTimer(timer=TimerKind.TURN))
    assert next_deadline(session.state) == session.now + timedelta(seconds=230)

    # Bea's time runs out: SIGNAL tells everyone once, then the turn keeps going.
    session.wait(230)
    assert types(session.do(SYSTEM, c.Tick())) == ["time_up"]
    assert session.state.turns.timer.time_up
    assert session.do(SYSTEM, c.Tick()) == []
    session.do(FACILITATOR, c.ExtendTurn(seconds=60))  # more time: may signal again later
    assert not session.state.turns.timer.time_up
    session.wait(20)
    session.do(BEA, c.FinishTurn())
    assert session.state.airtime_of(BEA.id) == 400  # wall time holding the floor, pause included

    # Che is absent: skipped. Ama tells her story after all.
    session.do(FACILITATOR, c.SkipParticipant(participant_id=CHE.id))
    session.do(FACILITATOR, c.NextTurn())
    assert session.state.turns.speaker == AMA.id
    session.wait(120)
    session.do(AMA, c.FinishTurn())
    assert session.state.turns.done == ("p:2", "p:1")
    assert session.state.turns.skipped == ("p:3",)
    assert session.refuse(FACILITATOR, c.NextTurn()).code == "no_one_left"

    # The phase clock (SIGNAL) runs out once.
    session.wait(30 * 60)
    assert types(session.do(SYSTEM, c.Tick())) == ["time_up"]
    assert session.do(SYSTEM, c.Tick()) == []
    assert next_deadline(session.state) is None

    # Levers: an open floor with a progressive stack. Bea spoke most, Che least.
    session.do(FACILITATOR, c.NextPhase())
    assert session.state.phase_index == LEVERS
    assert session.state.queue_order is QueueOrder.PROGRESSIVE
    session.do(BEA, c.RaiseHand())
    session.wait(1)
    session.do(AMA, c.RaiseHand())
    session.wait(1)
    session.do(CHE, c.RaiseHand())
    order = [hand["id"] for hand in participant_view(session.state)["floor"]["hands"]]
    assert order == ["p:3", "p:1", "p:2"]
    session.do(FACILITATOR, c.GiveFloor())
    assert session.state.floor_holder == CHE.id
    session.wait(600)
    session.do(CHE, c.EndFloor())
    # Che now has 600 s, more than Ama's 130 s; Bea still the most.
    assert [hand["id"] for hand in participant_view(session.state)["floor"]["hands"]] == ["p:1", "p:2"]
    session.do(FACILITATOR, c.SetQueueOrder(order=QueueOrder.FIRST_COME))
    assert [hand["id"] for hand in participant_view(session.state)["floor"]["hands"]] == ["p:2", "p:1"]
    session.do(FACILITATOR, c.GiveFloor(participant_id=AMA.id))

    # Levers is ADVANCE: its clock moves the exchange on, ending Ama's floor.
    session.wait(20 * 60)
    assert types(session.do(SYSTEM, c.Tick())) == ["floor_ended", "phase_ended", "phase_started"]
    assert session.state.phase_index == LEVERS + 1
    assert session.state.floor_holder is None
    assert session.state.hands == ()

    session.do(FACILITATOR, c.EndExchange())
    assert session.state.status is Status.ENDED
    assert next_deadline(session.state) is None
    airtime = {m["id"]: m["airtime_seconds"] for m in facilitator_view(session.state)["roster"]}
    assert airtime == {"p:1": 10 + 120 + 20 * 60, "p:2": 400, "p:3": 600}
    assert session.rebuilt() == session.state
    assert [envelope.seq for envelope in session.log] == list(range(1, len(session.log) + 1))


def test_turn_advance_starts_the_next_speaker() -> None:
    session = joined(AMA, BEA, plan=make_plan(story_expiry=OnExpiry.ADVANCE))
    session.do(FACILITATOR, c.GotoPhase(index=STORIES))
    session.do(FACILITATOR, c.NextTurn())
    session.wait(300)
    events = session.do(SYSTEM, c.Tick())
    assert types(events) == ["turn_ended", "turn_started"]
    assert session.state.turns.speaker == BEA.id
    assert session.state.airtime_of(AMA.id) == 300
    session.wait(300)
    assert types(session.do(SYSTEM, c.Tick())) == ["turn_ended"]  # nobody left: the round rests
    assert session.state.turns.speaker is None


def test_advance_on_the_last_phase_ends_the_exchange() -> None:
    session = joined(AMA, plan=make_plan(last_expiry=OnExpiry.ADVANCE))
    session.do(FACILITATOR, c.GotoPhase(index=3))
    session.wait(10 * 60 - 1)
    assert session.do(SYSTEM, c.Tick()) == []
    session.wait(1)
    assert types(session.do(SYSTEM, c.Tick())) == ["phase_ended", "exchange_ended"]
    assert session.state.status is Status.ENDED


def test_phase_advance_wins_over_a_due_turn() -> None:
    plan = make_plan(story_expiry=OnExpiry.ADVANCE)
    session = joined(AMA, BEA, plan=plan)
    session.do(FACILITATOR, c.GotoPhase(index=STORIES))
    session.do(FACILITATOR, c.AddTime(timer=TimerKind.PHASE, seconds=-600))  # 20 minutes left
    session.wait(20 * 60 - 300)
    session.do(FACILITATOR, c.NextTurn())
    session.wait(300)  # both clocks are due now
    assert types(session.do(SYSTEM, c.Tick())) == ["turn_ended", "phase_ended", "phase_started"]
    assert session.state.phase_index == LEVERS


def test_next_deadline_is_the_earliest_unsignalled() -> None:
    session = joined(AMA)
    assert next_deadline(SessionState.initial(1)) is None
    assert next_deadline(session.state) == session.now + timedelta(minutes=5)
    session.do(FACILITATOR, c.GotoPhase(index=STORIES))
    session.do(FACILITATOR, c.NextTurn())
    assert next_deadline(session.state) == session.now + timedelta(seconds=300)
    session.do(FACILITATOR, c.PauseTimer(timer=TimerKind.TURN))
    assert next_deadline(session.state) == session.now + timedelta(minutes=30)


def test_shuffled_order_is_seeded_and_repeatable() -> None:
    plan = make_plan(speaking_order=SpeakingOrder.SHUFFLED)
    players = [c.Actor(role=c.Role.PARTICIPANT, id=f"p:{n}", name=f"P{n}") for n in range(1, 9)]
    first = joined(*players, plan=plan)
    second = joined(*players, plan=plan)
    for session in (first, second):
        session.do(FACILITATOR, c.GotoPhase(index=STORIES))
    assert first.state.turns.remaining == second.state.turns.remaining
    assert sorted(first.state.turns.remaining) == sorted(p.id for p in players)
    assert first.state.turns.remaining != tuple(p.id for p in players)
    assert first.rebuilt() == first.state


def test_apply_envelope_ignores_redelivery_and_refuses_gaps() -> None:
    session = joined(AMA, BEA)
    log = session.log
    state = rebuild(session.state.exchange_id, log[:2])
    assert apply_envelope(state, log[1]) is state
    with pytest.raises(SequenceGap):
        apply_envelope(state, log[3])
    with pytest.raises(ValueError, match="exchange"):
        apply_envelope(SessionState.initial(99), log[0])
    assert rebuild(session.state.exchange_id, log) == session.state
    assert rebuild(session.state.exchange_id, log).last_seq == len(log)
