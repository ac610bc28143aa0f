"""Property tests of the activities: random scripts rebuild, anonymity holds, nothing is lost."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from exchange.sessions import commands as c
from exchange.sessions import protocol
from exchange.sessions.activities import agreements_data as ag
from exchange.sessions.activities import cards_data as cd
from exchange.sessions.activities import discussion_data as dd
from exchange.sessions.activities import draft_data as dr
from exchange.sessions.activities import feedback_data as fb
from exchange.sessions.activities import moderation_data as md
from exchange.sessions.activities import notes_data as nt
from exchange.sessions.activities import record_data as rd
from exchange.sessions.activities import stories_data as sd
from exchange.sessions.commands import Role
from exchange.sessions.events import EventEnvelope
from exchange.sessions.machine import Rejected, decide, rebuild
from exchange.sessions.state import SessionState
from exchange.sessions.views import (
    apply_items,
    facilitator_view,
    participant_view,
    personal_subjects,
    personal_view,
    projections,
)
from exchange.sessions.privacy import LIVE_AUDIENCES
from tests.unit import test_session_properties as core
from tests.unit.test_activity_support import CLOSING, DRAFT, LEVERS, PLAN, at_phase, visible_event
from tests.unit.test_session_support import AMA, BEA, CHE, FACILITATOR, T0, Session

PEOPLE = (AMA, BEA, CHE)
words = st.text(alphabet="abcdefgh ", min_size=1, max_size=12).filter(str.strip)
card_ids = st.integers(1, 6).map(lambda n: f"card-{n}")
story_ids = st.integers(1, 4).map(lambda n: f"story-{n}")
lever_fields = st.fixed_dictionaries({"who": words, "influence": words, "how": words})

steering = st.one_of(
    st.builds(c.GotoPhase, index=st.integers(0, len(PLAN.phases) - 1)),
    st.just(c.NextTurn()),
    st.builds(cd.CreateCluster, name=words),
    st.builds(cd.MoveCard, card_id=card_ids, cluster_id=st.none() | st.just("cluster-1")),
    st.sampled_from([cd.OpenVoting(), cd.CloseVoting(), cd.RevealVotes(), dr.SetDraftFinal()]),
    st.builds(nt.AddNote, text=words),
    st.builds(nt.ParkPoint, text=words),
    st.builds(dd.CompleteAction, action_id=st.just("action-1")),
    st.builds(md.HideItem, ref=st.one_of(card_ids, st.just("reflection-1"), st.just("recall-1"),
                                         st.integers(0, 2).map(lambda n: md.section_ref(DRAFT, n)),
                                         words.map(lambda w: md.comment_ref(CLOSING, w.strip()))), reason=words),
    st.builds(md.UnhideItem, ref=st.one_of(card_ids, st.just("reflection-1"), st.just(md.section_ref(DRAFT, 0)))),
)
contributing = st.one_of(
    st.just(ag.AcceptAgreements()),
    st.builds(sd.ShareStory, title=words, summary=words),
    st.builds(sd.ShareStory, story_id=story_ids, title=words),
    st.builds(sd.WithdrawStory, story_id=story_ids),
    st.builds(sd.WriteListeningNote, text=words),
    st.builds(sd.Reflect, story_id=story_ids, kind=st.sampled_from(list(sd.ReflectionKind)), text=words),
    st.builds(sd.AddRecall, text=words),
    st.builds(rd.SetOffRecord, item_id=story_ids | card_ids, off_record=st.booleans()),
    st.builds(cd.AddCard, fields=lever_fields, anonymous=st.booleans()),
    st.builds(cd.AddCard, fields=st.fixed_dictionaries({"idea": words})),
    st.builds(cd.EditCard, card_id=card_ids, fields=lever_fields),
    st.builds(cd.WithdrawCard, card_id=card_ids),
    st.builds(cd.CastVote, card_id=card_ids),
    st.builds(cd.RetractVote, card_id=card_ids),
    st.builds(dd.AddAction, what=words, who=words),
    st.builds(dr.EditSection, section=st.integers(0, 3), base_version=st.integers(0, 3), text=words,
              citations=st.lists(card_ids | story_ids, max_size=2).map(tuple)),  # fmt: skip
    st.builds(fb.SubmitFeedback, ratings=st.dictionaries(st.sampled_from(list(fb.Rating)), st.integers(1, 5)), text=words),
)
steps = st.one_of(
    st.tuples(st.just(FACILITATOR), steering),
    st.tuples(st.sampled_from([*PEOPLE, FACILITATOR]), contributing),
)


def check_activity_invariants(state: SessionState) -> None:
    """Votes within allowances; withdrawn cards hold no votes; every view is JSON."""
    assert state.plan is not None
    for index, phase in enumerate(state.plan.phases):
        for person in PEOPLE:
            dots = [v for v in state.cards.votes if v.phase_index == index and v.voter_id == person.id]
            assert len(dots) <= phase.votes_per_person
    withdrawn = {card.id for card in state.cards.cards if card.withdrawn}
    assert not any(vote.card_id in withdrawn for vote in state.cards.votes)
    for person in PEOPLE:
        json.dumps(personal_view(state, person.id))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=st.lists(steps, min_size=5, max_size=40))
def test_random_activity_scripts_rebuild_and_keep_invariants(script: list[tuple[c.Actor, Any]]) -> None:
    """decide/apply over any script: refusals change nothing, the log rebuilds to the live state."""
    session = at_phase(0)
    state, log, now = session.state, list(session.log), session.now
    for actor, command in script:
        note(f"{actor.id}: {command!r}")
        now += timedelta(seconds=7)
        state, envelopes = core.run(state, (actor, command, 7.0), now)
        log.extend(envelopes)
        check_activity_invariants(state)
        for envelope in envelopes:
            for subject in personal_subjects(envelope.event):
                assert subject in {member.id for member in state.roster} | {FACILITATOR.id}
    assert rebuild(state.exchange_id, [EventEnvelope.model_validate_json(e.model_dump_json()) for e in log]) == state


# -- anonymity: swapping who wrote the anonymous cards changes nothing anyone is shown ---------------

AUTHOR = object()  # stands for whoever authors the anonymous cards in this run
anonymous_moves = st.one_of(
    st.tuples(st.just(AUTHOR), st.builds(cd.AddCard, fields=lever_fields, anonymous=st.just(True))),
    st.tuples(st.just(AUTHOR), st.builds(cd.EditCard, card_id=card_ids, fields=lever_fields)),
    st.tuples(st.just(AUTHOR), st.builds(cd.WithdrawCard, card_id=card_ids)),
    st.tuples(st.just(CHE), st.builds(cd.AddCard, fields=lever_fields)),
    st.tuples(st.just(CHE), st.builds(cd.CastVote, card_id=card_ids)),
    st.tuples(st.just(FACILITATOR), st.sampled_from([cd.OpenVoting(), cd.RevealVotes(), cd.CreateCluster(name="All")])),
    st.tuples(st.just(FACILITATOR), st.builds(cd.MoveCard, card_id=card_ids, cluster_id=st.just("cluster-1"))),
    st.tuples(st.just(FACILITATOR), st.builds(md.HideItem, ref=card_ids, reason=words)),
    st.tuples(st.just(FACILITATOR), st.builds(md.UnhideItem, ref=card_ids)),
)


def _shown(session: Session) -> list[Any]:
    events = [visible_event(envelope, audience) for envelope in session.log for audience in LIVE_AUDIENCES]
    return [facilitator_view(session.state), participant_view(session.state), events]


def _card_parts(session: Session) -> str:
    """What is shown about cards: the cards sections and every card event, for every role."""
    card_events = {"card_added", "card_edited", "card_withdrawn", "card_moved", "vote_cast", "vote_retracted",
                   "item_hidden", "item_unhidden"}  # fmt: skip
    shown = [
        visible_event(envelope, audience)
        for envelope in session.log
        if envelope.event.type in card_events
        for audience in LIVE_AUDIENCES
    ]
    views = [facilitator_view(session.state), participant_view(session.state)]
    hidden = facilitator_view(session.state)["hidden"]
    return json.dumps([shown, [{"cards": v["cards"], "clusters": v["clusters"]} for v in views], hidden])


@settings(max_examples=60, deadline=None)
@given(script=st.lists(anonymous_moves, min_size=1, max_size=15))
def test_the_author_of_an_anonymous_card_reaches_no_one(script: list[tuple[Any, Any]]) -> None:
    """Ama or Bea as the author: every view and event for every role is identical, and names neither."""
    runs = []
    for author in (AMA, BEA):
        session = at_phase(LEVERS)
        for actor, command in script:
            session.send(author if actor is AUTHOR else actor, command)
        runs.append(session)
        shown = _card_parts(session)
        assert author.id not in shown and author.name not in shown
    assert json.dumps(_shown(runs[0])) == json.dumps(_shown(runs[1]))


# -- feedback: who answered what never shows ---------------------------------------------------------

answers = st.tuples(st.dictionaries(st.sampled_from(list(fb.Rating)), st.integers(1, 5), min_size=1), words)


@settings(max_examples=60, deadline=None)
@given(given_answers=st.lists(answers, min_size=1, max_size=3), order=st.permutations(PEOPLE))
def test_feedback_never_appears_per_person(given_answers: list[tuple[Any, str]], order: list[c.Actor]) -> None:
    """Who gave which answers changes nothing shown to anyone but the one who gave them."""
    runs = []
    for people in (PEOPLE, tuple(order)):
        session = at_phase(CLOSING)
        for person, (ratings, text) in zip(people, given_answers, strict=False):
            session.do(person, fb.SubmitFeedback(ratings=ratings, text=text))
        session.do(FACILITATOR, c.EndExchange())
        runs.append(session)
        shown = json.dumps(_shown(session)[2])
        assert all(text not in shown for _ratings, text in given_answers if len(text) > 3)
        feedback = json.dumps(facilitator_view(session.state)["feedback"])
        assert not any(p.id in feedback or p.name in feedback for p in PEOPLE)
        assert not any("feedback" in view for view in (participant_view(session.state),))
    assert json.dumps(_shown(runs[0])) == json.dumps(_shown(runs[1]))


# -- the draft: editors racing on stale copies never lose an accepted edit ---------------------------


@settings(max_examples=80, deadline=None)
@given(turns=st.lists(st.tuples(st.sampled_from(PEOPLE), st.booleans(), st.integers(0, 2)), min_size=1, max_size=25))
def test_draft_sections_never_lose_an_accepted_edit(turns: list[tuple[c.Actor, bool, int]]) -> None:
    """Each editor adds a word to the copy they last read; stale saves are refused, then redone."""
    session = at_phase(DRAFT)
    copies: dict[tuple[str, int], tuple[str, int]] = {}  # what each person last read of a section
    accepted: dict[int, list[str]] = {0: [], 1: [], 2: []}
    for number, (person, reread, index) in enumerate(turns):
        section = participant_view(session.state)["drafts"][0]["sections"][index]
        if reread or (person.id, index) not in copies:
            copies[person.id, index] = (section["text"], section["version"])
        text, version = copies[person.id, index]
        word = f"w{number}"
        result = session.send(person, dr.EditSection(section=index, base_version=version, text=f"{text} {word}".strip()))
        if isinstance(result, Rejected):
            assert result.code == "stale_version"
            assert version < section["version"]
        else:
            accepted[index].append(word)
            copies[person.id, index] = (f"{text} {word}".strip(), version + 1)
    for index, words_in in accepted.items():
        section = participant_view(session.state)["drafts"][0]["sections"][index]
        assert section["version"] == len(words_in)
        assert section["text"].split() == words_in
    assert session.rebuilt() == session.state


def test_time_only_from_the_command() -> None:
    """Deciding twice at the same moment gives the same events (no clock is read)."""
    session = at_phase(LEVERS)
    command = cd.AddCard(fields={"who": "a", "influence": "b", "how": "c"})
    assert decide(session.state, command, AMA, T0) == decide(session.state, command, AMA, T0)


# -- view changes: a client that applies each frame's changes holds the whole view ----------------


def _applied(held: dict[str, Any], frame: dict[str, Any]) -> dict[str, Any]:
    """What the pages do with an events frame (connection.js): replace the parts in "changes", and
    apply the lists changed item by item ("items")."""
    return apply_items({**held, **frame["changes"]}, frame.get("items", {}))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=st.lists(steps, min_size=5, max_size=40))
def test_applying_each_batchs_changes_gives_the_whole_view(script: list[tuple[c.Actor, Any]]) -> None:
    """Frames carry only what changed; over any script the client's view equals the server's."""
    session = at_phase(0)
    state, now = session.state, session.now
    live = projections()
    builds = {Role.FACILITATOR: facilitator_view, Role.PARTICIPANT: participant_view}
    for projection in live.values():
        projection.update(state)
    # What the pages hold: the whole view as it came over the wire when they connected.
    held = {role: json.loads(protocol.snapshot(seq=0, view=projection.parts))["view"] for role, projection in live.items()}
    for actor, command in script:
        now += timedelta(seconds=7)
        state, envelopes = core.run(state, (actor, command, 7.0), now)
        for role, build in builds.items():
            after = build(state)
            whole, items = live[role].deltas(live[role].update(state))
            frame = json.loads(protocol.events(seq=state.last_seq, events=[], changes=whole, items=items))
            changes = frame["changes"]
            assert all(held[role].get(key) != value for key, value in changes.items())
            for name, delta in frame.get("items", {}).items():  # only what changed, item by item
                assert name not in changes and (delta["upsert"] or delta["remove"] or "order" in delta)
                was = {item[delta["key"]]: item for item in held[role][name]}
                assert all(was.get(item[delta["key"]]) != item for item in delta["upsert"])
            held[role] = _applied(held[role], frame)
            assert {k: v for k, v in held[role].items() if v is not None} == {
                k: v for k, v in json.loads(json.dumps(after)).items() if v is not None
            }
