"""In headless Chromium: the whole grassroots story exchange plan, run end to end by a facilitator and two
practitioners on phones: ground rules, a story with a reflection, a lever card grouped into a cluster,
an anonymous card voted on, the funder message edited by both (one of them from a stale version, merged
without losing a word), and closing feedback. Two people's dots and answers stay unsummarised (three
make a summary: tests/browser/test_privacy_browser.py). Screenshots of each phase go to tests/artifacts.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_live_browser import (
    Facilitator,
    confirm,
    facilitator,  # noqa: F401  (a fixture)
    no_sideways_scroll,
    open_console,
    open_phone,
    scheduled_exchange,
)
from tests.support.servers import ServerProcess

pytestmark = pytest.mark.browser


def shots(console: Page, phone: Page, artifacts: Path, number: int, phase: str) -> None:
    no_sideways_scroll(phone)
    console.screenshot(path=artifacts / f"activity-{number:02d}-{phase}-console.png", full_page=True)
    phone.screenshot(path=artifacts / f"activity-{number:02d}-{phase}-phone.png", full_page=True)


def next_phase(console: Page, title: str, phones: tuple[Page, ...]) -> None:
    console.get_by_role("button", name=f"Next: {title}").click()
    expect(console.locator(".console-show__item.is-current")).to_contain_text(title)
    for page in phones:
        expect(page.locator(".live-now__title")).to_have_text(title)


def test_the_grassroots_plan_end_to_end(
    server: ServerProcess, browser: Browser, facilitator: Facilitator, artifacts: Path  # noqa: F811
) -> None:
    exchange = scheduled_exchange(server, facilitator)
    errors: list[str] = []
    console = open_console(browser, server, facilitator, exchange, errors)
    amina_context, amina = open_phone(browser, exchange.links[0], errors, "amina")
    rosa_context, rosa = open_phone(browser, exchange.links[1], errors, "rosa")
    phones = (amina, rosa)
    activity = console.locator("#activity-panel")
    private = console.locator("#private-panel")

    console.get_by_role("button", name="Start the exchange").click()
    confirm(console, "Start the exchange")

    # 1. Ground rules: both accept; the console shows who has.
    for page in phones:
        expect(page.locator(".live-now__title")).to_have_text("Welcome and ground rules")
        # Accepted on joining: the phase records it without asking again.
        expect(page.get_by_role("button", name="I accept these ground rules")).to_have_count(0)
        expect(page.locator(".act-done")).to_contain_text("You have accepted the ground rules")
    expect(activity).to_contain_text("Accepted (2)")
    expect(activity).to_contain_text("Everyone has accepted.")
    # The private panel is the facilitator's alone and says so.
    expect(private).to_contain_text("Only you see this")
    private.get_by_label("Note", exact=True).fill("Rosa seemed hesitant about recording.")
    private.get_by_role("button", name="Add note").click()
    expect(private.locator(".act-notes")).to_contain_text("Rosa seemed hesitant")
    private.get_by_label("A point to come back to").fill("Translation for the next exchange")
    private.get_by_role("button", name="Park it").click()
    expect(private.locator(".act-parked")).to_contain_text("Translation for the next exchange")
    shots(console, amina, artifacts, 1, "agreements")

    # 2. Story sharing: Amina tells hers and writes it down; Rosa keeps a note and reflects back.
    next_phase(console, "Story sharing", phones)
    console.get_by_role("button", name="Start Amina Wanjiru's turn").click()
    expect(amina.locator(".live-cue--turn")).to_contain_text("It's your turn")
    amina.get_by_label("Title").fill("The chief who changed his mind")
    amina.get_by_label("Summary").fill("How our village council came to back girls' schooling.")
    expect(amina.locator(".act--share .act-count").first).to_have_text("30 / 200")
    amina.get_by_role("button", name="Share my story").tap()
    expect(amina.locator(".act-story")).to_contain_text("The chief who changed his mind")
    rosa.get_by_label("Notes while Amina Wanjiru speaks").fill("The council meeting under the tree.")
    rosa.get_by_role("button", name="Save note").tap()
    expect(rosa.locator(".act--notes .act-notes")).to_contain_text("under the tree")
    expect(rosa.locator(".act--notes")).to_contain_text("Only you see these notes.")
    rosa.get_by_role("radio", name="A moment that stayed with me").check()
    rosa.get_by_label("Your reflection").fill("When the chief's daughter spoke first.")
    rosa.get_by_role("button", name="Share my reflection").tap()
    for page in (amina, rosa, console):
        expect(page.locator(".act-reflection")).to_contain_text("When the chief's daughter spoke first.")
    expect(amina.locator(".act-reflection__kind")).to_have_text("A moment that stayed with me")
    amina.get_by_role("button", name="I'm done").tap()
    expect(console.locator("#turns-panel .console-speaker--none")).to_be_visible()
    shots(console, rosa, artifacts, 2, "story-round")
    amina.screenshot(path=artifacts / "activity-02-story-round-phone-teller.png", full_page=True)

    # 3. Cultural levers: a card by Amina (this phase has no anonymous cards), grouped in a cluster.
    next_phase(console, "Cultural levers", phones)
    expect(amina.get_by_label("Add it anonymously")).to_have_count(0)
    amina.get_by_label("Who they are").fill("The village chief")
    amina.get_by_label("The influence they have").fill("Chairs the council that sets school fees.")
    amina.get_by_label("How they were engaged").fill("His daughter asked him in front of the council.")
    amina.get_by_role("button", name="Add card").tap()
    expect(rosa.locator(".act-card")).to_contain_text("The village chief")
    expect(rosa.locator(".act-card")).to_contain_text("Amina Wanjiru")
    activity.get_by_label("Name of a new group").fill("Traditional leaders")
    activity.get_by_role("button", name="Create group").click()
    activity.get_by_label("Group for “The village chief”").select_option(label="Traditional leaders")
    for page in (amina, rosa, console):
        cluster = page.locator(".act-cluster").filter(has_text="Traditional leaders")
        expect(cluster.locator(".act-card")).to_contain_text("The village chief")
    shots(console, rosa, artifacts, 3, "cards")

    # 4.-5. Commonalities (cards again), then the discussion with its action list.
    next_phase(console, "Commonalities across contexts", phones)
    next_phase(console, "Engaging men as allies", phones)
    rosa.get_by_label("What", exact=True).fill("Invite two fathers to the next circle")
    rosa.get_by_label("Who", exact=True).fill("Rosa")
    rosa.get_by_role("button", name="Add action").tap()
    expect(activity.locator(".act-action")).to_contain_text("Invite two fathers")
    activity.get_by_role("button", name="Mark “Invite two fathers to the next circle” done").click()
    expect(amina.locator(".act-action")).to_contain_text("Done")
    rosa.get_by_role("button", name="Raise hand").tap()
    expect(console.locator(".console-hands__item")).to_have_count(1)
    # The facilitator keeps a public record of the points made; the phones list them read-only.
    activity.get_by_label("The point").fill("Fathers listen to other fathers")
    expect(activity.locator("#f-point-text-count")).to_contain_text("31")
    activity.get_by_label("Made by (optional)").select_option(label="Amina Wanjiru")
    activity.get_by_role("button", name="Note point").click()
    for page in (amina, rosa, console):
        point = page.locator(".act-point").filter(has_text="Fathers listen to other fathers")
        expect(point).to_contain_text("made by Amina Wanjiru")
    expect(rosa.get_by_role("button", name="Note point")).to_have_count(0)
    expect(rosa.locator(".act-point").get_by_role("button")).to_have_count(0)
    activity.get_by_label("The point").fill("A point noted by mistake")
    activity.get_by_role("button", name="Note point").click()
    expect(amina.locator(".act-point")).to_have_count(2)
    activity.get_by_role("button", name="Remove “A point noted by mistake”").click()
    confirm(console, "Remove")
    expect(amina.locator(".act-point")).to_have_count(1)
    shots(console, amina, artifacts, 5, "discussion")

    # 6. Collective problem solving: cards are always anonymous here, dot-voting opened, a vote; with
    # fewer than three voters the totals stay hidden, revealed or not.
    next_phase(console, "Collective problem solving", phones)
    expect(rosa.locator(".act--add-card")).to_contain_text("Cards here are anonymous")
    rosa.get_by_label("The challenge").fill("Fathers don't come to school meetings")
    rosa.get_by_label("An idea that could help").fill("Hold them after Friday prayers")
    rosa.get_by_role("button", name="Add card").tap()
    card = activity.locator(".act-card").filter(has_text="Fathers don't come")
    expect(card).to_contain_text("Anonymous")
    expect(card).not_to_contain_text("Rosa Quispe")
    expect(amina.locator(".act-card").filter(has_text="Fathers don't come")).to_contain_text("Anonymous")
    activity.get_by_role("button", name="Open voting").click()
    expect(amina.locator(".act-voting")).to_contain_text("You have 3 votes left.")
    amina.get_by_role("button", name="Vote for “Fathers don't come to school meetings”").tap()
    expect(amina.locator(".act-voting")).to_contain_text("You have 2 votes left.")
    expect(amina.locator(".act-dots")).to_have_text("Your votes: 1")
    expect(rosa.locator(".badge--votes")).to_have_count(0)  # hidden until revealed
    expect(card.locator(".badge--votes")).to_have_count(0)  # one person's dot, even to the facilitator
    expect(activity).to_contain_text("Totals appear once at least 3 people have voted (1 so far)")
    activity.get_by_role("button", name="Close voting").click()
    activity.get_by_role("button", name="Reveal the votes").click()
    expect(rosa.locator(".act-voting")).to_contain_text("Totals appear once at least 3 people have voted")
    expect(rosa.locator(".act-card .badge--votes")).to_have_count(0)
    shots(console, amina, artifacts, 6, "voting")

    # 7. The funder message: both edit "The need"; Rosa saves from a stale version and merges.
    next_phase(console, "Crafting messages for funding partners", phones)
    amina_need = amina.get_by_label("Text of “The need”")
    rosa_need = rosa.get_by_label("Text of “The need”")
    amina_need.fill("Girls walk two hours to school.")
    rosa_need.fill("Fathers are ready to help.")
    amina.locator(".act-draft").first.locator(".act-cites summary").tap()
    amina.locator(".act-draft").first.get_by_label("Story: “The chief who changed his mind” by Amina Wanjiru").check()
    amina.locator(".act-draft").first.get_by_role("button", name="Save section").tap()
    expect(console.locator(".act-draft").first).to_contain_text("saved by Amina Wanjiru")
    rosa.locator(".act-draft").first.get_by_role("button", name="Save section").tap()
    conflict = rosa.locator(".act-conflict")
    expect(conflict).to_contain_text("Someone saved this section while you were writing.")
    expect(conflict.locator("[data-theirs]")).to_have_text("Girls walk two hours to school.")
    expect(rosa.get_by_label("Your unsaved text: merge here")).to_have_value("Fathers are ready to help.")
    rosa.screenshot(path=artifacts / "activity-07-draft-phone-merge.png", full_page=True)
    rosa.get_by_role("button", name="Add their changes to my text").tap()
    rosa.get_by_role("button", name="Save the merged text").tap()
    expect(rosa.locator(".act-conflict")).to_have_count(0)
    for page in (amina, console):
        need = page.locator(".act-draft").first.locator("textarea")
        expect(need).to_have_value("Girls walk two hours to school.\n\nFathers are ready to help.")
    expect(console.locator(".act-draft").first).to_contain_text("saved by Rosa Quispe · version 2")
    activity.get_by_role("button", name="Mark as final").click()
    for page in phones:
        expect(page.locator(".act-final")).to_contain_text("Marked final by the facilitator")
        expect(page.locator(".act-draft textarea")).to_have_count(0)
        expect(page.locator(".act-draft__text").first).to_contain_text("Fathers are ready to help.")
    shots(console, amina, artifacts, 7, "draft")

    # 8. Closing reflection: both answer; the console counts answers, and summarises them at the end.
    next_phase(console, "Closing reflection", phones)
    for page, score, text in ((amina, "5", "I felt heard."), (rosa, "4", "More time for stories.")):
        for group in page.locator(".act-scale").all():
            group.get_by_text(score, exact=True).tap()
        page.get_by_label("Anything else you want to tell us").fill(text)
        page.get_by_role("button", name="Send my feedback").tap()
        expect(page.locator(".act-done")).to_contain_text("You can change your answers until the end")
    expect(activity).to_contain_text("2 answers")
    shots(console, rosa, artifacts, 8, "feedback")

    console.get_by_role("button", name="End exchange").click()
    confirm(console, "End exchange")
    # Two answers are as good as signed: the console shows how many, nothing of what they said.
    expect(activity).to_contain_text("Fewer than 3 people answered")
    expect(activity).not_to_contain_text("I felt heard.")
    expect(activity).not_to_contain_text("average")
    expect(activity).not_to_contain_text("Amina Wanjiru")
    for page in phones:
        expect(page.locator(".live-thanks")).to_be_visible()
    shots(console, amina, artifacts, 9, "ended")

    assert errors == []
    for context in (console.context, amina_context, rosa_context):
        context.close()
