"""The invitation emails on the exchange page: how each one went, sending one again, and the ready
`mailto:` link and message text when this server sends no mail (EXCHANGE_SMTP_HOST unset)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from exchange import audit, mail
from exchange.deps import AppSettings, CsrfProtected, CurrentStaff, DbSession
from exchange.i18n import _
from exchange.programmes import invite_mail, mail_jobs, service
from exchange.programmes.models import Exchange, ExchangeStatus, Participant
from exchange.settings import Settings

router = APIRouter()
forget_invitation = mail_jobs.forget_invitation


def page_context(db: Session, settings: Settings, exchange: Exchange, participants: list[Participant], links: dict[int, str]) -> dict[str, object]:
    """What the exchange page shows of the invitations: mail on or off, each delivery, each ready message."""
    by_id = {p.id: p for p in participants}
    messages = {pid: invite_mail.mailto(exchange, by_id[pid], link=link) for pid, link in links.items()}
    return {
        "mail_on": mail.configured(settings),
        "deliveries": mail_jobs.invite_status(db, participants),
        "reminders": mail_jobs.reminders_of(db, participants),
        "mailtos": {pid: url for pid, (url, _text) in messages.items()},
        "invite_texts": {pid: text for pid, (_url, text) in messages.items()},
        "languages": [(code, invite_mail.language_name(code)) for code in invite_mail.LANGUAGES],
        "language_names": {code: invite_mail.language_name(code) for code in invite_mail.LANGUAGES},
    }


async def email_invitation(
    request: Request, db: Session, settings: Settings, user_id: int, exchange: Exchange, participant: Participant
) -> None:
    """Email the invitation if it can go (mail on, an address, the link unopened) and log that it went."""
    if not (mail.configured(settings) and mail_jobs.may_email(participant)):
        return
    error = await mail_jobs.send_invitation(db, settings, exchange, participant)
    audit.record(
        db, audit.Kind.INVITE_EMAILED if error is None else audit.Kind.INVITE_EMAIL_FAILED, who=user_id,
        address=audit.address_of(request), programme_id=exchange.programme_id, exchange_id=exchange.id,
        detail={"participant": participant.id},
    )
    db.commit()


@router.post("/exchanges/{exchange_id}/participants/{participant_id}/email", dependencies=[CsrfProtected])
async def participant_email(
    request: Request, exchange_id: int, participant_id: int, db: DbSession, user: CurrentStaff, settings: AppSettings
) -> Response:
    """Send the invitation (again): for a failed send, or one the practitioner can't find."""
    exchange = service.exchange_for(db, user=user, exchange_id=exchange_id)
    participant = service.participant_in(db, exchange=exchange, participant_id=participant_id) if exchange else None
    if exchange is None or participant is None:
        raise HTTPException(status_code=404)
    if not mail.configured(settings):
        raise HTTPException(status_code=409, detail=_("This server sends no mail. Use the ready message instead."))
    if exchange.status == ExchangeStatus.ENDED:
        raise HTTPException(status_code=409, detail=_("This exchange has ended."))
    if not mail_jobs.may_email(participant):
        raise HTTPException(
            status_code=409, detail=_("Only an unopened link can be emailed, to a practitioner with an email address.")
        )
    assert user.id is not None
    await email_invitation(request, db, settings, user.id, exchange, participant)
    return RedirectResponse(f"/exchanges/{exchange_id}#participant-{participant_id}", status_code=303)
