"""What every activity module speaks: a refusal, a rule for a command, and an applier for an event."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from exchange.i18n import _
from exchange.prompts.models import ActivityKind
from exchange.sessions.commands import Actor, Role
from exchange.sessions.events import Event
from exchange.sessions.state import SessionState, evolve
from exchange.timeutil import iso_utc


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

#: Below this many people, no summary of anonymous answers (votes, feedback) is shown to anyone,
#: live or in an export: a total of one or two answers gives them away.
MIN_GROUP = 3

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
        evolve(m, airtime=m.airtime + seconds) if m.id == participant_id else m
        for m in state.roster
    )
    return evolve(state, roster=roster)


def check_kind(state: SessionState, kinds: frozenset[ActivityKind], message: str) -> Rejected | None:
    """Refuse with `message` unless the running phase is one of `kinds`."""
    phase = state.phase
    if phase is None or phase.kind not in kinds:
        return Rejected("wrong_phase", message)
    return None


def too_many(count: int, limit: int) -> Rejected | None:
    """Refuse when a collection already holds `limit` items (bounds the log and the views)."""
    if count >= limit:
        return Rejected("too_many", _("There are too many of these already."))
    return None


#: JSON as the views speak it.
JSON = dict[str, Any]


@functools.lru_cache(maxsize=8192)
def iso(moment: datetime | None) -> str | None:
    """A time as the views speak it: ISO 8601 in UTC with a "Z".

    Cached: views show the same few moments (a start, a deadline, when a hand went up) again with
    every rebuild, and formatting one costs ten times a cache lookup.
    """
    return None if moment is None else iso_utc(moment)
