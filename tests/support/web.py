"""Driving the pages over real HTTP as a browser would: cookies, CSRF tokens, forms."""

from __future__ import annotations

import random
import re

import httpx

from exchange.accounts.models import StaffRole
from exchange.accounts.service import create_user
from exchange.auth import CSRF_COOKIE
from exchange.db import make_engine, session_scope

PASSWORD = "correct horse battery"


def seed_staff(database_url: str, *, email: str, name: str, role: str, password: str = PASSWORD) -> int:
    """Create a staff account straight in the database (what `exchange create-user` does)."""
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as db:
            user = create_user(db, email=email, name=name, role=StaffRole(role), password=password)
            return int(user.id or 0)
    finally:
        engine.dispose()


def client_address() -> str:
    """A client address of its own (198.18.0.0/15, for tests): logins are throttled per address too."""
    return f"198.{random.randint(18, 19)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


class WebClient:
    """One browser: its own cookie jar; forms carry the CSRF token from the cookie like the pages do.

    Each browser comes from an address of its own, which the test server (trusting 127.0.0.1 as its
    proxy) reads from X-Forwarded-For, as it would behind the load balancer.
    """

    def __init__(self, base_url: str, *, address: str | None = None) -> None:
        self.address = address or client_address()
        headers = {"X-Forwarded-For": self.address}
        self.http = httpx.Client(base_url=base_url, follow_redirects=False, timeout=30.0, headers=headers)
        self.http.get("/login")  # any page hands out the CSRF cookie

    def close(self) -> None:
        self.http.close()

    @property
    def csrf(self) -> str:
        return self.http.cookies.get(CSRF_COOKIE) or ""

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        return self.http.get(path, **kwargs)  # type: ignore[arg-type]

    def post(self, path: str, data: dict[str, str] | None = None, *, csrf: bool = True) -> httpx.Response:
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.csrf)
        return self.http.post(path, data=form)

    def login(self, email: str, password: str = PASSWORD) -> httpx.Response:
        response = self.post("/login", {"email": email, "password": password})
        assert response.status_code == 303, response.text
        return response


def created_id(response: httpx.Response, pattern: str) -> int:
    """The id in a redirect such as /exchanges/12."""
    match = re.search(pattern, response.headers.get("location", ""))
    assert match, response.headers.get("location")
    return int(match.group(1))


def invite_links(html: str) -> list[str]:
    """The personal links shown on a facilitator's exchange page."""
    return re.findall(r"<code>(https?://[^<]+/join/[A-Za-z0-9_-]+)</code>", html)


def link_path(link: str) -> str:
    """/join/<token> from a full personal link."""
    return re.sub(r"^https?://[^/]+", "", link)


def claim_link(http: httpx.Client, link: str) -> httpx.Response:
    """Open a personal link and press Continue, as the practitioner does: the link is now this browser's.

    Returns the answer to Continue (a 303 to the practitioner's page when the claim worked).
    """
    page = http.get(link_path(link))
    assert page.status_code == 200, page.text
    assert f'action="{link_path(link)}"' in page.text, "no Continue form on the link's page"
    return http.post(link_path(link), data={"csrf_token": http.cookies.get(CSRF_COOKIE) or ""})
