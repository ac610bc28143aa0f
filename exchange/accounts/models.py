"""Staff accounts (facilitators and programme leads) and their login sessions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, String
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
    #: The language they picked on their account page; None: their browser's Accept-Language decides.
    language: str | None = Field(default=None, max_length=35)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class StaffSession(SQLModel, table=True):
    """A server-side login: the cookie holds the token, the table only its hash, so logout is real.

    It ends at `expires_at` (the absolute timeout) or once unused for the idle timeout after
    `last_seen_at`, which requests and staff sockets refresh at most about once a minute.
    """

    __tablename__ = "staff_session"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="staff_user.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    expires_at: datetime = Field(sa_type=UtcDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class LoginThrottle(SQLModel, table=True):
    """Recent login attempts per account and per client address (keys are hashes), to slow down
    password guessing across instances. See exchange/accounts/throttle.py."""

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    last_failure_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class SecurityEvent(SQLModel, table=True):
    """One security-relevant thing that happened (exchange/audit.py): what, who, where; never a secret.

    No foreign keys: the record outlives what it mentions (a purged practitioner, a removed member).
    """

    __tablename__ = "security_event"
    __table_args__ = (Index("ix_security_event_programme_id_at", "programme_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    kind: str = Field(max_length=40)
    #: Who did it: "staff:<id>", "p:<id>" (a practitioner), or "" when only the address is known.
    actor: str = Field(default="", max_length=40)
    #: The staff account it concerns (the actor, or the account a failed login named).
    user_id: int | None = Field(default=None, index=True)
    address: str = Field(default="", max_length=64)
    programme_id: int | None = None
    exchange_id: int | None = None
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
