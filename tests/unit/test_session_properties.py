"""Property tests: random (actor, command, time step) scripts, valid or not, keep every invariant."""

from __future__ import annotations

import dataclasses
import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from exchange.prompts.models import (
    ActivityKind,
    OnExpiry,
    Phase,
    PhasePlan,
    QueueOrder,
    SpeakingOrder,
)
from exchange.sessions import commands as c
from exchange.sessions.events import EventEnvelope, event_adapter
from exchange.sessions.machine import (
    Rejected,
    apply,
    apply_envelope,
    decide,
    envelop,
    next_deadline,
    rebuild,
)
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
)

Step = tuple[c.Actor, c.Command, float]  # who, what, and how many seconds after the last step

PRACTITIONERS = (AMA, BEA, CHE)
IDS = [AMA.id, BEA.id, CHE.id, STRANGER.id, "p:404"]


@dataclass(frozen=True)
class Start:
    """Placeholder for start_exchange with the plan under test."""


@dataclass(frozen=True)
class Reorder:
    """Placeholder for set_speaking_order with a shuffle (seeded) of everyone in the round."""

    seed: int


# -- plans: 2 to 4 phases, turn-based or open, with every expiry and ordering rule ---------------


OPEN_KINDS = [ActivityKind.DISCUSSION, ActivityKind.FEEDBACK]


@st.composite
def phases(draw: st.DrawFn, index: int) -> Phase:
    """A short phase of either shape, so expiry, ADVANCE and turn ends all come up."""
    turn_based = draw(st.booleans())
    return Phase(
        key=f"phase-{index}",
        title=f"Phase {index}",
        kind=ActivityKind.STORY_ROUND if turn_based else draw(st.sampled_from(OPEN_KINDS)),
        minutes=draw(st.sampled_from([1, 5, 30])),
        turn_seconds=draw(st.sampled_from([15, 120, 300])) if turn_based else None,
        prompts=("Speak.",),
        speaking_order=draw(st.sampled_from(list(SpeakingOrder))),
        on_expiry=draw(st.sampled_from(list(OnExpiry))),
        queue_order=draw(st.sampled_from(list(QueueOrder))),
    )


@st.composite
def plans(draw: st.DrawFn) -> PhasePlan:
    """A plan of 2 to 4 random phases."""
    count = draw(st.integers(2, 4))
    return PhasePlan(
        key="random",
        title="Random plan",
        description="Drawn by hypothesis.",
        agreements=("Listen fully.",),
        phases=tuple(draw(phases(index)) for index in range(count)),
    )


# -- steps: one draw per command; Start and Reorder are filled in from the state reached --------

timer_kinds = st.sampled_from(list(c.TimerKind))
ids = st.sampled_from(IDS)
maybe_id = st.none() | ids

# Steps straddle the interesting edges: turns are 15 s to 5 minutes, phases 1 to 30 minutes.
time_steps = st.one_of(
    st.just(0.0),
    st.integers(1, 60).map(float),
    st.integers(60, 400).map(float),
    st.integers(0, 2_000_000).map(lambda ms: ms / 1000),
)

