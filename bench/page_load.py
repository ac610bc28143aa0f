"""The practitioner page's first load: bytes on the wire, requests, and the time to a working live view
on slow 3G (Chromium's network emulation: 400 ms latency, 400 kbps), on a real server on SQLite.

    python -m bench.page_load [--runs 3] [--out bench/results/page_load.json]

Prints the requests of one load (encoded bytes as Chromium counts them: headers and compression
included), then the median time to "Connected" with the view drawn, over `--runs` cold loads.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.test_live_browser import Facilitator, scheduled_exchange
from tests.support.databases import fresh_database, migrate
from tests.support.pageload import SLOW_3G, claim_phone, first_load
from tests.support.servers import ServerProcess
from tests.support.web import WebClient, created_id, seed_staff


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, fresh_database("sqlite", Path(tmp)) as url:
        migrate(url)
        server = ServerProcess(url, log_path=Path(tmp) / "server.log")
        server.start()
        try:
            seed_staff(url, email="lead@example.org", name="Lead", role="lead")
            seed_staff(url, email="fac@example.org", name="Facilitator", role="facilitator")
            lead = WebClient(server.url)
            lead.login("lead@example.org")
            programme = created_id(lead.post("/programmes", {"name": "Bench"}), r"/programmes/(\d+)")
            lead.post(f"/programmes/{programme}/members", {"email": "fac@example.org"})
            lead.close()
            exchange = scheduled_exchange(server, Facilitator("fac@example.org", programme))
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                cookies = claim_phone(browser, exchange.links[0])
                page_url = f"{server.url}/e/{exchange.id}"
                plain = first_load(browser, page_url, cookies)
                print(plain.table())
                times = [first_load(browser, page_url, cookies, throttle=SLOW_3G).live_ms for _ in range(args.runs)]
                browser.close()
        finally:
            server.stop()
    median = statistics.median(t for t in times if t is not None)
    print(f"slow 3G (400 ms, 400 kbps): live view works after {median / 1000:.2f} s (median of {len(times)}: "
          + ", ".join(f"{t / 1000:.2f}" for t in times if t is not None) + ")")
    result = {
        "bytes_on_wire": plain.encoded_bytes,
        "requests": len(plain.requests),
        "slow_3g_live_ms": median,
        "slow_3g_runs_ms": times,
        "detail": plain.requests,
    }
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
