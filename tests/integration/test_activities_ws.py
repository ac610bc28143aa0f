"""Every activity over real websockets against a real server (SQLite and PostgreSQL).

Privacy is checked on what actually crossed the wire: every frame each client received is kept
(LiveClient.frames) and searched as JSON text.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.support.live import LiveClient, new_command_id
from tests.support.scenario import Setup, scheduled_exchange
from tests.support.servers import ServerProcess

# The phases of the story-exchange plan (exchange/prompts/templates/story-exchange.toml).
WELCOME, STORIES, LEVERS, COMMONALITIES, ENGAGING_MEN, PROBLEMS, MESSAGE, CLOSING = range(8)


class Room:
    """A live exchange with a facilitator and three practitioners connected."""

    def __init__(self, setup: Setup, facilitator: LiveClient, practitioners: list[LiveClient]) -> None:
        self.setup = setup
        self.facilitator = facilitator
        self.practitioners = practitioners

    @property
    def everyone(self) -> list[LiveClient]:
        return [self.facilitator, *self.practitioners]

    async def goto(self, index: int) -> None:
        await self.facilitator.ok("goto_phase", index=index)
        for client in self.everyone:
            await client.wait_view(lambda v: v["phase_index"] == index)

    async def settle(self) -> None:
        """Wait until every client holds the facilitator's latest seq."""
        seq = self.facilitator.seq
        for client in self.everyone:
            await client.wait_for(lambda f: f.get("seq", -1) >= seq and f["type"] in {"events", "snapshot"})


@pytest.fixture
async def room(server: ServerProcess) -> AsyncIterator[Room]:
    setup = scheduled_exchange(server, practitioners=3)
    facilitator = await LiveClient(server.ws_url, setup.exchange_id, Setup.cookie(setup.facilitator)).connect()
    practitioners = [
        await LiveClient(server.ws_url, setup.exchange_id, Setup.cookie(client)).connect()
        for client in setup.practitioners
    ]
    await facilitator.wait_view(lambda v: len(v["roster"]) == 3)
    await facilitator.ok("start_exchange")
    for client in practitioners:
        await client.wait_view(lambda v: v["status"] == "live")
    yield Room(setup, facilitator, practitioners)
    for client in [facilitator, *practitioners]:
        await client.close()
    setup.close()


def unique(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}"


def raw(client: LiveClient, *, skip_personal: bool = False) -> str:
    """Every frame the client received, as one JSON text."""
    frames = [f for f in client.frames if not (skip_personal and f["type"] == "personal")]
    return json.dumps(frames, ensure_ascii=False)


def holders(value: Any, needle: str) -> Iterator[dict[str, Any]]:
    """Every object in `value` whose content holds `needle`, short of whole views and frames.

    A whole view legitimately lists the roster next to everything else; the objects that carry a
    contribution (an event, an envelope, a card, a feedback summary) must not name its author.
    """
    if isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False)
        if needle not in text:
            return
        if not ({"view", "changes", "roster", "data"} & value.keys()):
            yield value
        for item in value.values():
            yield from holders(item, needle)
    elif isinstance(value, list):
        for item in value:
            yield from holders(item, needle)


def assert_unlinked(clients: list[LiveClient], needle: str, author: LiveClient) -> int:
    """No object that carries `needle` names `author` (by id or name); returns how many were seen."""
    seen = 0
    for client in clients:
        for frame in client.frames:
            if frame["type"] == "personal" and client is author:
                continue  # the author's own private frame
            for holder in holders(frame, needle):
                seen += 1
                text = json.dumps(holder, ensure_ascii=False)
                assert author.you["id"] not in text, (holder, client.you)
                assert author.you["name"] not in text, (holder, client.you)
    return seen


async def send_invalid(client: LiveClient, command: dict[str, Any]) -> dict[str, Any]:
    """Send a command the protocol must refuse; return the error (or rejection) it gets."""
    command_id = new_command_id("bad")
    start = len(client.frames)
    await client.send_raw(json.dumps({"type": "command", "id": command_id, "command": command}))
    return await client.wait_for(
        lambda f: f["type"] == "error" or (f["type"] in {"ack", "rejected"} and f.get("id") == command_id),
        start=start,
    )


