"""A personal link is a key for one person on one device, over real HTTP and real sockets (SQLite, PostgreSQL).

Opening a link changes nothing; the practitioner's own Continue claims it for their browser. Another
browser (or a staff member's) gets no page, no cookie and no socket; staff see that a link was opened,
never the link itself once it was; a handover code moves the place to another device once; revoking
and replacing an opened link ask for confirmation first and end the sockets when confirmed.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy import update
from sqlmodel import Session

from exchange.auth import CookieSigner, participant_cookie_name
from exchange.db import make_engine
from exchange.programmes.models import Participant
from exchange.timeutil import utcnow
from tests.support.live import LiveClient
from tests.support.scenario import Setup, scheduled_exchange
from tests.support.servers import ServerProcess
from tests.support.web import WebClient, claim_link, invite_links, link_path

NOT_VALID = "This link is not valid"
IN_USE = "This link is already in use on another device"
GUARD = "This is a practitioner's personal link"
CODE = re.compile(r'data-handover-code>([A-Z0-9]{4}-[A-Z0-9]{4})<')
SECRET = "test-secret-" + "x" * 40  # what ServerProcess gives the server


# --- helpers ----------------------------------------------------------------------------------


class Db:
    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)

    def participant(self, participant_id: int) -> Participant:
        with Session(self.engine) as db:
            found = db.get(Participant, participant_id)
            assert found is not None
            return found

    def set(self, participant_id: int, **values: Any) -> None:
        with Session(self.engine) as db:
            db.exec(update(Participant).where(Participant.id == participant_id).values(**values))  # type: ignore[arg-type]
            db.commit()


@pytest.fixture(scope="module")
def db(server: ServerProcess) -> Iterator[Db]:
    store = Db(server.database_url)
    try:
        yield store
    finally:
        store.engine.dispose()



@pytest.fixture
def setup(server: ServerProcess) -> Iterator[Setup]:
    """A scheduled exchange, its facilitator signed in, nobody invited yet."""
    made = scheduled_exchange(server, practitioners=0)
    yield made
    made.close()


@dataclass
class Invited:
    id: int
    name: str
    link: str
    browser: WebClient | None = None  # the practitioner's own browser, once they claimed the link

    @property
    def cookie(self) -> str:
        assert self.browser is not None
        return Setup.cookie(self.browser)


def block_of(page: str, participant_id: int) -> str:
    """The facilitator page's list item for one practitioner."""
    return page.split(f'id="participant-{participant_id}"', 1)[1].split("</li>", 1)[0]


def invite(setup: Setup, name: str) -> Invited:
    response = setup.facilitator.post(f"/exchanges/{setup.exchange_id}/participants", {"name": name})
    assert response.status_code == 303, response.text
    participant_id = int(re.search(r"invited=(\d+)", response.headers["location"])[1])  # type: ignore[index]
    [link] = invite_links(block_of(setup.facilitator.get(f"/exchanges/{setup.exchange_id}").text, participant_id))
    return Invited(participant_id, name, link)


def claimed(server: ServerProcess, setup: Setup, name: str, *, accept: bool = True) -> Invited:
    """Invited, and the practitioner opened the link in their browser and pressed Continue."""
    person = invite(setup, name)
    person.browser = WebClient(server.url)
    setup.practitioners.append(person.browser)  # closed with the setup
    response = claim_link(person.browser.http, person.link)
    assert response.status_code == 303 and response.headers["location"] == f"/e/{setup.exchange_id}"
    if accept:
        assert person.browser.post(f"/e/{setup.exchange_id}/agree", {"accept": "yes", "consent": "name"}).status_code == 303
    return person


def participant_cookies(response: httpx.Response) -> list[str]:
    """Set-Cookie headers that would make the browser someone (not the CSRF cookie a form needs)."""
    return [h for h in response.headers.get_list("set-cookie") if h.startswith(("exchange_p", "exchange_j"))]


def text_of(response: httpx.Response) -> str:
    return html.unescape(response.text)


async def refused(server: ServerProcess, exchange_id: int, cookie: str) -> int | None:
    """The close code a socket opened with this cookie gets (1008: not signed in for this exchange)."""
    async with websockets.connect(f"{server.ws_url}/e/{exchange_id}/ws", additional_headers={"Cookie": cookie}) as ws:
        with pytest.raises(websockets.ConnectionClosed):
            await ws.recv()
        return ws.close_code


async def still_open(client: LiveClient) -> None:
    """The socket answers a ping: it was not closed."""
    start = len(client.frames)
    await client.send_raw(json.dumps({"type": "ping", "t": 1}))
    await client.wait_for(lambda f: f["type"] == "pong", start=start, timeout=5)
    assert client.close_code is None


