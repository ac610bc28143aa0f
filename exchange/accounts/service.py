"""Staff accounts: creation, password login with throttling, and server-side sessions."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, select

from exchange.accounts.models import LoginThrottle, StaffRole, StaffSession, StaffUser
from exchange.auth import hash_password, new_token, token_hash, verify_password
from exchange.cleantext import clean_line
from exchange.timeutil import utcnow

FREE_FAILURES = 5
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_LOCK = timedelta(minutes=5)


class EmailTaken(ValueError):
    """Another staff account already uses this email."""


def normalise_email(email: str) -> str:
    """An email as stored and looked up: cleaned (a NUL in a login form made PostgreSQL raise), stripped, lower case."""
    return clean_line(email).strip().lower()


def create_user(db: Session, *, email: str, name: str, role: StaffRole, password: str) -> StaffUser:
    """Create a staff account; raises EmailTaken if the email is in use."""
    email = normalise_email(email)
    if db.exec(select(StaffUser).where(StaffUser.email == email)).first():
        raise EmailTaken(email)
    user = StaffUser(email=email, name=name.strip(), role=role, password_hash=hash_password(password))
    db.add(user)
    db.flush()
    return user


def get_user_by_email(db: Session, *, email: str) -> StaffUser | None:
    return db.exec(select(StaffUser).where(StaffUser.email == normalise_email(email))).first()


@dataclass(frozen=True)
class LoginResult:
    user: StaffUser | None
    retry_after: timedelta | None = None  # set when the email is locked by repeated failures


def _throttle_key(email: str) -> str:
    return hashlib.sha256(normalise_email(email).encode()).hexdigest()


def _lock_remaining(throttle: LoginThrottle | None, now: datetime) -> timedelta | None:
    if throttle is None or throttle.failures < FREE_FAILURES:
        return None
    # The exponent is capped: a slow, patient guesser would otherwise overflow timedelta.
    lock = min(timedelta(seconds=2 ** min(throttle.failures - FREE_FAILURES + 1, 20)), MAX_LOCK)
    remaining = throttle.last_failure_at + lock - now
    return remaining if remaining > timedelta(0) else None


def authenticate(db: Session, *, email: str, password: str, now: datetime | None = None) -> LoginResult:
    """Check a password; after a few failures an email is locked for a growing while.

    The lock applies to any email string, known or not, so it reveals nothing about accounts.
    """
    now = now or utcnow()
    key = _throttle_key(email)
    throttle = db.get(LoginThrottle, key)
    if throttle and now - throttle.last_failure_at > THROTTLE_WINDOW:
        throttle.failures = 0
    if (remaining := _lock_remaining(throttle, now)) is not None:
        return LoginResult(user=None, retry_after=remaining)
    user = get_user_by_email(db, email=email)
    if verify_password(user.password_hash if user else None, password) and user is not None:
        if throttle:
            db.delete(throttle)
        return LoginResult(user=user)
    throttle = throttle or LoginThrottle(key=key)
    throttle.failures += 1
    throttle.last_failure_at = now
    db.add(throttle)
    return LoginResult(user=None)


def start_session(db: Session, *, user: StaffUser, days: int) -> str:
    """Open a login session and return the token for the cookie."""
    token = new_token()
    assert user.id is not None
    db.add(StaffSession(token_hash=token_hash(token), user_id=user.id, expires_at=utcnow() + timedelta(days=days)))
    return token


def user_for_session(db: Session, *, token: str) -> StaffUser | None:
    """The staff user behind a session token, if the session is alive."""
    session = db.get(StaffSession, token_hash(token))
    if session is None or session.expires_at <= utcnow():
        return None
    return db.get(StaffUser, session.user_id)


def end_session(db: Session, *, token: str) -> None:
    """Log out: the token stops working everywhere at once."""
    db.exec(delete(StaffSession).where(col(StaffSession.token_hash) == token_hash(token)))
