"""The exchange's lifecycle and its phases: start, move between phases, expire, end."""

from __future__ import annotations

from datetime import datetime

from exchange.i18n import _
from exchange.prompts.models import OnExpiry
from exchange.sessions.activities import hands, leading, timers, turns
from exchange.sessions.activities.base import (
    FACILITATOR_ONLY,
    Applier,
    Decision,
    Rejected,
    Rule,
)
from exchange.sessions.commands import (
    Actor,
    EndExchange,
    GotoPhase,
    NextPhase,
    PreviousPhase,
    Role,
    StartExchange,
    Tick,
    TimerKind,
)
from exchange.sessions.events import (
    Event,
    ExchangeEnded,
    ExchangeStarted,
    PhaseEnded,
    PhaseStarted,
    TimeUp,
)
from exchange.sessions.state import PhaseRecord, SessionState, Status, Timer, Turns, evolve


def _open(state: SessionState, index: int, now: datetime) -> list[Event]:
    assert state.plan is not None
    deadline = timers.after(now, state.plan.phases[index].minutes * 60)
    started = PhaseStarted(index=index, started_at=now, deadline=deadline)
    return [started, *turns.open_round(state, index)]


def _close(state: SessionState, now: datetime) -> list[Event]:
    assert state.phase_index is not None
    return [
        *turns.close_round(state, now),
        *hands.close_floor(state, now),
        PhaseEnded(index=state.phase_index, ended_at=now),
    ]


def _move(state: SessionState, index: int, now: datetime) -> list[Event]:
    return [*_close(state, now), *_open(state, index, now)]


def _finish(state: SessionState, now: datetime) -> list[Event]:
    return [*_close(state, now), ExchangeEnded(ended_at=now)]


# -- decide ------------------------------------------------------------------------------------


def start_exchange(
    state: SessionState, command: StartExchange, actor: Actor, now: datetime
) -> Decision:
    """Go live with the plan the edge supplied, starting phase 0."""
    if state.status is not Status.WAITING:
        return Rejected("already_started", _("This exchange has already started."))
    if command.plan is None:
        return Rejected("no_plan", _("This exchange has no phase plan yet."))
    # Fold the plan in first: opening phase 0 reads it (for turn order).
    started = ExchangeStarted(plan=command.plan, started_at=now)
    return [started, *_open(_exchange_started(state, started), 0, now)]


def next_phase(state: SessionState, command: NextPhase, actor: Actor, now: datetime) -> Decision:
    """End this phase and start the next."""
    assert state.plan is not None and state.phase_index is not None
    if state.phase_index + 1 >= len(state.plan.phases):
        return Rejected("last_phase", _("This is the last phase; end the exchange instead."))
    return _move(state, state.phase_index + 1, now)


def previous_phase(
    state: SessionState, command: PreviousPhase, actor: Actor, now: datetime
) -> Decision:
    """End this phase and go back to the one before."""
    assert state.phase_index is not None
    if state.phase_index == 0:
        return Rejected("first_phase", _("This is the first phase; there is none before it."))
    return _move(state, state.phase_index - 1, now)


def goto_phase(state: SessionState, command: GotoPhase, actor: Actor, now: datetime) -> Decision:
    """End this phase and start the one at `index`."""
    assert state.plan is not None
    if command.index >= len(state.plan.phases):
        return Rejected("no_such_phase", _("There is no phase with that number."))
    if command.index == state.phase_index:
        return Rejected("same_phase", _("That phase is already running."))
    return _move(state, command.index, now)


def end_exchange(state: SessionState, command: EndExchange, actor: Actor, now: datetime) -> Decision:
    """End whatever is running and close the exchange."""
    return _finish(state, now)


def tick(state: SessionState, command: Tick, actor: Actor, now: datetime) -> Decision:
    """Act on every deadline that has passed by `now`; nothing due (or not live) is no events."""
    plan, index = state.plan, state.phase_index
    if state.status is not Status.LIVE or plan is None or index is None:
        return []
    # A lead who stayed away: offered to the others first; the timers below run on regardless.
    lead_events = leading.expire(state, now)
    if lead_events:
        return lead_events  # the next tick, at once, handles whatever else is due
    phase_due = timers.is_due(state.phase_timer, now)
    if phase_due and plan.phases[index].on_expiry is OnExpiry.ADVANCE:
        # Moving on ends the turn too, so the turn timer needs no handling of its own.
        if index + 1 < len(plan.phases):
            return _move(state, index + 1, now)
        return _finish(state, now)
    events = turns.expire(state, now)
    if phase_due:
        events.append(TimeUp(timer=TimerKind.PHASE))
    return events


# -- apply -------------------------------------------------------------------------------------


def _exchange_started(state: SessionState, event: ExchangeStarted) -> SessionState:
    return evolve(
        state,
        status=Status.LIVE,
        plan=event.plan,
        started_at=event.started_at,
        phases=tuple(PhaseRecord() for _phase in event.plan.phases),
    )


def _phase_started(state: SessionState, event: PhaseStarted) -> SessionState:
    assert state.plan is not None
    records = list(state.phases)
    first = records[event.index].started_at or event.started_at
    records[event.index] = PhaseRecord(started_at=first, ended_at=None)
    return evolve(
        state,
        phase_index=event.index,
        phases=tuple(records),
        phase_timer=Timer(deadline=event.deadline),
        turns=Turns(),
        hands=(),
        queue_order=state.plan.phases[event.index].queue_order,
        floor_holder=None,
        floor_since=None,
    )


def _phase_ended(state: SessionState, event: PhaseEnded) -> SessionState:
    records = list(state.phases)
    records[event.index] = evolve(records[event.index], ended_at=event.ended_at)
    # Turns and floor were ended by their own events; what is left of the phase simply goes.
    return evolve(
        state, phases=tuple(records), phase_timer=Timer(), turns=Turns(), hands=()
    )


def _exchange_ended(state: SessionState, event: ExchangeEnded) -> SessionState:
    return evolve(state, status=Status.ENDED, ended_at=event.ended_at, phase_index=None)


RULES: dict[str, Rule] = {
    "start_exchange": Rule(FACILITATOR_ONLY, start_exchange, needs_live=False),
    "next_phase": Rule(FACILITATOR_ONLY, next_phase),
    "previous_phase": Rule(FACILITATOR_ONLY, previous_phase),
    "goto_phase": Rule(FACILITATOR_ONLY, goto_phase),
    "end_exchange": Rule(FACILITATOR_ONLY, end_exchange),
    "tick": Rule(frozenset({Role.SYSTEM}), tick, needs_live=False),
}

APPLIERS: dict[type, Applier] = {
    ExchangeStarted: _exchange_started,
    PhaseStarted: _phase_started,
    PhaseEnded: _phase_ended,
    ExchangeEnded: _exchange_ended,
}
