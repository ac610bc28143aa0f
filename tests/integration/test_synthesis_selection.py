"""Most significant change up the programme (three levels, tellers told on their page and by email
through a real SMTP server), tellers placing their stories, and the report in HTML and PDF."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.support.mailbox import Inbox, inbox, smtp_env  # noqa: F401 - inbox is a fixture
from tests.support.servers import ServerProcess
from tests.support.synthesis import MSC_SELECTION, Person, finish, new_programme, play

REASON_EAST = "The well committee story shows women deciding for the whole village. It changed who speaks at meetings."
REASON_WEST = "The market story shows money of their own giving women a voice at home. Everyone could see the change."
REASON_TOP = "Women deciding together on water changed daily life for everyone. It is the clearest change across regions."


@pytest.fixture(scope="module")
def server(database_url: str, inbox: Inbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The suite's server, with mail sent to the test's SMTP server."""
    env = smtp_env(inbox)
    process = ServerProcess(database_url, log_path=tmp_path_factory.mktemp("logs") / "server.log", env=env)
    process.start()
    try:
        yield process
    finally:
        process.stop()


async def _msc_exchange(server, programme, title, people):  # noqa: ANN001, ANN202
    played = await play(server, programme, title=title, people=people, template="most-significant-change", end=False)
    await played.facilitator.ok("goto_phase", index=MSC_SELECTION)
    await played.facilitator.ok("record_selection", story_ids=["story-1"], reason=f"Chosen in {title} for its courage.", dissent="One of us preferred the other story.")
    await finish(played)
    return played


def _news(inbox: Inbox, address: str | None = None) -> list:
    """Messages other than the invitations the tellers got when they were invited (issue 19)."""
    messages = inbox.messages if address is None else inbox.to(address)
    return [m for m in messages if not str(m["Subject"]).startswith("Your invitation to")]


async def _wait_for_mail(inbox: Inbox, count: int) -> None:
    for _ in range(100):
        if len(_news(inbox)) >= count:
            return
        await asyncio.sleep(0.05)