# -- agreements --------------------------------------------------------------------------------


async def test_accepted_agreements_show_on_the_console(room: Room) -> None:
    amina, rosa, tomas = room.practitioners
    view = room.facilitator.view
    pending = {person["id"] for person in view["agreements_pending"]}
    assert {amina.you["id"], rosa.you["id"]} <= pending | {a["id"] for a in view["agreements_accepted"]}
    await amina.ok("accept_agreements")
    await rosa.ok("accept_agreements")
    await amina.ok("accept_agreements")  # again: a no-op
    view = await room.facilitator.wait_view(
        lambda v: {amina.you["id"], rosa.you["id"]} <= {a["id"] for a in v["agreements_accepted"]}
    )
    accepted = [a["id"] for a in view["agreements_accepted"]]
    assert accepted.count(amina.you["id"]) == 1
    assert all(a["at"] for a in view["agreements_accepted"])
    if tomas.you["id"] not in accepted:
        assert tomas.you["id"] in {p["id"] for p in view["agreements_pending"]}
    personal = await amina.wait_for(lambda f: f["type"] == "personal" and f["data"]["agreements_accepted"])
    assert personal["data"]["participant_id"] == amina.you["id"]
    # A facilitator has no agreements to accept.
    reply = await room.facilitator.command("accept_agreements")
    assert reply["type"] == "rejected" and reply["message"]


# -- story round -------------------------------------------------------------------------------


async def test_a_story_is_shared_edited_reflected_on_and_withdrawn(room: Room) -> None:
    amina, rosa, tomas = room.practitioners
    await room.goto(STORIES)
    # Before her turn, Amina can't write her story down.
    reply = await amina.command("share_story", title="Too soon")
    assert reply["type"] == "rejected" and reply["code"] == "not_your_turn" and reply["message"]

    await room.facilitator.ok("next_turn")
    await amina.wait_view(lambda v: v["turns"]["speaker"]["id"] == amina.you["id"])
    await amina.ok("share_story", title="The well", summary="Women dug a well together.")
    view = await tomas.wait_view(lambda v: len(v["stories"]) == 1)
    story = view["stories"][0]
    assert story["title"] == "The well" and story["teller"]["id"] == amina.you["id"]

    await amina.ok("share_story", story_id=story["id"], title="The village well", summary="Women and men dug it.")
    view = await room.facilitator.wait_view(lambda v: v["stories"] and v["stories"][0]["title"] == "The village well")
    assert view["stories"][0]["summary"] == "Women and men dug it."

    # Someone else's story can't be edited or withdrawn; nothing changes.
    for command, fields in (
        ("share_story", {"story_id": story["id"], "title": "Mine now"}),
        ("withdraw_story", {"story_id": story["id"]}),
    ):
        reply = await rosa.command(command, **fields)
        assert reply["type"] == "rejected" and reply["code"] == "not_your_story" and reply["message"]

    # Reflections are linked to the story; the teller and the group see them.
    await rosa.ok("reflect", story_id=story["id"], kind="heard", text="Water brought people together.")
    await tomas.ok("reflect", story_id=story["id"], kind="question", text="Who kept the well going?")
    for client in room.everyone:
        view = await client.wait_view(lambda v: len(v["stories"][0]["reflections"]) == 2)
        reflections = view["stories"][0]["reflections"]
        assert [(r["author"]["id"], r["kind"]) for r in reflections] == [
            (rosa.you["id"], "heard"),
            (tomas.you["id"], "question"),
        ]
    reply = await amina.command("reflect", story_id=story["id"], kind="moment", text="My own story")
    assert reply["type"] == "rejected" and reply["code"] == "own_story"

    # The teller withdraws it: it leaves every view; her personal frame remembers it.
    await amina.ok("withdraw_story", story_id=story["id"])
    for client in room.everyone:
        await client.wait_view(lambda v: v["stories"] == [])
    personal = await amina.wait_for(
        lambda f: f["type"] == "personal" and any(s["id"] == story["id"] for s in f["data"]["withdrawn_stories"])
    )
    assert personal["data"]["participant_id"] == amina.you["id"]


