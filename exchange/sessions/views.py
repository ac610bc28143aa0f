"""PURE: project an exchange's state (or one of its events) into what a role may see, as JSON-able dicts.

Times are ISO 8601 strings in UTC ("...Z"), like the events on the wire; clients count down from
deadlines themselves, so a view only changes when an event does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from exchange.prompts import placeholders
from exchange.prompts.models import Phase
from exchange.sessions.activities import (
    agreements,
    cards,
    discussion,
    draft,
    feedback,
    hands,
    leading,
    moderation,
    notes,
    prepared,
    record,
    selection,
    stories,
)
from exchange.sessions.activities.base import iso
from exchange.sessions.activities import (
    cards_data,
    discussion_data,
    draft_data,
    feedback_data,
    moderation_data,
    notes_data,
    selection_data,
    stories_data,
)
from exchange.sessions.activities.stories_data import ReflectionKind
from exchange.sessions.commands import Role
from exchange.sessions.events import Event
from exchange.sessions.protocol import EncodedView, Part, encoded
from exchange.sessions.state import SessionState, Timer

JSON = dict[str, Any]


_iso = iso

#: Every text limit, so the pages can show them next to the fields (a card field's own limit is in
#: the phase's card_fields).
LIMITS: Mapping[str, int] = MappingProxyType(
    {
        "story_title": stories_data.MAX_STORY_TITLE,
        "story_summary": stories_data.MAX_STORY_SUMMARY,
        "listening_note": stories_data.MAX_LISTENING_NOTE,
        "reflection": stories_data.MAX_REFLECTION,
        "recall": stories_data.MAX_RECALL,
        "card_field": cards_data.MAX_CARD_FIELD,
        "cluster_name": cards_data.MAX_CLUSTER_NAME,
        "action_what": discussion_data.MAX_ACTION_WHAT,
        "action_who": discussion_data.MAX_ACTION_WHO,
        "discussion_point": discussion_data.MAX_POINT,
        "section_text": draft_data.MAX_SECTION_TEXT,
        "section_citations": draft_data.MAX_CITATIONS,
        "feedback_text": feedback_data.MAX_FEEDBACK_TEXT,
        "note": notes_data.MAX_NOTE,
        "parked_point": notes_data.MAX_PARKED,
        "selection_domain": selection_data.MAX_DOMAIN,
        "selection_reason": selection_data.MAX_REASON,
        "selection_dissent": selection_data.MAX_DISSENT,
        "hide_reason": moderation_data.MAX_HIDE_REASON,
    }
)


def _timer(timer: Timer) -> JSON:
    return {
        "running": timer.running,
        "deadline": _iso(timer.deadline),
        "paused_remaining": timer.paused_remaining,
        "time_up": timer.time_up,
    }


def _person_required(state: SessionState, participant_id: str) -> JSON:
    return {"id": participant_id, "name": state.name_of(participant_id)}


def _person(state: SessionState, participant_id: str | None) -> JSON | None:
    return None if participant_id is None else _person_required(state, participant_id)


def _people(state: SessionState, ids: tuple[str, ...]) -> list[JSON]:
    return [_person_required(state, pid) for pid in ids]


def _phase_content(phase: Phase | None) -> JSON | None:
    if phase is None:
        return None
    prompts, listener_prompts = placeholders.filled(phase)  # "{turn_length}" as the phase sets it
    return {
        "key": phase.key,
        "title": phase.title,
        "kind": phase.kind.value,
        "minutes": phase.minutes,
        "prompts": list(prompts),
        "listener_prompts": list(listener_prompts),
        "turn_based": phase.turn_based,
        "turn_seconds": phase.turn_seconds,
        "card_fields": [
            {"key": f.key, "label": f.label, "max_length": f.max_length} for f in phase.card_fields
        ],
        "card_anonymity": phase.card_anonymity.value,
        "votes_per_person": phase.votes_per_person,
        "sections": list(phase.sections),
        "domains": list(phase.domains),
    }


def _turns(state: SessionState) -> JSON | None:
    if not state.turn_based:
        return None
    turns = state.turns
    return {
        "speaker": _person(state, turns.speaker),
        "since": _iso(turns.since),
        "next_speaker": _person(state, turns.remaining[0] if turns.remaining else None),
        "order": _people(state, turns.remaining),
        "done": _people(state, turns.done),
        "skipped": _people(state, turns.skipped),
        "timer": _timer(turns.timer),
    }


def _floor(state: SessionState) -> JSON | None:
    if state.turn_based or state.phase is None:
        return None
    return {
        "queue_order": state.queue_order.value,
        "holder": _person(state, state.floor_holder),
        "since": _iso(state.floor_since),
        "hands": [
            {**_person_required(state, hand.participant_id), "raised_at": _iso(hand.raised_at)}
            for hand in hands.queue(state)
        ],
    }


def _header(state: SessionState) -> JSON:
    plan = state.plan
    return {
        "exchange_id": state.exchange_id,
        "seq": state.last_seq,
        "status": state.status.value,
        "title": plan.title if plan else None,
        "agreements": list(plan.agreements) if plan else [],
        "started_at": _iso(state.started_at),
        "ended_at": _iso(state.ended_at),
        "phase_index": state.phase_index,
        "phase_count": len(plan.phases) if plan else 0,
    }


def _fixed(state: SessionState) -> JSON:
    """What no event changes: the text limits and the forms' fixed choices."""
    return {
        "limits": dict(LIMITS),
        "reflection_kinds": [kind.value for kind in ReflectionKind],
        **feedback.form(),
    }


