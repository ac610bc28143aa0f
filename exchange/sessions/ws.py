"""The live session's websocket, as a plain ASGI handler: authenticate, resume, then read commands.

It bypasses the page middleware and routing (`exchange.app.ExchangeApp` hands it the scope): with
thousands of sockets open, each layer costs memory per socket and a call per frame. It does its own
checks: the Origin, the cookie, the role. Everything a client sends is validated; a bad frame gets
an error frame and changes nothing. Writes go through the socket's `Connection`, which cuts off a
reader that stops reading (close 1013) rather than waiting for it.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session
from starlette.requests import cookie_parser
from starlette.types import Receive, Scope, Send

from exchange import audit, i18n
from exchange.accounts.service import login_for
from exchange.auth import participant_cookie_name, staff_cookie_name
from exchange.i18n import _
from exchange.logs import current_exchange
from exchange.programmes import co_facilitators
from exchange.programmes.keys import participant_for_cookie
from exchange.programmes.models import Exchange, ExchangeStatus, Participant, ProgrammeMember
from exchange.prompts.models import PhasePlan
from exchange.sessions import protocol
from exchange.sessions.activities.redaction_data import RedactContribution
from exchange.sessions.commands import Actor, Join, Role, StartExchange
from exchange.sessions.connection import Connection
from exchange.sessions.hub import Accepted, Hub
from exchange.sessions.limits import Limits, TokenBucket
from exchange.sessions.machine import Rejected
from exchange.sessions.registry import HubRegistry
from exchange.timeutil import utcnow

log = logging.getLogger(__name__)

PATH = re.compile(r"/e/([0-9]{1,18})/ws")
HELLO_TIMEOUT = 10.0
POLICY_VIOLATION = 1008
#: An application close code (4000-4999), after HTTP's 429: this person has too many sockets open.
TOO_MANY_SOCKETS = 4029


@dataclass(frozen=True)
class _Who:
    actor: Actor
    participant: Participant | None
    #: A staff member's session (its token hash), so the socket closes when that login ends.
    session: str | None = None
    #: The language the person picked (lobby or account page); None: their browser's.
    language: str | None = None


@dataclass(frozen=True)
class _Handshake:
    """What the handshake says about the client: its headers and cookies."""

    headers: dict[str, str]
    cookies: dict[str, str]

    @classmethod
    def of(cls, scope: Scope) -> _Handshake:
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:
            headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
        return cls(headers, cookie_parser(headers.get("cookie", "")))


def _origin_allowed(handshake: _Handshake, public_url: str) -> bool:
    """Browsers always send Origin; it must be this site. Non-browser clients send none."""
    origin = handshake.headers.get("origin")
    if origin is None:
        return True
    parsed = urlsplit(origin)
    allowed = {handshake.headers.get("host", "")}
    if public_url:
        allowed.add(urlsplit(public_url).netloc)
    return parsed.scheme in {"http", "https"} and parsed.netloc in allowed


def _authenticate(app: Any, cookies: dict[str, str], exchange_id: int) -> _Who | None:
    """The staff member or practitioner behind this handshake, if they belong to this exchange."""
    with Session(app.state.engine) as db:
        exchange = db.get(Exchange, exchange_id)
        if exchange is None or exchange.purged_at is not None:  # retention deleted its log: nothing to join
            return None
        raw = cookies.get(participant_cookie_name(exchange_id))
        participant = participant_for_cookie(db, signer=app.state.signer, raw=raw, exchange_id=exchange_id)
        if participant is not None and participant.rules_accepted_at is not None:
            actor = Actor(role=Role.PARTICIPANT, id=f"p:{participant.id}", name=participant.name)
            return _Who(actor, participant, language=participant.language)
        settings = app.state.settings
        token = cookies.get(staff_cookie_name(settings.https))
        idle = timedelta(minutes=settings.staff_idle_minutes)
        login = login_for(db, token=token, idle=idle) if token and len(token) < 100 else None
        if login is not None and login.touched:
            db.commit()
        user = login.user if login is not None else None
        if user is not None and db.get(ProgrammeMember, (exchange.programme_id, user.id)) is not None:
            # Facilitating is per exchange (its maker and co-facilitators); a lead of the programme
            # watches; the programme's other facilitators have no console here.
            if co_facilitators.facilitates(db, user=user, exchange=exchange):
                role = Role.FACILITATOR
            elif user.role == "lead":
                role = Role.LEAD
            else:
                return None
            actor = Actor(role=role, id=f"staff:{user.id}", name=user.name)
            session = login.session.token_hash if login is not None else None
            return _Who(actor, None, session=session, language=user.language)
    return None


def _load_plan(app: Any, exchange_id: int) -> PhasePlan | Rejected:
    """The plan to start with; a draft must be scheduled first."""
    with Session(app.state.engine) as db:
        exchange = db.get(Exchange, exchange_id)
        if exchange is None:
            return Rejected("not_found", _("This exchange no longer exists."))
        if exchange.purged_at is not None:  # a socket let in just before the purge: its log is gone for good
            return Rejected("not_found", _("This exchange's stories were deleted under retention."))
        if exchange.status == ExchangeStatus.DRAFT:
            return Rejected("draft", _("Mark the exchange as scheduled before starting it."))
        return PhasePlan.model_validate(exchange.plan)


async def _close(send: Send, code: int, reason: str) -> None:
    await send({"type": "websocket.close", "code": code, "reason": reason})


async def live_socket(app: Any, scope: Scope, receive: Receive, send: Send, exchange_id: int) -> None:
    """Serve one live socket of `/e/{exchange_id}/ws` from handshake to close."""
    current_exchange.set(exchange_id)
    if (await receive())["type"] != "websocket.connect":
        return
    settings = app.state.settings
    handshake = _Handshake.of(scope)
    if not _origin_allowed(handshake, settings.public_url):
        await _close(send, POLICY_VIOLATION, "origin not allowed")  # refuses the handshake
        return
    who = await asyncio.to_thread(_authenticate, app, handshake.cookies, exchange_id)
    await send({"type": "websocket.accept"})
    if who is None:
        # Accept, then close with 1008: a browser only sees the close code, and a refused handshake
        # looks like a network failure (1006) that the page would retry forever.
        await _close(send, POLICY_VIOLATION, "not signed in for this exchange")
        return
    # This socket's own language: what its person picked, else what their browser prefers.
    language = i18n.supported(who.language) or i18n.negotiate(handshake.headers.get("accept-language", "")[:500])
    i18n.begin(language)
    limits: Limits = app.state.limits
    held_as = f"{exchange_id}:{who.actor.id}"
    handle = await limits.open_socket(held_as)
    if handle is None:
        # The page says why and tries again now and then (a tab closed elsewhere makes room).
        await _close(send, TOO_MANY_SOCKETS, "too many sockets")
        return
    try:
        await _serve(app, receive, send, exchange_id, who, language)
    finally:
        await limits.close_socket(held_as, handle)


async def _serve(app: Any, receive: Receive, send: Send, exchange_id: int, who: _Who, language: str) -> None:
    settings = app.state.settings
    registry: HubRegistry = app.state.hubs
    hub = await registry.get(exchange_id)
    connection = Connection(who.actor, send=send, limit=settings.ws_queue_frames, session=who.session)
    connection.bucket = TokenBucket(app.state.limits.socket_rate)
    connection.language = language
    try:
        last_seq = await _hello(receive, send)
        if last_seq is False:
            return
        connection.offer(
            protocol.welcome(you=who.actor.model_dump(mode="json"), now=utcnow(), exchange_id=exchange_id)
        )
        await hub.connect(connection, last_seq)
        if who.participant is not None and hub.state.member(who.actor.id) is None:
            # An id nobody can guess (and dedupe is per sender anyway): no one can pre-empt this join.
            await hub.submit(Join(name=who.actor.name), who.actor, f"join:{secrets.token_urlsafe(16)}")
        await _read(app, receive, hub, connection)
    except asyncio.CancelledError:
        if connection.close_code is None:
            raise
        # Our own close gave up on a reader that won't read: return, and uvicorn drops the TCP.
    finally:
        connection.drop()
        hub.disconnect(connection)
        await registry.release(hub)


async def _hello(receive: Receive, send: Send) -> int | None | bool:
    """Read the hello frame: the last seq the client holds. False if the client never says it."""
    try:
        message = await asyncio.wait_for(receive(), HELLO_TIMEOUT)
        if message["type"] == "websocket.disconnect":
            return False
        frame = protocol.parse_client_frame(_text_of(message))
        if isinstance(frame, protocol.Hello):
            return frame.last_seq
        refusal = "The first message must be hello."
    except (TimeoutError, protocol.BadFrame) as exc:
        refusal = exc.message if isinstance(exc, protocol.BadFrame) else "Say hello first."
    await send({"type": "websocket.send", "text": protocol.error(code="hello_expected", message=refusal)})
    await _close(send, POLICY_VIOLATION, "hello expected")  # a reason the page can log
    return False


def _text_of(message: dict[str, Any]) -> str:
    text = message.get("text")
    if text is None:
        raise protocol.BadFrame("malformed", "Send text frames holding JSON.")
    return text


async def _read(app: Any, receive: Receive, hub: Hub, connection: Connection) -> None:
    """Handle the client's frames in order until it (or the server) closes the socket."""
    # Each frame is answered in a call of its own, so nothing of it stays referenced while the
    # socket waits for the next one (minutes, for some): the collector's rounds never walk it.
    while await _answer(app, hub, connection, await receive()):
        pass


