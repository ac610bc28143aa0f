"""Transcripts and exports: golden files, consent, privacy, inert user text, CSV defusing, JSON round-trip.

The exchange is scripted through the real core (tests/unit/transcript_scenario.py). Regenerate the
golden files after an intended change with: UPDATE_GOLDEN=1 pytest tests/unit/test_transcripts.py
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import re
from pathlib import Path

import pytest

from exchange.sessions.machine import rebuild
from exchange.sessions.state import SessionState
from exchange.transcripts import build, csv_export, html, json_export, markdown
from exchange.transcripts.model import RosterEntry
from exchange.transcripts.own import Standing, own_record
from tests.unit.test_session_support import AMA, BEA, CHE, FACILITATOR, LEAD
from tests.unit.transcript_scenario import (
    ANON_CARD,
    FEEDBACK_TEXT,
    FORMULA,
    HIDDEN_NAMES,
    LISTENING,
    META,
    OFF_RECORD,
    PARKED,
    POINT,
    PRIVATE_NOTE,
    REDACTED,
    REMOVED_POINT,
    ROSTER,
    WITHDRAWN,
    scripted,
)

GOLDEN = Path(__file__).parent / "golden"
SESSION = scripted()
LOG = SESSION.log
TRANSCRIPT = build.build(LOG, exchange=META, roster=ROSTER)


def outputs(log=LOG, roster=ROSTER) -> dict[str, str]:  # noqa: ANN001
    transcript = build.build(log, exchange=META, roster=roster)
    return {
        "md": markdown.render(transcript),
        "html": html.render(transcript),
        "json": json_export.render(log, exchange=META, roster=roster),
        "csv": csv_export.render(transcript),
    }


OUT = outputs()


@pytest.mark.parametrize("fmt", ["md", "html", "json", "csv"])
def test_golden(fmt: str) -> None:
    path = GOLDEN / f"transcript.{fmt}"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(OUT[fmt], encoding="utf-8", newline="")
    assert path.exists(), f"run with UPDATE_GOLDEN=1 to create {path.name}"
    assert OUT[fmt] == path.read_bytes().decode("utf-8"), f"{path.name} changed; UPDATE_GOLDEN=1 if intended"


def test_build_is_pure_and_deterministic() -> None:
    assert outputs() == OUT
    assert build.build(list(LOG), exchange=META, roster=ROSTER) == TRANSCRIPT


@pytest.mark.parametrize("fmt", ["md", "html", "json", "csv"])
def test_consent_holds(fmt: str) -> None:
    text = OUT[fmt]
    assert "Ama Mensah" in text  # consent: name
    assert "B.S." in text or "B\\.S\\." in text  # consent: initials
    assert "Participant 3" in text and "Participant 4" in text  # anonymous, and not chosen yet
    for name in HIDDEN_NAMES:
        assert name not in text, (fmt, name)


def test_anonymous_labels_are_stable_across_consent_changes() -> None:
    roster = {**ROSTER, AMA.id: RosterEntry(name="Ama Mensah", consent="anonymous")}
    transcript = build.build(LOG, exchange=META, roster=roster)
    assert [p.label for p in transcript.participants] == ["Participant 1", "B.S.", "Participant 3", "Participant 4"]
    assert all("Ama Mensah" not in text for text in outputs(roster=roster).values())


@pytest.mark.parametrize("fmt", ["md", "html", "json", "csv"])
def test_private_things_never_appear(fmt: str) -> None:
    text = OUT[fmt]
    for secret in (OFF_RECORD, PRIVATE_NOTE, PARKED, LISTENING, WITHDRAWN, REDACTED, REMOVED_POINT, "Identifies a survivor"):
        assert secret not in text, (fmt, secret)
    assert ANON_CARD in text  # the card is shown ...
    assert "Farida" in text and "Lead" not in text.replace("Leads", "")  # staff by role, never by name


@pytest.mark.parametrize("fmt", ["md", "html", "json", "csv"])
def test_written_closing_comments_are_kept_anonymous(fmt: str) -> None:
    """Three people answered: their comments are in the record, sorted, with nobody's name on them."""
    text = OUT[fmt]
    assert FEEDBACK_TEXT in text and "Good pace" in text
    if fmt == "csv":
        rows = [r for r in csv.DictReader(io.StringIO(text)) if r["kind"] == "feedback_comment"]
        assert [r["text"] for r in rows] == [FEEDBACK_TEXT, "Good pace"]
        assert {r["author"] for r in rows} == {"anonymous"}


