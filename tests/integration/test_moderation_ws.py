"""Moderation over real websockets against a real server (SQLite and PostgreSQL): what the facilitator
hides leaves every socket's view and every export at once, names its anonymous author in no frame but
the author's own, and comes back when undone.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile

from tests.integration.test_activities_ws import PROBLEMS, Room, holders, room, unique  # noqa: F401
from tests.integration.test_privacy_promises import CLOSING, FORMATS, MESSAGE, play
from tests.support.live import LiveClient
from tests.support.scenario import Setup
from tests.support.servers import ServerProcess
from tests.support.web import WebClient


def exports(client: WebClient, exchange_id: int) -> dict[str, str]:
    """Every format, with Markdown's escapes taken out so a text can be looked for in each alike."""
    out = {}
    for fmt in FORMATS:
        response = client.get(f"/exchanges/{exchange_id}/transcript.{fmt}")
        assert response.status_code == 200, (fmt, response.text[:300])
        out[fmt] = response.text.replace("\\", "") if fmt == "md" else response.text
    return out


def assert_unlinked(clients: list[LiveClient], needle: str, author: LiveClient) -> int:
    """No event and no part of a view that carries `needle` names `author`, in any frame but the
    author's own personal ones; returns how many carried it. Each part of a view is looked at on its
    own (a story's named teller in one part says nothing of a card in another)."""
    seen = 0
    for client in clients:
        for frame in client.frames:
            if frame["type"] == "personal":
                if client is not author:
                    assert needle not in json.dumps(frame, ensure_ascii=False), client.you
                continue
            parts = [
                *(frame.get("view") or {}).values(), *(frame.get("changes") or {}).values(),
                *(item for delta in (frame.get("items") or {}).values() for item in delta["upsert"]),
                *frame.get("events", []),
            ]
            for part in parts:
                for holder in holders(part, needle):
                    seen += 1
                    text = json.dumps(holder, ensure_ascii=False)
                    assert author.you["id"] not in text and author.you["name"] not in text, (holder, client.you)
    return seen


def hide_events(client: LiveClient) -> list[dict]:
    return [e for f in client.frames for e in f.get("events", []) if e["event"]["type"] in {"item_hidden", "item_unhidden"}]


def hidden_items(client: LiveClient) -> list[dict]:
    """What the latest personal frame says of the client's hidden items."""
    personal = [f for f in client.frames if f["type"] == "personal"]
    return personal[-1]["data"]["hidden_items"] if personal else []


async def test_a_hidden_anonymous_card_leaves_every_screen_and_export_and_names_no_one(room: Room) -> None:  # noqa: F811
    amina, rosa, tomas = room.practitioners
    eid = room.setup.exchange_id
    await room.goto(PROBLEMS)
    secret, other = unique("abusive-card"), unique("kept-card")
    await rosa.ok("add_card", fields={"challenge": secret, "idea": "None"}, anonymous=True)
    await amina.ok("add_card", fields={"challenge": other, "idea": "Circles"})
    view = await room.facilitator.wait_view(lambda v: len(v["cards"]) == 2)
    card = next(c for c in view["cards"] if c["fields"]["challenge"] == secret)
    assert card["author"] is None

    # Practitioners can't hide, not even their own card; nothing changes.
    seq = room.facilitator.seq
    for client in (amina, rosa):
        reply = await client.command("hide_item", ref=card["id"])
        assert reply["type"] == "rejected" and reply["code"] == "forbidden" and reply["message"]
    await room.settle()
    assert room.facilitator.seq == seq

    # One action from the facilitator: gone from every socket's view.
    reason = unique("reason-for-the-author")
    await room.facilitator.ok("hide_item", ref=card["id"], reason=reason)
    for client in room.everyone:
        view = await client.wait_view(lambda v: [c["fields"]["challenge"] for c in v["cards"]] == [other])
    listed = await room.facilitator.wait_view(lambda v: v["hidden"])
    assert listed["hidden"] == [{"ref": card["id"], "kind": "card", "phase_index": PROBLEMS,
                                 "text": f"{secret} / None", "reason": reason}]  # fmt: skip
    # Rosa's personal frame tells her; Amina's and Tomás's never mention it.
    personal = await rosa.wait_for(lambda f: f["type"] == "personal" and f["data"]["hidden_items"])
    assert personal["data"]["hidden_items"] == [
        {"ref": card["id"], "kind": "card", "phase_index": PROBLEMS, "text": f"{secret} / None", "reason": reason}
    ]
    await room.settle()
    for client in (amina, tomas):
        assert hidden_items(client) == []
        for frame in client.frames:
            if frame["type"] == "personal":
                assert reason not in json.dumps(frame)
    # No frame names the author: not the facilitator's, not the others', not the hide events.
    seen = sum(assert_unlinked(room.everyone, needle, rosa) for needle in (secret, card["id"], reason))
    assert seen > 0
    for client in room.practitioners:
        assert hide_events(client) == []  # practitioners just see the card go
    (hidden,) = hide_events(room.facilitator)
    assert hidden["event"] == {"type": "item_hidden", "ref": card["id"], "reason": reason, "version": None}
    assert rosa.you["id"] not in json.dumps(hidden) and rosa.you["name"] not in json.dumps(hidden)

    # Exports, the author's record page and her download leave it out or say it is hidden.
    for fmt, body in exports(room.setup.facilitator, eid).items():
        assert secret not in body and reason not in body and other in body, fmt
    rosa_page = room.setup.practitioners[1]
    record = rosa_page.get(f"/e/{eid}/record").text
    assert secret in record and "hidden by the facilitator" in record and reason in record
    download = rosa_page.get(f"/e/{eid}/my-contributions.md").text
    assert "hidden by the facilitator" in download
    assert secret not in room.setup.practitioners[0].get(f"/e/{eid}/record").text

    # Twice, or an item that isn't there: refused readably, nothing changes.
    for command, fields, code in (
        ("hide_item", {"ref": card["id"]}, "already_hidden"),
        ("hide_item", {"ref": "card-99"}, "unknown_item"),
        ("unhide_item", {"ref": "card-98"}, "not_hidden"),
    ):
        reply = await room.facilitator.command(command, **fields)
        assert reply["type"] == "rejected" and reply["code"] == code and reply["message"], reply

    # Undo: back on every screen and in every export; Rosa's page stops saying it is hidden.
    mark = len(rosa.frames)
    await room.facilitator.ok("unhide_item", ref=card["id"])
    for client in room.everyone:
        await client.wait_view(lambda v: {c["fields"]["challenge"] for c in v["cards"]} == {secret, other})
    await room.facilitator.wait_view(lambda v: v["hidden"] == [])
    await rosa.wait_for(lambda f: f["type"] == "personal" and f["data"]["hidden_items"] == [], start=mark)
    for fmt, body in exports(room.setup.facilitator, eid).items():
        assert secret in body and other in body, fmt
    await room.settle()
    for client in room.practitioners:
        assert hide_events(client) == []
    seen = sum(assert_unlinked(room.everyone, needle, rosa) for needle in (secret, card["id"]))
    assert seen > 0


