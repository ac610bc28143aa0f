"""Gathering what a pure export needs from the database and the log: meta, roster, envelopes."""

from __future__ import annotations

from sqlmodel import Session

from exchange.programmes import service
from exchange.programmes.models import Exchange, Programme
from exchange.sessions.events import EventEnvelope
from exchange.sessions.store import EventStore
from exchange.transcripts.model import ExchangeMeta, RosterEntry

FORMATS = ("md", "html", "json", "csv")
MEDIA_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
}


def meta_of(db: Session, exchange: Exchange) -> ExchangeMeta:
    programme = db.get(Programme, exchange.programme_id)
    assert exchange.id is not None
    return ExchangeMeta(
        id=exchange.id,
        title=exchange.title,
        purpose=exchange.purpose,
        programme_id=exchange.programme_id,
        programme_name=programme.name if programme else "",
        starts_at=exchange.starts_at,
        timezone=exchange.timezone,
        language=exchange.language,
    )


def roster_of(db: Session, exchange: Exchange) -> dict[str, RosterEntry]:
    """Participant id as the log spells it ("p:17") -> name and consent."""
    return {
        f"p:{p.id}": RosterEntry(name=p.name, consent=str(p.consent) if p.consent else None)
        for p in service.participants_of(db, exchange=exchange)
    }


def export(fmt: str, envelopes: list[EventEnvelope], meta: ExchangeMeta, roster: dict[str, RosterEntry]) -> str:
    """One exchange in one format."""
    from exchange.transcripts import build, csv_export, html, json_export, markdown

    if fmt == "json":
        return json_export.render(envelopes, exchange=meta, roster=roster)
    transcript = build.build(envelopes, exchange=meta, roster=roster)
    renderers = {"md": markdown.render, "html": html.render, "csv": csv_export.render}
    return renderers[fmt](transcript)


def envelopes_of(store: EventStore, exchange_id: int) -> list[EventEnvelope]:
    return store.read_sync(exchange_id)
