"""Moderation: the facilitator hides a card, reflection, recall, draft text or closing comment from every
screen and every export in one action, and can undo it.

Hiding is an event in the log (nothing is rewritten): views and exports leave the item out while it is
hidden, and it comes back when it is shown again. The hide names the item's authors so that their own
page can tell them (personal view); the privacy policy gives them to no one else, so hiding an
anonymous card teaches the facilitator nothing about who wrote it. Closing comments are hidden by
their text (every answer of the phase with that text), and only while the facilitator is shown the
texts at all: otherwise a refusal or an acceptance would tell whether someone wrote a given text.
Allowed live and after the end, since the record is read and released afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from exchange.i18n import _
from exchange.prompts.models import ActivityKind
from exchange.sessions.activities import cards, draft, feedback, stories
from exchange.sessions.activities.base import FACILITATOR_ONLY, JSON, Applier, Decision, Rejected, Rule, too_many
from exchange.sessions.activities.moderation_data import (
    MAX_HIDDEN,
    HiddenItem,
    HiddenKind,
    HideItem,
    ItemHidden,
    ItemUnhidden,
    UnhideItem,
    comment_ref,
    kind_of,
    phase_of,
)
from exchange.sessions.commands import Actor
from exchange.sessions.state import SessionState, evolve


@dataclass(frozen=True, slots=True)
class Target:
    """What a ref names now: who wrote it (never shown but to them), its text, and where it is."""

    kind: HiddenKind
    phase_index: int | None
    text: str
    authors: tuple[str, ...]
    version: int | None = None  # a draft section's current version


def _card(state: SessionState, ref: str) -> Target | None:
    card = cards.find(state, ref)
    if card is None or card.withdrawn:
        return None
    text = " / ".join(value for _key, value in card.fields if value)
    return Target(HiddenKind.CARD, card.phase_index, text, (card.author_id,))


def _reflection(state: SessionState, ref: str) -> Target | None:
    for reflection in state.stories.reflections:
        if reflection.id == ref:
            story = stories.find(state, reflection.story_id)
            if story is None or story.withdrawn:
                return None
            return Target(HiddenKind.REFLECTION, story.phase_index, reflection.text, (reflection.author_id,))
    return None


def _recall(state: SessionState, ref: str) -> Target | None:
    for recall in state.stories.recalls:
        if recall.id == ref:
            story = stories.find(state, recall.story_id) if recall.story_id else None
            if recall.story_id is not None and (story is None or story.withdrawn):
                return None
            return Target(HiddenKind.RECALL, recall.phase_index, recall.text, (recall.author_id,))
    return None


def _phase_kind(state: SessionState, phase_index: int) -> ActivityKind | None:
    plan = state.plan
    if plan is None or phase_index >= len(plan.phases):
        return None
    return plan.phases[phase_index].kind


def _section(state: SessionState, ref: str) -> Target | None:
    _prefix, phase, number = ref.split("-")
    phase_index, index = int(phase), int(number)
    if _phase_kind(state, phase_index) is not ActivityKind.DRAFT:
        return None
    assert state.plan is not None
    if index >= len(state.plan.phases[phase_index].sections):
        return None
    current = draft.section(state, phase_index, index)
    if not current.text or current.editor_id is None:
        return None
    return Target(HiddenKind.SECTION, phase_index, current.text, (current.editor_id,), current.version)


def _comment(state: SessionState, ref: str) -> Target | None:
    phase_index = phase_of(ref)
    assert phase_index is not None
    if _phase_kind(state, phase_index) is not ActivityKind.FEEDBACK:
        return None
    matching = [a for a in feedback.answers_of(state, phase_index) if a.text and comment_ref(phase_index, a.text) == ref]
    if not matching:
        return None
    authors = tuple(sorted({a.participant_id for a in matching}))
    return Target(HiddenKind.COMMENT, phase_index, matching[0].text, authors)


_FINDERS = {
    HiddenKind.CARD: _card,
    HiddenKind.REFLECTION: _reflection,
    HiddenKind.RECALL: _recall,
    HiddenKind.SECTION: _section,
    HiddenKind.COMMENT: _comment,
}


def target(state: SessionState, ref: str) -> Target | None:
    """The standing item a ref names, or None (withdrawn, never written, or no answer with that text)."""
    return _FINDERS[kind_of(ref)](state, ref)


def comments_shown(state: SessionState, ref: str) -> bool:
    """Whether the facilitator is shown the texts of the comment's phase (the summary, from MIN_GROUP up)."""
    phase_index = phase_of(ref)
    return phase_index is not None and feedback.texts_shown(state, phase_index)


