"""The practitioners' emails, without a server: every catalogue has every sentence with its
placeholders intact, the reminder windows, and the mailto link's encoding."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from exchange import i18n

from exchange.programmes import invite_mail, mail_jobs
from exchange.programmes.models import Exchange, Participant

START = datetime(2026, 12, 8, 11, 0, tzinfo=UTC)


def _exchange(**changes: object) -> Exchange:
    fields = dict(id=7, programme_id=1, title="Men as allies; water & wells, “together”", starts_at=START,
                  timezone="Africa/Nairobi", duration_minutes=90, language="en", template_key="story-exchange",
                  plan={}, created_by=1, call_url="https://call.example.org/r?x=1&y=2")  # fmt: skip
    fields.update(changes)
    return Exchange(**fields)


def _participant(language: str | None) -> Participant:
    return Participant(id=3, exchange_id=7, name="Amina & Rosa", email="amina+ex@example.org", language=language,
                       token_salt="s", token_hash="h")  # fmt: skip


@pytest.mark.parametrize("code", [c for c in invite_mail.LANGUAGES if c != "en"])
def test_every_language_has_every_sentence_with_its_placeholders(code: str) -> None:
    with (i18n.LOCALE_DIR / code / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=code)
    # The emails' own sentences, as extracted from the module that writes them.
    sentences = {m[1] if isinstance(m[1], str) else m[1][0]
                 for m in extract_from_file("python", invite_mail.__file__, keywords={"_": None, "ngettext": (1, 2)})}
    assert sentences
    english = _exchange()
    subject, body = invite_mail.invitation(english, _participant(code), link="L", code="en")
    translated = invite_mail.translations(code)
    for sentence in sorted(sentences):
        message = catalog.get(sentence)
        assert message is not None, sentence
        assert message.string and not message.fuzzy, message.id
        assert sorted(re.findall(r"\{\w+\}", message.string)) == sorted(re.findall(r"\{\w+\}", message.id)), message.id
        assert translated.gettext(message.id) == message.string
    local_subject, local_body = invite_mail.invitation(english, _participant(code), link="L", code=code)
    assert local_subject != subject and local_body != body and "L" in local_body


def test_language_falls_back_to_the_exchange_then_english() -> None:
    assert invite_mail.language_of(_participant("pt-BR"), _exchange()) == "pt"
    assert invite_mail.language_of(_participant(None), _exchange(language="fr")) == "fr"
    assert invite_mail.language_of(_participant("sw"), _exchange(language="de")) == "en"


def test_which_reminder_is_due() -> None:
    which = mail_jobs._which  # noqa: SLF001 - the rule itself
    assert which(START, START - timedelta(hours=25)) is None
    assert which(START, START - timedelta(hours=24)) == "day"
    assert which(START, START - timedelta(hours=1, seconds=1)) == "day"
    assert which(START, START - timedelta(hours=1)) == "hour"
    assert which(START, START - timedelta(seconds=1)) == "hour"
    assert which(START, START) is None
    assert mail_jobs.reminder_key("hour", START) == "hour:20261208T110000Z"


def test_the_mailto_link_encodes_everything() -> None:
    url, text = invite_mail.mailto(_exchange(), _participant("fr"), link="https://x.org/join/abc_-")
    parts = urlsplit(url)
    assert parts.scheme == "mailto" and unquote(parts.path) == "amina+ex@example.org"
    query = parse_qs(parts.query, strict_parsing=True)
    assert set(query) == {"subject", "body"}  # the & in the title and the call link ended nothing
    assert query["subject"] == ["Votre invitation à « Men as allies; water & wells, “together” »"]
    assert query["body"] == [text.replace("\n", "\r\n")]
    assert "https://call.example.org/r?x=1&y=2" in text and "https://x.org/join/abc_-" in text
    assert " " not in url and "\n" not in url


def test_the_invite_form_takes_only_a_language_we_write_in() -> None:
    from exchange.programmes.forms import FormErrors, ParticipantForm, parse_form

    assert parse_form(ParticipantForm, {"name": "Amina", "language": "ar"}).language == "ar"
    assert parse_form(ParticipantForm, {"name": "Amina", "language": ""}).language == ""
    with pytest.raises(FormErrors) as refused:
        parse_form(ParticipantForm, {"name": "Amina", "language": "xx\u202e"})
    assert set(refused.value.errors) == {"language"}
