"""What each role sees of the activities: projections, personal views, and redacted events."""

from __future__ import annotations

import json
from typing import Any

from exchange.sessions import commands as c
from exchange.sessions.activities import agreements_data as ag
from exchange.sessions.activities import cards_data as cd
from exchange.sessions.activities import draft_data as dr
from exchange.sessions.activities import feedback_data as fb
from exchange.sessions.activities import notes_data as nt
from exchange.sessions.activities import record_data as rc
from exchange.sessions.activities import stories_data as st
from exchange.sessions.privacy import LIVE_AUDIENCES, Audience
from exchange.sessions.views import (
    facilitator_view,
    participant_view,
    personal_subjects,
)
from tests.unit.test_activity_support import (
    CLOSING,
    DRAFT,
    LEVERS,
    STORIES,
    at_phase,
    everything_shown,
    lever,
    personal,
    visible_event,
)
from exchange.sessions.commands import Actor
from tests.unit.test_session_support import AMA, BEA, CHE, FACILITATOR, Session


def _last_shown(session: Session, audience: Audience) -> dict[str, Any] | None:
    return visible_event(session.log[-1], audience)


def test_agreements_console_shows_who_has_accepted() -> None:
    session = at_phase(0)
    session.do(BEA, ag.AcceptAgreements())
    view = facilitator_view(session.state)
    assert [p["id"] for p in view["agreements_accepted"]] == [BEA.id]
    assert [p["id"] for p in view["agreements_pending"]] == [AMA.id, CHE.id]
    assert personal(session, BEA)["agreements_accepted"] is True
    assert personal(session, AMA)["agreements_accepted"] is False
    assert personal_subjects(session.log[-1].event) == {BEA.id}


def test_story_reflections_notes_and_withdrawal() -> None:
    session = at_phase(STORIES)
    session.do(FACILITATOR, c.NextTurn())
    session.do(BEA, st.WriteListeningNote(text="secret thought"))
    assert all(_last_shown(session, role) is None for role in LIVE_AUDIENCES)
    assert personal_subjects(session.log[-1].event) == {BEA.id}
    session.do(AMA, st.ShareStory(title="The well", summary="We dug."))
    session.do(BEA, st.Reflect(story_id="story-1", kind=st.ReflectionKind.HEARD, text="Water"))
    session.do(BEA, rc.SetOffRecord(item_id="reflection-1"))
    view = participant_view(session.state)
    (story,) = view["stories"]
    assert story["teller"]["name"] == "Ama"
    assert story["reflections"][0]["off_record"] is True
    assert "secret thought" not in json.dumps([view, facilitator_view(session.state), personal(session, AMA)])
    mine = personal(session, BEA)
    assert [n["text"] for n in mine["listening_notes"]] == ["secret thought"]
    assert mine["listening_notes"][0]["about"]["id"] == AMA.id
    assert mine["off_record"] == ["reflection-1"]
    session.do(AMA, st.WithdrawStory(story_id="story-1"))
    assert participant_view(session.state)["stories"] == []
    assert facilitator_view(session.state)["stories"] == []
    assert personal(session, AMA)["withdrawn_stories"] == [{"id": "story-1", "title": "The well"}]


def test_anonymous_card_reaches_no_one_but_is_editable_by_its_author() -> None:
    session = at_phase(LEVERS)
    session.do(CHE, cd.AddCard(fields={"who": "Nans", "influence": "x", "how": "y"}, anonymous=True))
    session.do(CHE, cd.EditCard(card_id="card-1", fields={"who": "Grannies", "influence": "x", "how": "y"}))
    session.do(AMA, lever())
    for role in LIVE_AUDIENCES:
        for envelope in session.log[-3:-1]:
            shown = visible_event(envelope, role)
            assert shown is not None
            assert shown["actor"] == {"role": "participant", "id": "anonymous", "name": "Anonymous"}
            assert "author_id" not in shown["event"] and shown["command_id"] is None
    staff = facilitator_view(session.state)
    assert [card["author"] for card in staff["cards"]] == [None, {"id": AMA.id, "name": "Ama"}]
    assert staff["cards"][0]["fields"]["who"] == "Grannies"
    assert personal(session, CHE)["my_cards"] == ["card-1"]
    assert personal(session, AMA)["my_cards"] == ["card-2"]
    assert personal_subjects(session.log[-3].event) == {CHE.id}
    session.do(CHE, cd.WithdrawCard(card_id="card-1"))
    assert [card["id"] for card in participant_view(session.state)["cards"]] == ["card-2"]


