"""Two programmes, two exchanges and someone in every role, for tests that try each role at each door.

Programme P (its lead, one facilitator) runs exchange X, live, with a practitioner who joined and
told a story; programme Q (another lead, another facilitator) runs exchange Y with its own
practitioner. Each role is a set of cookies, so a test can make any number of independent requests
as that role (a fresh HTTP client per request, nothing carried over), and open sockets with them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
from sqlalchemy import Engine, text
from sqlmodel import Session

from exchange.auth import CSRF_COOKIE, STAFF_COOKIE, participant_cookie_name
from exchange.db import make_engine
from exchange.programmes import service
from exchange.programmes.models import Participant
from exchange.timeutil import utcnow
from tests.support.live import LiveClient
from tests.support.servers import ServerProcess
from tests.support.web import PASSWORD, WebClient, claim_link, created_id, invite_links, seed_staff

#: Every role, in the order the tables list them.
ROLES = ("anonymous", "practitioner", "other_practitioner", "facilitator", "other_facilitator", "other_lead", "lead")
#: The secret tests/support/servers.py gives every server: invite tokens can be derived from the database.
SECRET = "test-secret-" + "x" * 40


@dataclass
class Role:
    """One role's browser, as cookies (a dict, so every request starts from the same state)."""

    name: str
    cookies: dict[str, str]
    email: str | None = None  # staff only: to log in again for a session of one's own

    @property
    def staff(self) -> bool:
        return self.email is not None

    def header(self, extra: dict[str, str] | None = None) -> str:
        return "; ".join(f"{k}={v}" for k, v in {**self.cookies, **(extra or {})}.items())


@dataclass
class World:
    server: ServerProcess
    tag: str
    programme: int  # P
    other_programme: int  # Q
    exchange: int  # X, live, in P
    other_exchange: int  # Y, scheduled, in Q
    practitioner_id: int  # the practitioner of X (claimed, rules accepted, joined, told story-1)
    roles: dict[str, Role] = field(default_factory=dict)
    facilitator_web: WebClient | None = None

    def sql(self, statement: str, **params: object) -> list[tuple]:
        return run_sql(self.server.database_url, statement, **params)

    def new_participant(self, *, claimed: bool = False) -> tuple[int, str]:
        """A new practitioner of X, invited by its facilitator: their id and link token."""
        assert self.facilitator_web is not None
        name = f"Spare {uuid.uuid4().hex[:6]}"
        response = self.facilitator_web.post(f"/exchanges/{self.exchange}/participants", {"name": name})
        assert response.status_code == 303, response.text[:300]
        pid = created_id(response, r"invited=(\d+)")
        engine = make_engine(self.server.database_url)
        try:
            with Session(engine) as db:
                participant = db.get(Participant, pid)
                assert participant is not None
                token = service.invite_token(SECRET, participant)
        finally:
            engine.dispose()
        if claimed:
            with httpx.Client(base_url=self.server.url, follow_redirects=False, timeout=10) as http:
                http.get("/login")
                assert claim_link(http, f"{self.server.url}/join/{token}").status_code == 303
        return pid, token

    def fresh_staff_cookies(self, role: Role) -> dict[str, str]:
        """The role's cookies with a staff session of its own (for requests that end the session)."""
        assert role.email is not None
        client = WebClient(self.server.url)
        try:
            client.login(role.email, PASSWORD)
            return {**role.cookies, STAFF_COOKIE: client.http.cookies.get(STAFF_COOKIE) or ""}
        finally:
            client.close()

    def close(self) -> None:
        if self.facilitator_web is not None:
            self.facilitator_web.close()
        dispose_engines()


_ENGINES: dict[str, Engine] = {}


def run_sql(database_url: str, statement: str, **params: object) -> list[tuple]:
    """Run one statement on the server's database (one engine per database, see `dispose_engines`)."""
    engine = _ENGINES.get(database_url) or _ENGINES.setdefault(database_url, make_engine(database_url))
    with Session(engine) as db:
        result = db.execute(text(statement), params)
        rows = [tuple(row) for row in result] if result.returns_rows else []
        db.commit()
        return rows


def dispose_engines() -> None:
    while _ENGINES:
        _ENGINES.popitem()[1].dispose()


def _cookies(client: WebClient) -> dict[str, str]:
    return {cookie.name: cookie.value for cookie in client.http.cookies.jar if cookie.value is not None}


#: A staff name as long as a staff name may be (120): longer than a practitioner's (80), which the
#: live session's Actor once allowed alone, so such a lead's socket failed with a 500.
LONG_NAME = "Maria-Fernanda Guadalupe de los Santos Okonkwo-Abernathy y Villanueva, Programme Lead for Gender Equity and Inclusion"[:120]


def _staff(server: ServerProcess, tag: str, label: str, role: str, name: str | None = None) -> tuple[WebClient, str]:
    email = f"{label}-{tag}@example.org"
    seed_staff(server.database_url, email=email, name=name or f"{label.title()} {tag}", role=role)
    client = WebClient(server.url)
    client.login(email)
    return client, email


