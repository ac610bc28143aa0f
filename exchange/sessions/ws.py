"""The live session's websocket: authenticate the handshake, resume, then a receiver and a sender.

Everything a client sends is validated; a bad frame gets an error frame and changes nothing. Each
socket has a bounded outbound queue: a client that stops reading is cut off (close 1013), not
waited for, and resumes by seq when it reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlmodel import Session
from starlette.websockets import WebSocketState

from exchange.accounts.service import user_for_session
from exchange.auth import STAFF_COOKIE, participant_cookie_name
from exchange.i18n import _
from exchange.logs import current_exchange
from exchange.programmes.models import Exchange, ExchangeStatus, Participant, ProgrammeMember
from exchange.prompts.models import PhasePlan
from exchange.sessions import protocol
from exchange.sessions.commands import Actor, Join, Role, StartExchange
from exchange.sessions.hub import Accepted, Connection, Hub
from exchange.sessions.machine import Rejected
from exchange.sessions.registry import HubRegistry
from exchange.timeutil import utcnow

log = logging.getLogger(__name__)
router = APIRouter()

HELLO_TIMEOUT = 10.0
POLICY_VIOLATION = 1008
GOING_AWAY = 1001
CLOSE_TIMEOUT = 2.0


@dataclass(frozen=True)
class _Who:
    actor: Actor
    participant: Participant | None


def _origin_allowed(websocket: WebSocket, public_url: str) -> bool:
    """Browsers always send Origin; it must be this site. Non-browser clients send none."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    parsed = urlsplit(origin)
    allowed = {websocket.headers.get("host", "")}
    if public_url:
        allowed.add(urlsplit(public_url).netloc)
    return parsed.scheme in {"http", "https"} and parsed.netloc in allowed


def _authenticate(websocket: WebSocket, exchange_id: int) -> _Who | None:
    """The staff member or practitioner behind this handshake, if they belong to this exchange."""
    app = websocket.app
    with Session(app.state.engine) as db:
        exchange = db.get(Exchange, exchange_id)
        if exchange is None:
            return None
        payload = app.state.signer.loads(websocket.cookies.get(participant_cookie_name(exchange_id)), salt="participant")
        if isinstance(payload, dict):
            participant = db.get(Participant, payload.get("p"))
            if (
                participant is not None
                and participant.exchange_id == exchange_id
                and participant.revoked_at is None
                and participant.token_version == payload.get("v")
                and participant.rules_accepted_at is not None
            ):
                actor = Actor(role=Role.PARTICIPANT, id=f"p:{participant.id}", name=participant.name)
                return _Who(actor, participant)
        token = websocket.cookies.get(STAFF_COOKIE)
        user = user_for_session(db, token=token) if token and len(token) < 100 else None
        if user is not None and db.get(ProgrammeMember, (exchange.programme_id, user.id)) is not None:
            role = Role.LEAD if user.role == "lead" and user.id != exchange.created_by else Role.FACILITATOR
            return _Who(Actor(role=role, id=f"staff:{user.id}", name=user.name), None)
    return None


def _load_plan(websocket: WebSocket, exchange_id: int) -> PhasePlan | Rejected:
    """The plan to start with; a draft must be scheduled first."""
    with Session(websocket.app.state.engine) as db:
        exchange = db.get(Exchange, exchange_id)
        if exchange is None:
            return Rejected("not_found", _("This exchange no longer exists."))
        if exchange.status == ExchangeStatus.DRAFT:
            return Rejected("draft", _("Mark the exchange as scheduled before starting it."))
        return PhasePlan.model_validate(exchange.plan)


@router.websocket("/e/{exchange_id}/ws")
async def session_socket(websocket: WebSocket, exchange_id: int) -> None:
    current_exchange.set(exchange_id)
    settings = websocket.app.state.settings
    registry: HubRegistry = websocket.app.state.hubs
    if not _origin_allowed(websocket, settings.public_url):
        await websocket.close(code=POLICY_VIOLATION, reason="origin not allowed")
        return
    who = await asyncio.to_thread(_authenticate, websocket, exchange_id)
    if who is None:
        # Accept, then close with 1008: a browser only sees the close code, and a refused handshake
        # looks like a network failure (1006) that the page would retry forever.
        await websocket.accept()
        await websocket.close(code=POLICY_VIOLATION, reason="not signed in for this exchange")
        return
    await websocket.accept()
    hub = await registry.get(exchange_id)
    connection = Connection(actor=who.actor, queue_size=settings.ws_queue_frames)
    try:
        last_seq = await _hello(websocket, connection)
        if last_seq is False:
            return
        connection.offer(
            protocol.welcome(you=who.actor.model_dump(mode="json"), now=utcnow(), exchange_id=exchange_id)
        )
        await hub.connect(connection, last_seq)
        if who.participant is not None and hub.state.member(who.actor.id) is None:
            await hub.submit(Join(name=who.actor.name), who.actor, f"join:{who.actor.id}")
        await _serve(websocket, hub, connection)
    except WebSocketDisconnect:
        pass
    finally:
        hub.disconnect(connection)
        await registry.release(hub)


