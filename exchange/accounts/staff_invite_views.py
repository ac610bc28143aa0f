"""Leads invite colleagues by email; the invitee accepts from the link, making an account or logging in.

    POST /programmes/{id}/invites                     a lead invites an address as facilitator or lead
    POST /programmes/{id}/invites/{invite_id}/revoke  a lead withdraws a pending invitation
    GET  /invite/{token}                              the invitee's page (nothing changes)
    POST /invite/{token}                              accept: a new account, or the logged-in one

The token is in the email only (or shown once to the lead when no mail goes out); the log filter
hides `/invite/<token>` as it hides personal links (exchange/logs.py).
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, EmailStr, StringConstraints, field_validator
from starlette.concurrency import run_in_threadpool
from urllib.parse import quote

from exchange import audit, mail
from exchange.accounts import staff_invites
from exchange.accounts.models import StaffRole
from exchange.accounts.service import EmailTaken, WeakPassword, create_user, get_user_by_email, start_session
from exchange.accounts.views import _set_staff_cookie
from exchange.auth import rotate_csrf
from exchange.deps import AppSettings, CsrfProtected, CurrentLead, DbSession, OptionalStaff
from exchange.i18n import _
from exchange.names import STAFF_NAME_MAX
from exchange.programmes import service
from exchange.programmes.forms import FormErrors, OneLine, parse_form
from exchange.programmes.models import Programme
from exchange.templating import render

router = APIRouter()


class StaffInviteForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    email: EmailStr
    role: str = StaffRole.FACILITATOR.value

    @field_validator("role")
    @classmethod
    def _a_role(cls, value: str) -> str:
        if value not in staff_invites.ROLES:
            raise ValueError(_("Choose facilitator or lead."))
        return value


class NewAccountForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=STAFF_NAME_MAX), OneLine]
    password: Annotated[str, StringConstraints(max_length=1024)]
    confirm_password: Annotated[str, StringConstraints(max_length=1024)]


def _link(request: Request, token: str) -> str:
    return f"{request.app.state.settings.base_url}/invite/{token}"


def _lead_programme(db: DbSession, user: CurrentLead, programme_id: int) -> Programme:
    programme = service.programme_for(db, user=user, programme_id=programme_id)
    if programme is None:
        raise HTTPException(status_code=404)
    return programme


@router.post("/programmes/{programme_id}/invites", dependencies=[CsrfProtected])
async def invite_staff(request: Request, programme_id: int, db: DbSession, user: CurrentLead, settings: AppSettings) -> Response:
    """Invite a colleague: the email goes out at once; without mail, the lead is shown the link once."""
    from exchange.programmes.views import programme_page

    programme = _lead_programme(db, user, programme_id)
    data = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        form = parse_form(StaffInviteForm, {"email": data.get("invite_email", ""), "role": data.get("invite_role", "facilitator")})
        existing = get_user_by_email(db, email=str(form.email))
        if existing is not None and any(m.id == existing.id for m in service.members_of(db, programme=programme)):
            raise FormErrors({"invite_email": _("This person is already a member of the programme.")})
    except FormErrors as exc:
        errors = {("invite_email" if k == "email" else "invite_role" if k == "role" else k): v for k, v in exc.errors.items()}
        return programme_page(request, db, user, programme_id, status_code=400, errors=errors, form=data)
    issued = staff_invites.issue(
        db, programme=programme, lead=user, email=str(form.email), role=form.role, days=settings.staff_invite_days
    )
    invite, link = issued.invite, _link(request, issued.token)
    error: str | None = None
    if mail.configured(settings):
        message = staff_invites.invitation_mail(programme=programme, inviter=user, invite=invite, link=link)
        error = await asyncio.to_thread(mail.deliver, settings, message)
        invite.mail_status, invite.mail_error = ("sent", "") if error is None else ("failed", error[:300])
        db.add(invite)
    audit.record(
        db, audit.Kind.STAFF_INVITE_SENT, who=user.id, address=audit.address_of(request), programme_id=programme_id,
        detail={"invite": invite.id, "role": invite.role, "emailed": invite.mail_status == "sent"},
    )
    db.commit()
    if invite.mail_status == "sent":
        return RedirectResponse(f"/programmes/{programme_id}?invited={invite.id}#invites-h", status_code=303)
    # No mail went out: the link exists only now, so the lead passes it on themselves (shown once).
    subject, body = staff_invites.invitation(programme=programme, inviter=user, invite=invite, link=link)
    mailto = f"mailto:{quote(invite.email, safe='@')}?subject={quote(subject, safe='')}&body={quote(body.replace(chr(10), chr(13) + chr(10)), safe='')}"
    shown = {"id": invite.id, "email": invite.email, "link": link, "mailto": mailto, "text": body, "error": error}
    return programme_page(request, db, user, programme_id, new_invite=shown)


@router.post("/programmes/{programme_id}/invites/{invite_id}/revoke", dependencies=[CsrfProtected])
def revoke_staff_invite(request: Request, programme_id: int, invite_id: int, db: DbSession, user: CurrentLead) -> Response:
    programme = _lead_programme(db, user, programme_id)
    invite = staff_invites.invite_in(db, programme=programme, invite_id=invite_id)
    if invite is None or invite.accepted_at is not None or invite.revoked_at is not None:
        raise HTTPException(status_code=404)
    staff_invites.revoke(db, invite=invite)
    audit.record(
        db, audit.Kind.STAFF_INVITE_REVOKED, who=user.id, address=audit.address_of(request), programme_id=programme_id,
        detail={"invite": invite.id},
    )
    db.commit()
    return RedirectResponse(f"/programmes/{programme_id}#invites-h", status_code=303)


def _not_valid(request: Request) -> Response:
    return render(
        request, "error.html", status_code=404, title=_("This invitation link does not work"),
        message=_("It was used already, withdrawn, or it has expired. Ask the programme lead for a new invitation."),
    )


def _page(request: Request, db: DbSession, token: str, invite, staff, *, status_code=200, errors=None, form=None) -> Response:  # noqa: ANN001
    programme = db.get(Programme, invite.programme_id)
    has_account = get_user_by_email(db, email=invite.email) is not None
    return render(
        request, "auth/staff_invite.html", status_code=status_code, token=token, invite=invite, programme=programme,
        has_account=has_account, other_account=staff is not None and staff.email != invite.email,
        login_url=f"/login?next={quote(f'/invite/{token}', safe='')}", errors=errors or {}, form=form or {},
    )


@router.get("/invite/{token}")
def staff_invite_page(request: Request, token: str, db: DbSession, staff: OptionalStaff) -> Response:
    invite = staff_invites.by_token(db, token)
    if invite is None:
        return _not_valid(request)
    status = 403 if staff is not None and staff.email != invite.email else 200
    return _page(request, db, token, invite, staff, status_code=status)


@router.post("/invite/{token}", dependencies=[CsrfProtected])
async def staff_invite_accept(request: Request, token: str, db: DbSession, staff: OptionalStaff, settings: AppSettings) -> Response:
    """Accept: the logged-in account with the invited address joins; or a new account is made and logged in."""
    invite = staff_invites.by_token(db, token)
    if invite is None:
        return _not_valid(request)
    if staff is not None:
        if staff.email != invite.email:
            return _page(request, db, token, invite, staff, status_code=403)
        if not staff_invites.accept(db, invite=invite, user=staff):
            db.rollback()
            return _not_valid(request)
        _accepted(request, db, invite, staff.id)
        db.commit()
        return RedirectResponse(f"/programmes/{invite.programme_id}", status_code=303)
    if get_user_by_email(db, email=invite.email) is not None:
        return _page(request, db, token, invite, staff, status_code=409)  # log in to accept
    data = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        form = parse_form(NewAccountForm, data)
        if form.password != form.confirm_password:
            raise FormErrors({"confirm_password": _("The two passwords are not the same.")})
        user = await run_in_threadpool(  # argon2 hashing is slow on purpose: off the event loop
            create_user, db, email=invite.email, name=form.name, role=StaffRole(invite.role), password=form.password
        )
    except FormErrors as exc:
        return _page(request, db, token, invite, staff, status_code=400, errors=exc.errors, form={"name": data.get("name", "")})
    except WeakPassword as exc:
        return _page(request, db, token, invite, staff, status_code=400, errors={"password": str(exc)}, form={"name": data.get("name", "")})
    except EmailTaken:
        db.rollback()
        return _page(request, db, token, invite, staff, status_code=409)
    if not staff_invites.accept(db, invite=invite, user=user):
        db.rollback()
        return _not_valid(request)
    _accepted(request, db, invite, user.id)
    session_token = start_session(db, user=user, days=settings.staff_session_days)
    db.commit()
    rotate_csrf(request.scope)
    response = RedirectResponse(f"/programmes/{invite.programme_id}", status_code=303)
    _set_staff_cookie(response, session_token, settings)
    return response


def _accepted(request: Request, db: DbSession, invite, user_id) -> None:  # noqa: ANN001
    audit.record(
        db, audit.Kind.STAFF_INVITE_ACCEPTED, who=user_id, address=audit.address_of(request),
        programme_id=invite.programme_id, detail={"invite": invite.id, "role": invite.role},
    )
