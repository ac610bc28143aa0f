"""Logins, staff sessions and headers against a real server, on SQLite and on PostgreSQL.

Throttling (parallel guesses, per address, the owner still let in), password rules on the command line
and the change-password page, token rotation at login, idle timeout, log out everywhere, staff
sockets closed when their login ends, headers over HTTPS, and the programme's security log.
"""

from __future__ import annotations

import asyncio
import html
import re
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import websockets
from sqlmodel import Session, select

from exchange import audit
from exchange.accounts.models import SecurityEvent
from exchange.accounts.throttle import ACCOUNT_FREE, ADDRESS_FREE
from exchange.auth import CSRF_COOKIE, STAFF_COOKIE
from exchange.db import make_engine
from exchange.timeutil import utcnow
from tests.support.live import LiveClient
from tests.support.servers import ROOT, ServerProcess
from tests.support.web import PASSWORD, WebClient, created_id, invite_links, seed_staff

NEW_PASSWORD = "seven tall giraffes read poetry"
#: Only the direct paths (this instance at once, the broker for others) may close sockets in time:
#: the periodic re-check is kept out of the way except where a test is about it.
NO_PERIODIC_CHECK = {"EXCHANGE_STAFF_SOCKET_CHECK_SECONDS": "600"}


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(database_url, log_path=tmp_path_factory.mktemp("logs") / "server.log", env=NO_PERIODIC_CHECK)
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def browsers(server: ServerProcess) -> Iterator[Callable[..., WebClient]]:
    made: list[WebClient] = []

    def make(address: str | None = None) -> WebClient:
        client = WebClient(server.url, address=address)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def unique_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.org"


def alert(response: httpx.Response) -> str:
    match = re.search(r'<p class="alert alert--error" role="alert">([^<]*)</p>', response.text)
    return html.unescape(match.group(1)) if match else ""


def field_error(response: httpx.Response, name: str) -> str:
    match = re.search(rf'<p class="field__error" id="f-{name}-error">([^<]*)</p>', response.text)
    return html.unescape(match.group(1)) if match else ""


def signed_in(client: WebClient) -> bool:
    return client.get("/programmes").status_code == 200


def events(database_url: str, **where: object) -> list[SecurityEvent]:
    engine = make_engine(database_url)
    try:
        with Session(engine) as db:
            query = select(SecurityEvent).order_by(SecurityEvent.id)  # type: ignore[arg-type]
            for name, value in where.items():
                query = query.where(getattr(SecurityEvent, name) == value)
            return list(db.exec(query))
    finally:
        engine.dispose()


def staff_user(server: ServerProcess, role: str = "facilitator") -> tuple[str, int]:
    email = unique_email(role)
    return email, seed_staff(server.database_url, email=email, name=f"{role.title()} {email[:8]}", role=role)


# --- throttling -------------------------------------------------------------------------------


def test_parallel_guesses_get_no_500_few_evaluations_and_the_owner_still_gets_in(
    server: ServerProcess, browsers: Callable[..., WebClient]
) -> None:
    email, user_id = staff_user(server)
    attacker = "203.0.113.40"
    guessers = [browsers(attacker) for _ in range(40)]
    owner = browsers("198.51.100.40")

    def guess(client: WebClient) -> httpx.Response:
        return client.post("/login", {"email": email, "password": "not the password"})

    with ThreadPoolExecutor(max_workers=41) as pool:
        wrong = [pool.submit(guess, client) for client in guessers]
        right = pool.submit(owner.login, email)
        answers = [future.result() for future in wrong]
        assert right.result().status_code == 303  # the owner, from an address that was not failing
    statuses = sorted(response.status_code for response in answers)
    assert 500 not in statuses and set(statuses) <= {400, 429}, statuses
    evaluated = statuses.count(400)
    assert 1 <= evaluated <= ACCOUNT_FREE + 2, statuses  # a handful, not 31
    failures = events(server.database_url, kind="login.failed", user_id=user_id)
    assert len(failures) == evaluated and {e.address for e in failures} == {attacker}
    held = [response for response in answers if response.status_code == 429]
    for response in held:
        seconds = int(response.headers["retry-after"])
        assert seconds >= 1
        assert re.fullmatch(r"Too many attempts\. Please wait \d+ (seconds?|minutes?) and try again\.", alert(response))
    assert signed_in(owner)
    # The right password from the attacker's address waits like the guesses do (once the last wait,
    # seconds long, has passed, one more guess brings a longer one).
    late = browsers(attacker)
    for _ in range(3):
        if guess(late).status_code == 429:
            break
    assert late.post("/login", {"email": email, "password": PASSWORD}).status_code == 429
    assert events(server.database_url, kind="login.throttled", user_id=user_id)


