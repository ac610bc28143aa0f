"""Staff sockets end with their login: on logout, "log out everywhere", a password change, a timeout,
or removal from the programme, within seconds, on every instance.

Each staff `Connection` remembers the hash of the session it was opened with (in memory only; it is
never sent to a client or logged). Ending logins goes two ways:

- at once: this instance closes the matching sockets, and tells the others on the broker's channel 0
  (no exchange has id 0), naming the user and the sessions by a one-way reference of their hash;
- as a safety net, every `check_seconds` each instance re-reads the sessions behind its open staff
  sockets and the memberships of their programmes, and closes what is no longer let in: that covers the
  idle and absolute timeouts and a broker message lost while Redis was away. Commands sent over a staff
  socket count as use, so a facilitator steering a long session is not timed out.

Sockets close with 1008, which the console takes as "signed out" (it asks the page whether it is
still let in). Removal from a programme goes through `HubRegistry.kick` on the programme's exchanges.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from exchange.accounts import throttle
from exchange.accounts.models import StaffSession
from exchange.accounts.service import forget_dead_sessions, is_alive, touch_interval
from exchange.programmes.models import Exchange, ProgrammeMember
from exchange.sessions.connection import Connection
from exchange.sessions.registry import HubRegistry
from exchange.timeutil import utcnow

log = logging.getLogger(__name__)

#: The broker channel for sign-outs: exchange ids start at 1, so no hub listens here.
ACCOUNTS_CHANNEL = 0
POLICY_VIOLATION = 1008
HOUSEKEEPING_EVERY = timedelta(minutes=10)  # deleting dead sessions and old throttle records
_CHUNK = 500  # hashes per query


def session_ref(hashed: str) -> str:
    """What other instances are told to close: a reference that can't be turned back into the hash."""
    return hashlib.sha256(b"staff-session:" + hashed.encode()).hexdigest()[:32]


def staff_user_id(connection: Connection) -> int | None:
    prefix, _sep, number = connection.actor.id.partition(":")
    return int(number) if connection.staff and prefix == "staff" and number.isdigit() else None


