"""In headless Chromium: the facilitator hides an anonymous card from the console in one action; every
phone loses it, its author's phone alone tells her (with the reason), nobody is named; Undo brings it
back; after the end her record page shows it as hidden by the facilitator. Screenshots of the console
and the author's phone go to tests/artifacts.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.test_activities_browser import next_phase
from tests.browser.test_live_browser import (
    PRACTITIONERS,
    Facilitator,
    confirm,
    facilitator,  # noqa: F401  (a fixture)
    no_sideways_scroll,
    open_console,
    open_phone,
    scheduled_exchange,
)
from tests.support.servers import ServerProcess

pytestmark = pytest.mark.browser

PHASES = ("Story sharing", "Cultural levers", "Commonalities across contexts", "Engaging men as allies",
          "Collective problem solving")  # fmt: skip
ABUSIVE = "Everyone from the northern district is lazy"
REASON = "It insults a whole community."


def test_the_facilitator_hides_a_card_and_only_its_author_is_told(
    server: ServerProcess, browser: Browser, facilitator: Facilitator, artifacts: Path  # noqa: F811
) -> None:
    exchange = scheduled_exchange(server, facilitator)
    errors: list[str] = []
    console = open_console(browser, server, facilitator, exchange, errors)
    amina_context, amina = open_phone(browser, exchange.links[0], errors, "amina")
    rosa_context, rosa = open_phone(browser, exchange.links[1], errors, "rosa")
    phones = (amina, rosa)
    activity = console.locator("#activity-panel")
    console.get_by_role("button", name="Start the exchange").click()
    confirm(console, "Start the exchange")
    for title in PHASES:
        next_phase(console, title, phones)

    # Two anonymous cards (the phase promises anonymity); Rosa's is abusive.
    for page, challenge in ((amina, "Fathers skip the school meetings"), (rosa, ABUSIVE)):
        page.get_by_label("The challenge").fill(challenge)
        page.get_by_label("An idea that could help").fill("Talk it through")
        page.get_by_role("button", name="Add card").tap()
    for page in (console, *phones):
        expect(page.locator(".act-card")).to_have_count(2)
    card = activity.locator(".act-card").filter(has_text=ABUSIVE)

    # One action from the console: Hide, an optional reason, done.
    card.get_by_role("button", name=f"Hide “{ABUSIVE}” from everyone").click()
    card.get_by_label("A reason for the author (optional)").fill(REASON)
    card.screenshot(path=artifacts / "moderation-hide-form-console.png")
    card.get_by_role("button", name="Hide from every screen").click()
    for page in (console, *phones):
        expect(page.locator(".act-card").filter(has_text=ABUSIVE)).to_have_count(0)
        expect(page.locator(".act-card")).to_have_count(1)
    hidden = activity.locator(".act--hidden")
    expect(hidden).to_contain_text("Hidden by the facilitator (1)")
    expect(hidden).to_contain_text(f"Reason given: {REASON}")
    for name in PRACTITIONERS:
        expect(activity).not_to_contain_text(name.split()[0])
    hidden.get_by_text("Show the hidden text").click()
    expect(hidden).to_contain_text(ABUSIVE)

    # Rosa's phone, and only hers, says it was hers and why.
    notice = rosa.locator(".act--hidden-mine")
    expect(notice).to_contain_text(f"Your card “{ABUSIVE} / Talk it through” was hidden by the facilitator.")
    expect(notice).to_contain_text(f"Reason given: {REASON}")
    expect(amina.locator(".act--hidden-mine")).to_have_count(0)
    expect(amina.locator("#live")).not_to_contain_text(ABUSIVE)
    no_sideways_scroll(rosa)
    console.screenshot(path=artifacts / "moderation-console.png", full_page=True)
    rosa.screenshot(path=artifacts / "moderation-phone.png", full_page=True)

    # Undo brings it back everywhere, and Rosa's notice goes.
    hidden.get_by_role("button", name=re.compile(f"^Undo \\(Show “{ABUSIVE}")).click()  # the visible word first (label in name)
    for page in (console, *phones):
        expect(page.locator(".act-card").filter(has_text=ABUSIVE)).to_have_count(1)
    expect(rosa.locator(".act--hidden-mine")).to_have_count(0)
    expect(activity.locator(".act--hidden")).to_have_count(0)

    # Hidden again, and the exchange ends: Rosa's record says what happened to it.
    card.get_by_role("button", name=f"Hide “{ABUSIVE}” from everyone").click()
    card.get_by_role("button", name="Hide from every screen").click()
    expect(rosa.locator(".act--hidden-mine")).to_contain_text("was hidden by the facilitator")
    console.get_by_role("button", name="End exchange").click()
    confirm(console, "End exchange")
    rosa.get_by_role("link", name="Review my record").tap()
    mine = rosa.locator(".record-item").filter(has_text=ABUSIVE)
    expect(mine).to_contain_text("hidden by the facilitator")
    expect(mine).to_contain_text("The facilitator hid this from every screen")
    expect(mine.get_by_role("button")).to_have_count(0)
    no_sideways_scroll(rosa)
    rosa.screenshot(path=artifacts / "moderation-record-phone.png", full_page=True)
    assert errors == []
    for context in (console.context, amina_context, rosa_context):
        context.close()
