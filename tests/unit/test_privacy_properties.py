"""The anonymity property, over random sessions played through the real core, fan-out and exports.

Noninterference: whatever the script, if the people behind every anonymous action (anonymous cards
and everything done to them, dots, closing feedback, selection votes, private listening notes) are
swapped among themselves, no facilitator, lead or practitioner frame and no export changes by one
byte, however the facilitator hides and shows again cards (anonymous ones too), reflections, recalls,
draft texts and closing comments. And if the text of a private thing changes (a listening note, a story prepared before
the call and kept private, the facilitator's notes and parking lot, a redaction's reason), nothing its audience may not see changes either. On top, direct
checks: nothing anonymous travels next to its author's id or name; no summary of fewer than three
people is shown anywhere; no staff member's name is in any export.

Each session joins four practitioners, starts a plan with a phase of every kind (cards named by
choice, and always anonymous), then plays 20 to 70 random steps. EXCHANGE_PRIVACY_SESSIONS sets how
many sessions each property plays (default 200 each, so 400 per run).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exchange.prompts.models import ActivityKind, CardAnonymity, CardField, Phase, PhasePlan
from exchange.sessions import commands as c
from exchange.sessions.activities import agreements_data as ag
from exchange.sessions.activities import cards_data as cd
from exchange.sessions.activities import discussion_data as dd
from exchange.sessions.activities import draft_data as dr
from exchange.sessions.activities import feedback_data as fb
from exchange.sessions.activities import moderation_data as md
from exchange.sessions.activities import notes_data as nt
from exchange.sessions.activities import prepared_data as pr
from exchange.sessions.activities import record_data as rc
from exchange.sessions.activities import redaction_data as rd
from exchange.sessions.activities import selection_data as sl
from exchange.sessions.activities import stories_data as sd
from exchange.sessions.activities.base import MIN_GROUP
from exchange.sessions.commands import Actor, Role
from exchange.sessions.fanout import Fanout
from exchange.sessions.views import apply_items
from exchange.sessions.machine import Rejected, apply_envelope, decide, envelop
from exchange.sessions.privacy import LIVE_AUDIENCES, Audience
from exchange.sessions.state import SessionState
from exchange.transcripts import build, csv_export, html, json_export, markdown
from exchange.transcripts.model import ExchangeMeta, RosterEntry
from tests.unit.test_session_support import T0

SESSIONS = int(os.environ.get("EXCHANGE_PRIVACY_SESSIONS", "200"))

PEOPLE = tuple(
    Actor(role=Role.PARTICIPANT, id=f"p:{n}", name=name)
    for n, name in enumerate(("Zainab Quaye", "Yusra Pinto", "Xochitl Obi", "Wanjiru Nakamura"), start=1)
)
FACILITATOR = Actor(role=Role.FACILITATOR, id="staff:1", name="Fatima Staffwoman")
LEAD = Actor(role=Role.LEAD, id="staff:2", name="Lorna Leadperson")
SYSTEM = Actor(role=Role.SYSTEM, id="system", name="Timer")
AGREE, STORIES, CHOSEN, ALWAYS, DISCUSS, SELECT, DRAFT, CLOSING = range(8)

FIELDS = (CardField(key="what", label="What"),)
PLAN = PhasePlan(
    key="privacy",
    title="Privacy property",
    description="A phase of every kind.",
    agreements=("What is shared here stays here.",),
    phases=(
        Phase(key="welcome", title="Welcome", kind=ActivityKind.AGREEMENTS, minutes=5, prompts=("Hi.",)),
        Phase(key="stories", title="Stories", kind=ActivityKind.STORY_ROUND, minutes=30, turn_seconds=60, prompts=("Tell.",)),
        Phase(key="chosen", title="Cards by choice", kind=ActivityKind.CARDS, minutes=10, prompts=("Add.",),
              card_fields=FIELDS, card_anonymity=CardAnonymity.OPTIONAL, votes_per_person=3),
        Phase(key="always", title="Anonymous cards", kind=ActivityKind.CARDS, minutes=10, prompts=("Add.",),
              card_fields=FIELDS, card_anonymity=CardAnonymity.ALWAYS, votes_per_person=2),
        Phase(key="discuss", title="Discussion", kind=ActivityKind.DISCUSSION, minutes=10, prompts=("Talk.",)),
        Phase(key="select", title="Selection", kind=ActivityKind.SELECTION, minutes=10, prompts=("Choose.",),
              votes_per_person=2),
        Phase(key="draft", title="Message", kind=ActivityKind.DRAFT, minutes=10, prompts=("Write.",),
              sections=("Need", "Ask")),
        Phase(key="closing", title="Closing", kind=ActivityKind.FEEDBACK, minutes=5, prompts=("Bye.",)),
    ),
)  # fmt: skip
META = ExchangeMeta(id=1, title="Privacy", timezone="UTC", starts_at=T0, draft=True)

# Markers: text that must never reach a given audience.
LISTENING = "LISTENING-NOTE"
STAFF_NOTE = "STAFF-NOTE"
REASON = "REDACTION-REASON"
PREPARED = "PRIVATE-PREPARED"  # a story prepared before the call and kept private


# -- who acts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A practitioner; `secret`: an anonymous action, whose actor the second run swaps."""

    index: int
    secret: bool = False


