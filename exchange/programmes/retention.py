"""Retention: an ended exchange's stories are deleted once its programme's retention period has passed.

What goes, in one transaction per exchange: its event log (every story, reflection, card, vote and
draft) and its roster (names, emails, the hashes behind personal links). What stays: the exchange
row (title, times, plan), with when it was purged and how much went (counts only). Live, scheduled
and draft exchanges are never due, whatever their programme says.

Two instances purging at once are settled by the claim: a conditional UPDATE of the exchange row
that is the transaction's first statement, so only one transaction can set `purged_at` (PostgreSQL
locks the row and re-checks the condition; SQLite's second writer waits for the first to commit).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, update
from sqlmodel import Session, col, select

from exchange.programmes.models import Exchange, ExchangeStatus, Participant, Programme
from exchange.sessions.models import SessionEvent
from exchange.synthesis.models import SearchDoc, SearchStamp
from exchange.timeutil import utcnow

log = logging.getLogger(__name__)
STORY_EVENT = "story_shared"


@dataclass(frozen=True, slots=True)
class Purge:
    """What retention deleted (or, in a dry run, would delete) of one exchange."""

    exchange_id: int
    title: str
    programme_id: int
    ended_at: datetime
    retention_days: int
    events: int
    stories: int
    participants: int

    def summary(self) -> dict[str, Any]:
        """The counts kept on the exchange row: nothing of what was said, nobody's name."""
        return {
            "events": self.events,
            "stories": self.stories,
            "participants": self.participants,
            "retention_days": self.retention_days,
        }


@dataclass
class PurgeRun:
    """One pass over every programme: what was purged, and the exchanges that failed (tried again next time)."""

    purged: list[Purge] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def due(db: Session, *, now: datetime) -> list[tuple[Exchange, int]]:
    """Ended, unpurged exchanges whose programme's retention ran out by `now`, with its days; oldest end first."""
    query = (
        select(Exchange, Programme.retention_days)
        .join(Programme, col(Programme.id) == col(Exchange.programme_id))
        .where(
            col(Programme.retention_days).is_not(None),
            col(Exchange.status) == ExchangeStatus.ENDED,
            col(Exchange.ended_at).is_not(None),
            col(Exchange.purged_at).is_(None),
        )
        .order_by(col(Exchange.ended_at), col(Exchange.id))
    )
    # The comparison is made here rather than in SQL: date arithmetic differs between the databases,
    # and only exchanges still inside their period are read again.
    return [
        (exchange, int(days))
        for exchange, days in db.exec(query)
        if exchange.ended_at is not None and exchange.ended_at + timedelta(days=int(days)) <= now
    ]


def _count(db: Session, exchange_id: int) -> tuple[int, int, int]:
    """(events, stories, participants) of an exchange."""
    events, stories = db.exec(
        select(func.count(), func.count().filter(col(SessionEvent.type) == STORY_EVENT)).where(
            col(SessionEvent.exchange_id) == exchange_id
        )
    ).one()
    participants = db.exec(select(func.count()).where(col(Participant.exchange_id) == exchange_id)).one()
    return int(events), int(stories), int(participants)


def _purge(exchange: Exchange, days: int, counts: tuple[int, int, int]) -> Purge:
    assert exchange.id is not None and exchange.ended_at is not None
    events, stories, participants = counts
    return Purge(
        exchange_id=exchange.id,
        title=exchange.title,
        programme_id=exchange.programme_id,
        ended_at=exchange.ended_at,
        retention_days=days,
        events=events,
        stories=stories,
        participants=participants,
    )


def preview(db: Session, *, exchange: Exchange, retention_days: int) -> Purge:
    """What purging the exchange would delete; changes nothing."""
    assert exchange.id is not None
    return _purge(exchange, retention_days, _count(db, exchange.id))


def purge_exchange(db: Session, *, exchange: Exchange, retention_days: int, now: datetime) -> Purge | None:
    """Claim the exchange and delete its stories and roster in the caller's transaction.

    None when it is not due after all, or another purge claimed it first. The claim must be the
    transaction's first statement (see the module's docstring); the caller commits.
    """
    assert exchange.id is not None
    cutoff = now - timedelta(days=retention_days)
    claim = (
        update(Exchange)
        .where(
            col(Exchange.id) == exchange.id,
            col(Exchange.purged_at).is_(None),
            col(Exchange.status) == ExchangeStatus.ENDED,
            col(Exchange.ended_at) <= cutoff,
        )
        .values(purged_at=now)
        .execution_options(synchronize_session=False)
    )
    if db.exec(claim).rowcount != 1:
        return None
    purge = _purge(exchange, retention_days, _count(db, exchange.id))
    db.exec(delete(SessionEvent).where(col(SessionEvent.exchange_id) == exchange.id))
    db.exec(delete(Participant).where(col(Participant.exchange_id) == exchange.id))
    # The search index holds the transcript's text: it goes with the stories.
    db.exec(delete(SearchDoc).where(col(SearchDoc.exchange_id) == exchange.id))
    db.exec(delete(SearchStamp).where(col(SearchStamp.exchange_id) == exchange.id))
    db.exec(
        update(Exchange)
        .where(col(Exchange.id) == exchange.id)
        .values(purge_summary=purge.summary())
        .execution_options(synchronize_session=False)
    )
    return purge


def purge_expired(engine: Engine, *, now: datetime | None = None, dry_run: bool = False) -> PurgeRun:
    """Purge every exchange that is due, one transaction each; `dry_run` only says what would go."""
    now = now or utcnow()
    with Session(engine) as db:
        candidates = due(db, now=now)
        db.expunge_all()  # plain records from here on: each purge has its own session
    run = PurgeRun()
    for exchange, days in candidates:
        assert exchange.id is not None
        try:
            with Session(engine) as db:
                if dry_run:
                    purge: Purge | None = preview(db, exchange=exchange, retention_days=days)
                else:
                    purge = purge_exchange(db, exchange=exchange, retention_days=days, now=now)
                    db.commit()
        except Exception:  # noqa: BLE001 - one exchange must not keep the others' stories
            log.exception("retention: purging exchange %s failed; it is tried again next time", exchange.id)
            run.failed.append(exchange.id)
            continue
        if purge is not None:
            run.purged.append(purge)
    return run


def purged_among(engine: Engine, exchange_ids: list[int]) -> list[int]:
    """Those of the exchanges whose stories retention has deleted (by this process or another)."""
    if not exchange_ids:
        return []
    with Session(engine) as db:
        query = select(Exchange.id).where(col(Exchange.id).in_(exchange_ids), col(Exchange.purged_at).is_not(None))
        return [int(i) for i in db.exec(query) if i is not None]


def purged_in(db: Session, *, programme: Programme) -> list[Exchange]:
    """The programme's exchanges whose stories were deleted under retention, most recently purged first."""
    query = (
        select(Exchange)
        .where(col(Exchange.programme_id) == programme.id, col(Exchange.purged_at).is_not(None))
        .order_by(col(Exchange.purged_at).desc(), col(Exchange.id))
    )
    return list(db.exec(query))


def deletion_dates(exchanges: list[Exchange], retention_days: int | None) -> dict[int, datetime]:
    """When each ended, unpurged exchange becomes due for the purge; {} when the programme keeps stories."""
    if retention_days is None:
        return {}
    return {
        exchange.id: exchange.ended_at + timedelta(days=retention_days)
        for exchange in exchanges
        if exchange.id is not None and exchange.ended_at is not None and exchange.purged_at is None
    }
