"""The practitioner's side before the live session: the ground rules and the lobby (links: `links.py`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from exchange.deps import AppSettings, CsrfProtected, DbSession, OptionalParticipant
from exchange.i18n import _
from exchange.programmes import ics, service
from exchange.programmes.links import link_not_valid
from exchange.programmes.models import Consent, Exchange, Participant
from exchange.prompts import translate
from exchange.settings import resolve_secret
from exchange.templating import in_zone, render

router = APIRouter()


def _lobby(request: Request, exchange: Exchange, participant: Participant, *, error: str | None = None):  # noqa: ANN202
    return render(
        request,
        "participant/lobby.html",
        status_code=400 if error else 200,
        exchange=exchange,
        participant=participant,
        plan=translate.plan(service.plan_of(exchange)),
        plan_text=translate.live_texts(service.plan_of(exchange)),
        local_start=in_zone(exchange.starts_at, exchange.timezone),
        consents=list(Consent),
        initials=service.display_initials(participant.name),
        language=participant.language or "",
        error=error,
    )


@router.get("/e/{exchange_id}")
def lobby(request: Request, exchange_id: int, db: DbSession, participant: OptionalParticipant) -> Response:
    exchange = db.get(Exchange, exchange_id) if service.valid_id(exchange_id) else None
    if participant is None or exchange is None:
        return link_not_valid(request)
    return _lobby(request, exchange, participant)


@router.post("/e/{exchange_id}/agree", dependencies=[CsrfProtected])
async def agree(request: Request, exchange_id: int, db: DbSession, participant: OptionalParticipant) -> Response:
    exchange = db.get(Exchange, exchange_id) if service.valid_id(exchange_id) else None
    if participant is None or exchange is None:
        return link_not_valid(request)
    form = await request.form()
    consent = form.get("consent")
    if form.get("accept") != "yes":
        return _lobby(request, exchange, participant, error=_("Please read and accept the ground rules to continue."))
    if consent not in {c.value for c in Consent}:
        return _lobby(request, exchange, participant, error=_("Please choose how you would like to appear in the record."))
    service.accept_rules(db, participant=participant, consent=Consent(consent))
    db.commit()
    return RedirectResponse(f"/e/{exchange_id}", status_code=303)


@router.get("/e/{exchange_id}/exchange.ics")
def personal_calendar(
    request: Request, exchange_id: int, db: DbSession, participant: OptionalParticipant, settings: AppSettings
) -> Response:
    exchange = db.get(Exchange, exchange_id) if service.valid_id(exchange_id) else None
    if participant is None or exchange is None:
        return link_not_valid(request)
    link = f"{settings.base_url}/join/{service.invite_token(resolve_secret(settings), participant)}"
    body = ics.calendar(exchange, url=link, description_extra=_("Your personal link: {link}").format(link=link))
    return ics.response(body, filename=f"exchange-{exchange_id}.ics")
