"""The facilitator's private notes and parking lot: facilitator-only commands, never sent to anyone else."""

from __future__ import annotations

from datetime import datetime

from exchange.i18n import _
from exchange.sessions.activities.base import (
    FACILITATOR_ONLY,
    JSON,
    Applier,
    Decision,
    Rejected,
    Rule,
    too_many,
)
from exchange.sessions.activities.fields import item_id
from exchange.sessions.activities.notes_data import (
    MAX_NOTES,
    MAX_PARKING_LOT,
    AddNote,
    Note,
    NoteAdded,
    ParkedPoint,
    ParkPoint,
    PointParked,
    PointResolved,
    ResolvePoint,
)
from exchange.sessions.commands import Actor
from exchange.sessions.state import SessionState, evolve


def add_note(state: SessionState, command: AddNote, actor: Actor, now: datetime) -> Decision:
    """Keep a private note, on a point someone made or on anything."""
    if command.participant_id is not None and state.member(command.participant_id) is None:
        return Rejected("unknown_participant", _("That person hasn't joined."))
    notes = state.notes.notes
    if (refusal := too_many(len(notes), MAX_NOTES)) is not None:
        return refusal
    note_id = item_id("fnote", len(notes) + 1)
    added = NoteAdded(
        note_id=note_id, phase_index=state.phase_index, participant_id=command.participant_id, text=command.text, at=now
    )
    return [added]


def park_point(state: SessionState, command: ParkPoint, actor: Actor, now: datetime) -> Decision:
    """Park a point to come back to."""
    lot = state.notes.parking_lot
    if (refusal := too_many(len(lot), MAX_PARKING_LOT)) is not None:
        return refusal
    return [PointParked(item_id=item_id("parked", len(lot) + 1), phase_index=state.phase_index, text=command.text, at=now)]


def resolve_point(state: SessionState, command: ResolvePoint, actor: Actor, now: datetime) -> Decision:
    """Mark a parked point dealt with, or open it again."""
    point = next((p for p in state.notes.parking_lot if p.id == command.item_id), None)
    if point is None:
        return Rejected("unknown_item", _("There is no such point in the parking lot."))
    if point.resolved == command.resolved:
        return []
    return [PointResolved(item_id=point.id, resolved=command.resolved)]


def _with(state: SessionState, **changes: object) -> SessionState:
    return evolve(state, notes=evolve(state.notes, **changes))


def _noted(state: SessionState, event: NoteAdded) -> SessionState:
    note = Note(event.note_id, event.phase_index, event.participant_id, event.text)
    return _with(state, notes=(*state.notes.notes, note))


def _parked(state: SessionState, event: PointParked) -> SessionState:
    point = ParkedPoint(event.item_id, event.phase_index, event.text)
    return _with(state, parking_lot=(*state.notes.parking_lot, point))


def _resolved(state: SessionState, event: PointResolved) -> SessionState:
    lot = tuple(
        evolve(p, resolved=event.resolved) if p.id == event.item_id else p
        for p in state.notes.parking_lot
    )
    return _with(state, parking_lot=lot)


RULES: dict[str, Rule] = {
    "add_note": Rule(FACILITATOR_ONLY, add_note),
    "park_point": Rule(FACILITATOR_ONLY, park_point),
    "resolve_point": Rule(FACILITATOR_ONLY, resolve_point),
}

APPLIERS: dict[type, Applier] = {
    NoteAdded: _noted,
    PointParked: _parked,
    PointResolved: _resolved,
}


def facilitator(state: SessionState) -> JSON:
    """The notes and the parking lot (for the facilitator's view only)."""
    return {
        "notes": [
            {
                "id": n.id,
                "phase_index": n.phase_index,
                "about": None if n.participant_id is None else {"id": n.participant_id, "name": state.name_of(n.participant_id)},
                "text": n.text,
            }
            for n in state.notes.notes
        ],
        "parking_lot": [
            {"id": p.id, "phase_index": p.phase_index, "text": p.text, "resolved": p.resolved}
            for p in state.notes.parking_lot
        ],
    }
