"""Logins, the account page, the security log and a console whose login ends, in Chromium.

Screenshots (laptop and a 360 px phone) go to tests/artifacts/accounts-*.png.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from exchange.accounts.service import get_user_by_email
from exchange.db import make_engine, session_scope
from exchange.programmes import service
from exchange.programmes.forms import ProgrammeForm
from exchange.timeutil import utcnow
from tests.support.servers import ServerProcess
from tests.support.web import PASSWORD, WebClient, created_id, seed_staff

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 800}
LAPTOP = {"width": 1280, "height": 860}


@pytest.fixture(scope="module")
def crew(server: ServerProcess) -> dict[str, object]:
    """A lead and a facilitator in a programme with a scheduled exchange."""
    suffix = uuid.uuid4().hex[:8]
    lead_email, facilitator_email = f"lead-{suffix}@example.org", f"facilitator-{suffix}@example.org"
    seed_staff(server.database_url, email=lead_email, name="Lena Lead", role="lead")
    seed_staff(server.database_url, email=facilitator_email, name="Fatima Facilitator", role="facilitator")
    engine = make_engine(server.database_url)
    try:
        with session_scope(engine) as db:
            lead = get_user_by_email(db, email=lead_email)
            facilitator = get_user_by_email(db, email=facilitator_email)
            assert lead and facilitator
            created = service.create_programme(db, lead=lead, form=ProgrammeForm(name="Engaging men as allies"))
            service.add_member(db, lead=lead, programme=created, user=facilitator)
            programme_id = created.id
    finally:
        engine.dispose()
    client = WebClient(server.url)
    try:
        client.login(facilitator_email)
        start = utcnow() + timedelta(days=2)
        form = {
            "title": "Stories of change across contexts",
            "start_date": start.date().isoformat(),
            "start_time": "10:00",
            "timezone": "UTC",
            "duration_minutes": "120",
            "language": "en",
            "template_key": "story-exchange",
        }
        exchange_id = created_id(client.post(f"/programmes/{programme_id}/exchanges", form), r"(\d+)$")
        assert client.post(f"/exchanges/{exchange_id}/status", {"status": "scheduled"}).status_code == 303
        for name in ("Amina Wanjiru", "Rosa Quispe"):
            assert client.post(f"/exchanges/{exchange_id}/participants", {"name": name}).status_code == 303
    finally:
        client.close()
    return {
        "lead": lead_email,
        "facilitator": facilitator_email,
        "programme_id": programme_id,
        "exchange_id": exchange_id,
    }


def watch_errors(page: Page) -> list[str]:
    """Script errors and CSP violations (a refused login's status code is not one)."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "Failed to load resource" not in message.text:
            errors.append(f"console: {message.text}")

    page.on("console", on_console)
    return errors


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size
    assert viewport is not None
    assert width <= viewport["width"], f"{page.url} is {width}px wide on a {viewport['width']}px screen"


def sign_in(browser: Browser, server: ServerProcess, email: str, viewport: dict[str, int], next_path: str) -> Page:
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{server.url}/login?next={next_path}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{server.url}{next_path}")
    return page


def test_a_throttled_login_says_how_long_to_wait(server: ServerProcess, browser: Browser, crew: dict, artifacts: Path) -> None:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    errors = watch_errors(page)
    page.goto(f"{server.url}/login")
    for _ in range(6):
        page.get_by_label("Email").fill("someone-else@example.org")
        page.get_by_label("Password").fill("a wrong guess")
        page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text(
        re.compile(r"Too many attempts\. Please wait \d+ seconds? and try again\.")
    )
    no_sideways_scroll(page)
    page.screenshot(path=artifacts / "accounts-01-login-throttled-phone.png", full_page=True)
    assert errors == []
    context.close()


def test_the_account_page_and_log_out_everywhere_close_the_console(
    server: ServerProcess, browser: Browser, crew: dict, artifacts: Path
) -> None:
    console = sign_in(browser, server, str(crew["facilitator"]), LAPTOP, f"/exchanges/{crew['exchange_id']}/console")
    console_errors = watch_errors(console)
    expect(console.locator("[data-live-conn]")).to_have_text("Connected")

    phone = sign_in(browser, server, str(crew["facilitator"]), PHONE, "/programmes")
    errors = watch_errors(phone)
    phone.get_by_role("link", name="Account").click()
    expect(phone.get_by_role("heading", name="Your account")).to_be_visible()
    expect(phone.get_by_text(re.compile(r"You are signed in on [2-9] browsers or devices\."))).to_be_visible()
    # A weak new password is refused next to its field.
    phone.get_by_label("Current password").fill(PASSWORD)
    phone.get_by_label("New password", exact=True).fill("password2024!")
    phone.get_by_label("New password again").fill("password2024!")
    phone.get_by_role("button", name="Change password").click()
    expect(phone.locator("#f-new_password-error")).to_contain_text("most common")
    no_sideways_scroll(phone)
    phone.screenshot(path=artifacts / "accounts-02-account-phone.png", full_page=True)

    phone.get_by_role("button", name="Log out everywhere").click()
    expect(phone).to_have_url(f"{server.url}/login")
    # The console, in the other browser, says it is signed out without being touched.
    expect(console.locator(".console-now__title")).to_have_text("Please log in again")
    expect(console.get_by_role("link", name="Log in")).to_be_visible()
    console.screenshot(path=artifacts / "accounts-03-console-signed-out.png", full_page=True)
    assert errors == [] and console_errors == []


def test_the_security_log_for_leads(server: ServerProcess, browser: Browser, crew: dict, artifacts: Path) -> None:
    programme = f"/programmes/{crew['programme_id']}"
    for viewport, name in ((LAPTOP, "laptop"), (PHONE, "phone")):
        page = sign_in(browser, server, str(crew["lead"]), viewport, programme)
        errors = watch_errors(page)
        expect(page.get_by_role("button", name="Remove Fatima Facilitator from this programme")).to_be_visible()
        no_sideways_scroll(page)
        page.screenshot(path=artifacts / f"accounts-04-programme-{name}.png", full_page=True)
        page.get_by_role("link", name="Security log").click()
        expect(page.get_by_role("heading", name="Security log")).to_be_visible()
        expect(page.get_by_text("Personal link made").first).to_be_visible()
        expect(page.get_by_text("Logged out everywhere").first).to_be_visible()
        no_sideways_scroll(page)
        page.screenshot(path=artifacts / f"accounts-05-security-log-{name}.png", full_page=True)
        assert errors == []
        page.context.close()
