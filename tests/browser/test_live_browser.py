"""In headless Chromium: a facilitator steers a live exchange from the console; two practitioners follow
it on phones, each in their own browser context.

Runs against a real server on SQLite only; the websocket integration tests cover PostgreSQL.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from exchange.timeutil import utcnow
from tests.support.servers import ServerProcess
from tests.support.web import PASSWORD, WebClient, created_id, invite_links, seed_staff

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 780}
PRACTITIONERS = ("Amina Wanjiru", "Rosa Quispe")
CLOCK = re.compile(r"^\d{2}:\d{2}$")


@dataclass(frozen=True)
class Facilitator:
    email: str
    programme_id: int


@dataclass(frozen=True)
class Exchange:
    id: int
    links: list[str]


@pytest.fixture(scope="module")
def facilitator(server: ServerProcess) -> Facilitator:
    """A facilitator in a programme run by a lead, both seeded straight into the database."""
    tag = uuid.uuid4().hex[:8]
    lead_email, email = f"lead-{tag}@example.org", f"facilitator-{tag}@example.org"
    seed_staff(server.database_url, email=lead_email, name="Grace Lead", role="lead")
    seed_staff(server.database_url, email=email, name="Sam Facilitator", role="facilitator")
    lead = WebClient(server.url)
    try:
        lead.login(lead_email)
        programme_id = created_id(lead.post("/programmes", {"name": f"Allies {tag}"}), r"/programmes/(\d+)")
        assert lead.post(f"/programmes/{programme_id}/members", {"email": email}).status_code == 303
    finally:
        lead.close()
    return Facilitator(email=email, programme_id=programme_id)


def scheduled_exchange(
    server: ServerProcess,
    facilitator: Facilitator,
    *,
    template: str = "story-exchange",
    title: str = "Stories of change across contexts",
    purpose: str = "Two hours to hear each other's stories of change.",
    language: str = "en",
) -> Exchange:
    """A scheduled exchange on `template` with the two practitioners invited (links not yet opened)."""
    client = WebClient(server.url)
    try:
        client.login(facilitator.email)
        start = utcnow() + timedelta(hours=2)
        response = client.post(
            f"/programmes/{facilitator.programme_id}/exchanges",
            {
                "title": title,
                "purpose": purpose,
                "start_date": start.date().isoformat(),
                "start_time": start.strftime("%H:%M"),
                "timezone": "UTC",
                "duration_minutes": "120",
                "language": language,
                "template_key": template,
            },
        )
        exchange_id = created_id(response, r"/exchanges/(\d+)")
        assert client.post(f"/exchanges/{exchange_id}/status", {"status": "scheduled"}).status_code == 303
        for name in PRACTITIONERS:
            assert client.post(f"/exchanges/{exchange_id}/participants", {"name": name}).status_code == 303
        links = invite_links(client.get(f"/exchanges/{exchange_id}").text)
        assert len(links) == len(PRACTITIONERS)
        return Exchange(exchange_id, links)
    finally:
        client.close()


def watch_errors(page: Page, errors: list[str], who: str) -> None:
    """Script errors and CSP violations show up as page errors or console errors."""
    page.on("pageerror", lambda exc: errors.append(f"{who} pageerror: {exc}"))

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"{who} console: {message.text}")

    page.on("console", on_console)


def open_console(
    browser: Browser, server: ServerProcess, facilitator: Facilitator, exchange: Exchange, errors: list[str]
) -> Page:
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    page.set_default_timeout(10_000)
    watch_errors(page, errors, "console")
    page.goto(f"{server.url}/login?next=/exchanges/{exchange.id}/console")
    page.get_by_label("Email").fill(facilitator.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{server.url}/exchanges/{exchange.id}/console")
    expect(page.locator("[data-live-conn]")).to_have_text("Connected")
    return page


def open_phone(browser: Browser, link: str, errors: list[str], who: str) -> tuple[BrowserContext, Page]:
    """A practitioner opens their link on a phone and accepts the ground rules."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(10_000)
    watch_errors(page, errors, who)
    page.goto(link)
    page.get_by_role("button", name="Continue").tap()  # the link is now this phone's
    page.get_by_text("I accept these ground rules.").tap()
    page.get_by_text("by my name").tap()
    page.get_by_role("button", name="Accept and continue").tap()
    expect(page.locator("#live")).to_be_visible()
    expect(page.locator("[data-live-conn]")).to_have_text("Connected")
    return context, page


def confirm(page: Page, button: str) -> None:
    dialog = page.locator("dialog[open]")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=button).click()
    expect(dialog).to_have_count(0)


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide on a {PHONE['width']}px screen"


