"""Every dependency alias in one place: database sessions, the signed-in staff user, the practitioner."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlmodel import Session

from exchange import i18n
from exchange.accounts.models import StaffRole, StaffUser
from exchange.accounts.service import login_for
from exchange.auth import CSRF_FIELD, CookieSigner, csrf_matches, participant_cookie_name, staff_cookie_name
from exchange.programmes.keys import participant_for_cookie
from exchange.programmes.models import Participant
from exchange.settings import Settings


class LoginRequired(Exception):
    """Raised by page dependencies when nobody is signed in; answered with a redirect to /login."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class CsrfFailed(Exception):
    """A state-changing form came without the token from its own page."""


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_signer(request: Request) -> CookieSigner:
    return request.app.state.signer


def get_db(request: Request) -> Iterator[Session]:
    """One short-lived session per request; committed by the handler that changes things."""
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


AppSettings = Annotated[Settings, Depends(get_settings_dep)]
Signer = Annotated[CookieSigner, Depends(get_signer)]
DbSession = Annotated[Session, Depends(get_db)]


def optional_staff(request: Request, db: DbSession) -> StaffUser | None:
    """The signed-in staff user, if their session is alive (neither timeout passed); its last use is
    refreshed here at most about once a minute. `request.state.staff_session` holds its token hash."""
    settings: Settings = request.app.state.settings
    token = request.cookies.get(staff_cookie_name(settings.https))
    idle = timedelta(minutes=settings.staff_idle_minutes)
    login = login_for(db, token=token, idle=idle) if token and len(token) < 100 else None
    if login is not None and login.touched:
        db.commit()
    request.state.staff = login.user if login is not None else None
    if login is not None:
        i18n.choose(login.user.language)  # their own language, over the browser's
    request.state.staff_session = login.session.token_hash if login is not None else None
    return request.state.staff


def require_staff(request: Request, user: Annotated[StaffUser | None, Depends(optional_staff)]) -> StaffUser:
    if user is None:
        raise LoginRequired(request.url.path)
    return user


def require_lead(user: Annotated[StaffUser, Depends(require_staff)]) -> StaffUser:
    if user.role != StaffRole.LEAD:
        raise HTTPException(status_code=403, detail="Only programme leads can do this.")
    return user


async def check_csrf(request: Request) -> None:
    """Refuse a state-changing form that does not echo this browser's CSRF token."""
    form = await request.form()
    submitted = form.get(CSRF_FIELD)
    expected = str(request.scope.get("state", {}).get("csrf_token", ""))  # as SecurityMiddleware set it
    if not csrf_matches(expected, submitted if isinstance(submitted, str) else None):
        raise CsrfFailed


def participant_from_cookie(request: Request, exchange_id: int, db: DbSession, signer: Signer) -> Participant | None:
    """The practitioner whose exchange cookie came with this request, if it is still valid on this device."""
    raw = request.cookies.get(participant_cookie_name(exchange_id))
    participant = participant_for_cookie(db, signer=signer, raw=raw, exchange_id=exchange_id)
    if participant is not None:
        i18n.choose(participant.language)  # the language they picked in their lobby, over the browser's
    return participant


OptionalStaff = Annotated[StaffUser | None, Depends(optional_staff)]
CurrentStaff = Annotated[StaffUser, Depends(require_staff)]
CurrentLead = Annotated[StaffUser, Depends(require_lead)]
OptionalParticipant = Annotated[Participant | None, Depends(participant_from_cookie)]
CsrfProtected = Depends(check_csrf)
