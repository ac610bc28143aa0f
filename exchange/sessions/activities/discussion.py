"""The action list of a discussion: anyone adds (what, who, by when); the facilitator ticks off or removes.

The list runs across the whole exchange, so any phase may add to it. The points made are a public
record the facilitator keeps in discussion phases (who made each, if given); everyone sees them and
they go into the transcript. The facilitator's private notes live in notes.py (never exported); the
hand queue is hands.py.
"""

from __future__ import annotations

from datetime import datetime

from exchange.i18n import _
from exchange.sessions.activities.base import (
    FACILITATOR_ONLY,
    JSON,
    PEOPLE,
    Applier,
    Decision,
    Rejected,
    Rule,
    check_kind,
    too_many,
)
from exchange.sessions.activities.discussion_data import (
    MAX_POINTS,
    Action,
    ActionAdded,
    ActionCompleted,
    ActionRemoved,
    AddAction,
    CompleteAction,
    NotePoint,
    Point,
    PointNoted,
    PointRemoved,
    RemoveAction,
    RemovePoint,
)
from exchange.sessions.activities import quotas
from exchange.sessions.activities.fields import item_id
from exchange.prompts.models import ActivityKind
from exchange.sessions.commands import Actor
from exchange.sessions.state import SessionState, evolve


def _standing(state: SessionState, action_id: str) -> Action | Rejected:
    action = next((a for a in state.discussion.actions if a.id == action_id), None)
    if action is None or action.removed:
        return Rejected("unknown_action", _("There is no such action."))
    return action


def add_action(state: SessionState, command: AddAction, actor: Actor, now: datetime) -> Decision:
    actions = state.discussion.actions
    if (refusal := quotas.check(state, quotas.Quota.ACTIONS, actor.id)) is not None:
        return refusal
    added = ActionAdded(
        action_id=item_id("action", len(actions) + 1),
        what=command.what,
        who=command.who,
        due=command.due,
        author_id=actor.id,
        at=now,
    )
    return [added]


def complete_action(state: SessionState, command: CompleteAction, actor: Actor, now: datetime) -> Decision:
    action = _standing(state, command.action_id)
    if isinstance(action, Rejected):
        return action
    return [] if action.done == command.done else [ActionCompleted(action_id=action.id, done=command.done)]


def remove_action(state: SessionState, command: RemoveAction, actor: Actor, now: datetime) -> Decision:
    action = _standing(state, command.action_id)
    if isinstance(action, Rejected):
        return action
    return [ActionRemoved(action_id=action.id)]


POINT_KINDS = frozenset({ActivityKind.DISCUSSION})


def note_point(state: SessionState, command: NotePoint, actor: Actor, now: datetime) -> Decision:
    """Record, for everyone, a point made in the running discussion phase."""
    refusal = check_kind(state, POINT_KINDS, _("Points are recorded in a discussion phase."))
    if refusal is not None:
        return refusal
    if command.participant_id is not None and state.member(command.participant_id) is None:
        return Rejected("unknown_participant", _("That person hasn't joined."))
    points = state.discussion.points
    if (refusal := too_many(len(points), MAX_POINTS)) is not None:
        return refusal
    assert state.phase_index is not None  # a phase is running: check_kind saw it
    noted = PointNoted(
        point_id=item_id("point", len(points) + 1),
        phase_index=state.phase_index,
        text=command.text,
        participant_id=command.participant_id,
        at=now,
    )
    return [noted]


def remove_point(state: SessionState, command: RemovePoint, actor: Actor, now: datetime) -> Decision:
    point = next((p for p in state.discussion.points if p.id == command.point_id), None)
    if point is None or point.removed:
        return Rejected("unknown_point", _("There is no such point."))
    return [PointRemoved(point_id=point.id)]


def _changed(state: SessionState, action_id: str, **changes: object) -> SessionState:
    actions = tuple(
        evolve(a, **changes) if a.id == action_id else a for a in state.discussion.actions
    )
    return evolve(state, discussion=evolve(state.discussion, actions=actions))


def _added(state: SessionState, event: ActionAdded) -> SessionState:
    action = Action(event.action_id, event.what, event.who, event.due, event.author_id)
    actions = (*state.discussion.actions, action)
    return evolve(state, discussion=evolve(state.discussion, actions=actions))


def _completed(state: SessionState, event: ActionCompleted) -> SessionState:
    return _changed(state, event.action_id, done=event.done)


def _removed(state: SessionState, event: ActionRemoved) -> SessionState:
    return _changed(state, event.action_id, removed=True)


def _with_points(state: SessionState, points: tuple[Point, ...]) -> SessionState:
    return evolve(state, discussion=evolve(state.discussion, points=points))


def _point_noted(state: SessionState, event: PointNoted) -> SessionState:
    point = Point(event.point_id, event.phase_index, event.text, event.participant_id)
    return _with_points(state, (*state.discussion.points, point))


def _point_removed(state: SessionState, event: PointRemoved) -> SessionState:
    points = tuple(
        evolve(p, removed=True) if p.id == event.point_id else p for p in state.discussion.points
    )
    return _with_points(state, points)


RULES: dict[str, Rule] = {
    "add_action": Rule(PEOPLE, add_action),
    "complete_action": Rule(FACILITATOR_ONLY, complete_action),
    "remove_action": Rule(FACILITATOR_ONLY, remove_action),
    "note_point": Rule(FACILITATOR_ONLY, note_point),
    "remove_point": Rule(FACILITATOR_ONLY, remove_point),
}

APPLIERS: dict[type, Applier] = {
    ActionAdded: _added,
    ActionCompleted: _completed,
    ActionRemoved: _removed,
    PointNoted: _point_noted,
    PointRemoved: _point_removed,
}


def view(state: SessionState) -> JSON:
    """The standing actions and the points made (the same for everyone)."""
    actions = [
        {"id": a.id, "what": a.what, "who": a.who, "due": a.due, "done": a.done,
         "added_by": {"id": a.author_id, "name": state.name_of(a.author_id)},
         "off_record": a.id in state.record.off_record}
        for a in state.discussion.actions
        if not a.removed
    ]  # fmt: skip
    points = [
        {"id": p.id, "phase_index": p.phase_index, "text": p.text, "made_by": _maker(state, p.participant_id),
         "off_record": p.id in state.record.off_record}
        for p in state.discussion.points
        if not p.removed
    ]
    return {"actions": actions, "points": points}


def _maker(state: SessionState, participant_id: str | None) -> JSON | None:
    return None if participant_id is None else {"id": participant_id, "name": state.name_of(participant_id)}
