"""In headless Chromium: languages and right to left.

- A practitioner picks Arabic in her lobby and plays a whole exchange in it on a 360 px phone: the page
  is rtl, the ground rules, phase titles, prompts and card fields of the shipped plan are in Arabic,
  her story and card in Arabic reach the others, and nothing scrolls sideways. The other practitioner
  follows the same exchange in English meanwhile, and so does the facilitator's console. Her choice
  survives a reload.
- Each practitioner page at 360 px is saved in English and in Arabic (tests/artifacts/i18n/): every
  phase of the live page (ar-*.png, en-*.png), and the link, lobby, record and handover pages.

Expected words are looked up in the catalogues (exchange.i18n), and checked to differ from English,
so the test proves translation, not just that something rendered.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from exchange import i18n
from exchange.prompts.catalog import get_template
from tests.browser.test_live_browser import (
    PHONE,
    Facilitator,
    confirm,
    facilitator,  # noqa: F401  (a fixture)
    open_console,
    scheduled_exchange,
    watch_errors,
)
from tests.support.servers import ServerProcess
from tests.support.web import PASSWORD

pytestmark = pytest.mark.browser

PLAN = get_template("story-exchange")


def tr(lang: str, message: str) -> str:
    with i18n.use(lang):
        return i18n._(message)


def ar(message: str) -> str:
    """The Arabic of a message; it must have one (this test is about translation)."""
    text = tr("ar", message)
    assert text != message, f"no Arabic for {message!r}"
    return text


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide on a {PHONE['width']}px screen"


def phone(browser: Browser, locale: str, errors: list[str], who: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2, locale=locale, timezone_id="Asia/Amman"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    watch_errors(page, errors, who)
    return context, page


def pick_language(page: Page, code: str, expected: str | None = None) -> None:
    form = page.locator("[data-language-form]")
    form.locator("select").select_option(code)
    form.locator("button[type=submit]").tap()
    expect(page.locator("html")).to_have_attribute("lang", expected or code)


def accept_rules(page: Page, lang: str) -> None:
    page.get_by_text(tr(lang, "I accept these ground rules.")).tap()
    page.get_by_text(tr(lang, "by my name")).tap()
    page.get_by_role("button", name=tr(lang, "Accept and continue")).tap()
    expect(page.locator("#live")).to_be_visible()
    expect(page.locator("[data-live-conn]")).to_have_text(tr(lang, "Connected"))


def in_arabic(page: Page, phase_index: int, shots: Path, name: str, english: Page | None = None) -> None:
    """The Arabic page shows phase `phase_index` of the shipped plan in Arabic, right to left, 360 px wide
    (and the English page beside it, whose screenshot is kept too)."""
    phase = PLAN.phases[phase_index]
    if english is not None:
        expect(english.locator("html")).to_have_attribute("dir", "ltr")
        expect(english.locator(".live-now__title")).to_have_text(phase.title)
        no_sideways_scroll(english)
        english.screenshot(path=shots / f"en-{phase_index + 1:02d}-{name}.png", full_page=True)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator(".live-now__title")).to_have_text(ar(phase.title))
    first_prompt = ar(phase.prompts[0])
    if "{" not in first_prompt:
        expect(page.locator(".live-prompts")).to_contain_text(first_prompt)
    no_sideways_scroll(page)
    page.screenshot(path=shots / f"ar-{phase_index + 1:02d}-{name}.png", full_page=True)


def next_phase(console: Page, index: int, amina: Page, rosa: Page) -> None:
    title = PLAN.phases[index].title
    console.get_by_role("button", name=f"Next: {title}").click()
    expect(console.locator(".console-show__item.is-current")).to_contain_text(title)
    expect(amina.locator(".live-now__title")).to_have_text(ar(title))
    expect(rosa.locator(".live-now__title")).to_have_text(title)


@pytest.fixture
def shots(artifacts: Path) -> Path:
    folder = artifacts / "i18n"
    folder.mkdir(exist_ok=True)
    return folder


def test_a_practitioner_plays_a_whole_exchange_in_arabic(
    server: ServerProcess, browser: Browser, facilitator: Facilitator, shots: Path  # noqa: F811
) -> None:
    exchange = scheduled_exchange(server, facilitator)
    errors: list[str] = []
    console = open_console(browser, server, facilitator, exchange, errors)

    # Amina's phone is set to English; she picks Arabic in her lobby. Rosa stays in English.
    amina_context, amina = phone(browser, "en-GB", errors, "amina")
    amina.goto(exchange.links[0])
    amina.get_by_role("button", name="Continue").tap()
    expect(amina.locator("html")).to_have_attribute("lang", "en")
    pick_language(amina, "ar")
    expect(amina.locator("html")).to_have_attribute("dir", "rtl")
    expect(amina.locator(".rules li").first).to_have_text(ar(PLAN.agreements[0]))
    expect(amina.locator(".phase-list li").first).to_contain_text(ar(PLAN.phases[0].title))
    no_sideways_scroll(amina)
    amina.screenshot(path=shots / "ar-00-lobby.png", full_page=True)
    accept_rules(amina, "ar")

    rosa_context, rosa = phone(browser, "en-US", errors, "rosa")
    rosa.goto(exchange.links[1])
    rosa.get_by_role("button", name="Continue").tap()
    expect(rosa.locator("html")).to_have_attribute("lang", "en")
    expect(rosa.locator("html")).to_have_attribute("dir", "ltr")
    accept_rules(rosa, "en")

    # Her choice is hers: it survives a reload, and changed nobody else's page.
    amina.reload()
    expect(amina.locator("html")).to_have_attribute("lang", "ar")
    expect(amina.locator("[data-live-conn]")).to_have_text(ar("Connected"))
    expect(amina.locator(".countdown")).to_contain_text(ar("Starts in {time}").split("{time}")[0].strip())
    expect(console.locator("html")).to_have_attribute("lang", "en")

    console.get_by_role("button", name="Start the exchange").click()
    confirm(console, "Start the exchange")

    # 1. Ground rules, in Arabic.
    in_arabic(amina, 0, shots, "agreements", rosa)
    expect(amina.locator(".act--agreements .rules li").first).to_have_text(ar(PLAN.agreements[0]))
    expect(amina.locator(".live-now")).to_contain_text(ar("Phase {n} of {total}").split("{n}")[0].strip())
    # Accepted on joining (in her lobby): the phase records it without asking again.
    expect(amina.get_by_role("button", name=ar("I accept these ground rules"))).to_have_count(0)
    expect(amina.locator(".act-done")).to_contain_text(ar("You have accepted the ground rules. Thank you."))
    expect(rosa.locator(".live-now__title")).to_have_text(PLAN.phases[0].title)
    expect(rosa.locator("html")).to_have_attribute("lang", "en")

    # 2. Her story, told in Arabic, with a Latin name in it; Rosa's Spanish page shows it as written.
    next_phase(console, 1, amina, rosa)
    console.get_by_role("button", name="Start Amina Wanjiru's turn").click()
    expect(amina.locator(".live-cue--turn")).to_contain_text(ar("It's your turn"))
    story = "الشيخ الذي غيّر رأيه في مدرسة Kibera"
    amina.get_by_label(ar("Title"), exact=True).fill(story)
    amina.get_by_label(ar("Summary"), exact=True).fill("كيف دعم مجلس القرية تعليم البنات.")
    amina.get_by_role("button", name=ar("Share my story")).tap()
    expect(amina.locator(".act-story__title").first).to_have_text(story)
    expect(rosa.locator(".act-story__title").first).to_have_text(story)
    expect(rosa.locator(".live-listen li").first).to_have_text(PLAN.phases[1].listener_prompts[0])
    in_arabic(amina, 1, shots, "story-round", rosa)
    amina.get_by_role("button", name=ar("I'm done")).tap()
    expect(console.locator("#turns-panel .console-speaker--none")).to_be_visible()

    # 3. A card, its fields labelled in Arabic.
    next_phase(console, 2, amina, rosa)
    fields = PLAN.phases[2].card_fields
    amina.get_by_label(ar(fields[0].label), exact=True).fill("القابلة في الحي")
    amina.get_by_label(ar(fields[1].label), exact=True).fill("تعرف كل الأسر")
    amina.get_by_label(ar(fields[2].label), exact=True).fill("زيارات منزلية")
    amina.get_by_role("button", name=ar("Add card")).tap()
    expect(rosa.locator(".act-card")).to_contain_text("القابلة في الحي")
    in_arabic(amina, 2, shots, "cards", rosa)

    next_phase(console, 3, amina, rosa)
    in_arabic(amina, 3, shots, "cards-commonalities", rosa)

    # 5. An open discussion: her hand goes up.
    next_phase(console, 4, amina, rosa)
    amina.get_by_role("button", name=ar("Raise hand")).tap()
    expect(amina.locator(".live-cue--hand")).to_contain_text(ar("Your hand is up"))
    expect(console.locator(".console-hands__item")).to_have_count(1)
    in_arabic(amina, 4, shots, "discussion", rosa)

    # 6. Anonymous cards and votes, counted with Arabic plural forms.
    next_phase(console, 5, amina, rosa)
    challenge = PLAN.phases[5].card_fields
    amina.get_by_label(ar(challenge[0].label), exact=True).fill("الآباء لا يحضرون اجتماعات المدرسة")
    amina.get_by_label(ar(challenge[1].label), exact=True).fill("نعقدها بعد صلاة الجمعة")
    amina.get_by_role("button", name=ar("Add card")).tap()
    console.locator("#activity-panel").get_by_role("button", name="Open voting").click()
    votes = PLAN.phases[5].votes_per_person
    with i18n.use("ar"):
        left = i18n.ngettext("You have %(num)d vote left.", "You have %(num)d votes left.", votes)
    assert left != f"You have {votes} votes left."
    expect(amina.locator(".act-voting")).to_contain_text(re.compile(left.replace("%(num)d", r"\S+")))
    in_arabic(amina, 5, shots, "voting", rosa)

    # 7. The shared draft: its sections named in Arabic.
    next_phase(console, 6, amina, rosa)
    expect(amina.locator(".act-draft__title").first).to_have_text(ar(PLAN.phases[6].sections[0]))
    amina.locator(".act-draft textarea").first.fill("البنات يمشين ساعتين إلى المدرسة.")
    amina.locator(".act-draft").first.get_by_role("button", name=ar("Save section")).tap()
    expect(console.locator(".act-draft textarea").first).to_have_value("البنات يمشين ساعتين إلى المدرسة.")
    in_arabic(amina, 6, shots, "draft", rosa)

    # 8. Closing feedback.
    next_phase(console, 7, amina, rosa)
    for group in amina.locator(".act-scale").all():
        group.locator("label").last.tap()
    amina.get_by_label(ar("Anything else you want to tell us")).fill("شعرت بأنني مسموعة.")
    amina.get_by_role("button", name=ar("Send my feedback")).tap()
    expect(amina.locator(".act-done")).to_be_visible()
    in_arabic(amina, 7, shots, "feedback", rosa)

    console.get_by_role("button", name="End exchange").click()
    confirm(console, "End exchange")
    expect(amina.locator(".live")).to_contain_text(ar("Thank you"))
    no_sideways_scroll(amina)
    amina.screenshot(path=shots / "ar-09-ended.png", full_page=True)

    assert errors == []
    for context in (console.context, amina_context, rosa_context):
        context.close()


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_every_practitioner_page_at_360px(
    server: ServerProcess, browser: Browser, facilitator: Facilitator, shots: Path, lang: str  # noqa: F811
) -> None:
    """The link, lobby, record and handover pages in the practitioner's language: lang and dir on the
    page, no sideways scroll at 360 px, and a screenshot of each."""
    exchange = scheduled_exchange(server, facilitator, title="قصص التغيير · Stories of change" if lang == "ar" else "Stories of change")
    errors: list[str] = []
    context, page = phone(browser, "ar" if lang == "ar" else "en-US", errors, lang)  # the browser's own choice
    direction = "rtl" if lang == "ar" else "ltr"

    def check(name: str) -> None:
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page.locator("html")).to_have_attribute("dir", direction)
        no_sideways_scroll(page)
        page.screenshot(path=shots / f"{lang}-page-{name}.png", full_page=True)

    page.goto(exchange.links[0])
    check("link")
    page.get_by_role("button", name=tr(lang, "Continue")).tap()
    check("lobby-rules")
    accept_rules(page, lang)
    check("lobby-waiting")
    page.goto(f"{server.url}/e/{exchange.id}/record")
    expect(page.locator("h1")).to_have_text(re.compile("Stories of change"))
    check("record")
    page.goto(f"{server.url}/e/{exchange.id}")
    page.locator("[data-handover] summary").tap()
    page.get_by_role("button", name=tr(lang, "Show a code for my other device")).tap()
    check("handover")
    assert errors == []
    context.close()


def test_staff_pages_in_arabic_at_360px(
    server: ServerProcess, browser: Browser, facilitator: Facilitator, shots: Path  # noqa: F811
) -> None:
    """A facilitator who picked Arabic on their account page: every staff page is rtl and fits 360 px."""
    exchange = scheduled_exchange(server, facilitator)
    errors: list[str] = []
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    watch_errors(page, errors, "staff")
    page.goto(f"{server.url}/login?next=/account")
    page.get_by_label("Email").fill(facilitator.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").tap()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    pick_language(page, "ar")
    expect(page.get_by_role("status")).to_have_text(ar("Your pages and consoles now use the language you picked."))
    try:
        for name, path in (
            ("account", "/account"),
            ("programmes", "/programmes"),
            ("programme", f"/programmes/{facilitator.programme_id}"),
            ("exchange", f"/exchanges/{exchange.id}"),
            ("console", f"/exchanges/{exchange.id}/console"),
        ):
            page.goto(f"{server.url}{path}")
            expect(page.locator("html")).to_have_attribute("dir", "rtl")
            expect(page.locator("html")).to_have_attribute("lang", "ar")
            no_sideways_scroll(page)
            page.screenshot(path=shots / f"ar-staff-{name}.png", full_page=True)
        assert errors == []
    finally:
        # The facilitator fixture is shared by the module: back to the browser's language.
        page.goto(f"{server.url}/account")
        pick_language(page, "", expected="en")
        context.close()


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_html_export_in_the_readers_language_fits_a_phone(browser: Browser, shots: Path, lang: str) -> None:
    """The standalone HTML transcript (the unit tests' scripted exchange, with its hostile and mixed
    texts) carries the reader's lang and dir and reads at 360 px without sideways scroll."""
    from tests.unit.test_transcripts import outputs

    with i18n.use(lang):
        document = outputs()["html"]
    page = browser.new_page(viewport=PHONE)
    try:
        page.set_content(document)
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
        if lang == "ar":
            expect(page.locator("h2").first).to_have_text(tr("ar", "Participants and airtime"))
        no_sideways_scroll(page)
        page.screenshot(path=shots / f"{lang}-export-transcript.png", full_page=True)
    finally:
        page.close()
