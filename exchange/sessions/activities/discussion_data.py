"""The discussion's action list (what, who, by when) and public record of points made (data only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from exchange.sessions.activities.fields import ItemId, PersonId, text

MAX_ACTION_WHAT = 300
MAX_ACTION_WHO = 80
MAX_POINT = 500
MAX_POINTS = 500


def _iso_date(value: str) -> str:
    """A calendar date written YYYY-MM-DD."""
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a date written YYYY-MM-DD") from None
    if parsed.isoformat() != value:
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


ActionWhat = text(MAX_ACTION_WHAT)
ActionWho = text(MAX_ACTION_WHO, single_line=True)
PointText = text(MAX_POINT)
DueDate = Annotated[str, AfterValidator(_iso_date)]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AddAction(_Message):
    """Anyone adds an action: what, who, and (optionally) by when."""

    type: Literal["add_action"] = "add_action"
    what: ActionWhat
    who: ActionWho
    due: DueDate | None = None


class CompleteAction(_Message):
    """The facilitator marks an action done (or, done=False, not done)."""

    type: Literal["complete_action"] = "complete_action"
    action_id: ItemId
    done: bool = True


class RemoveAction(_Message):
    type: Literal["remove_action"] = "remove_action"
    action_id: ItemId


class ActionAdded(_Message):
    type: Literal["action_added"] = "action_added"
    action_id: ItemId
    what: ActionWhat
    who: ActionWho
    due: DueDate | None
    author_id: PersonId
    at: AwareDatetime


class ActionCompleted(_Message):
    type: Literal["action_completed"] = "action_completed"
    action_id: ItemId
    done: bool


class ActionRemoved(_Message):
    type: Literal["action_removed"] = "action_removed"
    action_id: ItemId


class NotePoint(_Message):
    """The facilitator records, for everyone, a point made in a discussion phase (and, optionally, who made it)."""

    type: Literal["note_point"] = "note_point"
    text: PointText
    participant_id: PersonId | None = None


class RemovePoint(_Message):
    type: Literal["remove_point"] = "remove_point"
    point_id: ItemId


class PointNoted(_Message):
    type: Literal["point_noted"] = "point_noted"
    point_id: ItemId
    phase_index: int = Field(ge=0)
    text: PointText
    participant_id: PersonId | None = None
    at: AwareDatetime


class PointRemoved(_Message):
    type: Literal["point_removed"] = "point_removed"
    point_id: ItemId


COMMANDS = (AddAction, CompleteAction, RemoveAction, NotePoint, RemovePoint)
EVENTS = (ActionAdded, ActionCompleted, ActionRemoved, PointNoted, PointRemoved)


@dataclass(frozen=True, slots=True)
class Action:
    id: str
    what: str
    who: str
    due: str | None
    author_id: str
    done: bool = False
    removed: bool = False


@dataclass(frozen=True, slots=True)
class Point:
    """A point made in a discussion phase, recorded publicly by the facilitator."""

    id: str
    phase_index: int
    text: str
    participant_id: str | None
    removed: bool = False


@dataclass(frozen=True, slots=True)
class DiscussionState:
    actions: tuple[Action, ...] = ()  # removed ones stay, flagged, so ids are never reused
    points: tuple[Point, ...] = ()  # likewise
