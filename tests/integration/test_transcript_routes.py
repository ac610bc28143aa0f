"""Transcript downloads over HTTP after a short exchange run over real websockets (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import json
import re

from tests.support.live import LiveClient
from tests.support.scenario import Setup, scheduled_exchange
from tests.support.servers import ServerProcess
from tests.support.web import WebClient, seed_staff

FORMATS = ("md", "html", "json", "csv")


async def test_members_download_outsiders_get_404_practitioners_get_their_own(server: ServerProcess) -> None:
    setup = scheduled_exchange(server, practitioners=2)
    eid = setup.exchange_id
    facilitator = await LiveClient(server.ws_url, eid, Setup.cookie(setup.facilitator)).connect()
    amina, rosa = [await LiveClient(server.ws_url, eid, Setup.cookie(c)).connect() for c in setup.practitioners]
    await facilitator.wait_view(lambda v: len(v["roster"]) == 2)

    await facilitator.ok("start_exchange")
    await facilitator.ok("next_phase")
    await facilitator.ok("next_turn")
    await amina.wait_view(lambda v: v["turns"] and v["turns"]["speaker"])
    await amina.ok("share_story", title="The well <script>alert(1)</script>", summary="Women ran it.")
    await rosa.ok("reflect", story_id="story-1", kind="heard", text="=SUM(A1) trust first")
    await facilitator.ok("add_note", text="Private: watch Rosa")
    await facilitator.ok("end_exchange")
    for client in (facilitator, amina, rosa):
        await client.close()

    page = setup.facilitator.get(f"/exchanges/{eid}").text
    assert f"/exchanges/{eid}/transcript.html" in page
    tag = re.search(r"Exchange ([0-9a-f]{8})", page).group(1)  # type: ignore[union-attr]
    lead = WebClient(server.url)
    lead.login(f"lead-{tag}@example.org")
    seed_staff(server.database_url, email=f"out-{tag}@example.org", name="Outsider", role="lead")
    outsider = WebClient(server.url)
    outsider.login(f"out-{tag}@example.org")
    anonymous = WebClient(server.url)
    amina_name, rosa_name = setup.practitioner_names

    try:
        for who in (setup.facilitator, lead):
            for fmt in FORMATS:
                response = who.get(f"/exchanges/{eid}/transcript.{fmt}")
                assert response.status_code == 200, (fmt, response.text[:200])
                assert "attachment" in response.headers["content-disposition"]
                text = response.text
                assert amina_name in text and rosa_name in text
                assert "Private: watch Rosa" not in text
            html = who.get(f"/exchanges/{eid}/transcript.html").text
            assert "<svg" in html and "<script>" not in html and "&lt;script&gt;" in html
            rows = list(csv.DictReader(io.StringIO(who.get(f"/exchanges/{eid}/transcript.csv").text)))
            assert any(row["text"] == "'=SUM(A1) trust first" for row in rows)
            body = json.loads(who.get(f"/exchanges/{eid}/transcript.json").text)
            assert body["schema_version"] == 2 and body["transcript"]["status"] == "ended"
            assert "note_added" not in {e["event"]["type"] for e in body["events"]}
        for who in (outsider, anonymous, *setup.practitioners):
            for fmt in FORMATS:
                assert who.get(f"/exchanges/{eid}/transcript.{fmt}").status_code == 404
        assert setup.facilitator.get(f"/exchanges/{eid}/transcript.pdf").status_code == 404

        mine = setup.practitioners[1].get(f"/e/{eid}/my-contributions.md")
        assert mine.status_code == 200
        assert "trust first" in mine.text and "The well" not in mine.text
        theirs = setup.practitioners[0].get(f"/e/{eid}/my-contributions.md").text
        assert "The well" in theirs and "trust first" not in theirs
        assert outsider.get(f"/e/{eid}/my-contributions.md").status_code == 404

        # Redaction: a lead only, CSRF protected, honoured by every later export.
        form = {"item_id": "story-1", "reason": "Identifies a village"}
        assert setup.facilitator.post(f"/exchanges/{eid}/redactions", form).status_code == 404
        assert outsider.post(f"/exchanges/{eid}/redactions", form).status_code == 404
        assert lead.post(f"/exchanges/{eid}/redactions", form, csrf=False).status_code == 403
        assert lead.post(f"/exchanges/{eid}/redactions", {"item_id": "story-9", "reason": "x"}).status_code == 400
        assert lead.post(f"/exchanges/{eid}/redactions", form).status_code == 303
        for fmt in FORMATS:
            text = lead.get(f"/exchanges/{eid}/transcript.{fmt}").text
            assert "The well" not in text and "Women ran it." not in text
    finally:
        for client in (lead, outsider, anonymous):
            client.close()
        setup.close()
