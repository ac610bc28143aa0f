"""The hubs of this process: one per exchange that has sockets open or is live."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid

from sqlmodel import Session, col, select

from exchange.programmes.models import Exchange, ExchangeStatus
from exchange.sessions.broker import Broker
from exchange.sessions.hub import Hub
from exchange.sessions.state import Status
from exchange.sessions.store import EventStore

log = logging.getLogger(__name__)
POLICY_VIOLATION = 1008  # the close code pages do not retry


class HubRegistry:
    """Opens hubs on demand, keeps live ones running (their timers must fire), closes idle ones."""

    def __init__(self, *, store: EventStore, broker: Broker) -> None:
        self.store = store
        self.broker = broker
        self._hubs: dict[int, Hub] = {}
        self._opening: dict[int, asyncio.Task[Hub]] = {}
        #: This process among the instances sharing the broker (tells its presence from theirs).
        self.instance = uuid.uuid4().hex[:12]

    async def get(self, exchange_id: int) -> Hub:
        """The exchange's hub, rebuilt from its log the first time it is asked for."""
        if (hub := self._hubs.get(exchange_id)) is not None:
            return hub
        task = self._opening.get(exchange_id)
        if task is None:
            task = asyncio.create_task(self._open(exchange_id))
            self._opening[exchange_id] = task
        try:
            return await asyncio.shield(task)
        finally:
            self._opening.pop(exchange_id, None)

    async def _open(self, exchange_id: int) -> Hub:
        hub = Hub(exchange_id, store=self.store, broker=self.broker, instance=self.instance)
        await hub.open()
        self._hubs[exchange_id] = hub
        return hub

    async def release(self, hub: Hub) -> None:
        """Close a hub nobody is connected to, unless its exchange is live (timers still run)."""
        if hub.connections or hub.state.status is Status.LIVE or self._hubs.get(hub.exchange_id) is not hub:
            return
        del self._hubs[hub.exchange_id]
        await hub.close()

    async def open_live(self) -> None:
        """After a restart: resume every live exchange, so deadlines that passed meanwhile are handled."""

        def live_ids() -> list[int]:
            with Session(self.store.engine) as db:
                query = select(Exchange.id).where(col(Exchange.status) == ExchangeStatus.LIVE)
                return [int(i) for i in db.exec(query)]

        for exchange_id in await self.store.run(live_ids):
            await self.get(exchange_id)
        if self._hubs:
            log.info("resumed %d live exchange(s)", len(self._hubs))

    @property
    def hubs(self) -> dict[int, Hub]:
        return self._hubs

    async def kick(self, exchange_id: int, actor_id: str) -> None:
        """Close someone's sockets on every instance (their link was revoked or replaced)."""
        hub = self._hubs.get(exchange_id)
        if hub is not None:
            hub.kick_local(actor_id)
        message = json.dumps({"kind": "kick", "actor": actor_id}).encode()
        try:
            await self.broker.publish(exchange_id, message)
        except Exception:  # noqa: BLE001 - their next reconnect is refused anyway
            log.warning("could not tell other instances to close %s's sockets", actor_id)

    async def forget(self, exchange_id: int) -> None:
        """Close the exchange's hub and its sockets here, if it is open: its log is gone (retention).

        The sockets close with 1008, which pages take as "not allowed" rather than retrying.
        """
        if (task := self._opening.get(exchange_id)) is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(task)
        hub = self._hubs.pop(exchange_id, None)
        if hub is None:
            return
        for connection in tuple(hub.connections):
            connection.close(POLICY_VIOLATION)
        await hub.close()
        log.info("closed the hub of exchange %s: its stories were deleted", exchange_id)

    async def going_away(self, code: int = 1001, *, wait: float = 2.0) -> None:
        """Close every socket with "going away" so clients move to another instance at once."""
        for hub in self._hubs.values():
            for connection in tuple(hub.connections):
                connection.close(code)
        deadline = asyncio.get_running_loop().time() + wait
        while any(hub.connections for hub in self._hubs.values()):
            if asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.02)

    async def close(self) -> None:
        hubs, self._hubs = list(self._hubs.values()), {}
        for hub in hubs:
            await hub.close()
