"""Redaction: a programme lead takes a contribution out of every export, with a reason, as an event.

The contribution stays in the log (the log is never rewritten); transcripts.build leaves it out.
Allowed whether the exchange is live or over, since leads usually redact after reading a transcript.
"""

from __future__ import annotations

from datetime import datetime

from exchange.i18n import _
from exchange.sessions.activities.base import Applier, Decision, Rejected, Rule, too_many
from exchange.sessions.activities.redaction_data import (
    MAX_REDACTIONS,
    ContributionRedacted,
    RedactContribution,
    Redaction,
)
from exchange.sessions.commands import Actor, Role
from exchange.sessions.state import SessionState, evolve


def contribution_ids(state: SessionState) -> frozenset[str]:
    """Every id a lead may redact: stories, reflections, recalls, cards, actions and points made."""
    stories = state.stories
    return frozenset(
        [s.id for s in stories.stories]
        + [r.id for r in stories.reflections]
        + [r.id for r in stories.recalls]
        + [c.id for c in state.cards.cards]
        + [a.id for a in state.discussion.actions]
        + [p.id for p in state.discussion.points]
    )


def redact(state: SessionState, command: RedactContribution, actor: Actor, now: datetime) -> Decision:
    """Redact an existing contribution; redacting it again with the same reason changes nothing."""
    if command.item_id not in contribution_ids(state):
        return Rejected("unknown_item", _("There is no such contribution."))
    for existing in state.redactions.redactions:
        if existing.item_id == command.item_id and existing.reason == command.reason:
            return []
    if (refusal := too_many(len(state.redactions.redactions), MAX_REDACTIONS)) is not None:
        return refusal
    return [ContributionRedacted(item_id=command.item_id, reason=command.reason, by=actor.id, at=now)]


def _redacted(state: SessionState, event: ContributionRedacted) -> SessionState:
    kept = tuple(r for r in state.redactions.redactions if r.item_id != event.item_id)
    redactions = (*kept, Redaction(item_id=event.item_id, reason=event.reason, by=event.by))
    return evolve(state, redactions=evolve(state.redactions, redactions=redactions))


RULES: dict[str, Rule] = {
    "redact_contribution": Rule(frozenset({Role.LEAD}), redact, needs_live=False, needs_member=False),
}

APPLIERS: dict[type, Applier] = {
    ContributionRedacted: _redacted,
}
