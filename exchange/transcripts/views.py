"""Transcript downloads for programme members, one's own contributions for a practitioner, redaction."""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from exchange import audit
from exchange.accounts.models import StaffRole
from exchange.deps import (
    CsrfProtected,
    CurrentStaff,
    DbSession,
    OptionalStaff,
)
from exchange.i18n import _
from exchange.programmes import service
from exchange.programmes.models import Exchange, Programme
from exchange.programmes.views import stories_deleted
from exchange.sessions.activities.base import Rejected
from exchange.sessions.activities.redaction_data import RedactContribution
from exchange.sessions.commands import Actor, Role
from exchange.templating import render
from exchange.transcripts.service import (
    FORMATS,
    record_status,
    MEDIA_TYPES,
    export,
    meta_of,
    programme_zip,
    roster_of,
)

router = APIRouter()
COMMAND_ID = re.compile(r"[A-Za-z0-9_.:-]{8,64}")  # as protocol.CommandId


def _member_exchange(db: DbSession, user: OptionalStaff, exchange_id: int) -> Exchange:
    """The exchange if a member of its programme asks (leads and facilitators alike); 404 otherwise."""
    exchange = service.exchange_for(db, user=user, exchange_id=exchange_id) if user is not None else None
    if exchange is None:
        raise HTTPException(status_code=404)
    return exchange


def download(body: str, fmt: str, filename: str) -> Response:
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    if fmt == "html":  # a standalone document: no script, nothing external
        headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)


@router.get("/exchanges/{exchange_id}/transcript.{fmt}")
def transcript(request: Request, exchange_id: int, fmt: str, db: DbSession, user: OptionalStaff) -> Response:
    if fmt not in FORMATS:
        raise HTTPException(status_code=404)
    exchange = _member_exchange(db, user, exchange_id)
    if exchange.purged_at is not None:
        return stories_deleted(request, exchange)
    envelopes = request.app.state.hubs.store.read_sync(exchange_id)
    body = export(fmt, envelopes, meta_of(db, exchange), roster_of(db, exchange))
    assert user is not None
    audit.record(
        db, audit.Kind.EXPORT_TRANSCRIPT, who=user.id, address=audit.address_of(request),
        programme_id=exchange.programme_id, exchange_id=exchange_id, detail={"format": fmt},
    )
    db.commit()
    return download(body, fmt, f"exchange-{exchange_id}-transcript.{fmt}")


@router.get("/programmes/{programme_id}/export.zip")
def programme_export(request: Request, programme_id: int, db: DbSession, user: OptionalStaff) -> Response:
    """Every exchange of the programme in every format plus one CSV, for its members; 404 otherwise."""
    programme: Programme | None = (
        service.programme_for(db, user=user, programme_id=programme_id) if user is not None else None
    )
    if programme is None:
        raise HTTPException(status_code=404)
    body = programme_zip(db, request.app.state.hubs.store, programme)
    assert user is not None
    audit.record(db, audit.Kind.EXPORT_PROGRAMME, who=user.id, address=audit.address_of(request), programme_id=programme_id)
    db.commit()
    headers = {
        "Content-Disposition": f'attachment; filename="programme-{programme_id}-transcripts.zip"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    return Response(body, media_type="application/zip", headers=headers)


#: The longest review a facilitator may give the tellers before the record is released.
MAX_REVIEW_DAYS = 90


@router.post("/exchanges/{exchange_id}/review-period", dependencies=[CsrfProtected])
async def review_period(request: Request, exchange_id: int, db: DbSession, user: CurrentStaff) -> Response:
    """How many days after the end the tellers review the record before it is released."""
    raw = str((await request.form()).get("review_days", "")).strip()

    def save() -> Response:
        exchange = service.exchange_for(db, user=user, exchange_id=exchange_id)
        if exchange is None:
            raise HTTPException(status_code=404)
        if not record_status(exchange).editable:
            message = _("The record has been released; its review period can't change any more.")
            return render(request, "error.html", status_code=409, title=_("Nothing was changed"), message=message)
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 3) or not 0 <= int(raw) <= MAX_REVIEW_DAYS:
            message = _("Give the review period in whole days, from 0 to {max}.").format(max=MAX_REVIEW_DAYS)
            return render(request, "error.html", status_code=400, title=_("Nothing was changed"), message=message)
        exchange.review_days = int(raw)
        db.add(exchange)
        db.commit()
        return RedirectResponse(f"/exchanges/{exchange_id}#transcript-h", status_code=303)

    return await run_in_threadpool(save)


@router.post("/exchanges/{exchange_id}/redactions", dependencies=[CsrfProtected])
async def redact(request: Request, exchange_id: int, db: DbSession, user: CurrentStaff) -> Response:
    """A lead of the exchange's programme redacts a contribution, with a reason, through the hub."""
    exchange = service.exchange_for(db, user=user, exchange_id=exchange_id)
    if exchange is None or user.role != StaffRole.LEAD:
        raise HTTPException(status_code=404)
    if exchange.purged_at is not None:
        return stories_deleted(request, exchange)
    form = await request.form()
    try:
        command = RedactContribution(item_id=str(form.get("item_id", "")), reason=str(form.get("reason", "")))
    except ValidationError:
        message = _("Give the contribution's id (like story-3) and a reason of at most 500 characters.")
        return render(request, "error.html", status_code=400, title=_("Nothing was redacted"), message=message)
    hub = await request.app.state.hubs.get(exchange_id)
    actor = Actor(role=Role.LEAD, id=f"staff:{user.id}", name=user.name)
    submitted = str(form.get("command_id", ""))
    # Into the log's command_id column, so only what a socket's command id may be (a NUL made PostgreSQL raise).
    command_id = submitted if COMMAND_ID.fullmatch(submitted) else None
    outcome = await hub.submit(command, actor, command_id)
    if isinstance(outcome, Rejected):
        return render(request, "error.html", status_code=400, title=_("Nothing was redacted"), message=outcome.message)
    if not getattr(outcome, "duplicate", False):
        audit.record(
            db, audit.Kind.REDACTION, who=user.id, address=audit.address_of(request),
            programme_id=exchange.programme_id, exchange_id=exchange_id, detail={"item": command.item_id, "via": "page"},
        )
        db.commit()
    return RedirectResponse(f"/exchanges/{exchange_id}", status_code=303)
