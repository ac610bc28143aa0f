"""Cards and dot-votes: commands, events and state (data only).

Anonymous cards keep their author in the state and in the stored events, so the author alone can edit
or withdraw them; the privacy policy (sessions/privacy.py) strips the author (and the envelope's
actor) for every audience but the author.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from exchange.sessions.activities.fields import ItemId, PersonId, text

#: The most characters any card field may hold; a phase's CardField.max_length may set less.
MAX_CARD_FIELD = 4000
MAX_CLUSTER_NAME = 100
#: Bounds on what one exchange collects, so a hostile client can't bloat the log or the views.
MAX_CARDS = 500  # bounds a withdrawal's released voters; how many cards one may add: activities/quotas.py
MAX_CLUSTERS = 60
MAX_FIELDS = 8

FieldKey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
FieldValue = text(MAX_CARD_FIELD, min_length=0)
CardFields = Annotated[dict[FieldKey, FieldValue], Field(min_length=1, max_length=MAX_FIELDS)]
ClusterName = text(MAX_CLUSTER_NAME, single_line=True)


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- commands ----------------------------------------------------------------------------------


class AddCard(_Message):
    """Add a card with exactly the phase's fields.

    `anonymous`: the author's choice where the phase lets them choose (None: the phase's default,
    which is anonymous unless the phase names every card); a phase that is always anonymous makes
    every card anonymous, and a named phase refuses an anonymous one.
    """

    type: Literal["add_card"] = "add_card"
    fields: CardFields
    anonymous: bool | None = None


class EditCard(_Message):
    """Replace the fields of one's own card."""

    type: Literal["edit_card"] = "edit_card"
    card_id: ItemId
    fields: CardFields


class WithdrawCard(_Message):
    """Take back one's own card (its votes go back to the voters)."""

    type: Literal["withdraw_card"] = "withdraw_card"
    card_id: ItemId


class CreateCluster(_Message):
    """The facilitator opens a named group for cards."""

    type: Literal["create_cluster"] = "create_cluster"
    name: ClusterName


class MoveCard(_Message):
    """The facilitator puts a card into a cluster (or, with None, back out)."""

    type: Literal["move_card"] = "move_card"
    card_id: ItemId
    cluster_id: ItemId | None = None


class OpenVoting(_Message):
    """Start (or restart) dot-voting on this phase's cards."""

    type: Literal["open_voting"] = "open_voting"


class CloseVoting(_Message):
    """Stop dot-voting; votes cast stay."""

    type: Literal["close_voting"] = "close_voting"


class RevealVotes(_Message):
    """Show everyone the totals of this phase's votes."""

    type: Literal["reveal_votes"] = "reveal_votes"


class CastVote(_Message):
    """Put one of one's dots on a card (several may go on the same card)."""

    type: Literal["cast_vote"] = "cast_vote"
    card_id: ItemId


class RetractVote(_Message):
    """Take one of one's dots back off a card."""

    type: Literal["retract_vote"] = "retract_vote"
    card_id: ItemId


# -- events ------------------------------------------------------------------------------------


class CardAdded(_Message):
    """A card exists from now on; `author_id` is never shown when `anonymous`."""

    type: Literal["card_added"] = "card_added"
    card_id: ItemId
    phase_index: int = Field(ge=0)
    author_id: PersonId
    anonymous: bool
    fields: CardFields
    at: AwareDatetime


class CardEdited(_Message):
    """A card's fields were replaced by its author."""

    type: Literal["card_edited"] = "card_edited"
    card_id: ItemId
    author_id: PersonId
    anonymous: bool
    fields: CardFields
    at: AwareDatetime


class CardWithdrawn(_Message):
    """A card is withdrawn; the dots on it went back to `released_voters` (never shown)."""

    type: Literal["card_withdrawn"] = "card_withdrawn"
    card_id: ItemId
    author_id: PersonId
    anonymous: bool
    released_voters: tuple[PersonId, ...] = Field(default=(), max_length=MAX_CARDS)


class ClusterCreated(_Message):
    """A named cluster of cards in a phase."""

    type: Literal["cluster_created"] = "cluster_created"
    cluster_id: ItemId
    phase_index: int = Field(ge=0)
    name: ClusterName


class CardMoved(_Message):
    """A card is in a cluster now (or in none)."""

    type: Literal["card_moved"] = "card_moved"
    card_id: ItemId
    cluster_id: ItemId | None


class VotingOpened(_Message):
    type: Literal["voting_opened"] = "voting_opened"
    phase_index: int = Field(ge=0)


class VotingClosed(_Message):
    type: Literal["voting_closed"] = "voting_closed"
    phase_index: int = Field(ge=0)


class VotesRevealed(_Message):
    type: Literal["votes_revealed"] = "votes_revealed"
    phase_index: int = Field(ge=0)


class VoteCast(_Message):
    """One dot on a card (never shown as an event: views carry totals, personal views one's own)."""

    type: Literal["vote_cast"] = "vote_cast"
    phase_index: int = Field(ge=0)
    card_id: ItemId
    voter_id: PersonId


class VoteRetracted(_Message):
    type: Literal["vote_retracted"] = "vote_retracted"
    phase_index: int = Field(ge=0)
    card_id: ItemId
    voter_id: PersonId


COMMANDS = (
    AddCard, EditCard, WithdrawCard, CreateCluster, MoveCard,
    OpenVoting, CloseVoting, RevealVotes, CastVote, RetractVote,
)  # fmt: skip
EVENTS = (
    CardAdded, CardEdited, CardWithdrawn, ClusterCreated, CardMoved,
    VotingOpened, VotingClosed, VotesRevealed, VoteCast, VoteRetracted,
)  # fmt: skip


# -- state -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Card:
    """A card: its fields in the phase's order, who wrote it (secret when anonymous), its cluster."""

    id: str
    phase_index: int
    author_id: str
    anonymous: bool
    fields: tuple[tuple[str, str], ...]
    cluster_id: str | None = None
    withdrawn: bool = False


@dataclass(frozen=True, slots=True)
class Cluster:
    id: str
    phase_index: int
    name: str
    removed: bool = False  # removed or merged away (card_groups.py); kept so ids are never reused


@dataclass(frozen=True, slots=True)
class Vote:
    """One dot: several on the same card by the same voter are several entries."""

    phase_index: int
    card_id: str
    voter_id: str


@dataclass(frozen=True, slots=True)
class CardsState:
    cards: tuple[Card, ...] = ()
    clusters: tuple[Cluster, ...] = ()
    votes: tuple[Vote, ...] = ()
    voting_open: tuple[int, ...] = ()  # phase indices
    revealed: tuple[int, ...] = ()  # phase indices
