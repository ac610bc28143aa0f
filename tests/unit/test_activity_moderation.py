"""Moderation: the facilitator hides a card, reflection, recall, draft text or closing comment from every
screen and every export, the author alone is told, and undo brings it back.

Table-driven command cases (who may, unknown item, twice, undo), then what each role, each personal
view and every export shows while an item is hidden and after it is shown again.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Callable

import pytest

from exchange.sessions import commands as c
from exchange.sessions.activities import cards_data as cd
from exchange.sessions.activities import draft_data as dr
from exchange.sessions.activities import feedback_data as fb
from exchange.sessions.activities import stories_data as st
from exchange.sessions.activities.moderation_data import HideItem, UnhideItem, comment_ref
from exchange.sessions.events import EventEnvelope
from exchange.sessions.privacy import Audience, exported
from exchange.sessions.views import facilitator_view, participant_view, personal_subjects, personal_view
from exchange.transcripts import build, csv_export, html, json_export, markdown
from exchange.transcripts.model import ExchangeMeta, RosterEntry
from exchange.transcripts.own import Standing, own_record
from tests.unit.test_activity_support import CLOSING, DRAFT, LEVERS, STORIES, at_phase, lever, visible_event
from tests.unit.test_session_support import AMA, BEA, CHE, FACILITATOR, LEAD, Session, types

Setup = Callable[[], Session]
SECRET = "My brother in law blocks the school visits"
REASON = "It names a family member"


def carded() -> Session:
    """AMA's named card card-1 and BEA's anonymous card card-2 in the levers phase."""
    session = at_phase(LEVERS)
    session.do(AMA, lever())
    session.do(BEA, lever(SECRET, "Family", "None yet", anonymous=True))
    return session


def hidden_card() -> Session:
    session = carded()
    session.do(FACILITATOR, HideItem(ref="card-2", reason=REASON))
    return session


def withdrawn_card() -> Session:
    session = carded()
    session.do(BEA, cd.WithdrawCard(card_id="card-2"))
    return session


def reflected() -> Session:
    """AMA told story-1; BEA reflected on it (reflection-1) and CHE recalled it (recall-1)."""
    session = at_phase(STORIES)
    session.do(FACILITATOR, c.NextTurn())
    session.do(AMA, st.ShareStory(title="The well", summary="Women dug a well."))
    session.do(FACILITATOR, c.NextTurn())
    session.do(BEA, st.Reflect(story_id="story-1", kind=st.ReflectionKind.HEARD, text="Rude words about Ama"))
    session.do(CHE, st.AddRecall(text="Another rude recall", story_id="story-1"))
    return session


def drafted() -> Session:
    session = carded()
    session.do(FACILITATOR, c.GotoPhase(index=DRAFT))
    session.do(CHE, dr.EditSection(section=0, base_version=0, text="An insult in the draft", citations=("card-2",)))
    return session


def hidden_section() -> Session:
    session = drafted()
    session.do(FACILITATOR, HideItem(ref="section-5-0"))
    return session


def rewritten() -> Session:
    """The hidden section written anew from its current version: the new text shows."""
    session = hidden_section()
    session.do(AMA, dr.EditSection(section=0, base_version=1, text="Girls miss school."))
    return session


def closing(texts: tuple[str, ...] = ("Rude comment", "Good pace", "Rude comment")) -> Session:
    """Everyone answers the closing form (AMA and CHE the same text); the phase still runs."""
    session = at_phase(CLOSING)
    for person, text in zip((AMA, BEA, CHE), texts, strict=True):
        session.do(person, fb.SubmitFeedback(ratings={fb.Rating.SAFE: 4}, text=text))
    return session


def closed(texts: tuple[str, ...] = ("Rude comment", "Good pace", "Rude comment")) -> Session:
    session = closing(texts)
    session.do(FACILITATOR, c.EndExchange())
    return session


def two_answers() -> Session:
    session = at_phase(CLOSING, AMA, BEA)
    session.do(AMA, fb.SubmitFeedback(text="Rude comment"))
    session.do(BEA, fb.SubmitFeedback(text="Fine"))
    session.do(FACILITATOR, c.EndExchange())
    return session


RUDE = comment_ref(CLOSING, "Rude comment")
Expect = list[str] | str

CASES: list[tuple[str, Setup, c.Actor, typing.Any, Expect]] = [
    ("hide a named card", carded, FACILITATOR, HideItem(ref="card-1"), ["item_hidden"]),
    ("hide an anonymous card, with a reason", carded, FACILITATOR, HideItem(ref="card-2", reason=REASON), ["item_hidden"]),
    ("hide a reflection", reflected, FACILITATOR, HideItem(ref="reflection-1"), ["item_hidden"]),
    ("hide a recall", reflected, FACILITATOR, HideItem(ref="recall-1"), ["item_hidden"]),
    ("hide a draft text", drafted, FACILITATOR, HideItem(ref="section-5-0"), ["item_hidden"]),
    ("hide the new text of a hidden section", rewritten, FACILITATOR, HideItem(ref="section-5-0"), ["item_hidden"]),
    ("hide a closing comment once the summary shows", closed, FACILITATOR, HideItem(ref=RUDE), ["item_hidden"]),
    ("hide after the end", lambda: _ended(carded()), FACILITATOR, HideItem(ref="card-2"), ["item_hidden"]),
    ("unhide", hidden_card, FACILITATOR, UnhideItem(ref="card-2"), ["item_unhidden"]),
    ("unhide after the end", lambda: _ended(hidden_card()), FACILITATOR, UnhideItem(ref="card-2"), ["item_unhidden"]),
    ("hide: practitioner", carded, AMA, HideItem(ref="card-2"), "forbidden"),
    ("hide one's own card: practitioner", carded, BEA, HideItem(ref="card-2"), "forbidden"),
    ("hide: a lead watching", carded, LEAD, HideItem(ref="card-2"), "forbidden"),
    ("unhide: practitioner", hidden_card, BEA, UnhideItem(ref="card-2"), "forbidden"),
    ("unhide: a lead watching", hidden_card, LEAD, UnhideItem(ref="card-2"), "forbidden"),
    ("hide an unknown card", carded, FACILITATOR, HideItem(ref="card-9"), "unknown_item"),
    ("hide a withdrawn card", withdrawn_card, FACILITATOR, HideItem(ref="card-2"), "unknown_item"),
    ("hide an unknown reflection", reflected, FACILITATOR, HideItem(ref="reflection-2"), "unknown_item"),
    ("hide twice", hidden_card, FACILITATOR, HideItem(ref="card-2", reason="Again"), "already_hidden"),
    ("hide a hidden draft text twice", hidden_section, FACILITATOR, HideItem(ref="section-5-0"), "already_hidden"),
    ("hide an unwritten section", drafted, FACILITATOR, HideItem(ref="section-5-1"), "unknown_item"),
    ("hide a section the phase lacks", drafted, FACILITATOR, HideItem(ref="section-5-9"), "unknown_item"),
    ("hide a section of a cards phase", drafted, FACILITATOR, HideItem(ref="section-2-0"), "unknown_item"),
    ("hide a comment nobody wrote", closed, FACILITATOR, HideItem(ref=comment_ref(CLOSING, "Never said")), "unknown_item"),
    ("hide a comment while the phase runs", closing, FACILITATOR, HideItem(ref=RUDE), "unknown_item"),
    ("hide a comment of fewer than three", two_answers, FACILITATOR, HideItem(ref=RUDE), "unknown_item"),
    ("hide a comment of another phase", closed, FACILITATOR, HideItem(ref=comment_ref(LEVERS, "Rude comment")), "unknown_item"),
    ("unhide what isn't hidden", carded, FACILITATOR, UnhideItem(ref="card-2"), "not_hidden"),
    ("unhide twice", lambda: _unhidden(hidden_card()), FACILITATOR, UnhideItem(ref="card-2"), "not_hidden"),
    ("vote on a hidden card", lambda: _voting(hidden_card()), AMA, cd.CastVote(card_id="card-2"), "unknown_card"),
    ("cite a hidden card", lambda: _drafting(hidden_card()), AMA,
     dr.EditSection(section=1, base_version=0, text="x", citations=("card-2",)), "unknown_citation"),
]  # fmt: skip


def _ended(session: Session) -> Session:
    session.do(FACILITATOR, c.EndExchange())
    return session


def _unhidden(session: Session) -> Session:
    session.do(FACILITATOR, UnhideItem(ref="card-2"))
    return session


def _voting(session: Session) -> Session:
    session.do(FACILITATOR, cd.OpenVoting())
    return session


def _drafting(session: Session) -> Session:
    session.do(FACILITATOR, c.GotoPhase(index=DRAFT))
    return session


@pytest.mark.parametrize(("setup", "actor", "command", "expect"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_command(setup: Setup, actor: c.Actor, command: typing.Any, expect: Expect) -> None:
    """Each command yields the expected events, or the expected refusal (readable) and no change."""
    session = setup()
    if isinstance(expect, str):
        refusal = session.refuse(actor, command)
        assert refusal.code == expect
        assert refusal.message and refusal.message[0].isupper()
    else:
        assert types(session.do(actor, command)) == expect
        assert session.rebuilt() == session.state


def test_a_comment_is_refused_alike_whether_or_not_someone_wrote_it_while_its_texts_are_not_shown() -> None:
    """Trying a hash is no oracle: while the summary isn't shown, a real text and an invented one
    get the very same answer."""
    for setup in (closing, two_answers):
        real = setup().refuse(FACILITATOR, HideItem(ref=RUDE))
        invented = setup().refuse(FACILITATOR, HideItem(ref=comment_ref(CLOSING, "Never said")))
        assert real == invented


# -- the views of every role -----------------------------------------------------------------------


def _card_texts(view: dict[str, typing.Any]) -> list[str]:
    return [card["fields"]["who"] for card in view["cards"]]


def test_a_hidden_anonymous_card_leaves_every_view_and_only_its_author_is_told() -> None:
    session = hidden_card()
    state = session.state
    for view in (participant_view(state), facilitator_view(state)):
        assert SECRET not in _card_texts(view) and "The imam" in _card_texts(view)
    # The console lists it for Undo, with its text and reason, and never its author.
    (listed,) = facilitator_view(state)["hidden"]
    assert listed == {"ref": "card-2", "kind": "card", "phase_index": LEVERS, "text": f"{SECRET} / Family / None yet",
                      "reason": REASON}  # fmt: skip
    assert "hidden" not in participant_view(state)
    # Bea's own page says it was hers, and why; nobody else's personal view mentions it.
    assert personal_view(state, BEA.id)["hidden_items"] == [
        {"ref": "card-2", "kind": "card", "phase_index": LEVERS, "text": f"{SECRET} / Family / None yet", "reason": REASON}
    ]
    for other in (AMA, CHE):
        assert personal_view(state, other.id)["hidden_items"] == []
        assert SECRET not in json.dumps(personal_view(state, other.id))
    # Bea's personal frame is the one the hide changes; nobody else gets one.
    hide = session.log[-1].event
    assert personal_subjects(hide) == {BEA.id}

    session.do(FACILITATOR, UnhideItem(ref="card-2"))
    state = session.state
    for view in (participant_view(state), facilitator_view(state)):
        assert SECRET in _card_texts(view)
    assert facilitator_view(state)["hidden"] == []
    assert personal_view(state, BEA.id)["hidden_items"] == []
    assert personal_subjects(session.log[-1].event) == {BEA.id}


def test_the_hide_event_names_the_author_to_no_one_but_them() -> None:
    session = hidden_card()
    hide, data = session.log[-1], session.log[-1].model_dump(mode="json")
    assert hide.event.author_ids == (BEA.id,)  # kept in the log, for Bea's own view
    assert visible_event(hide, Audience.PARTICIPANT) is None
    for audience in (Audience.FACILITATOR, Audience.LEAD):
        shown = visible_event(hide, audience)
        assert shown is not None and shown["event"]["ref"] == "card-2" and shown["event"]["reason"] == REASON
        assert "author_ids" not in shown["event"] and BEA.id not in json.dumps(shown)
    (record,) = exported([data])
    assert not record.listed and record.data["event"]["author_ids"] == [] and REASON not in json.dumps(record.data)
    session.do(FACILITATOR, UnhideItem(ref="card-2"))
    undo = session.log[-1]
    assert visible_event(undo, Audience.PARTICIPANT) is None
    assert BEA.id not in json.dumps(visible_event(undo, Audience.FACILITATOR))


def test_a_hidden_card_keeps_its_dots_and_they_count_again_when_shown() -> None:
    session = carded()
    session.do(FACILITATOR, cd.OpenVoting())
    for person in (AMA, BEA, CHE):
        session.do(person, cd.CastVote(card_id="card-2"))
    session.do(FACILITATOR, HideItem(ref="card-2"))
    assert all(card["id"] != "card-2" for card in facilitator_view(session.state)["cards"])
    session.do(FACILITATOR, UnhideItem(ref="card-2"))
    (card,) = (card for card in facilitator_view(session.state)["cards"] if card["id"] == "card-2")
    assert card["votes"] == 3


def test_a_hidden_reflection_and_recall_leave_the_story_round() -> None:
    session = reflected()
    session.do(FACILITATOR, HideItem(ref="reflection-1"))
    session.do(FACILITATOR, HideItem(ref="recall-1", reason="Off topic"))
    for view in (participant_view(session.state), facilitator_view(session.state)):
        assert view["stories"][0]["reflections"] == [] and view["recalls"] == []
        assert view["stories"][0]["title"] == "The well"
    assert [item["ref"] for item in personal_view(session.state, BEA.id)["hidden_items"]] == ["reflection-1"]
    assert personal_view(session.state, CHE.id)["hidden_items"][0]["reason"] == "Off topic"
    assert personal_view(session.state, AMA.id)["hidden_items"] == []
    session.do(FACILITATOR, UnhideItem(ref="reflection-1"))
    assert participant_view(session.state)["stories"][0]["reflections"][0]["text"] == "Rude words about Ama"


def test_a_hidden_draft_text_says_so_and_the_group_can_write_it_anew() -> None:
    session = hidden_section()
    for view in (participant_view(session.state), facilitator_view(session.state)):
        section = view["drafts"][0]["sections"][0]
        assert section["hidden"] and section["text"] == "" and section["citations"] == [] and section["version"] == 1
    assert "An insult" not in json.dumps(participant_view(session.state))
    (mine,) = personal_view(session.state, CHE.id)["hidden_items"]
    assert mine["kind"] == "section" and mine["text"] == "An insult in the draft"
    assert personal_subjects(session.log[-1].event) == {CHE.id}
    # Written anew from the current version: the new text shows; the hide no longer applies.
    session.do(AMA, dr.EditSection(section=0, base_version=1, text="Girls miss school."))
    section = participant_view(session.state)["drafts"][0]["sections"][0]
    assert section == {**section, "hidden": False, "text": "Girls miss school.", "version": 2}
    assert facilitator_view(session.state)["hidden"] == []
    assert personal_view(session.state, CHE.id)["hidden_items"] == []


def test_a_hidden_comment_leaves_the_summary_but_the_counts_stay_honest() -> None:
    session = closed()
    summary = facilitator_view(session.state)["feedback"][0]["summary"]
    assert summary["texts"] == ["Good pace", "Rude comment", "Rude comment"]
    assert summary["text_refs"] == [comment_ref(CLOSING, "Good pace"), RUDE, RUDE]
    hide = session.do(FACILITATOR, HideItem(ref=RUDE))
    # Every answer with that text is hidden; both authors, and only they, are told.
    assert personal_subjects(hide[0]) == {AMA.id, CHE.id}
    view = facilitator_view(session.state)
    summary = view["feedback"][0]["summary"]
    assert summary["texts"] == ["Good pace"] and summary["comments"] == 3 and summary["hidden_comments"] == 2
    assert view["feedback"][0]["responses"] == 3 and summary["ratings"]["safe"]["count"] == 3
    assert view["hidden"] == [{"ref": RUDE, "kind": "comment", "phase_index": CLOSING, "text": "Rude comment", "reason": ""}]
    for person in (AMA, CHE):
        (mine,) = personal_view(session.state, person.id)["hidden_items"]
        assert mine["kind"] == "comment" and mine["text"] == "Rude comment"
    assert personal_view(session.state, BEA.id)["hidden_items"] == []
    session.do(FACILITATOR, UnhideItem(ref=RUDE))
    summary = facilitator_view(session.state)["feedback"][0]["summary"]
    assert summary["texts"] == ["Good pace", "Rude comment", "Rude comment"] and summary["hidden_comments"] == 0


def test_a_hidden_comment_is_listed_without_its_text_while_the_texts_are_not_shown() -> None:
    """Back in the closing phase, the summary is not shown: the list keeps the entry (so a change of
    answer shows nothing) but not its text."""
    session = at_phase(CLOSING)
    for person, text in zip((AMA, BEA, CHE), ("Rude comment", "Good pace", "Fine"), strict=True):
        session.do(person, fb.SubmitFeedback(text=text))
    session.do(FACILITATOR, c.GotoPhase(index=DRAFT))
    session.do(FACILITATOR, HideItem(ref=RUDE))
    session.do(FACILITATOR, c.GotoPhase(index=CLOSING))
    before = facilitator_view(session.state)["hidden"]
    assert before == [{"ref": RUDE, "kind": "comment", "phase_index": CLOSING, "text": None, "reason": ""}]
    session.do(AMA, fb.SubmitFeedback(text="Changed my mind"))
    assert facilitator_view(session.state)["hidden"] == before
    assert personal_view(session.state, AMA.id)["hidden_items"] == []


# -- every export ------------------------------------------------------------------------------------

META = ExchangeMeta(id=7, title="Moderation", timezone="UTC")
ROSTER = {p.id: RosterEntry(name=p.name, consent="name") for p in (AMA, BEA, CHE)}
HIDDEN_TEXTS = ("Rude words about Ama", "Another rude recall", SECRET, "An insult in the draft", "Rude comment")


def everything() -> Session:
    """A story with a reflection and a recall, two cards (one anonymous), a draft citing the
    anonymous card, and three closing answers, then the end."""
    session = reflected()
    session.do(FACILITATOR, c.GotoPhase(index=LEVERS))
    session.do(AMA, lever())
    session.do(BEA, lever(SECRET, "Family", "None yet", anonymous=True))
    session.do(FACILITATOR, c.GotoPhase(index=DRAFT))
    session.do(CHE, dr.EditSection(section=0, base_version=0, text="An insult in the draft", citations=("card-2",)))
    session.do(AMA, dr.EditSection(section=1, base_version=0, text="Evidence stays", citations=("card-2",)))
    session.do(FACILITATOR, c.GotoPhase(index=CLOSING))
    for person, text in zip((AMA, BEA, CHE), ("Rude comment", "Good pace", "Rude comment"), strict=True):
        session.do(person, fb.SubmitFeedback(ratings={fb.Rating.SAFE: 4}, text=text))
    session.do(FACILITATOR, c.EndExchange())
    return session


def exports(log: list[EventEnvelope]) -> dict[str, str]:
    transcript = build.build(log, exchange=META, roster=ROSTER)
    return {
        "md": markdown.render(transcript),
        "html": html.render(transcript),
        "csv": csv_export.render(transcript),
        "json": json_export.render(log, exchange=META, roster=ROSTER),
    }


HIDES = (
    HideItem(ref="reflection-1", reason=REASON),
    HideItem(ref="recall-1"),
    HideItem(ref="card-2", reason=REASON),
    HideItem(ref=f"section-{DRAFT}-0"),
    HideItem(ref=RUDE),
)


def test_every_export_leaves_hidden_items_out_and_has_them_back_after_undo() -> None:
    session = everything()
    before = exports(session.log)
    for text in HIDDEN_TEXTS:
        assert all(text in body for body in before.values()), text
    for command in HIDES:
        session.do(FACILITATOR, command)
    hidden = exports(session.log)
    for fmt, body in hidden.items():
        for text in HIDDEN_TEXTS:
            assert text not in body, (fmt, text)
        assert REASON not in body, fmt  # the reason is for the author
        assert "Evidence stays" in body and "The well" in body and "Good pace" in body, fmt
    for fmt in ("md", "html"):
        assert "hidden by the facilitator" in hidden[fmt]
        assert "2 comments hidden by the facilitator." in hidden[fmt]
    document = json.loads(hidden["json"])
    closing_phase = document["transcript"]["phases"][CLOSING]["feedback"]
    assert closing_phase["comments"] == 3 and closing_phase["hidden_comments"] == 2 and closing_phase["texts"] == ["Good pace"]
    need, evidence = document["transcript"]["phases"][DRAFT]["draft"][:2]
    assert need["hidden"] and need["text"] == "" and not evidence["hidden"]
    assert evidence["withheld_citations"] == 1  # the hidden card it rests on is not named
    assert not any(e["event"]["type"] in {"item_hidden", "item_unhidden"} for e in document["events"])
    # The JSON's events still load into the state machine, without anything hidden.
    from exchange.sessions.machine import rebuild

    state = rebuild(7, json_export.load_events(hidden["json"]))
    assert [card.id for card in state.cards.cards] == ["card-1"]

    for command in HIDES:
        session.do(FACILITATOR, UnhideItem(ref=command.ref))
    assert exports(session.log) == before


def test_hiding_is_the_same_in_every_export_whoever_wrote_the_anonymous_card() -> None:
    """The export folds the hide without its authors: swapping the anonymous author changes nothing."""
    def played(author: c.Actor) -> dict[str, str]:
        session = at_phase(LEVERS)
        session.do(author, lever(SECRET, "Family", "None yet", anonymous=True))
        session.do(AMA, lever())
        session.do(FACILITATOR, HideItem(ref="card-1", reason=REASON))
        session.do(FACILITATOR, c.EndExchange())
        return exports(session.log)

    assert played(BEA) == played(CHE)


def test_the_authors_record_shows_the_item_as_hidden_with_the_reason() -> None:
    session = everything()
    for command in HIDES:
        session.do(FACILITATOR, command)
    folded = build.fold(7, session.log)
    bea = {item.id: item for item in own_record(folded, BEA.id, ROSTER).items}
    assert bea["card-2"].standing is Standing.HIDDEN and bea["card-2"].reason == REASON and not bea["card-2"].can_toggle
    assert bea["reflection-1"].standing is Standing.HIDDEN
    che = {item.id: item for item in own_record(folded, CHE.id, ROSTER).items}
    assert che[f"section-{DRAFT}-0"].standing is Standing.HIDDEN and che["recall-1"].standing is Standing.HIDDEN
    download = markdown.render_own(META, own_record(folded, BEA.id, ROSTER))
    assert "hidden by the facilitator; reason given: It names a family member" in download
    for command in HIDES:
        session.do(FACILITATOR, UnhideItem(ref=command.ref))
    folded = build.fold(7, session.log)
    assert own_record(folded, BEA.id, ROSTER).items and all(
        item.standing is Standing.IN_RECORD for item in own_record(folded, BEA.id, ROSTER).items
    )
