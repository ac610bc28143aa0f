"""Two instances over PostgreSQL and Redis: a login ended on one closes its staff sockets on the other.

The periodic re-check is set far off, so only the broker can close them in time.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.integration.test_accounts_hardening import NEW_PASSWORD, Crew, closed_with_1008, still_open
from tests.support.databases import fresh_database, migrate
from tests.support.live import LiveClient
from tests.support.servers import ServerProcess
from tests.support.web import PASSWORD

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database("postgresql", tmp_path_factory.mktemp("db")) as url:
        migrate(url)
        yield url


@pytest.fixture(scope="module")
def pair(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    logs = tmp_path_factory.mktemp("logs")
    env = {
        "EXCHANGE_REDIS_URL": REDIS_URL,
        "EXCHANGE_REDIS_PREFIX": f"test-{uuid.uuid4().hex[:8]}",
        "EXCHANGE_STAFF_SOCKET_CHECK_SECONDS": "600",
    }
    a = ServerProcess(database_url, log_path=logs / "a.log", env=env)
    b = ServerProcess(database_url, log_path=logs / "b.log", env=env)
    a.start()
    b.start()
    yield a, b
    a.stop()
    b.stop()


@pytest.fixture
def crew(pair: tuple[ServerProcess, ServerProcess]) -> Iterator[Crew]:
    made = Crew.make(pair[0])
    yield made
    made.close()


async def test_logging_out_on_one_instance_closes_the_console_on_the_other(pair, crew: Crew) -> None:  # noqa: ANN001
    a, b = pair
    elsewhere = crew.browser(a)
    elsewhere.login(crew.facilitator_email)
    console_b = await LiveClient(b.ws_url, crew.exchange_id, crew.cookie(crew.facilitator)).connect()
    other_b = await LiveClient(b.ws_url, crew.exchange_id, crew.cookie(elsewhere)).connect()
    assert crew.facilitator.post("/logout").status_code == 303  # on instance a
    await closed_with_1008(console_b)
    await still_open(other_b)  # the same person's other login
    await other_b.close()


async def test_log_out_everywhere_and_password_change_close_consoles_on_every_instance(pair, crew: Crew) -> None:  # noqa: ANN001
    a, b = pair
    consoles = [
        await LiveClient(server.ws_url, crew.exchange_id, crew.cookie(crew.facilitator)).connect() for server in pair
    ]
    lead_b = await LiveClient(b.ws_url, crew.exchange_id, crew.cookie(crew.lead)).connect()
    assert crew.facilitator.post("/account/logout-everywhere").status_code == 303
    for console in consoles:
        await closed_with_1008(console)

    lead = crew.browser(b)
    lead.login(crew.lead_email)
    lead_console_a = await LiveClient(a.ws_url, crew.exchange_id, crew.cookie(lead)).connect()
    form = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    assert lead.post("/account/password", form).status_code == 303  # on instance b
    await closed_with_1008(lead_console_a)
    await closed_with_1008(lead_b)


async def test_removal_from_the_programme_closes_the_console_on_the_other_instance(pair, crew: Crew) -> None:  # noqa: ANN001
    _a, b = pair
    console_b = await LiveClient(b.ws_url, crew.exchange_id, crew.cookie(crew.facilitator)).connect()
    lead_b = await LiveClient(b.ws_url, crew.exchange_id, crew.cookie(crew.lead)).connect()
    assert crew.lead.post(f"/programmes/{crew.programme_id}/members/{crew.facilitator_id}/remove").status_code == 303
    await closed_with_1008(console_b)
    await still_open(lead_b)
    await lead_b.close()