class StaffSockets:
    """Closes the staff sockets of this instance whose login ended; tells the other instances."""

    def __init__(self, *, registry: HubRegistry, engine: Engine, idle: timedelta, check_seconds: float) -> None:
        self.registry = registry
        self.broker = registry.broker
        self.engine = engine
        self.idle = idle
        self.check_seconds = check_seconds
        self._tasks: list[asyncio.Task[None]] = []
        self._last_housekeeping = utcnow() - HOUSEKEEPING_EVERY

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._listen(), name="staff-sockets-listen"),
            asyncio.create_task(self._check_forever(), name="staff-sockets-check"),
        ]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # --- ending logins ------------------------------------------------------------------------

    async def end(self, *, user_id: int, sessions: Iterable[str] | None = None) -> None:
        """Close the user's sockets opened with these sessions (hashes; None: all of them), everywhere."""
        refs = None if sessions is None else sorted({session_ref(h) for h in sessions})
        if refs == []:
            return
        self._close_local(user_id, refs)
        if not self.broker.shared:
            return
        message = json.dumps({"kind": "end_logins", "user": user_id, "refs": refs}).encode()
        try:
            await self.broker.publish(ACCOUNTS_CHANNEL, message)
        except Exception:  # noqa: BLE001 - the periodic check closes them on the other instances
            log.warning("could not tell other instances to close the sockets of staff user %s", user_id)

    async def leave_programme(self, *, user_id: int, exchange_ids: Iterable[int]) -> None:
        """The user was removed from a programme: close their sockets in its exchanges, everywhere."""
        for exchange_id in exchange_ids:
            await self.registry.kick(exchange_id, f"staff:{user_id}")

    def _close_local(self, user_id: int, refs: list[str] | None) -> int:
        wanted = None if refs is None else set(refs)
        closed = 0
        for connection in self._staff_connections():
            if staff_user_id(connection) != user_id or connection.session is None:
                continue
            if wanted is None or session_ref(connection.session) in wanted:
                connection.close(POLICY_VIOLATION)
                closed += 1
        return closed

    def _staff_connections(self) -> list[Connection]:
        return [c for hub in tuple(self.registry.hubs.values()) for c in tuple(hub.connections) if c.staff]

    async def _listen(self) -> None:
        # Subscribing while the Redis broker is still making its first connection can lose the
        # subscription (both would open the pub/sub connection); once it is up, it is safe.
        while self.broker.shared and not self.broker.healthy:
            await asyncio.sleep(0.05)
        async with self.broker.subscribe(ACCOUNTS_CHANNEL) as queue:
            while True:
                message = await queue.get()
                if not message:  # the broker reconnected; the periodic check covers what it missed
                    continue
                try:
                    data = json.loads(message)
                    if data.get("kind") == "end_logins":
                        refs = data["refs"]
                        self._close_local(int(data["user"]), None if refs is None else [str(r) for r in refs])
                except (ValueError, KeyError, TypeError):
                    log.warning("ignoring a malformed sign-out message")

    # --- the periodic check -------------------------------------------------------------------

    async def _check_forever(self) -> None:
        while True:
            await asyncio.sleep(self.check_seconds)
            try:
                await self.check()
            except Exception:  # noqa: BLE001 - try again next round
                log.exception("checking the logins behind staff sockets failed")

    async def check(self) -> int:
        """Close staff sockets whose login ended or whose user left the programme; refresh the last use of
        sessions whose sockets sent commands. Returns how many sockets were closed."""
        connections = [c for c in self._staff_connections() if c.close_code is None]
        exchanges = {c: hub.exchange_id for hub in tuple(self.registry.hubs.values()) for c in tuple(hub.connections)}
        used = set()
        for connection in connections:
            if connection.used and connection.session:
                used.add(connection.session)
                connection.used = False
        pairs = {(exchanges[c], uid) for c in connections if c in exchanges and (uid := staff_user_id(c)) is not None}
        hashes = {c.session for c in connections if c.session}
        alive, members = await asyncio.to_thread(self._read, hashes, pairs, used)
        closed = 0
        for connection in connections:
            let_in = connection.session in alive and (exchanges.get(connection), staff_user_id(connection)) in members
            if not let_in and connection.close_code is None:
                connection.close(POLICY_VIOLATION)
                closed += 1
        return closed

    def _read(
        self, hashes: set[str], pairs: set[tuple[int, int]], used: set[str]
    ) -> tuple[set[str], set[tuple[int, int]]]:
        now = utcnow()
        alive: set[str] = set()
        members: set[tuple[int, int]] = set()
        with Session(self.engine) as db:
            ordered = sorted(hashes)
            for start in range(0, len(ordered), _CHUNK):
                query = select(StaffSession).where(col(StaffSession.token_hash).in_(ordered[start : start + _CHUNK]))
                alive |= {s.token_hash for s in db.exec(query) if is_alive(s, idle=self.idle, now=now)}
            touched = sorted(used & alive)
            for start in range(0, len(touched), _CHUNK):
                db.execute(
                    update(StaffSession)
                    .where(
                        col(StaffSession.token_hash).in_(touched[start : start + _CHUNK]),
                        col(StaffSession.last_seen_at) < now - touch_interval(self.idle),
                    )
                    .values(last_seen_at=now)
                )
            by_exchange: dict[int, set[int]] = defaultdict(set)
            for exchange_id, user_id in pairs:
                by_exchange[exchange_id].add(user_id)
            if by_exchange:
                query = (
                    select(Exchange.id, ProgrammeMember.user_id)
                    .join(ProgrammeMember, col(ProgrammeMember.programme_id) == col(Exchange.programme_id))
                    .where(col(Exchange.id).in_(list(by_exchange)))
                    .where(col(ProgrammeMember.user_id).in_({u for users in by_exchange.values() for u in users}))
                )
                members = {(int(e), int(u)) for e, u in db.exec(query)} & pairs
            if now - self._last_housekeeping >= HOUSEKEEPING_EVERY:
                self._last_housekeeping = now
                forget_dead_sessions(db, idle=self.idle, now=now)
                throttle.forget_old(db, now=now)
            db.commit()
        return alive, members
