"""Placeholders in prompts, and a plan as one JSON file checked against the committed JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from exchange.prompts import document, placeholders
from exchange.prompts.catalog import PlanFileError, get_template, list_templates
from exchange.prompts.models import ActivityKind, Phase

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "plan.schema.json"
SHIPPED = sorted(plan.key for plan in list_templates())


# --- placeholders -------------------------------------------------------------------------------


def phase(kind: str, **changes: object) -> Phase:
    base: dict[str, object] = {"key": "p", "title": "P", "kind": kind, "minutes": 15, "prompts": ["Go."]}
    extra = {
        "story_round": {"turn_seconds": 420},
        "cards": {"card_fields": [{"key": "who", "label": "Who"}, {"key": "how", "label": "How"}]},
        "draft": {"sections": ["The need", "The ask"]},
    }.get(kind, {})
    return Phase.model_validate({**base, **extra, **changes})


@pytest.mark.parametrize(
    ("seconds", "words", "number"),
    [(420, "7 minutes", "7"), (30, "30 seconds", "0.5"), (60, "1 minute", "1"), (90, "1 minute and 30 seconds", "1.5"), (15, "15 seconds", "0.25")],
)
def test_turn_length_reads_as_people_say_it(seconds: int, words: str, number: str) -> None:
    shown = placeholders.values(phase("story_round", turn_seconds=seconds))
    assert (shown["turn_length"], shown["turn_minutes"]) == (words, number)


def test_each_kind_fills_its_own_settings() -> None:
    cards = placeholders.values(phase("cards", votes_per_person=3))
    assert (cards["votes"], cards["votes_each"], cards["fields"]) == ("3", "3 votes", "Who, How")
    selection = placeholders.values(phase("selection", domains=["Lives", "Voice"]))
    assert (selection["votes_each"], selection["domains"]) == ("1 vote", "Lives, Voice")  # 0 counts as the one vote
    assert placeholders.values(phase("draft"))["sections"] == "The need, The ask"
    assert placeholders.values(phase("discussion")) == {"minutes": "15", "duration": "15 minutes"}


def test_filled_prompts_keep_other_braces_and_unknown_words_as_written() -> None:
    story = phase("story_round", prompts=["You have {turn_length} ({minutes} in all).", "Use {curly brackets} freely."],
                  listener_prompts=["In {turn_minutes} minutes..."])  # fmt: skip
    prompts, listeners = placeholders.filled(story)
    assert prompts == ("You have 7 minutes (15 in all).", "Use {curly brackets} freely.")
    assert listeners == ("In 7 minutes...",)
    assert placeholders.fill("{nope} {minutes}", {"minutes": "5"}) == "{nope} 5"


def test_problems_name_the_word_and_what_the_phase_knows() -> None:
    story = phase("story_round")
    [message] = placeholders.problems(story, ["You have {votes} votes and {turn_length}."])
    assert "“{votes}” is not a placeholder this phase knows" in message and "{turn_length}" in message
    assert placeholders.problems(phase("cards"), ["You have {votes_each}."])[0].startswith("“{votes_each}” names the votes")
    assert "has none yet" in placeholders.problems(phase("selection"), ["In {domains}."])[0]
    assert placeholders.problems(phase("selection", domains=["Lives"]), ["In {domains}, {votes_each}."]) == []
    for kind in ActivityKind:
        known = " ".join(f"{{{name}}}" for name in placeholders.names_for(kind))
        settings = {"votes_per_person": 2, "domains": ["Lives"]} if kind is ActivityKind.SELECTION else {}
        if kind is ActivityKind.CARDS:
            settings = {"votes_per_person": 2}
        assert placeholders.problems(phase(kind.value, **settings), [known]) == [], kind


@pytest.mark.parametrize("key", SHIPPED)
def test_no_shipped_prompt_reaches_practitioners_with_a_placeholder_left(key: str) -> None:
    for step in get_template(key).phases:
        prompts, listeners = placeholders.filled(step)
        assert not any(placeholders.PATTERN.search(text) for text in (*prompts, *listeners)), (key, step.key)


# --- the plan file and its schema ---------------------------------------------------------------


def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def test_the_committed_schema_is_generated_from_the_models() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == document.schema_text(), (
        "docs/plan.schema.json is out of date: python -m exchange.prompts.document > docs/plan.schema.json"
    )
    jsonschema.Draft202012Validator.check_schema(schema())


@pytest.mark.parametrize("key", SHIPPED)
def test_every_shipped_plan_validates_against_the_committed_schema_and_round_trips(key: str) -> None:
    plan = get_template(key)
    text = document.export_text(plan, schema_url="https://exchange.example.org/plan.schema.json")
    jsonschema.validate(json.loads(text), schema(), cls=jsonschema.Draft202012Validator)
    assert document.import_bytes(text.encode(), "plan.json") == plan
    assert document.import_bytes(document.export_text(plan).encode(), "plan.json") == plan  # without "$schema"


def test_the_schema_refuses_what_the_models_refuse() -> None:
    data = json.loads(document.export_text(get_template("story-circles")))
    validator = jsonschema.Draft202012Validator(schema())
    for broken in (
        {**data, "format": "other"},
        {**data, "format_version": 2},
        {**data, "surprise": 1},
        {**data, "plan": {**data["plan"], "phases": []}},
        {**data, "plan": {**data["plan"], "phases": [{**data["plan"]["phases"][0], "minutes": 0}]}},
        {**data, "plan": {**data["plan"], "phases": [{**data["plan"]["phases"][0], "kind": "karaoke"}]}},
        {**data, "plan": {**data["plan"], "key": "Not A Slug"}},
    ):
        assert list(validator.iter_errors(broken)), broken
        with pytest.raises(PlanFileError):
            document.import_bytes(json.dumps(broken).encode(), "broken.json")


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"\xff\xfe", "not UTF-8"),
        (b"{", "not a JSON file"),
        (b"[]", "not a plan file"),
        (b" " * (document.MAX_FILE_BYTES + 1), "larger than"),
    ],
)
def test_a_file_that_is_not_a_plan_says_so(raw: bytes, problem: str) -> None:
    with pytest.raises(PlanFileError) as caught:
        document.import_bytes(raw, "x.json")
    assert problem in str(caught.value) and str(caught.value).startswith("x.json: ")
