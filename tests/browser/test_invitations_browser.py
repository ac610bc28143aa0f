"""Invitations that arrive, in Chromium: a lead invites a colleague by email and the colleague makes
their account from the link; the exchange page shows each practitioner's invitation email (sent, or
refused with the reason and "Send again"); without mail, the ready message and the link shown once.

Screenshots go to tests/artifacts/invitations-*.png.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from exchange.timeutil import utcnow
from tests.browser.test_accounts_browser import LAPTOP, PHONE, no_sideways_scroll, sign_in, watch_errors
from tests.support.mailbox import Inbox, inbox, smtp_env  # noqa: F401 - inbox is a fixture
from tests.support.servers import ServerProcess
from tests.support.web import WebClient, created_id, seed_staff

pytestmark = pytest.mark.browser

NEW_PASSWORD = "river lantern quietly"


@pytest.fixture(scope="module")
def server(database_url: str, inbox: Inbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(database_url, log_path=tmp_path_factory.mktemp("logs") / "server.log", env=smtp_env(inbox))
    process.start()
    try:
        yield process
    finally:
        process.stop()


def _lead_with_exchange(server: ServerProcess) -> tuple[str, int, int]:
    tag = uuid.uuid4().hex[:6]
    email = f"lena-{tag}@example.org"
    seed_staff(server.database_url, email=email, name="Lena Lead", role="lead")
    client = WebClient(server.url)
    try:
        client.login(email)
        programme_id = created_id(client.post("/programmes", {"name": "Engaging men as allies"}), r"/programmes/(\d+)")
        start = utcnow() + timedelta(days=3)
        exchange_id = created_id(client.post(f"/programmes/{programme_id}/exchanges", {
            "title": "Stories of change across contexts", "start_date": start.date().isoformat(), "start_time": "14:00",
            "timezone": "Africa/Nairobi", "duration_minutes": "120", "language": "en", "template_key": "story-exchange",
        }), r"/exchanges/(\d+)")  # fmt: skip
    finally:
        client.close()
    return email, programme_id, exchange_id


def test_a_colleague_joins_from_the_emailed_link(server: ServerProcess, browser: Browser, inbox: Inbox, artifacts: Path) -> None:
    lead_email, programme_id, _exchange_id = _lead_with_exchange(server)
    page = sign_in(browser, server, lead_email, LAPTOP, f"/programmes/{programme_id}")
    errors = watch_errors(page)
    colleague = f"ines-{uuid.uuid4().hex[:6]}@example.org"
    page.get_by_label("Their email").fill(colleague)
    page.get_by_label("Role").select_option("facilitator")
    page.get_by_role("button", name="Send invitation").click()
    invite = page.locator(".invite", has_text=colleague)
    expect(invite).to_contain_text("Waiting for them to accept")
    expect(invite).to_contain_text("Email sent")
    invite.scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "invitations-01-lead-invited-colleague.png", full_page=True)

    [message] = inbox.wait_for(colleague)
    link = re.search(r"https?://\S+/invite/[A-Za-z0-9_-]+", message.get_body(preferencelist=("plain",)).get_content()).group(0)
    context = browser.new_context(viewport=PHONE)
    phone = context.new_page()
    phone_errors = watch_errors(phone)
    phone.goto(link)
    expect(phone.get_by_role("heading", name="Join “Engaging men as allies”")).to_be_visible()
    no_sideways_scroll(phone)
    phone.screenshot(path=artifacts / "invitations-02-colleague-landing-phone.png", full_page=True)
    phone.get_by_label("Your name").fill("Ines Moreau")
    phone.get_by_label("Password", exact=True).fill("password2024!")
    phone.get_by_label("The same password again").fill("password2024!")
    phone.get_by_role("button", name="Create my account and join").click()
    expect(phone.locator(".field__error").first).to_contain_text("common passwords")
    phone.screenshot(path=artifacts / "invitations-03-weak-password-phone.png", full_page=True)
    phone.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    phone.get_by_label("The same password again").fill(NEW_PASSWORD)
    phone.get_by_role("button", name="Create my account and join").click()
    expect(phone).to_have_url(f"{server.url}/programmes/{programme_id}")
    expect(phone.get_by_role("heading", name="Engaging men as allies")).to_be_visible()
    no_sideways_scroll(phone)
    phone.screenshot(path=artifacts / "invitations-04-colleague-in-programme-phone.png", full_page=False)
    # The link was single-use.
    phone.goto(link)
    expect(phone.get_by_role("heading", name="This invitation link does not work")).to_be_visible()

    page.reload()
    expect(page.locator(".people")).to_contain_text("Ines Moreau")
    expect(page.locator(".invite", has_text=colleague)).to_have_count(0)
    assert errors == [] and phone_errors == []
    context.close()
    page.context.close()


def test_the_exchange_page_shows_each_invitation_email(server: ServerProcess, browser: Browser, inbox: Inbox, artifacts: Path) -> None:
    lead_email, _programme_id, exchange_id = _lead_with_exchange(server)
    page = sign_in(browser, server, lead_email, LAPTOP, f"/exchanges/{exchange_id}")
    errors = watch_errors(page)
    for name, address, language in (("Amina Wanjiru", f"amina-{uuid.uuid4().hex[:4]}@example.org", "fr"),
                                     ("Rosa Quispe", f"bounce-{uuid.uuid4().hex[:4]}@example.org", "es")):  # fmt: skip
        page.get_by_label("Name", exact=True).fill(name)
        page.get_by_role("textbox", name="Email (optional)").fill(address)
        page.get_by_label("Language of their emails").select_option(language)
        page.get_by_role("button", name="Add and create link").click()
        expect(page.locator(".invite", has_text=name)).to_be_visible()
    amina = page.locator(".invite", has_text="Amina Wanjiru")
    expect(amina).to_contain_text("Email sent")
    expect(amina).to_contain_text("Français")
    rosa = page.locator(".invite", has_text="Rosa Quispe")
    expect(rosa).to_contain_text("Email not sent")
    expect(rosa).to_contain_text("No such mailbox here")
    rosa.get_by_role("button", name="Send again").click()
    expect(page.locator(".invite", has_text="Rosa Quispe")).to_contain_text("Email not sent")
    page.locator("#people-h").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "invitations-05-exchange-invites-laptop.png", full_page=True)
    page.set_viewport_size(PHONE)
    no_sideways_scroll(page)
    page.screenshot(path=artifacts / "invitations-06-exchange-invites-phone.png", full_page=True)
    assert errors == []
    page.context.close()


def test_without_mail_the_message_is_ready_to_send(fresh_server: ServerProcess, browser: Browser, artifacts: Path) -> None:
    lead_email, programme_id, exchange_id = _lead_with_exchange(fresh_server)
    page = sign_in(browser, fresh_server, lead_email, LAPTOP, f"/exchanges/{exchange_id}")
    errors = watch_errors(page)
    page.get_by_label("Name", exact=True).fill("Tomás Rivera")
    page.get_by_role("textbox", name="Email (optional)").fill("tomas@example.org")
    page.get_by_label("Language of their emails").select_option("pt")
    page.get_by_role("button", name="Add and create link").click()
    item = page.locator(".invite", has_text="Tomás Rivera")
    mailto = item.get_by_role("link", name="Write the email in your mail program")
    expect(mailto).to_have_attribute("href", re.compile(r"^mailto:tomas@example\.org\?subject=.+&body=.+"))
    expect(item.get_by_role("button", name="Copy invite text")).to_be_visible()
    page.screenshot(path=artifacts / "invitations-07-mailto-laptop.png", full_page=True)

    page.goto(f"{fresh_server.url}/programmes/{programme_id}")
    page.get_by_label("Their email").fill("colleague@example.org")
    page.get_by_label("Role").select_option("lead")
    page.get_by_role("button", name="Send invitation").click()
    shown = page.locator("#new-invite")
    expect(shown).to_contain_text("The link is shown only now")
    expect(page.locator("#staff-invite-text")).to_have_value(re.compile(r"/invite/[A-Za-z0-9_-]{40,}"))
    expect(shown.get_by_role("link", name="Write the email in your mail program")).to_have_attribute(
        "href", re.compile(r"^mailto:colleague@example\.org\?subject=")
    )
    page.screenshot(path=artifacts / "invitations-08-staff-invite-no-mail.png", full_page=True)
    assert errors == []
    page.context.close()
