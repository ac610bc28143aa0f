"""Stories prepared before the call: saved before the start, told the way the teller chose, and a
private one never leaving its author (no view, frame or export but their own personal view)."""

from __future__ import annotations

import json
import typing
from collections.abc import Callable

import pytest

from exchange.sessions import commands as c
from exchange.sessions.activities.prepared_data import Delivery, PrepareStory, SharePreparedStory
from exchange.sessions.privacy import LIVE_AUDIENCES, exported, visible_event
from exchange.sessions.views import facilitator_view, participant_view, personal_subjects, personal_view
from exchange.transcripts import build, markdown
from exchange.transcripts.model import ExchangeMeta, RosterEntry
from tests.unit.test_activity_support import STORIES, at_phase
from tests.unit.test_session_support import AMA, BEA, CHE, FACILITATOR, LEAD, PLAN, T0, Session, joined, types

SECRET = "My brother's debts"  # a private story's text: nowhere but Ama's personal view

Setup = Callable[[], Session]
Expect = list[str] | str


def lobby() -> Session:
    """Everyone joined; the exchange hasn't started."""
    return joined(AMA, BEA, CHE, start=False)


def prepared(delivery: Delivery) -> Callable[[], Session]:
    def setup() -> Session:
        session = lobby()
        session.do(AMA, PrepareStory(title="The well", text="Women dug a well.", delivery=delivery))
        session.do(FACILITATOR, c.StartExchange(plan=PLAN))
        session.do(FACILITATOR, c.GotoPhase(index=STORIES))
        return session

    return setup


def at_turn(delivery: Delivery) -> Callable[[], Session]:
    def setup() -> Session:
        session = prepared(delivery)()
        session.do(FACILITATOR, c.NextTurn())  # Ama first
        return session

    return setup


def ended() -> Session:
    session = at_phase(STORIES)
    session.do(FACILITATOR, c.EndExchange())
    return session


CASES: list[tuple[str, Setup, c.Actor, typing.Any, Expect]] = [
    ("saved in the lobby", lobby, AMA, PrepareStory(title="The well", text="Women dug", delivery=Delivery.READ), ["story_prepared"]),
    ("saved again, changed", prepared(Delivery.TELL), AMA, PrepareStory(title="The well", text="Women dug it."), ["story_prepared"]),
    ("saved again, unchanged", prepared(Delivery.TELL), AMA, PrepareStory(title="The well", text="Women dug a well."), []),
    ("not by staff", lobby, FACILITATOR, PrepareStory(title="x"), "forbidden"),
    ("not after the end", ended, AMA, PrepareStory(title="x"), "ended"),
    ("told: the teller shares it at their turn", at_turn(Delivery.TELL), AMA, SharePreparedStory(), ["story_shared"]),
    ("not before their turn", prepared(Delivery.TELL), AMA, SharePreparedStory(), "not_your_turn"),
    ("read: the facilitator shares what they read", at_turn(Delivery.READ), FACILITATOR,
     SharePreparedStory(participant_id=AMA.id), ["story_shared"]),
    ("read: or the teller", at_turn(Delivery.READ), AMA, SharePreparedStory(), ["story_shared"]),
    ("told: not the facilitator", at_turn(Delivery.TELL), FACILITATOR, SharePreparedStory(participant_id=AMA.id), "nothing_to_read"),
    ("private: not the facilitator, who can't tell it exists", at_turn(Delivery.PRIVATE), FACILITATOR,
     SharePreparedStory(participant_id=AMA.id), "nothing_to_read"),
    ("private: not even the teller", at_turn(Delivery.PRIVATE), AMA, SharePreparedStory(), "private"),
    ("nothing prepared", at_turn(Delivery.TELL), BEA, SharePreparedStory(), "nothing_prepared"),
    ("not someone else's", at_turn(Delivery.TELL), BEA, SharePreparedStory(participant_id=AMA.id), "not_your_story"),
    ("a lead watches", at_turn(Delivery.READ), LEAD, SharePreparedStory(participant_id=AMA.id), "forbidden"),
    ("staff must say whose", at_turn(Delivery.READ), FACILITATOR, SharePreparedStory(), "no_teller"),
]


