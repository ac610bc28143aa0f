"""In headless Chromium: a lead logs in, opens the programme dashboard, downloads an exchange's HTML
transcript and sees it render with its SVG airtime chart (one bar per participant)."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.support.live import LiveClient
from tests.support.scenario import Setup, scheduled_exchange
from tests.support.servers import ServerProcess
from tests.support.web import PASSWORD

pytestmark = pytest.mark.browser


async def _run_exchange(server: ServerProcess, setup: Setup) -> None:
    """A short exchange over real websockets: a story and a reflection, then the end."""
    eid = setup.exchange_id
    facilitator = await LiveClient(server.ws_url, eid, Setup.cookie(setup.facilitator)).connect()
    amina, rosa = [await LiveClient(server.ws_url, eid, Setup.cookie(c)).connect() for c in setup.practitioners]
    try:
        await facilitator.wait_view(lambda v: len(v["roster"]) == 2)
        await facilitator.ok("start_exchange")
        await facilitator.ok("next_phase")
        await facilitator.ok("next_turn")
        await amina.wait_view(lambda v: v["turns"] and v["turns"]["speaker"])
        await asyncio.sleep(1.2)  # some airtime for the chart
        await amina.ok("share_story", title="The well committee", summary="Women ran the well.")
        await rosa.ok("reflect", story_id="story-1", kind="heard", text="Trust came first.")
        await facilitator.ok("end_exchange")
    finally:
        for client in (facilitator, amina, rosa):
            await client.close()


def exchange_that_ran(server: ServerProcess) -> Setup:
    setup = scheduled_exchange(server, practitioners=2)
    # Playwright's sync API keeps a loop on this thread, so the async scenario runs on its own thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _run_exchange(server, setup)).result(timeout=60)
    return setup


def test_lead_downloads_the_html_transcript_with_its_chart(server: ServerProcess, browser: Browser, artifacts: Path) -> None:
    setup = exchange_that_ran(server)
    eid, pid = setup.exchange_id, setup.programme_id
    tag = re.search(r"Exchange ([0-9a-f]{8})", setup.facilitator.get(f"/exchanges/{eid}").text).group(1)  # type: ignore[union-attr]
    context = browser.new_context(accept_downloads=True, viewport={"width": 1100, "height": 900})
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{server.url}/login")
        page.fill("#email", f"lead-{tag}@example.org")
        page.fill("#password", PASSWORD)
        page.locator("form button[type=submit]").click()
        page.wait_for_url(re.compile(r"/programmes"))

        page.goto(f"{server.url}/programmes/{pid}")
        expect(page.get_by_role("link", name="Download the whole programme (ZIP)")).to_be_visible()
        page.screenshot(path=artifacts / "transcript-programme-dashboard.png", full_page=True)
        link = page.locator(f'a[href="/exchanges/{eid}/transcript.html"]')
        expect(link).to_be_visible()
        with page.expect_download() as info:
            link.click()
        download = info.value
        assert download.suggested_filename == f"exchange-{eid}-transcript.html"
        saved = artifacts / f"transcript-{eid}.html"
        download.save_as(saved)

        doc = context.new_page()
        doc.on("pageerror", lambda exc: errors.append(str(exc)))
        doc.goto(saved.resolve().as_uri())
        expect(doc.locator("h1")).to_be_visible()
        chart = doc.locator("svg.chart")
        expect(chart).to_be_visible()
        assert chart.locator("rect").count() == 2  # one bar per participant
        widths = [float(w) for w in chart.locator("rect").evaluate_all("rs => rs.map(r => r.getAttribute('width'))")]
        assert max(widths) > 0
        box = chart.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 20
        expect(doc.get_by_text("The well committee")).to_be_visible()
        doc.screenshot(path=artifacts / "transcript-html.png", full_page=True)
        assert not errors, errors
    finally:
        context.close()
        setup.close()
