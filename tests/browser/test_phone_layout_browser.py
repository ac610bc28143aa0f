"""In headless Chromium on a 360 × 740 phone: the task comes first.

The ground rules are accepted once (on joining; the first phase records it without asking again); in
each phase the prompt and the phase's action come before anything else, and "Raise hand" is offered
only where the phase uses the floor (an open discussion, or while the facilitator runs the floor),
below the task.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Browser, Page, expect
from websockets.sync.client import connect

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


def take_time_off(server: ServerProcess, console: Page, exchange_id: int, seconds: int) -> None:
    """The facilitator's add_time on the phase timer, sent on a socket of the console's login."""
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in console.context.cookies())
    url = f"{server.ws_url}/e/{exchange_id}/ws"
    with connect(url, additional_headers={"Cookie": cookie, "Origin": server.url}, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "hello", "protocol": 1, "last_seq": None}))
        command = {"type": "add_time", "timer": "phase", "seconds": -seconds}
        ws.send(json.dumps({"type": "command", "id": "t-minute-warning", "command": command}))
        while (frame := json.loads(ws.recv(timeout=10)))["type"] not in {"ack", "rejected"}:
            pass
        assert frame["type"] == "ack", frame


def test_one_minute_left_is_announced(
    server: ServerProcess, browser: Browser, facilitator: Facilitator  # noqa: F811
) -> None:
    exchange = scheduled_exchange(server, facilitator)
    console = open_console(browser, server, facilitator, exchange, [])
    context = browser.new_context(viewport=SCREEN, is_mobile=True, has_touch=True)
    phone = context.new_page()
    phone.set_default_timeout(10_000)
    phone.goto(exchange.links[0])
    phone.get_by_role("button", name="Continue").tap()
    phone.get_by_text("I accept these ground rules.").tap()
    phone.get_by_text("by my name").tap()
    phone.get_by_role("button", name="Accept and continue").tap()
    expect(phone.locator("[data-live-conn]")).to_have_text("Connected")
    console.get_by_role("button", name="Start the exchange").click()
    confirm(console, "Start the exchange")
    left = phone.locator("[data-timer=phase-left]")
    expect(left).to_contain_text(re.compile(r"\d\d:\d\d left"))
    minutes, secs = map(int, re.search(r"(\d\d):(\d\d)", left.inner_text()).groups())  # type: ignore[union-attr]
    announcer = phone.locator("#live-announcer")
    expect(announcer).not_to_contain_text("One minute left")
    take_time_off(server, console, exchange.id, minutes * 60 + secs - 64)  # about 64 s left now
    expect(left).to_contain_text("01:0")
    expect(announcer).not_to_contain_text("One minute left")
    expect(announcer).to_have_text("One minute left in this phase.", timeout=20_000)  # as it crosses 60 s
    context.close()
    console.context.close()
