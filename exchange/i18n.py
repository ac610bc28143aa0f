"""Translation: every user-facing string goes through `_()`, in the language of whoever is served.

The languages are the folders of `exchange/locale/` that hold `LC_MESSAGES/messages.po`, plus the
source language, English: adding a language is adding its catalogue (README, "Languages"). The
catalogues are read straight from their .po files (entries marked fuzzy are left out, as msgfmt
would), so nothing is compiled by hand.

The active language is per request, per socket and per command: a context variable holding a small
mutable choice. The page middleware sets one per request from Accept-Language; the dependencies that
find the signed-in staff member or the practitioner then `choose()` that person's own language. A
synchronous dependency runs in a copy of the context, so the choice is an object they share, not a
value they would each set in their own copy.
"""

from __future__ import annotations

import functools
import gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time, get_datetime_format
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
#: The language the strings are written in; it needs no catalogue.
SOURCE = "en"
#: Longest language tag kept on a participant or staff record (BCP 47 tags in use are far shorter).
CODE_MAX = 35


@dataclass
class _Choice:
    code: str = SOURCE


_active: ContextVar[_Choice | None] = ContextVar("language", default=None)


@functools.cache
def languages() -> tuple[str, ...]:
    """Every language a person can pick: English first, then each catalogue found, by code."""
    found = sorted(
        path.parent.parent.name
        for path in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")
        if path.parent.parent.name != SOURCE and _locale(path.parent.parent.name) is not None
    )
    return (SOURCE, *found)


def _locale(code: str) -> Locale | None:
    try:
        return Locale.parse(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def language_name(code: str) -> str:
    """A language's name in that language ("Français", "العربية"), as a language menu shows it."""
    locale = _locale(code)
    name = locale.get_display_name(locale) if locale is not None else None
    return (name[:1].upper() + name[1:]) if name else code


def direction(code: str) -> str:
    """'rtl' for a language written right to left, otherwise 'ltr' (the value of `dir`)."""
    locale = _locale(code)
    return "rtl" if locale is not None and locale.character_order == "right-to-left" else "ltr"


def supported(code: str | None) -> str | None:
    """The shipped language for a stored or submitted code, if there is one ("pt-BR" finds "pt")."""
    if not code or len(code) > CODE_MAX:
        return None
    return _supported(code.strip().replace("_", "-").lower())


@functools.lru_cache(maxsize=256)  # every command looks up its sender's language; bounded, as codes come from outside
def _supported(code: str) -> str | None:
    shipped = {c.replace("_", "-").lower(): c for c in languages()}
    return shipped.get(code) or shipped.get(code.split("-", 1)[0])


def negotiate(accept_language: str | None) -> str:
    """The shipped language a browser prefers most (its Accept-Language header), else English."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, index, tag))
    for _q, _i, tag in sorted(ranked):
        if found := supported(tag):
            return found
    return SOURCE


@functools.cache
def catalogue(code: str) -> gettext.NullTranslations:
    """The translations of one shipped language, read from its .po file once per process."""
    path = LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"
    if code == SOURCE or not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=code.replace("-", "_"))
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def current() -> str:
    """The code of the active language."""
    choice = _active.get()
    return choice.code if choice is not None else SOURCE


def locale() -> Locale:
    """The active language as a Babel locale, for dates, numbers and plural rules."""
    return _locale(current()) or Locale.parse(SOURCE)


def begin(code: str | None = None) -> None:
    """Start a request's or a socket's own language choice (in its own context)."""
    _active.set(_Choice(supported(code) or SOURCE))


def choose(code: str | None) -> None:
    """Switch the current request or socket to a person's language, if it is one we ship."""
    found = supported(code)
    if found is None:
        return
    choice = _active.get()
    if choice is None:
        _active.set(_Choice(found))
    else:
        choice.code = found


def reset() -> None:
    """No language chosen here: the source language (for a hub's own tasks)."""
    _active.set(None)


@contextmanager
def use(code: str | None) -> Iterator[None]:
    """Everything inside speaks `code` (a command decided for the person who sent it)."""
    token = _active.set(_Choice(supported(code) or SOURCE))
    try:
        yield
    finally:
        _active.reset(token)


def moment(local: datetime) -> str:
    """A wall-clock moment written the active language's way: its full date and short time, joined
    as that language joins them ("Saturday, March 8, 2025 at 5:00 PM", "samedi 8 mars 2025 à 17:00")."""
    lang = locale()
    date = format_date(local, "full", locale=lang)
    time = format_time(local, "short", locale=lang)
    return get_datetime_format("full", locale=lang).replace("'", "").replace("{1}", date).replace("{0}", time)


def clock(local: datetime) -> str:
    """A time of day the active language's way ("5:00 PM", "17:00")."""
    return format_time(local, "short", locale=locale())


def _(message: str) -> str:
    """Translate a message into the active language."""
    return catalogue(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message whose form depends on a count, with the active language's plural rules."""
    return catalogue(current()).ngettext(singular, plural, n)


def gettext_noop(message: str) -> str:
    """Mark a string for the catalogue where it is defined; `_()` translates it where it is shown."""
    return message


def plural_forms(singular: str, plural: str) -> dict[str, str]:
    """A count's message for each CLDR plural category of the active language ("one", "few", ...).

    The live pages choose among them with `Intl.PluralRules`, so a count in a page follows the same
    rules as the catalogue: Arabic's six forms, French's "0 vote", and so on.
    """
    rule = locale().plural_form
    forms: dict[str, str] = {}
    for n in (*range(0, 200), 1000, 1000000):
        category = rule(n)
        if category not in forms:
            forms[category] = ngettext(singular, plural, n).replace("%(num)d", "{n}")
    forms.setdefault("other", ngettext(singular, plural, 2).replace("%(num)d", "{n}"))
    return forms