async def test_three_levels_of_selection_with_reasons_and_the_tellers_told(server: ServerProcess, inbox: Inbox) -> None:
    programme = new_programme(server)
    tag = programme.tag
    east = await _msc_exchange(server, programme, f"East {tag}", [
        Person("Amina Odhiambo", "Kenya", email=f"amina-{tag}@example.org", story=(f"The well committee {tag}", "Women now run the water committee.")),
        Person("Rosa Quispe", "Peru", email=f"rosa-{tag}@example.org", story=("A quieter story", "Something smaller changed.")),
    ])  # fmt: skip
    west = await _msc_exchange(server, programme, f"West {tag}", [
        Person("Kofi Mensah", "Ghana", email=f"kofi-{tag}@example.org", consent="initials", story=(f"Market money {tag}", "Her stall gave her money of her own.")),
        Person("Lena Diaz", "Peru", story=("Another story", "Told but not chosen.")),
    ])  # fmt: skip
    lead, base = programme.lead, f"/programmes/{programme.id}/selection"
    try:
        assert lead.post(f"{base}/levels", {"name": "Region"}).status_code == 303
        assert lead.post(f"{base}/panels", {"level_id": "l-1", "name": "East Africa", "sources": str(east.exchange_id)}).status_code == 303
        assert lead.post(f"{base}/panels", {"level_id": "l-1", "name": "West Africa", "sources": str(west.exchange_id)}).status_code == 303
        assert lead.post(f"{base}/levels", {"name": "Programme"}).status_code == 303
        response = lead.http.post(f"{base}/panels", data={"level_id": "l-2", "name": "Programme panel", "sources": ["p-1", "p-2"], "csrf_token": lead.csrf})
        assert response.status_code == 303
        # Panels choose only among what reached them, with a reason in full sentences.
        east_key, west_key = f"{east.exchange_id}:story-1", f"{west.exchange_id}:story-1"
        page = lead.get(base).text
        assert f"The well committee {tag}" in page and f"Chosen in East {tag} for its courage." in page
        assert "A quieter story" not in page.split('id="p-1"', 1)[1].split("</article>", 1)[0]
        bad = lead.post(f"{base}/panels/p-1", {"story_keys": east_key, "reason": "good one"})
        assert bad.status_code == 400 and "full sentences" in bad.text
        wrong = lead.post(f"{base}/panels/p-1", {"story_keys": west_key, "reason": REASON_EAST})
        assert wrong.status_code == 400 and "Choose one story" in wrong.text
        assert programme.facilitator.post(f"{base}/panels/p-1", {"story_keys": east_key, "reason": REASON_EAST}).status_code == 403
        assert programme.facilitator.get(base).status_code == 403
        assert lead.post(f"{base}/panels/p-1", {"story_keys": east_key, "reason": REASON_EAST, "dissent": "Rosa's story moved two of us more."}).status_code == 303
        assert lead.post(f"{base}/panels/p-2", {"story_keys": west_key, "reason": REASON_WEST}).status_code == 303
        top = lead.get(base).text.split('id="p-3"', 1)[1].split("</article>", 1)[0]
        assert f"The well committee {tag}" in top and f"Market money {tag}" in top
        assert lead.post(f"{base}/panels/p-3", {"story_keys": east_key, "reason": REASON_TOP}).status_code == 303

        # Each teller is told on their record page, level by level, and why.
        amina = east.pages[0].get(f"/e/{east.exchange_id}/record").text
        assert "Your story up the programme" in amina
        assert "Region: the East Africa panel" in amina and "Programme: the Programme panel" in amina
        assert REASON_EAST in amina and REASON_TOP in amina and "moved two of us more" in amina
        assert amina.count("your story was chosen.") == 3  # in the exchange, the region, the programme
        kofi = west.pages[0].get(f"/e/{west.exchange_id}/record").text
        assert "Region: the West Africa panel" in kofi and "the panel chose another story." in kofi and REASON_TOP in kofi
        assert "Your story up the programme" not in east.pages[1].get(f"/e/{east.exchange_id}/record").text
        # ...and by email, when they gave one.
        await _wait_for_mail(inbox, 4)
        to_amina = _news(inbox, f"amina-{tag}@example.org")
        assert len(to_amina) == 2 and all(m["Subject"] == "Your story was chosen" for m in to_amina)
        body = to_amina[-1].get_payload(decode=True).decode()
        assert REASON_TOP in body and f"/e/{east.exchange_id}/record" in body and "Programme panel" in body
        to_kofi = _news(inbox, f"kofi-{tag}@example.org")
        assert [m["Subject"] for m in to_kofi] == ["Your story was chosen", "News of your story"]
        assert "chose another story" in to_kofi[-1].get_payload(decode=True).decode()
        assert _news(inbox, f"rosa-{tag}@example.org") == []

        # The report shows the whole chain; the PDF too.
        report = lead.get(f"/programmes/{programme.id}/report")
        assert report.status_code == 200
        for text in (REASON_EAST, REASON_WEST, REASON_TOP, f"Chosen in East {tag} for its courage.", "Programme panel", "K.M."):
            assert text in report.text, text
        assert "Kofi Mensah" not in report.text
        assert programme.facilitator.get(f"/programmes/{programme.id}/report").status_code == 403
        pdf = lead.get(f"/programmes/{programme.id}/report.pdf")
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
        text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf.content)).pages)
        assert "The clearest change across regions." in text.replace("\n", " ") or "clearest change" in text

        # A chosen story its teller withdraws leaves the chain, the pages and the report.
        amina_page = east.pages[0]
        assert amina_page.post(f"/e/{east.exchange_id}/record/items", {"action": "withdraw", "item_id": "story-1", "confirm": "yes"}).status_code == 303
        assert f"The well committee {tag}" not in lead.get(base).text
        assert f"The well committee {tag}" not in lead.get(f"/programmes/{programme.id}/report").text
    finally:
        await east.close()
        await west.close()
        programme.close()


