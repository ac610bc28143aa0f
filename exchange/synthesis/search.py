"""Full-text search over a programme's transcripts: SQLite FTS5 or PostgreSQL's text search.

The documents are the contributions of each exchange's transcript as an export shows them (so only
what is in the record, named as consent allows), rebuilt for an exchange whenever its log, roster or
release changed (`SearchStamp`), and deleted with its stories by retention.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, text
from sqlmodel import Session, col, select

from exchange.programmes import service as programmes
from exchange.programmes.models import Programme
from exchange.sessions.store import EventStore
from exchange.synthesis.models import SearchDoc, SearchStamp
from exchange.synthesis.service import fingerprint, ran, source_of

#: What is searched: everything a transcript lists but the (anonymous, sorted) feedback comments.
SEARCHED_KINDS = frozenset({"story", "reflection", "recall", "card", "action", "point", "selection", "draft_section"})
MAX_QUERY = 200
MAX_HITS = 200


@dataclass(frozen=True, slots=True)
class Filters:
    exchange_id: int | None = None
    phase: str | None = None
    country: str | None = None
    since: date | None = None
    until: date | None = None


def refresh(db: Session, store: EventStore, programme: Programme) -> int:
    """Bring the programme's documents up to date; how many exchanges were rebuilt."""
    rebuilt = 0
    for exchange in programmes.exchanges_in(db, programme=programme):
        assert exchange.id is not None
        stamp = db.get(SearchStamp, exchange.id)
        if not ran(exchange):
            if stamp is not None:
                db.exec(delete(SearchDoc).where(col(SearchDoc.exchange_id) == exchange.id))
                db.delete(stamp)
            continue
        current = fingerprint(db, exchange)
        if stamp is not None and stamp.fingerprint == current:
            continue
        source = source_of(db, store, exchange)
        db.exec(delete(SearchDoc).where(col(SearchDoc.exchange_id) == exchange.id))
        for c in source.transcript.contributions:
            if c.kind not in SEARCHED_KINDS or not c.text.strip():
                continue
            db.add(SearchDoc(
                programme_id=exchange.programme_id, exchange_id=exchange.id, item_id=c.item_id[:60], kind=c.kind,
                phase_index=c.phase_index, phase_title=c.phase[:120], author=c.author, at=c.at, text=c.text,
                country=source.countries_by_item.get(c.item_id),
            ))  # fmt: skip
        if stamp is None:
            stamp = SearchStamp(exchange_id=exchange.id, fingerprint=current)
        stamp.fingerprint, stamp.built_at = current, datetime.now(UTC)
        db.add(stamp)
        rebuilt += 1
    db.flush()
    return rebuilt


def terms(query: str) -> list[str]:
    """The words of a query (letters and digits), at most twelve."""
    return re.findall(r"\w+", query[:MAX_QUERY])[:12]


def _ranked_ids(db: Session, programme_id: int, words: list[str]) -> list[int]:
    dialect = db.get_bind().dialect.name
    if dialect == "sqlite":
        match = " ".join('"' + w.replace('"', "") + '"' for w in words[:-1])
        match = (match + " " if match else "") + '"' + words[-1].replace('"', "") + '"*'
        statement = text(
            "SELECT search_doc.id FROM search_fts JOIN search_doc ON search_doc.id = search_fts.rowid "
            "WHERE search_fts MATCH :match AND search_doc.programme_id = :programme "
            "ORDER BY bm25(search_fts), search_doc.id LIMIT :limit"
        )
        params: dict[str, object] = {"match": match, "programme": programme_id, "limit": MAX_HITS * 5}
    else:
        statement = text(
            "SELECT id FROM search_doc WHERE programme_id = :programme "
            "AND to_tsvector('simple', text) @@ to_tsquery('simple', :query) "
            "ORDER BY ts_rank(to_tsvector('simple', text), to_tsquery('simple', :query)) DESC, id LIMIT :limit"
        )
        words = [w.replace("'", "") for w in words]
        query = " & ".join(f"'{w}'" for w in words[:-1])
        query = (query + " & " if query else "") + f"'{words[-1]}':*"
        params = {"query": query, "programme": programme_id, "limit": MAX_HITS * 5}
    return [int(row[0]) for row in db.connection().execute(statement, params)]


def search(db: Session, *, programme_id: int, query: str, filters: Filters) -> list[SearchDoc]:
    """The documents matching every word of the query (the last as a prefix), best first, filtered."""
    words = terms(query)
    if not words:
        return []
    ids = _ranked_ids(db, programme_id, [w.lower() for w in words])
    if not ids:
        return []
    statement = select(SearchDoc).where(col(SearchDoc.id).in_(ids))
    if filters.exchange_id is not None:
        statement = statement.where(SearchDoc.exchange_id == filters.exchange_id)
    if filters.phase:
        statement = statement.where(SearchDoc.phase_title == filters.phase)
    if filters.country:
        statement = statement.where(SearchDoc.country == filters.country)
    if filters.since:
        statement = statement.where(col(SearchDoc.at) >= datetime.combine(filters.since, time(), UTC))
    if filters.until:
        statement = statement.where(col(SearchDoc.at) < datetime.combine(filters.until + timedelta(days=1), time(), UTC))
    rank = {doc_id: n for n, doc_id in enumerate(ids)}
    return sorted(db.exec(statement), key=lambda d: rank[d.id or 0])[:MAX_HITS]


def facets(db: Session, *, programme_id: int) -> tuple[list[str], list[str]]:
    """The phases and countries the programme's documents hold, for the filters."""
    phases = db.exec(select(SearchDoc.phase_title).where(SearchDoc.programme_id == programme_id).distinct())
    countries = db.exec(
        select(SearchDoc.country).where(SearchDoc.programme_id == programme_id, col(SearchDoc.country).is_not(None)).distinct()
    )
    return sorted(p for p in phases if p), sorted(c for c in countries if c)


def highlight(body: str, query: str) -> list[tuple[str, bool]]:
    """The text in pieces, each marked when it matches a query word (the template escapes every piece)."""
    words = sorted({w.lower() for w in terms(query)}, key=len, reverse=True)
    if not words:
        return [(body, False)]
    pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\w*", re.IGNORECASE)
    pieces: list[tuple[str, bool]] = []
    last = 0
    for match in pattern.finditer(body):
        if match.start() > last:
            pieces.append((body[last : match.start()], False))
        pieces.append((match.group(0), True))
        last = match.end()
    if last < len(body):
        pieces.append((body[last:], False))
    return pieces
