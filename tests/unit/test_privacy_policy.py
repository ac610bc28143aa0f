"""The privacy policy is one table with a row for every event type, and every row makes sense."""

from __future__ import annotations

import typing

import pytest

from exchange.sessions import privacy
from exchange.sessions.events import Event
from exchange.sessions.privacy import (
    LIVE_AUDIENCES,
    POLICY,
    Anonymous,
    Applied,
    Audience,
    Counted,
    Hidden,
    Shown,
)

EVENT_CLASSES = typing.get_args(typing.get_args(Event)[0])
EVENT_TYPES = {cls.model_fields["type"].default: cls for cls in EVENT_CLASSES}


def test_every_event_type_has_exactly_one_row() -> None:
    """A new event type without a row fails here, before it can reach a socket or an export."""
    assert set(POLICY) == set(EVENT_TYPES), (set(EVENT_TYPES) - set(POLICY), set(POLICY) - set(EVENT_TYPES))


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_row_names_real_fields_and_every_audience(event_type: str) -> None:
    entry = POLICY[event_type]
    fields = set(EVENT_TYPES[event_type].model_fields)
    for audience in Audience:
        visibility = entry.visibility(audience)
        assert isinstance(visibility, Hidden | Shown | Anonymous | Counted | Applied), (event_type, audience)
        named = set(getattr(visibility, "identity", ())) | set(getattr(visibility, "withheld", ()))
        assert named <= fields, (event_type, audience, named - fields)
        if isinstance(visibility, Anonymous) and visibility.when is not None:
            assert visibility.when in fields
        if isinstance(visibility, Counted | Applied):
            assert audience is Audience.EXPORT, (event_type, audience)  # summaries and marks are for the record
    assert set(entry.people) <= fields, (event_type, set(entry.people) - fields)
    assert entry.author_field is None or entry.author_field in fields


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_what_others_may_not_see_reaches_its_author(event_type: str) -> None:
    """An event hidden from practitioners, or anonymous to them, names whose it is, so the author's
    personal view can carry it to them (views.personal_subjects); and the author sees it whole."""
    entry = POLICY[event_type]
    if isinstance(entry.participant, Hidden | Anonymous) and not isinstance(entry.facilitator, Shown):
        assert entry.author_field is not None, event_type
        assert isinstance(entry.author, Shown), event_type


def test_staff_watching_share_the_console() -> None:
    """A lead watching live sees what the facilitator sees, no more (their frames share one view)."""
    for event_type, entry in POLICY.items():
        assert entry.lead == entry.facilitator, event_type


def test_identities_never_reach_an_audience_that_may_not_see_them() -> None:
    data = {
        "exchange_id": 1, "seq": 3, "at": "2026-12-02T10:00:00Z", "command_id": "c-12345678",
        "actor": {"role": "participant", "id": "p:7", "name": "Amina"},
        "event": {"type": "card_added", "card_id": "card-1", "phase_index": 2, "author_id": "p:7",
                  "anonymous": True, "fields": {"what": "x"}, "at": "2026-12-02T10:00:00Z"},
    }  # fmt: skip
    for audience in LIVE_AUDIENCES:
        shown = privacy.visible_event(data, audience)
        assert shown is not None and "p:7" not in str(shown) and "Amina" not in str(shown) and shown["command_id"] is None
    (exported,) = privacy.exported([data])
    assert exported.data["event"]["author_id"] == "anonymous" and exported.data["actor"]["id"] == "anonymous"
    named = {**data, "event": {**data["event"], "anonymous": False}}
    assert privacy.visible_event(named, Audience.PARTICIPANT)["event"]["author_id"] == "p:7"  # type: ignore[index]


def test_votes_and_answers_are_counted_under_pseudonyms_never_listed() -> None:
    def vote(voter: str, seq: int) -> dict[str, object]:
        return {
            "exchange_id": 1, "seq": seq, "at": "2026-12-02T10:00:00Z", "command_id": None,
            "actor": {"role": "participant", "id": voter, "name": voter},
            "event": {"type": "vote_cast", "phase_index": 2, "card_id": "card-1", "voter_id": voter},
        }  # fmt: skip

    kept = privacy.exported([vote("p:1", 1), vote("p:2", 2), vote("p:1", 3)])
    assert [item.data["event"]["voter_id"] for item in kept] == ["voter-1", "voter-2", "voter-1"]
    assert not any(item.listed for item in kept)
    assert all(item.data["actor"]["id"] == "anonymous" for item in kept)


def test_staff_are_exported_by_role_never_by_name() -> None:
    data = {
        "exchange_id": 1, "seq": 1, "at": "2026-12-02T10:00:00Z", "command_id": "c-12345678",
        "actor": {"role": "lead", "id": "staff:4", "name": "Grace Mensah"},
        "event": {"type": "contribution_redacted", "item_id": "story-1", "reason": "Names a village",
                  "by": "staff:4", "at": "2026-12-02T10:00:00Z"},
    }  # fmt: skip
    (item,) = privacy.exported([data])
    assert not item.listed
    assert "Grace" not in str(item.data) and "Names a village" not in str(item.data)
    assert privacy.visible_event(data, Audience.PARTICIPANT) is None
    assert privacy.visible_event(data, Audience.FACILITATOR)["event"]["reason"] == "Names a village"  # type: ignore[index]
