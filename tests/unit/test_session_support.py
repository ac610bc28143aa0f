"""Shared fixtures for the session tests: a plan, actors, and a driver that logs like the hub would."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from exchange.prompts.models import (
    ActivityKind,
    OnExpiry,
    Phase,
    PhasePlan,
    QueueOrder,
    SpeakingOrder,
)
from exchange.sessions.commands import Actor, Command, Join, NextTurn, Role, StartExchange
from exchange.sessions.events import Event, EventEnvelope
from exchange.sessions.machine import Rejected, apply_envelope, decide, envelop, rebuild
from exchange.sessions.state import SessionState

T0 = datetime(2025, 3, 8, 14, 0, tzinfo=UTC)

FACILITATOR = Actor(role=Role.FACILITATOR, id="staff:1", name="Farida")
SYSTEM = Actor(role=Role.SYSTEM, id="system", name="System")
LEAD = Actor(role=Role.LEAD, id="staff:9", name="Lena")
AMA = Actor(role=Role.PARTICIPANT, id="p:1", name="Ama")
BEA = Actor(role=Role.PARTICIPANT, id="p:2", name="Bea")
CHE = Actor(role=Role.PARTICIPANT, id="p:3", name="Che")
STRANGER = Actor(role=Role.PARTICIPANT, id="p:99", name="Stranger")


def make_plan(
    *,
    story_expiry: OnExpiry = OnExpiry.SIGNAL,
    open_expiry: OnExpiry = OnExpiry.SIGNAL,
    last_expiry: OnExpiry = OnExpiry.SIGNAL,
    speaking_order: SpeakingOrder = SpeakingOrder.JOINED,
) -> PhasePlan:
    """Welcome (open), stories (turns), levers (open, progressive), closing (open)."""
    return PhasePlan(
        key="test-plan",
        title="Test exchange",
        description="A plan for tests.",
        agreements=("What is shared here stays here.",),
        phases=(
            Phase(
                key="welcome",
                title="Welcome",
                kind=ActivityKind.DISCUSSION,
                minutes=5,
                prompts=("Hello.",),
            ),
            Phase(
                key="stories",
                title="Stories of change",
                kind=ActivityKind.STORY_ROUND,
                minutes=30,
                turn_seconds=300,
                prompts=("Tell your story.",),
                listener_prompts=("What did you hear?",),
                speaking_order=speaking_order,
                on_expiry=story_expiry,
            ),
            Phase(
                key="levers",
                title="Cultural levers",
                kind=ActivityKind.DISCUSSION,
                minutes=20,
                prompts=("Who moves change?",),
                queue_order=QueueOrder.PROGRESSIVE,
                on_expiry=open_expiry,
            ),
            Phase(
                key="closing",
                title="Closing",
                kind=ActivityKind.FEEDBACK,
                minutes=10,
                prompts=("What will you take home?",),
                on_expiry=last_expiry,
            ),
        ),
    )


PLAN = make_plan()
WELCOME, STORIES, LEVERS, CLOSING = range(4)


@dataclass
class Session:
    """Drives the pure core like the hub: decide, number, apply; keeps the log and a fake clock."""

    state: SessionState = field(default_factory=lambda: SessionState.initial(7))
    log: list[EventEnvelope] = field(default_factory=list)
    now: datetime = T0

    def wait(self, seconds: float) -> None:
        """Move the fake clock forward."""
        self.now += timedelta(seconds=seconds)

    def send(self, actor: Actor, command: Command) -> list[Event] | Rejected:
        """Decide and, when accepted, log and apply the events."""
        result = decide(self.state, command, actor, self.now)
        if isinstance(result, list):
            for envelope in envelop(state=self.state, events=result, at=self.now, actor=actor):
                self.log.append(envelope)
                self.state = apply_envelope(self.state, envelope)
        return result

    def do(self, actor: Actor, command: Command) -> list[Event]:
        """Send a command that must be accepted."""
        result = self.send(actor, command)
        assert not isinstance(result, Rejected), result
        return result

    def refuse(self, actor: Actor, command: Command) -> Rejected:
        """Send a command that must be refused, checking it changed nothing."""
        before = self.state
        result = self.send(actor, command)
        assert isinstance(result, Rejected), result
        assert self.state is before
        return result

    def rebuilt(self) -> SessionState:
        """The state folded again from the log, via JSON as the store would."""
        return rebuild(
            self.state.exchange_id,
            [EventEnvelope.model_validate_json(e.model_dump_json()) for e in self.log],
        )


def types(events: list[Event]) -> list[str]:
    """The type names of some events, for compact assertions."""
    return [event.type for event in events]


def joined(*actors: Actor, plan: PhasePlan = PLAN, start: bool = True) -> Session:
    """A session where `actors` joined and (by default) the facilitator started `plan`."""
    session = Session()
    for actor in actors:
        session.do(actor, Join(name=actor.name))
    if start:
        session.do(FACILITATOR, StartExchange(plan=plan))
    return session


def test_driver_logs_numbers_and_refuses_like_the_hub() -> None:
    """The driver numbers events from 1, rebuilds from JSON, and leaves state alone on refusal."""
    session = joined(AMA)
    assert [envelope.seq for envelope in session.log] == [1, 2, 3, 4]  # joined, started, phase 0, the starter leads
    assert session.rebuilt() == session.state
    assert session.refuse(FACILITATOR, NextTurn()).code == "not_turn_based"