def _plan_phases(state: SessionState) -> JSON:
    """The whole plan with planned and actual times (for the facilitator)."""
    plan = state.plan
    phases: list[JSON] = []
    offset = 0
    for index, phase in enumerate(plan.phases if plan else ()):
        record = state.phases[index] if index < len(state.phases) else None
        phases.append(
            {
                "index": index,
                "key": phase.key,
                "title": phase.title,
                "kind": phase.kind.value,
                "minutes": phase.minutes,
                "planned_offset_minutes": offset,
                "on_expiry": phase.on_expiry.value,
                "started_at": _iso(record.started_at) if record else None,
                "ended_at": _iso(record.ended_at) if record else None,
            }
        )
        offset += phase.minutes
    return {"phases": phases}


def _phase_part(state: SessionState) -> JSON:
    return {"phase": _phase_content(state.phase)}


def _phase_timer_part(state: SessionState) -> JSON:
    return {"phase_timer": _timer(state.phase_timer)}


def _turns_part(state: SessionState) -> JSON:
    return {"turns": _turns(state)}


def _floor_part(state: SessionState) -> JSON:
    return {"floor": _floor(state)}


def _roster(state: SessionState) -> JSON:
    return {"roster": [{"id": m.id, "name": m.name} for m in state.roster]}


def _roster_with_airtime(state: SessionState) -> JSON:
    return {"roster": [{"id": m.id, "name": m.name, "airtime_seconds": m.airtime} for m in state.roster]}


class Section(NamedTuple):
    """One group of a view's top-level parts, and the state fields it is built from.

    NAMES stands for the roster's ids and names without airtime: most parts show who did something,
    and airtime changes whenever a turn or a floor ends. A unit test checks that each section reads
    nothing it does not declare.
    """

    build: Callable[[SessionState], JSON]
    reads: tuple[str, ...]


NAMES = "names"
_PHASE = ("plan", "phase_index")

_COMMON = (
    Section(_header, ("exchange_id", "last_seq", "status", "plan", "started_at", "ended_at", "phase_index")),
    Section(_phase_part, _PHASE),
    Section(_phase_timer_part, ("phase_timer",)),
    Section(_turns_part, (*_PHASE, "turns", NAMES)),
    # The progressive queue puts whoever has spoken least first: the floor reads airtime too.
    Section(_floor_part, (*_PHASE, "queue_order", "floor_holder", "floor_since", "hands", "roster")),
    Section(_fixed, ()),
    Section(stories.view, ("stories", "record", "moderation", NAMES)),
    Section(discussion.view, ("discussion", "record", NAMES)),
    Section(draft.view, ("plan", "draft", "moderation", NAMES)),
)

#: What every practitioner may see; the same for all of them, so it is built once per event.
PARTICIPANT_SECTIONS = (
    *_COMMON,
    Section(cards.participant, ("plan", "cards", "record", "moderation", NAMES)),
    Section(selection.participant, ("selection", "stories", NAMES)),
    Section(_roster, (NAMES,)),
)

#: Everything: the whole plan with planned and actual times, and airtime per person.
FACILITATOR_SECTIONS = (
    *_COMMON,
    Section(_plan_phases, ("plan", "phases")),
    Section(_roster_with_airtime, ("roster",)),
    Section(agreements.facilitator, ("agreements", NAMES)),
    Section(cards.facilitator, ("plan", "cards", "record", "moderation", NAMES)),
    Section(selection.facilitator, ("selection", "stories", NAMES)),
    Section(feedback.facilitator, ("plan", "feedback", "status", "phase_index", "moderation")),
    # What is hidden, for the Undo: reads what each item is now (never who wrote it).
    Section(moderation.facilitator, ("moderation", "plan", "status", "phase_index", "cards", "stories", "draft", "feedback")),
    Section(notes.facilitator, ("notes", NAMES)),
    Section(leading.facilitator, ("lead",)),
    Section(prepared.facilitator, ("prepared", "plan", "phase_index", "turns", "stories", NAMES)),
)