async def closed_with_1008(client: LiveClient) -> None:
    with pytest.raises(ConnectionError):
        await client.wait_for(lambda f: False, timeout=5)
    assert client.close_code == 1008


def new_code(browser: WebClient, exchange_id: int) -> str:
    page = browser.post(f"/e/{exchange_id}/handover")
    assert page.status_code == 200, page.text
    assert "Use this on another device" in page.text
    match = CODE.search(page.text)
    assert match, page.text
    return match[1]


def hand_over(browser: WebClient, link: str, code: str) -> httpx.Response:
    return browser.post(f"{link_path(link)}/handover", {"code": code})


# --- opening a link changes nothing ---------------------------------------------------------------


def test_opening_a_link_changes_nothing_and_sets_no_cookie(
    server: ServerProcess, setup: Setup, db: Db, clients: Any
) -> None:
    person = invite(setup, "Amina <b>Odhiambo</b>")
    for headers in ({}, {"Referer": "https://evil.example/", "Sec-Fetch-Site": "cross-site"}):
        with httpx.Client(base_url=server.url) as scanner:  # a mail scanner, or another site's link
            for _ in range(3):
                page = scanner.get(link_path(person.link), headers=headers)
                assert page.status_code == 200
                assert "Welcome, Amina <b>Odhiambo</b>" in text_of(page)
                assert "&lt;b&gt;Odhiambo" in page.text  # escaped
                assert "Continue" in page.text
                assert participant_cookies(page) == []
            assert scanner.get(f"/e/{setup.exchange_id}").status_code == 404
    stored = db.participant(person.id)
    assert stored.claimed_at is None and stored.device_hash is None

    # The link was not used up: its practitioner claims it now.
    browser = clients()
    response = claim_link(browser.http, person.link)
    assert response.status_code == 303
    names = {c.split("=", 1)[0] for c in participant_cookies(response)}
    assert names == {f"exchange_p{setup.exchange_id}", f"exchange_j{setup.exchange_id}"}
    assert "Amina" in text_of(browser.get(f"/e/{setup.exchange_id}"))
    stored = db.participant(person.id)
    assert stored.claimed_at is not None and len(stored.device_hash or "") == 64
    # The cookie holds the device secret; the database only its hash.
    value = browser.http.cookies.get(participant_cookie_name(setup.exchange_id))
    payload = CookieSigner(SECRET).loads(value, salt="participant")
    assert isinstance(payload, dict) and set(payload) == {"p", "v", "d"}
    assert payload["d"] not in (stored.device_hash or "")

    # Opening the link again on the same device goes to the page and changes nothing.
    again = browser.get(link_path(person.link))
    assert again.status_code == 303 and again.headers["location"] == f"/e/{setup.exchange_id}"
    assert db.participant(person.id).device_hash == stored.device_hash


def test_another_site_cannot_switch_which_practitioner_a_browser_is(
    server: ServerProcess, setup: Setup, db: Db
) -> None:
    amina = claimed(server, setup, "Amina Odhiambo")
    rosa = invite(setup, "Rosa Quispe")
    assert amina.browser is not None
    # A page elsewhere sends Amina's browser to Rosa's link, then submits a form to claim it.
    page = amina.browser.get(link_path(rosa.link), headers={"Sec-Fetch-Site": "cross-site"})
    assert page.status_code == 200 and participant_cookies(page) == []
    forged = amina.browser.http.post(link_path(rosa.link), data={})  # no CSRF token: another site can't read it
    assert forged.status_code == 403 and participant_cookies(forged) == []
    forged = amina.browser.http.post(link_path(rosa.link), data={"csrf_token": "x" * 32})
    assert forged.status_code == 403 and participant_cookies(forged) == []
    lobby = text_of(amina.browser.get(f"/e/{setup.exchange_id}"))
    assert "Welcome, <bdi>Amina Odhiambo</bdi>" in lobby and "Rosa" not in lobby
    assert db.participant(rosa.id).claimed_at is None


# --- an opened link is one device's key ------------------------------------------------------------


