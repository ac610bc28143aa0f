"""The folded state of one live exchange: data only, immutable, compared by value."""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from exchange.prompts.models import Phase, PhasePlan, QueueOrder
from exchange.sessions.activities.agreements_data import AgreementsState
from exchange.sessions.activities.cards_data import CardsState
from exchange.sessions.activities.discussion_data import DiscussionState
from exchange.sessions.activities.draft_data import DraftState
from exchange.sessions.activities.feedback_data import FeedbackState
from exchange.sessions.activities.leading_data import LeadState
from exchange.sessions.activities.moderation_data import ModerationState
from exchange.sessions.activities.prepared_data import PreparedState
from exchange.sessions.activities.notes_data import NotesState
from exchange.sessions.activities.record_data import RecordState
from exchange.sessions.activities.redaction_data import RedactionState
from exchange.sessions.activities.selection_data import SelectionState
from exchange.sessions.activities.stories_data import StoriesState


class Status(StrEnum):
    """The lifecycle of an exchange: WAITING -> LIVE -> ENDED, never back."""

    WAITING = "waiting"
    LIVE = "live"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class Member:
    """A practitioner in the roster, with the seconds they have held the floor so far."""

    id: str
    name: str
    airtime: float = 0.0


@dataclass(frozen=True, slots=True)
class Timer:
    """A countdown as data: running (deadline set), paused (remaining set) or idle (neither)."""

    deadline: datetime | None = None
    paused_remaining: float | None = None
    time_up: bool = False  # TimeUp was signalled; keeps a SIGNAL timer from signalling twice

    @property
    def running(self) -> bool:
        return self.deadline is not None

    @property
    def paused(self) -> bool:
        return self.paused_remaining is not None

    @property
    def active(self) -> bool:
        return self.running or self.paused


@dataclass(frozen=True, slots=True)
class PhaseRecord:
    """When a phase actually ran: first start, and last end (None while it runs or never ran)."""

    started_at: datetime | None = None
    ended_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Turns:
    """The speaking round of a turn-based phase."""

    remaining: tuple[str, ...] = ()  # waiting to speak, in order
    done: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    speaker: str | None = None
    since: datetime | None = None
    timer: Timer = field(default_factory=Timer)


@dataclass(frozen=True, slots=True)
class Hand:
    """A raised hand; the queue keeps them in the order they were raised."""

    participant_id: str
    raised_at: datetime


@dataclass(frozen=True, slots=True)
class SessionState:
    """Everything a live exchange knows, folded from its events."""

    exchange_id: int
    status: Status = Status.WAITING
    plan: PhasePlan | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    roster: tuple[Member, ...] = ()  # in joining order
    phase_index: int | None = None
    phases: tuple[PhaseRecord, ...] = ()  # one per plan phase
    phase_timer: Timer = field(default_factory=Timer)
    turns: Turns = field(default_factory=Turns)
    hands: tuple[Hand, ...] = ()
    queue_order: QueueOrder = QueueOrder.FIRST_COME
    floor_holder: str | None = None
    floor_since: datetime | None = None
    # One field per activity; each keeps what every phase of its kind produced (keyed by phase index).
    agreements: AgreementsState = field(default_factory=AgreementsState)
    stories: StoriesState = field(default_factory=StoriesState)
    cards: CardsState = field(default_factory=CardsState)
    discussion: DiscussionState = field(default_factory=DiscussionState)
    draft: DraftState = field(default_factory=DraftState)
    feedback: FeedbackState = field(default_factory=FeedbackState)
    notes: NotesState = field(default_factory=NotesState)
    selection: SelectionState = field(default_factory=SelectionState)
    redactions: RedactionState = field(default_factory=RedactionState)
    record: RecordState = field(default_factory=RecordState)
    moderation: ModerationState = field(default_factory=ModerationState)
    lead: LeadState = field(default_factory=LeadState)  # which facilitator leads the console
    prepared: PreparedState = field(default_factory=PreparedState)  # stories written before the call
    last_seq: int = 0

    @classmethod
    def initial(cls, exchange_id: int) -> SessionState:
        """The state before any event: waiting, nobody joined."""
        return cls(exchange_id=exchange_id)

    @property
    def phase(self) -> Phase | None:
        """The phase running now, if any."""
        if self.plan is None or self.phase_index is None:
            return None
        return self.plan.phases[self.phase_index]

    @property
    def turn_based(self) -> bool:
        """Whether the running phase is organised in speaking turns."""
        phase = self.phase
        return phase is not None and phase.turn_based

    def member(self, participant_id: str) -> Member | None:
        """The roster entry for an id, if they joined."""
        for member in self.roster:
            if member.id == participant_id:
                return member
        return None

    def name_of(self, participant_id: str) -> str:
        """A display name for an id (the id itself if unknown)."""
        member = self.member(participant_id)
        return member.name if member is not None else participant_id

    def airtime_of(self, participant_id: str) -> float:
        """Seconds this person has held the floor, finished turns and floors only."""
        member = self.member(participant_id)
        return member.airtime if member is not None else 0.0


def initial_state(exchange_id: int) -> SessionState:
    """The state before any event."""
    return SessionState.initial(exchange_id)


T = TypeVar("T")
#: Per dataclass: a getter for all its fields at once, and each field's position.
_SHAPES: dict[type, tuple[Callable[[Any], tuple[Any, ...]], dict[str, int]]] = {}


def _shape(cls: type) -> tuple[Callable[[Any], tuple[Any, ...]], dict[str, int]]:
    names = tuple(f.name for f in dataclasses.fields(cls))
    get = operator.attrgetter(*names) if len(names) > 1 else (lambda instance: tuple(getattr(instance, n) for n in names))
    _SHAPES[cls] = shape = (get, {name: index for index, name in enumerate(names)})
    return shape


def evolve(instance: T, **changes: Any) -> T:
    """A copy of a frozen dataclass with `changes`: `dataclasses.replace` at a third of the cost.

    Every event makes a new state and new parts of it; replace goes through the fields one by one
    in Python (13 us for a SessionState, 5 us here). Every dataclass of the state takes all its
    fields in order in __init__, which a unit test checks.
    """
    cls = type(instance)
    get, positions = _SHAPES.get(cls) or _shape(cls)
    values = list(get(instance))
    for name, value in changes.items():
        position = positions.get(name)
        if position is None:
            raise TypeError(f"{cls.__name__} has no field {name!r}")
        values[position] = value
    return cls(*values)
