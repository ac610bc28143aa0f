"""The transcript of one exchange: data only, derived from its event log by build.build.

Nothing here holds a participant's id, a private note, an anonymous card's author or one person's
feedback answers: people appear only as their consent allows (a name, initials, or a stable
"Participant 3" label) and by `ref`, an opaque handle ("participant-3") that is the same in every
format of the same exchange.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

ConsentChoice = Literal["name", "initials", "anonymous"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExchangeMeta(_Model):
    """What the database knows about the exchange (the log knows the rest)."""

    id: int
    title: str
    purpose: str = ""
    programme_id: int | None = None
    programme_name: str = ""
    starts_at: datetime | None = None
    timezone: str = "UTC"
    language: str = "en"


class RosterEntry(_Model):
    """One invited practitioner as the database knows them: their name and how they may appear."""

    name: str
    consent: ConsentChoice | None = None  # not chosen yet: shown as anonymous


class Person(_Model):
    ref: str  # "participant-3": stable, says nothing about who
    label: str  # as consent allows
    consent: ConsentChoice
    airtime_seconds: float


class AgendaItem(_Model):
    index: int
    title: str
    kind: str
    planned_minutes: int
    planned_start: datetime | None
    actual_start: datetime | None
    actual_end: datetime | None


class Reflection(_Model):
    id: str
    kind: str
    author: str
    at: datetime | None
    text: str


class Story(_Model):
    id: str
    teller: str
    at: datetime | None
    title: str
    summary: str
    reflections: tuple[Reflection, ...] = ()


class Recall(_Model):
    id: str
    author: str
    at: datetime | None
    text: str
    story_title: str | None = None


class CardField(_Model):
    label: str
    value: str


class Card(_Model):
    id: str
    author: str | None  # None: anonymous card
    at: datetime | None
    fields: tuple[CardField, ...]
    votes: int


class CardGroup(_Model):
    name: str | None  # None: cards in no cluster
    cards: tuple[Card, ...]
    votes: int


class Action(_Model):
    id: str
    what: str
    who: str
    due: str | None
    done: bool
    added_by: str | None
    at: datetime | None


class Point(_Model):
    """A point made in a discussion phase, as the facilitator recorded it publicly (never the private notes)."""

    id: str
    text: str
    made_by: str | None  # the maker's label as consent allows; None: not recorded
    at: datetime | None


class Selection(_Model):
    """A recorded selection: the story (or two) chosen, why, and any dissent; never who voted."""

    id: str
    domain: str | None
    stories: tuple[str, ...]  # titles of the chosen stories still in the transcript
    reason: str
    dissent: str


class DraftSection(_Model):
    title: str
    text: str


class RatingSummary(_Model):
    question: str
    count: int
    average: float | None
    distribution: dict[str, int] | None


class FeedbackSummary(_Model):
    """Counts and averages only; withheld below a small group size so no answer can be singled out."""

    responses: int
    comments: int
    ratings: tuple[RatingSummary, ...]
    withheld: bool


class PhaseSection(_Model):
    index: int
    key: str
    title: str
    kind: str
    prompts: tuple[str, ...]
    listener_prompts: tuple[str, ...]
    started_at: datetime | None
    ended_at: datetime | None
    agreements: tuple[str, ...] = ()
    accepted_by: int | None = None
    stories: tuple[Story, ...] = ()
    recalls: tuple[Recall, ...] = ()
    card_groups: tuple[CardGroup, ...] = ()
    actions: tuple[Action, ...] = ()
    points: tuple[Point, ...] = ()
    selections: tuple[Selection, ...] = ()
    draft: tuple[DraftSection, ...] = ()
    draft_final: bool | None = None
    feedback: FeedbackSummary | None = None


class Contribution(_Model):
    """One row of the CSV: anything a person contributed, flattened."""

    phase_index: int | None
    phase: str
    kind: str  # story, reflection, recall, card, action, point, selection, draft_section
    item_id: str
    author: str | None
    author_ref: str | None
    at: datetime | None
    text: str
    votes: int | None


class Transcript(_Model):
    exchange: ExchangeMeta
    plan_title: str | None
    status: str
    started_at: datetime | None
    ended_at: datetime | None
    participants: tuple[Person, ...]
    agenda: tuple[AgendaItem, ...]
    phases: tuple[PhaseSection, ...]
    final_message: str | None
    final_message_final: bool
    contributions: tuple[Contribution, ...]
    redactions: int  # contributions a lead redacted (left out above)
