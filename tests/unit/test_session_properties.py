"""Property tests: random (actor, command, time step) scripts, valid or not, keep every invariant."""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exchange.prompts.models import OnExpiry, QueueOrder, SpeakingOrder
from exchange.sessions import commands as c
from exchange.sessions.events import event_adapter
from exchange.sessions.machine import Rejected, apply, apply_envelope, decide, envelop, rebuild
from exchange.sessions.state import SessionState, Status
from exchange.sessions.views import facilitator_view, participant_view
from tests.unit.test_session_support import (
    AMA,
    BEA,
    CHE,
    FACILITATOR,
    LEAD,
    STRANGER,
    SYSTEM,
    T0,
    make_plan,
)

PEOPLE = [AMA, BEA, CHE, STRANGER]
ACTORS = [FACILITATOR, FACILITATOR, FACILITATOR, SYSTEM, SYSTEM, LEAD, *PEOPLE]
IDS = [actor.id for actor in PEOPLE] + ["p:404"]

timer_kinds = st.sampled_from(list(c.TimerKind))
ids = st.sampled_from(IDS)
maybe_id = st.none() | ids
orders = st.permutations(["p:1", "p:2", "p:3"]).map(tuple) | st.lists(ids, max_size=5).map(tuple)

plans = st.builds(
    make_plan,
    story_expiry=st.sampled_from(list(OnExpiry)),
    open_expiry=st.sampled_from(list(OnExpiry)),
    last_expiry=st.sampled_from(list(OnExpiry)),
    speaking_order=st.sampled_from(list(SpeakingOrder)),
)


def commands(plan: st.SearchStrategy) -> st.SearchStrategy:
    """Any command, with arguments drawn from small pools so they often mean something."""
    return st.one_of(
        st.builds(c.Join, name=st.sampled_from(["Ama", "Bea", "Che", "Late"])),
        st.builds(c.StartExchange, plan=st.none() | plan),
        st.just(c.NextPhase()),
        st.just(c.PreviousPhase()),
        st.builds(c.GotoPhase, index=st.integers(0, 5)),
        st.just(c.EndExchange()),
        st.builds(c.PauseTimer, timer=timer_kinds),
        st.builds(c.ResumeTimer, timer=timer_kinds),
        st.builds(c.AddTime, timer=timer_kinds, seconds=st.integers(-600, 3600).filter(bool)),
        st.just(c.Tick()),
        st.just(c.Tick()),
        st.builds(c.SetSpeakingOrder, order=orders),
        st.just(c.NextTurn()),
        st.just(c.NextTurn()),
        st.just(c.FinishTurn()),
        st.just(c.PassTurn()),
        st.builds(c.SkipParticipant, participant_id=ids),
        st.builds(c.ExtendTurn, seconds=st.integers(1, 3600)),
        st.builds(c.MoveSpeaker, participant_id=ids, position=st.integers(0, 5)),
        st.builds(c.RaiseHand, participant_id=maybe_id),
        st.builds(c.LowerHand, participant_id=maybe_id),
        st.builds(c.GiveFloor, participant_id=maybe_id),
        st.just(c.EndFloor()),
        st.builds(c.SetQueueOrder, order=st.sampled_from(list(QueueOrder))),
    )


# Steps straddle the interesting edges: turns are 300 s, phases 5 to 30 minutes.
time_steps = st.one_of(
    st.just(0.0),
    st.integers(1, 400).map(float),
    st.integers(0, 2_000_000).map(lambda ms: ms / 1000),
)


@st.composite
def scripts(draw: st.DrawFn) -> tuple[bool, object, list[tuple[c.Actor, object, float]]]:
    plan = draw(plans)
    steps = draw(
        st.lists(st.tuples(st.sampled_from(ACTORS), commands(st.just(plan)), time_steps), max_size=50)
    )
    return draw(st.booleans()), plan, steps


def check_invariants(state: SessionState) -> None:
    """What must hold after every step, whatever was sent."""
    turns = state.turns
    assert not (turns.speaker is not None and state.floor_holder is not None)
    assert all(member.airtime >= 0 for member in state.roster)
    roster_ids = [member.id for member in state.roster]
    assert len(set(roster_ids)) == len(roster_ids)
    hand_ids = [hand.participant_id for hand in state.hands]
    assert len(set(hand_ids)) == len(hand_ids)
    assert set(hand_ids) <= set(roster_ids)
    assert state.floor_holder not in hand_ids
    waiting = [*turns.remaining, *turns.done, *turns.skipped]
    assert len(set(waiting)) == len(waiting)
    assert turns.speaker is None or turns.speaker not in waiting
    assert set(waiting) <= set(roster_ids)
    if state.status is not Status.LIVE:
        assert turns.speaker is None and state.floor_holder is None and not state.hands
    if state.turn_based:
        assert state.floor_holder is None and not state.hands
    else:
        assert turns.speaker is None and not waiting
    assert (turns.speaker is None) == (not turns.timer.active)
    assert state.phase_timer.active == (state.status is Status.LIVE)
    json.dumps(facilitator_view(state))
    json.dumps(participant_view(state))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scripts())
def test_random_scripts_keep_invariants(script: tuple[bool, object, list[tuple[c.Actor, object, float]]]) -> None:
    prelude, plan, steps = script
    if prelude:  # start from a live exchange more often than chance would
        steps = [(a, c.Join(name=a.name), 0.0) for a in (AMA, BEA, CHE)] + [
            (FACILITATOR, c.StartExchange(plan=plan), 0.0)  # type: ignore[arg-type]
        ] + steps
    state = SessionState.initial(1)
    log = []
    now = T0
    for actor, command, step in steps:
        now += timedelta(seconds=step)
        before = copy.deepcopy(state)
        result = decide(state, command, actor, now)  # type: ignore[arg-type]
        assert state == before, "decide must not mutate"
        assert result == decide(state, command, actor, now)  # type: ignore[arg-type]
        if isinstance(result, Rejected):
            assert result.code and result.message
            check_invariants(state)
            continue
        envelopes = envelop(state=state, events=result, at=now, actor=actor)
        through_json = state
        for envelope in envelopes:
            again = event_adapter.validate_json(event_adapter.dump_json(envelope.event))
            assert again == envelope.event
            through_json = apply(through_json, again)
            state = apply_envelope(state, envelope)
        check_invariants(state)  # after the whole batch: mid-batch a phase may be between timers
        # apply of the JSON round trip lands on the same state (apply alone doesn't touch last_seq)
        assert dataclasses.replace(through_json, last_seq=state.last_seq) == state
        log.extend(envelopes)
    assert [envelope.seq for envelope in log] == list(range(1, len(log) + 1))
    assert state.last_seq == len(log)
    assert rebuild(1, log) == state
