"""Bytes per live frame when one card of many is edited: whole lists (as before) against item deltas.

    python -m bench.frame_bytes [--cards 300] [--card-bytes 1000] [--people 10]

Pure (no server): the story-exchange plan, `--people` practitioners who put up `--cards` anonymous
cards of about `--card-bytes` bytes each in the problem-solving phase, then one of them edits one
card. The hub's fan-out (exchange/sessions/fanout.py) builds that edit's events frame for each
audience; it is printed next to the frame the same projections give when every changed part goes
whole ("changes" only, as before item deltas), built from the same state.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta

from exchange.prompts.catalog import get_template
from exchange.sessions import commands as c
from exchange.sessions import protocol
from exchange.sessions.activities import cards_data as cd
from exchange.sessions.commands import Actor, Role
from exchange.sessions.fanout import Fanout, shown_events
from exchange.sessions.machine import apply_envelope, decide, envelop
from exchange.sessions.privacy import LIVE_AUDIENCES
from exchange.sessions.state import SessionState
from exchange.sessions.views import projections

PROBLEMS = 5  # story-exchange: "Collective problem solving", anonymous cards (challenge, idea)
FACILITATOR = Actor(role=Role.FACILITATOR, id="staff:1", name="Sam Facilitator")


class Room:
    def __init__(self) -> None:
        self.state = SessionState.initial(1)
        self.now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
        self.last: list[dict] = []

    def do(self, actor: Actor, command: c.Command) -> None:
        self.now += timedelta(seconds=1)
        events = decide(self.state, command, actor, self.now)
        assert isinstance(events, list), events
        envelopes = envelop(state=self.state, events=events, at=self.now, actor=actor)
        for envelope in envelopes:
            self.state = apply_envelope(self.state, envelope)
        self.last = [envelope.model_dump(mode="json") for envelope in envelopes]


def card(n: int, size: int, edit: int = 0) -> cd.AddCard:
    text = f"Card {n} (version {edit}): " + "a challenge we meet in the villages, and what helps. " * (size // 100 + 1)
    half = size // 2
    return cd.AddCard(fields={"challenge": text[:half], "idea": text[:half]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=300)
    parser.add_argument("--card-bytes", type=int, default=1000)
    parser.add_argument("--people", type=int, default=10)
    args = parser.parse_args()

    room = Room()
    people = [Actor(role=Role.PARTICIPANT, id=f"p:{n}", name=f"Practitioner {n}") for n in range(1, args.people + 1)]
    for person in people:
        room.do(person, c.Join(name=person.name))
    room.do(FACILITATOR, c.StartExchange(plan=get_template("story-exchange")))
    room.do(FACILITATOR, c.GotoPhase(index=PROBLEMS))
    for n in range(args.cards):
        room.do(people[n % len(people)], card(n, args.card_bytes))

    fanout, whole = Fanout(), projections()
    audiences = tuple(LIVE_AUDIENCES)
    fanout.frames(room.state, room.last, audiences)  # both up to date before the edit
    for projection in whole.values():
        projection.update(room.state)

    target = next(x for x in room.state.cards.cards if x.author_id == people[0].id)
    edited = card(0, args.card_bytes, edit=1)
    room.do(people[0], cd.EditCard(card_id=target.id, fields=edited.fields))
    after = fanout.frames(room.state, room.last, audiences)
    card_bytes = len(json.dumps(dict(edited.fields), ensure_ascii=False).encode())
    print(f"{args.cards} anonymous cards of ~{card_bytes} bytes (fields as JSON); one card edited")
    print(f"{'audience':<13}{'whole lists (before)':>22}{'item deltas (now)':>20}")
    results = {}
    for audience in audiences:
        view = Role.PARTICIPANT if audience.value == "participant" else Role.FACILITATOR
        changes = whole[view].update(room.state) if view not in results else results[view]
        results[view] = changes
        before = protocol.events(seq=room.state.last_seq, events=shown_events(room.last, audience), changes=changes)
        now = after[audience]
        print(f"{audience.value:<13}{len(before.encode()):>22,}{len(now.encode()):>20,}")


if __name__ == "__main__":
    main()