async def test_listening_notes_reach_only_their_author(room: Room) -> None:
    amina, rosa, tomas = room.practitioners
    await room.goto(STORIES)
    await room.facilitator.ok("next_turn")
    note = unique("private-listening-note")
    await rosa.ok("write_listening_note", text=note)
    personal = await rosa.wait_for(lambda f: f["type"] == "personal" and note in json.dumps(f))
    (written,) = personal["data"]["listening_notes"]
    assert written["text"] == note and written["about"]["id"] == amina.you["id"]
    # Anything after it has reached everyone; then nobody else ever got the text.
    await room.facilitator.ok("finish_turn")
    await room.settle()
    for client in (room.facilitator, amina, tomas):
        assert note not in raw(client), client.you
    assert note not in raw(rosa, skip_personal=True)


# -- cards -------------------------------------------------------------------------------------


async def test_an_anonymous_card_never_names_its_author(room: Room) -> None:
    amina, rosa, _tomas = room.practitioners
    await room.goto(PROBLEMS)
    text = unique("secret-challenge")
    await amina.ok("add_card", fields={"challenge": text, "idea": "Talk to the fathers"}, anonymous=True)
    view = await rosa.wait_view(lambda v: any(c["fields"]["challenge"] == text for c in v["cards"]))
    card = next(c for c in view["cards"] if c["fields"]["challenge"] == text)
    assert card["anonymous"] and card["author"] is None
    personal = await amina.wait_for(lambda f: f["type"] == "personal" and card["id"] in f["data"]["my_cards"])
    assert personal["data"]["participant_id"] == amina.you["id"]

    # Only the author can edit and withdraw it; the edit keeps it anonymous.
    edited = unique("secret-challenge-edited")
    reply = await rosa.command("edit_card", card_id=card["id"], fields={"challenge": "Mine", "idea": "x"})
    assert reply["type"] == "rejected" and reply["code"] == "not_your_card" and reply["message"]
    reply = await room.facilitator.command("withdraw_card", card_id=card["id"])
    assert reply["type"] == "rejected" and reply["code"] == "not_your_card"
    await amina.ok("edit_card", card_id=card["id"], fields={"challenge": edited, "idea": "Talk to the fathers"})
    await room.facilitator.wait_view(lambda v: any(c["fields"]["challenge"] == edited for c in v["cards"]))
    await amina.ok("withdraw_card", card_id=card["id"])
    for client in room.everyone:
        await client.wait_view(lambda v: all(c["id"] != card["id"] for c in v["cards"]))
    await room.settle()

    # Nothing that carried the card (events, envelopes, card views) names Amina: not to the
    # facilitator, not to the others, not even back to Amina.
    seen = 0
    for needle in (text, edited, card["id"]):
        seen += assert_unlinked(room.everyone, needle, amina)
    assert seen > 0
    for client in room.everyone:
        for frame in client.frames:
            for event in frame.get("events", []):
                if event["event"]["type"].startswith("card_") and event["event"].get("card_id") == card["id"]:
                    assert event["actor"]["id"] == "anonymous" and event["command_id"] is None
                    assert "author_id" not in event["event"]


