"""Server frames are JSON text: the encoder gives exactly what the standard library would."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic_core import PydanticSerializationError

from exchange.sessions import protocol

# What views, events and personal data hold: JSON's own types, any text (quotes, control
# characters, markup, non-BMP characters, the separators JavaScript treats as line ends).
def json_values(leaves: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.recursive(
        st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1) | st.text() | leaves,
        lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5),
        max_leaves=30,
    )


@given(json_values(st.nothing()))
def test_frames_encode_as_the_standard_library_does(value: object) -> None:
    assert protocol.encoded(value)[1] == json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@given(json_values(st.floats(allow_nan=False, allow_infinity=False)))
def test_frames_decode_to_exactly_what_was_encoded(value: object) -> None:
    # Numbers may be spelled differently (0.00006 rather than 6e-05), never changed.
    assert json.loads(protocol.encoded(value)[1]) == value


def test_user_text_stays_inside_its_string() -> None:
    hostile = '"},"type":"snapshot","x":"</script><script>alert(1)</script>\u2028\n\\'
    frame = protocol.error(code="invalid", message=hostile)
    assert json.loads(frame) == {"type": "error", "code": "invalid", "message": hostile}


def test_times_are_sent_in_utc_with_a_z() -> None:
    moment = datetime(2026, 11, 29, 18, 30, tzinfo=timezone(timedelta(hours=1)))
    welcome = json.loads(protocol.welcome(you={"id": "p1"}, now=moment, exchange_id=3))
    assert welcome["server_time"] == "2026-11-29T17:30:00Z"
    pong = json.loads(protocol.pong(t=1.5, now=moment.astimezone(UTC)))
    assert pong == {"type": "pong", "t": 1.5, "server_time": "2026-11-29T17:30:00Z"}


def test_a_value_json_has_no_text_for_is_refused() -> None:
    with pytest.raises(PydanticSerializationError, match="can't encode object"):
        protocol.encoded({"part": object()})
