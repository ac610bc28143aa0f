"""Co-facilitators: one leads the console at a time; hand-over by offer and accept; a lead whose
sockets all went is offered away after a grace period (a deadline the clock ticks, never a sleep);
every change is an event, the record keeps it without naming staff."""

from __future__ import annotations

import typing
from collections.abc import Callable

import pytest

from exchange.sessions import commands as c
from exchange.sessions.activities import leading
from exchange.sessions.activities.leading_data import OFFER_AFTER_SECONDS, AcceptLead, LeadPresence, OfferLead
from exchange.sessions.machine import next_deadline
from exchange.sessions.privacy import exported
from exchange.sessions.views import facilitator_view, participant_view
from tests.unit.test_activity_support import STORIES, at_phase
from tests.unit.test_session_support import AMA, FACILITATOR, LEAD, SYSTEM, Session, joined, types

CO = c.Actor(role=c.Role.FACILITATOR, id="staff:2", name="Kofi")
THIRD = c.Actor(role=c.Role.FACILITATOR, id="staff:3", name="Lina")

Setup = Callable[[], Session]
Expect = list[str] | str


def started() -> Session:
    """FACILITATOR started the exchange: they lead."""
    return at_phase(STORIES)


def offered() -> Session:
    session = started()
    session.do(FACILITATOR, OfferLead(to=CO.id))
    return session


def lead_gone() -> Session:
    session = started()
    session.do(SYSTEM, LeadPresence(online=False))
    return session


def lead_offered_away() -> Session:
    session = lead_gone()
    session.wait(OFFER_AFTER_SECONDS)
    session.do(SYSTEM, c.Tick())
    return session