async def test_an_opened_link_opens_nothing_in_another_browser(
    server: ServerProcess, setup: Setup, db: Db, clients: Any
) -> None:
    amina = claimed(server, setup, "Amina Odhiambo")
    mine = await LiveClient(server.ws_url, setup.exchange_id, amina.cookie).connect()
    before = db.participant(amina.id)

    other = clients()
    page = other.get(link_path(amina.link))
    assert page.status_code == 200
    shown = text_of(page)
    assert IN_USE in shown and "handover code" in shown.lower() and "new personal link" in shown
    assert "Amina" not in shown and "Stories of change" not in shown  # the title only, nothing of the exchange
    assert participant_cookies(page) == []
    claim = other.post(link_path(amina.link))
    assert claim.status_code == 409 and IN_USE in text_of(claim) and participant_cookies(claim) == []
    assert other.get(f"/e/{setup.exchange_id}").status_code == 404
    assert other.get(f"/e/{setup.exchange_id}/my-contributions.md").status_code == 404
    assert await refused(server, setup.exchange_id, Setup.cookie(other)) == 1008

    # A cookie of the old kind (no device secret), even signed with the app's own secret, is refused.
    old_kind = CookieSigner(SECRET).dumps({"p": amina.id, "v": before.token_version}, salt="participant")
    with httpx.Client(base_url=server.url) as forger:
        forger.cookies.set(participant_cookie_name(setup.exchange_id), old_kind, domain="127.0.0.1", path=f"/e/{setup.exchange_id}")
        assert forger.get(f"/e/{setup.exchange_id}").status_code == 404
    assert await refused(server, setup.exchange_id, f"{participant_cookie_name(setup.exchange_id)}={old_kind}") == 1008
    # Nor does a made-up secret help.
    made_up = CookieSigner(SECRET).dumps({"p": amina.id, "v": before.token_version, "d": "guess"}, salt="participant")
    assert await refused(server, setup.exchange_id, f"{participant_cookie_name(setup.exchange_id)}={made_up}") == 1008

    # The practitioner's own device is untouched.
    await still_open(mine)
    assert db.participant(amina.id).device_hash == before.device_hash
    assert amina.browser is not None and amina.browser.get(f"/e/{setup.exchange_id}").status_code == 200


def test_staff_see_that_a_link_was_opened_and_never_the_link_after(
    server: ServerProcess, setup: Setup, db: Db
) -> None:
    amina = invite(setup, "Amina Odhiambo")
    rosa = invite(setup, "Rosa Quispe")
    token = link_path(amina.link).rsplit("/", 1)[1]
    page = setup.facilitator.get(f"/exchanges/{setup.exchange_id}").text
    assert token in block_of(page, amina.id) and "Link opened" not in page

    assert amina.browser is None
    amina.browser = WebClient(server.url)
    setup.practitioners.append(amina.browser)
    assert claim_link(amina.browser.http, amina.link).status_code == 303

    page = setup.facilitator.get(f"/exchanges/{setup.exchange_id}").text
    assert token not in page
    block = block_of(page, amina.id)
    assert invite_links(block) == [] and "Link opened" in block
    opened = db.participant(amina.id).claimed_at
    assert opened is not None and f'datetime="{opened.isoformat()}"' in block
    # Rosa has not opened hers: it is still there to send.
    assert invite_links(block_of(page, rosa.id)) == [rosa.link]
    # Nowhere else a staff member goes shows the link either.
    for path in (
        f"/exchanges/{setup.exchange_id}/console",
        f"/programmes/{setup.programme_id}",
        f"/exchanges/{setup.exchange_id}/exchange.ics",
        f"/exchanges/{setup.exchange_id}/plan",
    ):
        response = setup.facilitator.get(path)
        assert response.status_code == 200, path
        assert token not in response.text and "/join/" not in response.text, path


def test_a_staff_browser_cannot_claim_a_link(server: ServerProcess, setup: Setup, db: Db, clients: Any) -> None:
    amina = invite(setup, "Amina Odhiambo")
    staff = setup.facilitator
    page = staff.get(link_path(amina.link))
    assert page.status_code == 403
    assert GUARD in text_of(page) and "for the practitioner they were made for" in text_of(page)
    assert participant_cookies(page) == []
    for response in (staff.post(link_path(amina.link)), hand_over(staff, amina.link, "K7QF-3XPM")):
        assert response.status_code == 403 and GUARD in text_of(response)
        assert participant_cookies(response) == []
    assert db.participant(amina.id).claimed_at is None
    # The practitioner's link still works for them.
    assert claim_link(clients().http, amina.link).status_code == 303
    # Once it is claimed, staff get the same guard (and learn nothing about where it is in use).
    assert staff.get(link_path(amina.link)).status_code == 403


# --- handover -----------------------------------------------------------------------------------


