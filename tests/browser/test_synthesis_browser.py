"""In headless Chromium: a teller places their story on the triangle and sliders by keyboard, by touch,
and without the script; the programme's learning pages (themes, search, selection, placements, the
report) render at phone width without sideways scrolling and without script or CSP errors."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.browser.test_foundation_browser import LAPTOP, PHONE, no_sideways_scroll, watch_errors
from tests.support.servers import ServerProcess
from tests.support.synthesis import MSC_SELECTION, SE_LEVERS, SE_PROBLEMS, Person, Programme, finish, new_programme, play
from tests.support.themes import labelled
from tests.support.web import PASSWORD, WebClient

pytestmark = pytest.mark.browser
REASON = "The well committee story shows women deciding for the whole village. It changed who speaks at meetings."


async def _programme(server: ServerProcess) -> tuple[Programme, int, WebClient]:
    """Two exchanges with stories and cards from the hand-labelled set, one with a selection; a scale."""
    programme = new_programme(server)
    rows = labelled()
    faith = [text for theme, text in rows if theme == "faith"][:8]
    money = [text for theme, text in rows if theme == "money"][:8]
    school = [text for theme, text in rows if theme == "school"][:6]
    first = await play(server, programme, title="Kisumu exchange", people=[
        Person("Amina Odhiambo", "Kenya", story=("The well committee", "Women now run the water committee and speak at village meetings.")),
        Person("Rosa Quispe", "Peru", consent="initials", story=("Savings circle", money[0])),
        Person("Tomás Vega", "Peru", consent="anonymous", story=("The imam's sermon", faith[0])),
    ], cards={
        SE_LEVERS: [(i % 3, {"who": text, "influence": "", "how-engaged": ""}, False) for i, text in enumerate(faith[1:] + money[1:])],
        SE_PROBLEMS: [(i % 3, {"challenge": text, "idea": ""}, i % 2 == 0) for i, text in enumerate(school)],
    })  # fmt: skip
    second = await play(server, programme, title="Lima exchange", template="most-significant-change", end=False, people=[
        Person("Kofi Mensah", "Ghana", story=("Girls back in class", school[0])),
        Person("Lena Diaz", "Peru", story=("The pastor", faith[1])),
    ])  # fmt: skip
    await second.facilitator.ok("goto_phase", index=MSC_SELECTION)
    await second.facilitator.ok("record_selection", story_ids=["story-1"], reason="It shows what changes when girls stay in school.", dissent="")
    await finish(second)
    lead = programme.lead
    base = f"/programmes/{programme.id}"
    assert lead.post(f"{base}/placements/scale", {"c0": "A person", "c1": "A family", "c2": "A community",
                                                   "l0": "How lasting is it?", "lo0": "Fragile", "hi0": "Lasting"}).status_code == 303  # fmt: skip
    assert lead.post(f"{base}/selection/levels", {"name": "Region"}).status_code == 303
    assert lead.post(f"{base}/selection/panels", {"level_id": "l-1", "name": "Americas", "sources": str(second.exchange_id)}).status_code == 303
    assert lead.post(f"{base}/selection/panels/p-1", {"story_keys": f"{second.exchange_id}:story-1", "reason": REASON}).status_code == 303
    for n, page in enumerate(first.pages[1:]):
        form = {"story_id": f"story-{n + 2}", "t0": str(20 + 30 * n), "t1": "30", "t2": "40", "s0": str(30 + 40 * n)}
        assert page.post(f"/e/{first.exchange_id}/record/placement", form).status_code == 303
    await second.close()
    amina = first.pages[0]
    for client in (first.facilitator, *first.sockets):
        await client.close()
    for other in first.pages[1:]:
        other.close()
    return programme, first.exchange_id, amina


def programme_that_ran(server: ServerProcess) -> tuple[Programme, int, WebClient]:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _programme(server)).result(timeout=120)


def as_practitioner(context: BrowserContext, server: ServerProcess, client: WebClient) -> None:
    """The practitioner's device cookie, moved into the browser (the link is a key for one device)."""
    context.add_cookies([
        {"name": c.name, "value": c.value or "", "domain": "127.0.0.1", "path": c.path or "/"} for c in client.http.cookies.jar
    ])  # fmt: skip


def values(page, names=("t0", "t1", "t2")) -> list[int]:  # noqa: ANN001
    return [int(page.locator(f"input[name={n}]").first.input_value()) for n in names]