def test_an_address_waits_after_failing_across_many_accounts(
    server: ServerProcess, browsers: Callable[..., WebClient]
) -> None:
    email, _ = staff_user(server)
    sprayer = browsers("203.0.113.41")
    for i in range(ADDRESS_FREE):
        assert sprayer.post("/login", {"email": unique_email(f"n{i}"), "password": "guess"}).status_code == 400
    held = sprayer.post("/login", {"email": email, "password": PASSWORD})  # even a right password
    assert held.status_code == 429 and int(held.headers["retry-after"]) >= 1
    other = browsers("198.51.100.41")
    assert other.login(email).status_code == 303  # nobody else is held by that address


# --- passwords --------------------------------------------------------------------------------


def _create_user(database_url: str, password: str, email: str) -> subprocess.CompletedProcess[str]:
    env = {"EXCHANGE_DATABASE_URL": database_url, "EXCHANGE_SECRET_KEY": "test-secret-" + "x" * 40}
    return subprocess.run(
        [sys.executable, "-m", "exchange.cli", "create-user", "--email", email, "--name", "Ada Lovelace",
         "--role", "facilitator", "--password-stdin"],
        input=password + "\n", capture_output=True, text=True, cwd=ROOT, env={**os.environ, **env}, timeout=60,
    )


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("zzzzzzzzzz", "at least 12 characters"),
        ("zzzzzzzzzzzz", "repeat"),
        ("password123456", "most common"),
        ("adalovelace1815", "name or email"),
    ],
)
def test_create_user_refuses_weak_passwords(server: ServerProcess, password: str, says: str) -> None:
    email = unique_email("ada")
    result = _create_user(server.database_url, password, email)
    assert result.returncode == 2 and says in result.stderr, result.stderr
    assert "Created" not in result.stdout


def test_create_user_accepts_a_good_password(server: ServerProcess, browsers: Callable[..., WebClient]) -> None:
    email = unique_email("ada")
    result = _create_user(server.database_url, NEW_PASSWORD, email)
    assert result.returncode == 0, result.stderr
    assert browsers().login(email, NEW_PASSWORD).status_code == 303


# --- sessions ---------------------------------------------------------------------------------


def test_login_rotates_the_csrf_token_and_ends_the_browsers_earlier_session(
    server: ServerProcess, browsers: Callable[..., WebClient]
) -> None:
    email, _ = staff_user(server)
    other_email, _ = staff_user(server)
    client = browsers()
    before = client.csrf
    response = client.login(email)
    after = client.csrf
    assert after and after != before  # a token known before login (planted, or seen) is worth nothing after
    assert any(h.startswith(f"{CSRF_COOKIE}={after};") for h in response.headers.get_list("set-cookie"))
    first = client.http.cookies.get(STAFF_COOKIE)
    assert first and signed_in(client)

    # A page posted with the old token is refused.
    stale = client.http.post("/account/logout-everywhere", data={"csrf_token": before})
    assert stale.status_code == 403 and signed_in(client)

    # Logging in again (here as someone else) ends the session the browser had.
    client.login(other_email)
    second = client.http.cookies.get(STAFF_COOKIE)
    assert second and second != first
    with httpx.Client(base_url=server.url, cookies={STAFF_COOKIE: first}) as replay:
        assert replay.get("/programmes").status_code == 303


