"""Selection (most significant change): commands, events and state (data only).

The facilitator opens a voting round among stories (all standing stories, or those of one domain);
practitioners vote within the phase's allowance; the facilitator closes the round (totals shown),
the group discusses on the call, another round may follow; then the facilitator records the choice
(one story, or two for a split group), why it was chosen, and any dissent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from exchange.sessions.activities.fields import ItemId, PersonId, text

MAX_DOMAIN = 200
MAX_REASON = 2000
MAX_DISSENT = 2000
#: Bounds on what one exchange collects.
MAX_ROUNDS = 100
MAX_ROUND_STORIES = 300  # as many as a story round may collect
MAX_CHOICES = 100

Domain = text(MAX_DOMAIN, single_line=True)
Reason = text(MAX_REASON)
Dissent = text(MAX_DISSENT, min_length=0)
RoundStories = Annotated[tuple[ItemId, ...], Field(max_length=MAX_ROUND_STORIES)]
Chosen = Annotated[tuple[ItemId, ...], Field(min_length=1, max_length=2)]
RoundNumber = Annotated[int, Field(ge=1)]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- commands ----------------------------------------------------------------------------------


class OpenSelectionRound(_Message):
    """Open a voting round among `story_ids` (none: every standing story), for a domain if given."""

    type: Literal["open_selection_round"] = "open_selection_round"
    domain: Domain | None = None
    story_ids: RoundStories = ()


class CastSelectionVote(_Message):
    """Vote for a story of the open round (one vote per story, up to the phase's allowance)."""

    type: Literal["cast_selection_vote"] = "cast_selection_vote"
    story_id: ItemId


class RetractSelectionVote(_Message):
    """Take one's vote back off a story of the open round."""

    type: Literal["retract_selection_vote"] = "retract_selection_vote"
    story_id: ItemId


class CloseSelectionRound(_Message):
    """Close the open round; its totals are shown to everyone."""

    type: Literal["close_selection_round"] = "close_selection_round"


class RecordSelection(_Message):
    """Record the chosen story (or two, for a split group), why, and any dissent."""

    type: Literal["record_selection"] = "record_selection"
    story_ids: Chosen
    reason: Reason
    dissent: Dissent = ""
    domain: Domain | None = None


# -- events ------------------------------------------------------------------------------------


class SelectionRoundOpened(_Message):
    type: Literal["selection_round_opened"] = "selection_round_opened"
    phase_index: int = Field(ge=0)
    round: RoundNumber
    domain: Domain | None
    story_ids: RoundStories
    at: AwareDatetime


class SelectionVoteCast(_Message):
    """A vote (never shown as an event: views carry totals once the round is closed)."""

    type: Literal["selection_vote_cast"] = "selection_vote_cast"
    round: RoundNumber
    story_id: ItemId
    voter_id: PersonId


class SelectionVoteRetracted(_Message):
    type: Literal["selection_vote_retracted"] = "selection_vote_retracted"
    round: RoundNumber
    story_id: ItemId
    voter_id: PersonId


class SelectionRoundClosed(_Message):
    type: Literal["selection_round_closed"] = "selection_round_closed"
    round: RoundNumber
    at: AwareDatetime


class SelectionRecorded(_Message):
    type: Literal["selection_recorded"] = "selection_recorded"
    choice_id: ItemId
    phase_index: int = Field(ge=0)
    domain: Domain | None
    story_ids: Chosen
    reason: Reason
    dissent: Dissent
    at: AwareDatetime


COMMANDS = (OpenSelectionRound, CastSelectionVote, RetractSelectionVote, CloseSelectionRound, RecordSelection)
EVENTS = (SelectionRoundOpened, SelectionVoteCast, SelectionVoteRetracted, SelectionRoundClosed, SelectionRecorded)


# -- state -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SelectionRound:
    """A voting round: numbered from 1 across the exchange, among these stories."""

    number: int
    phase_index: int
    domain: str | None
    story_ids: tuple[str, ...]
    open: bool = True


@dataclass(frozen=True, slots=True)
class SelectionVote:
    round: int
    story_id: str
    voter_id: str


@dataclass(frozen=True, slots=True)
class Choice:
    """A recorded selection: the story (or two), why, and any dissent."""

    id: str
    phase_index: int
    domain: str | None
    story_ids: tuple[str, ...]
    reason: str
    dissent: str


@dataclass(frozen=True, slots=True)
class SelectionState:
    rounds: tuple[SelectionRound, ...] = ()
    votes: tuple[SelectionVote, ...] = ()
    choices: tuple[Choice, ...] = ()