async def _answer(app: Any, hub: Hub, connection: Connection, message: dict[str, Any]) -> bool:
    """Answer one message from the client; False once the socket is closed."""
    if message["type"] == "websocket.disconnect":
        return False
    try:
        frame = protocol.parse_client_frame(_text_of(message))
    except protocol.BadFrame as exc:
        connection.offer(protocol.error(code=exc.code, message=exc.message))
        return True
    if isinstance(frame, protocol.Ping):
        connection.offer(protocol.pong(t=frame.t, now=utcnow()))
    elif isinstance(frame, protocol.Hello):
        connection.offer(protocol.error(code="unexpected", message="Already said hello."))
    else:
        connection.used = True  # a staff login in use: its idle timeout starts again (accounts/sockets.py)
        if await _within_rate(app, connection):
            await _run_command(app, hub, connection, frame)
        else:
            connection.offer(protocol.rejected(command_id=frame.id, code="rate_limited", message=_rate_limited()))
    return True


def _rate_limited() -> str:
    return _("You're sending too fast, so that wasn't saved. Wait a few seconds, then try again.")


async def _within_rate(app: Any, connection: Connection) -> bool:
    """This socket's bucket first (in process), then the person's over all their sockets."""
    if connection.bucket is not None and not connection.bucket.take():
        return False
    return await app.state.limits.take(connection.actor.id)