async def test_a_handover_code_moves_the_place_to_another_device(
    server: ServerProcess, setup: Setup, db: Db, clients: Any
) -> None:
    amina = claimed(server, setup, "Amina Odhiambo")
    assert amina.browser is not None
    old_cookie = amina.cookie
    old_socket = await LiveClient(server.ws_url, setup.exchange_id, old_cookie).connect()
    lobby = amina.browser.get(f"/e/{setup.exchange_id}").text
    assert f'action="/e/{setup.exchange_id}/handover"' in lobby and "Use this on another device" in lobby

    code = new_code(amina.browser, setup.exchange_id)
    stored = db.participant(amina.id)
    assert stored.handover_hash and code.replace("-", "") not in stored.handover_hash
    assert stored.handover_expires_at is not None
    assert timedelta(minutes=9) < stored.handover_expires_at - utcnow() <= timedelta(minutes=10)

    phone = clients()
    assert IN_USE in text_of(phone.get(link_path(amina.link)))
    moved = hand_over(phone, amina.link, code.lower().replace("-", " "))  # typed loosely
    assert moved.status_code == 303 and moved.headers["location"] == f"/e/{setup.exchange_id}"
    assert len(participant_cookies(moved)) == 2
    assert "Welcome, <bdi>Amina Odhiambo</bdi>" in text_of(phone.get(f"/e/{setup.exchange_id}"))
    new_socket = await LiveClient(server.ws_url, setup.exchange_id, Setup.cookie(phone)).connect()
    assert new_socket.you["id"] == f"p:{amina.id}"

    # The old device is out at once: its socket is closed, its cookie opens nothing.
    await closed_with_1008(old_socket)
    assert amina.browser.get(f"/e/{setup.exchange_id}").status_code == 404
    assert await refused(server, setup.exchange_id, old_cookie) == 1008
    await still_open(new_socket)

    # The code worked once.
    again = hand_over(clients(), amina.link, code)
    assert again.status_code == 400 and "no longer works" in text_of(again)
    assert participant_cookies(again) == []
    assert db.participant(amina.id).handover_hash is None


def test_a_handover_code_expires_and_wrong_tries_void_it(
    server: ServerProcess, setup: Setup, db: Db, clients: Any
) -> None:
    amina = claimed(server, setup, "Amina Odhiambo")
    assert amina.browser is not None
    other = clients()
    code = new_code(amina.browser, setup.exchange_id)
    wrong = "2222-2222" if code != "2222-2222" else "3333-3333"

    # Malformed input is explained and not counted.
    for typed in ("", "abc", "K7QF-3XPM-9", "O0I1-L1O0"):
        response = hand_over(other, amina.link, typed)
        assert response.status_code == 400 and "8 letters and digits" in text_of(response)
    assert db.participant(amina.id).handover_attempts == 0
    for left in (4, 3, 2, 1):
        response = hand_over(other, amina.link, wrong)
        assert response.status_code == 400
        assert f"You can try {left} more time" in text_of(response)
        assert participant_cookies(response) == []
    response = hand_over(other, amina.link, wrong)
    assert response.status_code == 400 and "no longer works" in text_of(response)
    # Voided: not even the right code works now.
    response = hand_over(other, amina.link, code)
    assert response.status_code == 400 and participant_cookies(response) == []
    assert amina.browser.get(f"/e/{setup.exchange_id}").status_code == 200

    # A code expires after ten minutes.
    code = new_code(amina.browser, setup.exchange_id)
    db.set(amina.id, handover_expires_at=utcnow() - timedelta(seconds=1))
    response = hand_over(other, amina.link, code)
    assert response.status_code == 400 and "no longer works" in text_of(response)

    # A fresh code works, and a newer code replaces an older one.
    older = new_code(amina.browser, setup.exchange_id)
    newer = new_code(amina.browser, setup.exchange_id)
    if older != newer:
        assert hand_over(other, amina.link, older).status_code == 400
    assert hand_over(other, amina.link, newer).status_code == 303
    assert other.get(f"/e/{setup.exchange_id}").status_code == 200
    assert amina.browser.get(f"/e/{setup.exchange_id}").status_code == 404


def test_a_handover_page_needs_the_device_and_a_form_token(server: ServerProcess, setup: Setup, db: Db, clients: Any) -> None:
    amina = claimed(server, setup, "Amina Odhiambo")
    stranger = clients()
    assert stranger.post(f"/e/{setup.exchange_id}/handover").status_code == 404
    assert amina.browser is not None
    assert amina.browser.post(f"/e/{setup.exchange_id}/handover", csrf=False).status_code == 403
    assert db.participant(amina.id).handover_hash is None
    # On a link nobody opened yet there is nothing to hand over: the page to claim it instead.
    rosa = invite(setup, "Rosa Quispe")
    response = hand_over(stranger, rosa.link, "K7QF-3XPM")
    assert response.status_code == 303 and response.headers["location"] == link_path(rosa.link)


