"""PURE: decide what a command does to an exchange, and fold what happened into its state.

The machine is a dispatcher: each activity module (roster, phases, timers, turns, hands, and one
per activity kind) brings the rules for its commands and the appliers for its events.
Nothing here reads a clock, does I/O or keeps state between calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import TypeVar

from exchange.i18n import _
from exchange.sessions.activities import (
    agreements,
    card_groups,
    cards,
    discussion,
    draft,
    feedback,
    hands,
    leading,
    moderation,
    notes,
    phases,
    prepared,
    record,
    redaction,
    roster,
    selection,
    stories,
    timers,
    turns,
)
from exchange.sessions.activities.base import Applier, Decision, Rejected, Rule
from exchange.sessions.commands import Actor, Command, Role
from exchange.sessions.events import Event, EventEnvelope
from exchange.sessions.state import SessionState, Status, evolve

__all__ = [
    "APPLIERS",
    "RULES",
    "Decision",
    "Rejected",
    "SequenceGap",
    "apply",
    "apply_envelope",
    "decide",
    "envelop",
    "next_deadline",
    "rebuild",
]

_MODULES = (
    roster, phases, timers, turns, hands,
    agreements, stories, cards, discussion, draft, feedback, notes, record, redaction, selection, moderation,
    leading, prepared, card_groups,
)  # fmt: skip

K = TypeVar("K")
V = TypeVar("V")


def _merged(tables: Iterable[Mapping[K, V]]) -> dict[K, V]:
    merged: dict[K, V] = {}
    for table in tables:
        if clash := merged.keys() & table.keys():
            raise RuntimeError(f"two activity modules claim {sorted(map(str, clash))}")
        merged.update(table)
    return merged


#: command type -> who may send it and what decides it; read-only, built once at import.
RULES: Mapping[str, Rule] = MappingProxyType(_merged(m.RULES for m in _MODULES))
#: event class -> how it folds into state.
APPLIERS: Mapping[type, Applier] = MappingProxyType(_merged(m.APPLIERS for m in _MODULES))


class SequenceGap(ValueError):
    """An envelope arrived before the ones between it and the state's last_seq."""


def decide(state: SessionState, command: Command, actor: Actor, now: datetime) -> Decision:
    """The events `command` by `actor` at `now` causes, or why it is refused; never mutates or raises."""
    now = timers.as_utc(now)
    rule = RULES.get(command.type)
    if rule is None:
        return Rejected("unknown_command", _("That command isn't known."))
    if actor.role not in rule.roles:
        return Rejected("forbidden", _("You aren't allowed to do that."))
    if rule.needs_member and actor.role is Role.PARTICIPANT and state.member(actor.id) is None:
        return Rejected("not_joined", _("Join the exchange first."))
    if rule.needs_live and state.status is not Status.LIVE:
        if state.status is Status.ENDED:
            return Rejected("ended", _("This exchange has ended."))
        return Rejected("not_live", _("The exchange hasn't started yet."))
    if actor.role is Role.FACILITATOR and command.type in leading.STEERING:
        # Several facilitators may run an exchange; only the one leading the console steers it.
        if (refusal := leading.check_steering(state, actor)) is not None:
            return refusal
        decision = rule.decide(state, command, actor, now)
        return decision if isinstance(decision, Rejected) else leading.taken(state, actor, now, decision)
    return rule.decide(state, command, actor, now)


def apply(state: SessionState, event: Event) -> SessionState:
    """The state after `event`; pure, and total for every event `decide` produces."""
    return APPLIERS[type(event)](state, event)


def apply_envelope(state: SessionState, envelope: EventEnvelope) -> SessionState:
    """Apply the next envelope and record its seq; an already-applied seq is ignored (redelivery).

    Raises SequenceGap when seq skips ahead (read the missing events from the log first) and
    ValueError for another exchange's envelope.
    """
    if envelope.exchange_id != state.exchange_id:
        raise ValueError(f"envelope of exchange {envelope.exchange_id} given to {state.exchange_id}")
    if envelope.seq <= state.last_seq:
        return state
    if envelope.seq != state.last_seq + 1:
        raise SequenceGap(f"expected seq {state.last_seq + 1}, got {envelope.seq}")
    state = apply(state, envelope.event)
    return _with_seq(state, envelope.seq)


def _with_seq(state: SessionState, seq: int) -> SessionState:
    return evolve(state, last_seq=seq)


def rebuild(exchange_id: int, envelopes: Iterable[EventEnvelope]) -> SessionState:
    """The state of an exchange folded from its log, from seq 1."""
    state = SessionState.initial(exchange_id)
    for envelope in envelopes:
        state = apply_envelope(state, envelope)
    return state


def envelop(
    *,
    state: SessionState,
    events: Sequence[Event],
    at: datetime,
    actor: Actor,
    command_id: str | None = None,
) -> list[EventEnvelope]:
    """Number `events` after `state.last_seq`, ready to append to the log."""
    return [
        EventEnvelope(
            exchange_id=state.exchange_id,
            seq=state.last_seq + offset,
            at=timers.as_utc(at),
            actor=actor,
            command_id=command_id,
            event=event,
        )
        for offset, event in enumerate(events, start=1)
    ]


def next_deadline(state: SessionState) -> datetime | None:
    """The earliest running deadline not yet signalled: when the timer task should send `tick`."""
    if state.status is not Status.LIVE:
        return None
    pending = [
        timer.deadline
        for timer in (state.phase_timer, state.turns.timer)
        if timer.deadline is not None and not timer.time_up
    ]
    if (lead_due := leading.deadline(state)) is not None:
        pending.append(lead_due)
    return min(pending, default=None)
