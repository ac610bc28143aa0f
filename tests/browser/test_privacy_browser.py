"""In headless Chromium: the privacy promises the pages make, kept where people see them.

Three practitioners on phones and a facilitator at the console: a card phase that promises
anonymity has nothing to untick and names no one, even to the facilitator; vote totals and the
closing summary wait for three people; after the end a practitioner reviews their record, changes
how it names them and keeps their card off it. Screenshots of the review page go to tests/artifacts.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_activities_browser import next_phase
from tests.browser.test_live_browser import (
    Exchange,
    Facilitator,
    confirm,
    facilitator,  # noqa: F401  (a fixture)
    no_sideways_scroll,
    open_console,
    open_phone,
    scheduled_exchange,
)
from tests.support.servers import ServerProcess
from tests.support.web import WebClient, invite_links

pytestmark = pytest.mark.browser

PHASES = ("Story sharing", "Cultural levers", "Commonalities across contexts", "Engaging men as allies")


def with_a_third(server: ServerProcess, facilitator: Facilitator, exchange: Exchange) -> Exchange:  # noqa: F811
    client = WebClient(server.url)
    try:
        client.login(facilitator.email)
        assert client.post(f"/exchanges/{exchange.id}/participants", {"name": "Tomás Ribeiro"}).status_code == 303
        links = invite_links(client.get(f"/exchanges/{exchange.id}").text)
        assert len(links) == 3
        return Exchange(exchange.id, links)
    finally:
        client.close()


def test_the_pages_keep_their_privacy_promises(
    server: ServerProcess, browser: Browser, facilitator: Facilitator, artifacts: Path  # noqa: F811
) -> None:
    exchange = with_a_third(server, facilitator, scheduled_exchange(server, facilitator))
    errors: list[str] = []
    console = open_console(browser, server, facilitator, exchange, errors)
    phones = [open_phone(browser, link, errors, who) for link, who in zip(exchange.links, ("amina", "rosa", "tomas"), strict=True)]
    amina, rosa, tomas = (page for _context, page in phones)
    pages = (amina, rosa, tomas)
    activity = console.locator("#activity-panel")
    console.get_by_role("button", name="Start the exchange").click()
    confirm(console, "Start the exchange")
    for title in (*PHASES, "Collective problem solving"):
        next_phase(console, title, pages)

    # The prompt promises anonymous cards: the form says so, has nothing to untick, and keeps it.
    expect(rosa.locator(".act--add-card")).to_contain_text("Cards here are anonymous")
    expect(rosa.get_by_label("Add it anonymously")).to_have_count(0)
    rosa.get_by_label("The challenge").fill("My brother-in-law blocks the school visits")
    rosa.get_by_label("An idea that could help").fill("Ask the imam to speak to him")
    rosa.get_by_role("button", name="Add card").tap()
    card = activity.locator(".act-card").filter(has_text="brother-in-law")
    expect(card).to_contain_text("Anonymous")
    expect(card).not_to_contain_text("Rosa")
    expect(amina.locator(".act-card").filter(has_text="brother-in-law")).not_to_contain_text("Rosa")
    expect(rosa.locator(".act-card").filter(has_text="brother-in-law")).to_contain_text("Yours")

    # One or two people's dots would give them away: totals wait for the third voter, at the console too.
    activity.get_by_role("button", name="Open voting").click()
    amina.get_by_role("button", name="Vote for “My brother-in-law blocks the school visits”").tap()
    expect(amina.locator(".act-dots")).to_have_text("Your votes: 1")
    expect(activity).to_contain_text("Totals appear once at least 3 people have voted (1 so far)")
    expect(card.locator(".badge--votes")).to_have_count(0)
    for page in (rosa, tomas):
        page.get_by_role("button", name="Vote for “My brother-in-law blocks the school visits”").tap()
        expect(page.locator(".act-dots")).to_have_text("Your votes: 1")
    expect(card.locator(".badge--votes")).to_have_text("3 votes")
    console.screenshot(path=artifacts / "privacy-votes-console.png", full_page=True)

    # The closing summary: counts only until three have answered; then averages and comments, unsigned.
    next_phase(console, "Crafting messages for funding partners", pages)
    next_phase(console, "Closing reflection", pages)
    for page, score, text in ((amina, "5", "I felt heard."), (rosa, "4", "More time for stories."), (tomas, "4", "")):
        for group in page.locator(".act-scale").all():
            group.get_by_text(score, exact=True).tap()
        if text:
            page.get_by_label("Anything else you want to tell us").fill(text)
        page.get_by_role("button", name="Send my feedback").tap()
        expect(page.locator(".act-done")).to_contain_text("You can change your answers until the end")
    console.get_by_role("button", name="End exchange").click()
    confirm(console, "End exchange")
    expect(activity).to_contain_text("average 4.33 of 5")
    expect(activity.locator(".act-texts")).to_contain_text("I felt heard.")
    for name in ("Amina", "Rosa", "Tomás"):
        expect(activity.locator(".act--summary")).not_to_contain_text(name)

    # After the end: Rosa reviews her record from the thank-you page.
    expect(rosa.locator(".live-thanks")).to_contain_text("Review my record")
    rosa.get_by_role("link", name="Review my record").tap()
    expect(rosa.locator("h1")).to_have_text("Stories of change across contexts")
    mine = rosa.locator(".record-item").filter(has_text="brother-in-law")
    expect(mine).to_contain_text("in the record, anonymously")
    expect(rosa.locator(".record-status, .record__status")).to_contain_text("draft for you to review")
    rosa.get_by_text("anonymously", exact=True).tap()
    rosa.get_by_role("button", name="Save how I am named").tap()
    expect(rosa.get_by_role("status")).to_contain_text("Saved")
    expect(rosa.locator("#naming")).to_contain_text("You appear now as: Participant 2")
    mine.get_by_role("button", name="Keep off the record").tap()
    mine = rosa.locator(".record-item").filter(has_text="brother-in-law")
    expect(mine).to_contain_text("off the record")
    expect(mine.get_by_role("button", name="Put back in the record")).to_be_visible()
    no_sideways_scroll(rosa)
    rosa.screenshot(path=artifacts / "privacy-record-phone.png", full_page=True)
    assert errors == []
    for context in (console.context, *(context for context, _page in phones)):
        context.close()
