"""PURE: what the record holds of one practitioner, for their own eyes only.

The review page and the "my contributions" download read it. It is built from the whole log (their
anonymous cards are theirs to see), but holds nothing of anyone else: only items they made, each with
where it stands in the record and what they may still do about it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from exchange.sessions.activities.moderation_data import section_ref
from exchange.sessions.state import SessionState
from exchange.transcripts.build import Folded, people
from exchange.transcripts.model import RosterEntry


class Standing(StrEnum):
    """Where one of a person's contributions stands in the record."""

    IN_RECORD = "in_record"
    OFF_RECORD = "off_record"  # their own choice; they can bring it back
    WITHDRAWN = "withdrawn"  # a story they took back, or a card they withdrew
    REMOVED = "removed"  # taken off by the facilitator (an action or a point) or redacted by the programme
    HIDDEN = "hidden"  # hidden by the facilitator (moderation); shown again if they undo it


@dataclass(frozen=True, slots=True)
class OwnItem:
    id: str
    kind: str  # story, reflection, recall, card, action, point, draft_section
    phase_title: str
    text: str
    at: datetime | None
    standing: Standing
    anonymous: bool = False  # an anonymous card: in the record, but never with their name
    can_toggle: bool = False  # they may move it off the record or back on
    can_withdraw: bool = False  # a standing story they may withdraw
    reason: str = ""  # why the facilitator hid it, if they said


@dataclass(frozen=True, slots=True)
class OwnRecord:
    label: str  # how the record names them now
    airtime_seconds: float
    items: tuple[OwnItem, ...]


def _phase_title(state: SessionState, index: int | None) -> str:
    plan = state.plan
    if plan is None or index is None or not 0 <= index < len(plan.phases):
        return ""
    return plan.phases[index].title


def own_record(folded: Folded, participant_id: str, roster: Mapping[str, RosterEntry]) -> OwnRecord:
    """The person's own contributions in the order they were made, and how the record names them."""
    state = folded.state
    redacted = {r.item_id for r in state.redactions.redactions}
    off = state.record.off_record
    hidden = {item.ref: item.reason for item in state.moderation.hidden}
    times = folded.times

    def standing(item_id: str, *, gone: bool = False, removed: bool = False) -> Standing:
        if gone:
            return Standing.WITHDRAWN
        if removed or item_id in redacted:
            return Standing.REMOVED
        if item_id in hidden:
            return Standing.HIDDEN
        return Standing.OFF_RECORD if item_id in off else Standing.IN_RECORD

    def toggles(s: Standing) -> bool:
        return s in (Standing.IN_RECORD, Standing.OFF_RECORD)

    items: list[OwnItem] = []
    stories = {s.id: s for s in state.stories.stories}
    for story in state.stories.stories:
        if story.teller_id != participant_id:
            continue
        s = standing(story.id, gone=story.withdrawn)
        text = f"{story.title}: {story.summary}" if story.summary else story.title
        items.append(
            OwnItem(story.id, "story", _phase_title(state, story.phase_index), text, times.get(story.id), s,
                    can_toggle=toggles(s), can_withdraw=not story.withdrawn)
        )  # fmt: skip
    for reflection in state.stories.reflections:
        if reflection.author_id != participant_id:
            continue
        on = stories.get(reflection.story_id)
        s = standing(reflection.id, removed=on is not None and on.withdrawn)
        phase = _phase_title(state, on.phase_index if on else None)
        items.append(OwnItem(reflection.id, "reflection", phase, reflection.text, times.get(reflection.id), s,
                             can_toggle=toggles(s), reason=hidden.get(reflection.id, "")))  # fmt: skip
    for recall in state.stories.recalls:
        if recall.author_id != participant_id:
            continue
        s = standing(recall.id)
        items.append(OwnItem(recall.id, "recall", _phase_title(state, recall.phase_index), recall.text, times.get(recall.id), s,
                             can_toggle=toggles(s), reason=hidden.get(recall.id, "")))  # fmt: skip
    for card in state.cards.cards:
        if card.author_id != participant_id:
            continue
        s = standing(card.id, gone=card.withdrawn)
        text = " / ".join(value for _key, value in card.fields if value)
        items.append(
            OwnItem(card.id, "card", _phase_title(state, card.phase_index), text, times.get(card.id), s,
                    anonymous=card.anonymous, can_toggle=toggles(s), reason=hidden.get(card.id, ""))
        )  # fmt: skip
    for action in state.discussion.actions:
        if action.author_id != participant_id:
            continue
        s = standing(action.id, removed=action.removed)
        phase = _phase_title(state, folded.action_phase.get(action.id))
        items.append(OwnItem(action.id, "action", phase, f"{action.what} ({action.who})", times.get(action.id), s, can_toggle=toggles(s)))
    for point in state.discussion.points:
        if point.participant_id != participant_id:
            continue
        s = standing(point.id, removed=point.removed)
        items.append(OwnItem(point.id, "point", _phase_title(state, point.phase_index), point.text, times.get(point.id), s, can_toggle=toggles(s)))
    for section in state.draft.sections:
        if section.editor_id != participant_id or not section.text:
            continue
        assert state.plan is not None
        title = state.plan.phases[section.phase_index].sections[section.index]
        key = section_ref(section.phase_index, section.index)
        s = Standing.HIDDEN if state.moderation.section_hidden(section.phase_index, section.index, section.version) else Standing.IN_RECORD
        reason = hidden.get(key, "") if s is Standing.HIDDEN else ""
        items.append(OwnItem(key, "draft_section", _phase_title(state, section.phase_index), f"{title}: {section.text}", times.get(key), s,
                             reason=reason))  # fmt: skip
    items.sort(key=lambda item: (item.at is None, item.at or datetime.min))
    shown = people(state, roster).get(participant_id)
    member = state.member(participant_id)
    return OwnRecord(
        label=shown.label if shown else "",
        airtime_seconds=member.airtime if member else 0.0,
        items=tuple(items),
    )
