"""PURE: the event log and the derived transcript as one JSON document (schema: docs/transcript-schema.md).

The log is filtered exactly as the transcript is: private events (listening notes, the facilitator's
notes and parking lot, feedback answers, off-the-record marks) and every event about a withdrawn,
off-the-record or redacted contribution are left out; participants appear under an opaque id
("participant-3") and the name their consent allows; anonymous cards and all votes lose their
author. The kept events are renumbered from seq 1, so the state machine can load them again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from exchange.sessions.activities.base import ANONYMOUS_ACTOR
from exchange.sessions.events import EventEnvelope
from exchange.transcripts.build import (
    Folded,
    Shown,
    excluded_ids,
    fold,
    from_folded,
    people,
)
from exchange.transcripts.model import ExchangeMeta, RosterEntry, Transcript

SCHEMA_VERSION = 1

#: Never exported: private to one person, or to the facilitator, or individual answers.
PRIVATE = frozenset(
    {
        "listening_note_written",
        "note_added",
        "point_parked",
        "point_resolved",
        "feedback_submitted",
        "off_record_set",
    }
)
#: The field naming the contribution an event is about.
ITEM_KEYS = ("story_id", "reflection_id", "recall_id", "card_id", "action_id", "point_id", "item_id")
PERSON_KEYS = frozenset({"participant_id", "teller_id", "author_id", "editor_id"})
PERSON_LISTS = frozenset({"order", "released_voters"})
ANONYMOUS_CARD_EVENTS = frozenset({"card_added", "card_edited", "card_withdrawn"})
VOTE_EVENTS = frozenset({"vote_cast", "vote_retracted", "selection_vote_cast", "selection_vote_retracted"})

JSON = dict[str, Any]


def public_events(envelopes: list[EventEnvelope], folded: Folded, shown: Mapping[str, Shown]) -> list[JSON]:
    """The log as it may leave the system, renumbered from 1."""
    out = excluded_ids(folded.state)
    # A reflection on a story that is out is itself out; so is anything about an excluded item.
    kept: list[JSON] = []
    for envelope in envelopes:
        event = envelope.event
        if event.type in PRIVATE:
            continue
        data = envelope.model_dump(mode="json")
        body: JSON = data["event"]
        about = event.type != "contribution_redacted"
        if about and any(body.get(key) in out for key in ITEM_KEYS):
            continue
        if event.type in ANONYMOUS_CARD_EVENTS and body.get("anonymous"):
            body["author_id"] = "anonymous"
            data["actor"] = dict(ANONYMOUS_ACTOR)
        if event.type in VOTE_EVENTS:
            body["voter_id"] = "anonymous"
            data["actor"] = dict(ANONYMOUS_ACTOR)
        for key in PERSON_KEYS & body.keys():
            if isinstance(body[key], str) and body[key] in shown:
                body[key] = shown[body[key]].ref
        for key in PERSON_LISTS & body.keys():
            body[key] = [shown[pid].ref if pid in shown else pid for pid in body[key]]
        if event.type == "participant_joined" and envelope.event.participant_id in shown:  # type: ignore[union-attr]
            body["name"] = shown[envelope.event.participant_id].label  # type: ignore[union-attr]
        actor = data["actor"]
        if actor["role"] == "participant" and actor["id"] in shown:
            person = shown[actor["id"]]
            data["actor"] = {"role": "participant", "id": person.ref, "name": person.label}
        data["command_id"] = None
        data["seq"] = len(kept) + 1
        kept.append(data)
    return kept


def document(
    envelopes: Iterable[EventEnvelope], *, exchange: ExchangeMeta, roster: Mapping[str, RosterEntry]
) -> tuple[JSON, Transcript]:
    """The export as a JSON-able dict, and the transcript inside it."""
    envelopes = list(envelopes)
    folded = fold(exchange.id, envelopes)
    transcript = from_folded(folded, exchange=exchange, roster=roster)
    shown = people(folded.state, roster)
    body = {
        "schema_version": SCHEMA_VERSION,
        "exchange": exchange.model_dump(mode="json"),
        "events": public_events(envelopes, folded, shown),
        "transcript": transcript.model_dump(mode="json"),
    }
    return body, transcript


def render(envelopes: Iterable[EventEnvelope], *, exchange: ExchangeMeta, roster: Mapping[str, RosterEntry]) -> str:
    body, _ = document(envelopes, exchange=exchange, roster=roster)
    return json.dumps(body, ensure_ascii=False, indent=1, sort_keys=False) + "\n"


def load_events(text: str) -> list[EventEnvelope]:
    """The events of an export, validated again, ready for machine.rebuild."""
    body = json.loads(text)
    if body.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(f"unsupported schema_version {body.get('schema_version')!r}")
    return [EventEnvelope.model_validate(item) for item in body["events"]]