@dataclass(frozen=True)
class AuthorOf:
    """Whoever made an item (an edit, withdrawal or mark can only come from them)."""

    item: str


@dataclass(frozen=True)
class Staff:
    actor: Actor


@dataclass(frozen=True)
class Wait:
    """Time passes; the timer's tick handles whatever deadline passed."""

    seconds: int


Who = Person | AuthorOf | Staff


def author_of(state: SessionState, item: str) -> str | None:
    stories = state.stories
    for entry in (*stories.stories, *stories.reflections, *stories.recalls, *state.cards.cards, *state.discussion.actions):
        if entry.id == item:
            return getattr(entry, "teller_id", None) or getattr(entry, "author_id", None)
    for point in state.discussion.points:
        if point.id == item:
            return point.participant_id
    return None


# -- random scripts --------------------------------------------------------------------------------

small = st.integers(1, 6)
words = st.sampled_from(["tea", "well", "market", "school", "fathers", "radio", "savings"])
cards = small.map(lambda n: f"card-{n}")
stories_ = st.integers(1, 4).map(lambda n: f"story-{n}")
items = st.one_of(cards, stories_, st.integers(1, 4).map(lambda n: f"reflection-{n}"), st.integers(1, 3).map(lambda n: f"action-{n}"))
person = st.integers(0, len(PEOPLE) - 1)
#: What the facilitator may hide: items by id, the draft's sections, closing comments by their text
#: (the few first of each more often, so that hiding and showing again meet).
few_cards = st.integers(1, 3).map(lambda n: f"card-{n}")
said = st.one_of(st.integers(1, 2).map(lambda n: f"reflection-{n}"), st.integers(1, 2).map(lambda n: f"recall-{n}"))
sections = st.integers(0, 1).map(lambda n: md.section_ref(DRAFT, n))
comments = st.integers(0, 2).map(lambda n: md.comment_ref(CLOSING, f"closing {n}"))
hideable = st.one_of(
    cards,
    st.integers(1, 4).map(lambda n: f"reflection-{n}"),
    st.integers(1, 3).map(lambda n: f"recall-{n}"),
    st.integers(0, 1).map(lambda n: md.section_ref(DRAFT, n)),
    st.one_of(words, st.integers(0, 2).map(lambda n: f"closing {n}")).map(lambda text: md.comment_ref(CLOSING, text)),
)


@dataclass(frozen=True)
class Speaker:
    """Whoever holds the floor in the story round (only they may write their story down)."""


