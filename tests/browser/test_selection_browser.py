"""In headless Chromium: the most significant change plan's recall round and selection, with a facilitator
on a laptop, two practitioners on phones and the programme lead following the console read-only.

Stories are told, each practitioner recalls the most memorable point of the other's story, then the group
reads the stories, votes, sees the totals once the round closes, votes again, and the facilitator records
the two stories a split group chose, why, and the dissent. Screenshots go to tests/artifacts/selection-*.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_live_browser import (
    LAPTOP,
    Exchange,
    Facilitator,
    confirm,
    no_sideways_scroll,
    open_console,
    open_phone,
    scheduled_exchange,
    watch_errors,
)
from tests.support.servers import ServerProcess
from tests.support.web import PASSWORD, WebClient, created_id, seed_staff

pytestmark = pytest.mark.browser

AMINA_STORY = "Girls stayed in school"
ROSA_STORY = "Fathers joined the meetings"


@dataclass(frozen=True)
class Team:
    facilitator: Facilitator
    lead_email: str


@pytest.fixture(scope="module")
def team(server: ServerProcess) -> Team:
    """A facilitator in a programme run by a lead (whose console is read-only)."""
    tag = uuid.uuid4().hex[:8]
    lead_email, email = f"lead-{tag}@example.org", f"facilitator-{tag}@example.org"
    seed_staff(server.database_url, email=lead_email, name="Grace Lead", role="lead")
    seed_staff(server.database_url, email=email, name="Sam Facilitator", role="facilitator")
    lead = WebClient(server.url)
    try:
        lead.login(lead_email)
        programme_id = created_id(lead.post("/programmes", {"name": f"Change {tag}"}), r"/programmes/(\d+)")
        assert lead.post(f"/programmes/{programme_id}/members", {"email": email}).status_code == 303
    finally:
        lead.close()
    return Team(Facilitator(email=email, programme_id=programme_id), lead_email)


def msc_exchange(server: ServerProcess, facilitator: Facilitator) -> Exchange:
    return scheduled_exchange(
        server,
        facilitator,
        template="most-significant-change",
        title="The most significant change this year",
        purpose="Choose the most significant change, and say why.",
    )


def open_lead_console(browser: Browser, server: ServerProcess, email: str, exchange: Exchange, errors: list[str]) -> Page:
    page = browser.new_context(viewport=LAPTOP).new_page()
    page.set_default_timeout(10_000)
    watch_errors(page, errors, "lead")
    page.goto(f"{server.url}/login?next=/exchanges/{exchange.id}/console")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{server.url}/exchanges/{exchange.id}/console")
    expect(page.locator("[data-live-conn]")).to_have_text("Connected")
    return page


def shots(pages: dict[str, Page], artifacts: Path, number: int, step: str) -> None:
    for who, page in pages.items():
        if who != "console" and who != "lead":
            no_sideways_scroll(page)
        page.screenshot(path=artifacts / f"selection-{number:02d}-{step}-{who}.png", full_page=True)


def next_phase(console: Page, title: str, phones: tuple[Page, ...]) -> None:
    console.get_by_role("button", name=f"Next: {title}").click()
    expect(console.locator(".console-show__item.is-current")).to_contain_text(title)
    for page in phones:
        expect(page.locator(".live-now__title")).to_have_text(title)


def tell(console: Page, phone: Page, start: str, title: str, summary: str) -> None:
    console.get_by_role("button", name=start).click()
    expect(phone.locator(".live-cue--turn")).to_contain_text("It's your turn")
    phone.get_by_label("Title").fill(title)
    phone.get_by_label("Summary").fill(summary)
    phone.get_by_role("button", name="Share my story").tap()
    expect(phone.locator(".act-story").filter(has_text=title)).to_be_visible()
    phone.get_by_role("button", name="I'm done").tap()


def test_recall_round_and_selection_of_the_most_significant_change(
    server: ServerProcess, browser: Browser, team: Team, artifacts: Path
) -> None:
    exchange = msc_exchange(server, team.facilitator)
    errors: list[str] = []
    console = open_console(browser, server, team.facilitator, exchange, errors)
    amina_context, amina = open_phone(browser, exchange.links[0], errors, "amina")
    rosa_context, rosa = open_phone(browser, exchange.links[1], errors, "rosa")
    lead = open_lead_console(browser, server, team.lead_email, exchange, errors)
    phones = (amina, rosa)
    activity = console.locator("#activity-panel")
    lead_activity = lead.locator("#activity-panel")
    expect(lead.locator("[data-live-readonly]")).to_be_visible()

    console.get_by_role("button", name="Start the exchange").click()
    confirm(console, "Start the exchange")
    for page in phones:
        expect(page.locator(".live-now__title")).to_have_text("Welcome and agreements")
        # Accepted on joining: the phase records it without asking again.
        expect(page.get_by_role("button", name="I accept these ground rules")).to_have_count(0)

    # 1. Stories are told; then the recall round: the most memorable point of someone else's story.
    next_phase(console, "Collecting stories of change", phones)
    tell(console, amina, "Start Amina Wanjiru's turn", AMINA_STORY, "Twelve girls who had left came back to class.")
    tell(console, rosa, "Next turn: Rosa Quispe", ROSA_STORY, "Five fathers now come to every school meeting.")
    expect(console.locator("#turns-panel .console-speaker--none")).to_be_visible()
    recall = amina.locator(".act--recall")
    expect(recall.get_by_label("The most memorable point of someone else's story")).to_be_visible()
    expect(recall.locator(".act-count")).to_have_text("0 / 1000")
    recall.get_by_label("Whose story (optional)").select_option(label=f"“{ROSA_STORY}” by Rosa Quispe")
    recall.get_by_label("The most memorable point of someone else's story").fill("The father who brought <b>tea</b>.")
    expect(recall.locator(".act-count")).to_have_text("34 / 1000")
    recall.get_by_role("button", name="Share what I recall").tap()
    for page in (amina, rosa, console, lead):
        item = page.locator(".act-recall")
        expect(item).to_contain_text("The father who brought <b>tea</b>.")  # as text, never markup
        expect(item).to_contain_text(f"Amina Wanjiru · about “{ROSA_STORY}”")
    rosa.locator(".act--recall").get_by_label("The most memorable point of someone else's story").fill("Twelve girls back in class.")
    rosa.locator(".act--recall").get_by_role("button", name="Share what I recall").tap()
    expect(console.locator(".act-recall")).to_have_count(2)
    expect(console.locator(".act--recall form")).to_have_count(0)  # the facilitator doesn't recall
    shots({"console": console, "amina": amina}, artifacts, 1, "recall")

    # 2. Selection: the stories to read, a first round with live totals on the console only.
    next_phase(console, "Grouping stories by domain of change", phones)
    next_phase(console, "Choosing the most significant change", phones)
    for page in phones:
        expect(page.locator(".act--pool .act-pick")).to_have_count(2)
        expect(page.locator(".act--pool")).to_contain_text("Five fathers now come to every school meeting.")
        expect(page.locator(".act-voting")).to_contain_text("Voting opens when the facilitator opens a round")
    expect(activity).to_contain_text("All 2 stories still standing are in the round.")
    shots({"console": console, "rosa": rosa}, artifacts, 2, "reading")
    activity.get_by_role("button", name="Open a voting round").click()
    expect(amina.locator(".act-voting")).to_contain_text("Round 1 is open. You have 1 vote left.")
    amina.get_by_role("button", name=f"Vote for “{AMINA_STORY}”").tap()
    expect(amina.locator(".act-voting")).to_contain_text("You have used your votes")
    expect(amina.get_by_role("button", name=f"Vote for “{ROSA_STORY}”")).to_have_attribute("aria-disabled", "true")
    amina.get_by_role("button", name=f"Take my vote back from “{AMINA_STORY}”").tap()
    expect(amina.locator(".act-voting")).to_contain_text("You have 1 vote left.")
    amina.get_by_role("button", name=f"Vote for “{ROSA_STORY}”").tap()
    rosa.get_by_role("button", name=f"Vote for “{AMINA_STORY}”").tap()
    expect(activity).to_contain_text("Voted so far: 2")
    # Two voters' totals would tell each who the other chose: nobody sees them, the console neither.
    expect(activity.locator(".act-totals")).to_have_count(0)
    expect(activity).to_contain_text("Totals appear once at least 3 people have voted (2 so far)")
    expect(rosa.locator(".act-total")).to_have_count(0)
    shots({"console": console, "amina": amina}, artifacts, 3, "voting")
    activity.get_by_role("button", name="Close the round").click()
    for page in phones:
        expect(page.locator(".act--results")).to_contain_text("Round 1: the totals (2 voted)")
        expect(page.locator(".act--results")).to_contain_text("Totals appear once at least 3 people have voted")
        expect(page.locator(".act-total")).to_have_count(0)
    shots({"console": console, "rosa": rosa}, artifacts, 4, "totals")

    # The lead sees everything the console does but can change nothing.
    expect(lead_activity.locator(".act--results")).to_contain_text("Totals appear once at least 3 people have voted")
    for control in ("button", "input", "textarea", "select"):
        expect(lead_activity.locator(f"{control}:visible")).to_have_count(0)
    expect(lead.locator("#private-panel")).to_be_hidden()
    lead.screenshot(path=artifacts / "selection-05-lead-console.png", full_page=True)

    # 3. Vote again, close, and record the choice of a split group with its reason and dissent.
    activity.get_by_role("button", name="Open another voting round").click()
    expect(rosa.locator(".act-voting")).to_contain_text("Round 2 is open.")
    amina.get_by_role("button", name=f"Vote for “{ROSA_STORY}”").tap()
    rosa.get_by_role("button", name=f"Vote for “{AMINA_STORY}”").tap()
    expect(activity).to_contain_text("Voted so far: 2")
    activity.get_by_role("button", name="Close the round").click()
    expect(activity.locator(".act-round")).to_have_count(2)
    record = activity.locator(".act--record")
    record.get_by_label("Why this story was chosen").fill("Both show families choosing school together.")
    expect(record.locator("#f-select-reason-count")).to_have_text("44 / 2000")
    record.get_by_role("button", name="Record the selection").click()
    expect(record.locator(".act-error")).to_have_text("Choose one story, or two.")
    record.get_by_label(f"“{AMINA_STORY}” by Amina Wanjiru").check()
    record.get_by_label(f"“{ROSA_STORY}” by Rosa Quispe").check()
    expect(record.locator("#f-select-picks-count")).to_have_text("2 of 2 chosen")
    expect(record.get_by_label("Why this story was chosen")).to_have_value("Both show families choosing school together.")
    record.get_by_label("Any dissent (optional)").fill("Rosa felt the girls' story stands alone.")
    record.get_by_role("button", name="Record the selection").click()
    for page in (amina, rosa, console, lead):
        chosen = page.locator(".act-choice")
        expect(chosen).to_contain_text("The most significant changes (the group was split)")
        expect(chosen).to_contain_text(AMINA_STORY)
        expect(chosen).to_contain_text(ROSA_STORY)
        expect(chosen.locator(".act-choice__reason")).to_have_text("Both show families choosing school together.")
        expect(chosen.locator(".act-choice__dissent")).to_have_text("Rosa felt the girls' story stands alone.")
    shots({"console": console, "amina": amina}, artifacts, 6, "recorded")
    for control in ("button", "input", "textarea", "select"):
        expect(lead_activity.locator(f"{control}:visible")).to_have_count(0)
    lead.screenshot(path=artifacts / "selection-07-lead-recorded.png", full_page=True)

    assert errors == []
    for context in (console.context, amina_context, rosa_context, lead.context):
        context.close()
