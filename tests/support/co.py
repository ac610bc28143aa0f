"""A co-facilitator for a scheduled exchange (tests/support/scenario.py): a second facilitator of the
programme, added to the exchange through its page by the exchange's facilitator."""

from __future__ import annotations

import uuid

from exchange.timeutil import utcnow
from tests.support.scenario import Setup
from tests.support.servers import ServerProcess
from tests.support.web import WebClient, seed_staff
from tests.support.world import run_sql


def add_co_facilitator(server: ServerProcess, setup: Setup, name: str = "Kofi Co") -> tuple[WebClient, int]:
    """Their logged-in client and user id."""
    email = f"co-{uuid.uuid4().hex[:10]}@example.org"
    user_id = seed_staff(server.database_url, email=email, name=name, role="facilitator")
    # Only a lead adds programme members (the lead of scenario.py logged out): straight in the table.
    run_sql(
        server.database_url,
        "INSERT INTO programme_member (programme_id, user_id, added_at) VALUES (:p, :u, :t)",
        p=setup.programme_id, u=user_id, t=utcnow().isoformat(),
    )
    added = setup.facilitator.post(f"/exchanges/{setup.exchange_id}/facilitators", {"user_id": str(user_id)})
    assert added.status_code == 303, added.text[:300]
    client = WebClient(server.url)
    client.login(email)
    return client, user_id
