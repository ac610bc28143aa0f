"""Programmes with several exchanges played over real websockets, for the synthesis tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from exchange.timeutil import utcnow
from tests.support.live import LiveClient
from tests.support.scenario import Setup
from tests.support.servers import ServerProcess
from tests.support.web import WebClient, claim_link, created_id, invite_links, seed_staff

# Phases of story-exchange.toml and most-significant-change.toml.
SE_STORIES, SE_LEVERS, SE_COMMONALITIES, SE_PROBLEMS = 1, 2, 3, 5
MSC_STORIES, MSC_SELECTION = 1, 3


@dataclass
class Person:
    name: str
    country: str = ""
    email: str = ""
    consent: str = "name"
    story: tuple[str, str] | None = None  # title, summary


@dataclass
class Programme:
    id: int
    tag: str
    lead: WebClient
    facilitator: WebClient
    lead_email: str

    def close(self) -> None:
        self.lead.close()
        self.facilitator.close()


@dataclass
class Played:
    exchange_id: int
    people: list[Person]
    pages: list[WebClient]  # each practitioner's browser
    sockets: list[LiveClient]
    facilitator: LiveClient
    story_ids: list[str] = field(default_factory=list)  # per person with a story, in order

    async def close(self) -> None:
        for client in (self.facilitator, *self.sockets):
            await client.close()
        for page in self.pages:
            page.close()


def new_programme(server: ServerProcess) -> Programme:
    tag = uuid.uuid4().hex[:8]
    lead_email, fac_email = f"lead-{tag}@example.org", f"fac-{tag}@example.org"
    seed_staff(server.database_url, email=lead_email, name="Lead", role="lead")
    seed_staff(server.database_url, email=fac_email, name="Facilitator", role="facilitator")
    lead = WebClient(server.url)
    lead.login(lead_email)
    programme_id = created_id(lead.post("/programmes", {"name": f"Programme {tag}"}), r"/programmes/(\d+)")
    assert lead.post(f"/programmes/{programme_id}/members", {"email": fac_email}).status_code == 303
    facilitator = WebClient(server.url)
    facilitator.login(fac_email)
    return Programme(programme_id, tag, lead, facilitator, lead_email)


async def play(server: ServerProcess, programme: Programme, *, title: str, people: list[Person],
               template: str = "story-exchange", cards: dict[int, list[tuple[int, dict[str, str], bool]]] | None = None,
               end: bool = True) -> Played:  # fmt: skip
    """Schedule an exchange in the programme, invite and admit `people`, tell their stories in turn,
    add `cards` ({phase: [(person index, fields, anonymous)]}), and end it (unless `end` is False)."""
    facilitator = programme.facilitator
    start = utcnow() + timedelta(days=2)
    response = facilitator.post(f"/programmes/{programme.id}/exchanges", {
        "title": title, "purpose": "Stories of change", "start_date": start.date().isoformat(), "start_time": "10:00",
        "timezone": "UTC", "duration_minutes": "120", "language": "en", "template_key": template,
    })  # fmt: skip
    exchange_id = created_id(response, r"/exchanges/(\d+)")
    assert facilitator.post(f"/exchanges/{exchange_id}/status", {"status": "scheduled"}).status_code == 303
    for person in people:
        form = {"name": person.name, "country": person.country, "email": person.email}
        assert facilitator.post(f"/exchanges/{exchange_id}/participants", form).status_code == 303
    links = invite_links(facilitator.get(f"/exchanges/{exchange_id}").text)
    pages = []
    for link, person in zip(links, people, strict=True):
        page = WebClient(server.url)
        assert claim_link(page.http, link).status_code == 303
        assert page.post(f"/e/{exchange_id}/agree", {"accept": "yes", "consent": person.consent}).status_code == 303
        pages.append(page)
    staff = await LiveClient(server.ws_url, exchange_id, Setup.cookie(facilitator)).connect()
    sockets = [await LiveClient(server.ws_url, exchange_id, Setup.cookie(p)).connect() for p in pages]
    played = Played(exchange_id, people, pages, sockets, staff)
    await staff.wait_view(lambda v: len(v["roster"]) == len(people))
    await staff.ok("start_exchange")
    await staff.ok("goto_phase", index=SE_STORIES if template == "story-exchange" else MSC_STORIES)
    for person, socket in zip(people, sockets, strict=True):
        if person.story is None:
            continue
        await staff.ok("next_turn")
        await socket.wait_view(lambda v, s=socket: v["turns"]["speaker"] and v["turns"]["speaker"]["id"] == s.you["id"])
        await socket.ok("share_story", title=person.story[0], summary=person.story[1])
        played.story_ids.append(f"story-{len(played.story_ids) + 1}")
    for phase, phase_cards in sorted((cards or {}).items()):
        await staff.ok("goto_phase", index=phase)
        for index, fields, anonymous in phase_cards:
            await sockets[index].ok("add_card", fields=fields, anonymous=anonymous)
    if end:
        await finish(played)
    return played


async def finish(played: Played) -> None:
    await played.facilitator.ok("end_exchange")
    await played.facilitator.wait_view(lambda v: v["status"] == "ended")
