"""Speaking turns in a turn-based phase: the waiting order, the speaker, the turn timer."""

from __future__ import annotations

import random
from datetime import datetime

from exchange.i18n import _
from exchange.prompts.models import OnExpiry, SpeakingOrder
from exchange.sessions.activities import timers
from exchange.sessions.activities.base import (
    FACILITATOR_ONLY,
    PEOPLE,
    Applier,
    Decision,
    Rejected,
    Rule,
    credit_airtime,
)
from exchange.sessions.commands import (
    Actor,
    ExtendTurn,
    FinishTurn,
    MoveSpeaker,
    NextTurn,
    PassTurn,
    Role,
    SetSpeakingOrder,
    SkipParticipant,
    TimerKind,
)
from exchange.sessions.events import (
    Event,
    ParticipantSkipped,
    SpeakingOrderSet,
    TimeUp,
    TurnEnded,
    TurnEndReason,
    TurnStarted,
)
from exchange.sessions.state import SessionState, Timer, Turns, evolve


def opening_order(state: SessionState, index: int) -> tuple[str, ...]:
    """The waiting order when phase `index` starts: joined order, or a shuffle seeded by the data."""
    assert state.plan is not None
    phase = state.plan.phases[index]
    order = [member.id for member in state.roster]
    if phase.speaking_order is SpeakingOrder.SHUFFLED:
        # Seeded from what every replica knows, so any hub deciding this gets the same order.
        seed = f"{state.exchange_id}:{phase.key}:{index}:{','.join(sorted(order))}"
        random.Random(seed).shuffle(order)
    return tuple(order)


def open_round(state: SessionState, index: int) -> list[Event]:
    """Events that set up the round when phase `index` starts (none if it isn't turn-based)."""
    assert state.plan is not None
    if not state.plan.phases[index].turn_based:
        return []
    order = opening_order(state, index)
    return [SpeakingOrderSet(order=order)] if order else []


def close_round(state: SessionState, now: datetime) -> list[Event]:
    """Events that end the running turn because the phase ends."""
    return _end(state, now, TurnEndReason.PHASE_ENDED)


def welcome(state: SessionState, participant_id: str) -> list[Event]:
    """A late arrival in a turn-based phase waits at the end of the order."""
    if not state.turn_based:
        return []
    return [SpeakingOrderSet(order=(*state.turns.remaining, participant_id))]


def expire(state: SessionState, now: datetime) -> list[Event]:
    """Events for a turn timer that ran out: signal once, or end the turn and start the next."""
    phase = state.phase
    if phase is None or not timers.is_due(state.turns.timer, now):
        return []
    if phase.on_expiry is OnExpiry.SIGNAL:
        return [TimeUp(timer=TimerKind.TURN)]
    events = _end(state, now, TurnEndReason.TIME_UP)
    if state.turns.remaining:
        events.append(_start(state, state.turns.remaining[0], now))
    return events


def _end(state: SessionState, now: datetime, reason: TurnEndReason) -> list[Event]:
    turns = state.turns
    if turns.speaker is None:
        return []
    seconds = timers.elapsed(turns.since, now)
    return [TurnEnded(participant_id=turns.speaker, ended_at=now, seconds=seconds, reason=reason)]


def _start(state: SessionState, participant_id: str, now: datetime) -> TurnStarted:
    phase = state.phase
    assert phase is not None and phase.turn_seconds is not None
    deadline = timers.after(now, phase.turn_seconds)
    return TurnStarted(participant_id=participant_id, started_at=now, deadline=deadline)


def _check_phase(state: SessionState) -> Rejected | None:
    if not state.turn_based:
        return Rejected("not_turn_based", _("This phase has no speaking turns."))
    return None


def _check_speaker(state: SessionState, actor: Actor) -> Rejected | None:
    if (refusal := _check_phase(state)) is not None:
        return refusal
    if actor.role is Role.PARTICIPANT and actor.id != state.turns.speaker:
        return Rejected("not_your_turn", _("It isn't your turn."))
    if state.turns.speaker is None:
        return Rejected("no_speaker", _("No one is speaking right now."))
    return None


def _reordered(state: SessionState, order: tuple[str, ...]) -> Decision:
    return [] if order == state.turns.remaining else [SpeakingOrderSet(order=order)]


# -- decide ------------------------------------------------------------------------------------


def next_turn(state: SessionState, command: NextTurn, actor: Actor, now: datetime) -> Decision:
    """End the current turn (if any) and start the first speaker waiting."""
    if (refusal := _check_phase(state)) is not None:
        return refusal
    if not state.turns.remaining:
        return Rejected("no_one_left", _("Everyone in the speaking order has had a turn."))
    return [*_end(state, now, TurnEndReason.FINISHED), _start(state, state.turns.remaining[0], now)]


def finish_turn(state: SessionState, command: FinishTurn, actor: Actor, now: datetime) -> Decision:
    """End the current turn early; the next one starts when the facilitator says so."""
    if (refusal := _check_speaker(state, actor)) is not None:
        return refusal
    return _end(state, now, TurnEndReason.FINISHED)


