"""What each simulated person sends next, chosen from the view they last received.

Facilitators steer: in a turn-based phase (story sharing) they start, extend and finish turns and
add turn time; in an open phase they give and end the floor, flip the queue order and add phase
time; every `phase_commands` commands they move on, round the cycle story sharing -> cultural
levers (cards) -> engaging men as allies (discussion). Practitioners contribute: the speaker writes
their story down, then passes or finishes; listeners reflect stories back; in the cards phase they
add cards (some anonymous, so personal frames go out too); in open phases they raise and lower
their hand.

Against the bare baselines, which have no state, the same senders send the same kinds and sizes of
command: the facilitator adds and removes phase time, a practitioner toggles a hand or sends a
card or a reflection.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

OPEN_PHASE = 4  # story-exchange template: "Engaging men as allies", a discussion with a hand queue
TURN_PHASE = 1  # story-exchange template: "Story sharing", timed turns
CARDS_PHASE = 2  # story-exchange template: "Cultural levers", cards with three fields
PHASE_CYCLE = (TURN_PHASE, CARDS_PHASE, OPEN_PHASE)
NEXT_PHASE = {phase: PHASE_CYCLE[(i + 1) % len(PHASE_CYCLE)] for i, phase in enumerate(PHASE_CYCLE)}

#: Per practitioner, well below their own quotas (exchange/sessions/activities/quotas.py: 50 cards and
#: 50 reflections each; senders are picked at random, so some write more than the mean), so a long
#: run is not refused.
CARDS_EACH = 20
REFLECTIONS_EACH = 20

#: Practitioners' texts: about the length of a real card field, story summary or reflection.
CARD_TEXT = "A grandmother who runs the savings group; people listen to her at every meeting."
STORY_TITLE = "How the water committee changed"
STORY_SUMMARY = (
    "Two years ago no woman sat on the water committee. We started by listening at the well, then"
    " asked the elders who decide to come to one meeting. Now four of nine members are women."
)
REFLECTION = "What stayed with me is that you started by listening before asking anyone to change."


def _listed(held: tuple[tuple[str, Any], ...], delta: dict[str, Any], summary) -> tuple[tuple[str, Any], ...]:  # noqa: ANN001
    """A compact list of (key, summary) after an item delta (exchange/sessions/views.item_delta)."""
    key = delta["key"]
    entries = dict(held)
    for gone in delta.get("remove", ()):
        entries.pop(gone, None)
    order = [name for name, _ in held if name in entries]
    for item in delta.get("upsert", ()):
        if item[key] not in entries:
            order.append(item[key])
        entries[item[key]] = summary(item)
    return tuple((name, entries[name]) for name in delta.get("order", order))


def _story(story: dict[str, Any]) -> tuple[str, int, int]:
    return story["teller"]["id"], story["phase_index"], len(story["reflections"])


def compact(view: dict[str, Any], held: dict[str, Any] | None = None, items: dict[str, Any] | None = None) -> dict[str, Any]:
    """Just what the policy reads of a view: keeps the generator's heap, and its GC pauses, small.

    `view` is a whole view, or the changes of an events frame applied over `held`, the compact view
    from before: a part the changes don't mention stays as it was; `items`, the frame's lists
    changed item by item.
    """
    out = dict(held or {})
    if items and held is not None:
        if "cards" in items:
            out["card_ids"] = _listed(held.get("card_ids", ()), items["cards"], lambda card: None)
            out["cards"] = len(out["card_ids"])
        if "stories" in items:
            out["story_list"] = _listed(held.get("story_list", ()), items["stories"], _story)
            out["stories"] = tuple((sid, teller, index) for sid, (teller, index, _n) in out["story_list"])
            out["reflections"] = sum(n for _sid, (_teller, _index, n) in out["story_list"])
    if "status" in view or held is None:
        out["status"] = view.get("status")
    if "phase_index" in view or held is None:
        out["phase_index"] = view.get("phase_index")
    if "phase" in view or held is None:
        phase = view.get("phase")
        out["has_phase"] = phase is not None
        out["turn_based"] = bool(phase and phase.get("turn_based"))
        out["cards_phase"] = bool(phase and phase.get("kind") == "cards")
        out["anonymous_cards"] = bool(phase and phase.get("card_anonymity") == "optional")
        out["card_fields"] = tuple(field["key"] for field in phase.get("card_fields", ())) if phase else ()
    if "cards" in view or held is None:
        out["card_ids"] = tuple((card["id"], None) for card in view.get("cards") or ())
        out["cards"] = len(out["card_ids"])
    if "stories" in view or held is None:
        stories = view.get("stories") or ()
        out["story_list"] = tuple((s["id"], _story(s)) for s in stories)
        out["stories"] = tuple((s["id"], s["teller"]["id"], s["phase_index"]) for s in stories)
        out["reflections"] = sum(len(s["reflections"]) for s in stories)
    if "turns" in view or held is None:
        turns = view.get("turns") or {}
        speaker = turns.get("speaker")
        out["speaker"] = speaker["id"] if speaker else None
        out["order"] = bool(turns.get("order"))
    if "floor" in view or held is None:
        floor = view.get("floor") or {}
        holder = floor.get("holder")
        out["holder"] = holder["id"] if holder else None
        out["hands"] = tuple(hand["id"] for hand in floor.get("hands", ()))
        out["queue_order"] = floor.get("queue_order")
    return out


@dataclass
class Person:
    """What the policy needs of one socket: its role, who it is, and its latest view."""

    role: str  # "f" facilitator, "p" practitioner
    actor_id: str | None = None
    view: dict[str, Any] = field(default_factory=dict)  # compact(view) of the latest frame
    hand_up: bool = False  # the baselines' stand-in for the floor's hand list


@dataclass
class Exchange:
    facilitator: Person
    practitioners: list[Person]
    rng: random.Random
    stateful: bool  # the app (views carry phases, turns, floor) or a bare baseline
    phase_commands: int = 12
    practitioner_share: float = 0.5
    _phase_seen: int | None = None
    _in_phase: int = 0
    _sign: int = 1

    def _flip(self) -> int:
        self._sign = -self._sign
        return 30 * self._sign

    def next_command(self) -> tuple[Person, dict[str, Any]] | None:
        """Who sends what next; None when nothing sensible can be sent right now."""
        practitioner_turn = self.rng.random() < self.practitioner_share
        if not self.stateful:
            if practitioner_turn:
                person = self.rng.choice(self.practitioners)
                roll = self.rng.random()
                if roll < 0.25:
                    return person, _card(("who", "influence", "how-engaged"), anonymous=False)
                if roll < 0.5:
                    return person, _reflection("story-1")
                person.hand_up = not person.hand_up
                return person, {"type": "raise_hand" if person.hand_up else "lower_hand"}
            return self.facilitator, {
                "type": "add_time",
                "timer": "phase",
                "seconds": self._flip(),
            }
        view = self.facilitator.view
        if view.get("status") != "live" or not view.get("has_phase"):
            return None
        if practitioner_turn and (choice := self._practitioner(view)) is not None:
            return choice
        return self.facilitator, self._facilitator(view)

    # --- the app ------------------------------------------------------------------------------

    def _practitioner(self, view: dict[str, Any]) -> tuple[Person, dict[str, Any]] | None:
        roll = self.rng.random()
        if view["turn_based"]:
            if roll < 0.4 and (reflecting := self._reflect(view)) is not None:
                return reflecting
            speaker = view["speaker"]
            person = self._by_actor(speaker) if speaker else None
            if person is None:
                return None  # no one is speaking: the facilitator's move instead
            if (speaker, view["phase_index"]) not in {(teller, index) for _, teller, index in view["stories"]}:
                return person, {"type": "share_story", "title": STORY_TITLE, "summary": STORY_SUMMARY}
            return person, {"type": self.rng.choice(("pass_turn", "finish_turn"))}
        if view["cards_phase"] and roll < 0.5 and view["cards"] < CARDS_EACH * len(self.practitioners):
            anonymous = view["anonymous_cards"] and self.rng.random() < 0.3
            return self.rng.choice(self.practitioners), _card(view["card_fields"], anonymous=anonymous)
        if not view["cards_phase"] and roll < 0.3 and (reflecting := self._reflect(view)) is not None:
            return reflecting
        person = self.rng.choice(self.practitioners)
        own = person.view
        if own.get("holder") is not None and own["holder"] == person.actor_id:
            return person, {"type": "end_floor"}
        if person.actor_id in own.get("hands", ()):
            return person, {"type": "lower_hand"}
        return person, {"type": "raise_hand"}

    def _reflect(self, view: dict[str, Any]) -> tuple[Person, dict[str, Any]] | None:
        """A listener reflects someone else's story back, if there is one to reflect on."""
        if not view["stories"] or view["reflections"] >= REFLECTIONS_EACH * len(self.practitioners):
            return None
        story_id, teller, _ = self.rng.choice(view["stories"])
        listeners = [p for p in self.practitioners if p.actor_id != teller]
        return self.rng.choice(listeners), _reflection(story_id)

    def _by_actor(self, actor_id: str) -> Person | None:
        for person in self.practitioners:
            if person.actor_id == actor_id:
                return person
        return None

    def _facilitator(self, view: dict[str, Any]) -> dict[str, Any]:
        index = view.get("phase_index")
        if index != self._phase_seen:
            self._phase_seen, self._in_phase = index, 0
        self._in_phase += 1
        turn_based = view["turn_based"]
        if self._in_phase > self.phase_commands:
            return {"type": "goto_phase", "index": NEXT_PHASE.get(index, TURN_PHASE)}
        roll = self.rng.random()
        if turn_based:
            if view["speaker"] is None:
                if view["order"]:
                    return {"type": "next_turn"}
                return {"type": "goto_phase", "index": NEXT_PHASE.get(index, TURN_PHASE)}
            if roll < 0.35:
                return {"type": "next_turn"} if view["order"] else {"type": "finish_turn"}
            if roll < 0.55:
                return {"type": "finish_turn"}
            if roll < 0.75:
                return {"type": "extend_turn", "seconds": 30}
            return {"type": "add_time", "timer": "turn", "seconds": self._flip()}
        if view["holder"] and roll < 0.5:
            return {"type": "end_floor"}
        if view["hands"] and roll < 0.5:
            return {"type": "give_floor"}
        if roll < 0.6:
            order = "first_come" if view["queue_order"] == "progressive" else "progressive"
            return {"type": "set_queue_order", "order": order}
        return {"type": "add_time", "timer": "phase", "seconds": self._flip()}


def _card(fields: tuple[str, ...], *, anonymous: bool) -> dict[str, Any]:
    return {"type": "add_card", "fields": dict.fromkeys(fields, CARD_TEXT), "anonymous": anonymous}


def _reflection(story_id: str) -> dict[str, Any]:
    return {"type": "reflect", "story_id": story_id, "kind": "moment", "text": REFLECTION}