CASES: list[tuple[str, Setup, c.Actor, typing.Any, Expect]] = [
    ("the lead steers", started, FACILITATOR, c.NextTurn(), ["turn_started"]),
    ("a co-facilitator may not steer", started, CO, c.NextTurn(), "not_lead"),
    ("nor move phases", started, CO, c.NextPhase(), "not_lead"),
    ("nor end the exchange", started, CO, c.EndExchange(), "not_lead"),
    ("a co-facilitator still keeps notes", started, CO, c.command_adapter.validate_python({"type": "add_note", "text": "x"}), ["note_added"]),
    ("the lead offers it", started, FACILITATOR, OfferLead(to=CO.id), ["lead_offered"]),
    ("or to anyone", started, FACILITATOR, OfferLead(), ["lead_offered"]),
    ("not to themselves", started, FACILITATOR, OfferLead(to=FACILITATOR.id), "bad_offer"),
    ("only the lead offers it", started, CO, OfferLead(to=CO.id), "not_lead"),
    ("nobody leads before the start", lambda: joined(AMA, start=False), FACILITATOR, OfferLead(to=CO.id), "not_live"),
    ("a practitioner can't", started, AMA, OfferLead(to=CO.id), "forbidden"),
    ("a programme lead can't", started, LEAD, OfferLead(to=CO.id), "forbidden"),
    ("the receiver accepts", offered, CO, AcceptLead(), ["lead_accepted"]),
    ("someone else can't accept", offered, THIRD, AcceptLead(), "no_offer"),
    ("nothing to accept", started, CO, AcceptLead(), "no_offer"),
    ("the lead can't accept their own", offered, FACILITATOR, AcceptLead(), "already_lead"),
    ("only the system reports presence", started, FACILITATOR, LeadPresence(online=False), "forbidden"),
    ("the lead's sockets all went", started, SYSTEM, LeadPresence(online=False), ["lead_left"]),
    ("said twice, nothing", lead_gone, SYSTEM, LeadPresence(online=False), []),
    ("back", lead_gone, SYSTEM, LeadPresence(online=True), ["lead_returned"]),
    ("anyone accepts a lead that left", lead_offered_away, THIRD, AcceptLead(), ["lead_accepted"]),
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


def test_whoever_starts_leads_and_the_handover_moves_steering() -> None:
    session = started()
    assert session.state.lead.lead_id == FACILITATOR.id
    assert facilitator_view(session.state)["lead"]["name"] == FACILITATOR.name
    session.do(FACILITATOR, OfferLead(to=CO.id))
    assert facilitator_view(session.state)["lead"]["offer"]["to"] == CO.id
    session.do(FACILITATOR, c.NextTurn())  # still leads until the offer is accepted
    session.do(CO, AcceptLead())
    view = facilitator_view(session.state)["lead"]
    assert (view["id"], view["name"], view["offer"]) == (CO.id, CO.name, None)
    assert session.refuse(FACILITATOR, c.NextTurn()).code == "not_lead"
    assert types(session.do(CO, c.NextTurn())) == ["turn_ended", "turn_started"]
    assert "lead" not in participant_view(session.state)


def test_a_lead_that_drops_is_offered_after_a_deadline_and_timers_run_on() -> None:
    session = started()
    session.do(FACILITATOR, c.NextTurn())
    turn_deadline = session.state.turns.timer.deadline
    session.do(SYSTEM, LeadPresence(online=False))
    due = session.state.lead.offer_due
    assert due is not None and next_deadline(session.state) == due  # the hub's timer wakes for it
    session.wait(OFFER_AFTER_SECONDS / 2)
    assert session.do(SYSTEM, c.Tick()) == []  # not yet
    session.wait(OFFER_AFTER_SECONDS / 2)
    assert types(session.do(SYSTEM, c.Tick())) == ["lead_offered"]
    assert session.state.turns.timer.deadline == turn_deadline  # the turn ran on, untouched
    assert session.state.lead.offer is not None and session.state.lead.offer.to_id is None
    assert session.do(SYSTEM, c.Tick()) == []  # offered once
    assert session.refuse(CO, c.NextTurn()).code == "not_lead"  # accept first
    session.do(CO, AcceptLead())
    assert session.state.lead.lead_id == CO.id and not facilitator_view(session.state)["lead"]["away"]


def test_a_lead_back_in_time_keeps_it_and_the_offer_goes() -> None:
    session = lead_offered_away()
    session.do(SYSTEM, LeadPresence(online=True))
    assert session.state.lead.offer is None and session.state.lead.lead_id == FACILITATOR.id
    assert session.refuse(CO, AcceptLead()).code == "no_offer"
    # Back before the deadline: nothing is ever offered.
    session = lead_gone()
    session.wait(1)
    session.do(SYSTEM, LeadPresence(online=True))
    session.wait(OFFER_AFTER_SECONDS * 2)
    assert session.do(SYSTEM, c.Tick()) == [] and next_deadline(session.state) != session.state.lead.offer_due


def test_presence_command_follows_the_state() -> None:
    session = started()
    assert leading.presence_command(session.state, [FACILITATOR.id]) is None
    assert leading.presence_command(session.state, [CO.id]) == LeadPresence(online=False)
    session.do(SYSTEM, LeadPresence(online=False))
    assert leading.presence_command(session.state, [CO.id]) is None
    assert leading.presence_command(session.state, [FACILITATOR.id, CO.id]) == LeadPresence(online=True)


def test_every_change_of_lead_is_in_the_record_without_staff_names() -> None:
    session = offered()
    session.do(CO, AcceptLead())
    session.do(SYSTEM, LeadPresence(online=False))
    dumped = [e.model_dump(mode="json") for e in session.log]
    kept = [item.data["event"] for item in exported(dumped) if item.data["event"]["type"].startswith("lead_")]
    assert [e["type"] for e in kept] == ["lead_offered", "lead_accepted", "lead_left"]
    text = str(kept)
    for who in (FACILITATOR, CO):
        assert who.id not in text and who.name not in text


def test_the_transcript_tells_each_change_of_lead_without_names() -> None:
    from exchange.transcripts import build, html, markdown
    from exchange.transcripts.model import ExchangeMeta, RosterEntry
    from tests.unit.test_session_support import T0

    session = offered()
    session.do(CO, AcceptLead())
    session.do(SYSTEM, LeadPresence(online=False))
    meta = ExchangeMeta(id=1, title="x", timezone="UTC", starts_at=T0, draft=True)
    transcript = build.build(session.log, exchange=meta, roster={AMA.id: RosterEntry(name=AMA.name, consent="name")})
    assert [c.kind for c in transcript.lead_changes] == ["offered", "accepted", "left"]
    for text in (markdown.render(transcript), html.render(transcript)):
        assert "Who led the console" in text and "Another facilitator took the lead of the console" in text
        assert FACILITATOR.name not in text and CO.name not in text
    assert "lead_changes" not in transcript.model_dump()  # the JSON document lists the events instead
