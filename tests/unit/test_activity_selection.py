"""The selection activity (most significant change): table-driven rules, views and a property."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs
from pydantic import ValidationError

from exchange.prompts.models import ActivityKind, Phase, PhasePlan
from exchange.sessions import commands as c
from exchange.sessions.activities import selection_data as sel
from exchange.sessions.activities import stories_data as st
from exchange.sessions.commands import command_adapter
from exchange.sessions.machine import Rejected
from exchange.sessions.views import (
    facilitator_view,
    participant_view,
    personal_view,
)
from exchange.sessions.privacy import LIVE_AUDIENCES
from tests.unit.test_activity_support import visible_event
from tests.unit.test_session_support import (
    AMA,
    BEA,
    CHE,
    FACILITATOR,
    LEAD,
    Session,
    joined,
    types,
)

STORIES, SELECT, SELECT_ONE, DISCUSS = 1, 2, 3, 4

PLAN = PhasePlan(
    key="msc",
    title="Most significant change",
    description="A plan for the selection tests.",
    agreements=("Listen fully.",),
    phases=(
        Phase(key="welcome", title="Welcome", kind=ActivityKind.AGREEMENTS, minutes=5, prompts=("Hi.",)),
        Phase(
            key="stories", title="Stories", kind=ActivityKind.STORY_ROUND, minutes=30, turn_seconds=300,
            prompts=("Tell.",),
        ),
        Phase(
            key="select", title="Select", kind=ActivityKind.SELECTION, minutes=30, prompts=("Choose.",),
            votes_per_person=2,
        ),
        Phase(key="select-one", title="Select again", kind=ActivityKind.SELECTION, minutes=30, prompts=("Choose.",)),
        Phase(key="discuss", title="Discuss", kind=ActivityKind.DISCUSSION, minutes=10, prompts=("Talk.",)),
    ),
)  # fmt: skip

Setup = Callable[[], Session]


def told() -> Session:
    """AMA, BEA and CHE told and wrote down story-1, story-2 and story-3."""
    session = joined(AMA, BEA, CHE, plan=PLAN)
    session.do(FACILITATOR, c.GotoPhase(index=STORIES))
    for actor, title in ((AMA, "The well"), (BEA, "The school"), (CHE, "The market")):
        session.do(FACILITATOR, c.NextTurn())
        session.do(actor, st.ShareStory(title=title, summary="What changed."))
    session.do(FACILITATOR, c.FinishTurn())
    return session


def selecting(index: int = SELECT) -> Setup:
    def setup() -> Session:
        session = told()
        session.do(FACILITATOR, c.GotoPhase(index=index))
        return session

    return setup


def round_open(index: int = SELECT, **fields: object) -> Setup:
    def setup() -> Session:
        session = selecting(index)()
        session.do(FACILITATOR, sel.OpenSelectionRound(**fields))  # type: ignore[arg-type]
        return session

    return setup


def voted_out() -> Session:
    session = round_open()()
    session.do(AMA, sel.CastSelectionVote(story_id="story-2"))
    session.do(AMA, sel.CastSelectionVote(story_id="story-3"))
    return session


def round_closed() -> Session:
    session = voted_out()
    session.do(FACILITATOR, sel.CloseSelectionRound())
    return session


def withdrawn_after_open() -> Session:
    session = round_open()()
    session.do(BEA, st.WithdrawStory(story_id="story-2"))
    return session


def not_started() -> Session:
    return joined(AMA, BEA, plan=PLAN, start=False)


REASON = "It changed a whole village, not one family."
CASES: list[tuple[str, Setup, c.Actor, object, list[str] | str]] = [
    # opening rounds
    ("open a round among every story", selecting(), FACILITATOR, sel.OpenSelectionRound(), ["selection_round_opened"]),
    ("open a round for a domain", selecting(), FACILITATOR,
     sel.OpenSelectionRound(domain="Girls' education", story_ids=("story-2", "story-3")), ["selection_round_opened"]),
    ("open while a round is open", round_open(), FACILITATOR, sel.OpenSelectionRound(), "round_open"),
    ("open with an unknown story", selecting(), FACILITATOR, sel.OpenSelectionRound(story_ids=("story-9",)), "unknown_story"),
    ("open with no stories", lambda: joined(AMA, plan=PLAN), FACILITATOR, sel.OpenSelectionRound(), "wrong_phase"),
    ("open outside a selection phase", told, FACILITATOR, sel.OpenSelectionRound(), "wrong_phase"),
    ("open: practitioner", selecting(), AMA, sel.OpenSelectionRound(), "forbidden"),
    ("open before the exchange starts", not_started, FACILITATOR, sel.OpenSelectionRound(), "not_live"),
    # voting
    ("vote", round_open(), AMA, sel.CastSelectionVote(story_id="story-2"), ["selection_vote_cast"]),
    ("vote for one's own story", round_open(), AMA, sel.CastSelectionVote(story_id="story-1"), ["selection_vote_cast"]),
    ("vote twice for a story", voted_out, AMA, sel.CastSelectionVote(story_id="story-2"), "already_voted"),
    ("vote beyond the allowance", voted_out, AMA, sel.CastSelectionVote(story_id="story-1"), "no_votes_left"),
    ("vote beyond the default allowance of one", lambda: _one_vote_cast(), AMA,
     sel.CastSelectionVote(story_id="story-3"), "no_votes_left"),
    ("vote for a story outside the round", round_open(story_ids=("story-2",)), AMA,
     sel.CastSelectionVote(story_id="story-3"), "unknown_story"),
    ("vote for a withdrawn story", withdrawn_after_open, AMA, sel.CastSelectionVote(story_id="story-2"), "unknown_story"),
    ("vote with no round open", selecting(), AMA, sel.CastSelectionVote(story_id="story-2"), "voting_closed"),
    ("vote after the round closed", round_closed, BEA, sel.CastSelectionVote(story_id="story-1"), "voting_closed"),
    ("vote: facilitator", round_open(), FACILITATOR, sel.CastSelectionVote(story_id="story-2"), "forbidden"),
    ("vote: lead", round_open(), LEAD, sel.CastSelectionVote(story_id="story-2"), "forbidden"),
    ("retract a vote", voted_out, AMA, sel.RetractSelectionVote(story_id="story-2"), ["selection_vote_retracted"]),
    ("retract a vote never cast", voted_out, BEA, sel.RetractSelectionVote(story_id="story-2"), "no_vote"),
    ("retract after the round closed", round_closed, AMA, sel.RetractSelectionVote(story_id="story-2"), "voting_closed"),
    # closing
    ("close the round", voted_out, FACILITATOR, sel.CloseSelectionRound(), ["selection_round_closed"]),
    ("close with no round open", round_closed, FACILITATOR, sel.CloseSelectionRound(), "voting_closed"),
    ("close: practitioner", round_open(), AMA, sel.CloseSelectionRound(), "forbidden"),
    # recording
    ("record one story", round_closed, FACILITATOR, sel.RecordSelection(story_ids=("story-2",), reason=REASON),
     ["selection_recorded"]),
    ("record two stories, with dissent", round_closed, FACILITATOR,
     sel.RecordSelection(story_ids=("story-2", "story-3"), reason=REASON, dissent="Bea saw the market as bigger.",
                         domain="Livelihoods"), ["selection_recorded"]),
    ("record without any round", selecting(), FACILITATOR, sel.RecordSelection(story_ids=("story-1",), reason=REASON),
     ["selection_recorded"]),
    ("record while a round is open", voted_out, FACILITATOR,
     sel.RecordSelection(story_ids=("story-2",), reason=REASON), "round_open"),
    ("record the same story twice", round_closed, FACILITATOR,
     sel.RecordSelection(story_ids=("story-2", "story-2"), reason=REASON), "duplicate_story"),
    ("record an unknown story", round_closed, FACILITATOR,
     sel.RecordSelection(story_ids=("story-7",), reason=REASON), "unknown_story"),
    ("record outside a selection phase", told, FACILITATOR,
     sel.RecordSelection(story_ids=("story-1",), reason=REASON), "wrong_phase"),
    ("record: practitioner", round_closed, AMA, sel.RecordSelection(story_ids=("story-1",), reason=REASON), "forbidden"),
]  # fmt: skip


def _one_vote_cast() -> Session:
    session = round_open(SELECT_ONE)()
    session.do(AMA, sel.CastSelectionVote(story_id="story-2"))
    return session


@pytest.mark.parametrize(("setup", "actor", "command", "expect"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_command(setup: Setup, actor: c.Actor, command: object, expect: list[str] | str) -> None:
    """Each command yields the expected events, or the expected refusal and no change at all."""
    session = setup()
    if isinstance(expect, str):
        refusal = session.refuse(actor, command)  # type: ignore[arg-type]
        assert refusal.code == expect
        assert refusal.message and refusal.message[0].isupper()
    else:
        assert types(session.do(actor, command)) == expect  # type: ignore[arg-type]
        assert session.rebuilt() == session.state


BAD_INPUT = [
    {"type": "record_selection", "story_ids": [], "reason": "Why"},
    {"type": "record_selection", "story_ids": ["story-1", "story-2", "story-3"], "reason": "Why"},
    {"type": "record_selection", "story_ids": ["story-1"], "reason": ""},
    {"type": "record_selection", "story_ids": ["story-1"], "reason": "   "},
    {"type": "record_selection", "story_ids": ["story-1"], "reason": "x" * (sel.MAX_REASON + 1)},
    {"type": "record_selection", "story_ids": ["story-1"], "reason": "ok", "dissent": "x" * (sel.MAX_DISSENT + 1)},
    {"type": "record_selection", "story_ids": ["../etc"], "reason": "ok"},
    {"type": "open_selection_round", "domain": ""},
    {"type": "open_selection_round", "domain": "x" * (sel.MAX_DOMAIN + 1)},
    {"type": "cast_selection_vote"},
    {"type": "cast_selection_vote", "story_id": "story-1", "extra": 1},
]


@pytest.mark.parametrize("raw", BAD_INPUT, ids=[str(i) for i in range(len(BAD_INPUT))])
def test_bad_input_is_refused_at_the_boundary(raw: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        command_adapter.validate_python(raw)


def test_totals_are_hidden_from_practitioners_until_the_round_closes() -> None:
    session = voted_out()
    session.do(BEA, sel.CastSelectionVote(story_id="story-3"))
    # Two voters' totals would give each one's votes away, to staff too.
    assert facilitator_view(session.state)["selection"]["rounds"][0]["totals"] is None
    session.do(CHE, sel.CastSelectionVote(story_id="story-1"))
    shown = participant_view(session.state)["selection"]["rounds"][0]
    assert shown["open"] and shown["totals"] is None and shown["voters"] == 3
    assert facilitator_view(session.state)["selection"]["rounds"][0]["totals"] == {"story-1": 1, "story-2": 1, "story-3": 2}
    # Votes never travel as events; each voter's personal view holds their own.
    for envelope in session.log:
        if envelope.event.type.startswith("selection_vote"):
            assert all(visible_event(envelope, audience) is None for audience in LIVE_AUDIENCES)
    assert personal_view(session.state, AMA.id)["my_selection_votes"] == {"1": ["story-2", "story-3"]}
    session.do(FACILITATOR, sel.CloseSelectionRound())
    shown = participant_view(session.state)["selection"]["rounds"][0]
    assert not shown["open"] and shown["totals"] == {"story-1": 1, "story-2": 1, "story-3": 2}


def test_vote_discuss_vote_again_then_record_with_the_reason_for_everyone() -> None:
    session = round_closed()
    session.do(FACILITATOR, sel.OpenSelectionRound())
    assert session.state.selection.rounds[-1].number == 2
    session.do(BEA, sel.CastSelectionVote(story_id="story-2"))
    session.do(AMA, sel.CastSelectionVote(story_id="story-2"))  # round 2 has its own allowance
    session.do(FACILITATOR, sel.CloseSelectionRound())
    session.do(
        FACILITATOR,
        sel.RecordSelection(story_ids=("story-2",), reason=REASON, dissent="Che preferred the market."),
    )
    for view in (participant_view(session.state), facilitator_view(session.state)):
        (choice,) = view["selection"]["choices"]
        assert choice["reason"] == REASON and choice["dissent"] == "Che preferred the market."
        assert choice["stories"] == [{"id": "story-2", "title": "The school", "teller": {"id": BEA.id, "name": "Bea"}}]
    assert session.rebuilt() == session.state


def test_selection_views_are_json_and_a_withdrawn_story_drops_out() -> None:
    session = withdrawn_after_open()
    json.dumps([participant_view(session.state), facilitator_view(session.state)])
    shown = participant_view(session.state)["selection"]["rounds"][0]["stories"]
    assert [story["id"] for story in shown] == ["story-1", "story-3"]


votes_script = hs.lists(
    hs.tuples(
        hs.sampled_from(["vote", "retract", "open", "close", "record", "withdraw", "phase"]),
        hs.sampled_from([AMA, BEA, CHE]),
        hs.integers(1, 4),
        hs.sampled_from([SELECT, SELECT_ONE, DISCUSS]),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=votes_script)
def test_votes_never_exceed_the_allowance_and_rebuild_equals_live(script: list) -> None:  # type: ignore[type-arg]
    session = selecting()()
    for action, actor, number, phase in script:
        story = f"story-{number}"
        command: object = {
            "vote": sel.CastSelectionVote(story_id=story),
            "retract": sel.RetractSelectionVote(story_id=story),
            "open": sel.OpenSelectionRound(),
            "close": sel.CloseSelectionRound(),
            "record": sel.RecordSelection(story_ids=(story,), reason="Because."),
            "withdraw": st.WithdrawStory(story_id=story),
            "phase": c.GotoPhase(index=phase),
        }[action]
        who = actor if action in {"vote", "retract", "withdraw"} else FACILITATOR
        result = session.send(who, command)  # type: ignore[arg-type]
        if isinstance(result, Rejected):
            assert result.message
        state = session.state
        for current in state.selection.rounds:
            allowance = state.plan.phases[current.phase_index].votes_per_person or 1  # type: ignore[union-attr]
            for voter in (AMA, BEA, CHE):
                mine = [v.story_id for v in state.selection.votes if v.round == current.number and v.voter_id == voter.id]
                assert len(mine) <= allowance
                assert len(set(mine)) == len(mine)
                assert set(mine) <= set(current.story_ids)
        for index in (SELECT, SELECT_ONE):  # at most one open round per phase
            assert sum(r.open and r.phase_index == index for r in state.selection.rounds) <= 1
    assert session.rebuilt() == session.state
