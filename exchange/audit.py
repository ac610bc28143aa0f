"""The security log: one call records who did what, where, as a row and as a structured log line.

    from exchange import audit
    audit.record(db, audit.Kind.LINK_REVOKED, who=user.id, address=audit.address_of(request),
                 programme_id=exchange.programme_id, exchange_id=exchange.id, detail={"participant": 12})

`who` is a staff user id (int), "p:<id>" for a practitioner, or None when only the client address is
known. The row joins the caller's transaction (the caller commits, so a rolled-back action leaves no
record); the log line goes out at once. Nothing secret may go in: `detail` refuses keys that name a
password, token, code, secret, link or cookie, takes only short plain values, and the address is the
one uvicorn took from the trusted proxy's X-Forwarded-For.

Leads read a programme's log at /programmes/{id}/security (exchange/accounts/security_page.py): the
programme's own events, and the account events (logins, failures, password changes) of its members.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from enum import StrEnum

from sqlmodel import Session
from starlette.requests import HTTPConnection

from exchange.accounts.models import SecurityEvent
from exchange.timeutil import utcnow

log = logging.getLogger("exchange.security")

#: Words a detail key may not contain: what is behind them must never reach the log.
_SECRET_WORDS = ("password", "token", "code", "secret", "link", "cookie", "hash")
_MAX_TEXT = 200


class Kind(StrEnum):
    LOGIN = "login"
    LOGIN_FAILED = "login.failed"
    LOGIN_THROTTLED = "login.throttled"
    LOGOUT = "logout"
    LOGOUT_EVERYWHERE = "logout.everywhere"
    PASSWORD_CHANGED = "password.changed"
    PASSWORD_CHANGE_FAILED = "password.change_failed"
    LINK_ISSUED = "link.issued"
    LINK_OPENED = "link.opened"
    LINK_REVOKED = "link.revoked"
    LINK_REISSUED = "link.reissued"
    INVITE_EMAILED = "invite.emailed"
    INVITE_EMAIL_FAILED = "invite.email_failed"
    STAFF_INVITE_SENT = "staff_invite.sent"
    STAFF_INVITE_ACCEPTED = "staff_invite.accepted"
    STAFF_INVITE_REVOKED = "staff_invite.revoked"
    HANDOVER_STARTED = "handover.started"
    HANDOVER_DONE = "handover.done"
    HANDOVER_FAILED = "handover.failed"
    MEMBER_ADDED = "member.added"
    MEMBER_REMOVED = "member.removed"
    EXPORT_TRANSCRIPT = "export.transcript"
    EXPORT_PROGRAMME = "export.programme"
    EXPORT_OWN = "export.own"
    REDACTION = "redaction"


Detail = Mapping[str, str | int | bool | None]


def _clean(detail: Detail | None) -> dict[str, str | int | bool | None]:
    cleaned: dict[str, str | int | bool | None] = {}
    for key, value in (detail or {}).items():
        if any(word in key.lower() for word in _SECRET_WORDS):
            raise ValueError(f"security log detail may not hold {key!r}")
        if not isinstance(value, str | int | bool | None):
            raise TypeError(f"security log detail {key!r} must be a plain value")
        cleaned[key[:40]] = value[:_MAX_TEXT] if isinstance(value, str) else value
    return cleaned


def _actor(who: int | str | None) -> tuple[str, int | None]:
    if who is None:
        return "", None
    if isinstance(who, int) and not isinstance(who, bool):
        return f"staff:{who}", who
    if isinstance(who, str) and who.startswith("p:") and who[2:].isdigit():
        return who, None
    raise ValueError(f"who must be a staff user id or 'p:<id>', not {who!r}")


def record(
    db: Session,
    kind: Kind,
    *,
    who: int | str | None,
    address: str = "",
    user_id: int | None = None,
    programme_id: int | None = None,
    exchange_id: int | None = None,
    detail: Detail | None = None,
) -> SecurityEvent:
    """Record a security event in the caller's transaction and log it.

    `user_id`: the staff account it concerns when that is not `who` (e.g. the account a failed login
    named); defaults to `who` when `who` is a staff user id.
    """
    actor, staff_id = _actor(who)
    event = SecurityEvent(
        at=utcnow(),
        kind=str(Kind(kind)),
        actor=actor,
        user_id=user_id if user_id is not None else staff_id,
        address=address[:64],
        programme_id=programme_id,
        exchange_id=exchange_id,
        detail=_clean(detail),
    )
    db.add(event)
    fields = {
        "event": event.kind,
        "actor": actor or "-",
        "user_id": event.user_id,
        "address": event.address or "-",
        "programme_id": programme_id,
        "exchange_id": exchange_id,
        "detail": event.detail,
    }
    log.info("security %s", json.dumps(fields, ensure_ascii=False, sort_keys=True), extra={"fields": fields})
    return event


def address_of(connection: HTTPConnection) -> str:
    """The client's address: uvicorn sets it from X-Forwarded-For when the proxy is trusted
    (EXCHANGE_FORWARDED_ALLOW_IPS), else it is the peer's own address."""
    client = connection.client
    return client.host if client is not None and client.host else "unknown"