def _exchange(facilitator: WebClient, programme: int, tag: str) -> int:
    start = utcnow() + timedelta(days=3)
    response = facilitator.post(
        f"/programmes/{programme}/exchanges",
        {
            "title": f"Exchange {tag}",
            "purpose": "Stories of change",
            "start_date": start.date().isoformat(),
            "start_time": "10:00",
            "timezone": "UTC",
            "duration_minutes": "120",
            "language": "en",
            "template_key": "story-exchange",
        },
    )
    exchange = created_id(response, r"/exchanges/(\d+)")
    assert facilitator.post(f"/exchanges/{exchange}/status", {"status": "scheduled"}).status_code == 303
    return exchange


def _practitioner(facilitator: WebClient, exchange: int, name: str) -> WebClient:
    assert facilitator.post(f"/exchanges/{exchange}/participants", {"name": name}).status_code == 303
    link = invite_links(facilitator.get(f"/exchanges/{exchange}").text)[-1]
    client = WebClient(str(facilitator.http.base_url))
    assert claim_link(client.http, link).status_code == 303
    assert client.post(f"/e/{exchange}/agree", {"accept": "yes", "consent": "name"}).status_code == 303
    return client


def build_world(server: ServerProcess) -> World:
    """P, Q, X and Y, and every role's cookies; X is not live yet (see `go_live`)."""
    tag = uuid.uuid4().hex[:8]
    lead, lead_email = _staff(server, tag, "lead", "lead", name=LONG_NAME)
    facilitator, facilitator_email = _staff(server, tag, "facilitator", "facilitator")
    other_lead, other_lead_email = _staff(server, tag, "otherlead", "lead")
    other_facilitator, other_facilitator_email = _staff(server, tag, "otherfacilitator", "facilitator")
    programme = created_id(lead.post("/programmes", {"name": f"P {tag}"}), r"/programmes/(\d+)")
    assert lead.post(f"/programmes/{programme}/members", {"email": facilitator_email}).status_code == 303
    other_programme = created_id(other_lead.post("/programmes", {"name": f"Q {tag}"}), r"/programmes/(\d+)")
    assert other_lead.post(f"/programmes/{other_programme}/members", {"email": other_facilitator_email}).status_code == 303
    exchange = _exchange(facilitator, programme, tag)
    other_exchange = _exchange(other_facilitator, other_programme, tag + "y")
    practitioner = _practitioner(facilitator, exchange, f"Amina {tag}")
    other_practitioner = _practitioner(other_facilitator, other_exchange, f"Rosa {tag}")
    anonymous = WebClient(server.url)

    other_cookies = _cookies(other_practitioner)
    # A practitioner of Y replays their own cookie as X's: a token for one exchange opens no other.
    other_cookies[participant_cookie_name(exchange)] = other_cookies[participant_cookie_name(other_exchange)]
    roles = {
        "anonymous": Role("anonymous", _cookies(anonymous)),
        "practitioner": Role("practitioner", _cookies(practitioner)),
        "other_practitioner": Role("other_practitioner", other_cookies),
        "facilitator": Role("facilitator", _cookies(facilitator), facilitator_email),
        "other_facilitator": Role("other_facilitator", _cookies(other_facilitator), other_facilitator_email),
        "other_lead": Role("other_lead", _cookies(other_lead), other_lead_email),
        "lead": Role("lead", _cookies(lead), lead_email),
    }
    for role in roles.values():
        assert CSRF_COOKIE in role.cookies, role.name
    [(practitioner_id,)] = run_sql(server.database_url, "SELECT id FROM participant WHERE exchange_id = :e", e=exchange)
    for client in (lead, other_lead, other_facilitator, practitioner, other_practitioner, anonymous):
        client.close()
    world = World(server, tag, programme, other_programme, exchange, other_exchange, practitioner_id, roles)
    world.facilitator_web = facilitator
    return world


#: The phases of the story-exchange plan (exchange/prompts/templates/story-exchange.toml).
WELCOME, STORIES = 0, 1


async def go_live(world: World) -> tuple[LiveClient, LiveClient]:
    """Start X: the practitioner joins, tells story-1 and recalls it (recall-1). Returns both sockets."""
    facilitator = await LiveClient(world.server.ws_url, world.exchange, world.roles["facilitator"].header()).connect()
    practitioner = await LiveClient(world.server.ws_url, world.exchange, world.roles["practitioner"].header()).connect()
    await facilitator.wait_view(lambda v: len(v["roster"]) == 1)
    await facilitator.ok("start_exchange")
    await facilitator.ok("goto_phase", index=STORIES)
    await facilitator.ok("next_turn")
    await practitioner.wait_view(lambda v: v["turns"]["speaker"]["id"] == practitioner.you["id"])
    await practitioner.ok("share_story", title="The well", summary="Women dug a well together.")
    await practitioner.ok("add_recall", text="Water changes who speaks.")
    return facilitator, practitioner