def test_log_out_everywhere_ends_every_session_of_the_user(
    server: ServerProcess, browsers: Callable[..., WebClient]
) -> None:
    email, user_id = staff_user(server)
    other_email, _ = staff_user(server)
    laptop, phone, colleague = browsers(), browsers(), browsers()
    for client in (laptop, phone):
        client.login(email)
    colleague.login(other_email)
    page = phone.get("/account")
    assert page.status_code == 200 and "signed in on 2 browsers or devices" in page.text

    response = phone.post("/account/logout-everywhere")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert not signed_in(phone) and not signed_in(laptop)
    assert signed_in(colleague)  # nobody else's
    [event] = events(server.database_url, kind="logout.everywhere", user_id=user_id)
    assert event.detail == {"sessions_ended": 2}


def test_changing_the_password(server: ServerProcess, browsers: Callable[..., WebClient]) -> None:
    email, user_id = staff_user(server)
    client, elsewhere = browsers(), browsers()
    client.login(email)
    elsewhere.login(email)
    old_token = client.http.cookies.get(STAFF_COOKIE)

    def change(current: str, new: str, confirm: str | None = None) -> httpx.Response:
        form = {"current_password": current, "new_password": new, "confirm_password": new if confirm is None else confirm}
        return client.post("/account/password", form)

    wrong = change("not my password", NEW_PASSWORD)
    assert wrong.status_code == 400 and field_error(wrong, "current_password") == "That isn't your current password."
    weak = change(PASSWORD, "aaaaaaaaaaaaaa")
    assert weak.status_code == 400 and "repeat" in field_error(weak, "new_password")
    common = change(PASSWORD, "iloveyou12345")
    assert common.status_code == 400 and "most common" in field_error(common, "new_password")
    short = change(PASSWORD, "too short")
    assert short.status_code == 400 and "at least 12 characters" in field_error(short, "new_password")
    differ = change(PASSWORD, NEW_PASSWORD, "something else entirely")
    assert differ.status_code == 400 and "differ" in field_error(differ, "confirm_password")
    assert signed_in(elsewhere)  # nothing changed yet

    done = change(PASSWORD, NEW_PASSWORD)
    assert done.status_code == 303 and done.headers["location"] == "/account?changed=password"
    assert signed_in(client)  # this browser goes on, with a new token
    assert client.http.cookies.get(STAFF_COOKIE) != old_token
    assert not signed_in(elsewhere)
    with httpx.Client(base_url=server.url, cookies={STAFF_COOKIE: old_token or ""}) as replay:
        assert replay.get("/programmes").status_code == 303
    assert "Your password was changed" in client.get("/account?changed=password").text
    assert browsers().post("/login", {"email": email, "password": PASSWORD}).status_code == 400
    assert browsers().login(email, NEW_PASSWORD).status_code == 303
    kinds = [e.kind for e in events(server.database_url, user_id=user_id)]
    assert kinds.count("password.change_failed") == 1 and kinds.count("password.changed") == 1


