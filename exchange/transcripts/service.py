"""Gathering what a pure export needs from the database and the log: meta, roster, envelopes."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from exchange.cleantext import clean
from exchange.i18n import _
from exchange.programmes import service
from exchange.programmes.models import Exchange, Programme
from exchange.sessions.activities.redaction_data import Redaction
from exchange.sessions.events import EventEnvelope
from exchange.sessions.store import EventStore
from exchange.timeutil import utcnow
from exchange.transcripts.model import (
    Contribution,
    ExchangeMeta,
    RosterEntry,
    Transcript,
)

FORMATS = ("md", "html", "json", "csv")
MEDIA_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
}


def release_at(exchange: Exchange) -> datetime | None:
    """When the record is (or was) released: the end of the tellers' review; None while it runs."""
    if exchange.ended_at is None:
        return None
    return exchange.ended_at + timedelta(days=exchange.review_days)


def is_released(exchange: Exchange, now: datetime | None = None) -> bool:
    release = release_at(exchange)
    return release is not None and (now or utcnow()) >= release


@dataclass(frozen=True, slots=True)
class RecordStatus:
    """Where an exchange's record stands, for the pages: drafting, under review, or released."""

    review_days: int
    release_at: datetime | None  # None until the exchange ends
    draft: bool

    @property
    def editable(self) -> bool:
        """The review period can change until the record is released (then it has been shared)."""
        return self.draft


def record_status(exchange: Exchange, now: datetime | None = None) -> RecordStatus:
    return RecordStatus(exchange.review_days, release_at(exchange), not is_released(exchange, now))


def meta_of(db: Session, exchange: Exchange, now: datetime | None = None) -> ExchangeMeta:
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
        draft=not is_released(exchange, now),
        release_at=release_at(exchange),
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


def transcript_of(db: Session, store: EventStore, exchange: Exchange) -> Transcript:
    from exchange.transcripts import build

    return build.build(store.read_sync(exchange.id or 0), exchange=meta_of(db, exchange), roster=roster_of(db, exchange))


Progress = Callable[[int, int, str], None]


def programme_zip(db: Session, store: EventStore, programme: Programme, progress: Progress | None = None) -> bytes:
    """Every exchange of `programme` in every format, plus one CSV across all of them, as ZIP bytes.

    Shared by `exchange export --programme` and GET /programmes/{id}/export.zip. Exchanges whose
    stories retention deleted are left out; a note in the archive names them.
    """
    from exchange.transcripts import build, csv_export

    everything = service.exchanges_in(db, programme=programme)
    exchanges = [e for e in everything if e.purged_at is None]
    purged = [e for e in everything if e.purged_at is not None]
    transcripts = []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for done, exchange in enumerate(exchanges):
            if progress is not None:
                progress(done, len(exchanges), exchange.title)
            envelopes = store.read_sync(exchange.id or 0)
            meta, roster = meta_of(db, exchange), roster_of(db, exchange)
            for fmt in FORMATS:
                archive.writestr(f"exchange-{exchange.id}/transcript.{fmt}", export(fmt, envelopes, meta, roster))
            transcripts.append(build.build(envelopes, exchange=meta, roster=roster))
        if progress is not None:
            progress(len(exchanges), len(exchanges), "all exchanges")
        archive.writestr(f"programme-{programme.id}-contributions.csv", csv_export.render_many(transcripts))
        if purged:
            archive.writestr(PURGED_NOTE, purged_note(purged))
    return buffer.getvalue()


#: What a lead may redact (redaction.contribution_ids): contributions with an item of their own.
REDACTABLE = frozenset({"story", "reflection", "recall", "card", "action", "point"})
PURGED_NOTE = "deleted-under-retention.txt"


def purged_note(exchanges: list[Exchange]) -> str:
    """The archive's note on the exchanges it leaves out because retention deleted their stories."""
    from exchange.templating import human_time

    lines = [
        _("The stories of these exchanges were deleted under the programme's retention period, "
          "so this archive does not hold them:"),
        "",
    ]  # fmt: skip
    for exchange in exchanges:
        assert exchange.purged_at is not None and exchange.ended_at is not None
        lines.append(
            _("- {title} (exchange {id}): ended {ended}; stories deleted {deleted}").format(
                title=exchange.title,
                id=exchange.id,
                ended=human_time(exchange.ended_at, exchange.timezone),
                deleted=human_time(exchange.purged_at, exchange.timezone),
            )
        )
    return clean("\n".join(lines)) + "\n"


@dataclass(frozen=True, slots=True)
class RedactionPreview:
    """For a lead's redaction form on the exchange page: what may be redacted, and what already was."""

    contributions: tuple[Contribution, ...]
    redactions: tuple[Redaction, ...]


def redaction_preview(db: Session, store: EventStore, exchange: Exchange) -> RedactionPreview:
    from exchange.transcripts import build

    envelopes = store.read_sync(exchange.id or 0)
    transcript = build.build(envelopes, exchange=meta_of(db, exchange), roster=roster_of(db, exchange))
    # The reasons are for staff, who see this form: read them from the log itself.
    redactions = build.fold(exchange.id or 0, envelopes).state.redactions.redactions
    redactable = tuple(c for c in transcript.contributions if c.kind in REDACTABLE)
    return RedactionPreview(contributions=redactable, redactions=redactions)
