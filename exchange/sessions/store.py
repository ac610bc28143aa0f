"""The event log: append envelopes durably (group commit), read them back by seq.

Appends from every hub in the process are gathered by one committer task and written in a single
transaction: commands that arrive together share one fsync. PostgreSQL is written from a worker
thread; SQLite, a local file, right on the event loop (see `EventStore.__init__`). If the batch hits
the `(exchange_id, seq)` unique constraint (another instance appended first), each request is
retried on its own so only the loser fails.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Dialect, Engine, bindparam, func, insert, select, update
from sqlalchemy.sql.expression import Executable
from sqlmodel import Session, col

from exchange.programmes.models import Exchange, ExchangeStatus
from exchange.sessions.events import EventEnvelope, ExchangeEnded, ExchangeStarted
from exchange.sessions.models import SessionEvent
from exchange.timeutil import utcnow

log = logging.getLogger(__name__)
MAX_BATCH = 256
T = TypeVar("T")


async def take_batch(queue: asyncio.Queue[T], limit: int) -> list[T]:
    """Wait for the first item, then take whatever else is queued already, up to `limit`: what
    arrives together is handled together (the committer's appends here, a hub's commands)."""
    batch = [await queue.get()]
    while len(batch) < limit and not queue.empty():
        batch.append(queue.get_nowait())
    return batch


class SeqConflict(Exception):
    """Someone else appended at this seq first: catch up from the log and decide again."""


@dataclass
class _Append:
    envelopes: Sequence[EventEnvelope]
    rows: list[Any]  # the driver's parameters, made on the event loop so the writer needs little GIL
    statuses: list[tuple[str, Any]]  # (sql, parameters) keeping the exchange row's status in step
    done: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


def _row(envelope: EventEnvelope, data: dict[str, Any]) -> dict[str, object]:
    """The log's row for an envelope; `data` is the envelope as JSON (its time stays a datetime here)."""
    payload = data["event"]
    return {
        "exchange_id": envelope.exchange_id,
        "seq": envelope.seq,
        "at": envelope.at,
        "actor": data["actor"],
        "command_id": envelope.command_id,
        "type": payload["type"],
        "payload": payload,
    }


_ROW_KEYS = ("exchange_id", "seq", "at", "actor", "command_id", "type", "payload")