def in_effect(state: SessionState, item: HiddenItem) -> Target | None:
    """The item a hide keeps off the screens now, or None (withdrawn since, or a section written again)."""
    found = target(state, item.ref)
    if found is None or (found.kind is HiddenKind.SECTION and found.version != item.version):
        return None
    return found


# -- decide --------------------------------------------------------------------------------------


def hide_item(state: SessionState, command: HideItem, actor: Actor, now: datetime) -> Decision:
    """Hide a standing item from every screen and export."""
    unknown = Rejected("unknown_item", _("There is no such item to hide."))
    if kind_of(command.ref) is HiddenKind.COMMENT and not comments_shown(state, command.ref):
        return unknown  # the same answer as for no such text: nothing to learn from trying
    found = target(state, command.ref)
    if found is None:
        return unknown
    existing = state.moderation.find(command.ref)
    if existing is not None and existing.version == found.version:
        return Rejected("already_hidden", _("That is hidden already."))
    if (refusal := too_many(len(state.moderation.hidden), MAX_HIDDEN)) is not None:
        return refusal
    return [ItemHidden(ref=command.ref, reason=command.reason, version=found.version, author_ids=found.authors)]


def unhide_item(state: SessionState, command: UnhideItem, actor: Actor, now: datetime) -> Decision:
    """Show a hidden item again (whoever was told it was hidden is told it is back)."""
    existing = state.moderation.find(command.ref)
    if existing is None:
        return Rejected("not_hidden", _("That isn't hidden."))
    found = target(state, command.ref)
    authors = sorted({*existing.author_ids, *(found.authors if found is not None else ())})
    return [ItemUnhidden(ref=command.ref, author_ids=tuple(authors))]


# -- apply ---------------------------------------------------------------------------------------


def _hidden(state: SessionState, event: ItemHidden) -> SessionState:
    kept = tuple(item for item in state.moderation.hidden if item.ref != event.ref)
    item = HiddenItem(ref=event.ref, reason=event.reason, author_ids=event.author_ids, version=event.version)
    return evolve(state, moderation=evolve(state.moderation, hidden=(*kept, item)))


def _unhidden(state: SessionState, event: ItemUnhidden) -> SessionState:
    kept = tuple(item for item in state.moderation.hidden if item.ref != event.ref)
    return evolve(state, moderation=evolve(state.moderation, hidden=kept))


RULES: dict[str, Rule] = {
    "hide_item": Rule(FACILITATOR_ONLY, hide_item, needs_live=False, needs_member=False),
    "unhide_item": Rule(FACILITATOR_ONLY, unhide_item, needs_live=False, needs_member=False),
}

APPLIERS: dict[type, Applier] = {
    ItemHidden: _hidden,
    ItemUnhidden: _unhidden,
}


# -- views ---------------------------------------------------------------------------------------


def facilitator(state: SessionState) -> JSON:
    """What is hidden, for the console's Undo: never who wrote it.

    A comment is listed whatever the answers are now (a list that changed when someone rewrote
    theirs would tell when they did) and shows its text only while the summary shows the texts.
    """
    listed: list[JSON] = []
    for item in state.moderation.hidden:
        kind = kind_of(item.ref)
        if kind is HiddenKind.COMMENT:
            found = target(state, item.ref) if comments_shown(state, item.ref) else None
            listed.append({"ref": item.ref, "kind": kind.value, "phase_index": phase_of(item.ref),
                           "text": found.text if found else None, "reason": item.reason})  # fmt: skip
            continue
        found = in_effect(state, item)
        if found is not None:
            listed.append({"ref": item.ref, "kind": kind.value, "phase_index": found.phase_index,
                           "text": found.text, "reason": item.reason})  # fmt: skip
    return {"hidden": listed}


def personal(state: SessionState, participant_id: str) -> JSON:
    """One's own items the facilitator hid, with the reason they gave."""
    mine: list[JSON] = []
    for item in state.moderation.hidden:
        found = in_effect(state, item)
        if found is not None and participant_id in found.authors:
            mine.append({"ref": item.ref, "kind": found.kind.value, "phase_index": found.phase_index,
                         "text": found.text, "reason": item.reason})  # fmt: skip
    return {"hidden_items": mine}


def subjects(event: object) -> frozenset[str]:
    if isinstance(event, ItemHidden | ItemUnhidden):
        return frozenset(event.author_ids)
    return frozenset()
