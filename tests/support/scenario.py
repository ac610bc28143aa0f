"""Set up a scheduled exchange with practitioners over real HTTP, and hand out their cookies."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from exchange.timeutil import utcnow
from tests.support.servers import ServerProcess
from tests.support.web import WebClient, claim_link, created_id, invite_links, seed_staff


@dataclass
class Setup:
    exchange_id: int
    programme_id: int
    facilitator: WebClient
    practitioners: list[WebClient] = field(default_factory=list)
    practitioner_names: list[str] = field(default_factory=list)

    @staticmethod
    def cookie(client: WebClient) -> str:
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in client.http.cookies.jar)

    def close(self) -> None:
        self.facilitator.close()
        for client in self.practitioners:
            client.close()


def scheduled_exchange(server: ServerProcess, *, practitioners: int = 3, template: str = "story-exchange") -> Setup:
    """A lead, a facilitator, a programme, a scheduled exchange and practitioners who accepted the rules."""
    tag = uuid.uuid4().hex[:8]
    seed_staff(server.database_url, email=f"lead-{tag}@example.org", name="Lead", role="lead")
    seed_staff(server.database_url, email=f"fac-{tag}@example.org", name="Facilitator", role="facilitator")
    lead = WebClient(server.url)
    lead.login(f"lead-{tag}@example.org")
    programme_id = created_id(lead.post("/programmes", {"name": f"Programme {tag}"}), r"/programmes/(\d+)")
    assert lead.post(f"/programmes/{programme_id}/members", {"email": f"fac-{tag}@example.org"}).status_code == 303
    lead.close()

    facilitator = WebClient(server.url)
    facilitator.login(f"fac-{tag}@example.org")
    start = utcnow() + timedelta(days=2)
    response = facilitator.post(
        f"/programmes/{programme_id}/exchanges",
        {
            "title": f"Exchange {tag}",
            "purpose": "Stories of change",
            "start_date": start.date().isoformat(),
            "start_time": "10:00",
            "timezone": "UTC",
            "duration_minutes": "120",
            "language": "en",
            "template_key": template,
        },
    )
    exchange_id = created_id(response, r"/exchanges/(\d+)")
    assert facilitator.post(f"/exchanges/{exchange_id}/status", {"status": "scheduled"}).status_code == 303
    setup = Setup(exchange_id=exchange_id, programme_id=programme_id, facilitator=facilitator)
    names = ["Amina", "Rosa", "Tomás", "Lena", "Kofi", "Maya", "Ravi", "Ines", "Juno", "Sara", "Omar", "Yuki"]
    for i in range(practitioners):
        name = f"{names[i % len(names)]} {i + 1}"
        assert facilitator.post(f"/exchanges/{exchange_id}/participants", {"name": name}).status_code == 303
        setup.practitioner_names.append(name)
    links = invite_links(facilitator.get(f"/exchanges/{exchange_id}").text)
    assert len(links) == practitioners
    for link in links:
        client = WebClient(server.url)
        assert claim_link(client.http, link).status_code == 303
        assert client.post(f"/e/{exchange_id}/agree", {"accept": "yes", "consent": "name"}).status_code == 303
        setup.practitioners.append(client)
    return setup