async def test_tellers_place_their_stories_and_the_report_plots_them(server: ServerProcess, artifacts: Path) -> None:
    programme = new_programme(server)
    tag = programme.tag
    played = await play(server, programme, title=f"Placing {tag}", people=[
        Person("Amina Odhiambo", "Kenya", story=(f"The well <b>{tag}</b>", "Women run the water committee.")),
        Person("Rosa Quispe", "Peru", consent="anonymous", story=("Savings", "Money of their own.")),
    ])  # fmt: skip
    lead, eid = programme.lead, played.exchange_id
    amina, rosa = played.pages
    try:
        assert "Place your story" not in amina.get(f"/e/{eid}/record").text  # no scale yet
        scale = {"c0": "Individual", "c1": "Family", "c2": "Community <&>", "l0": "How lasting?", "lo0": "Fragile", "hi0": "Lasting",
                 "l1": "Who led?", "lo1": "Outsiders", "hi1": "Women themselves"}  # fmt: skip
        assert programme.facilitator.post(f"/programmes/{programme.id}/placements/scale", scale).status_code == 403
        half = {**scale, "l2": "Only a question"}
        assert lead.post(f"/programmes/{programme.id}/placements/scale", half).status_code == 400
        assert lead.post(f"/programmes/{programme.id}/placements/scale", scale).status_code == 303
        page = amina.get(f"/e/{eid}/record").text
        assert "Place your story" in page and 'name="t0"' in page and 'name="s1"' in page and "Community &lt;&amp;&gt;" in page
        assert amina.post(f"/e/{eid}/record/placement", {"story_id": "story-1", "t0": "0", "t1": "0", "t2": "0", "s0": "1", "s1": "2"}).status_code == 400
        assert amina.post(f"/e/{eid}/record/placement", {"story_id": "story-1", "t0": "x", "t1": "0", "t2": "0", "s0": "1", "s1": "2"}).status_code == 400
        assert amina.post(f"/e/{eid}/record/placement", {"story_id": "story-2", "t0": "1", "t1": "1", "t2": "1", "s0": "1", "s1": "2"}).status_code == 404
        assert amina.post(f"/e/{eid}/record/placement", {"story_id": "story-1", "t0": "20", "t1": "20", "t2": "60", "s0": "80", "s1": "90"}, csrf=False).status_code == 403
        assert amina.post(f"/e/{eid}/record/placement", {"story_id": "story-1", "t0": "1", "t1": "1", "t2": "2", "s0": "80", "s1": "90"}).status_code == 303
        assert rosa.post(f"/e/{eid}/record/placement", {"story_id": "story-2", "t0": "70", "t1": "20", "t2": "10", "s0": "10", "s1": "40"}).status_code == 303
        assert lead.post(f"/e/{eid}/record/placement", {"story_id": "story-1"}).status_code == 404
        # The plots: every placed story, a dot linking to its story; filters by exchange, country, phase.
        plots = programme.facilitator.get(f"/programmes/{programme.id}/placements").text
        assert plots.count('class="plot__dot"') == 6  # two stories on the triangle and on each of two sliders
        assert f"The well &lt;b&gt;{tag}&lt;/b&gt;" in plots and f"<b>{tag}</b>" not in plots
        assert "Community &lt;&amp;&gt;" in plots
        links = set(re.findall(r'href="(/programmes/\d+/stories/[^"]+)"', plots))
        assert len(links) == 2
        for link in links:
            assert programme.facilitator.get(link).status_code == 200
        assert programme.facilitator.get(f"/programmes/{programme.id}/stories/{eid}/story-9").status_code == 404
        kenya = programme.lead.get(f"/programmes/{programme.id}/placements", params={"country": "Kenya"}).text
        assert kenya.count('class="plot__dot"') == 3  # Rosa is anonymous: her country is not known to the plots
        # The report carries the plots, the participation figures and the funder messages section, in HTML and PDF.
        report = lead.get(f"/programmes/{programme.id}/report").text
        assert report.count("<svg class=\"plot") == 3 and "Participation" in report and f"Placing {tag}" in report
        assert re.search(r"<td>2</td><td>2</td>", report)  # two people, two stories
        assert f"The well &lt;b&gt;{tag}&lt;/b&gt;" in report and f"<b>{tag}</b>" not in report
        pdf = lead.get(f"/programmes/{programme.id}/report.pdf").content
        (artifacts / "programme-report.pdf").write_bytes(pdf)
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
        for words in ("Individual", "Lasting", "Participation", f"Placing {tag}", "Women themselves"):
            assert words in text, words
        # Withdrawn: no longer plotted.
        assert amina.post(f"/e/{eid}/record/items", {"action": "withdraw", "item_id": "story-1", "confirm": "yes"}).status_code == 303
        assert programme.lead.get(f"/programmes/{programme.id}/placements").text.count('class="plot__dot"') == 3
    finally:
        await played.close()
        programme.close()
