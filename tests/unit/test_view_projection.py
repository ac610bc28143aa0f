"""Projections build a view section again only when what it reads changed: never a stale part.

Two properties over random scripts: each section reads only the state fields it declares (watched
through a recording stand-in for the state), and a hub's projections fed the states of a script
hold exactly the view a fresh build gives, encoded, and report exactly the parts that changed.
"""

from __future__ import annotations

import functools
import json
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from exchange.sessions import commands as c
from exchange.sessions.commands import Role
from exchange.sessions.state import Member, SessionState
from exchange.sessions.views import (
    FACILITATOR_SECTIONS,
    NAMES,
    PARTICIPANT_SECTIONS,
    Projection,
    Section,
    SharedBuilds,
    facilitator_view,
    participant_view,
    projections,
)
from tests.unit import test_session_properties as core
from tests.unit.test_activity_properties import steps
from tests.unit.test_activity_support import PLAN, at_phase
from tests.unit.test_session_support import FACILITATOR

SECTIONS = {*FACILITATOR_SECTIONS, *PARTICIPANT_SECTIONS}


class _RecordingMember:
    """A roster entry that notes whether a view used only who someone is, or their airtime too."""

    def __init__(self, member: Member, seen: set[str]) -> None:
        self._member, self._seen = member, seen

    def __getattr__(self, name: str) -> Any:
        self._seen.add(NAMES if name in {"id", "name"} else "roster")
        return getattr(self._member, name)


class _RecordingState:
    """Stands in for a SessionState and notes every field read, through properties and methods too."""

    def __init__(self, state: SessionState) -> None:
        self._state = state
        self.seen: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        declared = getattr(SessionState, name, None)
        if isinstance(declared, property):
            return declared.fget(self)  # type: ignore[misc]  # its own reads are recorded
        if callable(declared) and not isinstance(declared, type):
            return functools.partial(declared, self)
        value = getattr(self._state, name)
        if name == "roster":
            return tuple(_RecordingMember(member, self.seen) for member in value)
        self.seen.add(name)
        return value


def _reads(section: Section, state: SessionState) -> set[str]:
    recording = _RecordingState(state)
    section.build(recording)  # type: ignore[arg-type]
    return recording.seen


def _states(data: st.DataObject) -> list[SessionState]:
    """The states of a random script: the activities' contributions mixed with turns, hands and timers."""
    session = at_phase(0)
    state, now = session.state, session.now
    states = [state]
    for _ in range(data.draw(st.integers(5, 40), label="steps")):
        if data.draw(st.booleans(), label="an activity step"):
            actor, command = data.draw(steps)
            seconds = 7.0
            note(f"{actor.id}: {command!r}")
        else:
            actor, command, seconds = core.draw_step(data, PLAN, state)
        now += timedelta(seconds=seconds)
        state, _ = core.run(state, (actor, command, seconds), now)
        states.append(state)
    return states


def test_the_recording_state_notices_reads_through_properties_and_methods() -> None:
    """The checker itself: a read hidden behind `phase` or `name_of` is still seen."""
    state = at_phase(1).state
    assert _reads(Section(lambda s: {"p": s.phase}, ()), state) == {"plan", "phase_index"}
    member = state.roster[0]
    assert _reads(Section(lambda s: {"n": s.name_of(member.id)}, ()), state) == {NAMES}
    assert _reads(Section(lambda s: {"a": s.airtime_of(member.id)}, ()), state) == {NAMES, "roster"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_each_section_reads_only_what_it_declares(data: st.DataObject) -> None:
    for state in _states(data):
        for section in SECTIONS:
            declared = {*section.reads, *([NAMES] if "roster" in section.reads else [])}  # the whole roster has the names
            undeclared = _reads(section, state) - declared
            assert not undeclared, f"{section.build.__name__} reads {undeclared} without declaring it"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_projections_give_what_a_fresh_build_gives(data: st.DataObject) -> None:
    """A hub's pair of projections, each updated only while someone of its role listens."""
    live = projections()
    builds = {Role.FACILITATOR: facilitator_view, Role.PARTICIPANT: participant_view}
    for state in _states(data):
        for role, projection in live.items():
            if not data.draw(st.booleans(), label=f"someone of role {role} listens"):
                continue
            before = dict(projection.parts)
            changes = projection.update(state)
            assert projection.view == builds[role](state)
            # Each part's text is its value encoded, and the changes are exactly the parts that differ.
            assert all(json.loads(text) == json.loads(json.dumps(value)) for value, text in projection.parts.values())
            differ = {key for key, part in projection.parts.items() if key not in before or before[key][0] != part[0]}
            assert set(changes) == differ | (before.keys() - projection.parts.keys())


def test_an_unchanged_section_is_not_built_again() -> None:
    """The point of it: parts whose inputs are the same objects come back as the same objects."""
    session = at_phase(1)
    projection = Projection(FACILITATOR_SECTIONS)
    projection.update(session.state)
    before = dict(projection.parts)
    session.do(FACILITATOR, c.AddTime(timer="phase", seconds=30))
    assert set(projection.update(session.state)) == {"seq", "phase_timer"}
    for key in ("phase", "limits", "stories", "cards", "phases", "roster", "notes"):
        assert projection.parts[key] is before[key], key


def test_the_roles_build_what_they_have_in_common_once() -> None:
    built: list[int] = []
    common = Section(lambda state: built.append(state.last_seq) or {"seq": state.last_seq}, ("last_seq",))
    shared: SharedBuilds = {}
    staff, others = Projection((common,), shared), Projection((common,), shared)
    session = at_phase(1)
    staff.update(session.state)
    others.update(session.state)
    session.do(FACILITATOR, c.AddTime(timer="phase", seconds=30))
    assert staff.update(session.state) == others.update(session.state) == {"seq": staff.parts["seq"]}
    assert built == [session.state.last_seq - 1, session.state.last_seq]
    assert staff.parts["seq"] is others.parts["seq"]


def test_a_section_that_reads_only_names_follows_the_roster() -> None:
    """Even in a projection where no section reads the whole roster, a newcomer's name shows."""
    roster_only = Section(lambda state: {"names": [m.name for m in state.roster]}, (NAMES,))
    projection = Projection((roster_only,))
    session = at_phase(1)
    projection.update(session.state)
    assert projection.view["names"] == [m.name for m in session.state.roster]
    session.do(c.Actor(role=c.Role.PARTICIPANT, id="p:42", name="Late Comer"), c.Join(name="Late Comer"))
    assert projection.update(session.state)["names"][0][-1] == "Late Comer"
