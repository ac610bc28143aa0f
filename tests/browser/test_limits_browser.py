"""In headless Chromium: what a practitioner sees when they send too fast (`rate_limited`) and when
they open the exchange in one tab too many (close code 4029). Small limits make both easy to meet."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.test_live_browser import (  # noqa: F401 - the facilitator fixture
    Facilitator,
    confirm,
    facilitator,
    no_sideways_scroll,
    open_console,
    open_phone,
    scheduled_exchange,
)
from tests.support.servers import ServerProcess

pytestmark = pytest.mark.browser

LIMITS = {
    # Four: the page sends one command itself (phase 1 records the rules accepted on joining), then
    # three taps go through and the next is refused.
    "EXCHANGE_RATE_SOCKET_BURST": "4",
    "EXCHANGE_RATE_SOCKET_PER_SECOND": "0.001",
    "EXCHANGE_RATE_PERSON_BURST": "4",
    "EXCHANGE_RATE_PERSON_PER_SECOND": "0.001",
    "EXCHANGE_RATE_MAX_SOCKETS": "1",
}


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(database_url, log_path=tmp_path_factory.mktemp("logs") / "server.log", env=LIMITS)
    process.start()
    try:
        yield process
    finally:
        process.stop()


def test_too_fast_and_too_many_tabs_are_explained_on_the_page(
    server: ServerProcess, browser: Browser, facilitator: Facilitator, artifacts: Path  # noqa: F811
) -> None:
    exchange = scheduled_exchange(server, facilitator)
    errors: list[str] = []
    console = open_console(browser, server, facilitator, exchange, errors)
    context, amina = open_phone(browser, exchange.links[0], errors, "amina")

    console.get_by_role("button", name="Start the exchange").click()
    confirm(console, "Start the exchange")
    expect(amina.locator(".act-done")).to_contain_text("You have accepted the ground rules")  # its one command
    console.locator(".console-show__row", has_text="Engaging men as allies").click()
    confirm(console, "Jump to this phase")
    expect(console.locator(".console-show__item.is-current")).to_contain_text("Engaging men as allies")

    # Three commands go through; the fourth is refused, and the page says why.
    for label in ("Raise hand", "Lower hand", "Raise hand"):
        amina.get_by_role("button", name=label).tap()
        expect(amina.get_by_role("button", name="Lower hand" if label == "Raise hand" else "Raise hand")).to_be_visible()
    amina.get_by_role("button", name="Lower hand").tap()
    toast = amina.locator("#live-toast")
    expect(toast).to_contain_text("You're sending too fast")
    amina.screenshot(path=artifacts / "limits-01-phone-too-fast.png", full_page=True)

    # The same practitioner opens the exchange in a second tab: one socket is all these limits allow.
    second = context.new_page()
    second.goto(amina.url)
    expect(second.locator("[data-live-conn]")).to_have_attribute("data-status", "crowded")
    expect(second.locator("[data-live-conn]")).to_have_text("Too many tabs open")
    expect(second.locator("#live-toast")).to_contain_text("Close one, and this page will connect again by itself")
    no_sideways_scroll(second)
    second.screenshot(path=artifacts / "limits-02-phone-second-tab.png", full_page=True)
    # The first tab is still connected.
    expect(amina.locator("[data-live-conn]")).to_have_text("Connected")
    assert not errors, errors
    context.close()
    console.context.close()
