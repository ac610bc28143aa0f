"""The foundation over real HTTP, against a real uvicorn server on SQLite and on PostgreSQL.

Login, throttling and logout; programmes and who may see them; exchanges and their validation;
the plan editor; invites, the calendar file, joining, consent, revocation and re-issue; CSRF
refusal; escaping of user text; security headers.
"""

from __future__ import annotations

import html
import re
import secrets
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlmodel import Session, select

from exchange.auth import STAFF_COOKIE, participant_cookie_name
from exchange.db import make_engine
from exchange.programmes.models import Exchange, Participant, Programme
from exchange.prompts.catalog import get_template
from tests.support.servers import ServerProcess
from tests.support.web import PASSWORD, WebClient, claim_link, created_id, invite_links, seed_staff

TEMPLATE = get_template("story-exchange")
NOT_VALID = "This link is not valid"


# --- helpers ----------------------------------------------------------------------------------


def unique_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.org"


def text_of(response: httpx.Response) -> str:
    """The page as a reader sees it: entities decoded."""
    return html.unescape(response.text)


def field_error(response: httpx.Response, field: str) -> str | None:
    """The error shown next to a form field (the element with id f-<field>-error or <field>-error)."""
    match = re.search(rf'<p class="field__error" id="(?:f-)?{re.escape(field)}-error">([^<]*)</p>', response.text)
    return html.unescape(match.group(1)) if match else None


def alert(response: httpx.Response) -> str | None:
    match = re.search(r'<p class="alert alert--error" role="alert">([^<]*)</p>', response.text)
    return html.unescape(match.group(1)) if match else None


