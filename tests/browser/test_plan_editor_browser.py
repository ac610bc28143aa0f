"""In headless Chromium: the plan editor edits every setting of a cards phase, moves phases by keyboard
and by drag without a reload, asks before removing one, and weighs the total against the schedule;
then the plan goes to the method library. Screenshots of the editor and the library, laptop and phone.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session

from exchange.db import make_engine
from exchange.programmes.models import Exchange
from exchange.prompts.catalog import get_template
from tests.browser.test_foundation_browser import LAPTOP, PHONE, no_sideways_scroll, watch_errors
from tests.integration.test_plan_library import Team
from tests.support.servers import ServerProcess
from tests.support.web import PASSWORD

pytestmark = pytest.mark.browser

LEVERS = 2  # story-exchange: the cultural levers cards phase


def stored_plan(server: ServerProcess, exchange_id: int) -> dict:
    engine = make_engine(server.database_url)
    try:
        with Session(engine) as db:
            exchange = db.get(Exchange, exchange_id)
            assert exchange is not None
            return exchange.plan
    finally:
        engine.dispose()


def log_in(page: Page, server: ServerProcess, email: str) -> None:
    page.goto(f"{server.url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/programmes$"))


def titles(page: Page) -> list[str]:
    return page.locator("[data-phase] [data-phase-title]").all_inner_texts()


def test_the_editor_edits_a_cards_phase_reorders_in_place_and_asks_before_removing(
    server: ServerProcess, browser: Browser, artifacts: Path
) -> None:
    team = Team(server)
    template = get_template("story-exchange")
    context = browser.new_context(viewport=LAPTOP, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = watch_errors(page)
    try:
        log_in(page, server, f"fac-{team.tag}@example.org")
        page.goto(f"{server.url}/exchanges/{team.exchange_id}/plan")
        expect(page.get_by_role("heading", name="Phase plan")).to_be_visible()
        page.evaluate("window.__sameDocument = true")  # gone if anything below reloads the page

        # --- every setting of a cards phase -------------------------------------------------------
        levers = page.locator(f"#phase-{LEVERS}")
        levers.get_by_label("Title").fill("Who moves change")
        levers.get_by_label("Minutes", exact=True).fill("20")
        levers.get_by_label("Raised hands").select_option("progressive")
        levers.get_by_label("When time runs out").select_option("advance")
        levers.get_by_label("Field 1").fill("Who they are, in a few words")
        levers.get_by_label("Most characters").first.fill("120")
        levers.locator("li.card-field").nth(1).get_by_label("Remove this field").check()
        levers.get_by_label("Add a field").fill("What they risked")
        levers.locator("li.card-field--new").get_by_label("Most characters").fill("250")
        levers.get_by_label("Votes per person").fill("2")
        levers.get_by_label("Who wrote a card").select_option("optional")
        levers.get_by_label("Prompts (one per line)").fill("Add one card for each person: {fields}.\nYou have {votes_each}.")
        levers.locator("details.placeholders summary").click()
        expect(levers.locator(".placeholders__list")).to_contain_text("{votes_each}")

        # --- the running total against the 120 scheduled minutes ------------------------------------
        total = page.locator("[data-plan-total]")
        expect(total).to_contain_text("125 of 120 scheduled minutes")
        warning = page.locator("[data-total-warning]")
        expect(warning).to_be_visible()
        expect(warning).to_have_text(re.compile(r"runs 5 minutes longer than the 120 scheduled"))
        page.locator("#phase-1").get_by_label("Minutes", exact=True).fill("30")
        expect(total).to_contain_text("120 of 120 scheduled minutes")
        expect(warning).to_be_hidden()
        expect(page.locator("[data-unsaved]")).to_be_visible()

        # --- reorder by keyboard: the drag handle's arrow keys, and the move buttons ------------------
        handle = levers.locator("[data-drag]")
        handle.focus()
        page.keyboard.press("ArrowUp")
        assert titles(page)[:3] == [template.phases[0].title, "Who moves change", template.phases[1].title]
        expect(handle).to_be_focused()
        expect(levers.locator("[data-phase-number]")).to_have_text("2")
        expect(page.locator("[data-announce]")).to_have_text("“Who moves change” is now phase 2 of 8.")
        down = levers.get_by_role("button", name="Move down: Who moves change")
        down.focus()
        page.keyboard.press("Enter")
        assert titles(page)[1:3] == [template.phases[1].title, "Who moves change"]
        expect(down).to_be_focused()
        expect(page.locator("#phase-0").get_by_role("button", name=re.compile("^Move up"))).to_be_disabled()

        # --- reorder by drag: the closing phase, dragged to the top -----------------------------------
        closing = page.locator(f"#phase-{len(template.phases) - 1}")
        closing.locator("[data-drag]").scroll_into_view_if_needed()
        box = closing.locator("[data-drag]").bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        expect(page.locator("[data-phases]")).to_have_class(re.compile("plan-phases--dragging"))
        page.screenshot(path=artifacts / "plan-editor-02-dragging.png")
        x = box["x"] + box["width"] / 2
        # Hold the pointer near the top edge until the page has scrolled up to the first phase.
        for step in range(200):
            top = page.locator("#phase-0 .phase-editor__head").bounding_box()
            assert top is not None
            if top["y"] > 100:
                break
            page.mouse.move(x + step % 2, 30)
        page.mouse.move(x, top["y"] + 4, steps=8)
        page.mouse.up()
        assert titles(page)[0] == template.phases[-1].title
        expect(closing.locator("[data-phase-number]")).to_have_text("1")

        # --- remove, after a confirmation; undo; remove again -----------------------------------------
        commonalities = page.locator("#phase-3")
        name = template.phases[3].title
        summary = commonalities.locator("[data-remove] > summary")
        expect(summary).to_have_attribute("aria-label", f"Remove: {name}")
        summary.click()
        confirm = commonalities.get_by_role("button", name="Yes, remove this phase")
        expect(confirm).to_be_visible()
        expect(commonalities.locator(".confirm__box")).to_contain_text(f"Remove “{name}” from the plan?")
        assert name in titles(page)  # nothing happens before the confirmation
        confirm.click()
        assert name not in titles(page)
        undo = page.get_by_role("button", name="Undo")
        expect(undo).to_be_focused()
        expect(page.locator("[data-undo]")).to_contain_text(f"Removed “{name}”.")
        expect(total).to_contain_text("110 of 120")
        undo.click()
        assert name in titles(page)
        expect(total).to_contain_text("120 of 120")
        summary.focus()
        page.keyboard.press("Enter")  # the keyboard opens the confirmation too
        commonalities.get_by_role("button", name="Yes, remove this phase").click()
        assert name not in titles(page)
        assert page.evaluate("window.__sameDocument === true"), "the page reloaded"
        page.screenshot(path=artifacts / "plan-editor-01-laptop.png", full_page=True)

        # --- save: one request with the order the page shows ------------------------------------------
        expected = titles(page)
        page.get_by_role("button", name="Save plan").click()
        expect(page.get_by_role("status").filter(has_text="Plan saved.")).to_be_visible()
        plan = stored_plan(server, team.exchange_id)
        assert [phase["title"] for phase in plan["phases"]] == expected
        saved = next(phase for phase in plan["phases"] if phase["title"] == "Who moves change")
        assert saved["minutes"] == 20 and saved["queue_order"] == "progressive" and saved["on_expiry"] == "advance"
        assert saved["card_fields"] == [
            {"key": "who", "label": "Who they are, in a few words", "max_length": 120},
            {"key": "how-engaged", "label": "How they were engaged", "max_length": 500},
            {"key": "what-they-risked", "label": "What they risked", "max_length": 250},
        ]
        assert (saved["votes_per_person"], saved["card_anonymity"]) == (2, "optional")
        assert saved["prompts"] == ["Add one card for each person: {fields}.", "You have {votes_each}."]

        # --- a prompt with an unknown placeholder is refused next to it -------------------------------
        first = page.locator("#phase-0")
        first.get_by_label("Prompts (one per line)").fill("You have {time_left}.")
        page.get_by_role("button", name="Save plan").click()
        expect(page.locator("#p0_prompts-error")).to_contain_text("“{time_left}” is not a placeholder this phase knows")
        expect(page.get_by_role("alert")).to_contain_text("Nothing was saved.")
        assert stored_plan(server, team.exchange_id) == plan

        # --- into the method library ------------------------------------------------------------------
        page.goto(f"{server.url}/exchanges/{team.exchange_id}/plan")
        page.get_by_label("Title of a new template").fill("Kisumu, adapted")
        page.get_by_label("What changed, for the others").fill("Levers before stories")
        page.get_by_role("button", name="Save to the library").click()
        expect(page).to_have_url(re.compile(rf"/programmes/{team.programme_id}/library\?saved=1"))
        expect(page.locator(".library-item--saved")).to_contain_text("Kisumu, adapted")
        page.screenshot(path=artifacts / "plan-library-01-laptop.png", full_page=True)

        # --- at 360 px: nothing sideways, everything reachable ----------------------------------------
        page.set_viewport_size(PHONE)
        no_sideways_scroll(page)
        page.screenshot(path=artifacts / "plan-library-02-phone.png", full_page=True)
        page.goto(f"{server.url}/exchanges/{team.exchange_id}/plan")
        no_sideways_scroll(page)
        page.locator(f"#phase-{LEVERS}").scroll_into_view_if_needed()
        page.screenshot(path=artifacts / "plan-editor-03-phone.png", full_page=True)
        # The editor's phone view, one screen at the cards phase (the full page is long).
        page.locator("#phase-1").scroll_into_view_if_needed()
        page.screenshot(path=artifacts / "plan-editor-04-phone-cards.png")

        expected_errors = "Failed to load resource: the server responded with a status of 400"
        assert [e for e in errors if expected_errors not in e] == []
    finally:
        context.close()
        team.close()
