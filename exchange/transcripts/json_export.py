"""PURE: the event log and the derived transcript as one JSON document (schema: docs/transcript-schema.md).

The events are those the privacy policy lets an export list (`privacy.exported`: never private
notes, votes, feedback answers, off-the-record marks or redactions; anonymous authors and staff
names withheld), less every event about a withdrawn, off-the-record, redacted or hidden contribution;
participants appear under an opaque id ("participant-3") and the name their consent allows, staff
as "staff". The kept events are renumbered from seq 1, so the state machine can load them again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic_core import to_json

from exchange.cleantext import clean_all
from exchange.sessions import privacy
from exchange.sessions.events import EventEnvelope
from exchange.transcripts.build import (
    Folded,
    Shown,
    excluded_ids,
    fold_for_export,
    from_folded,
    people,
    shown_as,
)
from exchange.transcripts.model import ExchangeMeta, RosterEntry, Transcript

SCHEMA_VERSION = 2

#: The fields naming the contribution an event is about.
ITEM_KEYS = ("story_id", "reflection_id", "recall_id", "card_id", "action_id", "point_id", "item_id")

JSON = dict[str, Any]


def _ref(shown: Mapping[str, Shown], pid: object) -> object:
    if not isinstance(pid, str):
        return pid
    person = shown_as(shown, pid)
    return person.ref if person is not None else pid


def public_events(listed: Iterable[JSON], folded: Folded, shown: Mapping[str, Shown]) -> list[JSON]:
    """The events an export may list, about contributions still in the record, renumbered from 1."""
    out = excluded_ids(folded.state)
    moderation = folded.state.moderation
    kept: list[JSON] = []
    for data in listed:
        body: JSON = dict(data["event"])
        if any(body.get(key) in out for key in ITEM_KEYS):
            continue
        if body["type"] == "section_edited" and moderation.section_hidden(body["phase_index"], body["section"], body["version"]):
            continue  # a draft text the facilitator hid
        for key in privacy.entry(body["type"]).people:
            value = body.get(key)
            body[key] = [_ref(shown, pid) for pid in value] if isinstance(value, list) else _ref(shown, value)
        if body["type"] == "participant_joined" and data["event"]["participant_id"] in shown:
            body["name"] = shown[data["event"]["participant_id"]].label
        actor = data["actor"]
        if actor["role"] == "participant" and actor["id"] in shown:
            person = shown[actor["id"]]
            actor = {"role": "participant", "id": person.ref, "name": person.label}
        kept.append({**data, "actor": actor, "command_id": None, "seq": len(kept) + 1, "event": body})
    return kept


def document(
    envelopes: Iterable[EventEnvelope], *, exchange: ExchangeMeta, roster: Mapping[str, RosterEntry]
) -> tuple[JSON, Transcript]:
    """The export as a JSON-able dict, and the transcript inside it."""
    folded, seen = fold_for_export(exchange.id, envelopes, listing=True)
    transcript = from_folded(folded, exchange=exchange, roster=roster)
    shown = people(folded.state, roster)
    body = {
        "schema_version": SCHEMA_VERSION,
        "record": {
            "status": "draft" if exchange.draft else "released",
            "release_at": exchange.release_at.isoformat().replace("+00:00", "Z") if exchange.release_at else None,
        },
        "exchange": exchange.model_dump(mode="json", exclude={"draft", "release_at"}),
        "events": public_events(seen.listed, folded, shown),
        "transcript": transcript.model_dump(mode="json"),
    }
    return body, transcript


def render(envelopes: Iterable[EventEnvelope], *, exchange: ExchangeMeta, roster: Mapping[str, RosterEntry]) -> str:
    """The document as JSON text: what `json.dumps(body, ensure_ascii=False, indent=1)` writes, from
    pydantic-core's encoder, a tenth of the time (the stdlib's indenting encoder is pure Python)."""
    body, _ = document(envelopes, exchange=exchange, roster=roster)
    # Every string cleaned (exchange.cleantext), as in the other formats: the text is the same, less
    # control characters, terminal escapes, direction overrides and lone surrogates.
    return to_json(clean_all(body), indent=1).decode() + "\n"


def load_events(text: str) -> list[EventEnvelope]:
    """The events of an export, validated again, ready for machine.rebuild."""
    body = json.loads(text)
    if body.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(f"unsupported schema_version {body.get('schema_version')!r}")
    return [EventEnvelope.model_validate(item) for item in body["events"]]