def _build(sections: tuple[Section, ...], state: SessionState) -> JSON:
    view: JSON = {}
    for section in sections:
        view.update(section.build(state))
    return view


def participant_view(state: SessionState) -> JSON:
    """What every practitioner may see; the same for all of them, so it is built once per event."""
    return _build(PARTICIPANT_SECTIONS, state)


def facilitator_view(state: SessionState) -> JSON:
    """Everything: the whole plan with planned and actual times, and airtime per person."""
    return _build(FACILITATOR_SECTIONS, state)


def _names(state: SessionState) -> tuple[tuple[str, str], ...]:
    return tuple((member.id, member.name) for member in state.roster)


#: Parts that are lists of items, each named by the key given here: an events frame carries the
#: items of such a part that changed (protocol "items": see item_delta) rather than the whole list,
#: so editing one card of three hundred sends one card.
ITEM_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "cards": "id",
        "clusters": "id",
        "stories": "id",  # a story's reflections travel with it
        "recalls": "id",
        "actions": "id",
        "points": "id",
        "drafts": "phase_index",
        "feedback": "phase_index",
        "notes": "id",
        "parking_lot": "id",
        "roster": "id",
        "phases": "index",
    }
)


def item_delta(old: Any, new: Any, key: str) -> JSON | None:
    """What turns the list `old` into `new`, item by item: the items that are new or changed, as
    they are in `new` ("upsert"), the keys of those gone ("remove"), and the whole order of keys
    only when it isn't what the client gets by keeping the old order and adding new items at the
    end ("order"). None when either isn't a list of items with unique keys.

    It is a function of the two views alone, which the audience is shown anyway: it can tell them
    nothing their views don't (the privacy policy holds for it as it does for the views).
    """
    if not isinstance(old, list) or not isinstance(new, list):
        return None
    try:
        before = {item[key]: item for item in old}
        after = [item[key] for item in new]
    except (TypeError, KeyError):
        return None
    kept = set(after)
    if len(before) != len(old) or len(kept) != len(after):
        return None
    upsert = [item for item in new if (was := before.get(item[key])) is None or (was is not item and was != item)]
    remove = [name for name in before if name not in kept]
    delta: JSON = {"key": key, "upsert": upsert, "remove": remove}
    expected = [name for name in before if name in kept]
    expected += [item[key] for item in upsert if item[key] not in before]
    if expected != after:
        delta["order"] = after
    return delta


def apply_items(view: JSON, items: Mapping[str, JSON]) -> JSON:
    """The view after an events frame's "items" (what the pages do: web/static/js/live/connection.js)."""
    view = dict(view)
    for name, delta in items.items():
        key = delta["key"]
        old = view.get(name) or []
        by_key = {item[key]: item for item in old}
        for gone in delta.get("remove", ()):
            by_key.pop(gone, None)
        order = [item[key] for item in old if item[key] in by_key]
        for item in delta.get("upsert", ()):
            if item[key] not in by_key:
                order.append(item[key])
            by_key[item[key]] = item
        view[name] = [by_key[name_] for name_ in delta.get("order", order)]
    return view


#: Per section, the state it was last built for and the parts it gave (see Projection).
SharedBuilds = dict[Section, tuple[SessionState, dict[str, Part]]]


