"""The personal link, a key for one device: opening it, claiming it, and moving it with a handover code.

`GET /join/<token>` only shows a page (mail scanners and other sites can't use a link up or swap who a
browser is); the practitioner's own POST claims it. Staff browsers are told the link isn't theirs.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from exchange import audit
from exchange.auth import CookieSigner, looks_like_token, participant_cookie_name, participant_cookie_path
from exchange.deps import AppSettings, CsrfProtected, DbSession, OptionalParticipant, OptionalStaff, Signer
from exchange.i18n import _, ngettext
from exchange.programmes import keys, service
from exchange.programmes.models import Exchange, Participant
from exchange.settings import Settings, resolve_secret
from exchange.templating import render

router = APIRouter()

#: A copy of the device cookie that only /join/ pages see, so a device that opens its own link
#: again goes straight to its page (the main cookie is scoped to /e/<id>).
LINK_COOKIE_PATH = "/join/"


def link_cookie_name(exchange_id: int) -> str:
    return f"exchange_j{exchange_id}"


def link_not_valid(request: Request) -> Response:
    """One plain answer for unknown, revoked and malformed links, so none reveals anything."""
    return render(request, "participant/invalid.html", status_code=404)


def _participant(db: DbSession, token: str) -> Participant | None:
    return service.participant_by_token(db, token=token) if looks_like_token(token) else None


def _this_device(request: Request, db: DbSession, signer: CookieSigner, participant: Participant) -> bool:
    """Whether this browser already holds the device cookie of this very link."""
    raw = request.cookies.get(link_cookie_name(participant.exchange_id))
    found = keys.participant_for_cookie(db, signer=signer, raw=raw, exchange_id=participant.exchange_id)
    return found is not None and found.id == participant.id


def _set_device_cookies(response: Response, *, value: str, exchange_id: int, settings: Settings) -> None:
    for name, path in (
        (participant_cookie_name(exchange_id), participant_cookie_path(exchange_id)),
        (link_cookie_name(exchange_id), LINK_COOKIE_PATH),
    ):
        response.set_cookie(
            name,
            value,
            max_age=settings.participant_cookie_days * 86400,
            path=path,
            httponly=True,
            samesite="lax",
            secure=settings.https,  # path-scoped, so Secure but never __Host-
        )


def _record(request: Request, db: DbSession, kind: audit.Kind, participant: Participant, **detail: str) -> None:
    """A practitioner's own step with their link (opened, handed over) in the programme's security log."""
    exchange = db.get(Exchange, participant.exchange_id)
    audit.record(
        db, kind, who=f"p:{participant.id}", address=audit.address_of(request),
        programme_id=exchange.programme_id if exchange else None, exchange_id=participant.exchange_id, detail=detail,
    )


def _to_page(participant: Participant) -> RedirectResponse:
    return RedirectResponse(f"/e/{participant.exchange_id}", status_code=303)


def _staff_guard(request: Request) -> Response:
    return render(request, "participant/staff_guard.html", status_code=403)


def _opened_elsewhere(
    request: Request, db: DbSession, token: str, participant: Participant, *, error: str | None = None, status_code: int = 200
) -> Response:
    """The link is bound to another device: how to move here, and nothing of the exchange but its title."""
    exchange = db.get(Exchange, participant.exchange_id)
    return render(
        request,
        "participant/opened.html",
        status_code=status_code,
        token=token,
        title=exchange.title if exchange else "",
        form={},
        errors={"code": error} if error else {},
    )


@router.post("/join/{token}/handover", dependencies=[CsrfProtected])
async def join_handover(
    request: Request, token: str, db: DbSession, signer: Signer, settings: AppSettings, staff: OptionalStaff
) -> Response:
    """The other device enters the code its owner was shown: the place moves here, the old device is out."""
    participant = _participant(db, token)
    if participant is None:
        return link_not_valid(request)
    if staff is not None:
        return _staff_guard(request)
    if participant.claimed_at is None:
        return RedirectResponse(f"/join/{token}", status_code=303)  # nothing to move: claim it instead
    typed = (await request.form()).get("code")
    outcome = keys.redeem_handover(
        db, secret=resolve_secret(settings), participant=participant, typed=typed if isinstance(typed, str) else ""
    )
    if isinstance(outcome, tuple):
        _record(request, db, audit.Kind.HANDOVER_FAILED, participant, reason=outcome[0].value)
    else:
        _record(request, db, audit.Kind.HANDOVER_DONE, participant)
    db.commit()
    if isinstance(outcome, tuple):
        refused, left = outcome
        if refused is keys.HandoverRefused.MALFORMED:
            error = _("A handover code has 8 letters and digits, like K7QF-3XPM. Please check it and try again.")
        elif refused is keys.HandoverRefused.WRONG:
            error = ngettext(
                "That code is not right. You can try {n} more time.",
                "That code is not right. You can try {n} more times.",
                left,
            ).format(n=left)
        else:
            error = _(
                "That code no longer works: a code lasts {minutes} minutes, works once and stops after {tries} "
                "wrong tries. Make a new one on your other device."
            ).format(minutes=int(keys.HANDOVER_LIFETIME.total_seconds() // 60), tries=keys.HANDOVER_TRIES)
        return _opened_elsewhere(request, db, token, participant, error=error, status_code=400)
    # The device that had the place is signed out at once, on every instance.
    await request.app.state.hubs.kick(participant.exchange_id, f"p:{participant.id}")
    response = _to_page(participant)
    _set_device_cookies(
        response, value=keys.cookie_value(signer, participant, outcome), exchange_id=participant.exchange_id, settings=settings
    )
    return response


@router.get("/join/{token:path}")  # a mangled link with a slash in it is just not valid
def join(request: Request, token: str, db: DbSession, signer: Signer, staff: OptionalStaff) -> Response:
    """Show what opening the link means; change nothing (claiming is the practitioner's own POST)."""
    participant = _participant(db, token)
    if participant is None:
        return link_not_valid(request)
    if _this_device(request, db, signer, participant):
        return _to_page(participant)
    if staff is not None:
        return _staff_guard(request)
    if participant.claimed_at is not None:
        return _opened_elsewhere(request, db, token, participant)
    exchange = db.get(Exchange, participant.exchange_id)
    return render(request, "participant/welcome.html", token=token, participant=participant, exchange=exchange)


@router.post("/join/{token:path}", dependencies=[CsrfProtected])
def join_claim(
    request: Request, token: str, db: DbSession, signer: Signer, settings: AppSettings, staff: OptionalStaff
) -> Response:
    """Claim an unopened link for this browser: a fresh device secret in its cookie."""
    participant = _participant(db, token)
    if participant is None:
        return link_not_valid(request)
    if _this_device(request, db, signer, participant):
        return _to_page(participant)
    if staff is not None:
        return _staff_guard(request)
    device_secret = keys.claim(db, participant=participant) if participant.claimed_at is None else None
    if device_secret is None:
        return _opened_elsewhere(request, db, token, participant, status_code=409)
    _record(request, db, audit.Kind.LINK_OPENED, participant)
    db.commit()
    response = _to_page(participant)
    value = keys.cookie_value(signer, participant, device_secret)
    _set_device_cookies(response, value=value, exchange_id=participant.exchange_id, settings=settings)
    return response


@router.post("/e/{exchange_id}/handover", dependencies=[CsrfProtected])
def handover_code(
    request: Request, exchange_id: int, db: DbSession, participant: OptionalParticipant, settings: AppSettings
) -> Response:
    """A short code, shown on this device, that moves the place to another device once."""
    exchange = db.get(Exchange, exchange_id) if service.valid_id(exchange_id) else None
    if participant is None or exchange is None:
        return link_not_valid(request)
    code, expires = keys.start_handover(db, secret=resolve_secret(settings), participant=participant)
    _record(request, db, audit.Kind.HANDOVER_STARTED, participant)
    db.commit()
    return render(
        request,
        "participant/handover.html",
        exchange=exchange,
        code=keys.grouped(code),
        expires=expires,
        minutes=int(keys.HANDOVER_LIFETIME.total_seconds() // 60),
    )