def test_a_teller_places_their_story_by_keyboard_touch_and_without_the_script(server: ServerProcess, browser: Browser, artifacts: Path) -> None:
    programme, eid, amina = programme_that_ran(server)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    as_practitioner(context, server, amina)
    try:
        page = context.new_page()
        errors = watch_errors(page)
        page.goto(f"{server.url}/e/{eid}/record")
        expect(page.get_by_role("heading", name="Place your story")).to_be_visible()
        handle = page.locator(".triangle-pad__handle")
        expect(handle).to_be_visible()
        assert values(page) == [34, 33, 33]
        # Keyboard: up moves towards the top corner, left towards the bottom left one.
        handle.focus()
        for _ in range(6):
            page.keyboard.press("ArrowUp")
        up = values(page)
        assert up[0] > 34 and sum(up) == 100
        page.keyboard.press("Shift+ArrowLeft")
        page.keyboard.press("Shift+ArrowLeft")
        left = values(page)
        assert left[1] > up[1] and sum(left) == 100
        assert handle.get_attribute("aria-valuetext") == f"A person {left[0]}, A family {left[1]}, A community {left[2]}"
        page.keyboard.press("Home")
        assert values(page) == [34, 33, 33]
        slider = page.locator("input[name=s0]")
        slider.focus()
        for _ in range(10):
            page.keyboard.press("ArrowRight")
        assert slider.input_value() == "60" and slider.get_attribute("aria-valuetext") == "60 / 100"
        handle.focus()
        for _ in range(4):
            page.keyboard.press("Shift+ArrowDown")
            page.keyboard.press("Shift+ArrowRight")
        placed = values(page)
        assert placed[2] > 50 and sum(placed) == 100
        no_sideways_scroll(page)
        page.screenshot(path=artifacts / "synthesis-record-placement-phone.png", full_page=True)
        page.get_by_role("button", name="Save where my story sits").click()
        expect(page).to_have_url(re.compile(r"saved=placement"))
        expect(page.get_by_role("status").filter(has_text="Your placement was saved")).to_be_visible()
        assert values(page) == placed and page.locator("input[name=s0]").input_value() == "60"
        # Touch: a tap near the top corner puts nearly all the weight there.
        box = page.locator(".triangle-pad").bounding_box()
        assert box is not None
        page.touchscreen.tap(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.14)
        tapped = values(page)
        assert tapped[0] >= 90 and sum(tapped) == 100
        page.get_by_role("button", name="Save the change").tap()
        expect(page).to_have_url(re.compile(r"saved=placement"))
        assert values(page) == tapped
        assert errors == []
    finally:
        context.close()
    # Without the script: three plain number inputs and the slider still do it.
    plain = browser.new_context(viewport=PHONE, java_script_enabled=False)
    as_practitioner(plain, server, amina)
    try:
        page = plain.new_page()
        page.goto(f"{server.url}/e/{eid}/record")
        expect(page.locator(".triangle-pad")).to_have_count(0)
        for name, value in (("t0", "10"), ("t1", "10"), ("t2", "80")):
            page.locator(f"input[name={name}]").fill(value)
        page.get_by_role("button", name="Save the change").click()
        expect(page).to_have_url(re.compile(r"saved=placement"))
        assert values(page) == [10, 10, 80]
    finally:
        plain.close()
    # The lead sees the dot where it was put.
    plots = programme.lead.get(f"/programmes/{programme.id}/placements").text
    assert plots.count('class="plot__dot"') == 6  # three stories, on the triangle and the slider
    programme.close()
    amina.close()


def test_the_learning_pages_at_phone_and_laptop_width(server: ServerProcess, browser: Browser, artifacts: Path) -> None:
    programme, _eid, amina = programme_that_ran(server)
    amina.close()
    pid = programme.id
    context = browser.new_context(viewport=LAPTOP)
    try:
        page = context.new_page()
        errors = watch_errors(page)
        page.goto(f"{server.url}/login")
        page.fill("#email", programme.lead_email)
        page.fill("#password", PASSWORD)
        page.locator("form button[type=submit]").click()
        page.wait_for_url(re.compile(r"/programmes"))
        pages = {
            "programme": f"/programmes/{pid}",
            "themes": f"/programmes/{pid}/themes",
            "search": f"/programmes/{pid}/search?q=women",
            "selection": f"/programmes/{pid}/selection",
            "placements": f"/programmes/{pid}/placements",
            "report": f"/programmes/{pid}/report",
        }
        for name, path in pages.items():
            for label, size in (("laptop", LAPTOP), ("phone", PHONE)):
                page.set_viewport_size(size)
                page.goto(f"{server.url}{path}")
                expect(page.locator("h1").first).to_be_visible()
                no_sideways_scroll(page)
                page.screenshot(path=artifacts / f"synthesis-{name}-{label}.png", full_page=True)
        page.goto(f"{server.url}/programmes/{pid}/themes")
        expect(page.locator(".theme").first).to_be_visible()
        assert page.locator(".theme").first.locator("blockquote").count() >= 2
        page.goto(f"{server.url}/programmes/{pid}/placements")
        expect(page.locator("svg.plot--triangle")).to_be_visible()
        page.locator("svg.plot--triangle a.plot__dot").first.click()
        expect(page.locator("h1")).to_be_visible()
        assert "/stories/" in page.url
        page.screenshot(path=artifacts / "synthesis-story-laptop.png", full_page=True)
        page.goto(f"{server.url}/programmes/{pid}/report")
        expect(page.locator("svg.plot--triangle")).to_be_visible()
        expect(page.get_by_text(REASON)).to_be_visible()
        assert errors == [], errors
    finally:
        context.close()
    pdf = programme.lead.get(f"/programmes/{pid}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    (artifacts / "synthesis-report.pdf").write_bytes(pdf.content)
    programme.close()
