"""The wire shapes: commands and events validate, bound their sizes, and round-trip through JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from exchange.sessions.commands import (
    Actor,
    AddTime,
    Join,
    Role,
    StartExchange,
    TimerKind,
    command_adapter,
)
from exchange.sessions.events import EventEnvelope, HandRaised, event_adapter
from tests.unit.test_session_support import AMA, PLAN, T0, joined

GOOD: list[dict[str, Any]] = [
    {"type": "join", "name": "  Ama  "},
    {"type": "start_exchange"},
    {"type": "next_phase"},
    {"type": "goto_phase", "index": 2},
    {"type": "add_time", "timer": "turn", "seconds": -600},
    {"type": "add_time", "timer": "phase", "seconds": 3600},
    {"type": "set_speaking_order", "order": ["p:1", "p:2"]},
    {"type": "move_speaker", "participant_id": "p:1", "position": 0},
    {"type": "raise_hand"},
    {"type": "lower_hand", "participant_id": "p:2"},
    {"type": "give_floor"},
    {"type": "set_queue_order", "order": "progressive"},
    {"type": "extend_turn", "seconds": 1},
    {"type": "tick"},
]

BAD: list[dict[str, Any]] = [
    {"type": "nope"},
    {"name": "no type"},
    {"type": "join", "name": ""},
    {"type": "join", "name": "   "},
    {"type": "join", "name": "x" * 81},
    {"type": "join", "name": "Ama", "role": "facilitator"},  # extra fields are refused
    {"type": "goto_phase", "index": -1},
    {"type": "goto_phase"},
    {"type": "add_time", "timer": "phase", "seconds": 0},
    {"type": "add_time", "timer": "phase", "seconds": 3601},
    {"type": "add_time", "timer": "phase", "seconds": -601},
    {"type": "add_time", "timer": "coffee", "seconds": 60},
    {"type": "extend_turn", "seconds": 0},
    {"type": "extend_turn", "seconds": 3601},
    {"type": "pause_timer"},
    {"type": "set_speaking_order", "order": ["p:1"] * 201},
    {"type": "set_speaking_order", "order": [""]},
    {"type": "skip_participant", "participant_id": "x" * 65},
    {"type": "move_speaker", "participant_id": "p:1", "position": 10_000},
    {"type": "set_queue_order", "order": "loudest"},
    {"type": "start_exchange", "plan": {"key": "x"}},
]


@pytest.mark.parametrize("data", GOOD, ids=[json.dumps(d) for d in GOOD])
def test_valid_commands_parse(data: dict[str, Any]) -> None:
    command = command_adapter.validate_python(data)
    assert command.type == data["type"]
    assert command_adapter.validate_json(command_adapter.dump_json(command)) == command


@pytest.mark.parametrize("data", BAD, ids=[json.dumps(d)[:60] for d in BAD])
def test_invalid_commands_are_refused(data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        command_adapter.validate_python(data)


def test_join_name_is_trimmed() -> None:
    assert command_adapter.validate_python({"type": "join", "name": "  Ama "}) == Join(name="Ama")


def test_commands_are_frozen() -> None:
    command = AddTime(timer=TimerKind.PHASE, seconds=5)
    with pytest.raises(ValidationError):
        setattr(command, "seconds", 10)  # noqa: B010 - assigning is the point


def test_start_exchange_carries_a_plan_over_json() -> None:
    command = StartExchange(plan=PLAN)
    assert command_adapter.validate_json(command_adapter.dump_json(command)) == command


def test_actor_is_validated() -> None:
    with pytest.raises(ValidationError):
        Actor.model_validate({"role": "admin", "id": "x", "name": "X"})
    with pytest.raises(ValidationError):
        Actor.model_validate({"role": "participant", "id": "", "name": "X"})
    assert Actor(role=Role.SYSTEM, id="system", name="System").role == "system"


def test_events_refuse_naive_times() -> None:
    with pytest.raises(ValidationError):
        HandRaised(participant_id="p:1", at=T0.replace(tzinfo=None))


def test_envelopes_round_trip() -> None:
    session = joined(AMA)
    for envelope in session.log:
        again = EventEnvelope.model_validate_json(envelope.model_dump_json())
        assert again == envelope
        assert event_adapter.validate_json(event_adapter.dump_json(envelope.event)) == envelope.event
    with pytest.raises(ValidationError):
        EventEnvelope.model_validate({**session.log[0].model_dump(), "seq": 0})
