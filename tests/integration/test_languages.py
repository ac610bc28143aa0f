"""Each person's language, over a real server (SQLite and PostgreSQL), for every shipped language.

- A practitioner's page follows their browser (Accept-Language) until they pick a language in their
  lobby; the choice is stored with them, survives a new browser session on the same device, changes
  no one else's page, and goes back to the browser's with "as my browser is set".
- Their live socket speaks it too: a refused command is explained in their language, while another
  practitioner of the same exchange is answered in theirs.
- Their calendar file is in it; so are the exports a staff member downloads in theirs.
- A facilitator picks theirs on the account page; it holds across logins and leaves others alone.
- A language we don't ship is refused and changes nothing.
"""

from __future__ import annotations

import html
import re
import uuid

import pytest

from exchange import i18n
from tests.support.live import LiveClient
from tests.support.scenario import Setup, scheduled_exchange
from tests.support.servers import ServerProcess
from tests.support.web import WebClient, seed_staff

SHIPPED = ("fr", "es", "pt", "ar")


def tr(lang: str, message: str) -> str:
    with i18n.use(lang):
        text = i18n._(message)
    assert text != message or lang == "en", f"no {lang} for {message!r}"
    return text


def page_language(response) -> tuple[str, str]:  # noqa: ANN001
    match = re.search(r'<html lang="([^"]+)" dir="(ltr|rtl)">', response.text)
    assert match, response.text[:200]
    return match[1], match[2]


def words(response) -> str:  # noqa: ANN001
    return html.unescape(response.text)


@pytest.fixture(scope="module")
def setup(server: ServerProcess):  # noqa: ANN201
    built = scheduled_exchange(server, practitioners=2)
    yield built
    built.close()


@pytest.mark.parametrize("lang", SHIPPED)
def test_a_practitioner_picks_their_language_in_the_lobby(server: ServerProcess, setup: Setup, lang: str) -> None:
    me, other = setup.practitioners
    lobby = f"/e/{setup.exchange_id}"
    assert me.post(f"{lobby}/language", {"language": ""}).status_code == 303  # start from the browser's
    assert page_language(me.get(lobby)) == ("en", "ltr")

    assert me.post(f"{lobby}/language", {"language": lang}).status_code == 303
    page = me.get(lobby)
    assert page_language(page) == (lang, i18n.direction(lang))
    assert tr(lang, "What we will do") in words(page)
    assert tr(lang, "Our ground rules") in words(page) or tr(lang, "Ground rules you accepted") in words(page)
    assert f'<option value="{lang}" lang="{lang}" selected>' in page.text

    # The choice is theirs alone, and it is stored: a new browser session on the device keeps it.
    assert page_language(other.get(lobby)) == ("en", "ltr")
    again = WebClient(server.url)
    try:
        again.http.cookies = me.http.cookies
        assert page_language(again.get(lobby)) == (lang, i18n.direction(lang))
        assert page_language(again.get(f"{lobby}/record")) == (lang, i18n.direction(lang))
    finally:
        again.close()

    # Their calendar file adds its words in their language.
    calendar = me.get(f"{lobby}/exchange.ics").text.replace("\r\n ", "")
    assert f"DESCRIPTION;LANGUAGE={lang}:" in calendar
    assert tr(lang, "Your personal link: {link}").split("{link}")[0].strip().replace(",", "\\,") in calendar

    # Back to what the browser asks for.
    assert me.post(f"{lobby}/language", {"language": ""}).status_code == 303
    assert page_language(me.get(lobby)) == ("en", "ltr")
    assert page_language(me.get(lobby, headers={"Accept-Language": f"{lang};q=0.9, en;q=0.5"})) == (
        lang, i18n.direction(lang),
    )


def test_a_language_we_do_not_ship_is_refused(setup: Setup) -> None:
    me = setup.practitioners[0]
    lobby = f"/e/{setup.exchange_id}"
    assert me.post(f"{lobby}/language", {"language": "fr"}).status_code == 303
    for bad in ("xx", "de", "fr-FR<script>", "a" * 40):
        assert me.post(f"{lobby}/language", {"language": bad}).status_code in {400, 422}
    assert page_language(me.get(lobby))[0] == "fr"
    assert me.post(f"{lobby}/language", {"language": ""}).status_code == 303


async def test_each_socket_speaks_its_own_persons_language(server: ServerProcess, setup: Setup) -> None:
    arabic, english = setup.practitioners
    lobby = f"/e/{setup.exchange_id}"
    assert arabic.post(f"{lobby}/language", {"language": "ar"}).status_code == 303
    clients = [LiveClient(server.ws_url, setup.exchange_id, Setup.cookie(c)) for c in (arabic, english)]
    try:
        for client in clients:
            await client.connect()
        # The exchange hasn't started: raising a hand is refused, each in their own words.
        refusals = [await client.command("raise_hand") for client in clients]
        assert [r["type"] for r in refusals] == ["rejected", "rejected"]
        assert refusals[0]["message"] == tr("ar", refusals[1]["message"])
        assert refusals[0]["message"] != refusals[1]["message"]
    finally:
        for client in clients:
            await client.close()
        assert arabic.post(f"{lobby}/language", {"language": ""}).status_code == 303


@pytest.mark.parametrize("lang", SHIPPED)
def test_staff_pick_their_language_on_their_account(server: ServerProcess, setup: Setup, lang: str) -> None:
    email = f"staff-{uuid.uuid4().hex[:8]}@example.org"
    seed_staff(server.database_url, email=email, name="Nadia Staff", role="facilitator")
    staff = WebClient(server.url)
    try:
        staff.login(email)
        assert page_language(staff.get("/account")) == ("en", "ltr")
        assert staff.post("/account/language", {"language": lang}).status_code == 303
        account = staff.get("/account?changed=language")
        assert page_language(account) == (lang, i18n.direction(lang))
        assert tr(lang, "Change your password") in words(account)
        assert page_language(staff.get("/programmes")) == (lang, i18n.direction(lang))
        # Another staff member is not affected.
        assert page_language(setup.facilitator.get("/programmes")) == ("en", "ltr")
    finally:
        staff.close()
    # Stored on the account: it holds in a new login, whatever the browser says.
    later = WebClient(server.url)
    try:
        later.login(email)
        assert page_language(later.get("/account", headers={"Accept-Language": "en"})) == (lang, i18n.direction(lang))
        assert later.post("/account/language", {"language": "klingon"}).status_code == 400
        assert page_language(later.get("/account"))[0] == lang
    finally:
        later.close()


def test_exports_are_in_the_readers_language(server: ServerProcess, setup: Setup) -> None:
    facilitator = setup.facilitator
    assert facilitator.post("/account/language", {"language": "ar"}).status_code == 303
    try:
        export = facilitator.get(f"/exchanges/{setup.exchange_id}/transcript.html")
        assert export.status_code == 200
        assert '<html lang="ar" dir="rtl">' in export.text
        markdown = facilitator.get(f"/exchanges/{setup.exchange_id}/transcript.md").text
        assert tr("ar", "Participants") in markdown
    finally:
        assert facilitator.post("/account/language", {"language": ""}).status_code == 303
