"""Export benchmark: an exchange of 30 participants and about 2,000 events made by the real core,
then each format timed (median of several runs). Run: .venv/bin/python bench/export_bench.py"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from exchange.prompts.models import ActivityKind, CardAnonymity, CardField, Phase, PhasePlan  # noqa: E402
from exchange.sessions import commands as c  # noqa: E402
from exchange.sessions.activities import agreements_data as ag  # noqa: E402
from exchange.sessions.activities import cards_data as cd  # noqa: E402
from exchange.sessions.activities import discussion_data as dd  # noqa: E402
from exchange.sessions.activities import draft_data as dr  # noqa: E402
from exchange.sessions.activities import feedback_data as fd  # noqa: E402
from exchange.sessions.activities import stories_data as sd  # noqa: E402
from exchange.sessions.commands import Actor, Role  # noqa: E402
from exchange.sessions.events import EventEnvelope  # noqa: E402
from exchange.sessions.machine import Rejected, apply_envelope, decide, envelop  # noqa: E402
from exchange.sessions.state import SessionState  # noqa: E402
from exchange.transcripts import build, csv_export, html, json_export, markdown  # noqa: E402
from exchange.transcripts.model import ExchangeMeta, RosterEntry  # noqa: E402

PEOPLE = 30
TARGET_EVENTS = 2000
RUNS = 7
FAC = Actor(role=Role.FACILITATOR, id="staff:1", name="Farida")
PLAN = PhasePlan(
    key="bench", title="Bench", description="Export benchmark.", agreements=("Listen fully.",),
    phases=(
        Phase(key="welcome", title="Welcome", kind=ActivityKind.AGREEMENTS, minutes=5, prompts=("Hi.",)),
        Phase(key="stories", title="Stories", kind=ActivityKind.STORY_ROUND, minutes=90, turn_seconds=180,
              prompts=("Tell.",)),
        Phase(key="levers", title="Levers", kind=ActivityKind.CARDS, minutes=30, prompts=("Who?",),
              card_fields=(CardField(key="who", label="Who"), CardField(key="how", label="How")),
              card_anonymity=CardAnonymity.OPTIONAL, votes_per_person=5),
        Phase(key="discuss", title="Discussion", kind=ActivityKind.DISCUSSION, minutes=20, prompts=("Talk.",)),
        Phase(key="message", title="Message", kind=ActivityKind.DRAFT, minutes=20, prompts=("Write.",),
              sections=("Need", "Ask")),
        Phase(key="closing", title="Closing", kind=ActivityKind.FEEDBACK, minutes=10, prompts=("Bye.",)),
    ),
)  # fmt: skip


class Driver:
    def __init__(self) -> None:
        self.state = SessionState.initial(1)
        self.log: list[EventEnvelope] = []
        self.now = datetime(2025, 3, 8, 14, 0, tzinfo=UTC)

    def do(self, actor: Actor, command: object) -> bool:
        self.now += timedelta(seconds=7)
        result = decide(self.state, command, actor, self.now)  # type: ignore[arg-type]
        if isinstance(result, Rejected):
            return False
        for envelope in envelop(state=self.state, events=result, at=self.now, actor=actor):
            self.log.append(envelope)
            self.state = apply_envelope(self.state, envelope)
        return True


def scripted() -> list[EventEnvelope]:
    d = Driver()
    people = [Actor(role=Role.PARTICIPANT, id=f"p:{i}", name=f"Person {i}") for i in range(1, PEOPLE + 1)]
    for p in people:
        d.do(p, c.Join(name=p.name))
    d.do(FAC, c.StartExchange(plan=PLAN))
    for p in people:
        d.do(p, ag.AcceptAgreements())
    d.do(FAC, c.NextPhase())
    for i, p in enumerate(people):
        d.do(FAC, c.NextTurn())
        d.do(p, sd.ShareStory(title=f"Story {i}", summary="A change in the community. " * 8))
        d.do(p, c.FinishTurn())
        for other in people[i + 1 : i + 12]:
            d.do(other, sd.Reflect(story_id=f"story-{i + 1}", kind=sd.ReflectionKind.HEARD, text="I heard trust."))
    d.do(FAC, c.NextPhase())
    for i, p in enumerate(people * 3):
        d.do(p, cd.AddCard(fields={"who": f"Lever {i}", "how": "Tea"}, anonymous=i % 3 == 0))
    d.do(FAC, cd.OpenVoting())
    for i, p in enumerate(people):
        for k in range(5):
            d.do(p, cd.CastVote(card_id=f"card-{(i * 7 + k * 13) % 90 + 1}"))
    d.do(FAC, c.NextPhase())
    i = 0
    while len(d.log) < TARGET_EVENTS - 40:
        p = people[i % PEOPLE]
        d.do(p, c.RaiseHand())
        d.do(FAC, c.GiveFloor(participant_id=p.id))
        d.do(FAC, c.EndFloor())
        d.do(p, dd.AddAction(what=f"Action {i}", who=p.name))
        i += 1
    d.do(FAC, c.NextPhase())
    d.do(people[0], dr.EditSection(section=0, base_version=0, text="We need this."))
    d.do(FAC, c.NextPhase())
    for p in people:
        d.do(p, fd.SubmitFeedback(ratings={fd.Rating.USEFUL: 4}, text="Thanks"))
    d.do(FAC, c.EndExchange())
    return d.log


def median_ms(fn) -> float:  # noqa: ANN001
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    log = scripted()
    meta = ExchangeMeta(id=1, title="Bench", timezone="Europe/Paris")
    consents = ("name", "initials", "anonymous")
    roster = {f"p:{i}": RosterEntry(name=f"Person {i}", consent=consents[i % 3]) for i in range(1, PEOPLE + 1)}
    print(f"{PEOPLE} participants, {len(log)} events, median of {RUNS} runs")
    build_ms = median_ms(lambda: build.build(log, exchange=meta, roster=roster))
    print(f"  build (fold + derive):  {build_ms:8.1f} ms")
    for name, render in (
        ("md", lambda: markdown.render(build.build(log, exchange=meta, roster=roster))),
        ("html", lambda: html.render(build.build(log, exchange=meta, roster=roster))),
        ("csv", lambda: csv_export.render(build.build(log, exchange=meta, roster=roster))),
        ("json", lambda: json_export.render(log, exchange=meta, roster=roster)),
    ):
        print(f"  {name:5} (build + render): {median_ms(render):8.1f} ms")


if __name__ == "__main__":
    main()