async def test_after_the_end_hidden_texts_leave_exports_programme_page_and_downloads(server: ServerProcess) -> None:
    """A reflection, Amina's anonymous card, Rosa's draft text and one closing comment, hidden after the
    end: out of every format, the programme page and the programme's zip; counts stay honest; undo
    puts every one back."""
    played = await play(server, feedback_from=3)
    amina, rosa, tomas = played.people
    tag = played.tag
    card_text, reflection, draft = f"Secret fathers problem {tag}", f"Trust first {tag}", f"Communities lead change {tag}."
    comment = f"Comment from {amina.you['name']} {tag}"
    try:
        summary = played.facilitator.view["feedback"][0]["summary"]
        ref = summary["text_refs"][summary["texts"].index(comment)]
        hides = (("card-1", card_text), ("reflection-1", reflection), (f"section-{MESSAGE}-0", draft), (ref, comment))
        before = played.exports(played.lead)
        for _ref, text in hides:
            for fmt, body in before.items():
                assert text.rstrip(".") in body.replace("\\", ""), (fmt, text)  # Markdown escapes punctuation
        # A lead watching live follows the console read-only: they can't hide.
        lead = await LiveClient(server.ws_url, played.eid, Setup.cookie(played.lead)).connect()
        reply = await lead.command("hide_item", ref="card-1")
        assert reply["type"] == "rejected" and reply["code"] == "forbidden" and reply["message"]
        for item, _text in hides:
            await played.facilitator.ok("hide_item", ref=item)
        view = await played.facilitator.wait_view(lambda v: len(v["hidden"]) == 4)
        assert (await lead.wait_view(lambda v: len(v["hidden"]) == 4))["hidden"] == view["hidden"]
        assert assert_unlinked([lead], card_text, amina) > 0
        await lead.close()
        feedback = view["feedback"][0]["summary"]
        assert comment not in feedback["texts"] and feedback["comments"] == 3 and feedback["hidden_comments"] == 1
        assert view["feedback"][0]["responses"] == 3
        # Each author alone is told: Amina of her card and comment, Tomás of his reflection, Rosa of her text.
        expected = {amina: {"card-1", ref}, tomas: {"reflection-1"}, rosa: {f"section-{MESSAGE}-0"}}
        for person, refs in expected.items():
            await person.wait_for(lambda f, r=refs: f["type"] == "personal" and {i["ref"] for i in f["data"]["hidden_items"]} == r)
        # (The scenario's comments name their writers in their own words: the card stands for both.)
        assert assert_unlinked([played.facilitator, *played.people], card_text, amina) > 0
        for person in played.people:
            assert hide_events(person) == []
        for event in hide_events(played.facilitator):
            assert "author_ids" not in event["event"] and not any(p.you["id"] in json.dumps(event) for p in played.people)

        out = played.exports(played.lead)
        for fmt, body in out.items():
            for _ref, text in hides:
                assert text.rstrip(".") not in body.replace("\\", ""), (fmt, text)
        assert "hidden by the facilitator" in out["md"] and "hidden by the facilitator" in out["html"]
        assert "1 comment hidden by the facilitator." in out["md"]
        document = json.loads(out["json"])
        closing = document["transcript"]["phases"][CLOSING]["feedback"]
        assert closing["comments"] == 3 and closing["hidden_comments"] == 1 and len(closing["texts"]) == 2
        assert document["transcript"]["phases"][MESSAGE]["draft"][0]["hidden"] is True
        assert not [r for r in csv.DictReader(io.StringIO(out["csv"])) if comment in r["text"] or card_text in r["text"]]
        programme = played.lead.get(f"/programmes/{played.setup.programme_id}").text
        assert "Secret fathers problem" not in programme and "Mothers-in-law" in programme
        archive = zipfile.ZipFile(io.BytesIO(played.lead.get(f"/programmes/{played.setup.programme_id}/export.zip").content))
        for name in archive.namelist():
            body = archive.read(name).decode()
            assert card_text not in body and comment not in body, name
        download = played.setup.practitioners[2].get(f"/e/{played.eid}/my-contributions.md").text
        assert "hidden by the facilitator" in download  # Tomás's reflection

        for item, _text in hides:
            await played.facilitator.ok("unhide_item", ref=item)
        await played.facilitator.wait_view(lambda v: v["hidden"] == [])
        assert played.exports(played.lead) == before
    finally:
        await played.close()