def test_anonymous_card_author_never_appears() -> None:
    card = next(c for c in TRANSCRIPT.contributions if ANON_CARD in c.text)
    assert card.author is None and card.author_ref is None
    body = json.loads(OUT["json"])
    for item in body["events"]:
        if item["event"]["type"] in {"card_added", "card_edited"} and item["event"]["anonymous"]:
            assert item["event"]["author_id"] == "anonymous"
            assert item["actor"]["id"] == "anonymous"
        assert item["event"]["type"] not in {"vote_cast", "vote_retracted"}  # totals only, never a vote
    assert CHE.id not in OUT["json"] and AMA.id not in OUT["json"]  # ids are pseudonymous too
    for row in csv.DictReader(io.StringIO(OUT["csv"])):
        if ANON_CARD in row["text"] and row["kind"] == "card":
            assert row["author"] == "anonymous"


def test_json_lists_only_what_the_policy_lists() -> None:
    from exchange.sessions.privacy import POLICY

    listed = {kind for kind, entry in POLICY.items() if entry.export.listed}
    types = {item["event"]["type"] for item in json.loads(OUT["json"])["events"]}
    assert types <= listed and "card_added" in types
    for never in ("listening_note_written", "note_added", "point_parked", "feedback_submitted", "off_record_set",
                  "vote_cast", "contribution_redacted"):  # fmt: skip
        assert never not in types
    assert all(item["actor"]["name"] in {"Facilitator", "Timer", "Anonymous"} or item["actor"]["role"] == "participant"
               for item in json.loads(OUT["json"])["events"])  # fmt: skip


def test_feedback_only_as_a_summary() -> None:
    summary = TRANSCRIPT.phases[-1].feedback
    assert summary is not None and summary.responses == 3 and not summary.withheld
    two = [e for e in LOG if not (e.event.type == "feedback_submitted" and e.event.participant_id == CHE.id)]
    few = build.build(two, exchange=META, roster=ROSTER).phases[-1].feedback
    assert few is not None and few.withheld and all(r.average is None for r in few.ratings)


def test_script_and_markup_are_inert_in_html() -> None:
    page = OUT["html"]
    assert "<script" not in page and "<img" not in page and "onerror=" not in page.replace("onerror=alert", "")
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;exchange&gt;" in page
    assert "<svg" in page and page.count("<rect") == 4  # the airtime chart
    assert not re.search(r"(src|href)=\"(https?:)?//", page)  # nothing external
    assert "@media print" in page and "break-before: page" in page


def test_script_and_markup_are_inert_in_markdown() -> None:
    text = OUT["md"]
    assert "<script" not in text and "<img" not in text
    assert "**bold**" not in text and "](javascript" not in text
    assert "\\*\\*bold\\*\\* \\[link\\]\\(javascript\\:alert\\(1\\)\\)" in text
    assert markdown.escape("<b>&") == "&lt;b&gt;&amp;"


def test_csv_cells_cannot_start_a_formula() -> None:
    rows = list(csv.reader(io.StringIO(OUT["csv"])))
    assert rows[0] == list(csv_export.HEADER)
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert any(cell == "'" + FORMULA for row in rows for cell in row)
    for value in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\nx"):
        assert csv_export.defuse(value) == "'" + value
    assert csv_export.defuse("\rx") == "'\nx"  # cleaned first: a carriage return is a newline
    assert csv_export.defuse("plain") == "plain"