async def test_votes_are_hidden_until_revealed_and_stay_within_the_allowance(room: Room) -> None:
    amina, rosa, tomas = room.practitioners
    await room.goto(PROBLEMS)
    await amina.ok("add_card", fields={"challenge": "Fathers", "idea": "Tea circles"})
    await rosa.ok("add_card", fields={"challenge": "Mothers-in-law", "idea": "Home visits"}, anonymous=True)
    view = await tomas.wait_view(lambda v: len(v["cards"]) == 2)
    first, second = (card["id"] for card in view["cards"])

    # An edit of someone else's card is refused and changes nothing.
    reply = await tomas.command("edit_card", card_id=first, fields={"challenge": "Hijacked", "idea": "x"})
    assert reply["type"] == "rejected" and reply["code"] == "not_your_card" and reply["message"]
    await room.settle()
    assert [c["fields"]["challenge"] for c in room.facilitator.view["cards"]] == ["Fathers", "Mothers-in-law"]

    reply = await tomas.command("cast_vote", card_id=first)
    assert reply["type"] == "rejected" and reply["code"] == "voting_closed"
    await room.facilitator.ok("open_voting")
    await tomas.ok("cast_vote", card_id=first)
    await tomas.ok("cast_vote", card_id=first)
    await tomas.ok("cast_vote", card_id=second)
    await rosa.ok("cast_vote", card_id=first)
    # Two people's dots would give each other's choices away: no totals, not even for staff.
    await room.facilitator.wait_view(lambda v: v["voters"] == {str(PROBLEMS): 2})
    assert all("votes" not in card for card in room.facilitator.view["cards"])
    await amina.ok("cast_vote", card_id=second)
    view = await room.facilitator.wait_view(lambda v: sum(c["votes"] for c in v["cards"]) == 5)
    assert {c["id"]: c["votes"] for c in view["cards"]} == {first: 3, second: 2}

    # A fourth dot is beyond Tomás's allowance: refused, with a message, and nothing changes.
    seq = room.facilitator.seq
    reply = await tomas.command("cast_vote", card_id=second)
    assert reply["type"] == "rejected" and reply["code"] == "no_votes_left" and "3" in reply["message"]
    personal = await tomas.wait_for(
        lambda f: f["type"] == "personal" and f["data"]["my_votes"].get(str(PROBLEMS), {}).get("left") == 0
    )
    assert personal["data"]["my_votes"][str(PROBLEMS)]["cards"] == {first: 2, second: 1}
    await room.settle()
    assert room.facilitator.seq == seq

    await room.settle()
    for client in room.practitioners:
        assert all("votes" not in card for card in client.view["cards"]), client.view["cards"]
        # Nobody else's dots ever travelled to a practitioner.
        for frame in client.frames:
            for event in frame.get("events", []):
                assert event["event"]["type"] not in {"vote_cast", "vote_retracted"}
            if frame["type"] == "events" or frame["type"] == "snapshot":
                view = frame.get("view") or frame["changes"]
                upserted = (frame.get("items") or {}).get("cards", {}).get("upsert", [])
                assert all("votes" not in card for card in [*(view.get("cards") or []), *upserted])

    await room.facilitator.ok("close_voting")
    reply = await rosa.command("cast_vote", card_id=second)
    assert reply["type"] == "rejected" and reply["code"] == "voting_closed" and reply["message"]
    await room.settle()
    seq = room.facilitator.seq
    await asyncio.sleep(0.2)
    assert room.facilitator.seq == seq
    assert {c["id"]: c["votes"] for c in room.facilitator.view["cards"]} == {first: 3, second: 2}

    await room.facilitator.ok("reveal_votes")
    for client in room.practitioners:
        view = await client.wait_view(lambda v: all("votes" in c for c in v["cards"]))
        assert {c["id"]: c["votes"] for c in view["cards"]} == {first: 3, second: 2}


async def test_clusters_group_cards_and_practitioners_cannot_cluster(room: Room) -> None:
    amina, rosa, _tomas = room.practitioners
    await room.goto(LEVERS)
    fields = {"who": "The imam", "influence": "Trusted by fathers", "how-engaged": "Tea after prayers"}
    await amina.ok("add_card", fields=fields)
    reply = await amina.command("add_card", fields=fields, anonymous=True)
    assert reply["type"] == "rejected" and reply["code"] == "no_anonymous" and reply["message"]
    view = await room.facilitator.wait_view(lambda v: len(v["cards"]) == 1)
    card = view["cards"][0]
    assert card["author"]["id"] == amina.you["id"]
    await room.facilitator.ok("create_cluster", name="Faith leaders")
    view = await room.facilitator.wait_view(lambda v: len(v["clusters"]) == 1)
    await room.facilitator.ok("move_card", card_id=card["id"], cluster_id=view["clusters"][0]["id"])
    await rosa.wait_view(lambda v: v["cards"][0]["cluster_id"] == view["clusters"][0]["id"])
    reply = await rosa.command("create_cluster", name="Mine")
    assert reply["type"] == "rejected" and reply["code"] == "forbidden"


