"""The open floor: raised hands, their queue order (first come or progressive stack), the holder."""

from __future__ import annotations

from datetime import datetime

from exchange.i18n import _
from exchange.prompts.models import QueueOrder
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
    EndFloor,
    GiveFloor,
    LowerHand,
    RaiseHand,
    Role,
    SetQueueOrder,
)
from exchange.sessions.events import (
    Event,
    FloorEnded,
    FloorGiven,
    HandLowered,
    HandRaised,
    QueueOrderSet,
)
from exchange.sessions.state import Hand, SessionState, evolve


def queue(state: SessionState) -> tuple[Hand, ...]:
    """The hand queue in effective order: who goes first is first."""
    if state.queue_order is QueueOrder.PROGRESSIVE:
        # Whoever has spoken least goes first; ties by who asked first.
        return tuple(sorted(state.hands, key=lambda h: (state.airtime_of(h.participant_id), h.raised_at)))
    return tuple(sorted(state.hands, key=lambda h: h.raised_at))


def close_floor(state: SessionState, now: datetime) -> list[Event]:
    """Events that end the floor because the phase ends (hands go with the PhaseEnded event)."""
    holder = state.floor_holder
    if holder is None:
        return []
    seconds = timers.elapsed(state.floor_since, now)
    return [FloorEnded(participant_id=holder, ended_at=now, seconds=seconds)]


def _has_hand(state: SessionState, participant_id: str) -> bool:
    return any(hand.participant_id == participant_id for hand in state.hands)


def _target(actor: Actor, participant_id: str | None) -> str | Rejected:
    """Whose hand a command is about: a practitioner's own; a facilitator must name someone."""
    if actor.role is Role.PARTICIPANT:
        if participant_id not in (None, actor.id):
            return Rejected("forbidden", _("You can only raise or lower your own hand."))
        return actor.id
    if participant_id is None:
        return Rejected("missing_participant", _("Say whose hand this is."))
    return participant_id


def _check_open_floor(state: SessionState) -> Rejected | None:
    if state.turn_based:
        return Rejected("turn_based", _("This phase goes in turns; there is no hand queue."))
    return None


# -- decide ------------------------------------------------------------------------------------


def raise_hand(state: SessionState, command: RaiseHand, actor: Actor, now: datetime) -> Decision:
    """Join the hand queue."""
    target = _target(actor, command.participant_id)
    if isinstance(target, Rejected):
        return target
    if (refusal := _check_open_floor(state)) is not None:
        return refusal
    if state.member(target) is None:
        return Rejected("unknown_participant", _("That person hasn't joined."))
    if state.floor_holder == target:
        return Rejected("has_floor", _("The floor is already theirs."))
    if _has_hand(state, target):
        return Rejected("hand_already_raised", _("That hand is already raised."))
    return [HandRaised(participant_id=target, at=now)]


def lower_hand(state: SessionState, command: LowerHand, actor: Actor, now: datetime) -> Decision:
    """Leave the hand queue."""
    target = _target(actor, command.participant_id)
    if isinstance(target, Rejected):
        return target
    if not _has_hand(state, target):
        return Rejected("hand_not_raised", _("That hand isn't raised."))
    return [HandLowered(participant_id=target)]


def give_floor(state: SessionState, command: GiveFloor, actor: Actor, now: datetime) -> Decision:
    """Give someone (by default the first in the queue) the floor, ending the holder's."""
    if (refusal := _check_open_floor(state)) is not None:
        return refusal
    target = command.participant_id
    if target is None:
        waiting = queue(state)
        if not waiting:
            return Rejected("queue_empty", _("No hands are raised."))
        target = waiting[0].participant_id
    if state.member(target) is None:
        return Rejected("unknown_participant", _("That person hasn't joined."))
    if state.floor_holder == target:
        return Rejected("has_floor", _("The floor is already theirs."))
    return [*close_floor(state, now), FloorGiven(participant_id=target, started_at=now)]


def end_floor(state: SessionState, command: EndFloor, actor: Actor, now: datetime) -> Decision:
    """The holder, or the facilitator, ends the floor."""
    if actor.role is Role.PARTICIPANT and actor.id != state.floor_holder:
        return Rejected("not_your_floor", _("You don't have the floor."))
    if state.floor_holder is None:
        return Rejected("no_floor", _("No one has the floor."))
    return close_floor(state, now)


def set_queue_order(
    state: SessionState, command: SetQueueOrder, actor: Actor, now: datetime
) -> Decision:
    """Order the queue first come, first served, or by least airtime."""
    if (refusal := _check_open_floor(state)) is not None:
        return refusal
    return [] if command.order is state.queue_order else [QueueOrderSet(order=command.order)]


# -- apply -------------------------------------------------------------------------------------


def _without(state: SessionState, participant_id: str) -> tuple[Hand, ...]:
    return tuple(hand for hand in state.hands if hand.participant_id != participant_id)


def _raised(state: SessionState, event: HandRaised) -> SessionState:
    hands = (*state.hands, Hand(participant_id=event.participant_id, raised_at=event.at))
    return evolve(state, hands=hands)


def _lowered(state: SessionState, event: HandLowered) -> SessionState:
    return evolve(state, hands=_without(state, event.participant_id))


def _given(state: SessionState, event: FloorGiven) -> SessionState:
    return evolve(
        state,
        hands=_without(state, event.participant_id),
        floor_holder=event.participant_id,
        floor_since=event.started_at,
    )


def _ended(state: SessionState, event: FloorEnded) -> SessionState:
    state = evolve(state, floor_holder=None, floor_since=None)
    return credit_airtime(state, event.participant_id, event.seconds)


def _order_set(state: SessionState, event: QueueOrderSet) -> SessionState:
    return evolve(state, queue_order=event.order)


RULES: dict[str, Rule] = {
    "raise_hand": Rule(PEOPLE, raise_hand),
    "lower_hand": Rule(PEOPLE, lower_hand),
    "give_floor": Rule(FACILITATOR_ONLY, give_floor),
    "end_floor": Rule(PEOPLE, end_floor),
    "set_queue_order": Rule(FACILITATOR_ONLY, set_queue_order),
}

APPLIERS: dict[type, Applier] = {
    HandRaised: _raised,
    HandLowered: _lowered,
    FloorGiven: _given,
    FloorEnded: _ended,
    QueueOrderSet: _order_set,
}
