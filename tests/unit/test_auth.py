"""Passwords, tokens, signed cookies, CSRF, and the login throttle and sessions of staff accounts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, select

import exchange.accounts.models  # noqa: F401 - registers tables
import exchange.programmes.models  # noqa: F401
import exchange.sessions.models  # noqa: F401
from exchange.accounts.models import LoginThrottle, StaffRole, StaffSession
from exchange.accounts.service import (
    EmailTaken,
    WeakPassword,
    authenticate,
    create_user,
    end_all_sessions,
    end_session,
    forget_dead_sessions,
    login_for,
    session_count,
    start_session,
)
from exchange.accounts.throttle import (
    ACCOUNT_FREE,
    ADDRESS_FREE,
    MAX_WAIT,
    TRUSTED_BELOW,
    WINDOW,
    account_key,
    address_key,
    wait_after,
)
from exchange.auth import (
    CONTENT_SECURITY_POLICY,
    CSRF_COOKIE,
    PERMISSIONS_POLICY,
    CookieSigner,
    SecurityMiddleware,
    csrf_cookie_name,
    csrf_matches,
    rotate_csrf,
    staff_cookie_name,
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
    cookie: str | None,
    path: str = "/",
    own: list[tuple[bytes, bytes]] | None = None,
    *,
    https: bool = False,
    rotate: bool = False,
) -> tuple[dict[str, object], list[tuple[bytes, bytes]]]:
    """Run one request through SecurityMiddleware; return the scope the app saw and the headers sent."""
    seen: dict[str, object] = {}
    sent: list[dict[str, object]] = []

    async def app(scope, receive, send) -> None:  # noqa: ANN001
        if rotate:
            rotate_csrf(scope)
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
    await SecurityMiddleware(app, https=https)(scope, receive, send)
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


async def test_over_https_cookies_are_host_prefixed_and_hsts_is_sent() -> None:
    assert staff_cookie_name(True) == "__Host-exchange_staff" and csrf_cookie_name(True) == "__Host-exchange_csrf"
    assert staff_cookie_name(False) == "exchange_staff" and csrf_cookie_name(False) == CSRF_COOKIE
    scope, headers = await _through_middleware(None, https=True)
    [cookie] = [v.decode() for k, v in headers if k == b"set-cookie"]
    assert cookie.startswith(f"__Host-exchange_csrf={scope['state']['csrf_token']};")  # type: ignore[index]
    assert "; Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
    assert (b"strict-transport-security", b"max-age=31536000; includeSubDomains") in headers
    # The prefixed cookie is the one read back; an unprefixed one is not this site's over HTTPS.
    token = scope["state"]["csrf_token"]  # type: ignore[index]
    scope, headers = await _through_middleware(f"__Host-exchange_csrf={token}", https=True)
    assert scope["state"]["csrf_token"] == token and not [v for k, v in headers if k == b"set-cookie"]  # type: ignore[index]

    _, headers = await _through_middleware(None)
    assert b"strict-transport-security" not in [k for k, _ in headers]  # plain HTTP: HSTS would be ignored


async def test_every_response_has_a_permissions_policy_denying_powerful_features() -> None:
    for path in ("/", "/static/css/app.css"):
        _, headers = await _through_middleware(None, path)
        assert (b"permissions-policy", PERMISSIONS_POLICY.encode()) in headers
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in PERMISSIONS_POLICY


async def test_a_rotated_csrf_token_goes_out_as_a_new_cookie() -> None:
    old = "o" * 32
    scope, headers = await _through_middleware(f"{CSRF_COOKIE}={old}", rotate=True)
    new = scope["state"]["csrf_token"]  # type: ignore[index]
    assert new != old and len(new) >= 20
    assert [v.decode().split(";")[0] for k, v in headers if k == b"set-cookie"] == [f"{CSRF_COOKIE}={new}"]


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
HOME = "198.51.100.7"  # the owner's address
ATTACKER = "203.0.113.66"
IDLE = timedelta(minutes=120)


@pytest.fixture
def user_email(db: Session) -> str:
    create_user(db, email="  Grace@Example.org ", name=" Grace ", role=StaffRole.FACILITATOR, password=PASSWORD)
    db.commit()
    return "grace@example.org"


def _try(db: Session, email: str, password: str, at: object, address: str = ATTACKER):  # noqa: ANN202
    return authenticate(db, email=email, password=password, address=address, now=at)  # type: ignore[arg-type]


def test_create_user_normalises_and_refuses_duplicates(db: Session, user_email: str) -> None:
    result = authenticate(db, email="GRACE@example.org", password=PASSWORD, address=HOME)
    assert result.user is not None
    assert (result.user.email, result.user.name, result.user.role) == (user_email, "Grace", StaffRole.FACILITATOR)
    with pytest.raises(EmailTaken):
        create_user(db, email="grace@EXAMPLE.org", name="Other", role=StaffRole.LEAD, password=PASSWORD)


@pytest.mark.parametrize("password", ["short pass", "a" * 12, "password1234", "gracegrace11"])
def test_create_user_refuses_weak_passwords(db: Session, password: str) -> None:
    with pytest.raises(WeakPassword):
        create_user(db, email="grace@example.org", name="Grace", role=StaffRole.LEAD, password=password)


def test_failures_wait_for_a_growing_while(db: Session, user_email: str) -> None:
    now = utcnow()
    for i in range(ACCOUNT_FREE):
        result = _try(db, user_email, "guess", now + timedelta(seconds=i))
        assert result.user is None and result.retry_after is None
        assert result.named_user_id is not None  # for the security log, never for the page
    last = now + timedelta(seconds=ACCOUNT_FREE - 1)

    held = _try(db, user_email, PASSWORD, last + timedelta(seconds=1))
    assert held.user is None  # even the right password, from the address that was failing
    assert held.retry_after == timedelta(seconds=1)
    assert db.get(LoginThrottle, account_key(user_email)).failures == ACCOUNT_FREE  # a refusal adds nothing

    # Once the 2 s wait passes, one more failure means 4 s, then 8 s.
    after = last + timedelta(seconds=2)
    assert _try(db, user_email, "guess", after).retry_after is None
    assert _try(db, user_email, PASSWORD, after + timedelta(seconds=3)).retry_after
    after += timedelta(seconds=4)
    assert _try(db, user_email, "guess", after).retry_after is None
    assert _try(db, user_email, PASSWORD, after + timedelta(seconds=7)).retry_after

    ok = _try(db, user_email, PASSWORD, after + timedelta(seconds=8))
    assert ok.user is not None
    db.commit()
    # The right password takes its own attempt back, but lifts no wait an attack caused.
    assert db.get(LoginThrottle, account_key(user_email)).failures == ACCOUNT_FREE + 2


def test_the_owner_gets_in_from_an_address_that_has_not_been_failing(db: Session, user_email: str) -> None:
    now = utcnow()
    db.add(LoginThrottle(key=account_key(user_email), failures=500, last_failure_at=now))
    db.add(LoginThrottle(key=address_key(ATTACKER), failures=500, last_failure_at=now))
    db.commit()
    assert _try(db, user_email, PASSWORD, now).retry_after == MAX_WAIT  # the attacker's address waits
    assert _try(db, user_email, PASSWORD, now, HOME).user is not None  # the owner does not
    db.commit()
    # An address that starts failing against an account under attack waits like the attacker.
    for _ in range(TRUSTED_BELOW):
        assert _try(db, user_email, "typo", now, HOME).retry_after is None
    assert _try(db, user_email, PASSWORD, now, HOME).retry_after == MAX_WAIT


def test_an_address_waits_after_failing_across_many_accounts(db: Session) -> None:
    now = utcnow()
    for i in range(ADDRESS_FREE):
        assert _try(db, f"user{i}@example.org", "guess", now).retry_after is None
    held = _try(db, "fresh@example.org", "guess", now)
    assert held.retry_after == timedelta(seconds=2)
    assert _try(db, "fresh@example.org", "guess", now, HOME).retry_after is None  # other addresses are not held


def test_the_wait_never_exceeds_its_maximum() -> None:
    assert wait_after(ACCOUNT_FREE - 1, ACCOUNT_FREE) == timedelta(0)
    assert wait_after(ACCOUNT_FREE, ACCOUNT_FREE) == timedelta(seconds=2)
    assert wait_after(10**6, ACCOUNT_FREE) == MAX_WAIT


def test_failures_are_forgotten_after_the_window(db: Session, user_email: str) -> None:
    start = utcnow()
    for _ in range(ACCOUNT_FREE):
        _try(db, user_email, "guess", start)
    later = start + WINDOW + timedelta(seconds=1)
    assert _try(db, user_email, "guess", later).retry_after is None
    assert db.get(LoginThrottle, account_key(user_email)).failures == 1


def test_unknown_emails_are_throttled_alike_and_the_key_ignores_case(db: Session) -> None:
    now = utcnow()
    for _ in range(ACCOUNT_FREE):
        assert _try(db, "Nobody@Example.org", "guess", now).retry_after is None
    assert _try(db, " nobody@example.ORG ", "guess", now).retry_after is not None
    assert _try(db, "somebody@example.org", "guess", now).retry_after is None


def test_a_right_password_forgives_the_owners_own_typos(db: Session, user_email: str) -> None:
    now = utcnow()
    for _ in range(ACCOUNT_FREE - 1):
        _try(db, user_email, "typo", now, HOME)
    assert _try(db, user_email, PASSWORD, now, HOME).user is not None
    db.commit()
    assert db.get(LoginThrottle, account_key(user_email)) is None
    assert db.get(LoginThrottle, address_key(HOME)).failures == ACCOUNT_FREE - 1  # the address keeps its count
    # Neither table holds an email or an address, only hashes.
    assert all(user_email not in row.key and HOME not in row.key for row in db.exec(select(LoginThrottle)))


def test_sessions_open_expire_and_end(db: Session, user_email: str) -> None:
    user = authenticate(db, email=user_email, password=PASSWORD, address=HOME).user
    assert user is not None
    token = start_session(db, user=user, days=14)
    db.commit()
    assert looks_like_token(token)
    assert login_for(db, token=token, idle=IDLE).user.id == user.id  # type: ignore[union-attr]
    assert login_for(db, token=new_token(), idle=IDLE) is None

    ended = end_session(db, token=token)
    db.commit()
    assert ended is not None and ended.user_id == user.id
    assert login_for(db, token=token, idle=IDLE) is None

    stale = start_session(db, user=user, days=1)
    db.commit()
    record = db.get(StaffSession, token_hash(stale))
    assert record is not None and record.token_hash != stale  # only the hash is stored
    record.expires_at = utcnow() - timedelta(seconds=1)
    db.add(record)
    db.commit()
    assert login_for(db, token=stale, idle=IDLE) is None


def test_an_unused_session_ends_after_the_idle_timeout_and_use_is_written_sparingly(
    db: Session, user_email: str
) -> None:
    user = authenticate(db, email=user_email, password=PASSWORD, address=HOME).user
    assert user is not None
    start = utcnow()
    token = start_session(db, user=user, days=14, now=start)
    db.commit()
    soon = login_for(db, token=token, idle=IDLE, now=start + timedelta(seconds=30))
    assert soon is not None and not soon.touched  # within a minute: no write
    later = login_for(db, token=token, idle=IDLE, now=start + timedelta(minutes=100))
    assert later is not None and later.touched
    db.commit()
    # Used at 100 min, so alive at 200 min (120 idle from the last use), over at 221.
    assert login_for(db, token=token, idle=IDLE, now=start + timedelta(minutes=200)) is not None
    db.commit()
    assert login_for(db, token=token, idle=IDLE, now=start + timedelta(minutes=200 + 121)) is None
    assert forget_dead_sessions(db, idle=IDLE, now=start + timedelta(minutes=400)) == 1


def test_logging_out_everywhere_ends_every_session_of_the_user(db: Session, user_email: str) -> None:
    user = authenticate(db, email=user_email, password=PASSWORD, address=HOME).user
    other = create_user(db, email="ada@example.org", name="Ada", role=StaffRole.LEAD, password=PASSWORD)
    assert user is not None and user.id is not None
    tokens = [start_session(db, user=user, days=14) for _ in range(3)]
    theirs = start_session(db, user=other, days=14)
    db.commit()
    assert session_count(db, user_id=user.id, idle=IDLE) == 3
    assert sorted(end_all_sessions(db, user_id=user.id)) == sorted(token_hash(t) for t in tokens)
    db.commit()
    assert all(login_for(db, token=t, idle=IDLE) is None for t in tokens)
    assert login_for(db, token=theirs, idle=IDLE) is not None  # nobody else's


def test_a_masked_csrf_token_matches_and_differs_each_time() -> None:
    from exchange.auth import mask_csrf

    token = "t" * 32
    first, second = mask_csrf(token), mask_csrf(token)
    assert first != second and token not in first  # nothing repeats across pages for BREACH to find
    assert csrf_matches(token, first) and csrf_matches(token, second)
    assert not csrf_matches("u" * 32, first)
    assert not csrf_matches(token, "bogus.value") and not csrf_matches(token, "." * 300)