# -- discussion, notes and the parking lot -----------------------------------------------------


async def test_facilitator_notes_and_parking_lot_never_reach_a_practitioner(room: Room) -> None:
    amina, rosa, _tomas = room.practitioners
    await room.goto(ENGAGING_MEN)
    note, parked = unique("private-note"), unique("parked-point")
    await room.facilitator.ok("add_note", text=note, participant_id=amina.you["id"])
    await room.facilitator.ok("park_point", text=parked)
    view = await room.facilitator.wait_view(lambda v: v["notes"] and v["parking_lot"])
    assert view["notes"][0]["text"] == note and view["parking_lot"][0]["text"] == parked
    await room.facilitator.ok("resolve_point", item_id=view["parking_lot"][0]["id"])
    # The action list is the group's.
    await rosa.ok("add_action", what="Invite fathers to the next circle", who="Rosa")
    await room.facilitator.wait_view(lambda v: len(v["actions"]) == 1)
    reply = await amina.command("add_note", text="I am not staff")
    assert reply["type"] == "rejected" and reply["code"] == "forbidden"
    reply = await amina.command("park_point", text="I am not staff")
    assert reply["type"] == "rejected" and reply["code"] == "forbidden"
    await room.settle()
    for client in room.practitioners:
        text = raw(client)
        assert note not in text and parked not in text
        assert "notes" not in client.view and "parking_lot" not in client.view
        assert len(client.view["actions"]) == 1


# -- the shared draft --------------------------------------------------------------------------


async def test_two_people_editing_one_section_at_once_lose_nothing(room: Room) -> None:
    amina, rosa, tomas = room.practitioners
    await room.goto(MESSAGE)
    amina_words = "Girls leave school at twelve."
    rosa_words = "Mothers walk four hours for water."
    replies = await asyncio.gather(
        amina.command("edit_section", section=0, base_version=0, text=amina_words),
        rosa.command("edit_section", section=0, base_version=0, text=rosa_words),
    )
    kinds = sorted(reply["type"] for reply in replies)
    assert kinds == ["ack", "rejected"], replies
    loser, losing_words, winning_words = (
        (rosa, rosa_words, amina_words) if replies[0]["type"] == "ack" else (amina, amina_words, rosa_words)
    )
    refused = next(reply for reply in replies if reply["type"] == "rejected")
    assert refused["code"] == "stale_version" and refused["message"]

    # The one refused sees the other's text and version, adds their own words and saves again.
    view = await loser.wait_view(lambda v: v["drafts"][0]["sections"][0]["version"] == 1)
    current = view["drafts"][0]["sections"][0]
    assert current["text"] == winning_words
    merged = f"{current['text']}\n{losing_words}"
    await loser.ok("edit_section", section=0, base_version=current["version"], text=merged)
    for client in room.everyone:
        view = await client.wait_view(lambda v: v["drafts"][0]["sections"][0]["version"] == 2)
        text = view["drafts"][0]["sections"][0]["text"]
        assert amina_words in text and rosa_words in text
        assert view["drafts"][0]["sections"][0]["last_editor"]["id"] == loser.you["id"]

    # Final: edits are refused with a message and change nothing.
    await room.facilitator.ok("set_draft_final")
    await tomas.wait_view(lambda v: v["drafts"][0]["final"])
    reply = await tomas.command("edit_section", section=0, base_version=2, text="A late change")
    assert reply["type"] == "rejected" and reply["code"] == "final" and reply["message"]
    await room.settle()
    for client in room.everyone:
        text = client.view["drafts"][0]["sections"][0]["text"]
        assert amina_words in text and rosa_words in text and "late change" not in text


# -- closing feedback --------------------------------------------------------------------------


