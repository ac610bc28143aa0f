"""What the programme learns from is what an export may show: items from a transcript's export fold."""

from __future__ import annotations

from exchange.sessions import commands as c
from exchange.sessions.activities import cards_data as cd
from exchange.sessions.activities import record_data as rd
from exchange.sessions.activities import redaction_data as rx
from exchange.sessions.activities import stories_data as st
from exchange.synthesis.items import card_category, countries_by_item, items_of, sort_key
from exchange.transcripts import build
from exchange.transcripts.model import ExchangeMeta, RosterEntry
from tests.unit.test_activity_support import LEVERS, STORIES, at_phase
from tests.unit.test_session_support import AMA, BEA, CHE, FACILITATOR, LEAD

ROSTER = {
    "p:1": RosterEntry(name="Ama Mensah", consent="name"),
    "p:2": RosterEntry(name="Bea Diaz", consent="initials"),
    "p:3": RosterEntry(name="Che Vega", consent="anonymous"),
}
COUNTRIES = {"p:1": "Ghana", "p:2": "Peru", "p:3": "Chile"}


def played():  # noqa: ANN201
    session = at_phase(STORIES)
    for actor, title in ((AMA, "The well"), (BEA, "Market money"), (CHE, "Withdrawn wedding")):
        session.do(FACILITATOR, c.NextTurn())
        session.do(actor, st.ShareStory(title=title, summary=f"{title} summary."))
    session.do(BEA, st.Reflect(story_id="story-1", kind=st.ReflectionKind.HEARD, text="Water changed it."))
    session.do(CHE, st.Reflect(story_id="story-1", kind=st.ReflectionKind.HEARD, text="Off the record reflection."))
    session.do(CHE, st.WithdrawStory(story_id="story-3"))
    session.do(CHE, rd.SetOffRecord(item_id="reflection-2"))
    session.do(FACILITATOR, c.GotoPhase(index=LEVERS))
    session.do(AMA, cd.AddCard(fields={"who": "The imam", "influence": "Trusted", "how": "Tea"}, anonymous=True))
    session.do(BEA, cd.AddCard(fields={"who": "Grandmothers", "influence": "Respect", "how": "Visits"}))
    session.do(CHE, cd.AddCard(fields={"who": "Redacted lever", "influence": "x", "how": "y"}))
    session.do(LEAD, rx.RedactContribution(item_id="card-3", reason="names someone"))
    return session


def sourced():  # noqa: ANN201
    session = played()
    folded, _seen = build.fold_for_export(7, session.log)
    meta = ExchangeMeta(id=7, title="Accra")
    transcript = build.from_folded(folded, exchange=meta, roster=ROSTER)
    return transcript, folded, items_of(transcript, folded, ROSTER, COUNTRIES)


def test_items_hold_what_the_record_holds_and_nothing_else() -> None:
    _transcript, _folded, source = sourced()
    texts = " ".join(i.text for i in source.items)
    assert "The well. The well summary." in texts and "Water changed it." in texts
    for absent in ("Withdrawn wedding", "Off the record reflection", "Redacted lever"):
        assert absent not in texts
    assert [i.key for i in source.items] == sorted((i.key for i in source.items), key=sort_key)


def test_people_appear_as_they_consented_and_countries_only_for_named_authors() -> None:
    _transcript, _folded, source = sourced()
    by_text = {i.text.split(".")[0].split(" —")[0]: i for i in source.items}
    well, market, imam, grandmothers = by_text["The well"], by_text["Market money"], by_text["The imam"], by_text["Grandmothers"]
    assert (well.by, well.country) == ("Ama Mensah", "Ghana")
    assert (market.by, market.country) == ("B.D.", "Peru")
    assert (imam.by, imam.country) == (None, None)  # Ama's anonymous card: neither name nor country
    assert grandmothers.category == "lever" and grandmothers.text == "Grandmothers — Respect — Visits"
    assert "Che Vega" not in repr(source.items) and "Chile" not in repr(source.items)


def test_tellers_are_known_for_placements_and_news_only() -> None:
    _transcript, _folded, source = sourced()
    assert source.tellers == {"7:story-1": "p:1", "7:story-2": "p:2"}


def test_countries_by_item_follow_consent() -> None:
    transcript, folded, _source = sourced()
    countries = countries_by_item(transcript, folded, ROSTER, COUNTRIES)
    assert countries["story-1"] == "Ghana" and countries["story-2"] == "Peru" and "card-1" not in countries


def test_card_categories_by_phase_key() -> None:
    assert [card_category(k) for k in ("cultural-levers", "commonalities", "problem-solving", "grouping")] == [
        "lever", "commonality", "challenge", "card",
    ]  # fmt: skip
