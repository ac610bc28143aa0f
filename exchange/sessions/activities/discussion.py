"""The action list of a discussion: anyone adds (what, who, by when); the facilitator ticks off or removes.

The list runs across the whole exchange, so any phase may add to it. The facilitator's notes on
points made live in notes.py (private); the hand queue is hands.py.
"""

from __future__ import annotations

import dataclasses
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
    too_many,
)
from exchange.sessions.activities.discussion_data import (
    MAX_ACTIONS,
    Action,
    ActionAdded,
    ActionCompleted,
    ActionRemoved,
    AddAction,
    CompleteAction,
    RemoveAction,
)
from exchange.sessions.activities.fields import item_id
from exchange.sessions.commands import Actor
from exchange.sessions.state import SessionState


def _standing(state: SessionState, action_id: str) -> Action | Rejected:
    action = next((a for a in state.discussion.actions if a.id == action_id), None)
    if action is None or action.removed:
        return Rejected("unknown_action", _("There is no such action."))
    return action


def add_action(state: SessionState, command: AddAction, actor: Actor, now: datetime) -> Decision:
    actions = state.discussion.actions
    if (refusal := too_many(len(actions), MAX_ACTIONS)) is not None:
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


def _changed(state: SessionState, action_id: str, **changes: object) -> SessionState:
    actions = tuple(
        dataclasses.replace(a, **changes) if a.id == action_id else a for a in state.discussion.actions
    )
    return dataclasses.replace(state, discussion=dataclasses.replace(state.discussion, actions=actions))


def _added(state: SessionState, event: ActionAdded) -> SessionState:
    action = Action(event.action_id, event.what, event.who, event.due, event.author_id)
    actions = (*state.discussion.actions, action)
    return dataclasses.replace(state, discussion=dataclasses.replace(state.discussion, actions=actions))


def _completed(state: SessionState, event: ActionCompleted) -> SessionState:
    return _changed(state, event.action_id, done=event.done)


def _removed(state: SessionState, event: ActionRemoved) -> SessionState:
    return _changed(state, event.action_id, removed=True)


RULES: dict[str, Rule] = {
    "add_action": Rule(PEOPLE, add_action),
    "complete_action": Rule(FACILITATOR_ONLY, complete_action),
    "remove_action": Rule(FACILITATOR_ONLY, remove_action),
}

APPLIERS: dict[type, Applier] = {
    ActionAdded: _added,
    ActionCompleted: _completed,
    ActionRemoved: _removed,
}


def view(state: SessionState) -> JSON:
    """The standing actions (the same for everyone)."""
    return {
        "actions": [
            {"id": a.id, "what": a.what, "who": a.who, "due": a.due, "done": a.done,
             "added_by": {"id": a.author_id, "name": state.name_of(a.author_id)}}
            for a in state.discussion.actions
            if not a.removed
        ]  # fmt: skip
    }
