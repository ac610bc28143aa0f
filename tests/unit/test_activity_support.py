"""Shared fixtures for the activity tests: a plan with a phase of every kind, and quick setups."""

from __future__ import annotations

import json
from typing import Any

from exchange.prompts.models import ActivityKind, CardAnonymity, CardField, Phase, PhasePlan
from exchange.sessions import commands as c
from exchange.sessions.activities.cards_data import AddCard
from exchange.sessions.commands import Actor
from exchange.sessions.events import EventEnvelope
from exchange.sessions.privacy import LIVE_AUDIENCES, Audience
from exchange.sessions.privacy import visible_event as policy_visible_event
from exchange.sessions.views import facilitator_view, participant_view, personal_view
from tests.unit.test_session_support import AMA, BEA, CHE, FACILITATOR, Session, joined

AGREE, STORIES, LEVERS, IDEAS, DISCUSS, DRAFT, CLOSING = range(7)


def make_activity_plan() -> PhasePlan:
    """One phase of each kind; levers let authors choose anonymity, and give three dots each."""
    return PhasePlan(
        key="activities",
        title="Every activity",
        description="A plan for the activity tests.",
        agreements=("What is shared here stays here.", "Listen fully."),
        phases=(
            Phase(key="welcome", title="Welcome", kind=ActivityKind.AGREEMENTS, minutes=5, prompts=("Hi.",)),
            Phase(
                key="stories", title="Stories", kind=ActivityKind.STORY_ROUND, minutes=30, turn_seconds=300,
                prompts=("Tell your story.",),
            ),
            Phase(
                key="levers", title="Cultural levers", kind=ActivityKind.CARDS, minutes=20, prompts=("Who?",),
                card_fields=(
                    CardField(key="who", label="Who they are", max_length=100),
                    CardField(key="influence", label="Their influence"),
                    CardField(key="how", label="How they were engaged"),
                ),
                card_anonymity=CardAnonymity.OPTIONAL,
                votes_per_person=3,
            ),
            Phase(
                key="ideas", title="Ideas", kind=ActivityKind.CARDS, minutes=10, prompts=("Ideas?",),
                card_fields=(CardField(key="idea", label="Idea"),),
            ),
            Phase(key="discuss", title="Discussion", kind=ActivityKind.DISCUSSION, minutes=20, prompts=("Talk.",)),
            Phase(
                key="message", title="Funder message", kind=ActivityKind.DRAFT, minutes=30, prompts=("Write.",),
                sections=("The need", "The evidence", "The ask"),
            ),
            Phase(key="closing", title="Closing", kind=ActivityKind.FEEDBACK, minutes=10, prompts=("Bye.",)),
        ),
    )  # fmt: skip


PLAN = make_activity_plan()


def at_phase(index: int, *actors: Actor) -> Session:
    """AMA, BEA and CHE (or `actors`) joined, the plan started and phase `index` running."""
    session = joined(*(actors or (AMA, BEA, CHE)), plan=PLAN)
    if index:
        session.do(FACILITATOR, c.GotoPhase(index=index))
    return session


def lever(who: str = "The imam", influence: str = "Trusted", how: str = "Tea", *, anonymous: bool = False) -> AddCard:
    """A named lever card (the author chose to sign it), or an anonymous one."""
    return AddCard(fields={"who": who, "influence": influence, "how": how}, anonymous=anonymous)


def visible_event(envelope: EventEnvelope, audience: Audience) -> dict[str, Any] | None:
    """The envelope as a live audience receives it (the privacy policy's answer)."""
    return policy_visible_event(envelope.model_dump(mode="json"), audience)


def everything_shown(session: Session) -> str:
    """Every view and every event as each role would receive it, as one JSON text."""
    shown: list[Any] = [facilitator_view(session.state), participant_view(session.state)]
    for envelope in session.log:
        shown.extend(visible_event(envelope, audience) for audience in LIVE_AUDIENCES)
    return json.dumps(shown)


def personal(session: Session, actor: Actor) -> dict[str, Any]:
    view = personal_view(session.state, actor.id)
    json.dumps(view)
    return view


def test_plan_has_a_phase_of_every_kind() -> None:
    assert {phase.kind for phase in PLAN.phases} == set(ActivityKind) - {ActivityKind.SELECTION}
    session = at_phase(LEVERS)
    assert session.state.phase is not None and session.state.phase.key == "levers"
    assert session.rebuilt() == session.state
    assert BEA.id in everything_shown(session)
