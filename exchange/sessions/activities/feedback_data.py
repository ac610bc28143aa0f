"""The closing reflection's anonymous form: command, event and state (data only)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from exchange.sessions.activities.fields import PersonId, text

MAX_FEEDBACK_TEXT = 2000
MIN_RATING, MAX_RATING = 1, 5


class Rating(StrEnum):
    """The questions rated 1 (not at all) to 5 (fully); feedback.rating_question words them."""

    USEFUL = "useful"
    SAFE = "safe"
    HEARD = "heard"


Score = Annotated[int, Field(ge=MIN_RATING, le=MAX_RATING)]
Ratings = Annotated[dict[Rating, Score], Field(max_length=len(Rating))]
FeedbackText = text(MAX_FEEDBACK_TEXT, min_length=0)


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SubmitFeedback(_Message):
    """Answer (or answer again) the closing form; any rating may be left out."""

    type: Literal["submit_feedback"] = "submit_feedback"
    ratings: Ratings = Field(default_factory=dict)
    text: FeedbackText = ""


class FeedbackSubmitted(_Message):
    """Someone's answers for a feedback phase, replacing theirs before; never shown as an event."""

    type: Literal["feedback_submitted"] = "feedback_submitted"
    phase_index: int = Field(ge=0)
    participant_id: PersonId
    ratings: Ratings
    text: FeedbackText


COMMANDS = (SubmitFeedback,)
EVENTS = (FeedbackSubmitted,)


@dataclass(frozen=True, slots=True)
class Answer:
    phase_index: int
    participant_id: str
    ratings: tuple[tuple[Rating, int], ...]  # in Rating order
    text: str


@dataclass(frozen=True, slots=True)
class FeedbackState:
    answers: tuple[Answer, ...] = ()  # one per (phase, participant), latest answers only
