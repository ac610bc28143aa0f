"""Passwords, staff session tokens, invite tokens, signed cookies and CSRF protection."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from http.cookies import SimpleCookie

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeSerializer
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STAFF_COOKIE = "exchange_staff"
CSRF_COOKIE = "exchange_csrf"
CSRF_FIELD = "csrf_token"
INVITE_TOKEN_BYTES = 32  # 256 bits: unguessable, and only its hash is stored

_hasher = PasswordHasher()
# A real hash to verify against when the email is unknown, so both paths cost the same.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; takes the same time whether or not the user exists."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A fresh random token for a session or an invite link."""
    return secrets.token_urlsafe(INVITE_TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What the database stores instead of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(token: str) -> bool:
    """A cheap shape check before touching the database."""
    return 40 <= len(token) <= 64 and token.isascii() and all(c.isalnum() or c in "-_" for c in token)


class CookieSigner:
    """Signs small cookie payloads with the app secret, each purpose under its own salt."""

    def __init__(self, secret: str) -> None:
        self._secret = secret

    def dumps(self, value: object, *, salt: str) -> str:
        return URLSafeSerializer(self._secret, salt=salt).dumps(value)

    def loads(self, raw: str | None, *, salt: str) -> object | None:
        if not raw:
            return None
        try:
            return URLSafeSerializer(self._secret, salt=salt).loads(raw)
        except BadSignature:
            return None


def participant_cookie_name(exchange_id: int) -> str:
    """Each exchange has its own practitioner cookie, scoped by path to that exchange."""
    return f"exchange_p{exchange_id}"


def participant_cookie_path(exchange_id: int) -> str:
    return f"/e/{exchange_id}"


def csrf_matches(cookie_token: str | None, form_token: str | None) -> bool:
    """Double-submit check: the form echoes the token held in the cookie."""
    return bool(cookie_token and form_token) and hmac.compare_digest(cookie_token, form_token)


CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


class SecurityMiddleware:
    """Gives every HTTP response a strict CSP and a CSRF cookie, and every dynamic one
    `Cache-Control: no-store` (unless it set its own); leaves websockets alone.

    The CSRF token is put in scope["state"]["csrf_token"] so templates can render it.
    """

    def __init__(self, app: ASGIApp, *, secure_cookies: bool) -> None:
        self.app = app
        self.secure = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _cookie_from_scope(scope, CSRF_COOKIE)
        fresh = token is None or not (20 <= len(token) <= 64)
        if fresh:
            token = secrets.token_urlsafe(24)
        scope.setdefault("state", {})["csrf_token"] = token
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("X-Frame-Options", "DENY")
                if not static:
                    # Pages hold stories, names and links: no browser or proxy cache keeps a copy
                    # (nor the back button after a link is withdrawn). Static files stay cacheable.
                    headers.setdefault("Cache-Control", "no-store")
                if fresh:
                    secure = "; Secure" if self.secure else ""
                    headers.append(
                        "Set-Cookie",
                        f"{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{secure}",
                    )
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _cookie_from_scope(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001 - a garbled cookie header is just no cookie
                return None
            morsel = jar.get(name)
            return morsel.value if morsel else None
    return None
