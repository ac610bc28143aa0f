"""Which language each page speaks: the browser's preference, unless the person picked their own.

A practitioner picks theirs in the lobby (independent of everyone else in the exchange, changeable at
any time); a facilitator or lead on their account page. Both are stored on the person's row.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from exchange import i18n
from exchange.deps import CsrfProtected, CurrentStaff, DbSession, OptionalParticipant
from exchange.programmes import service
from exchange.programmes.links import link_not_valid
from exchange.programmes.models import Exchange

router = APIRouter()

#: What a language form may send: a code we ship, or "" for "as my browser says".
LanguageField = Annotated[str, Form(max_length=i18n.CODE_MAX)]


class LanguageMiddleware:
    """Each HTTP request starts in the language its browser prefers (Accept-Language)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            header = next((v for k, v in scope["headers"] if k == b"accept-language"), b"")
            i18n.begin(i18n.negotiate(header.decode("latin-1")[:500]))
        await self.app(scope, receive, send)


def _picked(language: str) -> str | None | bool:
    """A stored choice: a shipped code, None for the browser's choice, False when it's neither."""
    if language.strip() == "":
        return None
    code = i18n.supported(language)
    return code if code is not None and code.lower() == language.strip().lower() else False


@router.post("/e/{exchange_id}/language", dependencies=[CsrfProtected])
def practitioner_language(
    request: Request, exchange_id: int, db: DbSession, participant: OptionalParticipant, language: LanguageField = ""
) -> Response:
    """The practitioner's own language, for their pages, live view, calendar file and exports."""
    exchange = db.get(Exchange, exchange_id) if service.valid_id(exchange_id) else None
    if participant is None or exchange is None:
        return link_not_valid(request)
    picked = _picked(language)
    if picked is False:
        return Response(status_code=400)
    participant.language = picked or None
    db.add(participant)
    db.commit()
    return RedirectResponse(f"/e/{exchange_id}", status_code=303)


@router.post("/account/language", dependencies=[CsrfProtected])
def staff_language(db: DbSession, user: CurrentStaff, language: LanguageField = "") -> Response:
    """A facilitator's or lead's own language, for every page and console they open."""
    picked = _picked(language)
    if picked is False:
        return Response(status_code=400)
    user.language = picked or None
    db.add(user)
    db.commit()
    return RedirectResponse("/account?changed=language", status_code=303)