class _FormParser(HTMLParser):
    """What a browser would submit from one form: inputs, checked boxes, textareas, selected options."""

    def __init__(self, action: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action = action
        self.inside = False
        self.fields: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None
        self._select_first: str | None = None
        self._option_value: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("action") == self.action
            return
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in {"submit", "button", "image", "reset"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            self.fields[name] = a.get("value", "on" if kind in {"checkbox", "radio"} else "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""
        elif tag == "select" and name:
            self._select, self._select_first = name, None
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in a:
                self.fields[self._select] = value

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select" and self._select:
            self.fields.setdefault(self._select, self._select_first or "")
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            # A browser drops one leading newline right after <textarea>.
            current = self.fields[self._textarea]
            self.fields[self._textarea] = current + (data[1:] if not current and data.startswith("\n") else data)


def form_fields(page: httpx.Response, action: str) -> dict[str, str]:
    parser = _FormParser(action)
    parser.feed(page.text)
    assert parser.fields, f"no form posting to {action} on the page"
    return parser.fields


class Db:
    """Read what the server stored, straight from its database."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)

    def get(self, model: type[Any], key: object) -> Any:
        with Session(self.engine) as db:
            return db.get(model, key)

    def exchanges_in(self, programme_id: int) -> list[Exchange]:
        with Session(self.engine) as db:
            return list(db.exec(select(Exchange).where(Exchange.programme_id == programme_id)))

    def participants_of(self, exchange_id: int) -> list[Participant]:
        with Session(self.engine) as db:
            return list(db.exec(select(Participant).where(Participant.exchange_id == exchange_id)))

    def programme_named(self, name: str) -> list[Programme]:
        with Session(self.engine) as db:
            return list(db.exec(select(Programme).where(Programme.name == name)))


@pytest.fixture(scope="module")
def db(server: ServerProcess) -> Iterator[Db]:
    store = Db(server.database_url)
    try:
        yield store
    finally:
        store.engine.dispose()



def staff(server: ServerProcess, clients: Any, role: str, prefix: str | None = None) -> tuple[WebClient, str]:
    """A freshly seeded staff user, logged in in their own browser."""
    email = unique_email(prefix or role)
    seed_staff(server.database_url, email=email, name=f"{role.title()} {email[:12]}", role=role)
    client = clients()
    client.login(email)
    return client, email


def new_programme(lead: WebClient, name: str | None = None, description: str = "A learning programme") -> int:
    response = lead.post("/programmes", {"name": name or f"Programme {uuid.uuid4().hex[:6]}", "description": description})
    assert response.status_code == 303, response.text
    return created_id(response, r"/programmes/(\d+)$")


def add_member(lead: WebClient, programme_id: int, email: str) -> None:
    response = lead.post(f"/programmes/{programme_id}/members", {"email": email})
    assert response.status_code == 303, response.text


def future(days: int = 10) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)


def exchange_form(**overrides: str) -> dict[str, str]:
    form = {
        "title": "Stories of change in Kisumu",
        "purpose": "Practitioners share what changed and how.",
        "start_date": future().date().isoformat(),
        "start_time": "14:00",
        "timezone": "Africa/Nairobi",
        "duration_minutes": "120",
        "language": "en",
        "call_url": "https://meet.example.org/abc-defg",
        "template_key": "story-exchange",
    }
    form.update(overrides)
    return form


def new_exchange(client: WebClient, programme_id: int, **overrides: str) -> int:
    response = client.post(f"/programmes/{programme_id}/exchanges", exchange_form(**overrides))
    assert response.status_code == 303, response.text
    return created_id(response, r"^/exchanges/(\d+)$")


def exchanges_listed(client: WebClient, programme_id: int) -> int:
    page = client.get(f"/programmes/{programme_id}")
    assert page.status_code == 200
    return len(re.findall(r'class="row__title" href="/exchanges/\d+"', page.text))


def invite(client: WebClient, exchange_id: int, name: str, context: str = "Community health", email: str = "") -> str:
    """Add a practitioner and return their personal link as the page shows it."""
    response = client.post(f"/exchanges/{exchange_id}/participants", {"name": name, "context": context, "email": email})
    assert response.status_code == 303, response.text
    participant_id = created_id(response, r"invited=(\d+)")
    page = client.get(f"/exchanges/{exchange_id}")
    block = page.text.split(f'id="participant-{participant_id}"', 1)[1]
    links = invite_links(block)
    assert links, f"no invite link for participant {participant_id}"
    return links[0]


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


@pytest.fixture(scope="module")
def crew(server: ServerProcess) -> Iterator[dict[str, Any]]:
    """A lead with a programme and a facilitator in it, shared by the module (hashing is slow)."""
    made: list[WebClient] = []

    def make() -> WebClient:
        client = WebClient(server.url)
        made.append(client)
        return client

    lead, _ = staff(server, make, "lead")
    facilitator, facilitator_email = staff(server, make, "facilitator")
    programme_id = new_programme(lead)
    add_member(lead, programme_id, facilitator_email)
    yield {"lead": lead, "facilitator": facilitator, "facilitator_email": facilitator_email, "programme_id": programme_id}
    for client in made:
        client.close()


@pytest.fixture
def team(crew: dict[str, Any]) -> dict[str, Any]:
    """The crew plus a fresh exchange the facilitator created, so tests don't see each other's work."""
    return {**crew, "exchange_id": new_exchange(crew["facilitator"], crew["programme_id"])}


# --- login, throttling, logout ----------------------------------------------------------------


def test_login_with_the_right_password_opens_the_programmes(server: ServerProcess, clients: Any) -> None:
    email = unique_email("login")
    seed_staff(server.database_url, email=email, name="Grace Login", role="facilitator")
    client = clients()
    assert client.get("/programmes").headers["location"] == "/login?next=/programmes"

    response = client.post("/login", {"email": email.upper(), "password": PASSWORD, "next": "/programmes"})
    assert response.status_code == 303
    assert response.headers["location"] == "/programmes"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(f"{STAFF_COOKIE}="))
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()

    page = client.get("/programmes")
    assert page.status_code == 200
    assert "Grace Login" in page.text


def test_login_follows_next_but_never_off_site(server: ServerProcess, clients: Any, crew: dict[str, Any]) -> None:
    client = clients()
    programme = f"/programmes/{crew['programme_id']}"
    assert client.get(programme).headers["location"] == f"/login?next={programme}"
    response = client.post("/login", {"email": crew["facilitator_email"], "password": PASSWORD, "next": programme})
    assert response.headers["location"] == programme
    for target in ("//evil.example/steal", "https://evil.example/", "/\\evil.example"):
        other = clients()
        response = other.post("/login", {"email": crew["facilitator_email"], "password": PASSWORD, "next": target})
        assert response.status_code == 303
        assert response.headers["location"] == "/programmes", target
    # Signed in, the login page sends people on rather than showing the form again.
    assert client.get(f"/login?next={programme}").headers["location"] == programme


def test_wrong_password_and_unknown_email_get_the_same_answer(server: ServerProcess, clients: Any) -> None:
    email = unique_email("bad")
    seed_staff(server.database_url, email=email, name="Bad Password", role="lead")
    client = clients()

    wrong = client.post("/login", {"email": email, "password": "not the password"})
    unknown = client.post("/login", {"email": unique_email("nobody"), "password": "not the password"})

    assert wrong.status_code == unknown.status_code == 400
    assert alert(wrong) == alert(unknown) == "That email and password don't match an account."
    for response in (wrong, unknown):
        assert STAFF_COOKIE not in response.headers.get("set-cookie", "")
    assert client.get("/programmes").status_code == 303  # still not signed in


@pytest.mark.parametrize("known", [True, False], ids=["known-email", "unknown-email"])
def test_repeated_failures_are_slowed_down(server: ServerProcess, clients: Any, known: bool) -> None:
    email = unique_email("throttle")
    if known:
        seed_staff(server.database_url, email=email, name="Throttled", role="facilitator")
    client = clients()
    for _ in range(5):
        assert client.post("/login", {"email": email, "password": "guess"}).status_code == 400

    locked = client.post("/login", {"email": email, "password": "guess"})
    assert locked.status_code == 429
    assert "Too many attempts" in (alert(locked) or "")
    # While locked even the right password is refused, so guessing gains nothing.
    right = client.post("/login", {"email": email, "password": PASSWORD})
    assert right.status_code == 429
    assert client.get("/programmes").status_code == 303

    if known:
        # The lock is short and grows with failures; once it passes the right password works.
        deadline = time.monotonic() + 10
        while (response := client.post("/login", {"email": email, "password": PASSWORD})).status_code == 429:
            assert time.monotonic() < deadline, "the login lock never lifted"
            time.sleep(0.5)
        assert response.status_code == 303
        assert client.get("/programmes").status_code == 200


def test_logout_ends_the_session_for_the_old_cookie_too(server: ServerProcess, clients: Any) -> None:
    client, _email = staff(server, clients, "facilitator")
    old_token = client.http.cookies.get(STAFF_COOKIE)
    assert old_token
    assert client.get("/programmes").status_code == 200

    response = client.post("/logout")
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert client.get("/programmes").status_code == 303

    with httpx.Client(base_url=server.url, cookies={STAFF_COOKIE: old_token}) as replay:
        response = replay.get("/programmes")
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")


# --- programmes and who sees them -------------------------------------------------------------


def test_lead_creates_a_programme_and_adds_a_facilitator(
    server: ServerProcess, clients: Any, crew: dict[str, Any], db: Db
) -> None:
    lead = crew["lead"]
    facilitator, facilitator_email = staff(server, clients, "facilitator")
    name = f"Men as allies {uuid.uuid4().hex[:6]}"

    empty = lead.post("/programmes", {"name": "   ", "description": ""})
    assert empty.status_code == 400
    assert field_error(empty, "name") == "This can't be empty."

    programme_id = new_programme(lead, name, "Learning across Kenya and Brazil")
    assert name in lead.get("/programmes").text
    assert name not in facilitator.get("/programmes").text
    assert facilitator.get(f"/programmes/{programme_id}").status_code == 404

    unknown = lead.post(f"/programmes/{programme_id}/members", {"email": unique_email("ghost")})
    assert unknown.status_code == 400
    assert "No staff account uses this email" in (field_error(unknown, "email") or "")

    add_member(lead, programme_id, facilitator_email)
    assert name in facilitator.get("/programmes").text
    page = facilitator.get(f"/programmes/{programme_id}")
    assert page.status_code == 200
    assert facilitator_email in page.text

    # Facilitators neither create programmes nor add people to them.
    refused = facilitator.post("/programmes", {"name": "Facilitator's own"})
    assert refused.status_code == 403
    assert not db.programme_named("Facilitator's own")
    assert facilitator.post(f"/programmes/{programme_id}/members", {"email": facilitator_email}).status_code == 403


def test_a_facilitator_outside_a_programme_sees_none_of_it(
    server: ServerProcess, clients: Any, team: dict[str, Any], db: Db
) -> None:
    exchange_id, programme_id = team["exchange_id"], team["programme_id"]
    link = invite(team["facilitator"], exchange_id, "Joseph Mwangi")
    participant = db.participants_of(exchange_id)[0]
    exchanges_before = len(db.exchanges_in(programme_id))
    outsider, _ = staff(server, clients, "facilitator", "outsider")
    other_lead, _ = staff(server, clients, "lead", "otherlead")

    for intruder in (outsider, other_lead):
        programme_name = db.get(Programme, programme_id).name
        assert programme_name not in intruder.get("/programmes").text
        for path in (
            f"/programmes/{programme_id}",
            f"/programmes/{programme_id}/exchanges/new",
            f"/exchanges/{exchange_id}",
            f"/exchanges/{exchange_id}/edit",
            f"/exchanges/{exchange_id}/plan",
            f"/exchanges/{exchange_id}/exchange.ics",
        ):
            response = intruder.get(path)
            assert response.status_code == 404, path
            assert "Joseph Mwangi" not in response.text
        for path, form in (
            (f"/programmes/{programme_id}/exchanges", exchange_form(title="Intruder exchange")),
            (f"/programmes/{programme_id}/members", {"email": unique_email("x")}),
            (f"/exchanges/{exchange_id}/edit", exchange_form(title="Hijacked")),
            (f"/exchanges/{exchange_id}/status", {"status": "scheduled"}),
            (f"/exchanges/{exchange_id}/plan", {"action": "remove:0"}),
            (f"/exchanges/{exchange_id}/participants", {"name": "Intruder's friend"}),
            (f"/exchanges/{exchange_id}/participants/{participant.id}/revoke", {}),
            (f"/exchanges/{exchange_id}/participants/{participant.id}/reissue", {}),
        ):
            response = intruder.post(path, form)
            # Only leads add members, so a facilitator is refused that before membership is even checked.
            expected = 403 if intruder is outsider and path.endswith("/members") else 404
            assert response.status_code == expected, (path, response.status_code)

    # Nothing the intruders tried changed anything.
    exchange = db.get(Exchange, exchange_id)
    assert exchange.title == "Stories of change in Kisumu"
    assert exchange.status == "draft"
    assert len(exchange.plan["phases"]) == len(TEMPLATE.phases)
    assert len(db.exchanges_in(programme_id)) == exchanges_before
    [still] = db.participants_of(exchange_id)
    assert still.revoked_at is None and still.token_version == participant.token_version
    with httpx.Client(base_url=server.url) as practitioner:
        assert claim_link(practitioner, link).status_code == 303


# --- exchanges --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"start_date": (datetime.now(UTC) - timedelta(days=2)).date().isoformat()}, "start_date", "The start must be in the future."),
        ({"title": "   "}, "title", "This can't be empty."),
        ({"duration_minutes": "0"}, "duration_minutes", "This must be at least 15."),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Choose a time zone from the list."),
        ({"duration_minutes": "two hours"}, "duration_minutes", "Enter a whole number."),
        ({"call_url": "javascript:alert(1)"}, "call_url", "Enter a web address starting with https://"),
        ({"start_date": "9999-12-31", "timezone": "America/Los_Angeles"}, "start_date", "The start must be within the next ten years."),
        ({"start_date": "2031-02-30"}, "start_date", "Enter a date."),
        ({"start_time": "25:00"}, "start_time", "Enter a time."),
        ({"language": "english!"}, "language", "Enter a language code such as en, fr or pt-BR."),
    ],
    ids=[
        "start-in-past",
        "empty-title",
        "zero-duration",
        "unknown-zone",
        "non-number-duration",
        "bad-call-link",
        "start-in-year-9999",
        "no-such-date",
        "no-such-time",
        "bad-language",
    ],
)
def test_bad_exchange_input_is_refused_next_to_the_field(
    server: ServerProcess, clients: Any, team: dict[str, Any], db: Db, overrides: dict[str, str], field: str, message: str
) -> None:
    facilitator, programme_id = team["facilitator"], team["programme_id"]
    before = exchanges_listed(facilitator, programme_id)
    saved_before = len(db.exchanges_in(programme_id))
    form = exchange_form(**{"title": f"Refused {uuid.uuid4().hex[:6]}", **overrides})

    response = facilitator.post(f"/programmes/{programme_id}/exchanges", form)

    assert response.status_code == 400
    assert field_error(response, field) == message
    assert "Nothing was saved" in (alert(response) or "")
    assert 'aria-invalid="true"' in response.text
    # What the person typed is kept in the form.
    assert form_fields(response, f"/programmes/{programme_id}/exchanges")["purpose"] == form["purpose"]
    assert exchanges_listed(facilitator, programme_id) == before
    assert len(db.exchanges_in(programme_id)) == saved_before


def test_an_exchange_is_created_from_the_template_and_scheduled(
    server: ServerProcess, clients: Any, team: dict[str, Any], db: Db
) -> None:
    facilitator, programme_id = team["facilitator"], team["programme_id"]
    new_form = facilitator.get(f"/programmes/{programme_id}/exchanges/new")
    assert new_form.status_code == 200
    before = exchanges_listed(facilitator, programme_id)
    day = future(20).date()

    response = facilitator.post(
        f"/programmes/{programme_id}/exchanges",
        exchange_form(title="Cultural levers in São Paulo", start_date=day.isoformat(), start_time="09:30", timezone="America/Sao_Paulo"),
    )
    assert response.status_code == 303
    exchange_id = created_id(response, r"^/exchanges/(\d+)$")
    assert exchanges_listed(facilitator, programme_id) == before + 1

    stored = db.get(Exchange, exchange_id)
    expected_start = datetime(day.year, day.month, day.day, 9, 30, tzinfo=ZoneInfo("America/Sao_Paulo"))
    assert stored.starts_at == expected_start.astimezone(UTC)
    assert stored.starts_at.tzinfo is not None
    assert stored.plan["key"] == "story-exchange"
    assert [p["title"] for p in stored.plan["phases"]] == [p.title for p in TEMPLATE.phases]

    page = facilitator.get(f"/exchanges/{exchange_id}")
    assert page.status_code == 200
    assert "Cultural levers in São Paulo" in page.text
    assert "9:30\u202fAM (America/Sao_Paulo)" in page.text  # the reader's way (Babel, English)
    assert f'datetime="{expected_start.astimezone(UTC).isoformat()}"' in page.text
    for phase in TEMPLATE.phases:
        assert html.escape(phase.title) in page.text
    assert "badge--draft" in page.text

    assert facilitator.post(f"/exchanges/{exchange_id}/status", {"status": "live"}).status_code == 400
    response = facilitator.post(f"/exchanges/{exchange_id}/status", {"status": "scheduled"})
    assert response.status_code == 303
    assert db.get(Exchange, exchange_id).status == "scheduled"
    assert "badge--scheduled" in facilitator.get(f"/exchanges/{exchange_id}").text

    # The lead of the programme sees it too, in the programme's list.
    assert "Cultural levers in São Paulo" in team["lead"].get(f"/programmes/{programme_id}").text


def test_editing_an_exchange_validates_and_saves(server: ServerProcess, clients: Any, team: dict[str, Any], db: Db) -> None:
    facilitator, exchange_id = team["facilitator"], team["exchange_id"]
    form = form_fields(facilitator.get(f"/exchanges/{exchange_id}/edit"), f"/exchanges/{exchange_id}/edit")
    assert form["title"] == "Stories of change in Kisumu"

    bad = facilitator.post(f"/exchanges/{exchange_id}/edit", {**form, "title": "", "duration_minutes": "0"})
    assert bad.status_code == 400
    assert field_error(bad, "title") == "This can't be empty."
    assert field_error(bad, "duration_minutes") == "This must be at least 15."
    assert db.get(Exchange, exchange_id).title == "Stories of change in Kisumu"

    good = facilitator.post(f"/exchanges/{exchange_id}/edit", {**form, "title": "Renamed exchange", "duration_minutes": "90"})
    assert good.status_code == 303
    stored = db.get(Exchange, exchange_id)
    assert (stored.title, stored.duration_minutes) == ("Renamed exchange", 90)


# --- the plan editor --------------------------------------------------------------------------


def test_plan_edits_persist(server: ServerProcess, clients: Any, team: dict[str, Any], db: Db) -> None:
    facilitator, exchange_id = team["facilitator"], team["exchange_id"]
    action = f"/exchanges/{exchange_id}/plan"
    titles = [p.title for p in TEMPLATE.phases]

    def plan() -> dict[str, Any]:
        return db.get(Exchange, exchange_id).plan

    def submit(changes: dict[str, str]) -> httpx.Response:
        form = form_fields(facilitator.get(action), action)
        return facilitator.post(action, {**form, **changes})

    # Change the minutes, the turn length and the prompts of the story round.
    response = submit({"p1_minutes": "40", "p1_turn_minutes": "6", "p1_prompts": "Tell us a story of change.\nWhat made the difference?"})
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"{action}?saved=1")
    story = plan()["phases"][1]
    assert (story["minutes"], story["turn_seconds"]) == (40, 360)
    assert story["prompts"] == ["Tell us a story of change.", "What made the difference?"]
    page = facilitator.get(response.headers["location"].split("#")[0])
    assert "Plan saved." in page.text
    assert form_fields(page, action)["p1_minutes"] == "40"

    # Move a phase up, then another down.
    assert submit({"action": "up:2"}).status_code == 303
    assert [p["title"] for p in plan()["phases"]][:3] == [titles[0], titles[2], titles[1]]
    assert submit({"action": "down:0"}).status_code == 303
    assert [p["title"] for p in plan()["phases"]][:3] == [titles[2], titles[0], titles[1]]

    # Remove one.
    assert submit({"action": f"remove:{len(titles) - 1}"}).status_code == 303
    assert titles[-1] not in [p["title"] for p in plan()["phases"]]
    assert len(plan()["phases"]) == len(titles) - 1

    # Add a phase at the end.
    assert submit({"action": "add", "new_kind": "discussion", "new_title": "Tea-break talk"}).status_code == 303
    added = plan()["phases"][-1]
    assert (added["title"], added["kind"], added["minutes"]) == ("Tea-break talk", "discussion", 10)
    assert added["key"] not in {p["key"] for p in plan()["phases"][:-1]}
    assert "Tea-break talk" in facilitator.get(f"/exchanges/{exchange_id}").text

    # Ground rules are edited on the same page.
    assert submit({"agreements": "Listen fully.\nYou may pass."}).status_code == 303
    assert plan()["agreements"] == ["Listen fully.", "You may pass."]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"p0_minutes": "0"}, "p0_minutes", "This must be at least 1."),
        ({"p2_title": "  "}, "p2_title", "This can't be empty."),
        ({"p1_minutes": "soon"}, "p1_minutes", "Enter a number."),
        ({"p3_prompts": ""}, "p3_prompts", "This needs at least one line."),
        ({"agreements": ""}, "agreements", "This needs at least one line."),
        ({"action": "add", "new_kind": "karaoke"}, "new_kind", "Choose what kind of phase to add."),
    ],
    ids=["zero-minutes", "empty-title", "minutes-not-a-number", "no-prompts", "no-ground-rules", "unknown-kind"],
)
def test_a_bad_plan_edit_shows_the_error_and_saves_nothing(
    server: ServerProcess, clients: Any, team: dict[str, Any], db: Db, changes: dict[str, str], field: str, message: str
) -> None:
    facilitator, exchange_id = team["facilitator"], team["exchange_id"]
    action = f"/exchanges/{exchange_id}/plan"
    before = db.get(Exchange, exchange_id).plan
    form = form_fields(facilitator.get(action), action)
    # A valid edit rides along with the bad one: it must not be saved either.
    response = facilitator.post(action, {**form, "p4_minutes": "25", **changes})

    assert response.status_code == 400
    assert field_error(response, field) == message
    assert "Nothing was saved" in (alert(response) or "")
    assert db.get(Exchange, exchange_id).plan == before


# --- invites and the calendar file ------------------------------------------------------------


def test_invites_show_a_link_and_bad_input_adds_nobody(
    server: ServerProcess, clients: Any, team: dict[str, Any], db: Db
) -> None:
    facilitator, exchange_id = team["facilitator"], team["exchange_id"]
    path = f"/exchanges/{exchange_id}/participants"

    for form, field, message in (
        ({"name": "  ", "context": "Nairobi"}, "name", "This can't be empty."),
        ({"name": "Amina", "email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"name": "x" * 81}, "name", "This is too long (at most 80 characters)."),
    ):
        response = facilitator.post(path, form)
        assert response.status_code == 400
        assert field_error(response, field) == message
    assert db.participants_of(exchange_id) == []
    assert "Nobody invited yet." in facilitator.get(f"/exchanges/{exchange_id}").text

    link = invite(facilitator, exchange_id, "Amina Odhiambo", "Community health, Kisumu", "amina@example.org")
    token = link.rsplit("/", 1)[1]
    assert link.startswith("http://127.0.0.1:") and f"/join/{token}" in link
    assert len(token) >= 43  # 256 bits, URL-safe base64
    [stored] = db.participants_of(exchange_id)
    assert (stored.name, stored.context, stored.email) == ("Amina Odhiambo", "Community health, Kisumu", "amina@example.org")
    assert token not in (stored.token_hash, stored.token_salt)  # only its hash is kept
    page = text_of(facilitator.get(f"/exchanges/{exchange_id}"))
    assert "Dear Amina Odhiambo," in page
    assert f"Your personal link (please keep it to yourself): {link}" in page

    second = invite(facilitator, exchange_id, "Beatriz Santos")
    assert second != link


def test_the_calendar_file_is_in_utc(server: ServerProcess, clients: Any, team: dict[str, Any], db: Db) -> None:
    facilitator, exchange_id = team["facilitator"], team["exchange_id"]
    response = facilitator.get(f"/exchanges/{exchange_id}/exchange.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert "attachment" in response.headers["content-disposition"]
    body = response.text
    exchange = db.get(Exchange, exchange_id)
    assert "SUMMARY:Stories of change in Kisumu\r\n" in body
    start = exchange.starts_at.astimezone(UTC)
    assert f"DTSTART:{start:%Y%m%dT%H%M%S}Z\r\n" in body
    # 14:00 in Nairobi is 11:00 UTC.
    assert start.hour == 11
    end = start + timedelta(minutes=exchange.duration_minutes)
    assert f"DTEND:{end:%Y%m%dT%H%M%S}Z\r\n" in body
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))

    # The practitioner's own copy carries their personal link.
    link = invite(facilitator, exchange_id, "Carlos Pereira")
    with httpx.Client(base_url=server.url) as practitioner:
        assert claim_link(practitioner, link).status_code == 303
        mine = practitioner.get(f"/e/{exchange_id}/exchange.ics")
        assert mine.status_code == 200
        assert mine.headers["content-type"].startswith("text/calendar")
        unfolded = mine.text.replace("\r\n ", "")
        assert link in unfolded
        assert f"DTSTART:{start:%Y%m%dT%H%M%S}Z" in unfolded


# --- joining, consent, revocation -------------------------------------------------------------


@contextmanager
def join(server: ServerProcess, link: str, exchange_id: int) -> Iterator[httpx.Client]:
    """A practitioner's browser that has opened their link and claimed it (pressed Continue)."""
    with httpx.Client(base_url=server.url, follow_redirects=False, timeout=10.0) as client:
        response = claim_link(client, link)
        assert response.status_code == 303, response.text
        assert response.headers["location"] == f"/e/{exchange_id}"
        yield client


def test_joining_sets_a_cookie_for_that_exchange_and_opens_the_lobby(
    server: ServerProcess, clients: Any, team: dict[str, Any]
) -> None:
    facilitator, exchange_id = team["facilitator"], team["exchange_id"]
    link = invite(facilitator, exchange_id, "Dina Haddad")

    with httpx.Client(base_url=server.url, follow_redirects=False) as practitioner:
        # Opening the link shows what it is and sets no practitioner cookie; Continue claims it.
        response = practitioner.get(path_of(link))
        assert response.status_code == 200
        assert "Welcome, Dina Haddad" in text_of(response)
        assert "exchange_p" not in " ".join(response.headers.get_list("set-cookie"))
        response = claim_link(practitioner, link)
        assert response.status_code == 303
        assert response.headers["location"] == f"/e/{exchange_id}"
        cookie = next(
            h for h in response.headers.get_list("set-cookie") if h.startswith(f"{participant_cookie_name(exchange_id)}=")
        )
        attributes = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
        assert attributes["path"] == f"Path=/e/{exchange_id}"
        assert "httponly" in attributes
        assert attributes["samesite"].lower() == "samesite=lax"

        lobby = practitioner.get(f"/e/{exchange_id}")
        assert lobby.status_code == 200
        page = text_of(lobby)
        assert "Welcome, <bdi>Dina Haddad</bdi>" in page  # the name isolated (bdi)
        assert "Stories of change in Kisumu" in page
        assert "Practitioners share what changed and how." in page
        for rule in TEMPLATE.agreements:
            assert rule in page
        assert "2:00\u202fPM (Africa/Nairobi)" in page  # the reader's way (Babel, English)
        assert "data-countdown=" in lobby.text
        assert "I accept these ground rules." in page

        # The cookie is the practitioner's only key: staff pages stay closed to it.
        assert practitioner.get(f"/exchanges/{exchange_id}").status_code == 303

    # Without the cookie the lobby is closed.
    with httpx.Client(base_url=server.url) as stranger:
        response = stranger.get(f"/e/{exchange_id}")
        assert response.status_code == 404
        assert NOT_VALID in response.text


@pytest.mark.parametrize(
    ("consent", "shown"),
    [("name", "by your name"), ("initials", "by your initials"), ("anonymous", "anonymously")],
)
def test_ground_rules_and_consent(
    server: ServerProcess, clients: Any, team: dict[str, Any], db: Db, consent: str, shown: str
) -> None:
    facilitator, exchange_id = team["facilitator"], team["exchange_id"]
    link = invite(facilitator, exchange_id, "Esther Wanjiru Kamau")
    with join(server, link, exchange_id) as practitioner:
        csrf = practitioner.cookies.get("exchange_csrf")
        lobby = practitioner.get(f"/e/{exchange_id}")
        assert "(<bdi>E.W.K.</bdi>)" in lobby.text  # the initials they would appear as

        for form, message in (
            ({"consent": consent}, "Please read and accept the ground rules to continue."),
            ({"accept": "yes"}, "Please choose how you would like to appear in the record."),
            ({"accept": "yes", "consent": "everyone"}, "Please choose how you would like to appear in the record."),
        ):
            response = practitioner.post(f"/e/{exchange_id}/agree", data={**form, "csrf_token": csrf})
            assert response.status_code == 400
            assert alert(response) == message
        [stored] = db.participants_of(exchange_id)
        assert stored.rules_accepted_at is None and stored.consent is None

        response = practitioner.post(f"/e/{exchange_id}/agree", data={"accept": "yes", "consent": consent, "csrf_token": csrf})
        assert response.status_code == 303
        assert response.headers["location"] == f"/e/{exchange_id}"
        [stored] = db.participants_of(exchange_id)
        assert stored.consent == consent
        assert stored.rules_accepted_at is not None

        page = text_of(practitioner.get(f"/e/{exchange_id}"))
        assert "You're all set." in page
        assert f"You appear in the record {shown}." in page
        assert "I accept these ground rules." not in page

    assert "Ground rules accepted" in facilitator.get(f"/exchanges/{exchange_id}").text


def test_revoked_links_and_their_cookies_stop_working_and_reissue_replaces_the_link(
    server: ServerProcess, clients: Any, team: dict[str, Any], db: Db
) -> None:
    facilitator, exchange_id = team["facilitator"], team["exchange_id"]
    old_link = invite(facilitator, exchange_id, "Farida Yusuf")
    [participant] = db.participants_of(exchange_id)

    with join(server, old_link, exchange_id) as practitioner:
        assert practitioner.get(f"/e/{exchange_id}").status_code == 200

        response = facilitator.post(f"/exchanges/{exchange_id}/participants/{participant.id}/revoke", {"confirm": "yes"})
        assert response.status_code == 303
        assert "Link revoked" in facilitator.get(f"/exchanges/{exchange_id}").text

        for path in (f"/e/{exchange_id}", f"/e/{exchange_id}/exchange.ics"):
            response = practitioner.get(path)
            assert response.status_code == 404
            assert NOT_VALID in response.text
        refused = practitioner.post(
            f"/e/{exchange_id}/agree",
            data={"accept": "yes", "consent": "name", "csrf_token": practitioner.cookies.get("exchange_csrf")},
        )
        assert refused.status_code == 404
        assert db.get(Participant, participant.id).consent is None
        response = practitioner.get(path_of(old_link))
        assert response.status_code == 404
        assert NOT_VALID in response.text

        response = facilitator.post(f"/exchanges/{exchange_id}/participants/{participant.id}/reissue")
        assert response.status_code == 303
        page = facilitator.get(f"/exchanges/{exchange_id}")
        [new_link] = invite_links(page.text)
        assert new_link != old_link

        # The old link and the cookie it gave stay dead; the new link works.
        assert practitioner.get(path_of(old_link)).status_code == 404
        assert practitioner.get(f"/e/{exchange_id}").status_code == 404

    with join(server, new_link, exchange_id) as practitioner:
        lobby = practitioner.get(f"/e/{exchange_id}")
        assert lobby.status_code == 200
        assert "Farida Yusuf" in lobby.text

    # Re-issuing again (confirmed: the new link is in use) retires the second link as well.
    reissue = f"/exchanges/{exchange_id}/participants/{participant.id}/reissue"
    assert facilitator.post(reissue, {"confirm": "yes"}).status_code == 303
    with httpx.Client(base_url=server.url) as practitioner:
        assert practitioner.get(path_of(new_link)).status_code == 404


def test_unknown_malformed_and_revoked_tokens_get_the_same_page(
    server: ServerProcess, clients: Any, team: dict[str, Any], db: Db
) -> None:
    facilitator, exchange_id = team["facilitator"], team["exchange_id"]
    revoked_link = invite(facilitator, exchange_id, "Gabriel Costa")
    [participant] = db.participants_of(exchange_id)
    participant_id = participant.id
    assert facilitator.post(f"/exchanges/{exchange_id}/participants/{participant_id}/revoke", {"confirm": "yes"}).status_code == 303
    good_token = revoked_link.rsplit("/", 1)[1]

    bodies = set()
    with httpx.Client(base_url=server.url) as stranger:
        stranger.get("/login")  # get the CSRF cookie first so every answer below is alike
        for token in (
            secrets.token_urlsafe(32),  # well-formed, unknown
            good_token[:-1] + ("A" if good_token[-1] != "A" else "B"),  # one character off
            good_token,  # revoked
            "abc",
            "x" * 500,
            "not a token!",
            "%00%01",
            "..%2F..%2Fetc%2Fpasswd",
            "<script>alert(1)</script>",
            good_token + "/",  # mangled by a mail client
            f"{secrets.token_urlsafe(32)}/extra",
        ):
            response = stranger.get(f"/join/{token}")
            assert response.status_code == 404, token
            assert NOT_VALID in response.text
            assert "set-cookie" not in response.headers or "exchange_p" not in response.headers["set-cookie"]
            bodies.add(response.text)
    assert len(bodies) == 1


def test_a_practitioner_cookie_opens_no_other_exchange(server: ServerProcess, clients: Any, team: dict[str, Any]) -> None:
    facilitator, programme_id = team["facilitator"], team["programme_id"]
    exchange_a = team["exchange_id"]
    exchange_b = new_exchange(facilitator, programme_id, title="Another exchange")
    invite(facilitator, exchange_b, "Someone Else")
    link_a = invite(facilitator, exchange_a, "Hana Tesfaye")

    with join(server, link_a, exchange_a) as practitioner:
        assert practitioner.get(f"/e/{exchange_a}").status_code == 200
        value = practitioner.cookies.get(participant_cookie_name(exchange_a))
        assert value
        # The cookie is not even sent to B...
        assert practitioner.get(f"/e/{exchange_b}").status_code == 404
        # ...and copied onto B's name and path it still opens nothing.
        practitioner.cookies.set(participant_cookie_name(exchange_b), value, domain="127.0.0.1", path=f"/e/{exchange_b}")
        for path in (f"/e/{exchange_b}", f"/e/{exchange_b}/exchange.ics"):
            response = practitioner.get(path)
            assert response.status_code == 404, path
            assert NOT_VALID in response.text
            assert "Another exchange" not in response.text
        refused = practitioner.post(
            f"/e/{exchange_b}/agree",
            data={"accept": "yes", "consent": "name", "csrf_token": practitioner.cookies.get("exchange_csrf")},
        )
        assert refused.status_code == 404

    # A forged cookie (tampered signature) is refused as well.
    with httpx.Client(base_url=server.url) as forger:
        forger.cookies.set(participant_cookie_name(exchange_a), value[:-2] + "xx", domain="127.0.0.1", path=f"/e/{exchange_a}")
        assert forger.get(f"/e/{exchange_a}").status_code == 404


# --- CSRF ---------------------------------------------------------------------------------------


def test_forms_without_the_csrf_token_are_refused_and_change_nothing(
    server: ServerProcess, clients: Any, team: dict[str, Any], db: Db
) -> None:
    lead, facilitator, exchange_id = team["lead"], team["facilitator"], team["exchange_id"]
    name = f"Forged programme {uuid.uuid4().hex[:6]}"

    for token in (None, "", "wrong-token-" + "x" * 20):
        form = {"name": name} if token is None else {"name": name, "csrf_token": token}
        response = lead.http.post("/programmes", data=form)
        assert response.status_code == 403
        assert "This form has expired or came from another site." in text_of(response)
    assert db.programme_named(name) == []
    assert name not in lead.get("/programmes").text

    response = facilitator.post(f"/exchanges/{exchange_id}/participants", {"name": "Forged Person"}, csrf=False)
    assert response.status_code == 403
    response = facilitator.post(f"/exchanges/{exchange_id}/participants", {"name": "Forged Person", "csrf_token": "nope" * 8})
    assert response.status_code == 403
    response = facilitator.post(f"/exchanges/{exchange_id}/status", {"status": "scheduled"}, csrf=False)
    assert response.status_code == 403
    response = facilitator.post(f"/exchanges/{exchange_id}/plan", {"action": "remove:0"}, csrf=False)
    assert response.status_code == 403
    exchange = db.get(Exchange, exchange_id)
    assert exchange.status == "draft" and len(exchange.plan["phases"]) == len(TEMPLATE.phases)
    assert db.participants_of(exchange_id) == []

    # Logout too: a forged logout leaves the session alive.
    assert facilitator.post("/logout", csrf=False).status_code == 403
    assert facilitator.get("/programmes").status_code == 200

    # A token from another browser does not count either: it must match this browser's cookie.
    other = clients()
    response = facilitator.post(f"/exchanges/{exchange_id}/participants", {"name": "Forged Person", "csrf_token": other.csrf})
    assert response.status_code == 403

    # Login is protected as well, so nobody can be logged in to someone else's account by a form.
    email = team["facilitator_email"]
    victim = clients()
    response = victim.post("/login", {"email": email, "password": PASSWORD}, csrf=False)
    assert response.status_code == 403
    assert STAFF_COOKIE not in response.headers.get("set-cookie", "")
    with httpx.Client(base_url=server.url) as bare:  # no CSRF cookie at all
        response = bare.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": "x" * 32})
        assert response.status_code == 403

    # A practitioner's consent form is protected the same way.
    link = invite(facilitator, exchange_id, "Ines Moreira")
    with join(server, link, exchange_id) as practitioner:
        response = practitioner.post(f"/e/{exchange_id}/agree", data={"accept": "yes", "consent": "name"})
        assert response.status_code == 403
        [participant] = db.participants_of(exchange_id)
        assert participant.consent is None and participant.rules_accepted_at is None


# --- escaping and headers -----------------------------------------------------------------------

XSS = '<script>alert("x")</script>'


def test_user_text_is_escaped_on_every_page(server: ServerProcess, crew: dict[str, Any], db: Db) -> None:
    lead = crew["lead"]
    programme_id = new_programme(lead, f"{XSS} programme", f"{XSS} description")
    exchange_id = new_exchange(lead, programme_id, title=f"{XSS} title", purpose=f"{XSS} purpose")
    link = invite(lead, exchange_id, f"{XSS} name", f"{XSS} context")
    action = f"/exchanges/{exchange_id}/plan"
    form = form_fields(lead.get(action), action)
    assert lead.post(action, {**form, "p0_title": f"{XSS} phase", "agreements": f"{XSS} rule"}).status_code == 303

    pages = [
        lead.get("/programmes"),
        lead.get(f"/programmes/{programme_id}"),
        lead.get(f"/exchanges/{exchange_id}"),
        lead.get(f"/exchanges/{exchange_id}/edit"),
        lead.get(action),
        lead.post(f"/exchanges/{exchange_id}/participants", {"name": "", "context": XSS}),  # error page echoes input
        lead.post(f"/programmes/{programme_id}/exchanges", exchange_form(title=XSS, duration_minutes="0")),
    ]
    with join(server, link, exchange_id) as practitioner:
        pages.append(practitioner.get(f"/e/{exchange_id}"))
        pages.append(
            practitioner.post(f"/e/{exchange_id}/agree", data={"csrf_token": practitioner.cookies.get("exchange_csrf")})
        )
    for response in pages:
        assert response.status_code in {200, 400}, response.request.url
        assert "<script>alert" not in response.text, response.request.url
        assert "&lt;script&gt;alert" in response.text, response.request.url
    # What was typed is stored as typed; only its display is escaped.
    assert db.get(Exchange, exchange_id).title == f"{XSS} title"


def test_security_headers_and_no_inline_scripts(server: ServerProcess, clients: Any, team: dict[str, Any]) -> None:
    facilitator, exchange_id = team["facilitator"], team["exchange_id"]
    link = invite(facilitator, exchange_id, "Jo Headers")
    responses = [
        facilitator.get("/login?next=/programmes"),
        facilitator.get("/programmes"),
        facilitator.get(f"/programmes/{team['programme_id']}"),
        facilitator.get(f"/programmes/{team['programme_id']}/exchanges/new"),
        facilitator.get(f"/exchanges/{exchange_id}"),
        facilitator.get(f"/exchanges/{exchange_id}/plan"),
        facilitator.get("/no-such-page"),
    ]
    with httpx.Client(base_url=server.url) as anonymous:
        responses.append(anonymous.get("/login"))
        responses.append(anonymous.get("/join/nonsense"))
        responses.append(anonymous.get(path_of(link)))  # the link's own page
        responses.append(anonymous.get("/", follow_redirects=False))  # a redirect
    with join(server, link, exchange_id) as practitioner:
        responses.append(practitioner.get(f"/e/{exchange_id}"))
        responses.append(practitioner.get(f"/e/{exchange_id}/exchange.ics"))

    for response in responses:
        url = str(response.request.url)
        csp = response.headers.get("content-security-policy", "")
        directives = {d.strip().split(" ", 1)[0]: d.strip() for d in csp.split(";") if d.strip()}
        assert directives.get("default-src") == "default-src 'self'", url
        assert directives.get("script-src") == "script-src 'self'", url
        assert "frame-ancestors" in directives and "object-src" in directives, url
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, url
        assert response.headers.get("x-content-type-options") == "nosniff", url
        assert response.headers.get("x-frame-options") == "DENY", url
        assert response.headers.get("referrer-policy"), url
        # Nothing dynamic is kept by a browser or a proxy (the back button after a revoke, a shared computer).
        assert response.headers.get("cache-control") == "no-store", url
        if response.headers.get("content-type", "").startswith("text/html"):
            for tag in re.findall(r"<script\b[^>]*>", response.text):
                assert " src=" in tag, (url, tag)
            assert not re.search(r"<[^>]+\son[a-z]+\s*=", response.text), url
            assert not re.search(r"<style\b", response.text), url
            assert not re.search(r'\sstyle="', response.text), url


def test_static_files_may_be_cached_and_pages_may_not(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.url) as anonymous:
        for path in ("/static/css/app.css", "/static/js/live/participant.js", "/static/favicon.svg"):
            response = anonymous.get(path)
            assert response.status_code == 200, path
            assert "no-store" not in response.headers.get("cache-control", ""), path
        for path in ("/login", "/join/nonsense", "/e/1", "/healthz"):
            assert anonymous.get(path).headers.get("cache-control") == "no-store", path
