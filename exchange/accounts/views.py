"""Staff login and logout, the account page: change the password, log out everywhere."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from exchange import audit
from exchange.accounts.models import StaffSession, StaffUser
from exchange.accounts.service import (
    LoginResult,
    WeakPassword,
    authenticate,
    end_all_sessions,
    end_session,
    session_count,
    set_password,
    start_session,
)
from exchange.accounts.passwords import MIN_LENGTH
from exchange.accounts.sockets import StaffSockets
from exchange.auth import rotate_csrf, staff_cookie_name
from exchange.deps import AppSettings, CsrfProtected, CurrentStaff, DbSession, OptionalStaff
from exchange.i18n import _, ngettext
from exchange.settings import Settings
from exchange.templating import render

router = APIRouter()


def _safe_next(next_path: str | None) -> str:
    """Only local paths, so the login page can't be used to bounce people elsewhere."""
    if next_path and next_path.startswith("/") and not next_path.startswith("//") and "\\" not in next_path:
        return next_path
    return "/programmes"


def _sockets(request: Request) -> StaffSockets:
    return request.app.state.staff_sockets


def _set_staff_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        staff_cookie_name(settings.https),
        token,
        max_age=settings.staff_session_days * 86400,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.https,
    )


def _clear_staff_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        staff_cookie_name(settings.https), path="/", httponly=True, samesite="lax", secure=settings.https
    )


def _wait_message(retry_after: timedelta) -> tuple[str, int]:
    """'Please wait N seconds/minutes', and the whole seconds for Retry-After."""
    seconds = max(1, math.ceil(retry_after.total_seconds()))
    if seconds < 120:
        text = ngettext(
            "Too many attempts. Please wait {n} second and try again.",
            "Too many attempts. Please wait {n} seconds and try again.",
            seconds,
        ).format(n=seconds)
    else:
        minutes = math.ceil(seconds / 60)
        text = ngettext(
            "Too many attempts. Please wait {n} minute and try again.",
            "Too many attempts. Please wait {n} minutes and try again.",
            minutes,
        ).format(n=minutes)
    return text, seconds


@router.get("/login")
def login_page(request: Request, staff: OptionalStaff, next: str | None = None) -> Response:
    if staff is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "auth/login.html", next=_safe_next(next), email="")


#: A held-back attempt is recorded once a minute per address and account on each instance: someone
#: hammering the login page must not fill the security log (and the disk) with one row per request.
_HOLD_RECORDED: dict[tuple[str, int | None], float] = {}
_HOLD_EVERY = 60.0
_HOLD_REMEMBERED = 10_000


def _record_hold(address: str, user_id: int | None) -> bool:
    now = time.monotonic()
    key = (address, user_id)
    if now - _HOLD_RECORDED.get(key, -_HOLD_EVERY) < _HOLD_EVERY:
        return False
    if len(_HOLD_RECORDED) >= _HOLD_REMEMBERED:
        _HOLD_RECORDED.clear()
    _HOLD_RECORDED[key] = now
    return True


@dataclass(frozen=True)
class _Outcome:
    result: LoginResult
    token: str | None = None
    ended: StaffSession | None = None  # the browser's earlier session, ended by this login


def _login(db: Session, settings: Settings, *, email: str, password: str, address: str, old: str | None) -> _Outcome:
    """Check the password (throttled), then swap the browser's session for a new one; commits."""
    result = authenticate(db, email=email, password=password, address=address)
    if result.user is None:
        if result.retry_after is None:
            audit.record(db, audit.Kind.LOGIN_FAILED, who=None, address=address, user_id=result.named_user_id)
        elif _record_hold(address, result.named_user_id):
            wait = {"wait_seconds": max(1, math.ceil(result.retry_after.total_seconds()))}
            audit.record(
                db, audit.Kind.LOGIN_THROTTLED, who=None, address=address, user_id=result.named_user_id, detail=wait
            )
        db.commit()
        return _Outcome(result)
    assert result.user.id is not None
    ended = end_session(db, token=old) if old and len(old) < 100 else None
    token = start_session(db, user=result.user, days=settings.staff_session_days)
    audit.record(db, audit.Kind.LOGIN, who=result.user.id, address=address)
    db.commit()
    return _Outcome(result, token, ended)


