"""The practitioner page's first load stays light: under 60 KB on the wire (Chromium's encodedDataLength:
headers and compression included, fonts and scripts too), its static files compressed, fingerprinted
and cached for a year. The slow-3G time to a working live view is measured by `python -m bench.page_load`.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser

from tests.browser.test_live_browser import Facilitator, facilitator, scheduled_exchange  # noqa: F401
from tests.support.pageload import claim_phone, first_load
from tests.support.servers import ServerProcess
from tests.support.web import WebClient

pytestmark = pytest.mark.browser

BUDGET = 60_000


def test_the_practitioner_page_first_load_is_under_60_kb(
    server: ServerProcess, browser: Browser, facilitator: Facilitator  # noqa: F811
) -> None:
    exchange = scheduled_exchange(server, facilitator)
    load = first_load(browser, f"{server.url}/e/{exchange.id}", claim_phone(browser, exchange.links[0]))
    print(load.table())
    assert load.encoded_bytes < BUDGET, load.table()
    statics = [r["url"] for r in load.requests if "/static/" in r["url"]]
    assert statics and all(re.search(r"\.[0-9a-f]{10}\.(js|css|svg)$", url) for url in statics), statics
    client = WebClient(server.url)
    try:
        for url in statics:
            response = client.get(url.removeprefix(server.url), headers={"Accept-Encoding": "gzip"})
            assert response.status_code == 200
            assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
            if int(response.headers.get("content-length", "0")) > 1000:
                assert response.headers["content-encoding"] == "gzip", url
    finally:
        client.close()
