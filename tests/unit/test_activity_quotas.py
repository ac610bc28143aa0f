"""Per-person quotas (activities/quotas.py): counted on what a person has standing, freed by
withdrawing or hiding, and nobody's actions ever use up anyone else's."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from exchange.sessions.activities import cards_data as cd
from exchange.sessions.activities import discussion_data as dd
from exchange.sessions.activities import moderation_data as md
from exchange.sessions.activities import quotas
from exchange.sessions.activities import stories_data as sd
from exchange.sessions.activities.quotas import Quota
from tests.unit.test_activity_support import DISCUSS, LEVERS, STORIES, at_phase, lever
from tests.unit.test_session_support import AMA, BEA, CHE, FACILITATOR, Session
from exchange.sessions import commands as c


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(quotas, "PER_PERSON", {quota: 3 for quota in Quota})


def _card_ids(session: Session, author_id: str) -> list[str]:
    return [card.id for card in session.state.cards.cards if card.author_id == author_id and not card.withdrawn]


def test_one_persons_anonymous_flood_leaves_everyone_elses_cards_alone(small: None) -> None:
    session = at_phase(LEVERS)
    for n in range(3):
        session.do(AMA, lever(f"Flood {n}", anonymous=True))
    refusal = session.refuse(AMA, lever("One too many", anonymous=True))
    assert refusal.code == "quota" and "3" in refusal.message
    # Bea and Che still have their whole quota.
    for person in (BEA, CHE):
        assert quotas.remaining(session.state, Quota.CARDS, person.id) == 3
        session.do(person, lever(f"Mine, {person.name}"))


def test_withdrawing_frees_the_quota_again(small: None) -> None:
    session = at_phase(LEVERS)
    for n in range(3):
        session.do(AMA, lever(f"Card {n}"))
    session.refuse(AMA, lever("Full"))
    session.do(AMA, cd.WithdrawCard(card_id=_card_ids(session, AMA.id)[0]))
    assert quotas.remaining(session.state, Quota.CARDS, AMA.id) == 1
    session.do(AMA, lever("Room again"))


def test_hiding_frees_the_quota_and_showing_again_takes_it_back(small: None) -> None:
    session = at_phase(LEVERS)
    for n in range(3):
        session.do(AMA, lever(f"Card {n}", anonymous=True))
    first = _card_ids(session, AMA.id)[0]
    session.do(FACILITATOR, md.HideItem(ref=first, reason="Not kind."))
    assert quotas.standing(session.state, Quota.CARDS, AMA.id) == 2
    session.do(AMA, lever("Instead", anonymous=True))
    session.refuse(AMA, lever("Full again", anonymous=True))
    session.do(FACILITATOR, md.UnhideItem(ref=first))  # allowed: it only brings Ama above her quota
    assert quotas.remaining(session.state, Quota.CARDS, AMA.id) == 0


def test_churn_stops_at_the_lifetime_cap_for_that_person_only(small: None) -> None:
    session = at_phase(LEVERS)
    written = 0
    while quotas.remaining(session.state, Quota.CARDS, AMA.id) > 0:
        session.do(AMA, lever(f"Churn {written}"))
        session.do(AMA, cd.WithdrawCard(card_id=_card_ids(session, AMA.id)[0]))
        written += 1
    assert written == 3 * quotas.LIFETIME_FACTOR
    assert session.refuse(AMA, lever("No more")).code == "quota"
    session.do(BEA, lever("Bea is unaffected"))


def test_facilitators_have_a_larger_quota(small: None) -> None:
    session = at_phase(LEVERS)
    for n in range(3 * quotas.STAFF_FACTOR):
        session.do(FACILITATOR, lever(f"From the room {n}"))
    assert session.refuse(FACILITATOR, lever("Full")).code == "quota"


def test_reflections_recalls_and_actions_are_per_person(small: None) -> None:
    session = at_phase(STORIES)
    session.do(FACILITATOR, c.NextTurn())
    session.do(AMA, sd.ShareStory(title="The well", summary="Water."))
    story = session.state.stories.stories[0].id
    for n in range(3):
        session.do(BEA, sd.Reflect(story_id=story, kind=sd.ReflectionKind.HEARD, text=f"Heard {n}"))
        session.do(BEA, sd.AddRecall(text=f"Recall {n}"))
    assert session.refuse(BEA, sd.Reflect(story_id=story, kind=sd.ReflectionKind.HEARD, text="More")).code == "quota"
    assert session.refuse(BEA, sd.AddRecall(text="More")).code == "quota"
    session.do(CHE, sd.Reflect(story_id=story, kind=sd.ReflectionKind.HEARD, text="Che heard"))
    session.do(CHE, sd.AddRecall(text="Che recalls"))
    # A hidden reflection no longer counts.
    first = session.state.stories.reflections[0].id
    session.do(FACILITATOR, md.HideItem(ref=first, reason="Off topic."))
    session.do(BEA, sd.Reflect(story_id=story, kind=sd.ReflectionKind.HEARD, text="Again"))

    session.do(FACILITATOR, c.GotoPhase(index=DISCUSS))
    for n in range(3):
        session.do(AMA, dd.AddAction(what=f"Act {n}", who="Ama"))
    assert session.refuse(AMA, dd.AddAction(what="More", who="Ama")).code == "quota"
    session.do(FACILITATOR, dd.RemoveAction(action_id=session.state.discussion.actions[0].id))
    session.do(AMA, dd.AddAction(what="Room again", who="Ama"))
    session.do(BEA, dd.AddAction(what="Bea's", who="Bea"))


# -- property: nothing one person does lowers what anyone else may still add -------------------------

words = st.text(alphabet="abcdefgh ", min_size=1, max_size=10).filter(str.strip)
card_ids = st.integers(1, 12).map(lambda n: f"card-{n}")
lever_fields = st.fixed_dictionaries({"who": words, "influence": words, "how": words})
moves = st.one_of(
    st.builds(cd.AddCard, fields=lever_fields, anonymous=st.booleans()),
    st.builds(cd.EditCard, card_id=card_ids, fields=lever_fields),
    st.builds(cd.WithdrawCard, card_id=card_ids),
    st.builds(cd.CastVote, card_id=card_ids),
    st.builds(dd.AddAction, what=words, who=words),
    st.builds(sd.AddRecall, text=words),
    st.builds(sd.Reflect, story_id=st.just("story-1"), kind=st.sampled_from(list(sd.ReflectionKind)), text=words),
    st.builds(md.HideItem, ref=card_ids | st.just("reflection-1"), reason=words),
    st.builds(md.UnhideItem, ref=card_ids),
    st.builds(c.GotoPhase, index=st.sampled_from([STORIES, LEVERS, DISCUSS])),
)
PEOPLE = (AMA, BEA, CHE)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(script=st.lists(st.tuples(st.sampled_from([*PEOPLE, FACILITATOR]), moves), min_size=1, max_size=60))
def test_no_ones_actions_reduce_anyone_elses_remaining_quota(small: None, script: list[tuple[Any, Any]]) -> None:
    session = at_phase(STORIES)
    session.do(FACILITATOR, c.NextTurn())
    session.do(AMA, sd.ShareStory(title="The well", summary="Water."))
    session.do(FACILITATOR, c.GotoPhase(index=LEVERS))
    for actor, command in script:
        note(f"{actor.id}: {command!r}")
        before = {(p.id, q): quotas.remaining(session.state, q, p.id) for p in PEOPLE for q in Quota}
        session.send(actor, command)
        for (person, quota), left in before.items():
            if person != actor.id:
                assert quotas.remaining(session.state, quota, person) >= left, (person, quota)