async def test_sessions_and_their_sockets_end_after_the_idle_timeout(database_url: str, tmp_path: Path) -> None:
    env = {"EXCHANGE_STAFF_IDLE_MINUTES": "0.05", "EXCHANGE_STAFF_SOCKET_CHECK_SECONDS": "0.5"}  # 3 s idle
    process = ServerProcess(database_url, log_path=tmp_path / "idle.log", env=env)
    process.start()
    crew = Crew.make(process)
    try:
        client = crew.facilitator
        for _ in range(4):  # used every second: alive well past 3 s
            await asyncio.sleep(1)
            assert signed_in(client)
        await asyncio.sleep(4)
        assert client.get("/programmes").headers["location"] == "/login?next=/programmes"

        # A console that sends nothing for that long closes by itself; one in use stays.
        crew.facilitator.login(crew.facilitator_email)
        busy = crew.browser(process)
        busy.login(crew.facilitator_email)
        idle = await LiveClient(process.ws_url, crew.exchange_id, crew.cookie(crew.facilitator)).connect()
        used = await LiveClient(process.ws_url, crew.exchange_id, crew.cookie(busy)).connect()
        started = asyncio.get_running_loop().time()
        while idle.close_code is None:
            assert asyncio.get_running_loop().time() - started < 10, "the idle console stayed open"
            await used.command("lower_hand")  # any command is use, accepted or not
            await asyncio.sleep(0.5)
        assert idle.close_code == 1008
        await still_open(used)
        assert signed_in(busy)  # the socket's use kept the login alive
        await used.close()
    finally:
        crew.close()
        process.stop()


# --- staff sockets ----------------------------------------------------------------------------


@dataclass
class Crew:
    """A lead and a facilitator in a programme with a scheduled exchange, each in their own browser."""

    server: ServerProcess
    lead: WebClient
    facilitator: WebClient
    lead_email: str
    facilitator_email: str
    facilitator_id: int
    programme_id: int
    exchange_id: int
    others: list[WebClient] = field(default_factory=list)

    @classmethod
    def make(cls, server: ServerProcess) -> Crew:
        lead_email, _ = staff_user(server, "lead")
        facilitator_email, facilitator_id = staff_user(server, "facilitator")
        lead, facilitator = WebClient(server.url), WebClient(server.url)
        lead.login(lead_email)
        facilitator.login(facilitator_email)
        programme_id = created_id(lead.post("/programmes", {"name": "Programme " + uuid.uuid4().hex[:6]}), r"(\d+)$")
        assert lead.post(f"/programmes/{programme_id}/members", {"email": facilitator_email}).status_code == 303
        start = utcnow() + timedelta(days=3)
        form = {
            "title": "Stories of change",
            "start_date": start.date().isoformat(),
            "start_time": "10:00",
            "timezone": "UTC",
            "duration_minutes": "90",
            "language": "en",
            "template_key": "story-exchange",
        }
        exchange_id = created_id(facilitator.post(f"/programmes/{programme_id}/exchanges", form), r"(\d+)$")
        assert facilitator.post(f"/exchanges/{exchange_id}/status", {"status": "scheduled"}).status_code == 303
        return cls(server, lead, facilitator, lead_email, facilitator_email, facilitator_id, programme_id, exchange_id)

    def browser(self, server: ServerProcess | None = None) -> WebClient:
        client = WebClient((server or self.server).url)
        self.others.append(client)
        return client

    @staticmethod
    def cookie(client: WebClient) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in client.http.cookies.jar)

    def close(self) -> None:
        for client in (self.lead, self.facilitator, *self.others):
            client.close()


@pytest.fixture
def crew(server: ServerProcess) -> Iterator[Crew]:
    made = Crew.make(server)
    yield made
    made.close()