def _about(command: Any, item: str) -> Any:
    """The command, aimed at the item whose author sends it."""
    if isinstance(command, rc.SetOffRecord):
        return command.model_copy(update={"item_id": item})
    if isinstance(command, cd.EditCard | cd.WithdrawCard):
        return command.model_copy(update={"card_id": item})
    return command.model_copy(update={"story_id": item})


def by(who: st.SearchStrategy[Any], *commands: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[Any, Any]]:
    return st.tuples(who, st.one_of(*commands))


facilitator = st.just(Staff(FACILITATOR))
named_person = person.map(Person)
secret_person = person.map(lambda i: Person(i, secret=True))
own = st.tuples(
    items.map(AuthorOf),
    st.one_of(
        st.builds(rc.SetOffRecord, item_id=items, off_record=st.booleans()),
        st.builds(cd.EditCard, card_id=cards, fields=st.integers(1, 99).map(lambda n: {"what": f"anon-edit-{n}"})),
        st.builds(cd.WithdrawCard, card_id=cards),
        st.builds(sd.WithdrawStory, story_id=stories_),
    ),
).map(lambda pair: (pair[0], _about(pair[1], pair[0].item)))
anywhere = st.one_of(
    by(facilitator, st.builds(nt.AddNote, text=words.map(lambda w: f"{STAFF_NOTE} {w}"),
                             participant_id=st.none() | person.map(lambda i: PEOPLE[i].id)),
       st.builds(nt.ParkPoint, text=words.map(lambda w: f"{STAFF_NOTE} {w}"))),
    by(st.just(Staff(LEAD)), st.builds(rd.RedactContribution, item_id=items, reason=words.map(lambda w: f"{REASON} {w}"))),
    by(named_person, st.builds(dd.AddAction, what=words, who=words), st.just(c.RaiseHand())),
    by(facilitator, st.builds(md.HideItem, ref=hideable, reason=st.just("") | words), st.builds(md.UnhideItem, ref=hideable),
       st.builds(md.UnhideItem, ref=few_cards | comments)),
    own,
    st.tuples(st.integers(5, 400).map(Wait), st.just(None)),
    # Stories prepared before the call: private ones (the marker) and ones to tell or have read.
    by(named_person, st.builds(pr.PrepareStory, title=words, text=words.map(lambda w: f"{PREPARED} {w}"),
                               delivery=st.just(pr.Delivery.PRIVATE)),
       st.builds(pr.PrepareStory, title=words, text=words, delivery=st.sampled_from([pr.Delivery.TELL, pr.Delivery.READ]))),
)  # fmt: skip
#: What each phase is for; a script visits phases (in any order, some again) and does these there.
IN_PHASE: dict[int, st.SearchStrategy[tuple[Any, Any]]] = {
    AGREE: by(named_person, st.just(ag.AcceptAgreements())),
    STORIES: st.one_of(
        by(facilitator, st.just(c.NextTurn())),
        by(st.just(Speaker()), st.builds(sd.ShareStory, title=words, summary=words), st.just(c.FinishTurn())),
        by(named_person, st.builds(sd.Reflect, story_id=stories_, kind=st.sampled_from(list(sd.ReflectionKind)), text=words),
           st.builds(sd.AddRecall, text=words)),
        by(secret_person, st.builds(sd.WriteListeningNote, text=words.map(lambda w: f"{LISTENING} {w}"))),
        by(facilitator, st.builds(md.HideItem, ref=said, reason=st.just("") | words), st.builds(md.UnhideItem, ref=said)),
        by(st.just(Speaker()), st.just(pr.SharePreparedStory())),
        by(facilitator, st.builds(pr.SharePreparedStory, participant_id=person.map(lambda i: PEOPLE[i].id))),
    ),
    CHOSEN: st.one_of(
        by(named_person, st.builds(cd.AddCard, fields=words.map(lambda w: {"what": f"named {w}"}), anonymous=st.just(False))),
        by(secret_person, st.builds(cd.AddCard, fields=st.integers(1, 99).map(lambda n: {"what": f"anon-{n}"}),
                                    anonymous=st.just(True) | st.none())),
        by(facilitator, st.sampled_from([cd.OpenVoting(), cd.CloseVoting(), cd.RevealVotes()]),
           st.builds(cd.CreateCluster, name=words), st.builds(cd.MoveCard, card_id=cards, cluster_id=st.just("cluster-1"))),
        by(secret_person, st.builds(cd.CastVote, card_id=cards), st.builds(cd.RetractVote, card_id=cards)),
        by(secret_person, st.builds(cd.CastVote, card_id=st.integers(1, 3).map(lambda n: f"card-{n}"))),
        by(secret_person, st.builds(cd.CastVote, card_id=st.integers(1, 3).map(lambda n: f"card-{n}"))),
        by(facilitator, st.builds(md.HideItem, ref=few_cards, reason=st.just("") | words), st.builds(md.UnhideItem, ref=few_cards)),
    ),
    DISCUSS: st.one_of(
        by(facilitator, st.builds(dd.NotePoint, text=words, participant_id=st.none() | person.map(lambda i: PEOPLE[i].id))),
        by(named_person, st.builds(sd.Reflect, story_id=stories_, kind=st.sampled_from(list(sd.ReflectionKind)), text=words)),
    ),
    SELECT: st.one_of(
        by(facilitator, st.builds(sl.OpenSelectionRound), st.just(sl.CloseSelectionRound()),
           st.builds(sl.RecordSelection, story_ids=stories_.map(lambda s: (s,)), reason=words)),
        by(secret_person, st.builds(sl.CastSelectionVote, story_id=stories_), st.builds(sl.RetractSelectionVote, story_id=stories_)),
        by(secret_person, st.builds(sl.CastSelectionVote, story_id=st.integers(1, 2).map(lambda n: f"story-{n}"))),
    ),
    DRAFT: st.one_of(
        by(named_person, st.builds(dr.EditSection, section=st.integers(0, 1), base_version=st.integers(0, 2), text=words,
                                   citations=st.lists(st.one_of(cards, stories_), max_size=2).map(tuple))),
        by(facilitator, st.just(dr.SetDraftFinal())),
        by(facilitator, st.builds(md.HideItem, ref=sections, reason=st.just("") | words), st.builds(md.UnhideItem, ref=sections)),
    ),
    CLOSING: by(secret_person, st.builds(fb.SubmitFeedback, text=words | st.just(""),
                                         ratings=st.dictionaries(st.sampled_from(list(fb.Rating)), st.integers(1, 5), max_size=3))),
}  # fmt: skip
IN_PHASE[ALWAYS] = IN_PHASE[CHOSEN]
#: How a visit to a phase may begin, so that what the phase is for can happen in it.
PREAMBLE: dict[int, list[tuple[Any, Any]]] = {
    STORIES: [(Staff(FACILITATOR), c.NextTurn()), (Speaker(), sd.ShareStory(title="A story", summary="It changed.")),
              (Staff(FACILITATOR), c.NextTurn()), (Speaker(), sd.ShareStory(title="Another", summary="")),
              (Person(2), sd.Reflect(story_id="story-1", kind=sd.ReflectionKind.HEARD, text="heard")),
              (Person(3), sd.AddRecall(text="recalled", story_id="story-2"))],
    CHOSEN: [(Person(0), cd.AddCard(fields={"what": "named first"}, anonymous=False)),
             (Person(1, secret=True), cd.AddCard(fields={"what": "anon-first"})), (Staff(FACILITATOR), cd.OpenVoting()),
             *((Person(i, secret=True), cd.CastVote(card_id=f"card-{1 + i % 2}")) for i in range(3))],
    SELECT: [(Staff(FACILITATOR), sl.OpenSelectionRound()),
             *((Person(i, secret=True), sl.CastSelectionVote(story_id=f"story-{1 + i % 2}")) for i in range(3))],
    CLOSING: [(Person(i, secret=True), fb.SubmitFeedback(ratings={fb.Rating.SAFE: 1 + i}, text=f"closing {i}"))
              for i in range(3)],
}  # fmt: skip
PREAMBLE[ALWAYS] = PREAMBLE[CHOSEN]
PREAMBLE[DRAFT] = [(Person(0), dr.EditSection(section=0, base_version=0, text="A first draft"))]
#: What the facilitator may hide right after a preamble (an anonymous card among them).
HIDES_AFTER: dict[int, list[str]] = {
    STORIES: ["reflection-1", "recall-1"],
    CHOSEN: ["card-2", "card-1"],
    ALWAYS: ["card-2"],
    DRAFT: [md.section_ref(DRAFT, 0)],
}