@router.post("/login", dependencies=[CsrfProtected])
async def login(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Log in: a new session token and a new CSRF token; the browser's earlier session, if any, ends.

    Too many recent failures get 429 with Retry-After and the wait in words (accounts/throttle.py).
    """
    old = request.cookies.get(staff_cookie_name(settings.https))
    outcome = await run_in_threadpool(
        _login, db, settings, email=email, password=password, address=audit.address_of(request), old=old
    )
    result = outcome.result
    if result.user is None:
        if result.retry_after is not None:
            error, seconds = _wait_message(result.retry_after)
            response = render(
                request, "auth/login.html", status_code=429, error=error, email=email, next=_safe_next(next)
            )
            response.headers["Retry-After"] = str(seconds)
            return response
        error = _("That email and password don't match an account.")
        return render(request, "auth/login.html", status_code=400, error=error, email=email, next=_safe_next(next))
    assert outcome.token is not None
    if outcome.ended is not None:
        await _sockets(request).end(user_id=outcome.ended.user_id, sessions=[outcome.ended.token_hash])
    rotate_csrf(request.scope)
    response = RedirectResponse(_safe_next(next), status_code=303)
    _set_staff_cookie(response, outcome.token, settings)
    return response


@router.post("/logout", dependencies=[CsrfProtected])
async def logout(request: Request, db: DbSession, settings: AppSettings) -> Response:
    """Log out: this session ends (its sockets close on every instance); a new CSRF token."""
    token = request.cookies.get(staff_cookie_name(settings.https))

    def end() -> StaffSession | None:
        ended = end_session(db, token=token) if token and len(token) < 100 else None
        if ended is not None:
            audit.record(db, audit.Kind.LOGOUT, who=ended.user_id, address=audit.address_of(request))
        db.commit()
        return ended

    ended = await run_in_threadpool(end)
    if ended is not None:
        await _sockets(request).end(user_id=ended.user_id, sessions=[ended.token_hash])
    rotate_csrf(request.scope)
    response = RedirectResponse("/login", status_code=303)
    _clear_staff_cookie(response, settings)
    return response


# --- the account page -------------------------------------------------------------------------


def _account_page(
    request: Request, db: Session, settings: Settings, user: StaffUser, *, status_code: int = 200, **context: object
) -> Response:
    assert user.id is not None
    idle = timedelta(minutes=settings.staff_idle_minutes)
    context.setdefault("errors", {})
    return render(
        request,
        "auth/account.html",
        status_code=status_code,
        sessions=session_count(db, user_id=user.id, idle=idle),
        min_length=MIN_LENGTH,
        idle_minutes=round(settings.staff_idle_minutes),
        session_days=settings.staff_session_days,
        changed=request.query_params.get("changed") == "password",
        changed_language=request.query_params.get("changed") == "language",
        **context,
    )


@router.get("/account")
def account(request: Request, db: DbSession, settings: AppSettings, user: CurrentStaff) -> Response:
    return _account_page(request, db, settings, user)


@router.post("/account/password", dependencies=[CsrfProtected])
async def change_password(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    user: CurrentStaff,
    current_password: Annotated[str, Form(max_length=1024)] = "",
    new_password: Annotated[str, Form(max_length=1024)] = "",
    confirm_password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """A new password, given the current one: every session of the user ends (their sockets close
    everywhere) and this browser goes on with a new session token and a new CSRF token."""
    assert user.id is not None
    address = audit.address_of(request)

    def change() -> tuple[dict[str, str], timedelta | None, list[str], str | None]:
        errors: dict[str, str] = {}
        # Checked like a login (and throttled alike), so a borrowed session can't guess the password.
        result = authenticate(db, email=user.email, password=current_password, address=address)
        db.commit()  # a right current password takes its attempt back, whatever else is wrong
        if result.retry_after is not None:
            errors["current_password"] = _wait_message(result.retry_after)[0]
        elif result.user is None or result.user.id != user.id:
            errors["current_password"] = _("That isn't your current password.")
        if new_password != confirm_password:
            errors["confirm_password"] = _("The two new passwords differ. Type the same password twice.")
        elif not errors and new_password == current_password:
            errors["new_password"] = _("Choose a password different from the current one.")
        if not errors:
            try:
                set_password(db, user=user, password=new_password)
            except WeakPassword as exc:
                errors["new_password"] = str(exc)
        if errors:
            db.rollback()
            if "current_password" in errors:
                audit.record(db, audit.Kind.PASSWORD_CHANGE_FAILED, who=user.id, address=address)
                db.commit()
            return errors, result.retry_after, [], None
        ended = end_all_sessions(db, user_id=user.id or 0)
        token = start_session(db, user=user, days=settings.staff_session_days)
        detail = {"sessions_ended": len(ended)}
        audit.record(db, audit.Kind.PASSWORD_CHANGED, who=user.id, address=address, detail=detail)
        db.commit()
        return {}, None, ended, token

    errors, retry_after, ended, token = await run_in_threadpool(change)
    if errors:
        status = 429 if retry_after is not None else 400
        response = _account_page(request, db, settings, user, errors=errors, status_code=status)
        if retry_after is not None:
            response.headers["Retry-After"] = str(max(1, math.ceil(retry_after.total_seconds())))
        return response
    assert token is not None
    await _sockets(request).end(user_id=user.id, sessions=ended)
    rotate_csrf(request.scope)
    response = RedirectResponse("/account?changed=password", status_code=303)
    _set_staff_cookie(response, token, settings)
    return response


@router.post("/account/logout-everywhere", dependencies=[CsrfProtected])
async def logout_everywhere(request: Request, db: DbSession, settings: AppSettings, user: CurrentStaff) -> Response:
    """End every session of the user, this one too, and close their sockets on every instance."""
    assert user.id is not None

    def end() -> None:
        ended = end_all_sessions(db, user_id=user.id or 0)
        detail = {"sessions_ended": len(ended)}
        audit.record(db, audit.Kind.LOGOUT_EVERYWHERE, who=user.id, address=audit.address_of(request), detail=detail)
        db.commit()

    await run_in_threadpool(end)
    await _sockets(request).end(user_id=user.id)
    rotate_csrf(request.scope)
    response = RedirectResponse("/login", status_code=303)
    _clear_staff_cookie(response, settings)
    return response