async def closed_with_1008(client: LiveClient, within: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while client.close_code is None:
        assert asyncio.get_running_loop().time() < deadline, "the staff socket stayed open"
        await asyncio.sleep(0.05)
    assert client.close_code == 1008


async def still_open(client: LiveClient) -> None:
    await asyncio.sleep(1.0)
    assert client.close_code is None


async def test_a_staff_socket_closes_when_its_session_logs_out(server: ServerProcess, crew: Crew) -> None:
    other_browser = crew.browser()
    other_browser.login(crew.facilitator_email)  # the same person in another browser: not logged out
    console = await LiveClient(server.ws_url, crew.exchange_id, crew.cookie(crew.facilitator)).connect()
    other = await LiveClient(server.ws_url, crew.exchange_id, crew.cookie(other_browser)).connect()
    assert crew.facilitator.post("/logout").status_code == 303
    await closed_with_1008(console)
    await still_open(other)
    # The console's way of asking whether it is still let in now says no.
    assert crew.facilitator.get(f"/exchanges/{crew.exchange_id}/console").status_code == 303
    # Frames never carried the session.
    token = other_browser.http.cookies.get(STAFF_COOKIE) or ""
    assert all(token not in str(frame) for frame in other.frames)
    await other.close()


async def test_staff_sockets_close_when_their_user_logs_out_everywhere(server: ServerProcess, crew: Crew) -> None:
    other_browser = crew.browser()
    other_browser.login(crew.facilitator_email)
    lead = await LiveClient(server.ws_url, crew.exchange_id, crew.cookie(crew.lead)).connect()
    sockets = [
        await LiveClient(server.ws_url, crew.exchange_id, crew.cookie(client)).connect()
        for client in (crew.facilitator, other_browser)
    ]
    assert other_browser.post("/account/logout-everywhere").status_code == 303
    for socket in sockets:
        await closed_with_1008(socket)
    await still_open(lead)  # someone else's
    await lead.close()


async def test_staff_sockets_close_when_the_password_changes(server: ServerProcess, crew: Crew) -> None:
    console = await LiveClient(server.ws_url, crew.exchange_id, crew.cookie(crew.facilitator)).connect()
    other_browser = crew.browser()
    other_browser.login(crew.facilitator_email)
    form = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    assert other_browser.post("/account/password", form).status_code == 303
    await closed_with_1008(console)
    # The browser that changed it is still signed in, and its console opens again.
    again = await LiveClient(server.ws_url, crew.exchange_id, crew.cookie(other_browser)).connect()
    await still_open(again)
    await again.close()


async def test_a_staff_socket_closes_when_its_user_is_removed_from_the_programme(
    server: ServerProcess, crew: Crew
) -> None:
    console = await LiveClient(server.ws_url, crew.exchange_id, crew.cookie(crew.facilitator)).connect()
    lead = await LiveClient(server.ws_url, crew.exchange_id, crew.cookie(crew.lead)).connect()
    page = crew.lead.get(f"/programmes/{crew.programme_id}")
    action = f"/programmes/{crew.programme_id}/members/{crew.facilitator_id}/remove"
    assert f'action="{action}"' in page.text
    assert crew.lead.post(action).status_code == 303
    await closed_with_1008(console)
    await still_open(lead)
    assert crew.facilitator.get(f"/programmes/{crew.programme_id}").status_code == 404
    with pytest.raises((ConnectionError, TimeoutError, websockets.ConnectionClosed)):  # refused with 1008
        await LiveClient(server.ws_url, crew.exchange_id, crew.cookie(crew.facilitator)).connect()
    # Only leads remove people, and not themselves.
    assert crew.facilitator.post(action).status_code in {403, 404}
    me = re.search(rf"/programmes/{crew.programme_id}/members/(\d+)/remove", crew.lead.get(f"/programmes/{crew.programme_id}").text)
    assert me is None  # no button for oneself
    [event] = events(server.database_url, kind="member.removed", programme_id=crew.programme_id)
    assert event.detail == {"member": crew.facilitator_id}
    await lead.close()


# --- headers ----------------------------------------------------------------------------------


def test_every_page_has_a_permissions_policy_and_plain_http_has_no_hsts(server: ServerProcess) -> None:
    response = httpx.get(f"{server.url}/login")
    assert "camera=()" in response.headers["permissions-policy"]
    assert "microphone=()" in response.headers["permissions-policy"]
    assert "strict-transport-security" not in response.headers
    assert "content-security-policy" in response.headers and response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "env",
    [{"EXCHANGE_SECURE_COOKIES": "1"}, {"EXCHANGE_PUBLIC_URL": "https://exchange.example.org"}],
    ids=["secure-cookies", "https-public-url"],
)
def test_over_https_cookies_are_host_prefixed_and_hsts_is_sent(database_url: str, tmp_path: Path, env: dict[str, str]) -> None:
    process = ServerProcess(database_url, log_path=tmp_path / "https.log", env=env)
    process.start()
    try:
        email, _ = staff_user(process)
        with httpx.Client(base_url=process.url, follow_redirects=False) as client:
            page = client.get("/login")
            assert page.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
            [csrf_cookie] = page.headers.get_list("set-cookie")
            assert csrf_cookie.startswith("__Host-exchange_csrf=") and "Secure" in csrf_cookie and "Path=/" in csrf_cookie
            token = csrf_cookie.split(";")[0].split("=", 1)[1]
            # httpx keeps Secure cookies for https only: send them by hand, as the browser would over TLS.
            headers = {"Cookie": f"__Host-exchange_csrf={token}"}
            login = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token}, headers=headers)
            assert login.status_code == 303, login.text
            cookies = login.headers.get_list("set-cookie")
            staff = next(c for c in cookies if c.startswith("__Host-exchange_staff="))
            assert "Secure" in staff and "HttpOnly" in staff and "Path=/" in staff and "Domain" not in staff
            assert any(c.startswith("__Host-exchange_csrf=") for c in cookies)  # rotated
            session = staff.split(";")[0]
            assert client.get("/programmes", headers={"Cookie": session}).status_code == 200
            # The unprefixed name is not this site's cookie over HTTPS.
            bare = session.replace("__Host-", "")
            assert client.get("/programmes", headers={"Cookie": bare}).status_code == 303
    finally:
        process.stop()