@st.composite
def scripts(draw: st.DrawFn) -> list[tuple[Any, Any]]:
    """Visit phases, mostly in order, doing in each what it is for (and anything, anywhere); maybe
    end the exchange and go on reviewing the record afterwards."""
    script: list[tuple[Any, Any]] = []
    visits = draw(st.lists(st.integers(0, len(PLAN.phases) - 1), min_size=2, max_size=6))
    for index in sorted(visits) if draw(st.booleans()) else visits:
        script.append((Staff(FACILITATOR), c.GotoPhase(index=index)))
        if draw(st.integers(0, 3)):
            script += PREAMBLE.get(index, [])
            for ref in draw(st.lists(st.sampled_from(HIDES_AFTER.get(index, ["card-1"])), unique=True)):
                script.append((Staff(FACILITATOR), md.HideItem(ref=ref, reason=draw(st.just("") | words))))
        script += draw(st.lists(st.one_of(IN_PHASE[index], IN_PHASE[index], IN_PHASE[index], anywhere), min_size=3, max_size=14))
    if draw(st.booleans()):
        script.append((Staff(FACILITATOR), c.EndExchange()))
        # Closing comments can be hidden once the summary shows them (after the end, three answers up).
        script += [(Staff(FACILITATOR), md.HideItem(ref=ref)) for ref in draw(st.lists(comments, unique=True, max_size=2))]
        script += draw(st.lists(st.one_of(own, anywhere), max_size=6))
    # Some hides are undone a little later, whatever happened in between.
    for index in reversed(range(len(script))):
        command = script[index][1]
        if isinstance(command, md.HideItem) and draw(st.booleans()):
            later = draw(st.integers(index + 1, len(script)))
            script.insert(later, (Staff(FACILITATOR), md.UnhideItem(ref=command.ref)))
    return script