def weighted(*options: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """Draw from one option, picked with the given weights (st.one_of drops repeated options)."""
    pool = [strategy for weight, strategy in options for _ in range(weight)]
    return st.sampled_from(pool).flatmap(lambda strategy: strategy)


Options = list[tuple[int, st.SearchStrategy[Any]]]

LIFECYCLE: Options = [
    (2, st.just(Start())),
    (1, st.just(c.StartExchange())),
    (3, st.just(c.NextPhase())),
    (1, st.just(c.PreviousPhase())),
    (1, st.builds(c.GotoPhase, index=st.integers(0, 4))),
    (1, st.just(c.EndExchange())),
    (2, st.builds(c.PauseTimer, timer=timer_kinds) | st.builds(c.ResumeTimer, timer=timer_kinds)),
    (1, st.builds(c.AddTime, timer=timer_kinds, seconds=st.integers(-600, 3600).filter(bool))),
]
TURN_MOVES: Options = [
    (1, st.builds(Reorder, seed=st.integers(0, 1000))),
    (1, st.builds(c.SetSpeakingOrder, order=st.lists(ids, max_size=5).map(tuple))),
    (5, st.just(c.NextTurn())),
    (2, st.just(c.FinishTurn())),
    (1, st.builds(c.SkipParticipant, participant_id=ids)),
    (1, st.builds(c.ExtendTurn, seconds=st.integers(1, 3600))),
    (1, st.builds(c.MoveSpeaker, participant_id=ids, position=st.integers(0, 5))),
]
FLOOR_MOVES: Options = [
    (2, st.builds(c.RaiseHand, participant_id=maybe_id) | st.builds(c.LowerHand, participant_id=maybe_id)),
    (2, st.builds(c.GiveFloor, participant_id=maybe_id)),
    (2, st.just(c.GiveFloor())),
    (2, st.just(c.EndFloor())),
    (1, st.builds(c.SetQueueOrder, order=st.sampled_from(list(QueueOrder)))),
]
taking_part = weighted(*[
    (1, st.builds(c.Join, name=st.sampled_from(["Ama", "Bea", "Che", "Late"]))),
    (3, st.just(c.RaiseHand())),
    (1, st.builds(c.RaiseHand, participant_id=maybe_id)),
    (1, st.builds(c.LowerHand, participant_id=maybe_id)),
    (3, st.just(c.FinishTurn())),
    (2, st.just(c.PassTurn())),
    (2, st.just(c.EndFloor())),
])


def _moves(turns: int, floor: int) -> st.SearchStrategy[tuple[Any, Any, float]]:
    # One flat pool: every extra level of choice costs hypothesis a draw per step.
    steering = weighted(
        *[(2 * w, o) for w, o in LIFECYCLE],
        *[(turns * w, o) for w, o in TURN_MOVES],
        *[(floor * w, o) for w, o in FLOOR_MOVES],
    )
    return weighted(
        (3, st.tuples(st.sampled_from([FACILITATOR] * 8 + [AMA, LEAD]), steering, time_steps)),
        (2, st.tuples(st.integers(0, 99), taking_part, time_steps)),  # an index into who is there
        (1, st.tuples(st.sampled_from([SYSTEM] * 4 + [FACILITATOR]), st.just(c.Tick()), time_steps)),
    )


# Mostly what fits the phase, but never only that: the wrong commands must be refused cleanly.
moves_in_turns = _moves(turns=4, floor=1)
moves_on_floor = _moves(turns=1, floor=4)


def draw_step(data: st.DataObject, plan: PhasePlan, state: SessionState) -> Step:
    """One step; actors and orders often fit the state reached (so runs get deep), sometimes not."""
    who, what, seconds = data.draw(moves_in_turns if state.turn_based else moves_on_floor)
    actor: c.Actor
    if isinstance(who, int):
        # Whoever holds the turn or the floor is likelier to act: they are the one who may end it.
        holders = [a for a in PRACTITIONERS if a.id in (state.turns.speaker, state.floor_holder)]
        people = [*PRACTITIONERS, *holders * 3, STRANGER, FACILITATOR]
        actor = people[who % len(people)]
    else:
        actor = who
    command: Any = what
    if isinstance(what, Start):
        command = c.StartExchange(plan=plan)
    elif isinstance(what, Reorder):
        turns = state.turns
        everyone = [*turns.remaining, *turns.skipped, *turns.done]
        shuffled = random.Random(what.seed).sample(everyone, len(everyone))
        command = c.SetSpeakingOrder(order=tuple(shuffled))
    note(f"+{seconds}s {actor.id}: {command!r}")
    return actor, command, seconds


# -- the properties ------------------------------------------------------------------------------


def check_invariants(state: SessionState) -> None:
    """What must hold after every command, whatever was sent."""
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


def run(state: SessionState, step: Step, now: datetime) -> tuple[SessionState, list[EventEnvelope]]:
    """One command through decide and apply, checking everything that must hold on the way."""
    actor, command, _seconds = step
    # Everything in the state is immutable, so a repr is a faithful snapshot (the plan, frozen
    # and large, is checked by identity).
    plan, before = state.plan, repr(dataclasses.replace(state, plan=None))
    result = decide(state, command, actor, now)
    assert state.plan is plan, "decide must not mutate"
    assert repr(dataclasses.replace(state, plan=None)) == before, "decide must not mutate"
    assert result == decide(state, command, actor, now), "decide must be deterministic"
    if isinstance(result, Rejected):
        assert result.code and result.message
        return state, []
    envelopes = envelop(state=state, events=result, at=now, actor=actor)
    through_json = state
    for envelope in envelopes:
        again = event_adapter.validate_json(event_adapter.dump_json(envelope.event))
        assert again == envelope.event
        through_json = apply(through_json, again)
        state = apply_envelope(state, envelope)
    # Checked per batch: mid-batch a phase may sit between its end and the next start.
    check_invariants(state)
    assert dataclasses.replace(through_json, last_seq=state.last_seq) == state
    return state, envelopes


def no_busy_loop(state: SessionState, now: datetime) -> None:
    """After the clock's tick at `now`, nothing is due at `now` (the timer task would spin)."""
    pending = next_deadline(state)
    assert pending is None or pending > now


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=plans(), data=st.data())
def test_random_scripts_keep_invariants(plan: PhasePlan, data: st.DataObject) -> None:
    """decide/apply over any script: invariants hold, refusals change nothing, the log rebuilds."""
    state = SessionState.initial(1)
    log: list[EventEnvelope] = []
    now = T0
    script: list[Step] = []
    if data.draw(st.sampled_from([True, True, True, False]), label="go live first"):
        script = [(actor, c.Join(name=actor.name), 0.0) for actor in PRACTITIONERS]
        script.append((FACILITATOR, c.StartExchange(plan=plan), 0.0))
    for index in range(len(script) + data.draw(st.integers(5, 30), label="length")):
        # Drawn as we go, so actors and orders can fit the state reached so far.
        step = script[index] if index < len(script) else draw_step(data, plan, state)
        now += timedelta(seconds=step[2])
        state, envelopes = run(state, step, now)
        log.extend(envelopes)
        if step[0] is SYSTEM and isinstance(step[1], c.Tick):
            no_busy_loop(state, now)
    assert [envelope.seq for envelope in log] == list(range(1, len(log) + 1))
    assert state.last_seq == len(log)
    assert rebuild(1, log) == state
