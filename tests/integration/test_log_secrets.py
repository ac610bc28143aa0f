"""No secret reaches the server log: invite tokens, handover codes, staff session tokens, CSRF tokens,
device secrets (the practitioner cookie), whatever the request and at the most talkative log level.

A server logging at DEBUG (access lines, websocket frames) sees a whole run of the ways secrets
travel: links opened, claimed, moved with a handover code (right and wrong), revoked and
re-issued; staff logging in and out, opening a practitioner's link; forms with CSRF tokens; live
sockets; calendar files carrying the link. Then every secret seen is looked for in every log line.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session

from exchange.auth import CSRF_COOKIE, STAFF_COOKIE, participant_cookie_name
from exchange.db import make_engine
from exchange.programmes import service
from exchange.programmes.models import Participant
from tests.support.live import LiveClient
from tests.support.scenario import Setup, scheduled_exchange
from tests.support.servers import ServerProcess
from tests.support.web import WebClient, claim_link, created_id, invite_links, link_path
from tests.support.world import SECRET


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """This module's own server, logging everything it would ever log."""
    process = ServerProcess(
        database_url, log_path=tmp_path_factory.mktemp("logs") / "server.log", env={"EXCHANGE_LOG_LEVEL": "debug"}
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()


class Secrets:
    """Every secret that crossed the wire in this run, to look for afterwards."""

    def __init__(self) -> None:
        self.found: dict[str, str] = {}

    def add(self, kind: str, value: str | None) -> None:
        if value and len(value) >= 8:
            self.found[value] = kind

    def cookies(self, client: httpx.Client) -> None:
        for cookie in client.cookies.jar:
            if cookie.name == CSRF_COOKIE:
                self.add("csrf token", cookie.value)
            elif cookie.name == STAFF_COOKIE:
                self.add("staff session token", cookie.value)
            elif cookie.name.startswith(("exchange_p", "exchange_j")) and cookie.value:
                self.add("device cookie", cookie.value)
                # The signed payload holds the device secret in the clear (base64 JSON): look for it too.
                self.add("device cookie payload", cookie.value.split(".", 1)[0])

    def tokens_of(self, database_url: str, exchange_id: int) -> None:
        engine = make_engine(database_url)
        try:
            with Session(engine) as db:
                for participant in service.participants_of(db, exchange=db.get(service.Exchange, exchange_id)):  # type: ignore[attr-defined]
                    self.add("invite token", service.invite_token(SECRET, participant))
        finally:
            engine.dispose()


def handover_code(page: str) -> str:
    match = re.search(r"data-handover-code>([A-Z0-9-]+)<", page)
    assert match, page[:500]
    return match.group(1)


async def test_no_secret_in_any_log_line(server: ServerProcess) -> None:
    found = Secrets()
    setup = scheduled_exchange(server, practitioners=2)
    eid = setup.exchange_id
    for client in (setup.facilitator, *setup.practitioners):
        found.cookies(client.http)
    found.tokens_of(server.database_url, eid)

    # Live sockets, with a command or two.
    facilitator = await LiveClient(server.ws_url, eid, Setup.cookie(setup.facilitator)).connect()
    practitioner = await LiveClient(server.ws_url, eid, Setup.cookie(setup.practitioners[0])).connect()
    await facilitator.wait_view(lambda v: len(v["roster"]) >= 1)
    await facilitator.ok("start_exchange")
    await practitioner.command("raise_hand")

    # A new link: opened by a staff browser (refused), by a mail scanner (GET only), claimed, opened again.
    response = setup.facilitator.post(f"/exchanges/{eid}/participants", {"name": f"Lena {uuid.uuid4().hex[:4]}"})
    pid = created_id(response, r"invited=(\d+)")
    link = invite_links(setup.facilitator.get(f"/exchanges/{eid}").text)[-1]
    found.tokens_of(server.database_url, eid)
    assert setup.facilitator.get(link_path(link)).status_code == 403
    assert setup.facilitator.get(f"/login?next={link_path(link)}").status_code in {200, 303}
    newcomer = WebClient(server.url)
    assert claim_link(newcomer.http, link).status_code == 303
    assert newcomer.post(f"/e/{eid}/agree", {"accept": "yes", "consent": "name"}).status_code == 303
    assert newcomer.get(link_path(link)).status_code == 303
    assert newcomer.get(f"/e/{eid}/exchange.ics").status_code == 200
    found.cookies(newcomer.http)

    # A handover: a wrong code, then the right one, on another device.
    page = newcomer.post(f"/e/{eid}/handover")
    assert page.status_code == 200
    code = handover_code(page.text)
    found.add("handover code", code)
    found.add("handover code", code.replace("-", ""))
    laptop = WebClient(server.url)
    assert laptop.post(f"{link_path(link)}/handover", {"code": "AAAA-AAAA"}).status_code == 400
    assert laptop.post(f"{link_path(link)}/handover", {"code": code}).status_code == 303
    found.cookies(laptop.http)

    # Revoked and re-issued links, and the old ones tried again.
    old_links = [link]
    assert setup.facilitator.post(f"/exchanges/{eid}/participants/{pid}/reissue", {"confirm": "yes"}).status_code == 303
    found.tokens_of(server.database_url, eid)
    assert setup.facilitator.post(f"/exchanges/{eid}/participants/{pid}/revoke", {"confirm": "yes"}).status_code == 303
    for old in old_links:
        assert laptop.get(link_path(old)).status_code == 404

    # Staff: a second login, a logout, a form without its token.
    staff = WebClient(server.url)
    found.cookies(staff.http)
    assert staff.post("/login", {"email": "nobody@example.org", "password": "wrong password"}).status_code == 400
    assert staff.post("/logout", {}, csrf=False).status_code == 403
    await facilitator.close()
    await practitioner.close()
    for client in (newcomer, laptop, staff):
        client.close()
    setup.close()

    log = Path(server.log_path).read_text(errors="replace")
    assert "/join/[link]" in log, "the access log was not on: nothing was tested"
    leaks = [f"{kind} ({secret[:6]}…)" for secret, kind in found.found.items() if secret in log]
    assert not leaks, f"secrets in the server log: {leaks}"
    kinds = set(found.found.values())
    assert {"invite token", "handover code", "staff session token", "csrf token", "device cookie"} <= kinds, kinds