async def _hello(websocket: WebSocket, connection: Connection) -> int | None | bool:
    """Read the hello frame: the last seq the client holds. False if the client never says it."""
    try:
        text = await asyncio.wait_for(websocket.receive_text(), HELLO_TIMEOUT)
        frame = protocol.parse_client_frame(text)
    except (TimeoutError, protocol.BadFrame, KeyError) as exc:
        message = exc.message if isinstance(exc, protocol.BadFrame) else "Say hello first."
        await websocket.send_text(protocol.error(code="hello_expected", message=message))
        await websocket.close(code=POLICY_VIOLATION)
        return False
    if not isinstance(frame, protocol.Hello):
        await websocket.send_text(protocol.error(code="hello_expected", message="The first message must be hello."))
        await websocket.close(code=POLICY_VIOLATION)
        return False
    return frame.last_seq


async def _serve(websocket: WebSocket, hub: Hub, connection: Connection) -> None:
    """Run the receiver and the sender; whichever ends first ends the other."""
    receiver = asyncio.create_task(_receive(websocket, hub, connection))
    sender = connection.sender = asyncio.create_task(_send(websocket, connection))
    if connection.close_code is not None:  # closed before the sender existed
        sender.cancel()
    done, pending = await asyncio.wait({receiver, sender}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
            await task
    for task in done:
        exc = None if task.cancelled() else task.exception()
        if exc is not None and not isinstance(exc, WebSocketDisconnect):
            log.warning("socket task failed: %r", exc)
    if connection.close_code is not None and websocket.application_state is WebSocketState.CONNECTED:
        # Uvicorn writes even the close frame only once the socket drains; a reader that stopped
        # reading altogether gets its TCP connection closed instead (it sees 1006, and resumes).
        with contextlib.suppress(RuntimeError, WebSocketDisconnect, OSError, TimeoutError):
            await asyncio.wait_for(websocket.close(code=connection.close_code), CLOSE_TIMEOUT)


async def _send(websocket: WebSocket, connection: Connection) -> None:
    """Write queued frames in order; the hub never waits for this (a slow reader is cut off)."""
    while True:
        frame = await connection.queue.get()
        if frame is None:
            return
        await websocket.send_text(frame)


async def _receive(websocket: WebSocket, hub: Hub, connection: Connection) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if text is None:
            connection.offer(protocol.error(code="malformed", message="Send text frames holding JSON."))
            continue
        try:
            frame = protocol.parse_client_frame(text)
        except protocol.BadFrame as exc:
            connection.offer(protocol.error(code=exc.code, message=exc.message))
            continue
        if isinstance(frame, protocol.Ping):
            connection.offer(protocol.pong(t=frame.t, now=utcnow()))
        elif isinstance(frame, protocol.Hello):
            connection.offer(protocol.error(code="unexpected", message="Already said hello."))
        else:
            connection.offer(await _run_command(websocket, hub, connection, frame))


async def _run_command(websocket: WebSocket, hub: Hub, connection: Connection, frame: protocol.SendCommand) -> str:
    command = frame.command
    if isinstance(command, StartExchange):
        if connection.actor.role is not Role.FACILITATOR:
            return protocol.rejected(command_id=frame.id, code="forbidden", message=_("You aren't allowed to do that."))
        plan = await asyncio.to_thread(_load_plan, websocket, hub.exchange_id)
        if isinstance(plan, Rejected):
            return protocol.rejected(command_id=frame.id, code=plan.code, message=plan.message)
        command = command.model_copy(update={"plan": plan})
    outcome = await hub.submit(command, connection.actor, frame.id)
    if isinstance(outcome, Accepted):
        return protocol.ack(command_id=frame.id, seq=outcome.seq)
    return protocol.rejected(command_id=frame.id, code=outcome.code, message=outcome.message)
