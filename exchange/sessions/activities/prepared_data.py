"""Stories prepared before the call (data only).

From their link, before the exchange starts (or any time before their turn), a practitioner writes
their story at their own pace, saved as they type, and chooses how it reaches the group: they tell
it live (it is their notes; shared into the record when they say so), the facilitator reads it
aloud at their turn (the facilitator's console shows it then, and only then), or it stays private
(it never leaves its author: no view, frame or export but their own personal view holds it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from exchange.sessions.activities.fields import PersonId, text
from exchange.sessions.activities.stories_data import MAX_STORY_SUMMARY, MAX_STORY_TITLE

PreparedTitle = text(MAX_STORY_TITLE, min_length=0, single_line=True)
PreparedText = text(MAX_STORY_SUMMARY, min_length=0)
#: Saves per person: a debounced page saves every pause in typing; this bounds a runaway one.
MAX_SAVES = 2000


class Delivery(StrEnum):
    """How a prepared story reaches the group."""

    TELL = "tell"  # I tell it live; the text is my notes
    READ = "read"  # the facilitator reads it aloud at my turn
    PRIVATE = "private"  # for me alone


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PrepareStory(_Message):
    """Save (again) one's prepared story and how it is to be told; the latest save counts."""

    type: Literal["prepare_story"] = "prepare_story"
    title: PreparedTitle = ""
    text: PreparedText = ""
    delivery: Delivery = Delivery.TELL


class SharePreparedStory(_Message):
    """Put a prepared story into the record as the round's story: by its teller (told or read), or by
    the facilitator who read it aloud (participant_id names the teller)."""

    type: Literal["share_prepared_story"] = "share_prepared_story"
    participant_id: PersonId | None = None


class StoryPrepared(_Message):
    """A save of a prepared story: its author's alone (private_to_author in privacy.py)."""

    type: Literal["story_prepared"] = "story_prepared"
    teller_id: PersonId
    title: PreparedTitle
    text: PreparedText
    delivery: Delivery
    at: AwareDatetime


COMMANDS = (PrepareStory, SharePreparedStory)
EVENTS = (StoryPrepared,)


@dataclass(frozen=True, slots=True)
class Prepared:
    teller_id: str
    title: str
    text: str
    delivery: Delivery
    saved_at: datetime
    saves: int = 1


@dataclass(frozen=True, slots=True)
class PreparedState:
    stories: tuple[Prepared, ...] = ()  # one per teller, in the order they first saved

    def of(self, teller_id: str) -> Prepared | None:
        return next((p for p in self.stories if p.teller_id == teller_id), None)
