"""What happened in a live exchange: small frozen events (on "type") and the envelope the log stores.

Each event carries every value `apply` needs (times, orders, seconds), so folding never reads a
clock, shuffles or recomputes anything.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, Union

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from exchange.prompts.models import PhasePlan, QueueOrder
from exchange.sessions.activities import agreements_data
from exchange.sessions.activities import stories_data
from exchange.sessions.activities import cards_data
from exchange.sessions.activities import discussion_data
from exchange.sessions.activities import draft_data
from exchange.sessions.activities import feedback_data
from exchange.sessions.activities import notes_data
from exchange.sessions.activities import selection_data
from exchange.sessions.activities import record_data
from exchange.sessions.activities import redaction_data
from exchange.sessions.activities import moderation_data
from exchange.sessions.activities import leading_data
from exchange.sessions.activities import prepared_data
from exchange.sessions.activities import card_groups_data
from exchange.sessions.commands import (
    MAX_ORDER_LENGTH,
    Actor,
    ParticipantId,
    PersonName,
    TimerKind,
)

Seconds = Annotated[float, Field(ge=0)]
PhaseIndex = Annotated[int, Field(ge=0)]


class TurnEndReason(StrEnum):
    """Why a turn ended; decides where the speaker goes next."""

    FINISHED = "finished"  # done for this round
    PASSED = "passed"  # back to the end of the waiting order
    SKIPPED = "skipped"  # out of this round
    TIME_UP = "time_up"  # done for this round (the phase advances on expiry)
    PHASE_ENDED = "phase_ended"


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ParticipantJoined(_Event):
    """A practitioner is in the roster from now on."""

    type: Literal["participant_joined"] = "participant_joined"
    participant_id: ParticipantId
    name: PersonName


class ExchangeStarted(_Event):
    """The exchange went live with this plan (the plan is frozen from here on)."""

    type: Literal["exchange_started"] = "exchange_started"
    plan: PhasePlan
    started_at: AwareDatetime


class PhaseStarted(_Event):
    """Phase `index` began; its timer runs until `deadline`."""

    type: Literal["phase_started"] = "phase_started"
    index: PhaseIndex
    started_at: AwareDatetime
    deadline: AwareDatetime


class PhaseEnded(_Event):
    """Phase `index` ended; its hands are cleared (turns and floor end by their own events first)."""

    type: Literal["phase_ended"] = "phase_ended"
    index: PhaseIndex
    ended_at: AwareDatetime


class ExchangeEnded(_Event):
    """The exchange is over."""

    type: Literal["exchange_ended"] = "exchange_ended"
    ended_at: AwareDatetime


class TimeUp(_Event):
    """A timer ran out and everyone has been told (once)."""

    type: Literal["time_up"] = "time_up"
    timer: TimerKind


class TimerPaused(_Event):
    """A timer froze with `remaining_seconds` left."""

    type: Literal["timer_paused"] = "timer_paused"
    timer: TimerKind
    remaining_seconds: Seconds


class TimerResumed(_Event):
    """A paused timer runs again until `deadline`."""

    type: Literal["timer_resumed"] = "timer_resumed"
    timer: TimerKind
    deadline: AwareDatetime


class TimeAdded(_Event):
    """A timer got `seconds` more; it now runs until `deadline`, or, paused, has `remaining_seconds`."""

    type: Literal["time_added"] = "time_added"
    timer: TimerKind
    seconds: int
    deadline: AwareDatetime | None = None
    remaining_seconds: Seconds | None = None


class SpeakingOrderSet(_Event):
    """Who is waiting to speak, in order (done or skipped people listed here are back in)."""

    type: Literal["speaking_order_set"] = "speaking_order_set"
    order: tuple[ParticipantId, ...] = Field(max_length=MAX_ORDER_LENGTH * 2)


class ParticipantSkipped(_Event):
    """A waiting speaker was taken out of this round."""

    type: Literal["participant_skipped"] = "participant_skipped"
    participant_id: ParticipantId


class TurnStarted(_Event):
    """A speaker has the floor until `deadline`."""

    type: Literal["turn_started"] = "turn_started"
    participant_id: ParticipantId
    started_at: AwareDatetime
    deadline: AwareDatetime


class TurnEnded(_Event):
    """A turn ended after `seconds` of airtime."""

    type: Literal["turn_ended"] = "turn_ended"
    participant_id: ParticipantId
    ended_at: AwareDatetime
    seconds: Seconds
    reason: TurnEndReason


class HandRaised(_Event):
    """Someone joined the hand queue."""

    type: Literal["hand_raised"] = "hand_raised"
    participant_id: ParticipantId
    at: AwareDatetime


class HandLowered(_Event):
    """Someone left the hand queue without taking the floor."""

    type: Literal["hand_lowered"] = "hand_lowered"
    participant_id: ParticipantId


class FloorGiven(_Event):
    """Someone holds the open floor (and left the hand queue)."""

    type: Literal["floor_given"] = "floor_given"
    participant_id: ParticipantId
    started_at: AwareDatetime


class FloorEnded(_Event):
    """The floor holder gave it back after `seconds` of airtime."""

    type: Literal["floor_ended"] = "floor_ended"
    participant_id: ParticipantId
    ended_at: AwareDatetime
    seconds: Seconds


class QueueOrderSet(_Event):
    """The hand queue is ordered this way until the phase ends."""

    type: Literal["queue_order_set"] = "queue_order_set"
    order: QueueOrder


Event = Annotated[
    Union[
        ParticipantJoined,
        ExchangeStarted,
        PhaseStarted,
        PhaseEnded,
        ExchangeEnded,
        TimeUp,
        TimerPaused,
        TimerResumed,
        TimeAdded,
        SpeakingOrderSet,
        ParticipantSkipped,
        TurnStarted,
        TurnEnded,
        HandRaised,
        HandLowered,
        FloorGiven,
        FloorEnded,
        QueueOrderSet,
        agreements_data.AgreementsAccepted,
        stories_data.StoryShared,
        stories_data.StoryEdited,
        stories_data.StoryWithdrawn,
        stories_data.ListeningNoteWritten,
        stories_data.ReflectionAdded,
        stories_data.RecallAdded,
        record_data.OffRecordSet,
        cards_data.CardAdded,
        cards_data.CardEdited,
        cards_data.CardWithdrawn,
        cards_data.ClusterCreated,
        cards_data.CardMoved,
        cards_data.VotingOpened,
        cards_data.VotingClosed,
        cards_data.VotesRevealed,
        cards_data.VoteCast,
        cards_data.VoteRetracted,
        discussion_data.ActionAdded,
        discussion_data.ActionCompleted,
        discussion_data.ActionRemoved,
        discussion_data.PointNoted,
        discussion_data.PointRemoved,
        draft_data.SectionEdited,
        draft_data.DraftFinalSet,
        feedback_data.FeedbackSubmitted,
        notes_data.NoteAdded,
        notes_data.PointParked,
        notes_data.PointResolved,
        selection_data.SelectionRoundOpened,
        selection_data.SelectionVoteCast,
        selection_data.SelectionVoteRetracted,
        selection_data.SelectionRoundClosed,
        selection_data.SelectionRecorded,
        redaction_data.ContributionRedacted,
        moderation_data.ItemHidden,
        moderation_data.ItemUnhidden,
        leading_data.LeadTaken,
        leading_data.LeadOffered,
        leading_data.LeadAccepted,
        leading_data.LeadLeft,
        leading_data.LeadReturned,
        prepared_data.StoryPrepared,
        card_groups_data.ClusterRenamed,
        card_groups_data.ClustersMerged,
        card_groups_data.ClusterRemoved,
    ],
    Field(discriminator="type"),
]

event_adapter: TypeAdapter[Event] = TypeAdapter(Event)


class EventEnvelope(BaseModel):
    """One entry of the log: an event with its place (seq), time and author."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    exchange_id: int
    seq: int = Field(ge=1)
    at: AwareDatetime
    actor: Actor
    command_id: str | None = Field(default=None, max_length=64)
    event: Event
