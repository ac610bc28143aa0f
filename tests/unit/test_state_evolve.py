"""`evolve`, the state's fast `dataclasses.replace`, gives what replace gives."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exchange.sessions import activities
from exchange.sessions import state as state_module
from exchange.sessions.state import SessionState, Timer, evolve
from tests.unit.test_view_projection import _states


def _state_dataclasses() -> set[type]:
    """Every dataclass the state is made of: state.py's and each activity's *_data module's."""
    modules = [state_module] + [
        importlib.import_module(f"{activities.__name__}.{info.name}")
        for info in pkgutil.iter_modules(activities.__path__)
        if info.name.endswith("_data")
    ]
    return {
        value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__ == module.__name__
    }


def test_every_dataclass_of_the_state_is_frozen_and_takes_its_fields_in_order() -> None:
    """What evolve relies on: it passes every field, positionally, to __init__."""
    classes = _state_dataclasses()
    assert SessionState in classes and len(classes) > 10
    for cls in classes:
        assert cls.__dataclass_params__.frozen, cls  # type: ignore[attr-defined]
        for field in dataclasses.fields(cls):
            assert field.init and not field.kw_only, f"{cls.__name__}.{field.name}"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_evolve_gives_what_replace_gives(data: st.DataObject) -> None:
    states = _states(data)
    names = [field.name for field in dataclasses.fields(SessionState)]
    for state in states:
        changed = data.draw(st.lists(st.sampled_from(names), max_size=3, unique=True), label="fields")
        source = data.draw(st.sampled_from(states), label="values from")
        changes = {name: getattr(source, name) for name in changed}
        assert evolve(state, **changes) == dataclasses.replace(state, **changes)


def test_evolve_refuses_a_field_that_does_not_exist() -> None:
    with pytest.raises(TypeError, match="no field 'deadlin'"):
        evolve(Timer(), deadlin=None)
