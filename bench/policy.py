"""What each simulated person sends next, chosen from the view they last received.

Facilitators steer: in a turn-based phase (story sharing) they start, extend and finish turns and
add turn time; in an open phase they give and end the floor, flip the queue order and add phase
time; every `phase_commands` commands they move to the other phase. Practitioners raise and lower
their hand in open phases and pass or finish when it is their turn. (Cards and reflections come with
issue 4; until then the hand toggles stand in for the practitioners' own contributions.)

Against the bare baselines, which have no state, the same senders send the same kinds and sizes of
command: the facilitator adds and removes phase time, a practitioner toggles a hand.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

OPEN_PHASE = 4  # story-exchange template: "Engaging men as allies", a discussion with a hand queue
TURN_PHASE = 1  # story-exchange template: "Story sharing", timed turns


def compact(view: dict[str, Any], held: dict[str, Any] | None = None) -> dict[str, Any]:
    """Just what the policy reads of a view: keeps the generator's heap, and its GC pauses, small.

    `view` is a whole view, or the changes of an events frame applied over `held`, the compact view
    from before: a part the changes don't mention stays as it was.
    """
    out = dict(held or {})
    if "status" in view or held is None:
        out["status"] = view.get("status")
    if "phase_index" in view or held is None:
        out["phase_index"] = view.get("phase_index")
    if "phase" in view or held is None:
        phase = view.get("phase")
        out["has_phase"] = phase is not None
        out["turn_based"] = bool(phase and phase.get("turn_based"))
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
        if view["turn_based"]:
            speaker = view["speaker"]
            person = self._by_actor(speaker) if speaker else None
            if person is None:
                return None  # no one is speaking: the facilitator's move instead
            return person, {"type": self.rng.choice(("pass_turn", "finish_turn"))}
        person = self.rng.choice(self.practitioners)
        own = person.view
        if own.get("holder") is not None and own["holder"] == person.actor_id:
            return person, {"type": "end_floor"}
        if person.actor_id in own.get("hands", ()):
            return person, {"type": "lower_hand"}
        return person, {"type": "raise_hand"}

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
            return {
                "type": "goto_phase",
                "index": OPEN_PHASE if turn_based else TURN_PHASE,
            }
        roll = self.rng.random()
        if turn_based:
            if view["speaker"] is None:
                if view["order"]:
                    return {"type": "next_turn"}
                return {"type": "goto_phase", "index": OPEN_PHASE}
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
