"""Every shipped language has every message: the template is extracted afresh from the code, the pages
and the shipped plans (as `make messages` does), and each language's .po must translate all of it.

A new `_()` in the code, a new `{% trans %}` in a page or a new prompt in a shipped plan fails here
until each language has it, translated and not fuzzy.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from exchange import i18n
from exchange.catalogue import POT, extract

SHIPPED = ("fr", "es", "pt", "ar")


@pytest.fixture(scope="module")
def fresh() -> Catalog:
    return extract()


def _po(code: str) -> Catalog:
    path = i18n.LOCALE_DIR / code / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=code)


def _key(message) -> str:  # noqa: ANN001
    return message.id[0] if isinstance(message.id, tuple) else message.id


def test_the_languages_are_found_in_the_locale_folder() -> None:
    assert i18n.languages()[0] == "en"
    assert set(SHIPPED) <= set(i18n.languages())
    assert {i18n.language_name(c) for c in SHIPPED} == {"Français", "Español", "Português", "العربية"}
    assert i18n.direction("ar") == "rtl" and i18n.direction("fr") == "ltr"


def test_the_committed_template_is_the_fresh_one(fresh: Catalog) -> None:
    """`make messages` was run: exchange/locale/messages.pot holds exactly what the code says."""
    with Path(POT).open("rb") as handle:
        committed = {_key(m) for m in read_po(handle) if m.id}
    extracted = {_key(m) for m in fresh if m.id}
    assert sorted(extracted - committed) == [], "run `make messages`"
    assert sorted(committed - extracted) == [], "run `make messages`"


@pytest.mark.parametrize("code", SHIPPED)
def test_every_message_is_translated(code: str, fresh: Catalog) -> None:
    po = _po(code)
    missing, fuzzy, wrong_forms = [], [], []
    for message in fresh:
        if not message.id:
            continue
        found = po.get(message.id, context=message.context)
        if found is None or not (all(found.string) if isinstance(found.string, tuple) else found.string):
            missing.append(_key(message))
        elif found.fuzzy:
            fuzzy.append(_key(message))
        elif message.pluralizable and (
            not isinstance(found.string, tuple) or len(found.string) != po.num_plurals
        ):
            wrong_forms.append(_key(message))
    assert missing == [], f"{code}: {len(missing)} messages without a translation, e.g. {missing[:5]}"
    assert fuzzy == [], f"{code}: {len(fuzzy)} fuzzy messages, e.g. {fuzzy[:5]}"
    assert wrong_forms == [], f"{code}: plural messages without {po.num_plurals} forms: {wrong_forms[:5]}"


@pytest.mark.parametrize("code", SHIPPED)
def test_translations_keep_their_placeholders(code: str) -> None:
    """Babel's own checks: a translation keeps the message's %(name)s placeholders, and the plural
    forms match the language's Plural-Forms header."""
    problems = [
        (_key(message), [str(e) for e in errors]) for message, errors in _po(code).check() if errors
    ]
    assert problems == []


@pytest.mark.parametrize("code", SHIPPED)
def test_brace_placeholders_survive_translation(code: str) -> None:
    """"{name} is speaking" must still name {name} in every language (str.format and the live pages)."""
    import re

    brace = re.compile(r"\{[a-z_]+\}")
    broken = []
    for message in _po(code):
        if not message.id or message.fuzzy:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(brace.findall(ids[-1]))
        for text in strings:
            if text and set(brace.findall(text)) - set(brace.findall(" ".join(ids))):
                broken.append(ids[0])
            elif text and len(ids) == 1 and wanted - set(brace.findall(text)):
                broken.append(ids[0])
    assert broken == [], f"{code}: {broken[:5]}"
