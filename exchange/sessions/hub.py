"""The one orchestrator of a live exchange in this process: decide, append, publish, apply, fan out.

Commands queue up and are handled in batches: each is decided against the state the previous ones
led to, the whole batch is appended in one transaction, and only then are sockets told and, in the
same step, senders answered. Events from other instances arrive through the broker; a gap is filled
from the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import itertools
import json
import random
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from exchange import i18n
from exchange.i18n import _
from exchange.logs import current_exchange
from exchange.sessions import protocol
from exchange.sessions.activities import leading
from exchange.sessions.commands import Actor, Command, Role, Tick
from exchange.sessions.connection import Connection
from exchange.sessions.events import EventEnvelope
from exchange.sessions.machine import Rejected, apply_envelope, decide, envelop, next_deadline, rebuild
from exchange.sessions.state import SessionState
from exchange.sessions.store import EventStore, SeqConflict, take_batch
from exchange.sessions.fanout import Fanout, audience_of, personal_frame, personal_subjects
from exchange.timeutil import utcnow

log = logging.getLogger(__name__)

SYSTEM = Actor(role=Role.SYSTEM, id="system", name="Timer")
POLL_SECONDS = 1.0  # how often to read the log while the broker is down
SAFETY_POLL_SECONDS = 5.0  # how often a hub with sockets checks the log's head, in case a message was lost
PRESENCE_SECONDS = 10.0  # how often an instance repeats who is connected to it
PRESENCE_TTL = 25.0  # after this an instance that stopped repeating itself is forgotten
RESUME_WINDOW = 1000  # a client further behind than this gets a snapshot instead of events
RECENT = 1024  # envelopes kept in memory to resume clients without reading the log
MAX_BATCH = 64
#: Command ids remembered per sender, so a resent command is applied once; clients resend only
#: what was unacked when their socket dropped, seconds or minutes earlier, never this far back.
#: Per sender, so nobody's flood of ids pushes out anyone else's. The pages drop a command still
#: unsent after 2 minutes; at the person's sustained rate limit (4 a second) that is under 500.
COMMAND_MEMORY = 500
RETRY_SECONDS = 10.0  # how long to keep losing seq races to other instances before giving up


@dataclass(frozen=True)
class Accepted:
    """The command's events are durable up to `seq` (or it changed nothing: seq is the current one)."""

    seq: int
    duplicate: bool = False


Outcome = Accepted | Rejected
JSON = dict[str, Any]


def _as_json(envelopes: list[EventEnvelope]) -> list[JSON]:
    """Envelopes as JSON, dumped once per batch: the log's rows, the frames and the broker share them
    (whoever changes one for a role copies it first)."""
    return [envelope.model_dump(mode="json") for envelope in envelopes]


@dataclass
class _Pending:
    command: Command
    actor: Actor
    command_id: str | None
    done: asyncio.Future[Outcome]
    reply_to: Connection | None = None


def _reply_frame(command_id: str | None, outcome: Outcome) -> str:
    """What the sender's socket is told of its command: acked with the seq, or why not."""
    if isinstance(outcome, Accepted):
        return protocol.ack(command_id=command_id or "", seq=outcome.seq)
    return protocol.rejected(command_id=command_id or "", code=outcome.code, message=outcome.message)


