"""In headless Chromium on a 360 × 740 phone: the task comes first.

The ground rules are accepted once (on joining; the first phase records it without asking again); in
each phase the prompt and the phase's action come before anything else, and "Raise hand" is offered
only where the phase uses the floor (an open discussion, or while the facilitator runs the floor),
below the task.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_live_browser import (
    Facilitator,
    confirm,
    facilitator,  # noqa: F401  (a fixture)
    open_console,
    scheduled_exchange,
)
from tests.support.servers import ServerProcess

pytestmark = pytest.mark.browser

SCREEN = {"width": 360, "height": 740}


def top(page: Page, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box["y"] + page.evaluate("window.scrollY")


def jump(console: Page, phone: Page, n: int, title: str) -> None:
    console.get_by_role("button", name=f"Jump to phase {n}: {title}").click()
    confirm(console, "Jump to this phase")
    expect(phone.locator(".live-now__title")).to_have_text(title)


def test_the_phone_shows_the_task_first(
    server: ServerProcess, browser: Browser, facilitator: Facilitator  # noqa: F811
) -> None:
    exchange = scheduled_exchange(server, facilitator)
    console = open_console(browser, server, facilitator, exchange, [])
    context = browser.new_context(viewport=SCREEN, is_mobile=True, has_touch=True)
    phone = context.new_page()
    phone.set_default_timeout(10_000)
    phone.goto(exchange.links[0])
    phone.get_by_role("button", name="Continue").tap()
    phone.get_by_text("I accept these ground rules.").tap()  # once, on joining
    phone.get_by_text("by my name").tap()
    phone.get_by_role("button", name="Accept and continue").tap()
    expect(phone.locator("[data-live-conn]")).to_have_text("Connected")

    console.get_by_role("button", name="Start the exchange").click()
    confirm(console, "Start the exchange")
    expect(phone.locator(".live-now__title")).to_have_text("Welcome and ground rules")
    expect(phone.get_by_role("button", name="I accept these ground rules")).to_have_count(0)
    expect(phone.locator(".act--agreements .act-done")).to_contain_text("You have accepted the ground rules")
    expect(console.locator("#activity-panel")).to_contain_text("Accepted (1)")
    assert top(phone, ".act--agreements") < SCREEN["height"]
    expect(phone.get_by_role("button", name="Raise hand")).to_have_count(0)

    jump(console, phone, 3, "Cultural levers")
    expect(phone.get_by_role("button", name="Raise hand")).to_have_count(0)
    assert top(phone, ".live-prompt") < top(phone, ".act--add-card")
    assert top(phone, ".act--add-card") < SCREEN["height"]  # the card to write is on the first screen

    jump(console, phone, 5, "Engaging men as allies")  # an open discussion: the floor is its action
    raise_hand = phone.get_by_role("button", name="Raise hand")
    expect(raise_hand).to_be_visible()
    assert top(phone, ".live-prompt") < top(phone, ".live-floor") < top(phone, "[data-region='activity'] .act")

    context.close()
    console.context.close()


def test_one_minute_left_is_announced(
    server: ServerProcess, browser: Browser, facilitator: Facilitator  # noqa: F811
) -> None:
    exchange = scheduled_exchange(server, facilitator)
    console = open_console(browser, server, facilitator, exchange, [])
    context = browser.new_context(viewport=SCREEN, is_mobile=True, has_touch=True)
    phone = context.new_page()
    phone.set_default_timeout(10_000)
    phone.clock.install()  # the page's clock, moved on by the test: no ten-minute wait
    phone.goto(exchange.links[0])
    phone.get_by_role("button", name="Continue").tap()
    phone.get_by_text("I accept these ground rules.").tap()
    phone.get_by_text("by my name").tap()
    phone.get_by_role("button", name="Accept and continue").tap()
    expect(phone.locator("[data-live-conn]")).to_have_text("Connected")
    console.get_by_role("button", name="Start the exchange").click()
    confirm(console, "Start the exchange")
    expect(phone.locator(".live-now")).to_contain_text(re.compile(r"(10:00|09:\d\d) left in this phase"))
    announcer = phone.locator("#live-announcer")
    expect(announcer).not_to_contain_text("One minute left")
    # One move of the page's clock, during which no frame comes in: the countdown crosses the last minute.
    phone.clock.run_for(9 * 60_000 + 5_000)
    expect(announcer).to_have_text("One minute left in this phase.")
    context.close()
    console.context.close()