class _DriverStatement:
    """A statement compiled once for the engine's dialect and run on the driver's own connection.

    Per execution, SQLAlchemy's statement handling and transaction bookkeeping cost more than
    SQLite's commit with its fsync (one-event commits took 0.51 ms through it and 0.32 ms like this;
    `python -m bench.commit` times a whole append, queue included). The column
    types' own bind processors still convert each value, so the rows are exactly what SQLAlchemy
    itself would write.
    """

    def __init__(self, statement: Executable, dialect: Dialect, keys: tuple[str, ...] | None = None) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys) if keys else None)
        self.sql = str(compiled)
        self._order = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
        self._convert = {
            name: convert
            for name, bind in compiled.binds.items()
            if (convert := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        }

    def parameters(self, values: dict[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        """What the driver takes: converted values, in the compiled order for a positional driver."""
        convert = self._convert
        converted = {key: convert[key](value) if key in convert else value for key, value in values.items()}
        return converted if self._order is None else tuple(converted[key] for key in self._order)


def _envelope(row: SessionEvent) -> EventEnvelope:
    return EventEnvelope.model_validate(
        {
            "exchange_id": row.exchange_id,
            "seq": row.seq,
            "at": row.at,
            "actor": row.actor,
            "command_id": row.command_id,
            "event": row.payload,
        }
    )


def _status_changes(envelopes: Sequence[EventEnvelope]) -> dict[int, tuple[ExchangeStatus, datetime | None]]:
    """The exchange row mirrors the log's lifecycle (and when it ended) so lists, dashboards, the
    review period and retention need not fold events."""
    changes: dict[int, tuple[ExchangeStatus, datetime | None]] = {}
    for envelope in envelopes:
        if isinstance(envelope.event, ExchangeStarted):
            changes[envelope.exchange_id] = (ExchangeStatus.LIVE, None)
        elif isinstance(envelope.event, ExchangeEnded):
            changes[envelope.exchange_id] = (ExchangeStatus.ENDED, envelope.event.ended_at)
    return changes


class EventStore:
    """Reads and appends the log of every exchange; one per process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # PostgreSQL's one writer thread: it gains nothing from more while the committer batches.
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="event-writer")
        self._readers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="event-reader")
        # SQLite commits on the event loop's own thread: a local fsync (about 0.2 ms here) costs less
        # than the two loop steps and the GIL hand-offs of a thread round trip (measured: median
        # command-to-delivery 12 -> 7.6 ms at E=200). PostgreSQL's commits cross the network.
        # Measured again with the driver-level writes at E=500: the writer thread frees the loop during
        # the fsync but costs more CPU (0.91-0.97 against 0.86-0.87 cores) and a wider spread.
        self._inline = engine.dialect.name == "sqlite"
        self._insert = _DriverStatement(insert(SessionEvent).inline(), engine.dialect, _ROW_KEYS)
        self._set_status = _DriverStatement(
            update(Exchange)
            .where(col(Exchange.id) == bindparam("exchange_id"))
            .values(status=bindparam("status"), updated_at=bindparam("updated_at")),
            engine.dialect,
        )
        self._set_ended = _DriverStatement(
            update(Exchange)
            .where(col(Exchange.id) == bindparam("exchange_id"))
            .values(status=bindparam("status"), updated_at=bindparam("updated_at"), ended_at=bindparam("ended_at")),
            engine.dialect,
        )
        self._conflict = engine.dialect.loaded_dbapi.IntegrityError
        self._pending: asyncio.Queue[_Append] | None = None
        self._task: asyncio.Task[None] | None = None

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        self._pending = asyncio.Queue()
        self._task = asyncio.create_task(self._commit_loop(), name="event-committer")

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        self._writer.shutdown(wait=True)
        self._readers.shutdown(wait=True)

    # --- writing ------------------------------------------------------------------------------

    async def append(self, envelopes: Sequence[EventEnvelope], dumped: Sequence[dict[str, Any]] | None = None) -> None:
        """Durably append envelopes of one exchange (consecutive seqs); raises SeqConflict.

        `dumped`: the envelopes as JSON, when the caller has them already (a hub dumps each batch once).
        """
        if not envelopes:
            return
        assert self._pending is not None, "EventStore.start() was not awaited"
        if dumped is None:
            dumped = [envelope.model_dump(mode="json") for envelope in envelopes]
        statuses = [
            (
                self._set_ended.sql,
                self._set_ended.parameters(
                    {"exchange_id": exchange_id, "status": status.value, "updated_at": utcnow(), "ended_at": ended_at}
                ),
            )
            if ended_at is not None
            else (
                self._set_status.sql,
                self._set_status.parameters({"exchange_id": exchange_id, "status": status.value, "updated_at": utcnow()}),
            )
            for exchange_id, (status, ended_at) in _status_changes(envelopes).items()
        ]
        rows = [self._insert.parameters(_row(e, data)) for e, data in zip(envelopes, dumped, strict=True)]
        request = _Append(envelopes, rows, statuses)
        self._pending.put_nowait(request)
        await request.done

    async def _commit_loop(self) -> None:
        assert self._pending is not None
        # Each batch lives only while it is committed (see Hub._work).
        while True:
            await self._commit(await take_batch(self._pending, MAX_BATCH))

    async def _commit(self, batch: list[_Append]) -> None:
        try:
            if self._inline:
                outcomes = self._write_batch(batch)
            else:
                outcomes = await asyncio.get_running_loop().run_in_executor(self._writer, self._write_batch, batch)
        except Exception as exc:  # noqa: BLE001 - the database is down: fail these, keep serving
            log.exception("appending events failed")
            outcomes = [exc] * len(batch)
        for request, outcome in zip(batch, outcomes, strict=True):
            if request.done.done():
                continue
            if outcome is None:
                request.done.set_result(None)
            else:
                request.done.set_exception(outcome)

    def _write_batch(self, batch: list[_Append]) -> list[BaseException | None]:
        """One transaction for the whole batch; on a conflict, one transaction per request."""
        try:
            self._write(batch)
            return [None] * len(batch)
        except self._conflict:
            if len(batch) == 1:
                return [SeqConflict(str(batch[0].envelopes[0].seq))]
        outcomes: list[BaseException | None] = []
        for request in batch:
            try:
                self._write([request])
                outcomes.append(None)
            except self._conflict:
                outcomes.append(SeqConflict(str(request.envelopes[0].seq)))
        return outcomes

    def _write(self, requests: list[_Append]) -> None:
        """One transaction on the driver's connection (see _DriverStatement); raises its IntegrityError."""
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.executemany(self._insert.sql, [row for request in requests for row in request.rows])
                for request in requests:
                    for sql, values in request.statuses:
                        cursor.execute(sql, values)
                connection.commit()
            except BaseException:
                connection.rollback()
                raise
            finally:
                cursor.close()
        finally:
            connection.close()  # back to the pool

    # --- reading ------------------------------------------------------------------------------

    def read_sync(self, exchange_id: int, *, after: int = 0, until: int | None = None) -> list[EventEnvelope]:
        """Envelopes with after < seq <= until, in seq order."""
        query = select(SessionEvent).where(col(SessionEvent.exchange_id) == exchange_id, col(SessionEvent.seq) > after)
        if until is not None:
            query = query.where(col(SessionEvent.seq) <= until)
        with Session(self.engine) as db:
            rows = db.exec(query.order_by(col(SessionEvent.seq))).scalars().all()  # type: ignore[call-overload]
            return [_envelope(row) for row in rows]

    async def read(self, exchange_id: int, *, after: int = 0, until: int | None = None) -> list[EventEnvelope]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, lambda: self.read_sync(exchange_id, after=after, until=until))

    async def last_seq(self, exchange_id: int) -> int:
        def query() -> int:
            with Session(self.engine) as db:
                statement = select(func.max(SessionEvent.seq)).where(col(SessionEvent.exchange_id) == exchange_id)
                return int(db.exec(statement).scalar() or 0)  # type: ignore[call-overload]

        return await asyncio.get_running_loop().run_in_executor(self._readers, query)

    async def run(self, fn):  # noqa: ANN001, ANN201 - any blocking database function
        """Run a small blocking query on the reader pool."""
        return await asyncio.get_running_loop().run_in_executor(self._readers, fn)
