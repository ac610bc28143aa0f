"""The facilitator's private notes (on points made, or anything) and parking lot (data only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from exchange.sessions.activities.fields import ItemId, PersonId, text

MAX_NOTE = 2000
MAX_PARKED = 500
MAX_NOTES = 1000
MAX_PARKING_LOT = 200

NoteText = text(MAX_NOTE)
ParkedText = text(MAX_PARKED, single_line=True)


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AddNote(_Message):
    """A private note; with participant_id, a note on a point that person made."""

    type: Literal["add_note"] = "add_note"
    text: NoteText
    participant_id: PersonId | None = None


class ParkPoint(_Message):
    """Put a point in the parking lot, to come back to."""

    type: Literal["park_point"] = "park_point"
    text: ParkedText


class ResolvePoint(_Message):
    """Mark a parked point dealt with (or, resolved=False, open again)."""

    type: Literal["resolve_point"] = "resolve_point"
    item_id: ItemId
    resolved: bool = True


class NoteAdded(_Message):
    type: Literal["note_added"] = "note_added"
    note_id: ItemId
    phase_index: int | None = Field(default=None, ge=0)
    participant_id: PersonId | None
    text: NoteText
    at: AwareDatetime


class PointParked(_Message):
    type: Literal["point_parked"] = "point_parked"
    item_id: ItemId
    phase_index: int | None = Field(default=None, ge=0)
    text: ParkedText
    at: AwareDatetime


class PointResolved(_Message):
    type: Literal["point_resolved"] = "point_resolved"
    item_id: ItemId
    resolved: bool


COMMANDS = (AddNote, ParkPoint, ResolvePoint)
EVENTS = (NoteAdded, PointParked, PointResolved)


@dataclass(frozen=True, slots=True)
class Note:
    id: str
    phase_index: int | None
    participant_id: str | None
    text: str


@dataclass(frozen=True, slots=True)
class ParkedPoint:
    id: str
    phase_index: int | None
    text: str
    resolved: bool = False


@dataclass(frozen=True, slots=True)
class NotesState:
    notes: tuple[Note, ...] = ()
    parking_lot: tuple[ParkedPoint, ...] = ()