def test_turns_countdowns_and_raised_hands_reach_every_page(
    server: ServerProcess, browser: Browser, facilitator: Facilitator, artifacts: Path
) -> None:
    exchange = scheduled_exchange(server, facilitator)
    errors: list[str] = []
    console = open_console(browser, server, facilitator, exchange, errors)
    amina_context, amina = open_phone(browser, exchange.links[0], errors, "amina")
    rosa_context, rosa = open_phone(browser, exchange.links[1], errors, "rosa")

    # Before the start: the run of show from the plan, and both practitioners online in the roster.
    expect(console.locator(".console-show__item")).to_have_count(8)
    roster = console.locator(".console-roster__item")
    expect(roster.filter(has_text="Amina Wanjiru")).to_contain_text("online")
    expect(roster.filter(has_text="Rosa Quispe")).to_contain_text("online")
    expect(amina.locator(".countdown")).to_contain_text("Starts in")
    console.screenshot(path=artifacts / "live-01-console-waiting.png", full_page=True)
    amina.screenshot(path=artifacts / "live-02-phone-waiting.png", full_page=True)

    console.get_by_role("button", name="Start the exchange").click()
    confirm(console, "Start the exchange")
    for page in (amina, rosa):
        expect(page.locator(".live-now__title")).to_have_text("Welcome and ground rules")
        expect(page.locator(".live-now")).to_contain_text("Phase 1 of 8")
        expect(page.locator(".lobby__when")).to_be_hidden()

    console.get_by_role("button", name="Next: Story sharing").click()
    expect(console.locator(".console-show__item.is-current")).to_contain_text("Story sharing")
    for page in (amina, rosa):
        expect(page.locator(".live-now__title")).to_have_text("Story sharing")
        expect(page.locator(".live-now")).to_contain_text("Phase 2 of 8")

    console.get_by_role("button", name="Start Amina Wanjiru's turn").click()
    expect(console.locator(".console-speaker__name")).to_have_text("Amina Wanjiru")

    # The speaker is told it is their turn, in words; the next one that they are up next.
    expect(amina.locator(".live-cue--turn")).to_contain_text("It's your turn")
    expect(amina.get_by_role("button", name="I'm done")).to_be_visible()
    expect(amina.get_by_role("button", name="Pass for now")).to_be_visible()
    expect(amina.locator("#live-announcer")).to_contain_text("It's your turn")
    expect(rosa.locator(".live-speaker")).to_have_text("Amina Wanjiru is speaking")
    expect(rosa.locator(".live-cue--next")).to_contain_text("You are up next")
    expect(rosa.locator(".live-listen li").first).to_have_text("What I heard...")
    expect(rosa.locator("#live-announcer")).to_contain_text("Amina Wanjiru is speaking")

    # Both countdowns run: about seven minutes, and a different reading two seconds later.
    timers = [page.locator("[data-timer=turn]") for page in (amina, rosa, console)]
    for timer in timers:  # drawn (a page may still be on the frame before the turn's) and counting
        expect(timer).to_have_text(re.compile(r"^(06:\d{2}|07:00)$"))
    before = [timer.inner_text() for timer in timers]
    for reading in before:
        assert CLOCK.match(reading) and reading.startswith(("06:", "07:00")), before
    time.sleep(2.2)
    after = [timer.inner_text() for timer in timers]
    assert all(CLOCK.match(reading) for reading in after), after
    assert all(b != a for b, a in zip(before, after, strict=True)), (before, after)
    for page in (amina, rosa):
        no_sideways_scroll(page)
    amina.screenshot(path=artifacts / "live-03-phone-your-turn.png", full_page=True)
    rosa.screenshot(path=artifacts / "live-04-phone-listening.png", full_page=True)
    console.screenshot(path=artifacts / "live-05-console-turn.png", full_page=True)

    # An open phase: jump there from the run of show, and a raised hand reaches the console.
    console.get_by_role("button", name="Jump to phase 5: Engaging men as allies").click()
    confirm(console, "Jump to this phase")
    expect(rosa.locator(".live-now__title")).to_have_text("Engaging men as allies")
    rosa.get_by_role("button", name="Raise hand").tap()
    expect(rosa.locator(".live-cue--hand")).to_contain_text("Your hand is up")
    expect(rosa.locator(".live-cue--hand")).to_contain_text("number 1 of 1")
    expect(rosa.get_by_role("button", name="Lower hand")).to_be_visible()
    hands = console.locator(".console-hands__item")
    expect(hands).to_have_count(1)
    expect(hands.first).to_contain_text("Rosa Quispe")
    expect(console.get_by_role("button", name="Give the floor to Rosa Quispe")).to_be_visible()
    expect(roster.filter(has_text="Rosa Quispe")).to_contain_text("hand up")
    expect(amina.get_by_role("button", name="Raise hand")).to_be_visible()
    console.screenshot(path=artifacts / "live-06-console-hand.png", full_page=True)
    rosa.screenshot(path=artifacts / "live-07-phone-hand.png", full_page=True)

    assert errors == []
    for context in (console.context, amina_context, rosa_context):
        context.close()


def test_pages_reconnect_by_themselves_after_a_server_restart(
    server: ServerProcess, browser: Browser, facilitator: Facilitator, artifacts: Path
) -> None:
    exchange = scheduled_exchange(server, facilitator)
    errors: list[str] = []
    console = open_console(browser, server, facilitator, exchange, errors)
    _, amina = open_phone(browser, exchange.links[0], errors, "amina")
    console.get_by_role("button", name="Start the exchange").click()
    confirm(console, "Start the exchange")
    console.get_by_role("button", name="Next: Story sharing").click()
    console.get_by_role("button", name="Start Amina Wanjiru's turn").click()
    expect(amina.locator(".live-cue--turn")).to_contain_text("It's your turn")

    server.kill()
    expect(amina.locator("[data-live-conn]")).to_have_text("Reconnecting…")
    expect(console.locator("[data-live-conn]")).to_have_text("Reconnecting…")
    amina.screenshot(path=artifacts / "live-08-phone-reconnecting.png", full_page=True)
    server.start()

    # Back on their own, at the same phase and speaker, and commands work again.
    expect(amina.locator("[data-live-conn]")).to_have_text("Connected", timeout=30_000)
    expect(console.locator("[data-live-conn]")).to_have_text("Connected", timeout=30_000)
    expect(amina.locator(".live-cue--turn")).to_contain_text("It's your turn")
    amina.get_by_role("button", name="I'm done").tap()
    expect(console.locator("#turns-panel .console-speaker--none")).to_have_text("No one is speaking.")
    expect(amina.locator(".live-speaker--none")).to_be_visible()

    # While the server was down Chromium logged the refused connections; nothing else may appear.
    unexpected = [e for e in errors if "ERR_CONNECTION_REFUSED" not in e and "WebSocket connection" not in e]
    assert unexpected == []