# --- the security log -------------------------------------------------------------------------


def test_the_security_log_shows_a_programmes_events_to_its_leads_only(
    server: ServerProcess, crew: Crew, browsers: Callable[..., WebClient]
) -> None:
    url = f"/programmes/{crew.programme_id}/security"
    assert f'href="{url}"' in crew.lead.get(f"/programmes/{crew.programme_id}").text
    assert crew.facilitator.post(f"/exchanges/{crew.exchange_id}/participants", {"name": "Amina <b>W</b>"}).status_code == 303
    link = invite_links(crew.facilitator.get(f"/exchanges/{crew.exchange_id}").text)[0]
    token = link.rsplit("/", 1)[1]
    browsers(crew.facilitator.address).post("/login", {"email": crew.facilitator_email, "password": "wrong guess"})

    page = crew.lead.get(url)
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Personal link made" in text and "Amina <b>W</b>" in text and "<b>W</b>" not in page.text  # escaped
    assert "Added to the programme" in text and "Logged in" in text
    assert "Failed login" in text and crew.facilitator.address in text
    assert text.index("Failed login") < text.index("Personal link made") < text.index("Added to the programme")  # newest first
    assert token not in page.text
    for event in events(server.database_url, programme_id=crew.programme_id):
        assert token not in str(event.detail) and PASSWORD not in str(event.detail)

    # Facilitators, and leads of other programmes, get nothing.
    assert crew.facilitator.get(url).status_code == 404
    outsider_email, _ = staff_user(server, "lead")
    outsider = browsers()
    outsider.login(outsider_email)
    assert outsider.get(url).status_code == 404
    assert browsers().get(url).status_code == 303  # signed out: to the login page

    # Older events a page at a time.
    engine = make_engine(server.database_url)
    try:
        with Session(engine) as db:
            for i in range(60):
                audit.record(db, audit.Kind.EXPORT_PROGRAMME, who=None, programme_id=crew.programme_id, detail={"n": i})
            db.commit()
    finally:
        engine.dispose()
    first = crew.lead.get(url)
    assert first.text.count('class="row"') == 50 and f'href="{url}?page=2"' in first.text
    second = crew.lead.get(f"{url}?page=2")
    assert second.status_code == 200 and f'href="{url}?page=1"' in second.text
    assert "Personal link made" in html.unescape(second.text)
    assert crew.lead.get(f"{url}?page=0").status_code == 404
