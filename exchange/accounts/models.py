"""Staff accounts (facilitators and programme leads) and their login sessions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from exchange.db import UtcDateTime
from exchange.names import STAFF_NAME_MAX
from exchange.timeutil import utcnow


class StaffRole(StrEnum):
    LEAD = "lead"
    FACILITATOR = "facilitator"


class StaffUser(SQLModel, table=True):
    __tablename__ = "staff_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(max_length=STAFF_NAME_MAX)
    role: StaffRole = Field(sa_type=String(20))
    password_hash: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class StaffSession(SQLModel, table=True):
    """A server-side login: the cookie holds the token, the table only its hash, so logout is real."""

    __tablename__ = "staff_session"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="staff_user.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    expires_at: datetime = Field(sa_type=UtcDateTime)


class LoginThrottle(SQLModel, table=True):
    """Recent failed logins per email, to slow down password guessing across instances."""

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    last_failure_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
