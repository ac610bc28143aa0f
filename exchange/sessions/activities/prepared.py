"""Stories prepared before the call: saved as the teller types, told the way they chose (PURE).

The save is its author's alone (privacy.py: story_prepared is private to its author). What leaves
them follows their choice: *tell* and *read* stories are named, without their text, in the
facilitator's list of who prepared one; a *read* story's text is on the facilitator's console while
its teller's turn runs in a story round, to read aloud; a story reaches the record (and everyone's
page) only as the round's story, shared by its teller or, for a read one, by the facilitator who read
it. A *private* one never leaves its author, and a refusal never tells anyone else it exists.
"""

from __future__ import annotations

from datetime import datetime

from exchange.i18n import _
from exchange.sessions.activities.base import PEOPLE, JSON, Applier, Decision, Rejected, Rule, check_kind, iso, too_many
from exchange.sessions.activities.fields import item_id
from exchange.sessions.activities.prepared_data import (
    MAX_SAVES,
    Delivery,
    Prepared,
    PreparedState,
    PrepareStory,
    SharePreparedStory,
    StoryPrepared,
)
from exchange.sessions.activities.stories import STORY_KINDS, live_stories
from exchange.sessions.activities import quotas
from exchange.sessions.activities.stories_data import StoryShared
from exchange.sessions.commands import Actor, Role
from exchange.sessions.state import SessionState, Status, evolve

PRACTITIONERS = frozenset({Role.PARTICIPANT})


def prepare_story(state: SessionState, command: PrepareStory, actor: Actor, now: datetime) -> Decision:
    """Save one's prepared story (from the lobby, or any time before the end)."""
    if state.status is Status.ENDED:
        return Rejected("ended", _("This exchange has ended."))
    current = state.prepared.of(actor.id)
    if current is not None:
        if (current.title, current.text, current.delivery) == (command.title, command.text, command.delivery):
            return []  # a save that changes nothing (a page resending, a blur after the last key)
        if (refusal := too_many(current.saves, MAX_SAVES)) is not None:
            return refusal
    saved = StoryPrepared(
        teller_id=actor.id, title=command.title, text=command.text, delivery=command.delivery, at=now
    )
    return [saved]


def _nothing_to_read() -> Rejected:
    # The same answer whether there is no story, a private one or one its teller tells: a refusal
    # must not tell the facilitator that a private story exists.
    return Rejected("nothing_to_read", _("There is no story prepared for the facilitator to read for this person."))


def share_prepared_story(state: SessionState, command: SharePreparedStory, actor: Actor, now: datetime) -> Decision:
    """Put a prepared story in the record as the round's story, during or after its teller's turn."""
    refusal = check_kind(state, STORY_KINDS, _("Stories are shared in a story round."))
    if refusal is not None:
        return refusal
    assert state.phase_index is not None
    staff = actor.role is not Role.PARTICIPANT
    teller = command.participant_id if staff else actor.id
    if teller is None:
        return Rejected("no_teller", _("Say whose story to share."))
    if not staff and command.participant_id not in {None, actor.id}:
        return Rejected("not_your_story", _("Only its teller can share a story."))
    prepared = state.prepared.of(teller)
    if staff and (prepared is None or prepared.delivery is not Delivery.READ):
        return _nothing_to_read()
    if prepared is None or not (prepared.title or prepared.text):
        return Rejected("nothing_prepared", _("You haven't prepared a story yet."))
    if prepared.delivery is Delivery.PRIVATE:
        return Rejected("private", _("Your prepared story is private. Choose to tell it, or to have it read, first."))
    turns = state.turns
    if teller != turns.speaker and teller not in turns.done:
        return Rejected("not_your_turn", _("A story is shared during or after its teller's turn."))
    if any(s.teller_id == teller and s.phase_index == state.phase_index for s in live_stories(state)):
        return Rejected("already_shared", _("This story round already holds that story; edit it instead."))
    if (refusal := quotas.check(state, quotas.Quota.STORIES, teller)) is not None:
        return refusal
    title = prepared.title or _("A story")
    shared = StoryShared(
        story_id=item_id("story", len(state.stories.stories) + 1),
        phase_index=state.phase_index,
        teller_id=teller,
        title=title,
        summary=prepared.text,
        at=now,
    )
    return [shared]


def _prepared(state: SessionState, event: StoryPrepared) -> SessionState:
    current = state.prepared.of(event.teller_id)
    saves = 1 if current is None else current.saves + 1
    fresh = Prepared(event.teller_id, event.title, event.text, event.delivery, event.at, saves)
    if current is None:
        stories = (*state.prepared.stories, fresh)
    else:
        stories = tuple(fresh if p.teller_id == event.teller_id else p for p in state.prepared.stories)
    return evolve(state, prepared=PreparedState(stories=stories))


RULES: dict[str, Rule] = {
    "prepare_story": Rule(PRACTITIONERS, prepare_story, needs_live=False),
    "share_prepared_story": Rule(PEOPLE, share_prepared_story),
}

APPLIERS: dict[type, Applier] = {StoryPrepared: _prepared}


# -- views -------------------------------------------------------------------------------------


def personal(state: SessionState, participant_id: str) -> JSON:
    """One's own prepared story, as last saved."""
    mine = state.prepared.of(participant_id)
    if mine is None:
        return {"prepared": None}
    return {
        "prepared": {"title": mine.title, "text": mine.text, "delivery": mine.delivery.value, "saved_at": iso(mine.saved_at)}
    }


def facilitator(state: SessionState) -> JSON:
    """Who prepared a story to tell or to have read (never a private one), and, while a teller who
    chose to have theirs read holds the turn in a story round, its text to read aloud."""
    ready = [
        {"id": p.teller_id, "name": state.name_of(p.teller_id), "delivery": p.delivery.value}
        for p in state.prepared.stories
        if p.delivery is not Delivery.PRIVATE and (p.title or p.text) and state.member(p.teller_id) is not None
    ]
    reading = None
    phase = state.phase
    speaker = state.turns.speaker
    if phase is not None and phase.kind in STORY_KINDS and speaker is not None:
        prepared = state.prepared.of(speaker)
        if prepared is not None and prepared.delivery is Delivery.READ and (prepared.title or prepared.text):
            shared = any(s.teller_id == speaker and s.phase_index == state.phase_index for s in live_stories(state))
            reading = {
                "id": speaker, "name": state.name_of(speaker), "title": prepared.title, "text": prepared.text,
                "shared": shared,
            }  # fmt: skip
    return {"prepared": {"ready": ready, "reading": reading}}


def subjects(event: object) -> frozenset[str]:
    if isinstance(event, StoryPrepared):
        return frozenset({event.teller_id})
    return frozenset()