async def _run_command(app: Any, hub: Hub, connection: Connection, frame: protocol.SendCommand) -> None:
    """Hand the command to the hub, which answers the socket (ack or rejected) once it is decided."""
    command = frame.command
    if isinstance(command, Join) and connection.actor.role is Role.PARTICIPANT:
        # A practitioner joins under the name the facilitator gave them (as the server's own join
        # does), never one they choose. Anyone else's join is refused for their role.
        command = command.model_copy(update={"name": connection.actor.name})
    if isinstance(command, StartExchange):
        if connection.actor.role is not Role.FACILITATOR:
            connection.offer(
                protocol.rejected(command_id=frame.id, code="forbidden", message=_("You aren't allowed to do that."))
            )
            return
        plan = await asyncio.to_thread(_load_plan, app, hub.exchange_id)
        if isinstance(plan, Rejected):
            connection.offer(protocol.rejected(command_id=frame.id, code=plan.code, message=plan.message))
            return
        command = command.model_copy(update={"plan": plan})
    outcome = await hub.submit(command, connection.actor, frame.id, reply_to=connection)
    if isinstance(command, RedactContribution) and isinstance(outcome, Accepted) and not outcome.duplicate:
        await asyncio.to_thread(_record_redaction, app, hub.exchange_id, connection.actor, command)


def _record_redaction(app: Any, exchange_id: int, actor: Actor, command: RedactContribution) -> None:
    """A redaction from a lead's console goes into the programme's security log."""
    prefix, _sep, number = actor.id.partition(":")
    with Session(app.state.engine) as db:
        exchange = db.get(Exchange, exchange_id)
        if exchange is None or prefix != "staff" or not number.isdigit():
            return
        detail = {"item": command.item_id, "via": "console"}
        audit.record(
            db, audit.Kind.REDACTION, who=int(number), programme_id=exchange.programme_id, exchange_id=exchange_id,
            detail=detail,
        )
        db.commit()
