"""Passwords, tokens, signed cookies, CSRF, and the login throttle and sessions of staff accounts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel

import exchange.accounts.models  # noqa: F401 - registers tables
import exchange.programmes.models  # noqa: F401
import exchange.sessions.models  # noqa: F401
from exchange.accounts.models import LoginThrottle, StaffRole, StaffSession
from exchange.accounts.service import (
    FREE_FAILURES,
    MAX_LOCK,
    THROTTLE_WINDOW,
    EmailTaken,
    _throttle_key,
    authenticate,
    create_user,
    end_session,
    start_session,
    user_for_session,
)
from exchange.auth import (
    CONTENT_SECURITY_POLICY,
    CSRF_COOKIE,
    CookieSigner,
    SecurityMiddleware,
    csrf_matches,
    hash_password,
    looks_like_token,
    new_token,
    participant_cookie_name,
    participant_cookie_path,
    token_hash,
    verify_password,
)
from exchange.db import make_engine
from exchange.timeutil import utcnow

# --- passwords --------------------------------------------------------------------------------


def test_passwords_are_hashed_with_argon2id_and_a_fresh_salt() -> None:
    first, second = hash_password("correct horse battery"), hash_password("correct horse battery")
    assert first.startswith("$argon2id$")
    assert first != second
    assert "correct horse battery" not in first


def test_verify_password() -> None:
    stored = hash_password("correct horse battery")
    assert verify_password(stored, "correct horse battery") is True
    assert verify_password(stored, "correct horse batter") is False
    assert verify_password(stored, "") is False
    assert verify_password(None, "correct horse battery") is False  # unknown user: never a match
    assert verify_password("not-a-hash", "correct horse battery") is False


# --- tokens -----------------------------------------------------------------------------------


def test_tokens_are_long_url_safe_and_unique() -> None:
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # 32 random bytes = 256 bits
        assert looks_like_token(token)


@pytest.mark.parametrize(
    "token",
    ["", "abc", "a" * 39, "a" * 65, "a" * 42 + "/", "a" * 42 + "=", "a" * 42 + " ", "é" * 43, "../" * 15],
)
def test_malformed_tokens_are_recognised_without_a_database(token: str) -> None:
    assert not looks_like_token(token)


def test_token_hash_is_a_stable_sha256() -> None:
    token = new_token()
    assert token_hash(token) == token_hash(token)
    assert re.fullmatch(r"[0-9a-f]{64}", token_hash(token))
    assert token_hash(token) != token_hash(new_token())
    assert token not in token_hash(token)


# --- signed cookies and CSRF ------------------------------------------------------------------


def test_cookie_signer_round_trips_and_refuses_tampering() -> None:
    signer = CookieSigner("s" * 48)
    raw = signer.dumps({"p": 12, "v": 3}, salt="participant")
    assert signer.loads(raw, salt="participant") == {"p": 12, "v": 3}

    payload, _, signature = raw.rpartition(".")
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    assert signer.loads(f"{payload}.{flipped}", salt="participant") is None
    forged = CookieSigner("s" * 48).dumps({"p": 13, "v": 3}, salt="participant").rpartition(".")[0]
    assert signer.loads(f"{forged}.{signature}", salt="participant") is None  # payload swapped
    assert signer.loads(raw, salt="staff") is None  # another purpose
    assert CookieSigner("t" * 48).loads(raw, salt="participant") is None  # another secret
    assert signer.loads(None, salt="participant") is None
    assert signer.loads("", salt="participant") is None
    assert signer.loads("garbage", salt="participant") is None


def test_csrf_double_submit() -> None:
    assert csrf_matches("a" * 32, "a" * 32)
    assert not csrf_matches("a" * 32, "b" * 32)
    assert not csrf_matches("a" * 32, None)
    assert not csrf_matches(None, "a" * 32)
    assert not csrf_matches("", "")
    assert not csrf_matches(None, None)


def test_participant_cookies_are_per_exchange() -> None:
    assert participant_cookie_name(7) != participant_cookie_name(8)
    assert participant_cookie_path(7) == "/e/7"


def test_the_content_security_policy_allows_no_inline_code() -> None:
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


async def _through_middleware(
    cookie: str | None, path: str = "/", own: list[tuple[bytes, bytes]] | None = None
) -> tuple[dict[str, object], list[tuple[bytes, bytes]]]:
    """Run one request through SecurityMiddleware; return the scope the app saw and the headers sent."""
    seen: dict[str, object] = {}
    sent: list[dict[str, object]] = []

    async def app(scope, receive, send) -> None:  # noqa: ANN001
        seen.update(scope)
        headers = [(b"content-type", b"text/html"), *(own or [])]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"ok"})

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    headers = [(b"cookie", cookie.encode())] if cookie is not None else []
    scope = {"type": "http", "path": path, "headers": headers}
    await SecurityMiddleware(app, secure_cookies=False)(scope, receive, send)
    return seen, list(sent[0]["headers"])  # type: ignore[arg-type]


async def test_security_middleware_hands_out_a_csrf_cookie_once() -> None:
    scope, headers = await _through_middleware(None)
    token = scope["state"]["csrf_token"]  # type: ignore[index]
    assert len(token) >= 20
    names = [k for k, _ in headers]
    assert b"content-security-policy" in names and b"x-frame-options" in names
    [cookie] = [v.decode() for k, v in headers if k == b"set-cookie"]
    assert cookie.startswith(f"{CSRF_COOKIE}={token};")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie

    scope, headers = await _through_middleware(f"other=1; {CSRF_COOKIE}={token}")
    assert scope["state"]["csrf_token"] == token  # type: ignore[index]
    assert not [v for k, v in headers if k == b"set-cookie"]

    # A token that is too short to be ours, or a garbled header, gets a fresh one.
    for cookie in (f"{CSRF_COOKIE}=short", 'bad"cookie\\header;;=='):
        scope, headers = await _through_middleware(cookie)
        assert scope["state"]["csrf_token"] not in {"short", token}  # type: ignore[index]
        assert [v for k, v in headers if k == b"set-cookie"]


async def test_security_middleware_keeps_dynamic_responses_out_of_caches() -> None:
    for path in ("/", "/join/x", "/e/1", "/exchanges/1/transcript.md", "/staticky"):
        _, headers = await _through_middleware(None, path)
        assert (b"cache-control", b"no-store") in headers, path
    _, headers = await _through_middleware(None, "/static/css/app.css")
    assert b"cache-control" not in [k for k, _ in headers]
    # A response that says how it may be cached keeps its own word.
    _, headers = await _through_middleware(None, "/x", [(b"cache-control", b"private, max-age=60")])
    assert [v for k, v in headers if k == b"cache-control"] == [b"private, max-age=60"]


# --- staff accounts: throttling and sessions (service logic on an in-memory database) --------


@pytest.fixture
def engine() -> Iterator[Engine]:
    engine = make_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


PASSWORD = "correct horse battery"


@pytest.fixture
def user_email(db: Session) -> str:
    create_user(db, email="  Grace@Example.org ", name=" Grace ", role=StaffRole.FACILITATOR, password=PASSWORD)
    db.commit()
    return "grace@example.org"


def test_create_user_normalises_and_refuses_duplicates(db: Session, user_email: str) -> None:
    result = authenticate(db, email="GRACE@example.org", password=PASSWORD)
    assert result.user is not None
    assert (result.user.email, result.user.name, result.user.role) == (user_email, "Grace", StaffRole.FACILITATOR)
    with pytest.raises(EmailTaken):
        create_user(db, email="grace@EXAMPLE.org", name="Other", role=StaffRole.LEAD, password=PASSWORD)


def test_failures_lock_an_email_for_a_growing_while(db: Session, user_email: str) -> None:
    now = utcnow()
    for i in range(FREE_FAILURES):
        result = authenticate(db, email=user_email, password="guess", now=now + timedelta(seconds=i))
        assert result.user is None and result.retry_after is None
    last = now + timedelta(seconds=FREE_FAILURES - 1)

    locked = authenticate(db, email=user_email, password=PASSWORD, now=last + timedelta(seconds=1))
    assert locked.user is None  # even the right password, while locked
    assert locked.retry_after == timedelta(seconds=1)
    assert db.get(LoginThrottle, _throttle_key(user_email)).failures == FREE_FAILURES  # a lock adds nothing

    # Once the 2 s lock passes, one more failure locks for 4 s, then 8 s.
    after = last + timedelta(seconds=2)
    assert authenticate(db, email=user_email, password="guess", now=after).retry_after is None
    assert authenticate(db, email=user_email, password=PASSWORD, now=after + timedelta(seconds=3)).retry_after
    after += timedelta(seconds=4)
    assert authenticate(db, email=user_email, password="guess", now=after).retry_after is None
    assert authenticate(db, email=user_email, password=PASSWORD, now=after + timedelta(seconds=7)).retry_after

    ok = authenticate(db, email=user_email, password=PASSWORD, now=after + timedelta(seconds=8))
    assert ok.user is not None
    db.flush()
    assert db.get(LoginThrottle, _throttle_key(user_email)) is None  # success clears the record


def test_the_lock_never_exceeds_its_maximum(db: Session) -> None:
    key = _throttle_key("many@example.org")
    now = utcnow()
    db.add(LoginThrottle(key=key, failures=60, last_failure_at=now))
    db.flush()
    result = authenticate(db, email="many@example.org", password="x", now=now)
    assert result.retry_after == MAX_LOCK


def test_failures_are_forgotten_after_the_window(db: Session, user_email: str) -> None:
    start = utcnow()
    for _ in range(FREE_FAILURES):
        authenticate(db, email=user_email, password="guess", now=start)
    later = start + THROTTLE_WINDOW + timedelta(seconds=1)
    assert authenticate(db, email=user_email, password="guess", now=later).retry_after is None
    assert db.get(LoginThrottle, _throttle_key(user_email)).failures == 1


def test_unknown_emails_are_throttled_alike_and_the_key_ignores_case(db: Session) -> None:
    now = utcnow()
    for _ in range(FREE_FAILURES):
        assert authenticate(db, email="Nobody@Example.org", password="guess", now=now).retry_after is None
    assert authenticate(db, email=" nobody@example.ORG ", password="guess", now=now).retry_after is not None
    assert authenticate(db, email="somebody@example.org", password="guess", now=now).retry_after is None


def test_sessions_open_expire_and_end(db: Session, user_email: str) -> None:
    user = authenticate(db, email=user_email, password=PASSWORD).user
    assert user is not None
    token = start_session(db, user=user, days=14)
    db.commit()
    assert looks_like_token(token)
    assert user_for_session(db, token=token).id == user.id
    assert user_for_session(db, token=new_token()) is None

    end_session(db, token=token)
    db.commit()
    assert user_for_session(db, token=token) is None

    stale = start_session(db, user=user, days=1)
    db.commit()
    record = db.get(StaffSession, token_hash(stale))
    assert record is not None and record.token_hash != stale  # only the hash is stored
    record.expires_at = utcnow() - timedelta(seconds=1)
    db.add(record)
    db.commit()
    assert user_for_session(db, token=stale) is None
