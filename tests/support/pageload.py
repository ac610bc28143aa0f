"""A practitioner page's first load as Chromium's network layer sees it (the Chrome DevTools Protocol).

`first_load()` opens a practitioner's page in a fresh browser context (an empty cache, the device
cookie only) and adds up `encodedDataLength` of every response: the bytes on the wire, headers and
compression included. With `throttle` it emulates a slow network first (Network.emulateNetworkConditions)
and reads the page's own clock when the live view works (connected, the view drawn).
Used by tests/browser/test_weak_network_browser.py (the byte budget) and `python -m bench.page_load`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from playwright.sync_api import Browser, BrowserContext

PHONE = {"width": 360, "height": 780}

#: Slow 3G as the issue gives it: 400 ms latency, 400 kbps each way.
SLOW_3G = {"latency": 400, "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8}


@dataclass
class FirstLoad:
    url: str
    requests: list[dict] = field(default_factory=list)  # {url, status, encoded, type}
    live_ms: float | None = None  # page clock at the moment the live view worked

    @property
    def encoded_bytes(self) -> int:
        return sum(r["encoded"] for r in self.requests)

    def table(self) -> str:
        rows = [f"{r['encoded']:>8}  {r['status']}  {r['type']:<10} {r['url']}" for r in self.requests]
        return "\n".join([*rows, f"{self.encoded_bytes:>8}  total in {len(self.requests)} requests"])


def claim_phone(browser: Browser, link: str) -> list[dict]:
    """Open a personal link on a phone, accept the ground rules; return the device's cookies."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.goto(link)
        page.get_by_role("button", name="Continue").click()
        page.get_by_text("I accept these ground rules.").click()
        page.get_by_text("by my name").click()
        page.get_by_role("button", name="Accept and continue").click()
        page.locator("[data-live-conn][data-status=connected]").wait_for()
        return context.cookies()
    finally:
        context.close()


def first_load(browser: Browser, url: str, cookies: list[dict], *, throttle: dict | None = None) -> FirstLoad:
    """Load `url` once with an empty cache and the given cookies; wait until the live view works."""
    context: BrowserContext = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        context.add_cookies(cookies)
        page = context.new_page()
        page.set_default_timeout(60_000)
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
        if throttle:
            cdp.send("Network.emulateNetworkConditions", {"offline": False, **throttle})
        seen: dict[str, dict] = {}

        def response(event: dict) -> None:
            r = event["response"]
            seen[event["requestId"]] = {"url": r["url"], "status": r["status"], "type": event.get("type", ""), "encoded": 0}

        def finished(event: dict) -> None:
            if event["requestId"] in seen:
                seen[event["requestId"]]["encoded"] = int(event["encodedDataLength"])

        cdp.on("Network.responseReceived", response)
        cdp.on("Network.loadingFinished", finished)
        page.goto(url, wait_until="commit")
        page.locator("[data-live-conn][data-status=connected]").wait_for()
        live_ms = page.evaluate("performance.now()")
        page.wait_for_load_state("load")
        page.wait_for_timeout(300)  # the last loadingFinished events
        return FirstLoad(url=url, requests=[r for r in seen.values() if r["url"].startswith("http")], live_ms=live_ms)
    finally:
        context.close()
