"""Who takes part: practitioners join the roster (once) and stay in it."""

from __future__ import annotations

from datetime import datetime

from exchange.i18n import _
from exchange.sessions.activities import turns
from exchange.sessions.activities.base import Applier, Decision, Rejected, Rule
from exchange.sessions.commands import MAX_ORDER_LENGTH, Actor, Join, Role
from exchange.sessions.events import ParticipantJoined
from exchange.sessions.state import Member, SessionState, Status, evolve

#: The most practitioners one exchange takes; keeps every order within its bounds.
MAX_ROSTER = MAX_ORDER_LENGTH


def join(state: SessionState, command: Join, actor: Actor, now: datetime) -> Decision:
    """Add the acting practitioner to the roster; someone already in it yields no events."""
    if state.member(actor.id) is not None:
        return []
    if state.status is Status.ENDED:
        return Rejected("ended", _("This exchange has ended."))
    if len(state.roster) >= MAX_ROSTER:
        return Rejected("full", _("This exchange is full."))
    joined = ParticipantJoined(participant_id=actor.id, name=command.name)
    return [joined, *turns.welcome(state, actor.id)]


def _joined(state: SessionState, event: ParticipantJoined) -> SessionState:
    member = Member(id=event.participant_id, name=event.name)
    return evolve(state, roster=(*state.roster, member))


RULES: dict[str, Rule] = {
    "join": Rule(frozenset({Role.PARTICIPANT}), join, needs_live=False, needs_member=False),
}

APPLIERS: dict[type, Applier] = {
    ParticipantJoined: _joined,
}
