"""The transcript of one exchange: data only, derived from its event log by build.build.

Nothing here holds a participant's id, a private note, an anonymous card's author or one person's
feedback answers: people appear only as their consent allows (a name, initials, or a stable
"Participant 3" label) and by `ref`, an opaque handle ("participant-3") that is the same in every
format of the same exchange; staff appear as "Facilitator". Summaries of anonymous answers (vote
totals, feedback) appear only from privacy.MIN_GROUP people up.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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
    #: The record is a draft (under the tellers' review, or the exchange still running) until
    #: `release_at`; every export of a draft says DRAFT on every page.
    draft: bool = False
    release_at: datetime | None = None


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
    votes: int | None  # None: fewer than MIN_GROUP people voted in the phase


class CardGroup(_Model):
    name: str | None  # None: cards in no cluster
    cards: tuple[Card, ...]
    votes: int | None


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


class Citation(_Model):
    """What a section of the shared draft rests on: a story (with its teller as consent allows) or a card."""

    kind: Literal["story", "card"]
    id: str
    title: str  # the story's title, or the card's first field
    by: str | None  # the teller or card author's label; None for an anonymous card


class DraftSection(_Model):
    title: str
    text: str
    citations: tuple[Citation, ...] = ()
    #: Cited contributions no longer in the record (withdrawn, off the record, redacted).
    withheld_citations: int = 0
    #: The facilitator hid the section's text (its `text` is empty).
    hidden: bool = False


class RatingSummary(_Model):
    question: str
    count: int
    average: float | None
    distribution: dict[str, int] | None


class FeedbackSummary(_Model):
    """Counts always; averages and the written comments (sorted, never attributed) only from a small
    group size up, so no answer can be singled out."""

    responses: int
    comments: int
    ratings: tuple[RatingSummary, ...]
    withheld: bool
    texts: tuple[str, ...] = ()
    #: Written comments the facilitator hid: counted in `comments`, left out of `texts`.
    hidden_comments: int = 0


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
    voters: int | None = None  # how many people placed dots (cards phases with voting)
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
    kind: str  # story, reflection, recall, card, action, point, selection, draft_section, feedback_comment
    item_id: str
    author: str | None  # None: anonymous (see `anonymous`) or not attributed
    author_ref: str | None
    at: datetime | None
    text: str
    votes: int | None
    anonymous: bool = False


class LeadChange(_Model):
    """A change of who led the facilitators' console (no staff member named)."""

    at: datetime
    kind: str  # offered, accepted, left, returned
    reason: str | None = None


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
    #: The funder message's sections with what each rests on (provenance).
    final_sections: tuple[DraftSection, ...] = ()
    contributions: tuple[Contribution, ...]
    redactions: int  # contributions a lead redacted (left out above)
    #: Who led the console, when it changed (co-facilitators); in Markdown and HTML, and listed as
    #: events in the JSON document (so not repeated in its transcript object).
    lead_changes: tuple[LeadChange, ...] = Field(default=(), exclude=True)
