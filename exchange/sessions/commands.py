"""What clients may ask of a live exchange: who is asking (Actor) and what (Command, on "type")."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, TypeAdapter, field_validator

from exchange.cleantext import cleaned_line
from exchange.names import PARTICIPANT_NAME_MAX, PERSON_NAME_MAX
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

#: An id as the edge spells it: "staff:3", "p:17", "system".
ActorId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
ParticipantId = ActorId
#: A practitioner's name, as they join (the invite form's bound).
PersonName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=PARTICIPANT_NAME_MAX), BeforeValidator(cleaned_line)
]
#: Anyone's name, staff included: an Actor must hold every name a table can (staff names are longer).
ActorName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=PERSON_NAME_MAX), BeforeValidator(cleaned_line)
]

#: Enough for any real group; a bound so a hostile list can't bloat the log.
MAX_ORDER_LENGTH = 200


class Role(StrEnum):
    """Who is acting; decides which commands are allowed."""

    FACILITATOR = "facilitator"
    PARTICIPANT = "participant"
    LEAD = "lead"
    SYSTEM = "system"


class TimerKind(StrEnum):
    """The two clocks of a live exchange."""

    PHASE = "phase"
    TURN = "turn"


class Actor(BaseModel):
    """An authenticated someone (or the system) on whose behalf a command runs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Role
    id: ActorId
    name: ActorName


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Join(_Command):
    """A practitioner arrives; rejoining is a no-op."""

    type: Literal["join"] = "join"
    name: PersonName


class StartExchange(_Command):
    """Start phase 0; the edge fills `plan` from the database."""

    type: Literal["start_exchange"] = "start_exchange"
    plan: PhasePlan | None = None


class NextPhase(_Command):
    """End the current phase and start the next one."""

    type: Literal["next_phase"] = "next_phase"


class PreviousPhase(_Command):
    """End the current phase and go back to the one before."""

    type: Literal["previous_phase"] = "previous_phase"


class GotoPhase(_Command):
    """End the current phase and start the one at `index`."""

    type: Literal["goto_phase"] = "goto_phase"
    index: int = Field(ge=0, le=99)


class EndExchange(_Command):
    """End whatever runs and close the exchange."""

    type: Literal["end_exchange"] = "end_exchange"


class PauseTimer(_Command):
    """Freeze a timer, keeping the time it has left."""

    type: Literal["pause_timer"] = "pause_timer"
    timer: TimerKind


class ResumeTimer(_Command):
    """Restart a paused timer from the time it had left."""

    type: Literal["resume_timer"] = "resume_timer"
    timer: TimerKind


class AddTime(_Command):
    """Give a timer more (or, negative, less) time."""

    type: Literal["add_time"] = "add_time"
    timer: TimerKind
    seconds: int = Field(ge=-600, le=3600)

    @field_validator("seconds")
    @classmethod
    def _nonzero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("seconds must not be zero")
        return value


class Tick(_Command):
    """The clock: signal or act on every deadline that has passed (SYSTEM only)."""

    type: Literal["tick"] = "tick"


class SetSpeakingOrder(_Command):
    """Replace the waiting order; it must still hold everyone waiting to speak."""

    type: Literal["set_speaking_order"] = "set_speaking_order"
    order: tuple[ParticipantId, ...] = Field(max_length=MAX_ORDER_LENGTH)


class NextTurn(_Command):
    """Start the first speaker still waiting (ending the current turn, if any)."""

    type: Literal["next_turn"] = "next_turn"


class FinishTurn(_Command):
    """The speaker (or the facilitator) ends the turn early."""

    type: Literal["finish_turn"] = "finish_turn"


class PassTurn(_Command):
    """The speaker passes for now: they move to the end of the order."""

    type: Literal["pass_turn"] = "pass_turn"


class SkipParticipant(_Command):
    """Take someone (absent, say) out of this round."""

    type: Literal["skip_participant"] = "skip_participant"
    participant_id: ParticipantId


class ExtendTurn(_Command):
    """Give the current speaker more time."""

    type: Literal["extend_turn"] = "extend_turn"
    seconds: int = Field(ge=1, le=3600)


class MoveSpeaker(_Command):
    """Move a waiting speaker to `position` in the order (past the end means last)."""

    type: Literal["move_speaker"] = "move_speaker"
    participant_id: ParticipantId
    position: int = Field(ge=0, le=MAX_ORDER_LENGTH)


class RaiseHand(_Command):
    """Ask for the floor; a facilitator may raise a hand on someone's behalf."""

    type: Literal["raise_hand"] = "raise_hand"
    participant_id: ParticipantId | None = None


class LowerHand(_Command):
    """Withdraw a raised hand; a practitioner lowers only their own."""

    type: Literal["lower_hand"] = "lower_hand"
    participant_id: ParticipantId | None = None


class GiveFloor(_Command):
    """Give someone the floor; without an id, the first hand in the queue."""

    type: Literal["give_floor"] = "give_floor"
    participant_id: ParticipantId | None = None


class EndFloor(_Command):
    """The holder (or the facilitator) gives the floor back."""

    type: Literal["end_floor"] = "end_floor"


class SetQueueOrder(_Command):
    """Choose how the hand queue is ordered for the rest of this phase."""

    type: Literal["set_queue_order"] = "set_queue_order"
    order: QueueOrder


Command = Annotated[
    Union[
        Join,
        StartExchange,
        NextPhase,
        PreviousPhase,
        GotoPhase,
        EndExchange,
        PauseTimer,
        ResumeTimer,
        AddTime,
        Tick,
        SetSpeakingOrder,
        NextTurn,
        FinishTurn,
        PassTurn,
        SkipParticipant,
        ExtendTurn,
        MoveSpeaker,
        RaiseHand,
        LowerHand,
        GiveFloor,
        EndFloor,
        SetQueueOrder,
        agreements_data.AcceptAgreements,
        stories_data.ShareStory,
        stories_data.WithdrawStory,
        stories_data.WriteListeningNote,
        stories_data.Reflect,
        stories_data.AddRecall,
        record_data.SetOffRecord,
        cards_data.AddCard,
        cards_data.EditCard,
        cards_data.WithdrawCard,
        cards_data.CreateCluster,
        cards_data.MoveCard,
        cards_data.OpenVoting,
        cards_data.CloseVoting,
        cards_data.RevealVotes,
        cards_data.CastVote,
        cards_data.RetractVote,
        discussion_data.AddAction,
        discussion_data.CompleteAction,
        discussion_data.RemoveAction,
        discussion_data.NotePoint,
        discussion_data.RemovePoint,
        draft_data.EditSection,
        draft_data.SetDraftFinal,
        feedback_data.SubmitFeedback,
        notes_data.AddNote,
        notes_data.ParkPoint,
        notes_data.ResolvePoint,
        selection_data.OpenSelectionRound,
        selection_data.CastSelectionVote,
        selection_data.RetractSelectionVote,
        selection_data.CloseSelectionRound,
        selection_data.RecordSelection,
        redaction_data.RedactContribution,
        moderation_data.HideItem,
        moderation_data.UnhideItem,
        leading_data.OfferLead,
        leading_data.AcceptLead,
        leading_data.LeadPresence,
        prepared_data.PrepareStory,
        prepared_data.SharePreparedStory,
        card_groups_data.RenameCluster,
        card_groups_data.MergeClusters,
        card_groups_data.RemoveCluster,
    ],
    Field(discriminator="type"),
]

command_adapter: TypeAdapter[Command] = TypeAdapter(Command)
