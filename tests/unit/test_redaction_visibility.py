"""A redaction's reason is for staff; practitioners only see the contribution disappear."""

from __future__ import annotations

from datetime import UTC, datetime

from exchange.sessions.commands import Actor, Role
from exchange.sessions.events import EventEnvelope, event_adapter
from exchange.sessions.privacy import Audience
from tests.unit.test_activity_support import visible_event


def test_a_redaction_reaches_staff_only() -> None:
    event = event_adapter.validate_python(
        {
            "type": "contribution_redacted",
            "item_id": "story-1",
            "reason": "names a survivor",
            "by": "staff:1",
            "at": "2026-11-23T10:00:00Z",
        }
    )
    envelope = EventEnvelope(
        exchange_id=1,
        seq=5,
        at=datetime(2026, 11, 23, 10, tzinfo=UTC),
        actor=Actor(role=Role.LEAD, id="staff:1", name="Lead"),
        event=event,
    )
    assert visible_event(envelope, Audience.PARTICIPANT) is None
    shown = visible_event(envelope, Audience.FACILITATOR)
    assert shown is not None and shown["event"]["reason"] == "names a survivor"