class Hub:
    """Holds the folded state of one exchange and serialises everything that changes it."""

    def __init__(
        self,
        exchange_id: int,
        *,
        store: EventStore,
        broker,  # noqa: ANN001 - any Broker
        instance: str = "local",
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.exchange_id = exchange_id
        self.instance = instance
        self.store = store
        self.broker = broker
        self.clock = clock
        self.state = SessionState.initial(exchange_id)
        self.connections: set[Connection] = set()
        self._inbox: asyncio.Queue[_Pending] = asyncio.Queue()
        self._lock = asyncio.Lock()
        #: One timer per hub for the state's next deadline, moved only when the deadline moves.
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: datetime | None = None
        self._ticking: asyncio.Task[None] | None = None
        self._context = contextvars.copy_context()
        self._context.run(i18n.reset)  # not the language of whichever socket opened the hub
        self._closed = False
        self._recent: deque[EventEnvelope] = deque(maxlen=RECENT)
        #: Per audience, the view as sent, built and encoded again only where the state changed (see
        #: views.Projection), and its events as the privacy policy lets it see them.
        self._fanout = Fanout()
        #: sender -> command id -> the seq its events ended at. Scoped to the sender: a client can only
        #: ever make its own commands duplicates, never someone else's.
        self._command_seqs: dict[str, dict[str, int]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._online: tuple[str, ...] = ()
        self._local_online: tuple[str, ...] = ()
        self._remote_online: dict[str, tuple[float, tuple[str, ...]]] = {}  # instance -> (expiry, ids)
        self._seen_here: set[str] = set()  # everyone who had a socket on this hub (the lead's drop is its news only then)
        self._lead_report: leading.LeadPresence | None = None  # being told to the core now

    # --- lifecycle ----------------------------------------------------------------------------

    async def open(self) -> None:
        """Rebuild from the log, then start handling commands, timers and other instances' events."""
        envelopes = await self.store.read(self.exchange_id)
        self.state = rebuild(self.exchange_id, envelopes)
        self._remember(envelopes)
        name = f"hub-{self.exchange_id}"
        self._context.run(current_exchange.set, self.exchange_id)  # every log line of our tasks names us
        self._tasks = [
            asyncio.create_task(coroutine, name=f"{name}-{role}", context=self._context)
            for role, coroutine in (
                ("commands", self._work()),
                ("broker", self._listen()),
                ("presence", self._repeat_presence()),
            )
        ]
        self._context.run(self._arm_timer)

    async def close(self) -> None:
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
        tasks = [*self._tasks, *([self._ticking] if self._ticking else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        while not self._inbox.empty():
            pending = self._inbox.get_nowait()
            self._settle([pending], [Rejected("unavailable", _("The server is restarting. Please try again."))])

    # --- commands -----------------------------------------------------------------------------

    async def submit(
        self, command: Command, actor: Actor, command_id: str | None = None, *, reply_to: Connection | None = None
    ) -> Outcome:
        """Decide and durably append a command; resolves once its events are in the log.

        `reply_to`: the sender's socket, answered (`_reply_frame`) right after the batch's events
        frames, in the same loop step: under load the sender's own task wakes a step later.
        """
        done: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        pending = _Pending(command, actor, command_id, done, reply_to)
        if self._closed:  # nothing would ever take it from the inbox (closed, or forgotten by retention)
            self._settle([pending], [Rejected("unavailable", _("The server is restarting. Please try again."))])
        else:
            self._inbox.put_nowait(pending)
        return await done

    async def _work(self) -> None:
        # A batch lives only while it is handled, not until the next one arrives: objects that
        # outlive a collector round are walked by it (see exchange.runtime).
        while True:
            await self._handle_safely(await take_batch(self._inbox, MAX_BATCH))

    async def _handle_safely(self, batch: list[_Pending]) -> None:
        try:
            await self._handle(batch)
        except Exception:  # noqa: BLE001 - one bad batch must not stop the exchange
            log.exception("exchange %s: handling commands failed", self.exchange_id)
            self._settle(batch, [Rejected("unavailable", _("That couldn't be saved. Please try again."))] * len(batch))

    async def _handle(self, batch: list[_Pending]) -> None:
        loop = asyncio.get_running_loop()
        give_up = loop.time() + RETRY_SECONDS
        async with self._lock:
            for attempt in itertools.count():
                outcomes, envelopes, state = self._decide_batch(batch)
                if any(isinstance(o, Rejected) for o in outcomes) and await self._behind():
                    # Refused on what may be old news from another instance: catch up, decide again.
                    await self._catch_up()
                    outcomes, envelopes, state = self._decide_batch(batch)
                dumped = _as_json(envelopes)  # once, for the log, the frames and other instances
                try:
                    await self.store.append(envelopes, dumped)
                except SeqConflict:
                    if loop.time() > give_up:
                        outcomes = [Rejected("busy", _("The exchange is very busy. Please try again."))] * len(batch)
                        envelopes = dumped = []
                        break
                    # Another instance got there first: back off a random moment (so two instances
                    # don't collide again in lockstep), then decide again on the fresh state.
                    await asyncio.sleep(random.uniform(0, min(0.1, 0.002 * 2**attempt)))
                    await self._catch_up()
                    continue
                self._commit(envelopes, state, dumped)
                break
        self._settle(batch, outcomes)
        if envelopes:
            await self._publish(envelopes, dumped)

    def _decide_batch(self, batch: list[_Pending]) -> tuple[list[Outcome], list[EventEnvelope], SessionState]:
        now = self.clock()
        state = self.state
        outcomes: list[Outcome] = []
        envelopes: list[EventEnvelope] = []
        seen: dict[tuple[str, str], int] = {}
        for item in batch:
            key = (item.actor.id, item.command_id) if item.command_id else None
            known = None if key is None else seen.get(key) or self._command_seqs.get(key[0], {}).get(key[1])
            if known is not None:
                outcomes.append(Accepted(known, duplicate=True))
                continue
            with i18n.use(item.reply_to.language if item.reply_to is not None else None):
                decision = decide(state, item.command, item.actor, now)  # a refusal, in the sender's words
            if isinstance(decision, Rejected):
                outcomes.append(decision)
                continue
            new = envelop(state=state, events=decision, at=now, actor=item.actor, command_id=item.command_id)
            for envelope in new:
                state = apply_envelope(state, envelope)
            envelopes.extend(new)
            outcomes.append(Accepted(state.last_seq))
            if key is not None and new:
                seen[key] = state.last_seq
        return outcomes, envelopes, state

    @staticmethod
    def _settle(batch: list[_Pending], outcomes: list[Outcome]) -> None:
        for item, outcome in zip(batch, outcomes, strict=True):
            if not item.done.done():
                item.done.set_result(outcome)
                if item.reply_to is not None:
                    item.reply_to.offer(_reply_frame(item.command_id, outcome))

    def _commit(self, envelopes: list[EventEnvelope], state: SessionState, dumped: list[JSON]) -> None:
        """The envelopes (`dumped`: as JSON) are durable: adopt the state they lead to, tell every socket."""
        if not envelopes:
            return
        self.state = state
        self._remember(envelopes)
        self._deliver(envelopes, dumped)
        self._arm_timer()

    def _remember(self, envelopes: list[EventEnvelope]) -> None:
        self._recent.extend(envelopes)
        for envelope in envelopes:
            if envelope.command_id:
                seqs = self._command_seqs.setdefault(envelope.actor.id, {})
                seqs[envelope.command_id] = envelope.seq
                if len(seqs) > COMMAND_MEMORY:  # dicts keep insertion order: the oldest go first
                    del seqs[next(iter(seqs))]

    # --- other instances ----------------------------------------------------------------------

    async def _publish(self, envelopes: list[EventEnvelope], dumped: list[JSON]) -> None:
        if not self.broker.shared:
            return  # only this hub serves the exchange: telling ourselves costs an encode and a decode
        message = json.dumps({"kind": "events", "envelopes": dumped}).encode()
        try:
            await self.broker.publish(self.exchange_id, message)
        except Exception:  # noqa: BLE001 - the log has it; other instances will catch up
            log.warning("exchange %s: publishing seq %s failed", self.exchange_id, envelopes[-1].seq)

    async def _listen(self) -> None:
        loop = asyncio.get_running_loop()
        next_check = loop.time() + SAFETY_POLL_SECONDS
        # Only a shared broker can fail, lose a message or carry other instances' presence: a local
        # one is simply waited on.
        poll = POLL_SECONDS if self.broker.shared else None
        async with self.broker.subscribe(self.exchange_id) as queue:
            while True:
                try:
                    message = await asyncio.wait_for(queue.get(), timeout=poll)
                except TimeoutError:
                    if not self.broker.healthy:  # pub/sub is down: read new events from the log instead
                        async with self._lock:
                            await self._catch_up()
                    elif self.broker.shared and self.connections and loop.time() >= next_check:
                        next_check = loop.time() + SAFETY_POLL_SECONDS
                        if await self.store.last_seq(self.exchange_id) > self.state.last_seq:
                            async with self._lock:
                                await self._catch_up()
                    self._expire_presence()
                    continue
                try:
                    await self._on_message(message)
                except (ValueError, KeyError, TypeError):
                    log.warning("exchange %s: ignoring a malformed broker message", self.exchange_id)

    async def _on_message(self, message: bytes) -> None:
        if not message:  # the broker reconnected: whatever it missed is in the log
            async with self._lock:
                await self._catch_up()
            return
        data = json.loads(message)
        if data["kind"] == "kick":
            self.kick_local(str(data["actor"]))
            return
        if data["kind"] == "presence":
            if data["instance"] != self.instance:
                expiry = asyncio.get_running_loop().time() + PRESENCE_TTL
                self._remote_online[data["instance"]] = (expiry, tuple(data["online"]))
                self._announce_presence(publish=False)
            return
        envelopes = [EventEnvelope.model_validate(item) for item in data["envelopes"]]
        if not envelopes or envelopes[-1].seq <= self.state.last_seq:
            return  # our own, or already read from the log
        async with self._lock:
            if envelopes[0].seq > self.state.last_seq + 1:
                await self._catch_up()
            else:
                self._adopt([e for e in envelopes if e.seq > self.state.last_seq])

    async def _behind(self) -> bool:
        """Does the log hold events this hub hasn't applied? Only others can have written them."""
        if not self.broker.shared:
            return False  # nobody else writes
        return await self.store.last_seq(self.exchange_id) > self.state.last_seq

    async def _catch_up(self) -> None:
        """Read whatever the log has beyond our state (caller holds the lock)."""
        self._adopt(await self.store.read(self.exchange_id, after=self.state.last_seq))

    def _adopt(self, envelopes: list[EventEnvelope]) -> None:
        state = self.state
        for envelope in envelopes:
            state = apply_envelope(state, envelope)
        self._commit(envelopes, state, _as_json(envelopes))

    # --- timers -------------------------------------------------------------------------------

    def _arm_timer(self) -> None:
        """Wake when the state's next deadline comes (a turn or phase running out), and no earlier.

        Called after every change: most leave the deadline where it was, and then cost a comparison.
        """
        if self._closed or self._ticking is not None:
            return  # the tick in flight arms the timer again when it is done
        deadline = next_deadline(self.state)
        if deadline == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._timer_at = None, deadline
        if deadline is not None:
            delay = max(0.0, (deadline - self.clock()).total_seconds())
            self._timer = asyncio.get_running_loop().call_later(delay, self._start_tick, context=self._context)

    def _start_tick(self) -> None:
        self._timer = self._timer_at = None
        self._ticking = asyncio.get_running_loop().create_task(self._tick(), context=self._context)

    async def _tick(self) -> None:
        """Let the machine decide what is due now, then wait for the next deadline."""
        try:
            outcome = await self.submit(Tick(type="tick"), SYSTEM)
            if isinstance(outcome, Rejected):
                log.warning("exchange %s: tick refused: %s", self.exchange_id, outcome.message)
                await asyncio.sleep(1.0)
        finally:
            self._ticking = None
        self._arm_timer()

    # --- sockets ------------------------------------------------------------------------------

    def _deliver(self, envelopes: list[EventEnvelope], dumped: list[JSON]) -> None:
        """One frame per audience listening, built once for all its sockets; then personal frames."""
        audiences = {audience_of(c.actor.role) for c in self.connections}
        frames = self._fanout.frames(self.state, dumped, audiences)
        for connection in tuple(self.connections):
            connection.offer(frames[audience_of(connection.actor.role)])
        for participant_id in personal_subjects(envelope.event for envelope in envelopes):
            self._send_personal(participant_id)

    def _send_personal(self, participant_id: str) -> None:
        """Each of this person's sockets gets what only they may see; built once for all of them."""
        sockets = [c for c in self.connections if c.actor.id == participant_id]
        if sockets:
            frame = personal_frame(self.state, participant_id)
            for connection in sockets:
                connection.offer(frame)

    async def connect(self, connection: Connection, last_seq: int | None) -> None:
        """Send what the client is missing, then keep it up to date; nothing falls in between."""
        async with self._lock:
            seq = self.state.last_seq
            missed = None
            if last_seq is not None and last_seq <= seq and seq - last_seq <= RESUME_WINDOW:
                missed = _as_json(await self._since(last_seq))
            connection.offer(self._fanout.first_frame(self.state, audience_of(connection.actor.role), missed))
            self.connections.add(connection)
            if connection.actor.role is Role.PARTICIPANT:
                connection.offer(personal_frame(self.state, connection.actor.id))
        self._announce_presence()
        connection.offer(protocol.presence(online=list(self._online)))  # even if nothing changed

    async def _since(self, last_seq: int) -> list[EventEnvelope]:
        if self._recent and self._recent[0].seq <= last_seq + 1:
            return [envelope for envelope in self._recent if envelope.seq > last_seq]
        return await self.store.read(self.exchange_id, after=last_seq, until=self.state.last_seq)

    def disconnect(self, connection: Connection) -> None:
        self.connections.discard(connection)
        self._announce_presence()

    def _announce_presence(self, *, publish: bool = True) -> None:
        """Tell local sockets who is online across all instances; tell other instances about ours."""
        local = tuple(sorted({c.actor.id for c in self.connections}))
        self._seen_here.update(local)  # the console's lead: see _watch_lead
        if publish and local != self._local_online:
            self._local_online = local
            asyncio.get_running_loop().create_task(self._publish_presence())
        remote = {pid for _expiry, ids in self._remote_online.values() for pid in ids}
        online = tuple(sorted(set(local) | remote))
        if online == self._online:
            return
        self._online = online
        frame = protocol.presence(online=list(online))
        for connection in tuple(self.connections):
            connection.offer(frame)
        self._watch_lead()

    async def _publish_presence(self) -> None:
        if not self.broker.shared:
            return
        message = json.dumps({"kind": "presence", "instance": self.instance, "online": list(self._local_online)})
        with contextlib.suppress(Exception):  # presence is a courtesy; events never depend on it
            await self.broker.publish(self.exchange_id, message.encode())

    async def _repeat_presence(self) -> None:
        while True:
            await asyncio.sleep(PRESENCE_SECONDS)
            if self._local_online:
                await self._publish_presence()

    def _expire_presence(self) -> None:
        now = asyncio.get_running_loop().time()
        expired = [instance for instance, (expiry, _ids) in self._remote_online.items() if expiry < now]
        for instance in expired:
            del self._remote_online[instance]
        if expired:
            self._announce_presence(publish=False)

    def kick_local(self, actor_id: str, code: int = 1008) -> None:
        """Close this instance's sockets of someone whose access was withdrawn."""
        for connection in tuple(self.connections):
            if connection.actor.id == actor_id:
                connection.close(code)

    @property
    def online(self) -> tuple[str, ...]:
        return self._online

    # --- the console's lead (co-facilitators) ---------------------------------------------------

    def _watch_lead(self) -> None:
        """Tell the core when the leading facilitator's last socket goes anywhere, or one comes back.

        The core keeps the deadline (leading_data.OFFER_AFTER_SECONDS) and offers the lead when it
        passes; this only reports presence. A lead is reported gone (from every instance's presence)
        only by a hub where they had a socket: a hub just opened (a restart, another instance's first
        socket) can't tell "gone" from "not back yet", and another instance's presence expiring
        under load must not make the lead change hands.
        """
        if self._closed or self._lead_report is not None:
            return
        report = leading.presence_command(self.state, self._online)
        if report is None or (not report.online and self.state.lead.lead_id not in self._seen_here):
            return
        if self.broker.shared and not report.online:
            # Several instances: presence crosses them late and, under load, a socket cut for reading
            # too slowly looks like a drop; until that is told apart, a drop there is not reported
            # and the lead changes hands only by hand-over (see the report of branch `craft`).
            return
        self._lead_report = report
        asyncio.get_running_loop().create_task(self._report_lead(report), context=self._context)

    async def _report_lead(self, report: leading.LeadPresence) -> None:
        try:
            await self.submit(report, SYSTEM)
        finally:
            self._lead_report = None
        self._watch_lead()  # it may have changed again meanwhile
