"""Jinja2 pages from web/templates, with gettext and time filters; autoescaping is always on."""

from __future__ import annotations

import functools
from datetime import datetime
from pathlib import Path

import jinja2
from markupsafe import Markup
from fastapi.templating import Jinja2Templates
from starlette.requests import Request

from babel.dates import format_date
from babel.numbers import format_decimal

from exchange import i18n
from exchange.assets import Assets
from exchange.auth import mask_csrf
from exchange.timeutil import zone

WEB_DIR = Path(__file__).resolve().parent.parent / "web"

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(WEB_DIR / "templates"),
    autoescape=True,
    extensions=["jinja2.ext.i18n"],
)
# Looked up at render time, in the language of whoever the page is for (see exchange.i18n).
_env.install_gettext_callables(i18n._, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
templates = Jinja2Templates(env=_env)


def in_zone(moment: datetime, tz_name: str) -> datetime:
    """The moment as a wall-clock time in the named zone."""
    tz = zone(tz_name)
    return moment.astimezone(tz) if tz else moment


def human_time(moment: datetime, tz_name: str) -> str:
    """e.g. 'Tuesday 24 November 2026 at 14:00 (Africa/Nairobi)', in the viewer's language."""
    local = in_zone(moment, tz_name)
    return i18n._("{when} ({zone})").format(when=local_datetime(local), zone=tz_name)


def local_datetime(local: datetime) -> str:
    """A wall-clock moment written the active language's way (exchange.i18n.moment)."""
    return i18n.moment(local)


def local_date(moment: datetime, tz_name: str = "UTC") -> str:
    """A date alone, e.g. '24 November 2026', in the viewer's language."""
    return format_date(in_zone(moment, tz_name), "long", locale=i18n.locale())


def number(value: float | int) -> str:
    """A number written the viewer's way (digits, decimal and group separators)."""
    return format_decimal(value, locale=i18n.locale())


def bdi(text: object) -> Markup:
    """Text written by a person, isolated so its direction can't reorder the sentence around it."""
    return Markup("<bdi>{}</bdi>").format(text)


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
templates.env.filters["bdi"] = bdi
templates.env.filters["human_time"] = human_time
templates.env.filters["local_date"] = local_date
templates.env.filters["number"] = number
templates.env.globals["plural_forms"] = i18n.plural_forms


def csrf_token(request: Request) -> str:
    """The token SecurityMiddleware put on this request, masked afresh for hidden form fields (the
    pages are compressed: see exchange/auth.py, mask_csrf)."""
    token = str(request.scope.get("state", {}).get("csrf_token", ""))
    return mask_csrf(token) if token else ""


def render(request: Request, name: str, status_code: int = 200, **context: object):  # noqa: ANN201
    """Render a page with the request, its CSRF token and the signed-in staff user (if any)."""
    context.setdefault("staff", getattr(request.state, "staff", None))
    context.update(page_language())
    context["csrf_token"] = csrf_token(request)
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def page_language() -> dict[str, object]:
    """`lang` and `dir` for the page's <html>, and the menu of languages to pick from."""
    code = i18n.current()
    return {
        "lang": code.replace("_", "-"),  # BCP 47, as HTML wants it (a folder may be named pt_BR)
        "dir": i18n.direction(code),
        "languages": [(c, i18n.language_name(c)) for c in i18n.languages()],
    }
