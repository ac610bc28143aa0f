"""The programme's own event log, and the search index built from the exchanges' transcripts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, String, Text
from sqlmodel import Field, SQLModel

from exchange.db import UtcDateTime
from exchange.timeutil import utcnow


class ProgrammeEvent(SQLModel, table=True):
    """One thing a programme decided: a theme accepted, a panel's choice, a story placed. Never updated."""

    __tablename__ = "programme_event"

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True, ondelete="CASCADE")
    type: str = Field(sa_type=String(40))
    #: "staff:3" or "p:17": who did it (never shown; a panel's choice is the panel's).
    actor: str = Field(max_length=40)
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class SearchDoc(SQLModel, table=True):
    """One contribution of a transcript, as the export shows it, for full-text search.

    SQLite searches it through the FTS5 table `search_fts` and PostgreSQL through a GIN index on its
    tsvector; both are made by the migration (they are not models). Rebuilt per exchange whenever its
    record changed (`SearchStamp`).
    """

    __tablename__ = "search_doc"
    __table_args__ = (Index("ix_search_doc_programme_id_exchange_id", "programme_id", "exchange_id"),)

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", ondelete="CASCADE")
    exchange_id: int = Field(foreign_key="exchange.id", ondelete="CASCADE")
    item_id: str = Field(max_length=60)
    kind: str = Field(max_length=20)
    phase_index: int | None = None
    phase_title: str = Field(default="", max_length=120)
    author: str | None = Field(default=None, max_length=80)
    country: str | None = Field(default=None, max_length=80)
    at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    text: str = Field(sa_column=Column(Text, nullable=False))


class SearchStamp(SQLModel, table=True):
    """What an exchange's search documents were built from: its last seq and its roster's choices."""

    __tablename__ = "search_stamp"

    exchange_id: int = Field(foreign_key="exchange.id", primary_key=True, ondelete="CASCADE")
    fingerprint: str = Field(max_length=80)
    built_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