def pass_turn(state: SessionState, command: PassTurn, actor: Actor, now: datetime) -> Decision:
    """End the current turn and send the speaker to the end of the order, to share later."""
    if (refusal := _check_speaker(state, actor)) is not None:
        return refusal
    return _end(state, now, TurnEndReason.PASSED)


def skip_participant(
    state: SessionState, command: SkipParticipant, actor: Actor, now: datetime
) -> Decision:
    """Take someone out of this round, ending their turn if they are speaking."""
    if (refusal := _check_phase(state)) is not None:
        return refusal
    if command.participant_id == state.turns.speaker:
        return _end(state, now, TurnEndReason.SKIPPED)
    if command.participant_id not in state.turns.remaining:
        return Rejected("not_in_order", _("That person isn't waiting to speak in this round."))
    return [ParticipantSkipped(participant_id=command.participant_id)]


def extend_turn(state: SessionState, command: ExtendTurn, actor: Actor, now: datetime) -> Decision:
    """Give the speaker more time."""
    if (refusal := _check_phase(state)) is not None:
        return refusal
    return timers.add_seconds(state, TimerKind.TURN, command.seconds, now)


def move_speaker(state: SessionState, command: MoveSpeaker, actor: Actor, now: datetime) -> Decision:
    """Move a waiting speaker to another place in the order."""
    if (refusal := _check_phase(state)) is not None:
        return refusal
    remaining = state.turns.remaining
    if command.participant_id not in remaining:
        return Rejected("not_in_order", _("That person isn't waiting to speak in this round."))
    others = [pid for pid in remaining if pid != command.participant_id]
    others.insert(min(command.position, len(others)), command.participant_id)
    return _reordered(state, tuple(others))


def set_speaking_order(
    state: SessionState, command: SetSpeakingOrder, actor: Actor, now: datetime
) -> Decision:
    """Replace the waiting order: everyone waiting, plus anyone from the roster brought back in."""
    if (refusal := _check_phase(state)) is not None:
        return refusal
    order = command.order
    if len(set(order)) != len(order):
        return Rejected("bad_order", _("Each person can appear only once in the order."))
    if any(state.member(pid) is None for pid in order):
        return Rejected("unknown_participant", _("Someone in that order hasn't joined."))
    if state.turns.speaker in order:
        return Rejected("bad_order", _("The person speaking now can't also wait in the order."))
    if not set(state.turns.remaining) <= set(order):
        return Rejected(
            "bad_order", _("The order must keep everyone still waiting; skip someone instead.")
        )
    return _reordered(state, order)


# -- apply -------------------------------------------------------------------------------------


def _without(ids: tuple[str, ...], *drop: str) -> tuple[str, ...]:
    return tuple(pid for pid in ids if pid not in drop)


def _order_set(state: SessionState, event: SpeakingOrderSet) -> SessionState:
    turns = state.turns
    turns = evolve(
        turns,
        remaining=event.order,
        done=_without(turns.done, *event.order),
        skipped=_without(turns.skipped, *event.order),
    )
    return evolve(state, turns=turns)


def _skipped(state: SessionState, event: ParticipantSkipped) -> SessionState:
    pid = event.participant_id
    turns = state.turns
    turns = evolve(
        turns, remaining=_without(turns.remaining, pid), skipped=(*turns.skipped, pid)
    )
    return evolve(state, turns=turns)


def _started(state: SessionState, event: TurnStarted) -> SessionState:
    pid = event.participant_id
    turns = state.turns
    turns = Turns(
        remaining=_without(turns.remaining, pid),
        done=_without(turns.done, pid),
        skipped=_without(turns.skipped, pid),
        speaker=pid,
        since=event.started_at,
        timer=Timer(deadline=event.deadline),
    )
    return evolve(state, turns=turns)


def _ended(state: SessionState, event: TurnEnded) -> SessionState:
    pid = event.participant_id
    turns = evolve(state.turns, speaker=None, since=None, timer=Timer())
    if event.reason is TurnEndReason.PASSED:
        turns = evolve(turns, remaining=(*turns.remaining, pid))
    elif event.reason is TurnEndReason.SKIPPED:
        turns = evolve(turns, skipped=(*turns.skipped, pid))
    else:
        turns = evolve(turns, done=(*turns.done, pid))
    return credit_airtime(evolve(state, turns=turns), pid, event.seconds)


RULES: dict[str, Rule] = {
    "next_turn": Rule(FACILITATOR_ONLY, next_turn),
    "finish_turn": Rule(PEOPLE, finish_turn),
    "pass_turn": Rule(PEOPLE, pass_turn),
    "skip_participant": Rule(FACILITATOR_ONLY, skip_participant),
    "extend_turn": Rule(FACILITATOR_ONLY, extend_turn),
    "move_speaker": Rule(FACILITATOR_ONLY, move_speaker),
    "set_speaking_order": Rule(FACILITATOR_ONLY, set_speaking_order),
}

APPLIERS: dict[type, Applier] = {
    SpeakingOrderSet: _order_set,
    ParticipantSkipped: _skipped,
    TurnStarted: _started,
    TurnEnded: _ended,
}