@pytest.mark.parametrize(("setup", "actor", "command", "expect"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_command(setup: Setup, actor: c.Actor, command: typing.Any, expect: Expect) -> None:
    session = setup()
    if isinstance(expect, str):
        refusal = session.refuse(actor, command)
        assert refusal.code == expect
        assert refusal.message and refusal.message[0].isupper()
    else:
        assert types(session.do(actor, command)) == expect
        assert session.rebuilt() == session.state


def test_shared_twice_is_refused_and_the_story_is_the_prepared_one() -> None:
    session = at_turn(Delivery.TELL)()
    session.do(AMA, SharePreparedStory())
    [story] = participant_view(session.state)["stories"]
    assert (story["title"], story["summary"]) == ("The well", "Women dug a well.")
    assert session.refuse(AMA, SharePreparedStory()).code == "already_shared"


def test_the_facilitator_reads_a_read_story_at_its_turn_only() -> None:
    session = prepared(Delivery.READ)()
    view = facilitator_view(session.state)["prepared"]
    assert view == {"ready": [{"id": AMA.id, "name": "Ama", "delivery": "read"}], "reading": None}
    session.do(FACILITATOR, c.NextTurn())
    reading = facilitator_view(session.state)["prepared"]["reading"]
    assert reading == {"id": AMA.id, "name": "Ama", "title": "The well", "text": "Women dug a well.", "shared": False}
    assert "Women dug" not in json.dumps(participant_view(session.state))  # read aloud, not pushed to phones
    session.do(FACILITATOR, SharePreparedStory(participant_id=AMA.id))
    assert facilitator_view(session.state)["prepared"]["reading"]["shared"]
    assert "Women dug" in json.dumps(participant_view(session.state))  # now it is the round's story
    session.do(FACILITATOR, c.NextTurn())
    assert facilitator_view(session.state)["prepared"]["reading"] is None


def test_a_private_story_never_leaves_its_author() -> None:
    session = lobby()
    session.do(AMA, PrepareStory(title="Private", text=SECRET, delivery=Delivery.PRIVATE))
    session.do(BEA, PrepareStory(title="Bea's", text="Told live", delivery=Delivery.TELL))
    session.do(FACILITATOR, c.StartExchange(plan=PLAN))
    session.do(FACILITATOR, c.GotoPhase(index=STORIES))
    session.do(FACILITATOR, c.NextTurn())  # Ama speaks
    assert personal_view(session.state, AMA.id)["prepared"]["text"] == SECRET
    assert personal_view(session.state, BEA.id)["prepared"]["text"] == "Told live"
    assert facilitator_view(session.state)["prepared"] == {
        "ready": [{"id": BEA.id, "name": "Bea", "delivery": "tell"}], "reading": None,
    }
    for view in (facilitator_view(session.state), participant_view(session.state), personal_view(session.state, BEA.id)):
        assert SECRET not in json.dumps(view)
    dumped = [e.model_dump(mode="json") for e in session.log]
    for data in dumped:
        for audience in LIVE_AUDIENCES:
            shown = visible_event(data, audience)
            assert shown is None or SECRET not in json.dumps(shown)
    assert SECRET not in json.dumps([item.data for item in exported(dumped)])
    roster = {p.id: RosterEntry(name=p.name, consent="name") for p in (AMA, BEA, CHE)}
    meta = ExchangeMeta(id=1, title="x", timezone="UTC", starts_at=T0, draft=True)
    assert SECRET not in markdown.render(build.build(session.log, exchange=meta, roster=roster))
    # Only its author's personal frame is told of a save.
    [save] = [e.event for e in session.log if e.event.type == "story_prepared" and e.event.teller_id == AMA.id]
    assert personal_subjects(save) == {AMA.id}