def public(state: SessionState) -> tuple:
    """What an export keeps of a state: people by position, items and totals, no private parts."""
    votes: dict[str, int] = {}
    for vote in state.cards.votes:
        votes[vote.card_id] = votes.get(vote.card_id, 0) + 1
    return (
        state.status, state.plan, state.started_at, state.ended_at, state.phases,
        [round(m.airtime, 3) for m in state.roster],
        [(s.id, s.title, s.summary) for s in state.stories.stories
         if not s.withdrawn and s.id not in state.record.off_record],
        [(c.id, c.fields, c.cluster_id) for c in state.cards.cards if not c.withdrawn],
        state.cards.clusters, state.cards.revealed,
        [dataclasses.replace(a, author_id="") for a in state.discussion.actions if not a.removed],
        [(s.phase_index, s.index, s.text, s.version) for s in state.draft.sections], state.draft.final,
    )  # fmt: skip


def test_json_export_round_trips() -> None:
    events = json_export.load_events(OUT["json"])
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    again = rebuild(META.id, events)
    assert public(again) == public(SESSION.state)
    assert again.status.value == "ended" and again.last_seq == len(events)
    # The transcript built from the export is the one inside it (people are already labels there).
    labels = {m.id: RosterEntry(name=m.name, consent="name") for m in again.roster}
    rebuilt = build.build(events, exchange=META, roster=labels)
    # Votes and feedback answers are exported as totals only, and redactions are applied, not listed:
    # only the summary inside the export has them.
    skip = {
        "participants": True, "contributions": True, "redactions": True,
        "phases": {"__all__": {"feedback", "card_groups", "voters"}},
    }  # fmt: skip
    assert rebuilt.model_dump(mode="json", exclude=skip) == TRANSCRIPT.model_dump(mode="json", exclude=skip)
    assert [(p.label, p.airtime_seconds) for p in rebuilt.participants] == [
        (p.label, p.airtime_seconds) for p in TRANSCRIPT.participants
    ]
    assert json.loads(OUT["json"])["schema_version"] == 2


def test_redaction_is_an_event_a_lead_alone_can_cause() -> None:
    from exchange.sessions.activities.redaction_data import RedactContribution

    session = scripted()
    assert session.refuse(FACILITATOR, RedactContribution(item_id="story-1", reason="no")).code == "forbidden"
    assert session.refuse(BEA, RedactContribution(item_id="story-1", reason="no")).code == "forbidden"
    assert session.refuse(LEAD, RedactContribution(item_id="story-99", reason="no")).code == "unknown_item"
    session.do(LEAD, RedactContribution(item_id="story-1", reason="Too identifying"))
    assert session.send(LEAD, RedactContribution(item_id="story-1", reason="Too identifying")) == []
    assert session.rebuilt() == session.state
    transcript = build.build(session.log, exchange=META, roster=ROSTER)
    assert "The well committee" not in markdown.render(transcript)
    assert "Trust came first." not in csv_export.render(transcript)  # its reflections go with it
    assert transcript.redactions == 2


def test_my_contributions_only_mine() -> None:
    """Bea's download lists what she made, where each stands, and nothing of anyone else's."""
    mine = markdown.render_own(META, own_record(build.fold(META.id, LOG), BEA.id, ROSTER))
    assert "Shown in the record as: B\\.S\\." in mine
    assert "Trust came first" in mine and "Share the well toolkit" in mine
    assert markdown.escape(OFF_RECORD) in mine and "(off the record)" in mine  # her own, with where it stands
    assert "The imam" not in mine and "Fathers" not in mine
    assert LISTENING not in mine  # a private note was never part of the record


