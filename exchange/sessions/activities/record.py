"""The record: anyone marks their own contributions off the record (kept out of every export).

Allowed during the exchange and after it, whatever the phase: a practitioner reviewing the draft
transcript changes their mind here. Withdrawing a story (stories.py) goes further: it leaves every
view too.
"""

from __future__ import annotations

from datetime import datetime

from exchange.i18n import _
from exchange.sessions.activities.base import Applier, Decision, Rejected, Rule
from exchange.sessions.activities.record_data import OffRecordSet, SetOffRecord
from exchange.sessions.commands import Actor, Role
from exchange.sessions.state import SessionState, evolve


def authored(state: SessionState, item_id: str) -> tuple[str, bool] | None:
    """The author of a standing contribution and whether it is anonymous; None if there is none."""
    stories = state.stories
    for story in stories.stories:
        if story.id == item_id:
            return None if story.withdrawn else (story.teller_id, False)
    for entry in (*stories.reflections, *stories.recalls):
        if entry.id == item_id:
            return entry.author_id, False
    for card in state.cards.cards:
        if card.id == item_id:
            return None if card.withdrawn else (card.author_id, card.anonymous)
    for action in state.discussion.actions:
        if action.id == item_id:
            return None if action.removed else (action.author_id, False)
    for point in state.discussion.points:
        if point.id == item_id:
            return None if point.removed or point.participant_id is None else (point.participant_id, False)
    return None


def set_off_record(state: SessionState, command: SetOffRecord, actor: Actor, now: datetime) -> Decision:
    """Keep one's own contribution out of every export (or bring it back in)."""
    found = authored(state, command.item_id)
    if found is None:
        return Rejected("unknown_item", _("There is no such contribution."))
    author, anonymous = found
    if author != actor.id:
        return Rejected("not_yours", _("You can only do that for your own contributions."))
    if (command.item_id in state.record.off_record) == command.off_record:
        return []
    return [OffRecordSet(item_id=command.item_id, author_id=actor.id, off_record=command.off_record, anonymous=anonymous)]


def _off_record(state: SessionState, event: OffRecordSet) -> SessionState:
    current = state.record.off_record
    marked = current | {event.item_id} if event.off_record else current - {event.item_id}
    return evolve(state, record=evolve(state.record, off_record=marked))


RULES: dict[str, Rule] = {
    "set_off_record": Rule(frozenset({Role.PARTICIPANT}), set_off_record, needs_live=False),
}

APPLIERS: dict[type, Applier] = {
    OffRecordSet: _off_record,
}


def off_record(state: SessionState, item_id: str) -> bool:
    return item_id in state.record.off_record


def personal(state: SessionState, participant_id: str) -> dict[str, list[str]]:
    """What one has marked off the record (one's anonymous cards included)."""
    mine = [
        item_id
        for item_id in sorted(state.record.off_record)
        if (found := authored(state, item_id)) is not None and found[0] == participant_id
    ]
    return {"off_record": mine}


def subjects(event: object) -> frozenset[str]:
    if isinstance(event, OffRecordSet):
        return frozenset({event.author_id})
    return frozenset()
