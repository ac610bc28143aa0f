"""Table-driven: every activity command's happy path and every refusal, each leaving state unchanged."""

from __future__ import annotations

import typing
from collections.abc import Callable

import pytest
from pydantic import ValidationError

from exchange.sessions import commands as c
from exchange.sessions.activities import agreements_data as ag
from exchange.sessions.activities import cards_data as cd
from exchange.sessions.activities import discussion_data as dd
from exchange.sessions.activities import draft_data as dr
from exchange.sessions.activities import feedback_data as fb
from exchange.sessions.activities import notes_data as nt
from exchange.sessions.activities import record_data as rc
from exchange.sessions.activities import stories_data as st
from exchange.sessions.commands import command_adapter
from tests.unit.test_activity_support import (
    AGREE,
    CLOSING,
    DISCUSS,
    DRAFT,
    IDEAS,
    LEVERS,
    STORIES,
    at_phase,
    lever,
)
from tests.unit.test_session_support import AMA, BEA, FACILITATOR, LEAD, STRANGER, Session, types

Setup = Callable[[], Session]


def agree() -> Session:
    return at_phase(AGREE)


def accepted() -> Session:
    session = agree()
    session.do(AMA, ag.AcceptAgreements())
    return session


def telling() -> Session:
    """The story round, AMA speaking."""
    session = at_phase(STORIES)
    session.do(FACILITATOR, c.NextTurn())
    return session


def told() -> Session:
    """AMA has told and written down her story (story-1); BEA is speaking."""
    session = telling()
    session.do(AMA, st.ShareStory(title="The well", summary="Women dug a well."))
    session.do(FACILITATOR, c.NextTurn())
    return session


def reflected() -> Session:
    session = told()
    session.do(BEA, st.Reflect(story_id="story-1", kind=st.ReflectionKind.HEARD, text="Water changed it."))
    return session


def withdrawn() -> Session:
    session = told()
    session.do(AMA, st.WithdrawStory(story_id="story-1"))
    return session


def told_and_ended() -> Session:
    """AMA told story-1, BEA reflected on it, and the exchange is over."""
    session = reflected()
    session.do(FACILITATOR, c.EndExchange())
    return session


def levers() -> Session:
    return at_phase(LEVERS)


def carded() -> Session:
    """AMA's named card card-1 and BEA's anonymous card card-2 in the levers phase."""
    session = levers()
    session.do(AMA, lever())
    session.do(BEA, cd.AddCard(fields={"who": "Grandmothers", "influence": "Respect", "how": "Visits"}, anonymous=True))
    return session


def clustered() -> Session:
    session = carded()
    session.do(FACILITATOR, cd.CreateCluster(name="Elders"))
    return session


def voting() -> Session:
    session = carded()
    session.do(FACILITATOR, cd.OpenVoting())
    return session


def voted_out() -> Session:
    session = voting()
    for _ in range(3):
        session.do(AMA, cd.CastVote(card_id="card-2"))
    return session


def voting_closed() -> Session:
    session = voting()
    session.do(AMA, cd.CastVote(card_id="card-1"))
    session.do(FACILITATOR, cd.CloseVoting())
    return session


def revealed() -> Session:
    session = voting_closed()
    session.do(FACILITATOR, cd.RevealVotes())
    return session


def ideas() -> Session:
    return at_phase(IDEAS)


def discussing() -> Session:
    return at_phase(DISCUSS)


def action_added() -> Session:
    session = discussing()
    session.do(AMA, dd.AddAction(what="Share the toolkit", who="Ama", due="2025-04-01"))
    return session


def action_removed() -> Session:
    session = action_added()
    session.do(FACILITATOR, dd.RemoveAction(action_id="action-1"))
    return session


def point_noted() -> Session:
    session = discussing()
    session.do(FACILITATOR, dd.NotePoint(text="Men can be allies", participant_id=BEA.id))
    return session


def point_removed() -> Session:
    session = point_noted()
    session.do(FACILITATOR, dd.RemovePoint(point_id="point-1"))
    return session


def drafting() -> Session:
    session = carded()
    session.do(FACILITATOR, c.GotoPhase(index=DRAFT))
    return session


