"""Programmes, their exchanges, and the practitioners invited to each exchange."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from exchange.db import UtcDateTime
from exchange.names import PARTICIPANT_NAME_MAX
from exchange.timeutil import utcnow


class ExchangeStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"


class Consent(StrEnum):
    """How a practitioner appears in the transcript."""

    NAME = "name"
    INITIALS = "initials"
    ANONYMOUS = "anonymous"


class Programme(SQLModel, table=True):
    __tablename__ = "programme"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    description: str = Field(default="", max_length=2000)
    created_by: int = Field(foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    #: Days an ended exchange keeps its stories (its event log, roster and names); None: no limit.
    retention_days: int | None = Field(default=None, ge=1, le=3650)


class ProgrammeMember(SQLModel, table=True):
    """A staff user who may see and work in a programme."""

    __tablename__ = "programme_member"

    programme_id: int = Field(foreign_key="programme.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="staff_user.id", primary_key=True, ondelete="CASCADE")
    added_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class Exchange(SQLModel, table=True):
    __tablename__ = "exchange"

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=120)
    purpose: str = Field(default="", max_length=2000)
    starts_at: datetime = Field(sa_type=UtcDateTime)
    timezone: str = Field(max_length=64)
    duration_minutes: int
    language: str = Field(default="en", max_length=35)
    call_url: str = Field(default="", max_length=500)
    template_key: str = Field(max_length=40)
    #: The method-library version the plan was copied from (None: a shipped template, or deleted since).
    template_version_id: int | None = Field(
        default=None, foreign_key="plan_template_version.id", ondelete="SET NULL"
    )
    plan: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    status: ExchangeStatus = Field(default=ExchangeStatus.DRAFT, sa_type=String(20))
    created_by: int = Field(foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    #: When the live session ended (set with the status, from the log's exchange_ended event).
    ended_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    #: Days after the end during which the transcript is a draft the tellers review; then released.
    review_days: int = Field(default=7, ge=0, le=90)
    #: When retention deleted this exchange's stories, and what was deleted (counts only).
    purged_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    purge_summary: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class Participant(SQLModel, table=True):
    """A practitioner invited to one exchange."""

    __tablename__ = "participant"

    id: int | None = Field(default=None, primary_key=True)
    exchange_id: int = Field(foreign_key="exchange.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=PARTICIPANT_NAME_MAX)
    context: str = Field(default="", max_length=200)
    #: Where they work, as the facilitator entered it (optional); programme counts group by it.
    country: str = Field(default="", max_length=80)
    email: str = Field(default="", max_length=254)
    #: The language they picked in their lobby; None: their browser's Accept-Language decides.
    language: str | None = Field(default=None, max_length=35)
    #: The link's token is derived from the app secret and this salt; only its hash is stored.
    token_salt: str = Field(max_length=64)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    #: Bumped on re-issue so the old link and cookies made from it stop working.
    token_version: int = 1
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    rules_accepted_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    consent: Consent | None = Field(default=None, sa_type=String(20))
    #: The link is a key for one device: when it was first opened, and the hash of the secret that
    #: device holds in its cookie. Another browser opening the same link gets no page.
    claimed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    device_hash: str | None = Field(default=None, max_length=64)
    #: A short code shown on the claimed device that moves the place to another device once.
    handover_hash: str | None = Field(default=None, max_length=64)
    handover_expires_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    handover_attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class TemplateScope(StrEnum):
    """Who may use a plan template from the method library."""

    PROGRAMME = "programme"  # the members of one programme
    SERVER = "server"  # every programme on this server (leads decide)


class PlanTemplate(SQLModel, table=True):
    """A plan in the method library: a name and a scope; its plans are its versions."""

    __tablename__ = "plan_template"

    id: int | None = Field(default=None, primary_key=True)
    scope: TemplateScope = Field(sa_type=String(20))
    #: The programme whose members use it; None for a server-wide template.
    programme_id: int | None = Field(default=None, foreign_key="programme.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=200)
    created_by: int = Field(foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class PlanTemplateVersion(SQLModel, table=True):
    """One saved version of a library template: a whole plan, never changed once saved."""

    __tablename__ = "plan_template_version"
    __table_args__ = (UniqueConstraint("template_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    template_id: int = Field(foreign_key="plan_template.id", ondelete="CASCADE")
    number: int = Field(ge=1)
    plan: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    note: str = Field(default="", max_length=500)
    created_by: int = Field(foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class ExchangeFacilitator(SQLModel, table=True):
    """A co-facilitator: a facilitator of the programme who runs this exchange beside the one who
    made it, with a facilitator's rights in this exchange only."""

    __tablename__ = "exchange_facilitator"

    exchange_id: int = Field(foreign_key="exchange.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="staff_user.id", primary_key=True, ondelete="CASCADE")
    added_by: int = Field(foreign_key="staff_user.id")
    added_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
