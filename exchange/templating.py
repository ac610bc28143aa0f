"""Jinja2 pages from web/templates, with gettext and time filters; autoescaping is always on."""

from __future__ import annotations

import functools
from datetime import datetime
from pathlib import Path

import jinja2
from fastapi.templating import Jinja2Templates
from starlette.requests import Request

from exchange.assets import Assets
from exchange.auth import mask_csrf
from exchange.i18n import translations
from exchange.timeutil import zone

WEB_DIR = Path(__file__).resolve().parent.parent / "web"

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(WEB_DIR / "templates"),
    autoescape=True,
    extensions=["jinja2.ext.i18n"],
)
_env.install_gettext_translations(translations(), newstyle=True)  # type: ignore[attr-defined]
templates = Jinja2Templates(env=_env)


def in_zone(moment: datetime, tz_name: str) -> datetime:
    """The moment as a wall-clock time in the named zone."""
    tz = zone(tz_name)
    return moment.astimezone(tz) if tz else moment


def human_time(moment: datetime, tz_name: str) -> str:
    """e.g. 'Tuesday 24 November 2026, 14:00 (Africa/Nairobi)'."""
    local = in_zone(moment, tz_name)
    return f"{local:%A} {local.day} {local:%B %Y, %H:%M} ({tz_name})"


def merged(base: dict[str, object], extra: dict[str, object]) -> dict[str, object]:
    """A page's own strings over the shared ones (Jinja has no ** in dict literals)."""
    return {**base, **extra}


@functools.cache
def assets() -> Assets:
    """web/static, fingerprinted and compressed once per process (exchange/assets.py)."""
    return Assets(WEB_DIR / "static")


def static_url(path: str) -> str:
    """The URL of a file under web/static with a hash of its content in the name (cached for a year)."""
    return assets().url(path)


def module_preloads(path: str) -> list[str]:
    """The URLs of every module that the module at `path` imports, for <link rel="modulepreload">:
    the browser fetches them all at once instead of one import level per round trip."""
    return assets().module_graph(path)


templates.env.globals["static_url"] = static_url
templates.env.globals["module_preloads"] = module_preloads
templates.env.filters["in_zone"] = in_zone
templates.env.filters["merged"] = merged
templates.env.filters["human_time"] = human_time


def csrf_token(request: Request) -> str:
    """The token SecurityMiddleware put on this request, masked afresh for hidden form fields (the
    pages are compressed: see exchange/auth.py, mask_csrf)."""
    token = str(request.scope.get("state", {}).get("csrf_token", ""))
    return mask_csrf(token) if token else ""


def render(request: Request, name: str, status_code: int = 200, **context: object):  # noqa: ANN201
    """Render a page with the request, its CSRF token and the signed-in staff user (if any)."""
    context.setdefault("staff", getattr(request.state, "staff", None))
    context["csrf_token"] = csrf_token(request)
    return templates.TemplateResponse(request, name, context, status_code=status_code)
