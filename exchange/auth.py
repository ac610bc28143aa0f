"""Passwords, staff session tokens, invite tokens, signed cookies and CSRF protection."""

from __future__ import annotations

import base64
import binascii
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
#: Over HTTPS the staff and CSRF cookies carry this prefix: the browser then keeps them only if they
#: are Secure, for Path=/ and without a Domain, so no other site or subdomain can plant or shadow them.
HOST_PREFIX = "__Host-"
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


def staff_cookie_name(https: bool) -> str:
    """The staff session cookie's name: `__Host-` prefixed when the site is served over HTTPS."""
    return HOST_PREFIX + STAFF_COOKIE if https else STAFF_COOKIE


def csrf_cookie_name(https: bool) -> str:
    """The CSRF cookie's name: `__Host-` prefixed when the site is served over HTTPS."""
    return HOST_PREFIX + CSRF_COOKIE if https else CSRF_COOKIE


def participant_cookie_name(exchange_id: int) -> str:
    """Each exchange has its own practitioner cookie, scoped by path to that exchange."""
    return f"exchange_p{exchange_id}"


def participant_cookie_path(exchange_id: int) -> str:
    return f"/e/{exchange_id}"


def csrf_matches(cookie_token: str | None, form_token: str | None) -> bool:
    """Double-submit check: the form echoes the token held in the cookie (as is, or masked)."""
    if not (cookie_token and form_token):
        return False
    if len(form_token) != len(cookie_token):
        form_token = unmask_csrf(form_token) or ""
    return hmac.compare_digest(cookie_token.encode(), form_token.encode())


#: Pages are compressed (gzip): a secret repeated byte for byte in every page could be guessed from
#: compressed sizes by someone who can also put text in the page (BREACH). So pages never hold the
#: CSRF token as it is: each rendering holds it XORed with fresh random bytes, the bytes in front.
MASK_SEPARATOR = "."


def mask_csrf(token: str) -> str:
    raw = token.encode()
    pad = secrets.token_bytes(len(raw))
    masked = bytes(a ^ b for a, b in zip(raw, pad, strict=True))
    return base64.urlsafe_b64encode(pad).decode() + MASK_SEPARATOR + base64.urlsafe_b64encode(masked).decode()


def unmask_csrf(value: str) -> str | None:
    pad_text, sep, masked_text = value.partition(MASK_SEPARATOR)
    if not sep or len(value) > 256:
        return None
    try:
        pad = base64.urlsafe_b64decode(pad_text.encode())
        masked = base64.urlsafe_b64decode(masked_text.encode())
    except (ValueError, binascii.Error):
        return None
    if len(pad) != len(masked):
        return None
    try:
        return bytes(a ^ b for a, b in zip(masked, pad, strict=True)).decode()
    except UnicodeDecodeError:
        return None


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

#: Powerful browser features no page of ours uses: nothing on our origin (nor anything it might
#: frame) may ask for them.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "bluetooth",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)
#: Over HTTPS: browsers use only HTTPS for this host for a year (no preload: that is the operator's call).
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def rotate_csrf(scope: Scope) -> None:
    """Give this browser a new CSRF token with the response (at login and logout), so a token seen
    before (planted or read while signed out) is worth nothing after."""
    state = scope.setdefault("state", {})
    state["csrf_token"] = new_csrf_token()
    state["csrf_rotated"] = True


class SecurityMiddleware:
    """Gives every HTTP response a strict CSP, a Permissions-Policy, HSTS over HTTPS and a CSRF
    cookie, and every dynamic one `Cache-Control: no-store` (unless it set its own); leaves websockets
    alone.

    The CSRF token is put in scope["state"]["csrf_token"] so templates can render it; a handler that
    calls `rotate_csrf` gets a new one, sent as a new cookie.
    """

    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.https = https
        self.csrf_cookie = csrf_cookie_name(https)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _cookie_from_scope(scope, self.csrf_cookie)
        fresh = token is None or not (20 <= len(token) <= 64)
        if fresh:
            token = new_csrf_token()
        state = scope.setdefault("state", {})
        state["csrf_token"] = token
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
                if self.https:
                    headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
                if not static:
                    # Pages hold stories, names and links: no browser or proxy cache keeps a copy
                    # (nor the back button after a link is withdrawn). Static files stay cacheable.
                    headers.setdefault("Cache-Control", "no-store")
                if fresh or state.get("csrf_rotated"):
                    secure = "; Secure" if self.https else ""
                    headers.append(
                        "Set-Cookie",
                        f"{self.csrf_cookie}={state['csrf_token']}; Path=/; HttpOnly; SameSite=Lax{secure}",
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