# --- revoking and re-issuing ask first --------------------------------------------------------------


async def test_revoking_asks_for_confirmation_then_ends_the_socket(server: ServerProcess, setup: Setup, db: Db) -> None:
    amina = claimed(server, setup, "Amina Odhiambo")
    assert amina.browser is not None
    socket = await LiveClient(server.ws_url, setup.exchange_id, amina.cookie).connect()
    action = f"/exchanges/{setup.exchange_id}/participants/{amina.id}/revoke"

    for form in ({}, {"confirm": "no"}, {"confirm": "YES "}):
        page = setup.facilitator.post(action, form)
        assert page.status_code == 200
        shown = text_of(page)
        assert "Revoke Amina Odhiambo's link?" in shown and "disconnected" in shown
        assert 'name="confirm" value="yes"' in page.text and f'action="{action}"' in page.text
        assert f'href="/exchanges/{setup.exchange_id}#participant-{amina.id}"' in page.text  # Cancel
    assert db.participant(amina.id).revoked_at is None
    assert amina.browser.get(f"/e/{setup.exchange_id}").status_code == 200
    await still_open(socket)

    assert setup.facilitator.post(action, {"confirm": "yes"}).status_code == 303
    await closed_with_1008(socket)
    assert db.participant(amina.id).revoked_at is not None
    assert NOT_VALID in amina.browser.get(f"/e/{setup.exchange_id}").text
    assert NOT_VALID in clients_get(server, link_path(amina.link))


def clients_get(server: ServerProcess, path: str) -> str:
    with httpx.Client(base_url=server.url) as client:
        return client.get(path).text


async def test_a_new_link_for_an_opened_one_asks_first_and_frees_the_link(
    server: ServerProcess, setup: Setup, db: Db, clients: Any
) -> None:
    amina = claimed(server, setup, "Amina Odhiambo")
    assert amina.browser is not None
    socket = await LiveClient(server.ws_url, setup.exchange_id, amina.cookie).connect()
    action = f"/exchanges/{setup.exchange_id}/participants/{amina.id}/reissue"
    version = db.participant(amina.id).token_version

    page = setup.facilitator.post(action)
    assert page.status_code == 200 and "Issue a new link for Amina Odhiambo?" in text_of(page)
    assert db.participant(amina.id).token_version == version
    await still_open(socket)
    assert amina.browser.get(f"/e/{setup.exchange_id}").status_code == 200

    assert setup.facilitator.post(action, {"confirm": "yes"}).status_code == 303
    await closed_with_1008(socket)
    stored = db.participant(amina.id)
    assert stored.token_version == version + 1
    assert stored.claimed_at is None and stored.device_hash is None and stored.handover_hash is None
    assert amina.browser.get(f"/e/{setup.exchange_id}").status_code == 404
    [new_link] = invite_links(block_of(setup.facilitator.get(f"/exchanges/{setup.exchange_id}").text, amina.id))
    assert new_link != amina.link
    assert NOT_VALID in clients().get(link_path(amina.link)).text

    # The new link is claimed on the practitioner's new phone, which then joins the live session.
    phone = clients()
    assert claim_link(phone.http, new_link).status_code == 303
    fresh = await LiveClient(server.ws_url, setup.exchange_id, Setup.cookie(phone)).connect()
    assert fresh.you["id"] == f"p:{amina.id}"

    # A link nobody opened yet is replaced without a question: nobody is disconnected.
    rosa = invite(setup, "Rosa Quispe")
    response = setup.facilitator.post(f"/exchanges/{setup.exchange_id}/participants/{rosa.id}/reissue")
    assert response.status_code == 303
    assert db.participant(rosa.id).token_version == 2


# --- logs ---------------------------------------------------------------------------------------


def test_personal_links_stay_out_of_the_logs(database_url: str, setup: Setup, tmp_path: Any) -> None:
    amina = invite(setup, "Amina Odhiambo")
    token = link_path(amina.link).rsplit("/", 1)[1]
    chatty = ServerProcess(database_url, log_path=tmp_path / "server.log", env={"EXCHANGE_LOG_LEVEL": "info"})
    chatty.start()
    try:
        with httpx.Client(base_url=chatty.url) as browser:
            assert browser.get(link_path(amina.link)).status_code == 200
            assert browser.get(f"/join/{uuid.uuid4().hex}{uuid.uuid4().hex}").status_code == 404
    finally:
        chatty.stop()
    log = (tmp_path / "server.log").read_text()
    assert "GET /join/[link]" in log  # the access log is on, and says a link was opened
    assert token not in log
