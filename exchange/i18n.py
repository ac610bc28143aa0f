"""Translation: every user-facing string goes through `_()` so catalogues can be added later.

Only English exists today; Babel extracts from `exchange/` and `web/templates/` (see babel.cfg).
"""

from __future__ import annotations

import gettext
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"

_translations: gettext.NullTranslations = gettext.translation(
    DOMAIN, localedir=LOCALE_DIR, languages=["en"], fallback=True
)


def _(message: str) -> str:
    """Translate a message into the active language."""
    return _translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message whose form depends on a count."""
    return _translations.ngettext(singular, plural, n)


def translations() -> gettext.NullTranslations:
    """The active catalogue, for Jinja's i18n extension."""
    return _translations
