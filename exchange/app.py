"""The application factory: settings, engine, routers, pages and static files."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

from exchange.accounts.security_page import router as security_router
from exchange.accounts.sockets import StaffSockets
from exchange.accounts.views import router as accounts_router
from exchange.auth import CookieSigner, SecurityMiddleware
from exchange.db import make_engine
from exchange.runtime import tuned_runtime
from exchange.deps import CsrfFailed, LoginRequired
from exchange.i18n import _, gettext_noop as N_
from exchange.languages import LanguageMiddleware, router as languages_router
from exchange.programmes.co_facilitators import router as co_facilitators_router
from exchange.programmes.links import router as links_router
from exchange.programmes.lobby import router as lobby_router
from exchange.programmes.mail_jobs import remind_periodically
from exchange.programmes.retention_job import purge_periodically
from exchange.programmes.library_views import router as library_router
from exchange.programmes.views import router as programmes_router
from exchange.programmes.invite_views import router as invite_mail_router
from exchange.accounts.staff_invite_views import router as staff_invite_router
from exchange.sessions.broker import broker_for
from exchange.sessions.limits import limits_for
from exchange.sessions.pages import router as session_pages_router
from exchange.sessions.registry import HubRegistry
from exchange.sessions.store import EventStore
from exchange.sessions.ws import PATH as LIVE_SOCKET_PATH, live_socket
from exchange.settings import Settings, get_settings, resolve_secret
from exchange.synthesis.placement_views import router as placement_router
from exchange.synthesis.report_views import router as report_router
from exchange.synthesis.selection_views import router as selection_router
from exchange.synthesis.views import router as synthesis_router
from exchange.transcripts.review import router as review_router
from exchange.transcripts.views import router as transcripts_router
from exchange.templating import assets, render

_ERROR_TITLES = {
    400: N_("That request didn't look right."),
    403: N_("You can't do that here."),
    404: N_("There's nothing here."),
    405: N_("That isn't something this page can do."),
    409: N_("That can't be done right now."),
    422: N_("Some of what was sent isn't valid."),
}


class ExchangeApp(FastAPI):
    """The app, with the live sockets served before the middleware that is there for pages.

    Thousands of live sockets stay open at once; each middleware layer would hold a coroutine per
    socket and wrap every frame sent. The live handler checks Origin, cookie and role itself.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and (match := LIVE_SOCKET_PATH.fullmatch(scope["path"])):
            await live_socket(self, scope, receive, send, int(match[1]))
            return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the lifespan opens the database engine and closes it on shutdown."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.engine = make_engine(settings.database_url)
        store = EventStore(app.state.engine)
        broker = broker_for(settings.redis_url, prefix=settings.redis_prefix)
        await store.start()
        await broker.start()
        app.state.broker = broker
        app.state.limits = limits_for(settings)  # commands per second and sockets per person
        await app.state.limits.start()
        app.state.hubs = HubRegistry(store=store, broker=broker)
        # Staff sockets close when their login ends (logout, timeouts, password change, removal).
        app.state.staff_sockets = StaffSockets(
            registry=app.state.hubs,
            engine=app.state.engine,
            idle=timedelta(minutes=settings.staff_idle_minutes),
            check_seconds=settings.staff_socket_check_seconds,
        )
        await app.state.staff_sockets.start()
        await app.state.hubs.open_live()
        purging: asyncio.Task[None] | None = None
        if settings.purge_interval_seconds > 0:  # retention: ended exchanges' stories, once their time is up
            interval = settings.purge_interval_seconds
            job = purge_periodically(engine=app.state.engine, hubs=app.state.hubs, interval=interval)
            purging = asyncio.create_task(job, name="retention-purge")
        reminding: asyncio.Task[None] | None = None
        if settings.reminder_interval_seconds > 0 and settings.smtp_host:  # reminders a day and an hour ahead
            reminders = remind_periodically(
                engine=app.state.engine, settings=settings, interval=settings.reminder_interval_seconds
            )
            reminding = asyncio.create_task(reminders, name="reminders")
        try:
            async with tuned_runtime(settings.gc_freeze_seconds, settings.gc_full_seconds):
                yield
        finally:
            for task in (purging, reminding):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            await app.state.staff_sockets.close()
            await app.state.hubs.close()
            await broker.close()
            await app.state.limits.close()
            await store.close()
            app.state.engine.dispose()

    app = ExchangeApp(title="Story Exchange", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.signer = CookieSigner(resolve_secret(settings))
    app.add_middleware(SecurityMiddleware, https=settings.https)
    app.add_middleware(LanguageMiddleware)
    # Pages are compressed (the CSRF token in them is masked per rendering: exchange/auth.py); static
    # files come compressed already (exchange/assets.py) and pass through.
    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=6,
                       exclude_content_types=("text/event-stream", "application/pdf", "application/zip", "image/png"))
    app.mount("/static", assets(), name="static")  # fingerprinted, compressed, cached (exchange/assets.py)
    app.include_router(accounts_router)
    app.include_router(security_router)
    app.include_router(programmes_router)
    app.include_router(invite_mail_router)
    app.include_router(staff_invite_router)
    app.include_router(library_router)
    app.include_router(co_facilitators_router)
    app.include_router(links_router)
    app.include_router(lobby_router)
    app.include_router(session_pages_router)
    app.include_router(transcripts_router)
    app.include_router(review_router)
    app.include_router(synthesis_router)
    app.include_router(selection_router)
    app.include_router(placement_router)
    app.include_router(report_router)
    app.include_router(languages_router)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> Response:
        """Ready for traffic: the database answers and the broker is connected."""
        database = await asyncio.to_thread(_database_answers, app.state.engine)
        broker = bool(app.state.broker.healthy)
        body = {"database": "ok" if database else "down", "broker": "ok" if broker else "down"}
        # Without its broker an instance still serves correctly (it reads the log), only slower.
        status = 200 if database else 503
        body["status"] = "ready" if database and broker else ("degraded" if database else "unavailable")
        return JSONResponse(body, status_code=status)

    @app.exception_handler(LoginRequired)
    async def _to_login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={quote(exc.next_path)}", status_code=303)

    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, exc: CsrfFailed) -> Response:
        message = _("This form has expired or came from another site. Go back, reload the page and try again.")
        return render(request, "error.html", status_code=403, title=_("Please try again"), message=message)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        title = _(_ERROR_TITLES.get(exc.status_code, N_("Something went wrong.")))
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != _http_phrase(exc.status_code) else ""
        return render(request, "error.html", status_code=exc.status_code, title=title, message=detail)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return render(request, "error.html", status_code=422, title=_(_ERROR_TITLES[422]), message="")

    return app


def _database_answers(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError:
        return False


def _http_phrase(status_code: int) -> str:
    from http import HTTPStatus

    return HTTPStatus(status_code).phrase
