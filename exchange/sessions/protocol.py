"""The versioned wire schema between the live pages and the server (documented in docs/protocol.md).

Client frames are validated with Pydantic; server frames are built here as JSON text, so a frame
meant for many sockets is encoded once.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError
from pydantic_core import to_json

from exchange.sessions.commands import Command
from exchange.timeutil import iso_utc

PROTOCOL_VERSION = 1
CommandId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{8,64}$")]


class Hello(BaseModel):
    """The first frame: which protocol the page speaks and the last seq it holds (None: nothing yet)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["hello"]
    protocol: Literal[1] = 1
    last_seq: int | None = Field(default=None, ge=0)


class SendCommand(BaseModel):
    """A command with the client's id for it, so a resent command is applied once."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["command"]
    id: CommandId
    command: Command


class Ping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["ping"]
    t: float | None = None


ClientFrame = Annotated[Hello | SendCommand | Ping, Field(discriminator="type")]
client_frame = TypeAdapter(ClientFrame)


class BadFrame(ValueError):
    """A frame the server can't use; answered with an error frame, the socket stays open."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


#: Deeper than any frame the pages send (a command is three levels); bounds the work a frame costs.
MAX_DEPTH = 16
#: Larger than any seq, count or time a frame may hold; bigger numbers are refused before validation.
MAX_INT = 2**53


def _no_constant(name: str) -> float:
    raise BadFrame("malformed", "Numbers must be finite: NaN and Infinity aren't JSON.")


def _finite(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):  # 1e309 and the like parse to infinity
        raise BadFrame("malformed", "That number is too large.")
    return value


def _check_shape(data: object) -> None:
    """Refuse JSON nested deeper than MAX_DEPTH or holding integers beyond MAX_INT (iteratively: no recursion)."""
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
                raise BadFrame("malformed", "That number is too large.")
            continue
        if depth >= MAX_DEPTH:
            raise BadFrame("malformed", "That message is nested too deeply.")
        stack.extend((child, depth + 1) for child in children)


def _location(loc: tuple[Any, ...]) -> str:
    """Where a validation error is, for the message: bounded and printable (keys are the client's own)."""
    where = ".".join(str(part) for part in loc[1:]) or "message"
    where = "".join(c if c.isprintable() else "?" for c in where)
    return where if len(where) <= 80 else where[:79] + "…"


def parse_client_frame(text: str) -> Hello | SendCommand | Ping:
    """Validate one text frame; raises BadFrame with a code and a readable message, whatever the text.

    Nothing in a frame can raise anything else: not JSON at all, NaN or Infinity, numbers too large
    for a float, nesting deep enough to exhaust the parser's recursion, a "type" that is a list.
    """
    try:
        data = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except BadFrame:
        raise
    except (ValueError, RecursionError):  # ValueError also covers ints of more than 4,300 digits
        raise BadFrame("malformed", "That message isn't valid JSON.") from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise BadFrame("malformed", "A message must be a JSON object with a type.")
    if data["type"] not in {"hello", "command", "ping"}:
        raise BadFrame("unknown_type", "That kind of message isn't known.")
    _check_shape(data)
    try:
        return client_frame.validate_python(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        if first["type"] == "union_tag_invalid":
            raise BadFrame("unknown_command", "That command isn't known.") from None
        raise BadFrame("invalid", f"{_location(first['loc'])}: {first['msg']}") from None


def _refuse(value: object) -> object:
    raise TypeError(f"can't encode {type(value).__name__}")


def _dump(value: Any) -> str:
    """Compact JSON text, UTF-8 unescaped: what `json.dumps(value, separators=(",", ":"),
    ensure_ascii=False)` gives (a float may be spelled otherwise, 0.00006 for 6e-05, never valued
    otherwise), three to four times faster: pydantic-core's encoder, and building frames is a fifth
    of the server's work under load. Values are JSON's own types: views and events format their
    moments themselves (`iso_utc`)."""
    return to_json(value, fallback=_refuse).decode()


def welcome(*, you: dict[str, Any], now: datetime, exchange_id: int) -> str:
    return _dump(
        {
            "type": "welcome",
            "protocol": PROTOCOL_VERSION,
            "exchange_id": exchange_id,
            "you": you,
            "server_time": iso_utc(now),
        }
    )


#: A view as sent: each top-level part with its JSON text. A projection (see views.Projection)
#: keeps a part's old objects while they still equal the new ones, so an unchanged part is encoded
#: once, and the objects it holds are long-lived (frozen, not walked by every collection).
Part = tuple[Any, str]
EncodedView = dict[str, Part]


def encoded(value: Any) -> Part:
    """A part of a view with its JSON text."""
    return value, _dump(value)


def _object(parts: dict[str, Part | None]) -> str:
    """A JSON object from already encoded parts (None: null)."""
    return "{" + ",".join(f"{_dump(key)}:{'null' if part is None else part[1]}" for key, part in parts.items()) + "}"


def events(
    *,
    seq: int,
    events: list[dict[str, Any]],
    view: EncodedView | None = None,
    changes: dict[str, Part | None] | None = None,
    items: dict[str, Part] | None = None,
) -> str:
    """New events (already filtered for the role) and the view they lead to: whole, or its changes:
    parts replaced whole ("changes") and lists of items changed item by item ("items": see
    views.item_delta)."""
    if (view is None) == (changes is None):
        raise ValueError("an events frame carries either the whole view or its changes")
    head = f'{{"type":"events","seq":{int(seq)},"events":{_dump(events)},'
    if view is not None:
        return f'{head}"view":{_object(dict(view))}}}'
    if items:
        return f'{head}"changes":{_object(changes or {})},"items":{_object(dict(items))}}}'
    return f'{head}"changes":{_object(changes or {})}}}'


def snapshot(*, seq: int, view: EncodedView) -> str:
    """The whole view, for a client too far behind to replay events."""
    return f'{{"type":"snapshot","seq":{int(seq)},"view":{_object(dict(view))}}}'


def personal(*, seq: int, data: dict[str, Any]) -> str:
    """What only this practitioner may see (their private notes, their own votes, ...)."""
    return _dump({"type": "personal", "seq": seq, "data": data})


def ack(*, command_id: str, seq: int) -> str:
    return _dump({"type": "ack", "id": command_id, "seq": seq})


def rejected(*, command_id: str, code: str, message: str) -> str:
    return _dump({"type": "rejected", "id": command_id, "code": code, "message": message})


def error(*, code: str, message: str) -> str:
    return _dump({"type": "error", "code": code, "message": message})


def presence(*, online: list[str]) -> str:
    return _dump({"type": "presence", "online": online})


def pong(*, t: float | None, now: datetime) -> str:
    return _dump({"type": "pong", "t": t, "server_time": iso_utc(now)})
