"""Gathering what the programme learns from: each exchange's transcript through the export fold, and
the programme's own events. Callers own the transaction; nothing here commits."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from exchange.programmes import service as programmes
from exchange.programmes.models import Exchange, ExchangeStatus, Participant, Programme
from exchange.sessions.models import SessionEvent
from exchange.sessions.store import EventStore
from exchange.synthesis import log as programme_log
from exchange.synthesis.items import Item, Sourced, countries_by_item, item_key, items_of
from exchange.synthesis.models import ProgrammeEvent
from exchange.synthesis.selection import ExchangeChoice
from exchange.transcripts import build
from exchange.transcripts.model import Transcript
from exchange.transcripts.service import meta_of, roster_of


@dataclass(frozen=True, slots=True)
class ExchangeSource:
    """One exchange as the programme may learn from it."""

    exchange: Exchange
    transcript: Transcript
    sourced: Sourced
    choices: tuple[ExchangeChoice, ...]
    countries: tuple[str, ...]  # of everyone invited (for participation figures)
    countries_by_item: dict[str, str]  # item id -> country, where the item's author may be placed

    @property
    def items(self) -> tuple[Item, ...]:
        return self.sourced.items


_CACHE: OrderedDict[tuple, ExchangeSource] = OrderedDict()
_CACHE_SIZE = 256
_LOCK = threading.Lock()


def record(db: Session, *, programme_id: int, type_: str, actor: str, data: dict) -> ProgrammeEvent:
    """Append one programme event."""
    event = ProgrammeEvent(programme_id=programme_id, type=type_, actor=actor, data=data)
    db.add(event)
    db.flush()
    return event


def events_of(db: Session, *, programme_id: int) -> list[ProgrammeEvent]:
    query = select(ProgrammeEvent).where(ProgrammeEvent.programme_id == programme_id).order_by(col(ProgrammeEvent.id))
    return list(db.exec(query))


def log_of(db: Session, *, programme_id: int) -> programme_log.ProgrammeLog:
    return programme_log.fold((e.type, e.data, e.at) for e in events_of(db, programme_id=programme_id))


def ran(exchange: Exchange) -> bool:
    """An exchange whose record holds something: it ran, and retention has not deleted its stories."""
    return exchange.status in (ExchangeStatus.LIVE, ExchangeStatus.ENDED) and exchange.purged_at is None


def _last_seq(db: Session, exchange_id: int) -> int:
    query = select(func.max(SessionEvent.seq)).where(col(SessionEvent.exchange_id) == exchange_id)
    return int(db.exec(query).one() or 0)  # type: ignore[call-overload]


def _roster_digest(participants: list[Participant]) -> str:
    text = "\n".join(f"{p.id}|{p.name}|{p.consent}|{p.country}" for p in participants)
    return hashlib.sha1(text.encode()).hexdigest()


def fingerprint(db: Session, exchange: Exchange) -> str:
    """Changes whenever what an export of the exchange shows may change: its log, its roster, its release."""
    participants = programmes.participants_of(db, exchange=exchange)
    draft = meta_of(db, exchange).draft
    return f"{_last_seq(db, exchange.id or 0)}:{int(draft)}:{_roster_digest(participants)[:24]}"


def source_of(db: Session, store: EventStore, exchange: Exchange) -> ExchangeSource:
    """The exchange's transcript, items and recorded selections, all through the export fold."""
    assert exchange.id is not None
    participants = programmes.participants_of(db, exchange=exchange)
    key = (exchange.id, fingerprint(db, exchange), exchange.title)
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    meta, roster = meta_of(db, exchange), roster_of(db, exchange)
    folded, _seen = build.fold_for_export(exchange.id, store.read_sync(exchange.id))
    transcript = build.from_folded(folded, exchange=meta, roster=roster)
    countries = {f"p:{p.id}": p.country for p in participants}
    sourced = items_of(transcript, folded, roster, countries)
    out = build.excluded_ids(folded.state)
    in_record = {s.id for phase in transcript.phases for s in phase.stories}
    choices = []
    for choice in folded.state.selection.choices:
        if choice.id in out:
            continue
        keys = tuple(item_key(exchange.id, sid) for sid in choice.story_ids if sid in in_record)
        if keys:
            choices.append(ExchangeChoice(exchange.id, exchange.title, keys, choice.reason, choice.dissent, choice.domain))
    by_item = countries_by_item(transcript, folded, roster, countries)
    source = ExchangeSource(exchange, transcript, sourced, tuple(choices), tuple(p.country for p in participants), by_item)
    with _LOCK:
        _CACHE[key] = source
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return source


def sources_of(db: Session, store: EventStore, programme: Programme) -> list[ExchangeSource]:
    """Every exchange of the programme that ran and still has its stories, oldest first."""
    exchanges = [e for e in programmes.exchanges_in(db, programme=programme) if ran(e)]
    exchanges.sort(key=lambda e: (e.starts_at, e.id or 0))
    return [source_of(db, store, e) for e in exchanges]


def all_items(sources: list[ExchangeSource]) -> list[Item]:
    return [item for source in sources for item in source.items]


def stories_of(sources: list[ExchangeSource]) -> dict[str, Item]:
    return {item.key: item for source in sources for item in source.items if item.kind == "story"}


def teller_of(sources: list[ExchangeSource], story_key: str) -> str | None:
    """Whose story it is ("p:17"): only to tell them about it, never shown."""
    for source in sources:
        if story_key in source.sourced.tellers:
            return source.sourced.tellers[story_key]
    return None