consents = st.lists(st.sampled_from(["name", "initials", "anonymous", None]), min_size=len(PEOPLE), max_size=len(PEOPLE))


# -- playing a script ------------------------------------------------------------------------------


@dataclass
class Run:
    frames: dict[Audience, list[str]] = field(default_factory=lambda: {a: [] for a in LIVE_AUDIENCES})
    outcomes: list[str] = field(default_factory=list)
    state: SessionState = field(default_factory=lambda: SessionState.initial(META.id))
    log: list[Any] = field(default_factory=list)
    exports: dict[str, str] = field(default_factory=dict)
    snapshots: dict[Audience, str] = field(default_factory=dict)


def play(script: list[tuple[Any, Any]], swap: tuple[int, ...], consent: list[str | None],
         private_text: dict[str, str] | None = None) -> Run:  # fmt: skip
    """The script through decide, apply, the hub's fan-out and every export.

    `swap`: the practitioner who stands in for each one in every secret action (the identity in
    the first run); `private_text`: marker -> replacement, for the run that varies private texts.
    """
    run = Run()
    fanout = Fanout()
    now = T0

    def submit(command: Any, actor: Actor) -> None:
        decision = decide(run.state, command, actor, now)
        if isinstance(decision, Rejected):
            run.outcomes.append(decision.code)
            return
        envelopes = envelop(state=run.state, events=decision, at=now, actor=actor)
        for envelope in envelopes:
            run.state = apply_envelope(run.state, envelope)
        run.log.extend(envelopes)
        run.outcomes.append("ok")
        dumped = [envelope.model_dump(mode="json") for envelope in envelopes]
        for audience, frame in fanout.frames(run.state, dumped, LIVE_AUDIENCES).items():
            run.frames[audience].append(frame)

    for actor in PEOPLE:
        submit(c.Join(name=actor.name), actor)
    submit(c.StartExchange(plan=PLAN), FACILITATOR)
    for who, command in script:
        now += timedelta(seconds=7)
        if isinstance(who, Wait):
            now += timedelta(seconds=who.seconds)
            submit(c.Tick(), SYSTEM)
            continue
        if private_text is not None:
            command = _varied(command, private_text)
        if isinstance(who, Staff):
            actor = who.actor
        elif isinstance(who, Person):
            actor = PEOPLE[swap[who.index] if who.secret else who.index]
        elif isinstance(who, Speaker):
            speaker = run.state.turns.speaker
            actor = next((p for p in PEOPLE if p.id == speaker), PEOPLE[0])
        else:
            author = author_of(run.state, who.item)
            actor = next((p for p in PEOPLE if p.id == author), PEOPLE[0])
        submit(command, actor)
    roster = {p.id: RosterEntry(name=p.name, consent=choice) for p, choice in zip(PEOPLE, consent, strict=True)}  # type: ignore[arg-type]
    transcript = build.build(run.log, exchange=META, roster=roster)
    run.exports = {
        "md": markdown.render(transcript),
        "html": html.render(transcript),
        "csv": csv_export.render(transcript),
        "json": json_export.render(run.log, exchange=META, roster=roster),
    }
    everything = [envelope.model_dump(mode="json") for envelope in run.log]
    run.snapshots = {a: fanout.first_frame(run.state, a, everything) for a in LIVE_AUDIENCES}
    return run


