"""Languages without a server: negotiation, plural forms for the live pages, the shipped plans'
words, Arabic initials, and a language's dates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from exchange import i18n
from exchange.names import initials
from exchange.prompts import translate
from exchange.prompts.catalog import get_template
from exchange.prompts.extract import texts


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ar-EG,ar;q=0.9,en;q=0.8", "ar"),
        ("de-DE,de;q=0.9,fr;q=0.5", "fr"),
        ("pt-BR", "pt"),
        ("en-US,en;q=0.9", "en"),
        ("de, *;q=0.1", "en"),
        ("es;q=0.2, fr;q=0.8", "fr"),
        ("fr;q=0, es", "es"),
        ("", "en"),
        (None, "en"),
        ("x" * 600, "en"),
        ("fr;q=abc, es", "es"),
    ],
)
def test_the_browsers_preference_picks_a_shipped_language(header: str | None, expected: str) -> None:
    assert i18n.negotiate(header) == expected


def test_a_context_speaks_one_language_and_restores_the_outer_one() -> None:
    assert i18n.current() == "en"
    with i18n.use("fr"):
        assert i18n.current() == "fr"
        with i18n.use("ar"):
            assert i18n.direction(i18n.current()) == "rtl"
        assert i18n.current() == "fr"
        i18n.choose("nonsense")  # an unknown language changes nothing
        assert i18n.current() == "fr"
    assert i18n.current() == "en"


def test_plural_forms_give_each_category_of_the_language() -> None:
    with i18n.use("ar"):
        forms = i18n.plural_forms("%(num)d vote", "%(num)d votes")
    assert set(forms) == {"zero", "one", "two", "few", "many", "other"}
    assert all("%(num)d" not in text for text in forms.values())
    with i18n.use("en"):
        assert i18n.plural_forms("%(num)d vote", "%(num)d votes") == {"one": "{n} vote", "other": "{n} votes"}


def test_a_shipped_plan_is_shown_in_the_readers_language_and_an_edited_prompt_as_written() -> None:
    plan = get_template("story-exchange")
    edited = plan.model_copy(
        update={"phases": (plan.phases[0].model_copy(update={"title": "Our own welcome"}), *plan.phases[1:])}
    )
    with i18n.use("ar"):
        shown = translate.plan(edited)
        table = translate.live_texts(edited)
    assert shown.phases[0].title == "Our own welcome"  # the facilitator's words, as written
    assert shown.phases[1].title != plan.phases[1].title  # the shipped words, in Arabic
    assert shown.agreements[0] != plan.agreements[0]
    assert "Our own welcome" not in table and table[plan.phases[1].title] == shown.phases[1].title
    # The live view fills "{turn_length}" in English; the table maps that filled text to the Arabic.
    filled = next(text for text in table if "7 minutes" in text)
    assert "{turn_length}" not in table[filled] and "7" in table[filled]
    with i18n.use("en"):
        assert translate.plan(plan) is plan


def test_every_shipped_plan_text_is_extracted() -> None:
    plan = get_template("story-exchange").model_dump(mode="json")
    found = list(texts(plan))
    assert plan["title"] in found and plan["phases"][2]["card_fields"][0]["label"] in found
    assert all(p in found for p in plan["phases"][1]["listener_prompts"])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Amina Diallo", "A.D."),
        ("محمد عبد الله الحسن", "م.ع.ح."),  # "عبد الله" is one name; the article "ال" is no initial
        ("فاطمة بنت أحمد", "ف.أ."),  # "بنت" (daughter of) is no name of its own
        ("مُحَمَّد علي", "م.ع."),  # short vowels are not part of an initial
        ("أبو بكر الصديق", "أ.ص."),
        ("Émile Zola", "É.Z."),
        ("E\u0301mile Zola", "É.Z."),  # a decomposed accent stays with its letter
        ("  (Rosa)  Quispe ", "R.Q."),
        ("", ""),
    ],
)
def test_initials_keep_whole_letters(name: str, expected: str) -> None:
    assert initials(name) == expected


def test_dates_are_written_the_languages_way() -> None:
    moment = datetime(2026, 3, 8, 17, 5, tzinfo=UTC)
    with i18n.use("fr"):
        assert "mars" in i18n.moment(moment) and "17:05" in i18n.moment(moment)
    with i18n.use("ar"):
        assert "مارس" in i18n.moment(moment)
    with i18n.use("en"):
        assert "March" in i18n.moment(moment)