def test_votes_hidden_until_revealed_and_returned_when_a_card_goes() -> None:
    session = at_phase(LEVERS)
    session.do(AMA, lever())
    session.do(BEA, lever(who="Teachers"))
    session.do(FACILITATOR, cd.OpenVoting())
    session.do(AMA, cd.CastVote(card_id="card-2"))
    session.do(AMA, cd.CastVote(card_id="card-2"))
    session.do(CHE, cd.CastVote(card_id="card-1"))
    assert all(_last_shown(session, role) is None for role in LIVE_AUDIENCES)
    assert personal_subjects(session.log[-1].event) == {CHE.id}
    # Two people's dots would give each other's choices away: no totals for anyone yet.
    assert all("votes" not in card for card in facilitator_view(session.state)["cards"])
    assert facilitator_view(session.state)["voters"] == {str(LEVERS): 2}
    session.do(BEA, cd.CastVote(card_id="card-1"))
    assert "votes" not in participant_view(session.state)["cards"][0]
    assert [card["votes"] for card in facilitator_view(session.state)["cards"]] == [2, 2]
    assert personal(session, AMA)["my_votes"][str(LEVERS)] == {"cards": {"card-2": 2}, "left": 1}
    session.do(BEA, cd.WithdrawCard(card_id="card-2"))
    assert personal_subjects(session.log[-1].event) == {AMA.id, BEA.id}
    assert "released_voters" not in visible_event(session.log[-1], Audience.FACILITATOR)["event"]
    assert personal(session, AMA)["my_votes"][str(LEVERS)] == {"cards": {}, "left": 3}
    session.do(FACILITATOR, cd.RevealVotes())
    assert "votes" not in participant_view(session.state)["cards"][0]  # two voters are left
    session.do(AMA, cd.CastVote(card_id="card-1"))
    assert [card["votes"] for card in participant_view(session.state)["cards"]] == [3]


def test_draft_view_shows_current_text_for_merging() -> None:
    session = at_phase(DRAFT)
    session.do(AMA, dr.EditSection(section=2, base_version=0, text="Fund us."))
    refusal = session.refuse(BEA, dr.EditSection(section=2, base_version=0, text="Please fund."))
    assert refusal.code == "stale_version" and "changed" in refusal.message
    section = participant_view(session.state)["drafts"][0]["sections"][2]
    assert section == {
        "index": 2, "title": "The ask", "text": "Fund us.", "version": 1, "citations": [],
        "last_editor": {"id": AMA.id, "name": "Ama"}, "hidden": False,
    }  # fmt: skip


def _answered(*answers: tuple[Actor, fb.SubmitFeedback]) -> Session:
    session = at_phase(CLOSING)
    for actor, answer in answers:
        session.do(actor, answer)
    return session


def test_feedback_summary_has_nothing_per_person() -> None:
    session = _answered(
        (AMA, fb.SubmitFeedback(ratings={fb.Rating.USEFUL: 5}, text="Zebra lovely")),
        (BEA, fb.SubmitFeedback(ratings={fb.Rating.USEFUL: 2, fb.Rating.SAFE: 4}, text="Apple")),
        (BEA, fb.SubmitFeedback(ratings={fb.Rating.USEFUL: 3}, text="Apple pie")),
        (CHE, fb.SubmitFeedback(ratings={fb.Rating.USEFUL: 4}, text="Mango")),
    )
    assert all(visible_event(e, role) is None for e in session.log[-4:] for role in LIVE_AUDIENCES)
    live = facilitator_view(session.state)["feedback"]
    assert live == [{"phase_index": CLOSING, "responses": 3, "summary": None}]
    session.do(FACILITATOR, c.EndExchange())
    (result,) = facilitator_view(session.state)["feedback"]
    assert result["summary"]["texts"] == ["Apple pie", "Mango", "Zebra lovely"]
    assert result["summary"]["ratings"]["useful"]["average"] == 4.0
    assert result["summary"]["ratings"]["useful"]["distribution"]["3"] == 1
    assert result["summary"]["ratings"]["safe"]["average"] is None  # one score: too few to show
    assert "feedback" not in participant_view(session.state)
    assert personal(session, BEA)["feedback"][str(CLOSING)]["text"] == "Apple pie"


def test_feedback_of_fewer_than_three_is_counts_only() -> None:
    """Two answers are as good as named: no averages, no distributions, no texts, live or after."""
    session = _answered(
        (AMA, fb.SubmitFeedback(ratings={fb.Rating.USEFUL: 5}, text="Zebra lovely")),
        (BEA, fb.SubmitFeedback(ratings={fb.Rating.USEFUL: 2}, text="Apple")),
    )
    session.do(FACILITATOR, c.EndExchange())
    (result,) = facilitator_view(session.state)["feedback"]
    summary = result["summary"]
    assert result["responses"] == 2 and summary["withheld"] is True and summary["comments"] == 2
    assert summary["texts"] == []
    assert all(r["average"] is None and r["distribution"] is None for r in summary["ratings"].values())
    assert "Apple" not in json.dumps(facilitator_view(session.state)) and "Zebra" not in everything_shown(session)
    assert personal(session, CHE)["feedback_submitted"] is False


def test_private_notes_only_for_the_facilitator() -> None:
    session = at_phase(0)
    session.do(FACILITATOR, nt.AddNote(text="Watch Bea's airtime", participant_id=BEA.id))
    session.do(FACILITATOR, nt.ParkPoint(text="Land rights"))
    for envelope in session.log[-2:]:
        assert visible_event(envelope, Audience.FACILITATOR) is not None
        assert visible_event(envelope, Audience.LEAD) is not None  # staff watching share the console
        assert visible_event(envelope, Audience.PARTICIPANT) is None
    assert "Land rights" not in json.dumps(participant_view(session.state))
    assert facilitator_view(session.state)["parking_lot"][0]["text"] == "Land rights"
    assert "Land rights" in everything_shown(session)  # the facilitator's own copy
