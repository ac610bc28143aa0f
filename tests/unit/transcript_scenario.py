"""A whole exchange scripted through the real core (decide/apply, fixed clock) for the transcript tests."""

from __future__ import annotations

from datetime import UTC, datetime

from exchange.sessions import commands as c
from exchange.sessions.activities import agreements_data as ag
from exchange.sessions.activities import cards_data as cd
from exchange.sessions.activities import discussion_data as dd
from exchange.sessions.activities import draft_data as dr
from exchange.sessions.activities import feedback_data as fd
from exchange.sessions.activities import notes_data as nd
from exchange.sessions.activities import record_data as rc
from exchange.sessions.activities import redaction_data as rd
from exchange.sessions.activities import stories_data as sd
from exchange.sessions.commands import Actor, Role
from exchange.transcripts.model import ExchangeMeta, RosterEntry
from tests.unit.test_activity_support import PLAN
from tests.unit.test_session_support import AMA, BEA, CHE, FACILITATOR, LEAD, Session, joined

DAN = Actor(role=Role.PARTICIPANT, id="p:4", name="Dan Okafor")
SCRIPT = '<script>alert("x")</script>'
MARKUP = '**bold** [link](javascript:alert(1)) <img src=x onerror=alert(1)>'
FORMULA = '=HYPERLINK("http://evil.example","click")'
OFF_RECORD = "Off-record secret about the mayor"
PRIVATE_NOTE = "Facilitator private note: Bea seems tired"
PARKED = "Parked point about salaries"
LISTENING = "My private listening note"
FEEDBACK_TEXT = "A written comment from the closing round"
ANON_CARD = "The anonymous midwives network"
WITHDRAWN = "A story I took back"
REDACTED = "Names the survivor's village"
POINT = "Savings groups gave women a voice"
REMOVED_POINT = "A point noted by mistake"

META = ExchangeMeta(
    id=7,
    title="Gender equity <exchange> & friends",
    purpose="Learn from *each other*.",
    programme_id=3,
    programme_name="Equity programme",
    starts_at=datetime(2025, 3, 8, 14, 0, tzinfo=UTC),
    timezone="Africa/Nairobi",
)
ROSTER = {
    AMA.id: RosterEntry(name="Ama Mensah", consent="name"),
    BEA.id: RosterEntry(name="Beatriz Silva", consent="initials"),
    CHE.id: RosterEntry(name="Che Zhou", consent="anonymous"),
    DAN.id: RosterEntry(name="Dan Okafor", consent=None),
}
HIDDEN_NAMES = ("Che Zhou", "Beatriz Silva", "Dan Okafor", "Beatriz", "Che", "Okafor")


