"""Story rounds: the teller's written story, listeners' private notes, reflections and the recall round.

A teller writes their story down during or after their turn and may edit it, or withdraw it at any
time, the exchange over or not (a withdrawn story stays in the log, without its text repeated, but
is left out of every view, citation, selection and export). Marking one's contributions off the
record is record.py.
"""

from __future__ import annotations

from datetime import datetime

from exchange.i18n import _
from exchange.prompts.models import ActivityKind
from exchange.sessions.activities.base import (
    JSON,
    Applier,
    Decision,
    Rejected,
    Rule,
    check_kind,
    too_many,
)
from exchange.sessions.activities import quotas
from exchange.sessions.activities.fields import item_id
from exchange.sessions.activities.stories_data import (
    MAX_NOTES_PER_PERSON,
    AddRecall,
    ListeningNote,
    ListeningNoteWritten,
    Recall,
    RecallAdded,
    Reflect,
    Reflection,
    ReflectionAdded,
    ShareStory,
    Story,
    StoryEdited,
    StoryShared,
    StoryWithdrawn,
    WithdrawStory,
    WriteListeningNote,
)
from exchange.sessions.commands import Actor, Role
from exchange.sessions.state import SessionState, evolve

STORY_KINDS = frozenset({ActivityKind.STORY_ROUND})
#: Reflections and recall also fit a reflection round run as an open discussion.
REFLECTION_KINDS = frozenset({ActivityKind.STORY_ROUND, ActivityKind.DISCUSSION})
PRACTITIONERS = frozenset({Role.PARTICIPANT})


def find(state: SessionState, story_id: str) -> Story | None:
    return next((story for story in state.stories.stories if story.id == story_id), None)


def live_stories(state: SessionState) -> tuple[Story, ...]:
    """Every story not withdrawn, in the order they were shared."""
    return tuple(story for story in state.stories.stories if not story.withdrawn)


def _standing(state: SessionState, story_id: str) -> Story | Rejected:
    story = find(state, story_id)
    if story is None or story.withdrawn:
        return Rejected("unknown_story", _("There is no such story."))
    return story


def _own_story(state: SessionState, story_id: str, actor: Actor) -> Story | Rejected:
    story = _standing(state, story_id)
    if isinstance(story, Rejected):
        return story
    if story.teller_id != actor.id:
        return Rejected("not_your_story", _("Only its teller can change a story."))
    return story


# -- decide ------------------------------------------------------------------------------------


def share_story(state: SessionState, command: ShareStory, actor: Actor, now: datetime) -> Decision:
    """Write one's story down (in or after one's turn), or edit it (any time, with story_id)."""
    if command.story_id is not None:
        story = _own_story(state, command.story_id, actor)
        if isinstance(story, Rejected):
            return story
        if (story.title, story.summary) == (command.title, command.summary):
            return []
        return [
            StoryEdited(
                story_id=story.id, teller_id=actor.id, title=command.title, summary=command.summary, at=now
            )
        ]
    refusal = check_kind(state, STORY_KINDS, _("Stories are shared in a story round."))
    if refusal is not None:
        return refusal
    assert state.phase_index is not None
    turns = state.turns
    if actor.id != turns.speaker and actor.id not in turns.done:
        return Rejected("not_your_turn", _("You can write your story down during or after your turn."))
    if any(s.teller_id == actor.id and s.phase_index == state.phase_index for s in live_stories(state)):
        return Rejected("already_shared", _("You have already written your story down; edit it instead."))
    if (refusal := quotas.check(state, quotas.Quota.STORIES, actor.id)) is not None:
        return refusal
    shared = StoryShared(
        story_id=item_id("story", len(state.stories.stories) + 1),
        phase_index=state.phase_index,
        teller_id=actor.id,
        title=command.title,
        summary=command.summary,
        at=now,
    )
    return [shared]


def withdraw_story(state: SessionState, command: WithdrawStory, actor: Actor, now: datetime) -> Decision:
    """Withdraw one's own story."""
    story = _own_story(state, command.story_id, actor)
    if isinstance(story, Rejected):
        return story
    return [StoryWithdrawn(story_id=story.id, teller_id=actor.id)]


def write_listening_note(
    state: SessionState, command: WriteListeningNote, actor: Actor, now: datetime
) -> Decision:
    """Keep a private note about the story being told."""
    refusal = check_kind(state, STORY_KINDS, _("Listening notes are kept during a story round."))
    if refusal is not None:
        return refusal
    assert state.phase_index is not None
    notes = state.stories.notes
    if (refusal := too_many(sum(n.author_id == actor.id for n in notes), MAX_NOTES_PER_PERSON)) is not None:
        return refusal
    written = ListeningNoteWritten(
        note_id=item_id("note", len(notes) + 1),
        phase_index=state.phase_index,
        author_id=actor.id,
        teller_id=state.turns.speaker,
        text=command.text,
        at=now,
    )
    return [written]


def reflect(state: SessionState, command: Reflect, actor: Actor, now: datetime) -> Decision:
    """Reflect someone else's story back."""
    refusal = check_kind(state, REFLECTION_KINDS, _("Reflections are given in a story or reflection round."))
    if refusal is not None:
        return refusal
    story = _standing(state, command.story_id)
    if isinstance(story, Rejected):
        return story
    if story.teller_id == actor.id:
        return Rejected("own_story", _("Reflections are for other people's stories."))
    reflections = state.stories.reflections
    if (refusal := quotas.check(state, quotas.Quota.REFLECTIONS, actor.id)) is not None:
        return refusal
    added = ReflectionAdded(
        reflection_id=item_id("reflection", len(reflections) + 1),
        story_id=story.id,
        author_id=actor.id,
        kind=command.kind,
        text=command.text,
        at=now,
    )
    return [added]


