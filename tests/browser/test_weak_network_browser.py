"""In headless Chromium: a practitioner on a weak phone connection loses nothing.

The phone reaches the server through a small proxy (tests/support/netem.py) that holds bytes back as
lost segments would be, cuts connections at random, or goes silently dead, with Chromium's own
emulation (latency, throughput, offline spells) on top. What is typed while an earlier submission is
still on its way stays in the field; a reload, a cut line and a second tap change nothing; every card,
reflection and draft section typed arrives exactly once; a dead link is shown within 5 s (on the
page's own clock, moved on by Playwright: no waiting on the wall clock).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.test_live_browser import (
    Exchange,
    Facilitator,
    confirm,
    facilitator,  # noqa: F401  (a fixture)
    open_console,
    open_phone,
    scheduled_exchange,
)
from tests.support.netem import WeakLink
from tests.support.servers import ROOT, ServerProcess

pytestmark = pytest.mark.browser

SHOTS = ROOT / "test-artifacts" / "weak-network"

SLOW = {"offline": False, "latency": 150, "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8}


def weak_phone(browser: Browser, exchange: Exchange, link: WeakLink, server: ServerProcess) -> tuple[BrowserContext, Page]:
    """Amina's phone, through the weak link, on a slow line; her page errors are the network's, not checked."""
    context, page = open_phone(browser, exchange.links[0].replace(server.url, link.url), [], "amina")
    page.set_default_timeout(30_000)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW)
    return context, page


def start_and_jump(console: Page, n: int, title: str, phones: tuple[Page, ...]) -> None:
    console.get_by_role("button", name=f"Jump to phase {n}: {title}").click()
    confirm(console, "Jump to this phase")
    for page in phones:
        expect(page.locator(".live-now__title")).to_have_text(title)


def start(console: Page) -> None:
    console.get_by_role("button", name="Start the exchange").click()
    confirm(console, "Start the exchange")


def add_card(page: Page, who: str) -> None:
    page.get_by_label("Who they are").fill(who)
    page.get_by_role("button", name="Add card").tap()


def nothing_waiting(page: Page) -> None:
    """The page holds no unanswered command (the outbox in sessionStorage is gone)."""
    page.wait_for_function(
        "() => !Object.keys(sessionStorage).some((k) => k.startsWith('story-exchange:outbox:'))", timeout=60_000
    )


def test_text_typed_while_sending_survives_the_reply(
    server: ServerProcess, browser: Browser, facilitator: Facilitator, artifacts: Path  # noqa: F811
) -> None:
    exchange = scheduled_exchange(server, facilitator)
    console = open_console(browser, server, facilitator, exchange, [])
    with WeakLink(server.port) as link:
        context, amina = weak_phone(browser, exchange, link, server)
        start(console)
        start_and_jump(console, 3, "Cultural levers", (amina,))
        link.weaken(delay_probability=1.0, delay_range=(0.8, 0.8))  # every reply comes late
        add_card(amina, "The village chief")
        submit = amina.locator(".act--add-card button[type=submit]")
        expect(submit).to_have_text("Sending…")
        amina.get_by_label("Who they are").fill("The women's savings group")  # typed while sending
        SHOTS.mkdir(parents=True, exist_ok=True)
        amina.locator(".act--add-card").screenshot(path=SHOTS / "sending.png")
        expect(submit).to_have_text("Add card")
        expect(amina.get_by_label("Who they are")).to_have_value("The women's savings group")
        expect(amina.locator(".act--add-card .act-sent")).to_have_text("Sent")
        expect(amina.locator("#live-announcer")).to_contain_text("Sent")
        amina.locator(".act--add-card").screenshot(path=SHOTS / "sent.png")
        link.heal()
        amina.get_by_role("button", name="Add card").tap()
        for text in ("The village chief", "The women's savings group"):
            expect(console.locator(".act-card").filter(has_text=text)).to_have_count(1)
        expect(amina.get_by_label("Who they are")).to_have_value("")

        # What arrived is said: a vote counted, a section saved.
        start_and_jump(console, 6, "Collective problem solving", (amina,))
        amina.get_by_label("The challenge").fill("Fathers don't come to school meetings")
        amina.get_by_role("button", name="Add card").tap()
        console.locator("#activity-panel").get_by_role("button", name="Open voting").click()
        amina.get_by_role("button", name="Vote for “Fathers don't come to school meetings”").tap()
        expect(amina.locator("#live-announcer")).to_contain_text("Your vote counted")
        start_and_jump(console, 7, "Crafting messages for funding partners", (amina,))
        amina.get_by_label("Text of “The need”").fill("Girls walk two hours to school.")
        amina.locator(".act-draft").first.get_by_role("button", name="Save section").tap()
        expect(amina.locator("#live-announcer")).to_contain_text("Saved")
        expect(amina.locator(".act-draft .act-sent").first).to_have_text("Saved")
        context.close()
    console.context.close()


def test_a_dead_link_is_shown_within_five_seconds(
    server: ServerProcess, browser: Browser, facilitator: Facilitator  # noqa: F811
) -> None:
    exchange = scheduled_exchange(server, facilitator)
    with WeakLink(server.port) as link:
        context = browser.new_context(viewport={"width": 360, "height": 780}, is_mobile=True, has_touch=True)
        page = context.new_page()
        page.clock.install()  # the page's timers run on a clock the test moves on
        page.goto(exchange.links[0].replace(server.url, link.url))
        page.get_by_role("button", name="Continue").tap()
        page.get_by_text("I accept these ground rules.").tap()
        page.get_by_text("by my name").tap()
        page.get_by_role("button", name="Accept and continue").tap()
        status = page.locator("[data-live-conn]")
        expect(status).to_have_text("Connected")
        page.clock.run_for(6_000)  # a quiet, healthy link stays connected (pings are answered)
        expect(status).to_have_text("Connected")
        link.dead()
        page.clock.run_for(5_000)
        expect(status).not_to_have_text("Connected", timeout=1)
        expect(status).to_have_text("Reconnecting…", timeout=1)
        link.alive()
        page.clock.run_for(20_000)
        expect(status).to_have_text("Connected", timeout=30_000)
        context.close()


def test_every_card_reflection_and_draft_arrives_exactly_once(
    server: ServerProcess, browser: Browser, facilitator: Facilitator, artifacts: Path  # noqa: F811
) -> None:
    exchange = scheduled_exchange(server, facilitator)
    console = open_console(browser, server, facilitator, exchange, [])
    rosa_context, rosa = open_phone(browser, exchange.links[1], [], "rosa")
    with WeakLink(server.port, seed=30) as link:
        context, amina = weak_phone(browser, exchange, link, server)
        start(console)
        start_and_jump(console, 2, "Story sharing", (amina, rosa))
        console.get_by_role("button", name="Start Rosa Quispe's turn").click()
        rosa.get_by_label("Title").fill("The market women")
        rosa.get_by_role("button", name="Share my story").tap()
        expect(amina.locator(".act-story")).to_contain_text("The market women")

        # About 30% of chunks come late and one in twenty cuts the line, ack or command alike.
        link.weaken(delay_probability=0.3, cut_probability=0.05)
        reflections = ["How the market women met every Friday.", "That the men came to listen in the end."]
        amina.get_by_label("Your reflection").fill(reflections[0])
        amina.get_by_role("button", name="Share my reflection").tap()
        amina.get_by_role("button", name="Share my reflection").tap()  # a second, impatient tap
        expect(amina.get_by_role("button", name="Share my reflection")).to_be_visible()
        amina.get_by_label("Your reflection").fill(reflections[1])
        amina.get_by_role("button", name="Share my reflection").tap()
        amina.reload()  # mid-send: the command waits in sessionStorage and goes again, same id
        expect(amina.locator("[data-live-conn]")).to_have_text("Connected", timeout=60_000)
        nothing_waiting(amina)

        start_and_jump(console, 3, "Cultural levers", (amina,))
        cards = [f"Lever {n}: the {who}" for n, who in enumerate(
            ["village chief", "imam", "market women", "teachers", "radio host", "midwife", "youth club", "grandmothers"], 1)]
        for n, text in enumerate(cards):
            amina.get_by_label("Who they are").fill(text)
            amina.get_by_role("button", name="Add card").tap()
            if n == 2:
                context.set_offline(True)  # an offline spell with a card on its way
                amina.wait_for_timeout(1500)
                context.set_offline(False)
            if n == 4:
                link.dead()  # the line goes silent with a card on its way...
                expect(amina.locator("[data-live-conn]")).not_to_have_text("Connected")
                link.alive()  # ...and comes back
            if n == 6:
                amina.reload()
                expect(amina.locator("[data-live-conn]")).to_have_text("Connected", timeout=60_000)
            # The next card is typed as soon as the field is free (its text was sent, or kept).
            expect(amina.locator(".act--add-card button[type=submit]")).to_have_text("Add card", timeout=60_000)
        nothing_waiting(amina)

        start_and_jump(console, 7, "Crafting messages for funding partners", (amina,))
        need = amina.get_by_label("Text of “The need”")
        need.fill("Girls walk two hours to school.")
        amina.locator(".act-draft").first.get_by_role("button", name="Save section").tap()
        amina.reload()
        expect(amina.locator("[data-live-conn]")).to_have_text("Connected", timeout=60_000)
        nothing_waiting(amina)
        link.heal()

        start_and_jump(console, 2, "Story sharing", (amina,))
        for text in reflections:
            expect(console.locator(".act-reflection").filter(has_text=text)).to_have_count(1)
        expect(console.locator(".act-reflection")).to_have_count(len(reflections))
        start_and_jump(console, 3, "Cultural levers", (amina,))
        for text in cards:
            expect(console.locator(".act-card").filter(has_text=text)).to_have_count(1)
        expect(console.locator(".act-card")).to_have_count(len(cards))
        start_and_jump(console, 7, "Crafting messages for funding partners", (amina,))
        expect(console.locator(".act-draft").first).to_contain_text("version 1")
        expect(console.locator(".act-draft").first.locator("textarea")).to_have_value("Girls walk two hours to school.")
        print(f"weak link: {link.cuts} connections cut")
        context.close()
    rosa_context.close()
    console.context.close()
