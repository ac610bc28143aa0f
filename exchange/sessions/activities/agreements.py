"""The ground rules everyone accepts: who has, for the facilitator's console."""

from __future__ import annotations

from datetime import datetime

from exchange.sessions.activities.agreements_data import (
    Acceptance,
    AcceptAgreements,
    AgreementsAccepted,
)
from exchange.sessions.activities.base import JSON, Applier, Decision, Rule, iso
from exchange.sessions.commands import Actor, Role
from exchange.sessions.state import SessionState, evolve


def has_accepted(state: SessionState, participant_id: str) -> bool:
    return any(a.participant_id == participant_id for a in state.agreements.accepted)


def accept_agreements(state: SessionState, command: AcceptAgreements, actor: Actor, now: datetime) -> Decision:
    """Record that a practitioner accepts the agreements (at any point of a live exchange)."""
    if has_accepted(state, actor.id):
        return []
    return [AgreementsAccepted(participant_id=actor.id, at=now)]


def _accepted(state: SessionState, event: AgreementsAccepted) -> SessionState:
    accepted = (*state.agreements.accepted, Acceptance(event.participant_id, event.at))
    return evolve(state, agreements=evolve(state.agreements, accepted=accepted))


RULES: dict[str, Rule] = {
    "accept_agreements": Rule(frozenset({Role.PARTICIPANT}), accept_agreements),
}

APPLIERS: dict[type, Applier] = {
    AgreementsAccepted: _accepted,
}


def facilitator(state: SessionState) -> JSON:
    """Who has accepted (and when), and who hasn't yet."""
    return {
        "agreements_accepted": [
            {"id": a.participant_id, "name": state.name_of(a.participant_id), "at": iso(a.at)}
            for a in state.agreements.accepted
        ],
        "agreements_pending": [
            {"id": m.id, "name": m.name} for m in state.roster if not has_accepted(state, m.id)
        ],
    }


def personal(state: SessionState, participant_id: str) -> JSON:
    return {"agreements_accepted": has_accepted(state, participant_id)}


def subjects(event: object) -> frozenset[str]:
    if isinstance(event, AgreementsAccepted):
        return frozenset({event.participant_id})
    return frozenset()
