"""What every activity module speaks: a refusal, a rule for a command, and an applier for an event."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from exchange.sessions.commands import Actor, Role
from exchange.sessions.events import Event
from exchange.sessions.state import SessionState


@dataclass(frozen=True, slots=True)
class Rejected:
    """A refused command: a machine-readable code and a sentence a person can read."""

    code: str
    message: str


Decision = list[Event] | Rejected
#: decide for one command type; receives a command already checked for role, roster and status.
Decider = Callable[[SessionState, Any, Actor, datetime], Decision]
#: apply for one event type; never fails for events its decider produced.
Applier = Callable[[SessionState, Any], SessionState]

FACILITATOR_ONLY = frozenset({Role.FACILITATOR})
PEOPLE = frozenset({Role.FACILITATOR, Role.PARTICIPANT})


@dataclass(frozen=True, slots=True)
class Rule:
    """Who may send a command, what the exchange must be, and what decides it."""

    roles: frozenset[Role]
    decide: Decider
    needs_live: bool = True  # refused unless the exchange is LIVE
    needs_member: bool = True  # a practitioner must have joined first


def credit_airtime(state: SessionState, participant_id: str, seconds: float) -> SessionState:
    """`state` with `seconds` added to a member's airtime (sums stay in event order: deterministic)."""
    roster = tuple(
        dataclasses.replace(m, airtime=m.airtime + seconds) if m.id == participant_id else m
        for m in state.roster
    )
    return dataclasses.replace(state, roster=roster)
