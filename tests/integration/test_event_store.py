"""The event log on SQLite and PostgreSQL: what the store appends reads back exactly, as the ORM writes it.

The store appends through the driver's own connection with statements compiled once (see
`_DriverStatement` in exchange/sessions/store.py); these tests hold it to what SQLAlchemy would store.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import Engine, select, text
from sqlmodel import Session, col

from bench.seed import seed_exchanges
from exchange.db import make_engine
from exchange.programmes.models import Exchange, ExchangeStatus
from exchange.sessions.commands import EndExchange, NextPhase, NextTurn, RaiseHand
from exchange.sessions.events import EventEnvelope
from exchange.sessions.models import SessionEvent
from exchange.sessions.store import EventStore, SeqConflict
from tests.unit.test_session_support import AMA, BEA, FACILITATOR, joined


def _log(exchange_id: int) -> list[EventEnvelope]:
    """A real log from the pure core (joins, the start, hands, turns, the end) under this exchange's id."""
    core = joined(AMA, BEA)
    core.do(AMA, RaiseHand())
    core.do(FACILITATOR, NextPhase())  # the story round: speaking turns
    core.do(FACILITATOR, NextTurn())
    core.wait(30)
    core.do(FACILITATOR, NextTurn())
    core.do(FACILITATOR, EndExchange())
    return [envelope.model_copy(update={"exchange_id": exchange_id}) for envelope in core.log]


@pytest.fixture(scope="module")
def exchange_ids(database_url: str) -> Iterator[list[int]]:
    """Fresh exchanges of this module's database; each test takes its own."""
    seeded = seed_exchanges(database_url, secret="event-store-test-secret-0123456789", exchanges=4, practitioners=0)
    yield [entry.exchange_id for entry in seeded]


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
async def store(engine: Engine) -> AsyncIterator[EventStore]:
    store = EventStore(engine)
    await store.start()
    try:
        yield store
    finally:
        await store.close()


async def test_appended_events_read_back_exactly_and_the_exchange_row_follows(
    store: EventStore, engine: Engine, exchange_ids: list[int]
) -> None:
    exchange_id = exchange_ids[0]
    log = _log(exchange_id)
    started = next(i for i, envelope in enumerate(log) if envelope.event.type == "exchange_started")
    await store.append(log[: started + 1])
    with Session(engine) as db:
        assert db.get(Exchange, exchange_id).status == ExchangeStatus.LIVE  # type: ignore[union-attr]
        assert db.get(Exchange, exchange_id).ended_at is None  # type: ignore[union-attr]
    await store.append(log[started + 1 :])

    assert await store.read(exchange_id) == log
    assert await store.last_seq(exchange_id) == log[-1].seq
    with Session(engine) as db:
        exchange = db.get(Exchange, exchange_id)
        assert exchange is not None and exchange.status == ExchangeStatus.ENDED
        assert exchange.updated_at.tzinfo is not None
        ended = next(e.event for e in log if e.event.type == "exchange_ended")
        assert exchange.ended_at == ended.ended_at  # type: ignore[union-attr]  # the review period counts from it


async def test_the_stored_row_is_what_the_orm_would_store(
    store: EventStore, engine: Engine, exchange_ids: list[int]
) -> None:
    """The same envelope through SQLAlchemy's insert and through the store: the same column values."""
    exchange_id = exchange_ids[1]
    first = _log(exchange_id)[0]
    second = first.model_copy(update={"seq": first.seq + 1})
    event = first.event.model_dump(mode="json")
    with Session(engine) as db:  # the ORM, from the envelope's own parts
        db.add(
            SessionEvent(
                exchange_id=exchange_id, seq=first.seq, at=first.at, actor=first.actor.model_dump(mode="json"),
                command_id=first.command_id, type=event["type"], payload=event,
            )
        )  # fmt: skip
        db.commit()
    await store.append([second])
    with engine.connect() as conn:  # untyped text: the values as the database holds them
        rows = conn.execute(
            text("SELECT seq, at, actor, command_id, type, payload FROM session_event WHERE exchange_id = :id ORDER BY seq"),
            {"id": exchange_id},
        ).all()
    assert [row[0] for row in rows] == [first.seq, second.seq]
    by_orm, by_store = (tuple(row[1:]) for row in rows)
    assert by_store[1:] == by_orm[1:]
    assert type(by_store[0]) is type(by_orm[0])  # the same storage class for the time (text on SQLite)
    with Session(engine) as db:
        stored = db.exec(select(SessionEvent).where(col(SessionEvent.exchange_id) == exchange_id)).scalars().all()  # type: ignore[call-overload]
    assert [row.at for row in stored] == [first.at, second.at]


async def test_a_taken_seq_is_a_conflict_for_its_request_only(
    store: EventStore, exchange_ids: list[int]
) -> None:
    """Requests committed together: the one whose seq is taken fails, the others are kept."""
    exchange_id, other_id = exchange_ids[2], exchange_ids[3]
    log, other = _log(exchange_id), _log(other_id)
    await store.append(log[:2])
    outcomes = await asyncio.gather(
        store.append(log[1:3]),  # seq 2 is taken
        store.append(other[:3]),
        return_exceptions=True,
    )
    assert isinstance(outcomes[0], SeqConflict) and outcomes[1] is None
    assert await store.read(exchange_id) == log[:2]
    assert await store.read(other_id) == other[:3]