async def test_feedback_is_anonymous_to_everyone(room: Room) -> None:
    await room.goto(CLOSING)
    answers = {client.you["id"]: unique("feedback") for client in room.practitioners}
    for score, client in enumerate(room.practitioners, start=3):
        await client.ok("submit_feedback", ratings={"useful": score, "safe": 5}, text=answers[client.you["id"]])
    view = await room.facilitator.wait_view(lambda v: v["feedback"][0]["responses"] == 3)
    assert view["feedback"][0]["summary"] is None  # not while the phase runs
    await room.facilitator.ok("end_exchange")
    view = await room.facilitator.wait_view(lambda v: v["feedback"][0]["summary"] is not None)
    summary = view["feedback"][0]["summary"]
    assert sorted(summary["texts"]) == sorted(answers.values())
    assert summary["ratings"]["useful"]["average"] == 4
    await room.settle()
    for author in room.practitioners:
        needle = answers[author.you["id"]]
        assert assert_unlinked(room.everyone, needle, author) > 0
        for client in room.practitioners:
            if client is not author:
                assert needle not in raw(client)
        assert needle not in raw(author, skip_personal=True)
    for client in room.everyone:
        for frame in client.frames:
            for event in frame.get("events", []):
                assert event["event"]["type"] != "feedback_submitted"


# -- bad input ---------------------------------------------------------------------------------


async def test_empty_or_oversized_text_is_refused_readably_and_changes_nothing(room: Room) -> None:
    amina, rosa, _tomas = room.practitioners
    await room.goto(STORIES)
    await room.facilitator.ok("next_turn")
    await room.settle()
    limits = amina.view["limits"]
    seq = room.facilitator.seq
    for client, command in (
        (amina, {"type": "share_story", "title": ""}),
        (amina, {"type": "share_story", "title": "   "}),
        (amina, {"type": "share_story", "title": "x" * (limits["story_title"] + 1)}),
        (rosa, {"type": "write_listening_note", "text": ""}),
        (rosa, {"type": "write_listening_note", "text": "x" * (limits["listening_note"] + 1)}),
        (room.facilitator, {"type": "add_note", "text": ""}),
        (room.facilitator, {"type": "park_point", "text": "x" * (limits["parked_point"] + 1)}),
    ):
        reply = await send_invalid(client, command)
        assert reply["type"] in {"error", "rejected"}, reply
        if reply["type"] == "error":
            assert reply["code"] == "invalid", reply
        assert reply["code"] and reply["message"], reply
    await room.settle()
    assert room.facilitator.seq == seq
    # A card field over the phase's own limit gets a readable rejection.
    await room.goto(LEVERS)
    seq = room.facilitator.seq
    long_who = {"who": "x" * 1000, "influence": "a", "how-engaged": "b"}
    reply = await amina.command("add_card", fields=long_who)
    if reply["type"] == "rejected":
        assert reply["code"] == "too_long" and reply["message"]
    else:
        raise AssertionError(f"an oversized card field was accepted: {reply}")
    reply = await amina.command("add_card", fields={"who": "", "influence": "", "how-engaged": ""})
    assert reply["type"] == "rejected" and reply["code"] == "empty" and reply["message"]
    await room.settle()
    await asyncio.sleep(0.2)
    assert room.facilitator.seq == seq
    assert room.facilitator.view["cards"] == [] and room.facilitator.view["stories"] == []
    assert amina.close_code is None


# -- selection (most significant change) ------------------------------------------------------

MSC_STORIES, MSC_SELECTION = 1, 3  # exchange/prompts/templates/most-significant-change.toml


