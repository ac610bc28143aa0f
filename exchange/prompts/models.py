"""The phase plan: what an exchange will do, phase by phase. Pure data, validated by Pydantic."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
PromptText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class ActivityKind(StrEnum):
    """Which activity runs during a phase; it decides what practitioners can contribute."""

    AGREEMENTS = "agreements"
    STORY_ROUND = "story_round"
    CARDS = "cards"
    DISCUSSION = "discussion"
    SELECTION = "selection"
    DRAFT = "draft"
    FEEDBACK = "feedback"


#: Kinds whose phase is organised in speaking turns rather than an open floor.
TURN_BASED_KINDS = frozenset({ActivityKind.STORY_ROUND})


class OnExpiry(StrEnum):
    """What happens when a phase timer runs out."""

    SIGNAL = "signal"  # tell everyone time is up; the facilitator moves on
    ADVANCE = "advance"  # move to the next phase by itself


class QueueOrder(StrEnum):
    """How the raised-hands queue is ordered."""

    FIRST_COME = "first_come"
    PROGRESSIVE = "progressive"  # whoever has spoken least so far goes first


class SpeakingOrder(StrEnum):
    """How the order of turns is chosen at the start of a turn-based phase."""

    JOINED = "joined"  # the order practitioners arrived in
    SHUFFLED = "shuffled"
    FACILITATOR = "facilitator"  # joined order, which the facilitator then rearranges


class CardAnonymity(StrEnum):
    """Whether a cards phase's cards carry their author's name."""

    NAMED = "named"  # every card shows who wrote it
    OPTIONAL = "optional"  # each author chooses; the form starts on "anonymously"
    ALWAYS = "always"  # no card shows its author, to anyone, ever


class CardField(BaseModel):
    """One field of a card (a cultural lever has 'who', 'influence', 'how engaged')."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: Slug
    label: ShortText
    max_length: int = Field(default=500, ge=1, le=4000)


class Phase(BaseModel):
    """One phase of the plan."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: Slug
    title: ShortText
    kind: ActivityKind
    minutes: int = Field(ge=1, le=480)
    prompts: tuple[PromptText, ...] = Field(min_length=1, max_length=12)
    listener_prompts: tuple[PromptText, ...] = Field(default=(), max_length=12)
    turn_seconds: int | None = Field(default=None, ge=15, le=3600)
    speaking_order: SpeakingOrder = SpeakingOrder.JOINED
    on_expiry: OnExpiry = OnExpiry.SIGNAL
    queue_order: QueueOrder = QueueOrder.FIRST_COME
    card_fields: tuple[CardField, ...] = Field(default=(), max_length=8)
    card_anonymity: CardAnonymity = CardAnonymity.NAMED
    votes_per_person: int = Field(default=0, ge=0, le=20)
    sections: tuple[ShortText, ...] = Field(default=(), max_length=12)
    #: Selection phases: the domains of change the group chooses a story in, one round each.
    domains: tuple[ShortText, ...] = Field(default=(), max_length=12)

    @model_validator(mode="before")
    @classmethod
    def _legacy_anonymous_cards(cls, data: Any) -> Any:
        """Plans stored before the modes said `anonymous_cards = true/false` (it meant: by choice)."""
        if isinstance(data, dict) and "anonymous_cards" in data:
            data = dict(data)
            legacy = data.pop("anonymous_cards")
            data.setdefault("card_anonymity", CardAnonymity.OPTIONAL if legacy else CardAnonymity.NAMED)
        return data

    @property
    def turn_based(self) -> bool:
        return self.kind in TURN_BASED_KINDS

    @property
    def breaks_anonymity_promise(self) -> bool:
        """A cards phase whose prompts promise anonymity but whose cards may carry a name.

        The editor and the plan importer refuse such a plan: the promise must hold ("always").
        """
        return (
            self.kind is ActivityKind.CARDS
            and self.card_anonymity is not CardAnonymity.ALWAYS
            and any("anonym" in prompt.lower() for prompt in self.prompts)
        )

    @model_validator(mode="after")
    def _turns_fit_the_kind(self) -> Phase:
        if self.turn_based and self.turn_seconds is None:
            raise ValueError(f"a {self.kind.value} phase needs turn_seconds")
        if not self.turn_based and self.turn_seconds is not None:
            raise ValueError(f"turn_seconds only applies to turn-based phases, not {self.kind.value}")
        if self.kind is ActivityKind.CARDS and not self.card_fields:
            raise ValueError("a cards phase needs at least one entry in card_fields")
        if self.kind is ActivityKind.DRAFT and not self.sections:
            raise ValueError("a draft phase needs at least one entry in sections")
        if self.domains and self.kind is not ActivityKind.SELECTION:
            raise ValueError(f"domains only apply to selection phases, not {self.kind.value}")
        return self


class PhasePlan(BaseModel):
    """A whole plan: the template a facilitator copies into an exchange and adapts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: Slug
    title: ShortText
    description: PromptText
    agreements: tuple[PromptText, ...] = Field(min_length=1, max_length=12)
    phases: tuple[Phase, ...] = Field(min_length=1, max_length=30)

    @model_validator(mode="after")
    def _phase_keys_are_unique(self) -> PhasePlan:
        seen: set[str] = set()
        for phase in self.phases:
            if phase.key in seen:
                raise ValueError(f"two phases share the key {phase.key!r}")
            seen.add(phase.key)
        return self

    @property
    def total_minutes(self) -> int:
        return sum(phase.minutes for phase in self.phases)