def drafted() -> Session:
    session = drafting()
    session.do(AMA, dr.EditSection(section=0, base_version=0, text="Girls miss school."))
    return session


def final() -> Session:
    session = drafted()
    session.do(FACILITATOR, dr.SetDraftFinal())
    return session


def closing() -> Session:
    return at_phase(CLOSING)


def parked() -> Session:
    session = discussing()
    session.do(FACILITATOR, nt.ParkPoint(text="Funding cycles"))
    return session


RATINGS = {fb.Rating.USEFUL: 5, fb.Rating.SAFE: 4}
Expect = list[str] | str  # event types, or the refusal code

CASES: list[tuple[str, Setup, c.Actor, typing.Any, Expect]] = [
    # agreements
    ("accept", agree, AMA, ag.AcceptAgreements(), ["agreements_accepted"]),
    ("accept again is a no-op", accepted, AMA, ag.AcceptAgreements(), []),
    ("accept: facilitator", agree, FACILITATOR, ag.AcceptAgreements(), "forbidden"),
    ("accept: not joined", agree, STRANGER, ag.AcceptAgreements(), "not_joined"),
    # stories
    ("share in turn", telling, AMA, st.ShareStory(title="The well"), ["story_shared"]),
    ("share after turn", told, AMA, st.ShareStory(title="Again"), "already_shared"),
    ("share before turn", telling, BEA, st.ShareStory(title="Mine"), "not_your_turn"),
    ("share outside a story round", levers, AMA, st.ShareStory(title="Mine"), "wrong_phase"),
    ("share: facilitator", telling, FACILITATOR, st.ShareStory(title="Mine"), "forbidden"),
    ("edit own story", told, AMA, st.ShareStory(story_id="story-1", title="The new well"), ["story_edited"]),
    ("edit unchanged", told, AMA, st.ShareStory(story_id="story-1", title="The well", summary="Women dug a well."), []),
    ("edit someone else's story", told, BEA, st.ShareStory(story_id="story-1", title="Mine"), "not_your_story"),
    ("edit unknown story", told, AMA, st.ShareStory(story_id="story-9", title="Mine"), "unknown_story"),
    ("withdraw own story", told, AMA, st.WithdrawStory(story_id="story-1"), ["story_withdrawn"]),
    ("withdraw twice", withdrawn, AMA, st.WithdrawStory(story_id="story-1"), "unknown_story"),
    ("withdraw another's story", told, BEA, st.WithdrawStory(story_id="story-1"), "not_your_story"),
    ("listening note", telling, BEA, st.WriteListeningNote(text="water"), ["listening_note_written"]),
    ("listening note outside a round", levers, BEA, st.WriteListeningNote(text="x"), "wrong_phase"),
    ("reflect", told, BEA, st.Reflect(story_id="story-1", kind=st.ReflectionKind.QUESTION, text="How?"), ["reflection_added"]),
    ("reflect in a discussion", lambda: _then(told(), DISCUSS), BEA,
     st.Reflect(story_id="story-1", kind=st.ReflectionKind.MOMENT, text="The rope."), ["reflection_added"]),
    ("reflect on one's own story", told, AMA, st.Reflect(story_id="story-1", kind=st.ReflectionKind.HEARD, text="x"), "own_story"),
    ("reflect on a withdrawn story", withdrawn, BEA, st.Reflect(story_id="story-1", kind=st.ReflectionKind.HEARD, text="x"), "unknown_story"),
    ("reflect in a cards phase", lambda: _then(told(), LEVERS), BEA,
     st.Reflect(story_id="story-1", kind=st.ReflectionKind.HEARD, text="x"), "wrong_phase"),
    ("recall", told, BEA, st.AddRecall(text="The rope", story_id="story-1"), ["recall_added"]),
    ("recall of one's own story", told, AMA, st.AddRecall(text="Mine", story_id="story-1"), "own_story"),
    ("withdraw own story after the end", told_and_ended, AMA, st.WithdrawStory(story_id="story-1"), ["story_withdrawn"]),
    ("withdraw another's story after the end", told_and_ended, BEA, st.WithdrawStory(story_id="story-1"), "not_your_story"),
    # the record
    ("off the record", told, AMA, rc.SetOffRecord(item_id="story-1"), ["off_record_set"]),
    ("reflection off the record", reflected, BEA, rc.SetOffRecord(item_id="reflection-1"), ["off_record_set"]),
    ("off the record after the end", told_and_ended, BEA, rc.SetOffRecord(item_id="reflection-1"), ["off_record_set"]),
    ("someone else's off the record", reflected, AMA, rc.SetOffRecord(item_id="reflection-1"), "not_yours"),
    ("unknown off the record", told, AMA, rc.SetOffRecord(item_id="story-7"), "unknown_item"),
    ("withdrawn story off the record", withdrawn, AMA, rc.SetOffRecord(item_id="story-1"), "unknown_item"),
    ("back on the record, already on", told, AMA, rc.SetOffRecord(item_id="story-1", off_record=False), []),
    ("own card off the record", carded, AMA, rc.SetOffRecord(item_id="card-1"), ["off_record_set"]),
    ("own anonymous card off the record", carded, BEA, rc.SetOffRecord(item_id="card-2"), ["off_record_set"]),
    ("another's anonymous card off the record", carded, AMA, rc.SetOffRecord(item_id="card-2"), "not_yours"),
    ("own action off the record", lambda: action_added(), AMA, rc.SetOffRecord(item_id="action-1"), ["off_record_set"]),
    ("off the record: facilitator", carded, FACILITATOR, rc.SetOffRecord(item_id="card-1"), "forbidden"),
    # cards
    ("add card", levers, AMA, lever(), ["card_added"]),
    ("add anonymous card", levers, AMA, cd.AddCard(fields={"who": "a", "influence": "", "how": ""}, anonymous=True), ["card_added"]),
    ("add card, choice left to the phase", levers, AMA, cd.AddCard(fields={"who": "a", "influence": "", "how": ""}), ["card_added"]),
    ("add card, facilitator", levers, FACILITATOR, lever(), ["card_added"]),
    ("anonymous not allowed", ideas, AMA, cd.AddCard(fields={"idea": "x"}, anonymous=True), "no_anonymous"),
    ("missing field", levers, AMA, cd.AddCard(fields={"who": "x", "how": "y"}), "bad_fields"),
    ("extra field", ideas, AMA, cd.AddCard(fields={"idea": "x", "who": "y"}), "bad_fields"),
    ("field too long for the phase", levers, AMA, lever(who="x" * 101), "too_long"),
    ("all fields empty", levers, AMA, lever(who="", influence=" ", how=""), "empty"),
    ("card outside a cards phase", discussing, AMA, lever(), "wrong_phase"),
    ("card: lead", levers, LEAD, lever(), "forbidden"),
    ("edit own card", carded, AMA, cd.EditCard(card_id="card-1", fields={"who": "Imam", "influence": "x", "how": "y"}), ["card_edited"]),
    ("edit own anonymous card", carded, BEA, cd.EditCard(card_id="card-2", fields={"who": "Nans", "influence": "x", "how": "y"}), ["card_edited"]),
    ("edit someone else's card", carded, BEA, cd.EditCard(card_id="card-1", fields={"who": "x", "influence": "x", "how": "y"}), "not_your_card"),
    ("facilitator edits a card", carded, FACILITATOR, cd.EditCard(card_id="card-1", fields={"who": "x", "influence": "x", "how": "y"}), "not_your_card"),
    ("edit unknown card", carded, AMA, cd.EditCard(card_id="card-9", fields={"who": "x", "influence": "x", "how": "y"}), "unknown_card"),
    ("edit a card of another phase", lambda: _then(carded(), IDEAS), AMA, cd.EditCard(card_id="card-1", fields={"idea": "x"}), "unknown_card"),
    ("withdraw own card", carded, AMA, cd.WithdrawCard(card_id="card-1"), ["card_withdrawn"]),
    ("withdraw someone else's card", carded, AMA, cd.WithdrawCard(card_id="card-2"), "not_your_card"),
    ("create cluster", carded, FACILITATOR, cd.CreateCluster(name="Elders"), ["cluster_created"]),
    ("duplicate cluster", clustered, FACILITATOR, cd.CreateCluster(name="elders"), "duplicate_cluster"),
    ("cluster: practitioner", carded, AMA, cd.CreateCluster(name="Mine"), "forbidden"),
    ("move card", clustered, FACILITATOR, cd.MoveCard(card_id="card-2", cluster_id="cluster-1"), ["card_moved"]),
    ("move card to unknown cluster", clustered, FACILITATOR, cd.MoveCard(card_id="card-2", cluster_id="cluster-5"), "unknown_cluster"),
    ("move card: practitioner", clustered, AMA, cd.MoveCard(card_id="card-2", cluster_id="cluster-1"), "forbidden"),
    ("open voting", carded, FACILITATOR, cd.OpenVoting(), ["voting_opened"]),
    ("open voting twice", voting, FACILITATOR, cd.OpenVoting(), "voting_open"),
    ("open voting without votes", ideas, FACILITATOR, cd.OpenVoting(), "no_voting"),
    ("open voting: practitioner", carded, AMA, cd.OpenVoting(), "forbidden"),
    ("vote", voting, AMA, cd.CastVote(card_id="card-2"), ["vote_cast"]),
    ("vote before voting opened", carded, AMA, cd.CastVote(card_id="card-2"), "voting_closed"),
    ("vote after voting closed", voting_closed, AMA, cd.CastVote(card_id="card-2"), "voting_closed"),
    ("vote beyond the allowance", voted_out, AMA, cd.CastVote(card_id="card-1"), "no_votes_left"),
    ("vote on an unknown card", voting, AMA, cd.CastVote(card_id="card-8"), "unknown_card"),
    ("vote: facilitator", voting, FACILITATOR, cd.CastVote(card_id="card-1"), "forbidden"),
    ("retract vote", voted_out, AMA, cd.RetractVote(card_id="card-2"), ["vote_retracted"]),
    ("retract a vote never cast", voting, AMA, cd.RetractVote(card_id="card-2"), "no_vote"),
    ("retract after close", voting_closed, AMA, cd.RetractVote(card_id="card-1"), "voting_closed"),
    ("withdraw a voted card", voted_out, BEA, cd.WithdrawCard(card_id="card-2"), ["card_withdrawn"]),
    ("close voting", voting, FACILITATOR, cd.CloseVoting(), ["voting_closed"]),
    ("close voting not open", carded, FACILITATOR, cd.CloseVoting(), "voting_closed"),
    ("reveal", voting_closed, FACILITATOR, cd.RevealVotes(), ["votes_revealed"]),
    ("reveal twice", revealed, FACILITATOR, cd.RevealVotes(), "already_revealed"),
    ("reveal: practitioner", voting_closed, AMA, cd.RevealVotes(), "forbidden"),
    # discussion
    ("add action", discussing, AMA, dd.AddAction(what="Call the mayor", who="Bea"), ["action_added"]),
    ("add action with a date", discussing, FACILITATOR, dd.AddAction(what="Report", who="Farida", due="2025-12-31"), ["action_added"]),
    ("complete action", action_added, FACILITATOR, dd.CompleteAction(action_id="action-1"), ["action_completed"]),
    ("complete action: practitioner", action_added, AMA, dd.CompleteAction(action_id="action-1"), "forbidden"),
    ("remove action", action_added, FACILITATOR, dd.RemoveAction(action_id="action-1"), ["action_removed"]),
    ("remove a removed action", action_removed, FACILITATOR, dd.RemoveAction(action_id="action-1"), "unknown_action"),
    ("note point", discussing, FACILITATOR, dd.NotePoint(text="Men can be allies", participant_id=BEA.id), ["point_noted"]),
    ("note point without a maker", discussing, FACILITATOR, dd.NotePoint(text="Funding is short"), ["point_noted"]),
    ("note point: practitioner", discussing, AMA, dd.NotePoint(text="Mine"), "forbidden"),
    ("note point outside a discussion", ideas, FACILITATOR, dd.NotePoint(text="x"), "wrong_phase"),
    ("note point by a stranger", discussing, FACILITATOR, dd.NotePoint(text="x", participant_id=STRANGER.id), "unknown_participant"),
    ("remove point", point_noted, FACILITATOR, dd.RemovePoint(point_id="point-1"), ["point_removed"]),
    ("remove point: practitioner", point_noted, AMA, dd.RemovePoint(point_id="point-1"), "forbidden"),
    ("remove a removed point", point_removed, FACILITATOR, dd.RemovePoint(point_id="point-1"), "unknown_point"),
    ("remove an unknown point", discussing, FACILITATOR, dd.RemovePoint(point_id="point-9"), "unknown_point"),
    # draft
    ("edit section", drafting, AMA, dr.EditSection(section=1, base_version=0, text="Stories show it.", citations=("card-1",)), ["section_edited"]),
    ("edit on the latest version", drafted, BEA, dr.EditSection(section=0, base_version=1, text="Girls miss school; boys too."), ["section_edited"]),
    ("stale version", drafted, BEA, dr.EditSection(section=0, base_version=0, text="Mine"), "stale_version"),
    ("version from the future", drafted, BEA, dr.EditSection(section=0, base_version=5, text="Mine"), "stale_version"),
    ("unknown section", drafting, AMA, dr.EditSection(section=3, base_version=0, text="x"), "unknown_section"),
    ("unknown citation", drafting, AMA, dr.EditSection(section=0, base_version=0, text="x", citations=("story-4",)), "unknown_citation"),
    ("edit a finalised draft", final, AMA, dr.EditSection(section=0, base_version=1, text="More"), "final"),
    ("draft outside a draft phase", discussing, AMA, dr.EditSection(section=0, base_version=0, text="x"), "wrong_phase"),
    ("mark final", drafted, FACILITATOR, dr.SetDraftFinal(), ["draft_final_set"]),
    ("reopen", final, FACILITATOR, dr.SetDraftFinal(final=False), ["draft_final_set"]),
    ("mark final: practitioner", drafted, AMA, dr.SetDraftFinal(), "forbidden"),
    # feedback
    ("feedback", closing, AMA, fb.SubmitFeedback(ratings=RATINGS, text="Thank you"), ["feedback_submitted"]),
    ("empty feedback", closing, AMA, fb.SubmitFeedback(), "empty"),
    ("feedback outside the closing", discussing, AMA, fb.SubmitFeedback(text="x"), "wrong_phase"),
    ("feedback: facilitator", closing, FACILITATOR, fb.SubmitFeedback(text="x"), "forbidden"),
    # notes
    ("note", discussing, FACILITATOR, nt.AddNote(text="Bea: men as allies", participant_id=BEA.id), ["note_added"]),
    ("note on a stranger", discussing, FACILITATOR, nt.AddNote(text="x", participant_id=STRANGER.id), "unknown_participant"),
    ("note: practitioner", discussing, AMA, nt.AddNote(text="x"), "forbidden"),
    ("park", discussing, FACILITATOR, nt.ParkPoint(text="Funding cycles"), ["point_parked"]),
    ("park: practitioner", discussing, AMA, nt.ParkPoint(text="x"), "forbidden"),
    ("resolve", parked, FACILITATOR, nt.ResolvePoint(item_id="parked-1"), ["point_resolved"]),
    ("resolve unknown", parked, FACILITATOR, nt.ResolvePoint(item_id="parked-2"), "unknown_item"),
]