async def test_selection_rounds_vote_close_and_record_the_reasons(server: ServerProcess) -> None:
    setup = scheduled_exchange(server, practitioners=3, template="most-significant-change")
    facilitator = await LiveClient(server.ws_url, setup.exchange_id, Setup.cookie(setup.facilitator)).connect()
    practitioners = [
        await LiveClient(server.ws_url, setup.exchange_id, Setup.cookie(client)).connect()
        for client in setup.practitioners
    ]
    room = Room(setup, facilitator, practitioners)
    amina, rosa, tomas = practitioners
    try:
        await facilitator.wait_view(lambda v: len(v["roster"]) == 3)
        await facilitator.ok("start_exchange")
        await room.goto(MSC_STORIES)
        for client, title in zip(practitioners, ("The well", "The school", "The market"), strict=True):
            await facilitator.ok("next_turn")
            await client.wait_view(lambda v, c=client: v["turns"]["speaker"]["id"] == c.you["id"])
            await client.ok("share_story", title=title, summary="What changed.")
        view = await facilitator.wait_view(lambda v: len(v["stories"]) == 3)
        well, school, market = (story["id"] for story in view["stories"])

        # Only in a selection phase.
        reply = await facilitator.command("open_selection_round")
        assert reply["type"] == "rejected" and reply["code"] == "wrong_phase" and reply["message"]
        await room.goto(MSC_SELECTION)
        reply = await amina.command("open_selection_round")
        assert reply["type"] == "rejected" and reply["code"] == "forbidden"
        await facilitator.ok("open_selection_round", domain="Livelihoods", story_ids=[school, market])
        await amina.wait_view(lambda v: v["selection"]["rounds"] and v["selection"]["rounds"][0]["open"])

        await amina.ok("cast_selection_vote", story_id=market)
        await rosa.ok("cast_selection_vote", story_id=school)
        await tomas.ok("cast_selection_vote", story_id=market)
        reply = await amina.command("cast_selection_vote", story_id=school)  # one vote each
        assert reply["type"] == "rejected" and reply["code"] == "no_votes_left" and reply["message"]
        reply = await rosa.command("cast_selection_vote", story_id=well)  # not in this round
        assert reply["type"] == "rejected" and reply["code"] == "unknown_story"
        view = await facilitator.wait_view(lambda v: v["selection"]["rounds"][0]["voters"] == 3)
        assert view["selection"]["rounds"][0]["totals"] == {school: 1, market: 2}
        await room.settle()
        for client in practitioners:
            assert client.view["selection"]["rounds"][0]["totals"] is None
            for frame in client.frames:
                for event in frame.get("events", []):
                    assert not event["event"]["type"].startswith("selection_vote")
        personal = await amina.wait_for(lambda f: f["type"] == "personal" and f["data"]["my_selection_votes"])
        assert personal["data"]["my_selection_votes"] == {"1": [market]}

        await facilitator.ok("close_selection_round")
        for client in practitioners:
            view = await client.wait_view(lambda v: not v["selection"]["rounds"][0]["open"])
            assert view["selection"]["rounds"][0]["totals"] == {school: 1, market: 2}
        seq = facilitator.seq
        reply = await rosa.command("cast_selection_vote", story_id=market)
        assert reply["type"] == "rejected" and reply["code"] == "voting_closed" and reply["message"]

        # Discussion on the call, then a second round; the split group keeps two.
        await facilitator.ok("open_selection_round", domain="Livelihoods", story_ids=[school, market])
        await rosa.ok("cast_selection_vote", story_id=market)
        await facilitator.ok("close_selection_round")
        reason, dissent = unique("chosen-because"), unique("dissent")
        await facilitator.ok(
            "record_selection", story_ids=[market, school], reason=reason, dissent=dissent, domain="Livelihoods"
        )
        for client in room.everyone:
            view = await client.wait_view(lambda v: v["selection"]["choices"])
            (choice,) = view["selection"]["choices"]
            assert choice["reason"] == reason and choice["dissent"] == dissent
            assert [story["id"] for story in choice["stories"]] == [market, school]
            assert choice["stories"][0]["teller"]["id"] == tomas.you["id"]
        assert facilitator.seq > seq

        # A reason is required and bounded; the refusal is readable and changes nothing.
        seq = facilitator.seq
        for command in (
            {"type": "record_selection", "story_ids": [market], "reason": ""},
            {"type": "record_selection", "story_ids": [market], "reason": "x" * (view["limits"]["selection_reason"] + 1)},
            {"type": "record_selection", "story_ids": [well, school, market], "reason": "Three"},
        ):
            reply = await send_invalid(facilitator, command)
            assert reply["type"] == "error" and reply["code"] == "invalid" and reply["message"], reply
        await room.settle()
        assert facilitator.seq == seq
    finally:
        for client in room.everyone:
            await client.close()
        setup.close()
