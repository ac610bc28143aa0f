"""Login and logout pages for staff."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from exchange.accounts.service import authenticate, end_session, start_session
from exchange.auth import STAFF_COOKIE
from exchange.deps import AppSettings, CsrfProtected, DbSession, OptionalStaff
from exchange.i18n import _
from exchange.templating import render

router = APIRouter()


def _safe_next(next_path: str | None) -> str:
    """Only local paths, so the login page can't be used to bounce people elsewhere."""
    if next_path and next_path.startswith("/") and not next_path.startswith("//") and "\\" not in next_path:
        return next_path
    return "/programmes"


@router.get("/login")
def login_page(request: Request, staff: OptionalStaff, next: str | None = None) -> Response:
    if staff is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "auth/login.html", next=_safe_next(next), email="")


@router.post("/login", dependencies=[CsrfProtected])
def login(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    result = authenticate(db, email=email, password=password)
    if result.user is None:
        db.commit()  # keep the failure count
        if result.retry_after is not None:
            seconds = max(1, int(result.retry_after.total_seconds()))
            error = _("Too many attempts. Please wait {seconds} seconds and try again.").format(seconds=seconds)
            status = 429
        else:
            error = _("That email and password don't match an account.")
            status = 400
        return render(request, "auth/login.html", status_code=status, error=error, email=email, next=_safe_next(next))
    token = start_session(db, user=result.user, days=settings.staff_session_days)
    db.commit()
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        STAFF_COOKIE,
        token,
        max_age=settings.staff_session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    return response


@router.post("/logout", dependencies=[CsrfProtected])
def logout(request: Request, db: DbSession) -> Response:
    token = request.cookies.get(STAFF_COOKIE)
    if token:
        end_session(db, token=token)
        db.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(STAFF_COOKIE)
    return response
