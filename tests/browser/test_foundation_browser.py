"""In headless Chromium: a facilitator schedules an exchange and invites a practitioner, who joins on a phone.

Runs against the real server on SQLite only; the HTTP-level suite covers PostgreSQL.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from exchange.accounts.service import get_user_by_email
from exchange.db import make_engine, session_scope
from exchange.programmes import service
from exchange.programmes.forms import ProgrammeForm
from exchange.prompts.catalog import get_template
from tests.support.servers import ServerProcess
from tests.support.web import PASSWORD, seed_staff

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 800}
LAPTOP = {"width": 1280, "height": 860}


@pytest.fixture(scope="module")
def programme(server: ServerProcess) -> dict[str, object]:
    """A programme created by a seeded lead, with a seeded facilitator in it."""
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
            name = f"Engaging men as allies {suffix}"
            created = service.create_programme(db, lead=lead, form=ProgrammeForm(name=name, description="Kenya and Brazil"))
            service.add_member(db, lead=lead, programme=created, user=facilitator)
            return {"id": created.id, "name": name, "facilitator_email": facilitator_email}
    finally:
        engine.dispose()


def watch_errors(page: Page) -> list[str]:
    """Script errors and CSP violations show up as page errors or console errors."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"console: {message.text}")

    page.on("console", on_console)
    return errors


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size
    assert viewport is not None
    assert width <= viewport["width"], f"{page.url} is {width}px wide on a {viewport['width']}px screen"


