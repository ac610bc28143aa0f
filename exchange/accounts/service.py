"""Staff accounts: creation, password login with throttling, server-side sessions and their timeouts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import Session, col, func, select

from exchange.accounts import throttle
from exchange.accounts.models import StaffRole, StaffSession, StaffUser
from exchange.accounts.passwords import password_problem
from exchange.auth import hash_password, new_token, token_hash, verify_password
from exchange.cleantext import clean_line
from exchange.timeutil import utcnow

#: A session's last use is written at most this often (or a quarter of the idle timeout if shorter),
#: so a busy facilitator doesn't cost a write per request.
TOUCH_EVERY = timedelta(minutes=1)


class EmailTaken(ValueError):
    """Another staff account already uses this email."""


class WeakPassword(ValueError):
    """The new password breaks a rule; `str(exc)` says which, for the person."""


def normalise_email(email: str) -> str:
    """An email as stored and looked up: cleaned (a NUL in a login form made PostgreSQL raise), stripped, lower case."""
    return clean_line(email).strip().lower()


def create_user(db: Session, *, email: str, name: str, role: StaffRole, password: str) -> StaffUser:
    """Create a staff account; raises EmailTaken if the email is in use, WeakPassword for a bad password."""
    email = normalise_email(email)
    if (problem := password_problem(password, email=email, name=name)) is not None:
        raise WeakPassword(problem)
    if db.exec(select(StaffUser).where(StaffUser.email == email)).first():
        raise EmailTaken(email)
    user = StaffUser(email=email, name=name.strip(), role=role, password_hash=hash_password(password))
    db.add(user)
    db.flush()
    return user


def get_user_by_email(db: Session, *, email: str) -> StaffUser | None:
    return db.exec(select(StaffUser).where(StaffUser.email == normalise_email(email))).first()


# --- logging in -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginResult:
    user: StaffUser | None
    retry_after: timedelta | None = None  # set when too many recent failures hold this attempt back
    #: The account the email named, when the password was wrong or the attempt held back (for the
    #: security log; never shown to the person trying).
    named_user_id: int | None = None


def authenticate(
    db: Session, *, email: str, password: str, address: str, now: datetime | None = None
) -> LoginResult:
    """Check a password, throttled per account and per client address (see accounts/throttle.py).

    The attempt is counted (and committed) before the password is checked; any email string is
    throttled alike, known or not, so the answers reveal nothing about accounts.
    """
    now = now or utcnow()
    refusal = throttle.reserve(db, email=email, address=address, now=now)
    user = get_user_by_email(db, email=email)
    named = user.id if user is not None else None
    if refusal is not None:
        return LoginResult(user=None, retry_after=refusal.retry_after, named_user_id=named)
    if verify_password(user.password_hash if user else None, password) and user is not None:
        throttle.forgive(db, email=email, address=address)
        return LoginResult(user=user)
    return LoginResult(user=None, named_user_id=named)


def check_password(user: StaffUser, password: str) -> bool:
    """Whether this is the user's password (unthrottled: callers throttle, see authenticate)."""
    return verify_password(user.password_hash, password)


def set_password(db: Session, *, user: StaffUser, password: str) -> None:
    """Give the user a new password; raises WeakPassword. Callers end the user's sessions."""
    if (problem := password_problem(password, email=user.email, name=user.name)) is not None:
        raise WeakPassword(problem)
    user.password_hash = hash_password(password)
    db.add(user)


# --- sessions ---------------------------------------------------------------------------------


def start_session(db: Session, *, user: StaffUser, days: int, now: datetime | None = None) -> str:
    """Open a login session and return the token for the cookie."""
    now = now or utcnow()
    token = new_token()
    assert user.id is not None
    db.add(
        StaffSession(
            token_hash=token_hash(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(days=days),
        )
    )
    return token


@dataclass(frozen=True)
class Login:
    """A live session and its user; `touched` when its last use was just written (caller commits)."""

    user: StaffUser
    session: StaffSession
    touched: bool


def touch_interval(idle: timedelta) -> timedelta:
    return min(TOUCH_EVERY, idle / 4)


def is_alive(session: StaffSession, *, idle: timedelta, now: datetime) -> bool:
    """Neither past its absolute end nor unused for the idle timeout."""
    return session.expires_at > now and session.last_seen_at + idle > now


def login_for(db: Session, *, token: str, idle: timedelta, now: datetime | None = None) -> Login | None:
    """The live session behind a cookie's token, its last use refreshed (at most about once a minute)."""
    now = now or utcnow()
    session = db.get(StaffSession, token_hash(token))
    if session is None or not is_alive(session, idle=idle, now=now):
        return None
    user = db.get(StaffUser, session.user_id)
    if user is None:
        return None
    touched = now - session.last_seen_at >= touch_interval(idle)
    if touched:
        db.execute(
            update(StaffSession)
            .where(col(StaffSession.token_hash) == session.token_hash)
            .values(last_seen_at=now)
        )
        session.last_seen_at = now
    return Login(user=user, session=session, touched=touched)


def end_session(db: Session, *, token: str) -> StaffSession | None:
    """Log out: the token stops working everywhere at once. Returns the ended session, if there was one."""
    session = db.get(StaffSession, token_hash(token))
    if session is not None:
        db.delete(session)
        db.flush()
    return session


def end_all_sessions(db: Session, *, user_id: int) -> list[str]:
    """Log out everywhere: every session of the user ends. Returns their hashes."""
    hashes = list(db.exec(select(StaffSession.token_hash).where(StaffSession.user_id == user_id)))
    db.execute(delete(StaffSession).where(col(StaffSession.user_id) == user_id))
    return [str(h) for h in hashes]


def session_count(db: Session, *, user_id: int, idle: timedelta, now: datetime | None = None) -> int:
    """How many live sessions (browsers, devices) the user has."""
    now = now or utcnow()
    query = select(func.count()).where(
        StaffSession.user_id == user_id,
        col(StaffSession.expires_at) > now,
        col(StaffSession.last_seen_at) > now - idle,
    )
    return int(db.exec(query).one())


def forget_dead_sessions(db: Session, *, idle: timedelta, now: datetime | None = None) -> int:
    """Delete sessions past either timeout (housekeeping); returns how many."""
    now = now or utcnow()
    result = db.execute(
        delete(StaffSession).where(
            (col(StaffSession.expires_at) <= now) | (col(StaffSession.last_seen_at) <= now - idle)
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
