"""The practitioner's side before the live session: the invite link, the ground rules, the lobby."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from exchange.auth import CookieSigner, looks_like_token, participant_cookie_name, participant_cookie_path
from exchange.deps import AppSettings, CsrfProtected, DbSession, OptionalParticipant, Signer
from exchange.i18n import _
from exchange.programmes import ics, service
from exchange.programmes.models import Consent, Exchange, Participant
from exchange.settings import resolve_secret
from exchange.templating import in_zone, render

router = APIRouter()


def link_not_valid(request: Request) -> Response:
    """One plain answer for unknown, revoked and malformed links, so none reveals anything."""
    return render(request, "participant/invalid.html", status_code=404)


def _set_participant_cookie(response: Response, *, signer: CookieSigner, participant: Participant, settings) -> None:  # noqa: ANN001
    value = signer.dumps({"p": participant.id, "v": participant.token_version}, salt="participant")
    response.set_cookie(
        participant_cookie_name(participant.exchange_id),
        value,
        max_age=settings.participant_cookie_days * 86400,
        path=participant_cookie_path(participant.exchange_id),
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )


@router.get("/join/{token:path}")  # a mangled link with a slash in it is just not valid
def join(request: Request, token: str, db: DbSession, signer: Signer, settings: AppSettings) -> Response:
    participant = service.participant_by_token(db, token=token) if looks_like_token(token) else None
    if participant is None:
        return link_not_valid(request)
    response = RedirectResponse(f"/e/{participant.exchange_id}", status_code=303)
    _set_participant_cookie(response, signer=signer, participant=participant, settings=settings)
    return response


def _lobby(request: Request, exchange: Exchange, participant: Participant, *, error: str | None = None):  # noqa: ANN202
    return render(
        request,
        "participant/lobby.html",
        status_code=400 if error else 200,
        exchange=exchange,
        participant=participant,
        plan=service.plan_of(exchange),
        local_start=in_zone(exchange.starts_at, exchange.timezone),
        consents=list(Consent),
        initials=service.display_initials(participant.name),
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