def test_facilitator_schedules_and_invites_and_the_practitioner_joins_on_a_phone(
    server: ServerProcess, browser: Browser, programme: dict[str, object], artifacts: Path
) -> None:
    template = get_template("story-exchange")
    title = f"Stories of change {uuid.uuid4().hex[:4]}"

    # --- the facilitator, on a laptop -----------------------------------------------------------
    laptop = browser.new_context(viewport=LAPTOP, timezone_id="Europe/Lisbon", locale="en-GB")
    page = laptop.new_page()
    page.set_default_timeout(10_000)
    staff_errors = watch_errors(page)

    page.goto(f"{server.url}/programmes")
    expect(page).to_have_url(re.compile(r"/login\?next=/programmes$"))
    page.screenshot(path=artifacts / "foundation-01-login.png", full_page=True)
    page.get_by_label("Email").fill(str(programme["facilitator_email"]))
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("That email and password don't match an account.")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/programmes$"))
    expect(page.get_by_role("heading", name="Your programmes")).to_be_visible()

    page.get_by_role("link", name=str(programme["name"])).click()
    expect(page).to_have_url(re.compile(rf"/programmes/{programme['id']}$"))
    page.get_by_role("link", name="Schedule an exchange").click()
    expect(page.get_by_role("heading", name="Schedule an exchange")).to_be_visible()

    # A first try with an empty title is refused next to the field, and what was typed stays.
    page.get_by_label("Purpose").fill("Practitioners share what changed, and how.")
    page.get_by_label("Time zone").fill("Africa/Nairobi")
    page.get_by_role("button", name="Create exchange").click()
    expect(page.locator("#f-title-error")).to_have_text("This can't be empty.")
    expect(page.get_by_label("Purpose")).to_have_value("Practitioners share what changed, and how.")

    page.get_by_label("Title").fill(title)
    page.get_by_label("Start time").fill("14:00")
    page.get_by_label("Call link").fill("https://meet.example.org/abc-defg")
    expect(page.locator("input[name=template_key][value=story-exchange]")).to_be_checked()
    page.screenshot(path=artifacts / "foundation-02-exchange-form.png", full_page=True)
    page.get_by_role("button", name="Create exchange").click()
    expect(page).to_have_url(re.compile(r"/exchanges/\d+$"))
    exchange_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    expect(page.locator(".phase-list li")).to_have_count(len(template.phases))
    # Viewed from Lisbon, the Nairobi start is shown again in the viewer's own zone.
    expect(page.locator(".local-time").first).to_contain_text("Europe/Lisbon")

    page.get_by_role("button", name="Mark as scheduled").click()
    expect(page.locator(".badge--scheduled")).to_be_visible()

    page.get_by_label("Name", exact=True).fill("Amina Odhiambo")
    page.get_by_label("Organisation or context").fill("Community health, Kisumu")
    page.get_by_role("button", name="Add and create link").click()
    expect(page).to_have_url(re.compile(rf"/exchanges/{exchange_id}\?invited=\d+"))
    link_element = page.locator(".invite--new .invite__link code")
    expect(link_element).to_be_visible()
    link = link_element.inner_text().strip()
    assert re.fullmatch(rf"{re.escape(server.url)}/join/[A-Za-z0-9_-]{{43}}", link), link
    expect(page.locator(".invite--new textarea")).to_contain_text("Dear Amina Odhiambo,")
    page.screenshot(path=artifacts / "foundation-03-invited.png", full_page=True)

    # The facilitator's pages work at phone width too.
    page.set_viewport_size(PHONE)
    for path in ("/programmes", f"/programmes/{programme['id']}", f"/exchanges/{exchange_id}", f"/exchanges/{exchange_id}/plan"):
        page.goto(f"{server.url}{path}")
        no_sideways_scroll(page)
    page.goto(f"{server.url}/exchanges/{exchange_id}")
    page.screenshot(path=artifacts / "foundation-04-exchange-phone.png", full_page=True)
    # The two refused forms above answered 400 on purpose; Chromium logs that, and nothing else may appear.
    expected = "Failed to load resource: the server responded with a status of 400"
    assert [e for e in staff_errors if expected not in e] == []
    assert len(staff_errors) == 2, staff_errors

    # --- the practitioner, on a phone, in another browser context --------------------------------
    phone = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2, timezone_id="America/Sao_Paulo"
    )
    mobile = phone.new_page()
    mobile.set_default_timeout(10_000)
    practitioner_errors = watch_errors(mobile)
    mobile.goto(link)
    # The link's own page says what it is; nothing is set until the practitioner continues.
    expect(mobile.get_by_role("heading", level=1)).to_have_text("Welcome, Amina Odhiambo")
    assert [c for c in phone.cookies() if c["name"].startswith(("exchange_p", "exchange_j"))] == []
    no_sideways_scroll(mobile)
    mobile.get_by_role("button", name="Continue").tap()
    expect(mobile).to_have_url(f"{server.url}/e/{exchange_id}")
    expect(mobile.get_by_role("heading", level=1)).to_have_text(title)
    expect(mobile.get_by_text("Practitioners share what changed, and how.")).to_be_visible()
    expect(mobile.locator(".countdown")).to_contain_text("Starts in")
    expect(mobile.locator(".local-time")).to_contain_text("America/Sao_Paulo")
    expect(mobile.locator("ul.rules li")).to_have_count(len(template.agreements))
    no_sideways_scroll(mobile)
    mobile.screenshot(path=artifacts / "foundation-05-lobby-phone.png", full_page=True)

    # The cookie is scoped to this one exchange.
    [cookie] = [c for c in phone.cookies() if c["name"] == f"exchange_p{exchange_id}"]
    assert cookie["path"] == f"/e/{exchange_id}" and cookie["httpOnly"]

    mobile.get_by_text("I accept these ground rules.").tap()
    mobile.get_by_text("by my initials").tap()
    expect(mobile.get_by_label("I accept these ground rules.")).to_be_checked()
    mobile.get_by_role("button", name="Accept and continue").tap()
    expect(mobile.get_by_role("status").filter(has_text="You're all set")).to_be_visible()
    expect(mobile.get_by_text("You appear in the record by your initials")).to_be_visible()
    no_sideways_scroll(mobile)
    mobile.screenshot(path=artifacts / "foundation-06-all-set-phone.png", full_page=True)
    assert practitioner_errors == []

    # The facilitator sees that the practitioner accepted.
    page.reload()
    expect(page.locator(f"#participant-{cookie_participant(page)}")).to_contain_text("Ground rules accepted")
    phone.close()
    laptop.close()


def cookie_participant(page: Page) -> str:
    """The id of the (only) invited practitioner on the facilitator's page."""
    element_id = page.locator("li.invite").first.get_attribute("id")
    assert element_id
    return element_id.removeprefix("participant-")
