"""What was emailed to whom (invitations and reminders), and invitations for staff to join a programme.

`MailDelivery` is the record that makes the reminder job idempotent: one row per practitioner and
message key, unique, so two instances (or a restarted one) never send the same reminder twice.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from exchange.db import UtcDateTime
from exchange.timeutil import utcnow


class MailStatus(StrEnum):
    PENDING = "pending"  # due, not yet claimed by any job
    SENDING = "sending"  # claimed by one sender (who records sent/failed)
    SENT = "sent"
    FAILED = "failed"


class MailDelivery(SQLModel, table=True):
    """One email to one practitioner: the invitation ("invite") or a reminder ("day:<start>", "hour:<start>")."""

    __tablename__ = "mail_delivery"
    __table_args__ = (UniqueConstraint("participant_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")
    #: "invite", or a reminder with the start it announced (a moved exchange gets new reminders).
    key: str = Field(max_length=60)
    status: MailStatus = Field(default=MailStatus.PENDING, sa_type=String(20))
    #: Why the last try failed, in words an operator can act on (never the message or a link).
    error: str = Field(default="", max_length=300)
    attempts: int = 0
    claimed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class StaffInvite(SQLModel, table=True):
    """A lead's invitation for a colleague to join a programme: a single-use, expiring link by email."""

    __tablename__ = "staff_invite"

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True, ondelete="CASCADE")
    email: str = Field(max_length=254)
    role: str = Field(max_length=20)  # StaffRole: "facilitator" or "lead"
    #: SHA-256 of the link's token; the token itself is only ever in the email (or shown once).
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_by: int = Field(foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    expires_at: datetime = Field(sa_type=UtcDateTime)
    accepted_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    accepted_by: int | None = Field(default=None, foreign_key="staff_user.id", ondelete="SET NULL")
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    mail_status: str = Field(default="", max_length=20)  # "", "sent" or "failed"
    mail_error: str = Field(default="", max_length=300)