class Projection:
    """A role's view kept up to date and encoded, section by section, part by part.

    A live exchange projects its views after every batch, and most batches touch one or two state
    fields; the state is immutable, so an unchanged field is the very same object as before. Only
    the sections that read a changed field are built again, and of their parts only those that
    differ from before are encoded again: `update` gives exactly those, ready for an events frame,
    while `parts` holds the whole view for a socket that has nothing yet.

    Projections that share `builds` (one per role of a hub) build a section they have in common
    once per state, and then hold the very same parts.
    """

    def __init__(self, sections: tuple[Section, ...], builds: SharedBuilds | None = None) -> None:
        self._sections = sections
        reads = {name for section in sections for name in section.reads}
        # NAMES changes only with the roster: watch the roster whenever some section reads NAMES.
        self._fields = tuple(sorted(reads - {NAMES} | ({"roster"} if NAMES in reads else set())))
        self._reads = tuple(frozenset(section.reads) for section in sections)
        self._keys: list[tuple[str, ...]] = [() for _ in sections]  # the parts each section gave last
        self._builds: SharedBuilds = {} if builds is None else builds
        self._state: SessionState | None = None
        #: The whole view as sent: each top-level part with its JSON text.
        self.parts: EncodedView = {}
        #: What the last update replaced, of the parts that are lists of items (see `deltas`).
        self._replaced: dict[str, Part] = {}

    def update(self, state: SessionState) -> dict[str, Part | None]:
        """Bring the view up to `state`; returns the parts that changed (a part that went: None)."""
        last = self._state
        self._state = state
        if last is None:
            due: Iterable[int] = range(len(self._sections))
        else:
            # An equal copy of a field (a new int, say) only costs building its sections again.
            changed = {name for name in self._fields if getattr(state, name) is not getattr(last, name)}
            if "roster" in changed and _names(state) != _names(last):
                changed.add(NAMES)
            due = [index for index, reads in enumerate(self._reads) if not changed.isdisjoint(reads)]
        parts = self.parts
        changes: dict[str, Part | None] = {}
        replaced = self._replaced = {}
        for index in due:
            fresh = self._build(self._sections[index], state)
            for key, part in fresh.items():
                old = parts.get(key)
                if old is part:
                    continue
                parts[key] = part  # equal parts too: from now on both roles hold the same objects
                if old is None or (old[0] is not part[0] and old[0] != part[0]):
                    changes[key] = part
                    if old is not None and key in ITEM_KEYS:
                        replaced[key] = old
            for key in self._keys[index]:
                if key not in fresh:
                    del parts[key]
                    changes[key] = None
            self._keys[index] = tuple(fresh)
        return changes

    def deltas(self, changes: dict[str, Part | None]) -> tuple[dict[str, Part | None], dict[str, Part]]:
        """The last update's `changes` as a live frame sends them: the lists of items whose changed
        items are shorter than the whole list go as item deltas (`item_delta`), the rest whole."""
        if not self._replaced:
            return changes, {}
        whole = dict(changes)
        items: dict[str, Part] = {}
        for key, old in self._replaced.items():
            new = whole.get(key)
            if new is None:
                continue
            delta = item_delta(old[0], new[0], ITEM_KEYS[key])
            if delta is None:
                continue
            part = encoded(delta)
            if len(part[1]) < len(new[1]):
                items[key] = part
                del whole[key]
        return whole, items

    def _build(self, section: Section, state: SessionState) -> dict[str, Part]:
        """The section's parts for `state`: shared if built already, else built and encoded here."""
        shared = self._builds.get(section)
        if shared is not None and shared[0] is state:
            return shared[1]
        parts = self.parts
        fresh: dict[str, Part] = {}
        for key, value in section.build(state).items():
            old = parts.get(key)
            # Rebuilt parts are often equal to the old ones (a header whose status stayed):
            # keeping the old objects saves encoding them and sending them.
            fresh[key] = old if old is not None and (old[0] is value or old[0] == value) else encoded(value)
        self._builds[section] = (state, fresh)
        return fresh

    @property
    def view(self) -> JSON:
        """The view as plain JSON-able data."""
        return {key: value for key, (value, _text) in self.parts.items()}


def projections() -> dict[Role, Projection]:
    """A hub's projections, one per role that gets live views, sharing what they have in common."""
    builds: SharedBuilds = {}
    return {
        Role.FACILITATOR: Projection(FACILITATOR_SECTIONS, builds),
        Role.PARTICIPANT: Projection(PARTICIPANT_SECTIONS, builds),
    }


def personal_view(state: SessionState, participant_id: str) -> JSON:
    """What only this practitioner sees: their notes, their anonymous cards, votes, feedback, marks,
    and which of their items the facilitator hid."""
    return {
        "participant_id": participant_id,
        "seq": state.last_seq,
        **agreements.personal(state, participant_id),
        **stories.personal(state, participant_id),
        **cards.personal(state, participant_id),
        **feedback.personal(state, participant_id),
        **selection.personal(state, participant_id),
        **record.personal(state, participant_id),
        **moderation.personal(state, participant_id),
        **prepared.personal(state, participant_id),
    }


_SUBJECTS = (
    agreements.subjects, stories.subjects, cards.subjects, feedback.subjects, selection.subjects, record.subjects,
    moderation.subjects, prepared.subjects,
)  # fmt: skip


def personal_subjects(event: Event) -> frozenset[str]:
    """The participant ids whose personal_view `event` changes (send them a personal frame)."""
    return frozenset().union(*(subjects(event) for subjects in _SUBJECTS))
