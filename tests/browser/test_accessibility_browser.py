"""WCAG 2.2 AA on every page, checked by axe-core (npm, pinned in package.json) in Chromium.

Every staff page (programmes, exchange, plan, console, library, synthesis pages, account, security
log, login) and every practitioner page (the link, the ground rules, the lobby, the live page in every
phase of the plan, the end, the record) is checked with the wcag2a, wcag21a, wcag2aa, wcag21aa and
wcag22aa rules, plus label-in-name (`label-content-name-mismatch`, experimental in axe, switched on)
for every control, and what axe leaves to a person (`LOOK`): 3:1 focus rings and field borders, and
44 px targets; no violation is allowed. Each practitioner page is kept as a 360 px screenshot
under test-artifacts/phone-360/ (git ignores it).

`LANGUAGES` lists the languages the pages are checked in (the browser's language, and the exchange's):
English, and Arabic for the right-to-left pages.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_live_browser import (
    LAPTOP,
    PASSWORD,
    PHONE,
    Facilitator,
    facilitator,  # noqa: F401  (a fixture)
    scheduled_exchange,
)
from tests.support.servers import ROOT, ServerProcess

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "test-artifacts" / "phone-360"
LANGUAGES = ["en", "ar"]
TAGS = ["wcag2a", "wcag21a", "wcag2aa", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": TAGS},
    "rules": {"label-content-name-mismatch": {"enabled": True}},
    "resultTypes": ["violations"],
}


def axe(page: Page, where: str) -> list[str]:
    """Run axe on the page as it is now; one line per violating node."""
    assert AXE.exists(), "axe-core is missing: `make node-tools` (npm ci) installs it"
    page.wait_for_load_state("load")
    if not page.evaluate("Boolean(window.axe)"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("(options) => axe.run(document, options)", AXE_OPTIONS)
    lines = []
    for violation in result["violations"]:
        for node in violation["nodes"]:
            lines.append(f"{where}: {violation['id']} {node['target']} {node.get('failureSummary', '')[:200]!r}")
    return lines + look(page, where)


#: What axe leaves to a person: the contrast of focus rings and field borders against what is behind
#: them (WCAG 1.4.11, 3:1), and 44 px targets for buttons and fields (a checkbox or radio counts by
#: its label). Runs in the page; one line per failing control.
LOOK = """() => {
  const lum = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    if (a === 0) return null;
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const ratio = (a, b) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  const behind = (el) => {
    for (let e = el.parentElement; e; e = e.parentElement) {
      const l = lum(getComputedStyle(e).backgroundColor); if (l !== null) return l;
    }
    return 1;
  };
  const name = (el) => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.name ? "[name=" + el.name + "]" : ""} "${(el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 40)}"`;
  const out = [];
  const shown = (el) => el.offsetParent !== null && getComputedStyle(el).visibility !== "hidden";
  const controls = [...document.querySelectorAll("button, a.btn, select, textarea, input:not([type=hidden]), summary")].filter(shown);
  for (const el of controls) {
    const box = el.getBoundingClientRect();
    const target = (el.type === "checkbox" || el.type === "radio") ? (el.closest("label") || el).getBoundingClientRect() : box;
    if (target.height < 43.5) out.push(`target ${Math.round(target.height)} px high: ${name(el)}`);
    if (["INPUT", "SELECT", "TEXTAREA"].includes(el.tagName) && !["checkbox", "radio", "submit", "button"].includes(el.type)) {
      const l = lum(getComputedStyle(el).borderTopColor);
      if (l !== null && ratio(l, behind(el)) < 3) out.push(`border ${ratio(l, behind(el)).toFixed(1)}:1: ${name(el)}`);
    }
  }
  for (const el of controls.slice(0, 60)) {
    el.focus({ preventScroll: true });
    if (document.activeElement !== el) continue;
    const st = getComputedStyle(el);
    if (st.outlineStyle === "none" || parseFloat(st.outlineWidth) < 2) { out.push(`no focus ring: ${name(el)}`); continue; }
    const l = lum(st.outlineColor);
    if (l !== null && ratio(l, behind(el)) < 3) out.push(`focus ring ${ratio(l, behind(el)).toFixed(1)}:1: ${name(el)}`);
  }
  document.activeElement?.blur?.();
  return out;
}"""


def look(page: Page, where: str) -> list[str]:
    page.keyboard.press("Shift")  # keyboard use: :focus-visible styles apply to focused controls
    return [f"{where}: {line}" for line in page.evaluate(LOOK)]


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_in_every_phase_has_no_wcag_violation(
    server: ServerProcess, browser: Browser, facilitator: Facilitator, language: str  # noqa: F811
) -> None:
    exchange = scheduled_exchange(server, facilitator, language=language)
    problems: list[str] = []

    # The practitioner, on a 360 px phone: the link, the ground rules, the lobby.
    phone_context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, bypass_csp=True, locale=language)
    phone = phone_context.new_page()
    phone.set_default_timeout(10_000)
    phone.goto(exchange.links[0])
    problems += axe(phone, "link")
    shot(phone, "01-link")
    # Selectors, not words, so the same steps run in any language.
    phone.locator("main form button[type=submit]").first.tap()
    expect(phone.locator("input[name=accept]")).to_be_visible()
    problems += axe(phone, "ground rules")
    shot(phone, "02-ground-rules")
    phone.locator("input[name=accept]").check()
    phone.locator("input[name=consent][value=name]").check()
    phone.locator("form[action$='/agree'] button[type=submit]").tap()
    expect(phone.locator("[data-live-conn][data-status=connected]")).to_be_visible()
    problems += axe(phone, "lobby")
    shot(phone, "03-lobby")

    # The facilitator's pages, on a laptop.
    staff_context = browser.new_context(viewport=LAPTOP, bypass_csp=True, locale=language)
    staff = staff_context.new_page()
    staff.set_default_timeout(10_000)
    staff.goto(f"{server.url}/login")
    problems += axe(staff, "login")
    staff.locator("input[name=email]").fill(facilitator.email)
    staff.locator("input[name=password]").fill(PASSWORD)
    staff.locator("main form button[type=submit]").click()
    expect(staff).not_to_have_url(re.compile(r"/login"))
    staff.wait_for_load_state("load")
    programme = f"/programmes/{facilitator.programme_id}"
    for path in ["/programmes", programme, f"{programme}/exchanges/new", f"/exchanges/{exchange.id}",
                 f"/exchanges/{exchange.id}/edit", f"/exchanges/{exchange.id}/plan", f"{programme}/library",
                 f"{programme}/themes", f"{programme}/search", f"{programme}/selection", f"{programme}/placements",
                 f"{programme}/report", "/account"]:
        response = staff.goto(f"{server.url}{path}")  # a lead's page shows a facilitator its refusal page
        assert response is not None and response.status in {200, 403}, path
        problems += axe(staff, f"{path} ({response.status})")

    # The live exchange: the console and the phone in every phase of the plan.
    staff.goto(f"{server.url}/exchanges/{exchange.id}/console")
    expect(staff.locator("[data-live-conn][data-status=connected]")).to_be_visible()
    problems += axe(staff, "console waiting")
    staff.locator("button[data-focus-key^='start_exchange']").click()
    staff.locator("dialog[open] .btn--primary").click()
    count = len(json.loads(staff.locator("#live-plan").text_content() or "{}")["phases"])
    for n in range(1, count + 1):
        expect(phone.locator(".live-now__title")).to_be_visible()
        title = phone.locator(".live-now__title").inner_text()
        if n == 2:  # a turn running: the speaker's cues and the listeners' prompts
            staff.locator("button[data-focus-key='next_turn']").click()
            expect(phone.locator(".live-cue--turn, .live-speaker").first).to_be_visible()
        problems += axe(phone, f"phone phase {n} {title}")
        problems += axe(staff, f"console phase {n} {title}")
        shot(phone, f"{n + 3:02d}-phase-{n}")
        if n < count:
            staff.locator(".console-now__nav .btn--primary").first.click()
            expect(phone.locator(".live-now__title")).not_to_have_text(title)
    staff.locator("button[data-focus-key^='end_exchange']").click()
    staff.locator("dialog[open] .btn--danger").click()
    expect(phone.locator(".live-thanks")).to_be_visible()
    problems += axe(phone, "ended")
    problems += axe(staff, "console ended")
    shot(phone, f"{count + 4:02d}-ended")
    phone.goto(f"{server.url}/e/{exchange.id}/record")
    problems += axe(phone, "record")
    shot(phone, f"{count + 5:02d}-record")
    phone_context.close()
    staff_context.close()
    assert problems == [], "\n".join(problems)
