"""In headless Chromium: the facilitator's craft. Two facilitators share one console (a co-facilitator
added on the exchange page, the lead handed over and taken back when its holder drops); the rest of
the file drives stories prepared before the call and steering without accidents. Screenshots go to
tests/artifacts.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.test_live_browser import (
    LAPTOP,
    Facilitator,
    confirm,
    facilitator,  # noqa: F401  (a fixture)
    no_sideways_scroll,
    open_console,
    open_phone,
    scheduled_exchange,
)
from tests.support.servers import ServerProcess
from tests.support.web import seed_staff
from tests.support.world import run_sql
from exchange.timeutil import utcnow

pytestmark = pytest.mark.browser


def co_facilitator(server: ServerProcess, facilitator: Facilitator, name: str) -> Facilitator:  # noqa: F811
    """Another facilitator of the programme (a lead would add them on the programme page)."""
    email = f"co-{uuid.uuid4().hex[:8]}@example.org"
    user_id = seed_staff(server.database_url, email=email, name=name, role="facilitator")
    run_sql(
        server.database_url,
        "INSERT INTO programme_member (programme_id, user_id, added_at) VALUES (:p, :u, :t)",
        p=facilitator.programme_id, u=user_id, t=utcnow().isoformat(),
    )
    return Facilitator(email=email, programme_id=facilitator.programme_id)


def test_two_facilitators_hand_the_console_over(
    server: ServerProcess, browser: Browser, facilitator: Facilitator, artifacts: Path  # noqa: F811
) -> None:
    exchange = scheduled_exchange(server, facilitator, title="Two facilitators")
    co = co_facilitator(server, facilitator, "Kofi Mensah")
    errors: list[str] = []
    sam = open_console(browser, server, facilitator, exchange, errors)

    # Sam adds Kofi on the exchange page, from the programme's facilitators.
    page = sam.context.new_page()
    page.goto(f"{server.url}/exchanges/{exchange.id}")
    panel = page.locator("section[aria-labelledby=facilitators-h]")
    expect(panel).to_contain_text("Sam Facilitator")
    panel.get_by_label("Add a co-facilitator").select_option(label="Kofi Mensah")
    panel.get_by_role("button", name="Add").click()
    expect(panel).to_contain_text("Co-facilitator")
    expect(panel.get_by_label("Add a co-facilitator")).to_have_count(0)  # nobody left to add
    page.set_viewport_size(LAPTOP)
    panel.screenshot(path=artifacts / "craft-01-facilitators-panel.png")
    page.close()

    kofi = open_console(browser, server, co, exchange, errors)
    phone_context, amina = open_phone(browser, exchange.links[0], errors, "amina")
    sam.reload()  # the console lists its facilitators when it loads
    expect(sam.locator("[data-live-conn]")).to_have_text("Connected")

    sam.get_by_role("button", name="Start the exchange").click()
    confirm(sam, "Start the exchange")
    lead_bar = kofi.locator("[data-region-lead]")
    expect(sam.locator("[data-region-lead]")).to_contain_text("You lead the console.")
    expect(lead_bar).to_contain_text("Sam Facilitator leads the console.")

    # Kofi's steering is refused with a reason the console shows; his notes still work.
    kofi.get_by_role("button", name="Next: Story sharing").click()
    expect(kofi.locator("#live-toast")).to_contain_text("Sam Facilitator leads the console")
    expect(sam.locator(".console-show__item.is-current")).to_contain_text("Welcome")

    # Hand-over: Sam offers, Kofi accepts, and steers.
    sam.get_by_role("button", name="Hand over to Kofi Mensah").click()
    expect(sam.locator("[data-region-lead]")).to_contain_text("You offered the lead to Kofi Mensah")
    expect(lead_bar).to_contain_text("Sam Facilitator offers you the lead.")
    kofi.screenshot(path=artifacts / "craft-02-lead-offered.png", full_page=True)
    lead_bar.get_by_role("button", name="Take the lead").click()
    expect(lead_bar).to_contain_text("You lead the console.")
    expect(sam.locator("[data-region-lead]")).to_contain_text("Kofi Mensah leads the console.")
    kofi.get_by_role("button", name="Next: Story sharing").click()
    expect(amina.locator(".live-now__title")).to_have_text("Story sharing")
    sam.screenshot(path=artifacts / "craft-03-co-facilitator-leads.png", full_page=True)

    # Kofi's laptop drops: the timers run on, and Sam is offered the lead within seconds.
    kofi.context.close()
    bar = sam.locator("[data-region-lead]")
    expect(bar).to_contain_text("Kofi Mensah has dropped off. The timers keep running.", timeout=10_000)
    expect(bar).to_contain_text("the lead is offered to you", timeout=10_000)
    sam.screenshot(path=artifacts / "craft-04-lead-dropped.png", full_page=True)
    bar.get_by_role("button", name="Take the lead").click()
    expect(bar).to_contain_text("You lead the console.")
    sam.get_by_role("button", name="Start Amina Wanjiru's turn").click()
    expect(amina.locator(".live-cue--turn")).to_contain_text("It's your turn")

    phone_context.close()
    sam.context.close()
    assert not errors, errors


def test_stories_prepared_before_the_call(
    server: ServerProcess, browser: Browser, facilitator: Facilitator, artifacts: Path  # noqa: F811
) -> None:
    """Amina writes hers in the lobby for the facilitator to read; Rosa keeps hers private. At Amina's
    turn the console shows her text to read aloud and puts it in the record; Rosa's never leaves her
    phone. "Next turn" while someone speaks asks first."""
    exchange = scheduled_exchange(server, facilitator, title="Prepared stories")
    errors: list[str] = []
    amina_context, amina = open_phone(browser, exchange.links[0], errors, "amina")
    rosa_context, rosa = open_phone(browser, exchange.links[1], errors, "rosa")

    panel = amina.locator("article.prep")
    expect(panel).to_be_visible()
    panel.get_by_label("Name your story").fill("The chief who changed his mind")
    panel.get_by_label("Your story, in your words").press_sequentially("Our council came to back girls' schooling.", delay=5)
    panel.get_by_text("The facilitator reads it aloud").tap()
    expect(panel.locator(".prep-status")).to_contain_text("Saved at")
    no_sideways_scroll(amina)
    amina.screenshot(path=artifacts / "craft-05-prepare-in-the-lobby.png", full_page=True)
    amina.reload()  # saved on the server, not in the page
    expect(amina.locator("[data-live-conn]")).to_have_text("Connected")
    expect(panel.get_by_label("Your story, in your words")).to_have_value("Our council came to back girls' schooling.")
    expect(panel.get_by_label("The facilitator reads it aloud")).to_be_checked()

    secret = "Only mine: the night we nearly gave up"
    rosa_panel = rosa.locator("article.prep")
    rosa_panel.get_by_label("Name your story").fill("Private")
    rosa_panel.get_by_label("Your story, in your words").fill(secret)
    rosa_panel.get_by_text("Keep it private").tap()
    expect(rosa_panel.locator(".prep-status")).to_contain_text("Saved at")

    console = open_console(browser, server, facilitator, exchange, errors)
    console.get_by_role("button", name="Start the exchange").click()
    confirm(console, "Start the exchange")
    console.get_by_role("button", name="Next: Story sharing").click()
    turns = console.locator("#turns-panel")
    expect(turns).to_contain_text("Stories prepared before the call: Amina Wanjiru (for you to read).")
    console.get_by_role("button", name="Start Amina Wanjiru's turn").click()
    reading = console.locator(".console-reading")
    expect(reading).to_contain_text("Amina Wanjiru asked you to read their story aloud")
    expect(reading).to_contain_text("Our council came to back girls' schooling.")
    expect(rosa.locator("body")).not_to_contain_text("Our council came")  # read aloud, not pushed to phones
    console.screenshot(path=artifacts / "craft-06-read-aloud.png", full_page=True)
    reading.get_by_role("button", name="Read aloud: put it in the record").click()
    expect(reading).to_contain_text("It is in the record as their story.")
    expect(rosa.locator("body")).to_contain_text("Our council came to back girls' schooling.")

    # "Next turn" while Amina is still speaking asks first; Cancel changes nothing.
    console.get_by_role("button", name="Next turn: Rosa Quispe").click()
    dialog = console.locator("dialog[open]")
    expect(dialog).to_contain_text("End Amina Wanjiru's turn?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(console.locator(".console-speaker__name")).to_have_text("Amina Wanjiru")
    console.get_by_role("button", name="Next turn: Rosa Quispe").click()
    confirm(console, "End it and start Rosa Quispe")
    expect(console.locator(".console-speaker__name")).to_have_text("Rosa Quispe")

    # Rosa's private story: her notes at her turn, no way into the record, nowhere else.
    expect(rosa.locator(".live-cue--turn")).to_contain_text("It's your turn")
    expect(rosa_panel.get_by_label("Your story, in your words")).to_have_value(secret)
    expect(rosa_panel.get_by_role("button", name="Put my prepared story in the record")).to_have_count(0)
    expect(console.locator(".console-reading")).to_have_count(0)
    rosa.screenshot(path=artifacts / "craft-07-private-at-turn.png", full_page=True)
    for page in (console, amina):
        assert secret not in page.content()

    for context in (amina_context, rosa_context):
        context.close()
    console.context.close()
    assert not errors, errors


def test_steering_without_accidents(
    server: ServerProcess, browser: Browser, facilitator: Facilitator, artifacts: Path  # noqa: F811
) -> None:
    """Card groups made by drag and by the card's list, renamed, merged and removed; two people edit the
    same message from the same starting text and the merge keeps each change once; a final message
    reopened says so on the phones."""
    from tests.browser.test_activities_browser import next_phase

    exchange = scheduled_exchange(server, facilitator, title="Steering")
    errors: list[str] = []
    console = open_console(browser, server, facilitator, exchange, errors)
    amina_context, amina = open_phone(browser, exchange.links[0], errors, "amina")
    rosa_context, rosa = open_phone(browser, exchange.links[1], errors, "rosa")
    phones = (amina, rosa)
    activity = console.locator("#activity-panel")
    console.get_by_role("button", name="Start the exchange").click()
    confirm(console, "Start the exchange")
    next_phase(console, "Story sharing", phones)
    next_phase(console, "Cultural levers", phones)

    for page, who in ((amina, "The imam"), (amina, "The grandmother"), (rosa, "The pastor")):
        page.get_by_label("Who they are").fill(who)
        page.get_by_label("The influence they have").fill("Trusted")
        page.get_by_label("How they were engaged").fill("Tea")
        page.get_by_role("button", name="Add card").tap()
        expect(activity.locator(".act-card").filter(has_text=who)).to_have_count(1)
    for name in ("Faith", "Family"):
        activity.get_by_label("Name of a new group").fill(name)
        activity.get_by_role("button", name="Create group").click()
        expect(activity.locator(".act-cluster__name").filter(has_text=name)).to_have_count(1)

    # By drag: the imam onto Faith. By the card's list: the grandmother into Family.
    faith = activity.locator(".act-cluster").filter(has=console.locator(".act-cluster__name", has_text="Faith"))
    activity.locator(".act-card").filter(has_text="The imam").drag_to(faith)
    expect(faith.locator(".act-card")).to_contain_text("The imam")
    activity.get_by_label("Group for “The grandmother”").select_option(label="Family")
    # By keyboard: the pastor's list, focused, one step down (Faith).
    pastor = activity.get_by_label("Group for “The pastor”")
    pastor.focus()
    console.keyboard.press("ArrowDown")
    expect(faith.locator(".act-card")).to_have_count(2)
    family = rosa.locator(".act-cluster").filter(has_text="Family")
    expect(family.locator(".act-card")).to_contain_text("The grandmother")
    console.screenshot(path=artifacts / "craft-08-card-groups.png", full_page=True)

    # Rename, merge, remove: every page follows, and no card is lost.
    activity.get_by_role("button", name="Rename the group Faith").click()
    activity.get_by_label("New name for Faith").fill("Faith leaders")
    activity.get_by_role("button", name="Save").click()
    expect(rosa.locator(".act-cluster__name").filter(has_text="Faith leaders")).to_have_count(1)
    activity.get_by_label("Merge Family into", exact=True).select_option(label="Faith leaders")
    activity.get_by_role("button", name="Merge Family into the group chosen").click()
    confirm(console, "Merge")
    expect(amina.locator(".act-cluster__name")).to_have_text(["Faith leaders (3)"])
    activity.get_by_role("button", name="Remove the group Faith leaders").click()
    confirm(console, "Remove group")
    expect(amina.locator(".act-cluster__name")).to_have_count(0)
    expect(amina.locator(".act-card")).to_have_count(3)

    # The message: a shared starting text, then two edits of it at once.
    for title in ("Commonalities across contexts", "Engaging men as allies", "Collective problem solving",
                  "Crafting messages for funding partners"):
        next_phase(console, title, phones)
    amina_need = amina.get_by_label("Text of “The need”")
    amina_need.fill("Communities lead change.")
    amina.locator(".act-draft").first.get_by_role("button", name="Save section").tap()
    expect(rosa.get_by_label("Text of “The need”")).to_have_value("Communities lead change.")
    amina_need.fill("Local communities lead change.")
    rosa.get_by_label("Text of “The need”").fill("Communities lead change, with funders.")
    amina.locator(".act-draft").first.get_by_role("button", name="Save section").tap()
    expect(console.locator(".act-draft").first).to_contain_text("version 2")
    rosa.locator(".act-draft").first.get_by_role("button", name="Save section").tap()
    expect(rosa.locator(".act-conflict")).to_be_visible()
    rosa.get_by_role("button", name="Add their changes to my text").tap()
    merged = "Local communities lead change, with funders."
    expect(rosa.get_by_label("Your unsaved text: merge here")).to_have_value(merged)
    expect(rosa.locator(".act-merged")).to_contain_text("Their changes are in your text now, each once.")
    no_sideways_scroll(rosa)
    rosa.screenshot(path=artifacts / "craft-09-merged-draft.png", full_page=True)
    rosa.get_by_role("button", name="Save the merged text").tap()
    expect(amina.locator(".act-draft").first.locator("textarea")).to_have_value(merged)

    # Final, then reopened: the phones say each.
    activity.get_by_role("button", name="Mark as final").click()
    for page in phones:
        expect(page.locator(".act-final")).to_contain_text("Marked final by the facilitator. No more edits, unless")
    activity.get_by_role("button", name="Reopen for editing").click()
    for page in phones:
        expect(page.locator(".act-reopened")).to_contain_text("The facilitator opened the final version again for editing.")
        expect(page.locator(".act-draft textarea").first).to_be_visible()
    amina.screenshot(path=artifacts / "craft-10-reopened.png", full_page=True)

    for context in (amina_context, rosa_context):
        context.close()
    console.context.close()
    assert not errors, errors