def test_own_record_holds_ones_anonymous_cards_and_no_one_elses() -> None:
    che = own_record(build.fold(META.id, LOG), CHE.id, ROSTER)
    by_id = {item.id: item for item in che.items}
    assert by_id["card-2"].anonymous and by_id["card-2"].standing is Standing.IN_RECORD
    assert by_id["story-3"].standing is Standing.WITHDRAWN and not by_id["story-3"].can_withdraw
    assert by_id["story-4"].can_withdraw and by_id["story-4"].can_toggle
    assert che.label == "Participant 3"
    ama = own_record(build.fold(META.id, LOG), AMA.id, ROSTER)
    assert "card-2" not in {item.id for item in ama.items}  # Che's anonymous card is not Ama's business
    assert {item.kind for item in ama.items} >= {"story", "card", "draft_section"}


def test_recorded_selection_in_every_format_and_voters_never() -> None:
    """The choice, its reason and any dissent appear in every format; who voted for what never does."""
    from exchange.sessions import commands as c
    from exchange.sessions.activities import selection_data as sel
    from tests.unit import test_activity_selection as ts

    session = ts.round_open()()
    session.do(BEA, sel.CastSelectionVote(story_id="story-3"))
    session.do(CHE, sel.CastSelectionVote(story_id="story-3"))
    session.do(FACILITATOR, sel.CloseSelectionRound())
    session.do(
        FACILITATOR,
        sel.RecordSelection(story_ids=("story-3",), reason="It shows <power> shifting.", dissent="Bea preferred =SUM(1)"),
    )
    session.do(FACILITATOR, c.GotoPhase(index=ts.DISCUSS))
    roster = {
        AMA.id: RosterEntry(name="Ama Mensah", consent="name"),
        BEA.id: RosterEntry(name="Beatriz Silva", consent="initials"),
        CHE.id: RosterEntry(name="Che Zhou", consent="anonymous"),
    }
    transcript = build.build(session.log, exchange=META, roster=roster)
    phase = transcript.phases[ts.SELECT]
    assert [(s.stories, s.reason, s.dissent) for s in phase.selections] == [
        (("The market",), "It shows <power> shifting.", "Bea preferred =SUM(1)")
    ]
    assert [k.kind for k in transcript.contributions].count("selection") == 1
    out = outputs(session.log, roster)
    assert "The market" in out["md"] and "It shows &lt;power&gt; shifting" in out["md"]
    assert "Dissent" in out["md"] and "Selection" in out["html"]
    assert "It shows &lt;power&gt; shifting." in out["html"] and "<power>" not in out["html"]
    rows = list(csv.reader(io.StringIO(out["csv"])))
    chosen = [row for row in rows if row[3] == "selection"]
    assert len(chosen) == 1 and "It shows <power> shifting." in chosen[0][6]
    document = json.loads(out["json"])
    assert document["transcript"]["phases"][ts.SELECT]["selections"][0]["reason"] == "It shows <power> shifting."
    assert not [e for e in document["events"] if e["event"]["type"].startswith("selection_vote")]
    for fmt, text in out.items():
        if fmt != "json":
            assert "voter" not in text, fmt
        assert "Che Zhou" not in text and "Beatriz Silva" not in text, fmt


@pytest.mark.parametrize("fmt", ["md", "html", "json", "csv"])
def test_points_made_in_every_format_with_their_maker_as_consent_allows(fmt: str) -> None:
    """The public points of a discussion phase appear everywhere, the maker labelled as for authors."""
    phase = next(p for p in TRANSCRIPT.phases if p.kind == "discussion")
    assert [(p.text, p.made_by) for p in phase.points] == [(POINT, "Participant 3")]
    text = OUT[fmt]
    assert POINT in text, fmt
    if fmt == "csv":
        row = next(r for r in csv.reader(io.StringIO(text)) if POINT in r)
        assert row[3] == "point" and row[4] == "Participant 3"
    elif fmt == "json":
        body = json.loads(text)
        noted = [e["event"] for e in body["events"] if e["event"]["type"] == "point_noted"]
        assert [e["participant_id"] for e in noted] == ["participant-3"]  # the id is mapped; the removed point is gone
        assert not [e for e in body["events"] if e["event"]["type"] == "point_removed"]
    else:
        assert "Participant 3" in text