def _then(session: Session, index: int) -> Session:
    session.do(FACILITATOR, c.GotoPhase(index=index))
    return session


@pytest.mark.parametrize(("setup", "actor", "command", "expect"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_command(setup: Setup, actor: c.Actor, command: typing.Any, expect: Expect) -> None:
    """Each command yields the expected events, or the expected refusal and no change at all."""
    session = setup()
    if isinstance(expect, str):
        refusal = session.refuse(actor, command)
        assert refusal.code == expect
        assert refusal.message and refusal.message[0].isupper()
    else:
        assert types(session.do(actor, command)) == expect
        assert session.rebuilt() == session.state


def test_every_activity_command_has_a_case() -> None:
    every = {cls.model_fields["type"].default for cls in typing.get_args(typing.get_args(c.Command)[0])}
    activity = {t for t in every if t not in {cls.model_fields["type"].default for cls in vars(c).values()
                                              if isinstance(cls, type) and cls.__module__ == c.__name__
                                              and "type" in getattr(cls, "model_fields", {})}}  # fmt: skip
    from tests.unit.test_activity_leading import CASES as LEADING_CASES
    from tests.unit.test_activity_card_groups import CASES as GROUP_CASES
    from tests.unit.test_activity_prepared import CASES as PREPARED_CASES
    from tests.unit.test_activity_moderation import CASES as MODERATION_CASES
    from tests.unit.test_activity_selection import CASES as SELECTION_CASES

    covered = {type(case[3]).model_fields["type"].default for case in (*CASES, *SELECTION_CASES, *MODERATION_CASES, *PREPARED_CASES, *GROUP_CASES,
                                                                 *(case for case in LEADING_CASES if type(case[3]).__module__.endswith("leading_data")))}
    assert activity - {"redact_contribution"} <= covered <= activity  # redaction may be tested on its own


BAD_INPUT = [
    {"type": "share_story", "title": ""},
    {"type": "share_story", "title": "   "},
    {"type": "share_story", "title": "x" * (st.MAX_STORY_TITLE + 1)},
    {"type": "share_story", "title": "ok", "summary": "x" * (st.MAX_STORY_SUMMARY + 1)},
    {"type": "write_listening_note", "text": ""},
    {"type": "reflect", "story_id": "story-1", "kind": "praise", "text": "x"},
    {"type": "reflect", "story_id": "story-1", "kind": "heard", "text": "x" * (st.MAX_REFLECTION + 1)},
    {"type": "add_card", "fields": {}},
    {"type": "add_card", "fields": {"who": "x" * (cd.MAX_CARD_FIELD + 1)}},
    {"type": "add_card", "fields": {"Bad Key": "x"}},
    {"type": "edit_card", "card_id": "../etc", "fields": {"who": "x"}},
    {"type": "create_cluster", "name": ""},
    {"type": "add_action", "what": "x", "who": "y", "due": "next week"},
    {"type": "add_action", "what": "x", "who": "y", "due": "2025-02-30"},
    {"type": "add_action", "what": "", "who": "y"},
    {"type": "note_point", "text": ""},
    {"type": "note_point", "text": "   "},
    {"type": "note_point", "text": "x" * (dd.MAX_POINT + 1)},
    {"type": "note_point", "text": "x", "participant_id": ""},
    {"type": "remove_point", "point_id": "../x"},
    {"type": "edit_section", "section": 0, "base_version": -1, "text": "x"},
    {"type": "edit_section", "section": 0, "base_version": 0, "text": "x" * (dr.MAX_SECTION_TEXT + 1)},
    {"type": "submit_feedback", "ratings": {"useful": 6}},
    {"type": "submit_feedback", "ratings": {"useful": 0}},
    {"type": "submit_feedback", "ratings": {"fun": 3}},
    {"type": "submit_feedback", "text": "x" * (fb.MAX_FEEDBACK_TEXT + 1)},
    {"type": "add_note", "text": ""},
    {"type": "park_point", "text": "x" * (nt.MAX_PARKED + 1)},
    {"type": "accept_agreements", "extra": 1},
]


@pytest.mark.parametrize("raw", BAD_INPUT, ids=[str(i) for i in range(len(BAD_INPUT))])
def test_bad_input_is_refused_at_the_boundary(raw: dict[str, typing.Any]) -> None:
    """Empty, oversized or malformed input never becomes a command."""
    with pytest.raises(ValidationError):
        command_adapter.validate_python(raw)


def test_points_are_public_with_their_maker() -> None:
    """Both views list the standing points and who made them; removed points are gone."""
    from exchange.sessions.views import LIMITS, facilitator_view, participant_view

    session = point_noted()
    session.do(FACILITATOR, dd.NotePoint(text="Funding is short"))
    session.do(FACILITATOR, dd.RemovePoint(point_id="point-2"))
    for view in (facilitator_view(session.state), participant_view(session.state)):
        assert view["points"] == [
            {"id": "point-1", "phase_index": DISCUSS, "text": "Men can be allies",
             "made_by": {"id": BEA.id, "name": session.state.name_of(BEA.id)}, "off_record": False},
        ]  # fmt: skip
        assert view["limits"]["discussion_point"] == dd.MAX_POINT == LIMITS["discussion_point"]
