"""The programme page as a lead's dashboard: downloads, the programme ZIP, levers and challenges, redaction UI."""

from __future__ import annotations

import io
import re
import zipfile

from tests.support.live import LiveClient
from tests.support.scenario import Setup, scheduled_exchange
from tests.support.servers import ServerProcess
from tests.support.web import WebClient, seed_staff

LEVERS, PROBLEMS = 2, 5  # the story-exchange template's cultural-levers and problem-solving phases


async def test_dashboard_zip_levers_challenges_and_redaction_form(server: ServerProcess) -> None:
    setup = scheduled_exchange(server, practitioners=2)
    eid, pid = setup.exchange_id, setup.programme_id
    facilitator = await LiveClient(server.ws_url, eid, Setup.cookie(setup.facilitator)).connect()
    amina, rosa = [await LiveClient(server.ws_url, eid, Setup.cookie(c)).connect() for c in setup.practitioners]
    await facilitator.wait_view(lambda v: len(v["roster"]) == 2)
    await facilitator.ok("start_exchange")
    await facilitator.ok("goto_phase", index=LEVERS)
    await amina.ok("add_card", fields={"who": "The grandmothers <b>", "influence": "Trusted", "how-engaged": "Tea"})
    await facilitator.ok("goto_phase", index=PROBLEMS)
    await rosa.ok("add_card", fields={"challenge": "Secret fathers problem", "idea": "Home visits"}, anonymous=True)
    await amina.ok("add_card", fields={"challenge": "Mothers-in-law", "idea": "Circles"})
    await facilitator.ok("end_exchange")
    for client in (facilitator, amina, rosa):
        await client.close()

    tag = re.search(r"Exchange ([0-9a-f]{8})", setup.facilitator.get(f"/exchanges/{eid}").text).group(1)  # type: ignore[union-attr]
    lead = WebClient(server.url)
    lead.login(f"lead-{tag}@example.org")
    seed_staff(server.database_url, email=f"out2-{tag}@example.org", name="Outsider", role="lead")
    outsider = WebClient(server.url)
    outsider.login(f"out2-{tag}@example.org")
    anonymous = WebClient(server.url)
    amina_name, rosa_name = setup.practitioner_names
    try:
        page = lead.get(f"/programmes/{pid}").text
        assert f"/programmes/{pid}/export.zip" in page
        for fmt in ("html", "md", "csv", "json"):
            assert f"/exchanges/{eid}/transcript.{fmt}" in page
        assert "The grandmothers &lt;b&gt;" in page and "<b>" not in page.split("raised-h", 1)[1]
        assert "Secret fathers problem" in page and "Mothers-in-law" in page
        levers, challenges = page.split('id="levers-h"', 1)[1].split('id="challenges-h"', 1)
        assert "The grandmothers" in levers and "Mothers-in-law" not in levers
        # The problem-solving plan promises anonymous cards: every card there is, ticked or not.
        assert "Mothers-in-law" in challenges and amina_name not in challenges and rosa_name not in challenges
        secret = challenges.split("Secret fathers problem", 1)[1].split("</li>", 1)[0]
        assert "Participant" not in secret  # anonymous card: no author at all
        assert amina_name in levers  # a named card keeps its (consenting) author

        response = lead.get(f"/programmes/{pid}/export.zip")
        assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            names = set(archive.namelist())
            assert {f"exchange-{eid}/transcript.{fmt}" for fmt in ("md", "html", "json", "csv")} <= names
            assert f"programme-{pid}-contributions.csv" in names
            assert "Secret fathers problem" in archive.read(f"programme-{pid}-contributions.csv").decode()
        assert setup.facilitator.get(f"/programmes/{pid}/export.zip").status_code == 200
        for who in (outsider, anonymous, *setup.practitioners):
            assert who.get(f"/programmes/{pid}/export.zip").status_code == 404
        assert lead.get("/programmes/999999/export.zip").status_code == 404

        # Redaction UI: lead only; the form posts to the existing route; reasons listed afterwards.
        exchange_page = lead.get(f"/exchanges/{eid}").text
        assert f'action="/exchanges/{eid}/redactions"' in exchange_page and 'value="card-1"' in exchange_page
        assert "Nothing has been redacted." in exchange_page
        assert "/redactions" not in setup.facilitator.get(f"/exchanges/{eid}").text
        assert lead.post(f"/exchanges/{eid}/redactions", {"item_id": "card-1", "reason": "Names a family"}).status_code == 303
        exchange_page = lead.get(f"/exchanges/{eid}").text
        assert "Names a family" in exchange_page and 'value="card-1"' not in exchange_page
        assert "The grandmothers" not in lead.get(f"/programmes/{pid}").text
    finally:
        for client in (lead, outsider, anonymous):
            client.close()
        setup.close()