def add_recall(state: SessionState, command: AddRecall, actor: Actor, now: datetime) -> Decision:
    """Name the most memorable point of the others' stories."""
    refusal = check_kind(state, REFLECTION_KINDS, _("The recall round is part of a story or reflection round."))
    if refusal is not None:
        return refusal
    assert state.phase_index is not None
    if command.story_id is not None:
        story = _standing(state, command.story_id)
        if isinstance(story, Rejected):
            return story
        if story.teller_id == actor.id:
            return Rejected("own_story", _("Recall a point from someone else's story."))
    recalls = state.stories.recalls
    if (refusal := quotas.check(state, quotas.Quota.RECALLS, actor.id)) is not None:
        return refusal
    added = RecallAdded(
        recall_id=item_id("recall", len(recalls) + 1),
        phase_index=state.phase_index,
        author_id=actor.id,
        story_id=command.story_id,
        text=command.text,
        at=now,
    )
    return [added]


# -- apply -------------------------------------------------------------------------------------


def _with(state: SessionState, **changes: object) -> SessionState:
    return evolve(state, stories=evolve(state.stories, **changes))


def _changed_story(state: SessionState, story_id: str, **changes: object) -> SessionState:
    stories = tuple(
        evolve(s, **changes) if s.id == story_id else s for s in state.stories.stories
    )
    return _with(state, stories=stories)


def _shared(state: SessionState, event: StoryShared) -> SessionState:
    story = Story(event.story_id, event.phase_index, event.teller_id, event.title, event.summary)
    return _with(state, stories=(*state.stories.stories, story))


def _edited(state: SessionState, event: StoryEdited) -> SessionState:
    return _changed_story(state, event.story_id, title=event.title, summary=event.summary)


def _withdrawn(state: SessionState, event: StoryWithdrawn) -> SessionState:
    return _changed_story(state, event.story_id, withdrawn=True)


def _noted(state: SessionState, event: ListeningNoteWritten) -> SessionState:
    note = ListeningNote(event.note_id, event.phase_index, event.author_id, event.teller_id, event.text)
    return _with(state, notes=(*state.stories.notes, note))


def _reflected(state: SessionState, event: ReflectionAdded) -> SessionState:
    reflection = Reflection(event.reflection_id, event.story_id, event.author_id, event.kind, event.text)
    return _with(state, reflections=(*state.stories.reflections, reflection))


def _recalled(state: SessionState, event: RecallAdded) -> SessionState:
    recall = Recall(event.recall_id, event.phase_index, event.author_id, event.story_id, event.text)
    return _with(state, recalls=(*state.stories.recalls, recall))


RULES: dict[str, Rule] = {
    "share_story": Rule(PRACTITIONERS, share_story),
    # A teller may withdraw their story after the exchange too, while reviewing the record.
    "withdraw_story": Rule(PRACTITIONERS, withdraw_story, needs_live=False),
    "write_listening_note": Rule(PRACTITIONERS, write_listening_note),
    "reflect": Rule(PRACTITIONERS, reflect),
    "add_recall": Rule(PRACTITIONERS, add_recall),
}

APPLIERS: dict[type, Applier] = {
    StoryShared: _shared,
    StoryEdited: _edited,
    StoryWithdrawn: _withdrawn,
    ListeningNoteWritten: _noted,
    ReflectionAdded: _reflected,
    RecallAdded: _recalled,
}


# -- views -------------------------------------------------------------------------------------


def _person(state: SessionState, participant_id: str) -> JSON:
    return {"id": participant_id, "name": state.name_of(participant_id)}


def view(state: SessionState) -> JSON:
    """Standing stories with their reflections, and the recall round (the same for every role); what
    the facilitator hid is left out."""
    standing = live_stories(state)
    ids = {story.id for story in standing}
    off_record = state.record.off_record
    hidden = state.moderation.refs
    reflections: dict[str, list[JSON]] = {story.id: [] for story in standing}
    for r in state.stories.reflections:
        if r.story_id in ids and r.id not in hidden:
            reflections[r.story_id].append(
                {"id": r.id, "author": _person(state, r.author_id), "kind": r.kind.value, "text": r.text,
                 "off_record": r.id in off_record}
            )  # fmt: skip
    return {
        "stories": [
            {
                "id": s.id,
                "phase_index": s.phase_index,
                "teller": _person(state, s.teller_id),
                "title": s.title,
                "summary": s.summary,
                "off_record": s.id in off_record,
                "reflections": reflections[s.id],
            }
            for s in standing
        ],
        "recalls": [
            {"id": r.id, "phase_index": r.phase_index, "author": _person(state, r.author_id),
             "story_id": r.story_id, "text": r.text, "off_record": r.id in off_record}
            for r in state.stories.recalls
            if (r.story_id is None or r.story_id in ids) and r.id not in hidden
        ],  # fmt: skip
    }


def personal(state: SessionState, participant_id: str) -> JSON:
    """One's listening notes and one's withdrawn stories."""
    current = state.stories
    return {
        "listening_notes": [
            {"id": n.id, "phase_index": n.phase_index, "about": None if n.teller_id is None else _person(state, n.teller_id),
             "text": n.text}
            for n in current.notes
            if n.author_id == participant_id
        ],  # fmt: skip
        "withdrawn_stories": [
            {"id": s.id, "title": s.title} for s in current.stories if s.teller_id == participant_id and s.withdrawn
        ],
    }


def subjects(event: object) -> frozenset[str]:
    if isinstance(event, ListeningNoteWritten):
        return frozenset({event.author_id})
    if isinstance(event, StoryWithdrawn):
        return frozenset({event.teller_id})
    return frozenset()