def scripted() -> Session:
    """Every phase of the activity plan, with something that must be shown and something that must not."""
    s = joined(AMA, BEA, CHE, DAN, plan=PLAN)
    s.wait(30)
    s.do(AMA, ag.AcceptAgreements())
    s.do(BEA, ag.AcceptAgreements())
    s.wait(240)
    s.do(FACILITATOR, c.NextPhase())  # stories
    s.do(FACILITATOR, c.NextTurn())  # Ama speaks
    s.wait(200)
    s.do(AMA, sd.ShareStory(title="The well committee " + SCRIPT, summary="Women ran the well.\n" + MARKUP))
    s.do(BEA, sd.WriteListeningNote(text=LISTENING))
    s.do(FACILITATOR, nd.AddNote(text=PRIVATE_NOTE, participant_id=BEA.id))
    s.do(FACILITATOR, nd.ParkPoint(text=PARKED))
    s.do(AMA, c.FinishTurn())
    s.wait(5)
    s.do(BEA, sd.Reflect(story_id="story-1", kind=sd.ReflectionKind.HEARD, text="Trust came first."))
    s.do(CHE, sd.Reflect(story_id="story-1", kind=sd.ReflectionKind.QUESTION, text=FORMULA))
    s.do(FACILITATOR, c.NextTurn())  # Bea
    s.wait(150)
    s.do(BEA, sd.ShareStory(title=OFF_RECORD, summary="Only for this room."))
    s.do(BEA, rc.SetOffRecord(item_id="story-2"))
    s.do(BEA, c.FinishTurn())
    s.do(FACILITATOR, c.NextTurn())  # Che
    s.wait(100)
    s.do(CHE, sd.ShareStory(title=WITHDRAWN, summary=""))
    s.do(CHE, sd.WithdrawStory(story_id="story-3"))
    s.do(CHE, sd.ShareStory(title="Fathers' circle", summary="-1 fathers missed it at first."))
    s.do(CHE, c.FinishTurn())
    s.do(DAN, sd.AddRecall(text="The well committee stayed with me.", story_id="story-1"))
    s.do(DAN, sd.Reflect(story_id="story-4", kind=sd.ReflectionKind.MOMENT, text=REDACTED))
    s.wait(60)
    s.do(FACILITATOR, c.NextPhase())  # levers
    s.do(AMA, cd.AddCard(fields={"who": "The imam", "influence": "Trusted", "how": "Tea after prayers"}, anonymous=False))
    s.do(CHE, cd.AddCard(fields={"who": ANON_CARD, "influence": "Everywhere", "how": "Home visits"}, anonymous=True))
    s.do(BEA, cd.AddCard(fields={"who": "@teachers", "influence": "+ schools", "how": "Meetings"}, anonymous=False))
    s.do(FACILITATOR, cd.CreateCluster(name="Faith leaders"))
    s.do(FACILITATOR, cd.MoveCard(card_id="card-1", cluster_id="cluster-1"))
    s.do(FACILITATOR, cd.OpenVoting())
    s.do(AMA, cd.CastVote(card_id="card-2"))
    s.do(BEA, cd.CastVote(card_id="card-2"))
    s.do(CHE, cd.CastVote(card_id="card-1"))
    s.do(FACILITATOR, cd.RevealVotes())
    s.wait(600)
    s.do(FACILITATOR, c.NextPhase())  # ideas
    s.do(DAN, cd.AddCard(fields={"idea": "Peer visits\tacross countries"}))
    s.wait(300)
    s.do(FACILITATOR, c.NextPhase())  # discussion
    s.do(AMA, c.RaiseHand())
    s.do(FACILITATOR, c.GiveFloor(participant_id=AMA.id))
    s.wait(90)
    s.do(FACILITATOR, c.EndFloor())
    s.do(BEA, dd.AddAction(what="Share the well toolkit", who="Ama", due="2025-04-01"))
    s.do(FACILITATOR, dd.AddAction(what="Book the next call", who="Farida"))
    s.do(FACILITATOR, dd.CompleteAction(action_id="action-2"))
    s.do(FACILITATOR, dd.NotePoint(text=POINT, participant_id=CHE.id))
    s.do(FACILITATOR, dd.NotePoint(text=REMOVED_POINT))
    s.do(FACILITATOR, dd.RemovePoint(point_id="point-2"))
    s.wait(600)
    s.do(FACILITATOR, c.NextPhase())  # draft
    s.do(AMA, dr.EditSection(section=0, base_version=0, text="Communities lead change.", citations=("story-1", "card-2", "story-2")))
    s.do(BEA, dr.EditSection(section=2, base_version=0, text="Fund peer exchanges " + SCRIPT))
    s.do(FACILITATOR, dr.SetDraftFinal())
    s.wait(900)
    s.do(FACILITATOR, c.NextPhase())  # closing
    s.do(AMA, fd.SubmitFeedback(ratings={fd.Rating.USEFUL: 5, fd.Rating.SAFE: 4}, text=FEEDBACK_TEXT))
    s.do(BEA, fd.SubmitFeedback(ratings={fd.Rating.USEFUL: 4}, text=""))
    s.do(CHE, fd.SubmitFeedback(ratings={fd.Rating.USEFUL: 3, fd.Rating.HEARD: 5}, text="Good pace"))
    s.wait(300)
    s.do(FACILITATOR, c.EndExchange())
    s.wait(3600)
    s.do(LEAD, rd.RedactContribution(item_id="reflection-3", reason="Identifies a survivor."))
    return s
