"""Projections: what a facilitator and a practitioner see, and which events each role receives."""

from __future__ import annotations

import json

from exchange.sessions import commands as c
from exchange.sessions.commands import Role
from exchange.sessions.state import SessionState
from exchange.sessions.privacy import LIVE_AUDIENCES
from exchange.sessions.views import Projection, Section, facilitator_view, participant_view
from tests.unit.test_activity_support import visible_event
from tests.unit.test_session_support import AMA, BEA, CHE, FACILITATOR, STORIES, joined


def _keys_deep(value: object) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys_deep(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys_deep(v)}
    return set()


def test_initial_views_are_json() -> None:
    state = SessionState.initial(3)
    for view in (facilitator_view(state), participant_view(state)):
        json.dumps(view)
        assert view["status"] == "waiting"
        assert view["phase"] is None
        assert view["phase_count"] == 0


def test_story_round_views() -> None:
    session = joined(AMA, BEA, CHE)
    session.do(FACILITATOR, c.GotoPhase(index=STORIES))
    session.do(FACILITATOR, c.NextTurn())
    session.wait(30)
    session.do(AMA, c.FinishTurn())
    session.do(FACILITATOR, c.NextTurn())

    mine = participant_view(session.state)
    json.dumps(mine)
    assert mine["phase"]["title"] == "Stories of change"
    assert mine["phase"]["listener_prompts"] == ["What did you hear?"]
    assert (mine["phase_index"], mine["phase_count"]) == (STORIES, 4)
    assert mine["turns"]["speaker"] == {"id": "p:2", "name": "Bea"}
    assert mine["turns"]["next_speaker"] == {"id": "p:3", "name": "Che"}
    assert mine["turns"]["order"] == [{"id": "p:3", "name": "Che"}]
    assert mine["turns"]["timer"]["deadline"].endswith("Z")
    assert mine["floor"] is None
    assert "airtime_seconds" not in _keys_deep(mine)
    assert "phases" not in mine

    theirs = facilitator_view(session.state)
    json.dumps(theirs)
    assert [p["planned_offset_minutes"] for p in theirs["phases"]] == [0, 5, 35, 55]
    assert theirs["phases"][0]["ended_at"] is not None
    assert theirs["phases"][STORIES]["ended_at"] is None
    assert {m["id"]: m["airtime_seconds"] for m in theirs["roster"]}["p:1"] == 30


def test_open_floor_views() -> None:
    session = joined(AMA, BEA)
    session.do(BEA, c.RaiseHand())
    session.do(AMA, c.RaiseHand())
    session.do(FACILITATOR, c.PauseTimer(timer=c.TimerKind.PHASE))
    view = participant_view(session.state)
    assert view["turns"] is None
    assert [hand["name"] for hand in view["floor"]["hands"]] == ["Bea", "Ama"]
    paused = {"running": False, "deadline": None, "paused_remaining": 300.0, "time_up": False}
    assert view["phase_timer"] == paused
    assert view["roster"] == [{"id": "p:1", "name": "Ama"}, {"id": "p:2", "name": "Bea"}]


def test_the_shape_of_the_exchange_is_shown_to_everyone() -> None:
    session = joined(AMA)
    for envelope in session.log:
        if envelope.event.type == "lead_taken":
            continue  # which facilitator leads the console is staff business (test_activity_leading)
        for audience in LIVE_AUDIENCES:
            shown = visible_event(envelope, audience)
            assert shown is not None
            json.dumps(shown)
            assert shown["seq"] == envelope.seq
            assert shown["event"]["type"] == envelope.event.type


def test_changes_name_only_the_parts_that_differ_and_the_parts_that_went() -> None:
    def header(state: SessionState) -> dict[str, object]:
        parts: dict[str, object] = {"seq": state.last_seq, "phase": {"title": "Welcome"}}
        if state.last_seq < 3:
            parts["gone"] = [1]
        return parts

    projection = Projection((Section(header, ("last_seq",)),))
    first = projection.update(SessionState(exchange_id=1, last_seq=1))
    assert {key: value for key, (value, _text) in first.items()} == {"seq": 1, "phase": {"title": "Welcome"}, "gone": [1]}
    assert projection.update(SessionState(exchange_id=1, last_seq=3)) == {"seq": (3, "3"), "gone": None}
    assert projection.update(SessionState(exchange_id=1, last_seq=3)) == {}
    assert projection.view == {"seq": 3, "phase": {"title": "Welcome"}}
