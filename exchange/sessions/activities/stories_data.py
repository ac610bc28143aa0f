"""Story rounds: written stories, private listening notes, reflections and recall.

Commands, events and state (data only).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from exchange.sessions.activities.fields import ItemId, PersonId, text

MAX_STORY_TITLE = 200
MAX_STORY_SUMMARY = 4000
MAX_LISTENING_NOTE = 2000
MAX_REFLECTION = 1000
MAX_RECALL = 1000
#: Private notes per person. Contributions are bounded per person too: activities/quotas.py.
MAX_NOTES_PER_PERSON = 200

StoryTitle = text(MAX_STORY_TITLE, single_line=True)
StorySummary = text(MAX_STORY_SUMMARY, min_length=0)
NoteText = text(MAX_LISTENING_NOTE)
ReflectionText = text(MAX_REFLECTION)
RecallText = text(MAX_RECALL)


class ReflectionKind(StrEnum):
    """The three ways listeners reflect a story back."""

    HEARD = "heard"  # what I heard
    MOMENT = "moment"  # a moment that stayed with me
    QUESTION = "question"  # a question I would like to ask


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- commands ----------------------------------------------------------------------------------


class ShareStory(_Message):
    """The teller writes down their story (during or after their turn), or edits it (with story_id)."""

    type: Literal["share_story"] = "share_story"
    story_id: ItemId | None = None
    title: StoryTitle
    summary: StorySummary = ""


class WithdrawStory(_Message):
    """The teller withdraws their story: it stays in the log but is left out of everything after."""

    type: Literal["withdraw_story"] = "withdraw_story"
    story_id: ItemId


class WriteListeningNote(_Message):
    """A private note while listening (about whoever is speaking); only its author ever sees it."""

    type: Literal["write_listening_note"] = "write_listening_note"
    text: NoteText


class Reflect(_Message):
    """Reflect a story back to its teller and the group."""

    type: Literal["reflect"] = "reflect"
    story_id: ItemId
    kind: ReflectionKind
    text: ReflectionText


class AddRecall(_Message):
    """The recall round: the most memorable point of others' stories (optionally of one story)."""

    type: Literal["add_recall"] = "add_recall"
    text: RecallText
    story_id: ItemId | None = None


# -- events ------------------------------------------------------------------------------------


class StoryShared(_Message):
    type: Literal["story_shared"] = "story_shared"
    story_id: ItemId
    phase_index: int = Field(ge=0)
    teller_id: PersonId
    title: StoryTitle
    summary: StorySummary
    at: AwareDatetime


class StoryEdited(_Message):
    type: Literal["story_edited"] = "story_edited"
    story_id: ItemId
    teller_id: PersonId
    title: StoryTitle
    summary: StorySummary
    at: AwareDatetime


class StoryWithdrawn(_Message):
    type: Literal["story_withdrawn"] = "story_withdrawn"
    story_id: ItemId
    teller_id: PersonId


class ListeningNoteWritten(_Message):
    """A private listening note; never shown as an event (the author's personal view carries it)."""

    type: Literal["listening_note_written"] = "listening_note_written"
    note_id: ItemId
    phase_index: int = Field(ge=0)
    author_id: PersonId
    teller_id: PersonId | None
    text: NoteText
    at: AwareDatetime


class ReflectionAdded(_Message):
    type: Literal["reflection_added"] = "reflection_added"
    reflection_id: ItemId
    story_id: ItemId
    author_id: PersonId
    kind: ReflectionKind
    text: ReflectionText
    at: AwareDatetime


class RecallAdded(_Message):
    type: Literal["recall_added"] = "recall_added"
    recall_id: ItemId
    phase_index: int = Field(ge=0)
    author_id: PersonId
    story_id: ItemId | None
    text: RecallText
    at: AwareDatetime


COMMANDS = (ShareStory, WithdrawStory, WriteListeningNote, Reflect, AddRecall)
EVENTS = (StoryShared, StoryEdited, StoryWithdrawn, ListeningNoteWritten, ReflectionAdded, RecallAdded)


# -- state -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Story:
    id: str
    phase_index: int
    teller_id: str
    title: str
    summary: str
    withdrawn: bool = False


@dataclass(frozen=True, slots=True)
class ListeningNote:
    id: str
    phase_index: int
    author_id: str
    teller_id: str | None
    text: str


@dataclass(frozen=True, slots=True)
class Reflection:
    id: str
    story_id: str
    author_id: str
    kind: ReflectionKind
    text: str


@dataclass(frozen=True, slots=True)
class Recall:
    id: str
    phase_index: int
    author_id: str
    story_id: str | None
    text: str


@dataclass(frozen=True, slots=True)
class StoriesState:
    stories: tuple[Story, ...] = ()
    notes: tuple[ListeningNote, ...] = ()
    reflections: tuple[Reflection, ...] = ()
    recalls: tuple[Recall, ...] = ()
