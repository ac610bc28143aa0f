"""Schemathesis over the app's OpenAPI schema, against a real server: no generated request gets a 500.

The app doesn't serve /openapi.json (no need to publish it); the schema is built from the same
routes in-process (`app.openapi()`). Pages that read their form themselves have no body in it:
schemathesis sends them what it sends (with this browser's CSRF token, so the form is read). Each
operation is tried anonymously and with a staff session. PostgreSQL: where an id too large for its
column makes the driver raise.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from exchange.app import create_app
from exchange.auth import CSRF_COOKIE, CSRF_FIELD, STAFF_COOKIE
from exchange.settings import Settings
from tests.support.databases import fresh_database, migrate
from tests.support.scenario import Setup, scheduled_exchange
from tests.support.servers import ServerProcess
from tests.support.web import WebClient, seed_staff

EXAMPLES = int(os.environ.get("EXCHANGE_SCHEMA_EXAMPLES", "15"))
#: Status classes seen (2, 3, 4), per who: proof the requests got somewhere, not only to refusals.
SEEN: dict[str, set[int]] = {"anonymous": set(), "staff": set()}
FORM = "application/x-www-form-urlencoded"

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::ResourceWarning")


@pytest.fixture(scope="module", params=["postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(request.param, tmp_path_factory.mktemp("db")) as url:
        migrate(url)
        yield url


@pytest.fixture(scope="module")
def staff_cookies(server: ServerProcess) -> Iterator[dict[str, str]]:
    setup = scheduled_exchange(server, practitioners=1)  # ids 1 exist: some requests reach real objects
    try:
        yield {cookie.name: cookie.value or "" for cookie in setup.facilitator.http.cookies.jar}
    finally:
        setup.close()


def own_session(server: ServerProcess, cookies: dict[str, str]) -> dict[str, str]:
    """A staff session of its own, for a request that may end it (log out)."""
    email = f"schema-{uuid.uuid4().hex[:10]}@example.org"
    seed_staff(server.database_url, email=email, name="Schema", role="facilitator")
    client = WebClient(server.url)
    try:
        client.login(email)
        return {**cookies, STAFF_COOKIE: client.http.cookies.get(STAFF_COOKIE) or ""}
    finally:
        client.close()


def operations() -> list[schemathesis.APIOperation]:
    raw = create_app(Settings(secret_key="schema-only-" + "x" * 40)).openapi()
    schema = schemathesis.openapi.from_dict(raw)
    return [result.ok() for result in schema.get_all_operations()]


OPERATIONS = operations()


def test_the_schema_covers_the_routes() -> None:
    assert len(OPERATIONS) >= 30


@pytest.mark.parametrize("who", ["anonymous", "staff"])
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_no_generated_request_is_a_server_error(
    server: ServerProcess, staff_cookies: dict[str, str], operation: schemathesis.APIOperation, who: str
) -> None:
    cookies = dict(staff_cookies) if who == "staff" else {CSRF_COOKIE: "a-csrf-token-of-this-browser-0123"}

    @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(case=operation.as_strategy(), echo_csrf=st.booleans())
    def probe(case: schemathesis.Case, echo_csrf: bool) -> None:
        if case.method.upper() == "POST" and echo_csrf:
            if isinstance(case.body, dict):
                case.body = {**case.body, CSRF_FIELD: cookies[CSRF_COOKIE]}
            elif case.media_type in (None, FORM):
                case.body, case.media_type = {CSRF_FIELD: cookies[CSRF_COOKIE]}, FORM
        ends_session = who == "staff" and operation.path == "/logout"
        sent = own_session(server, cookies) if ends_session else cookies
        response = case.call(base_url=server.url, cookies=sent, allow_redirects=False, timeout=20)
        assert response.status_code < 500, f"{response.status_code} for {case.as_curl_command()}"
        SEEN[who].add(response.status_code // 100)

    probe()


def test_requests_got_through(server: ServerProcess) -> None:
    assert SEEN == {"anonymous": {2, 3, 4}, "staff": {2, 3, 4}}, SEEN


def test_no_traceback_in_the_server_log(server: ServerProcess, staff_cookies: dict[str, str]) -> None:
    log = Path(server.log_path).read_text(errors="replace")
    assert "Traceback" not in log, log[-5000:]
