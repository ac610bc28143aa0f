"""The event log's table: one row per event, `(exchange_id, seq)` unique and gap-free."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from exchange.db import UtcDateTime


class SessionEvent(SQLModel, table=True):
    """The append-only event log of a live exchange: the single truth of what happened."""

    __tablename__ = "session_event"
    # No index on command_id: a replayed command is recognised from the hub's memory, never by a query.
    __table_args__ = (UniqueConstraint("exchange_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    exchange_id: int = Field(foreign_key="exchange.id", ondelete="CASCADE")
    seq: int
    at: datetime = Field(sa_type=UtcDateTime)
    actor: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    command_id: str | None = Field(default=None, max_length=64)
    type: str = Field(max_length=40)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