def _varied(command: Any, replacements: dict[str, str]) -> Any:
    for name in ("text", "reason"):
        value = getattr(command, name, None)
        if isinstance(value, str):
            for marker, other in replacements.items():
                if marker in value:
                    return command.model_copy(update={name: value.replace(marker, other)})
    return command


IDENTITY = tuple(range(len(PEOPLE)))


# -- the properties ----------------------------------------------------------------------------


@settings(max_examples=SESSIONS, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(script=scripts(), swap=st.permutations(IDENTITY), consent=consents)
def test_swapping_who_did_anything_anonymous_changes_nothing_anyone_else_sees(
    script: list[tuple[Any, Any]], swap: list[int], consent: list[str | None]
) -> None:
    first = play(script, IDENTITY, consent)
    second = play(script, tuple(swap), consent)
    assert first.outcomes == second.outcomes  # the rules treat everyone alike
    for audience in LIVE_AUDIENCES:
        assert first.frames[audience] == second.frames[audience], audience
        assert first.snapshots[audience] == second.snapshots[audience], audience
    assert first.exports == second.exports
    _direct_checks(first)


@settings(max_examples=SESSIONS, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(script=scripts(), consent=consents)
def test_private_texts_reach_no_one_they_are_not_for(script: list[tuple[Any, Any]], consent: list[str | None]) -> None:
    first = play(script, IDENTITY, consent)
    varied = play(script, IDENTITY, consent, private_text={LISTENING: "OTHER-NOTE", STAFF_NOTE: "OTHER-STAFF", REASON: "OTHER-WHY"})
    # A listening note is its author's alone; the facilitator's notes and a redaction's reason are staff's.
    assert first.frames[Audience.PARTICIPANT] == varied.frames[Audience.PARTICIPANT]
    assert first.snapshots[Audience.PARTICIPANT] == varied.snapshots[Audience.PARTICIPANT]
    assert first.exports == varied.exports
    # A listening note and a private prepared story are their author's alone: no audience sees them.
    notes_only = play(script, IDENTITY, consent, private_text={LISTENING: "OTHER-NOTE", PREPARED: "OTHER-PREPARED"})
    assert first.exports == notes_only.exports
    for audience in LIVE_AUDIENCES:
        assert first.frames[audience] == notes_only.frames[audience], audience
    _direct_checks(first)


def _direct_checks(run: Run) -> None:
    """What must hold of any one run, read straight off its frames and exports."""
    names = {p.id: p.name for p in PEOPLE}
    anonymous = {card.id: card.author_id for card in run.state.cards.cards if card.anonymous}
    shared = {audience: [json.loads(frame) for frame in run.frames[audience]] for audience in LIVE_AUDIENCES}
    for audience, frames in shared.items():
        for frame in frames:
            for event in frame["events"]:
                body = event["event"]
                assert body["type"] not in {"vote_cast", "vote_retracted", "feedback_submitted", "listening_note_written",
                                            "selection_vote_cast", "selection_vote_retracted", "story_prepared"}, body  # fmt: skip
                assert "author_ids" not in body, (audience, body)  # a hide names its authors to them alone
                card = body.get("card_id") or body.get("item_id") or body.get("ref")
                if card in anonymous:
                    text = json.dumps(event)
                    assert anonymous[card] not in text and names[anonymous[card]] not in text, (audience, event)
            items = (frame.get("items") or {}).get("cards") or {}
            for card in [*((frame.get("changes") or {}).get("cards") or []), *items.get("upsert", [])]:
                if card["id"] in anonymous:
                    assert card["author"] is None, card
        # The frames, applied in order as the pages do (parts whole, lists item by item), give the
        # very view a reconnecting socket is sent whole: a delta carries nothing the views don't.
        held: dict[str, Any] = {}
        for frame in frames:
            held = apply_items({**held, **frame["changes"]}, frame.get("items") or {})
        whole = json.loads(run.snapshots[audience])["view"]
        assert {k: v for k, v in held.items() if v is not None} == {k: v for k, v in whole.items() if v is not None}
        text = json.dumps(frames)
        assert LISTENING not in text and PREPARED not in text
        if audience is Audience.PARTICIPANT:
            assert STAFF_NOTE not in text and REASON not in text
    for fmt, body in run.exports.items():
        assert LISTENING not in body and STAFF_NOTE not in body and REASON not in body and PREPARED not in body, fmt
        assert FACILITATOR.name not in body and LEAD.name not in body, fmt
    _summaries_hold_three(run)


def _summaries_hold_three(run: Run) -> None:
    """Totals and feedback summaries appear only where at least MIN_GROUP people answered."""
    state = run.state
    voters: dict[int, set[str]] = {}
    for vote in state.cards.votes:
        voters.setdefault(vote.phase_index, set()).add(vote.voter_id)
    for audience, frame in run.snapshots.items():
        view = json.loads(frame)["view"]
        for card in view.get("cards", []):
            if "votes" in card:
                assert len(voters.get(card["phase_index"], ())) >= MIN_GROUP, (audience, card)
        for selection_round in (view.get("selection") or {}).get("rounds", []):
            if selection_round["totals"] is not None:
                assert selection_round["voters"] >= MIN_GROUP, selection_round
        for answered in view.get("feedback", []):
            summary = answered["summary"]
            if summary is not None and not summary["withheld"]:
                assert answered["responses"] >= MIN_GROUP
            for rating in (summary or {}).get("ratings", {}).values():
                if rating["average"] is not None:
                    assert rating["count"] >= MIN_GROUP
    document = json.loads(run.exports["json"])
    for phase in document["transcript"]["phases"]:
        if any(card["votes"] is not None for group in phase["card_groups"] for card in group["cards"]):
            assert len(voters.get(phase["index"], ())) >= MIN_GROUP
        if phase["feedback"] is not None and not phase["feedback"]["withheld"]:
            assert phase["feedback"]["responses"] >= MIN_GROUP
