"""The phase-plan catalog: shipped templates load, and bad plans are refused with a clear message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from exchange.prompts.catalog import (
    TEMPLATES_DIR,
    PlanFileError,
    get_template,
    list_templates,
    load_plan_file,
    parse_plan,
)
from exchange.prompts.models import ActivityKind, CardAnonymity, Phase, PhasePlan, QueueOrder, SpeakingOrder

SHIPPED_KEYS = {"story-exchange", "story-circles", "most-significant-change", "appreciative-inquiry", "peer-assist"}

# --- the shipped templates -------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(TEMPLATES_DIR.glob("*.toml")), ids=lambda path: path.name)
def test_every_template_file_loads(path: Path) -> None:
    plan = load_plan_file(path)
    assert plan.key == path.stem
    assert plan.phases[0].kind is ActivityKind.AGREEMENTS
    assert plan.phases[-1].kind is ActivityKind.FEEDBACK
    for phase in plan.phases:
        if phase.kind is ActivityKind.STORY_ROUND:
            assert phase.listener_prompts, f"{phase.key} has no listener prompts"


def test_list_templates_holds_every_file_sorted_by_title() -> None:
    plans = list_templates()
    assert {plan.key for plan in plans} == SHIPPED_KEYS
    assert len(plans) == len(list(TEMPLATES_DIR.glob("*.toml")))
    assert [plan.title for plan in plans] == sorted((plan.title for plan in plans), key=str.casefold)


def test_template_keys_are_unique() -> None:
    keys = [plan.key for plan in list_templates()]
    assert len(keys) == len(set(keys))


def test_list_templates_returns_a_fresh_list() -> None:
    list_templates().clear()
    assert len(list_templates()) == len(SHIPPED_KEYS)


@pytest.mark.parametrize("key", sorted(SHIPPED_KEYS))
def test_get_template(key: str) -> None:
    plan = get_template(key)
    assert plan.key == key
    assert plan in list_templates()


def test_get_template_unknown_key_names_it_and_the_known_ones() -> None:
    with pytest.raises(KeyError) as caught:
        get_template("no-such-plan")
    message = str(caught.value)
    assert "'no-such-plan'" in message
    assert "story-exchange" in message


@pytest.mark.parametrize("key", sorted(SHIPPED_KEYS))
def test_a_template_round_trips_through_parse_plan(key: str) -> None:
    plan = get_template(key)
    assert parse_plan(plan.model_dump(mode="json"), "copy") == plan


def test_story_exchange_runs_the_designed_phases_in_order() -> None:
    plan = get_template("story-exchange")
    assert plan.title == "Grassroots story exchange"
    assert [(phase.key, phase.kind) for phase in plan.phases] == [
        ("welcome", ActivityKind.AGREEMENTS),
        ("story-sharing", ActivityKind.STORY_ROUND),
        ("cultural-levers", ActivityKind.CARDS),
        ("commonalities", ActivityKind.CARDS),
        ("engaging-men", ActivityKind.DISCUSSION),
        ("problem-solving", ActivityKind.CARDS),
        ("funder-message", ActivityKind.DRAFT),
        ("closing", ActivityKind.FEEDBACK),
    ]
    assert 110 <= plan.total_minutes <= 130
    phases = {phase.key: phase for phase in plan.phases}

    stories = phases["story-sharing"]
    assert stories.turn_seconds == 420
    assert stories.speaking_order is SpeakingOrder.JOINED
    assert [prompt.split("...")[0] for prompt in stories.listener_prompts] == [
        "What I heard",
        "A moment that stayed with me",
        "A question I would like to ask",
    ]

    levers = phases["cultural-levers"]
    assert [field.key for field in levers.card_fields] == ["who", "influence", "how-engaged"]
    assert levers.votes_per_person == 0

    assert [field.key for field in phases["commonalities"].card_fields] == ["commonality"]
    assert phases["engaging-men"].queue_order is QueueOrder.PROGRESSIVE
    assert any("perpetrators" in prompt for prompt in phases["engaging-men"].prompts)

    solving = phases["problem-solving"]
    assert solving.votes_per_person == 3
    assert solving.card_anonymity is CardAnonymity.ALWAYS  # its prompt promises it

    assert phases["funder-message"].sections == ("The need", "The evidence from our stories", "The ask")


def test_a_plan_that_promises_anonymous_cards_makes_them_anonymous() -> None:
    """Every shipped cards phase whose prompts say "anonymous" is always anonymous: the promise holds
    whatever the author ticks, and a plan that names cards never says they are anonymous."""
    for plan in list_templates():
        for phase in plan.phases:
            promises = any("anonym" in prompt.lower() for prompt in phase.prompts)
            if phase.kind is ActivityKind.CARDS and promises:
                assert phase.card_anonymity is CardAnonymity.ALWAYS, (plan.key, phase.key)
            if phase.kind is ActivityKind.CARDS and phase.card_anonymity is CardAnonymity.NAMED:
                assert not promises, (plan.key, phase.key)


def test_plans_saved_before_the_modes_keep_their_meaning() -> None:
    """A stored plan said `anonymous_cards`: true meant the author's choice, false meant named."""
    base = {"key": "x", "title": "X", "kind": "cards", "minutes": 5, "prompts": ["Go."],
            "card_fields": [{"key": "a", "label": "A"}]}  # fmt: skip
    assert Phase.model_validate({**base, "anonymous_cards": True}).card_anonymity is CardAnonymity.OPTIONAL
    assert Phase.model_validate({**base, "anonymous_cards": False}).card_anonymity is CardAnonymity.NAMED
    assert "anonymous_cards" not in Phase.model_validate({**base, "anonymous_cards": True}).model_dump()


def test_story_exchange_agreements_cover_the_ground_rules() -> None:
    text = " ".join(get_template("story-exchange").agreements).lower()
    for rule in ("stays here", "without interrupting", "not achievements", "your own experience"):
        assert rule in text


def test_story_circles_hold_questions_until_every_story_is_told() -> None:
    plan = get_template("story-circles")
    assert plan.title == "Story circles"
    assert "single circle" in plan.description
    phases = {phase.key: phase for phase in plan.phases}
    assert phases["get-acquainted"].turn_seconds == 120
    story_round = phases["story-round"]
    assert story_round.turn_seconds == 180
    prompts = " ".join(story_round.prompts)
    assert "until every story has been told" in prompts
    assert "pass" in prompts
    assert phases["debrief"].kind is ActivityKind.DISCUSSION


def test_most_significant_change_selects_with_one_vote_and_records_why() -> None:
    plan = get_template("most-significant-change")
    assert plan.title == "Most significant change"
    phases = {phase.key: phase for phase in plan.phases}
    assert phases["story-collection"].prompts[0] == (
        "Looking back over the period, what was the most significant change in this domain?"
    )
    assert "domain" in [field.key for field in phases["grouping"].card_fields]
    selection = phases["selection"]
    assert selection.kind is ActivityKind.SELECTION
    assert selection.votes_per_person == 1
    assert "dissent" in " ".join(selection.prompts)


# --- bad plan files --------------------------------------------------------------------------

WELCOME = """
[[phases]]
key = "welcome"
title = "Welcome"
kind = "agreements"
minutes = 10
prompts = ["Please read our agreements."]
"""

STORIES = """
[[phases]]
key = "stories"
title = "Stories"
kind = "story_round"
minutes = 30
turn_seconds = 300
prompts = ["Tell us about a change you saw."]
listener_prompts = ["What I heard..."]
"""


def as_kind(kind: str) -> str:
    """The stories phase turned into another, untimed kind."""
    return STORIES.replace('kind = "story_round"', f'kind = "{kind}"').replace("turn_seconds = 300\n", "")


def plan_toml(*phases: str, key: str = "good-plan", title: str | None = "A good plan", top: str = "") -> str:
    """A small valid plan file, which each case below breaks in one way."""
    title_line = f'title = "{title}"\n' if title is not None else ""
    head = f'key = "{key}"\n{title_line}description = "For tests."\nagreements = ["Listen fully."]\n{top}'
    return head + "".join(phases or (WELCOME, STORIES))


def test_the_base_plan_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "good-plan.toml"
    path.write_text(plan_toml(), encoding="utf-8")
    assert [phase.key for phase in load_plan_file(path).phases] == ["welcome", "stories"]


BAD_FILES = [
    pytest.param(
        "good-plan.toml",
        plan_toml(top="title = \n"),
        ["good-plan.toml: line 5, column 9: Invalid value"],
        id="toml-syntax-error",
    ),
    pytest.param(
        "good-plan.toml",
        plan_toml(top='agreements = ["Twice."]\n'),
        ["good-plan.toml: line 5, column", "Cannot overwrite a value"],
        id="toml-duplicate-key",
    ),
    pytest.param(
        "good-plan.toml",
        plan_toml() + "[[phases]\n",
        ["good-plan.toml: line 21, column 9: Expected ']]' at the end of an array declaration"],
        id="toml-unclosed-table-header",
    ),
    pytest.param(
        "good-plan.toml",
        plan_toml() + "sections = [1,\n",
        ["good-plan.toml: line 21: Invalid value at the end of the file"],
        id="toml-error-at-end-of-file",
    ),
    pytest.param(
        "good-plan.toml",
        plan_toml(title=None),
        ["good-plan.toml: title: Field required"],
        id="missing-title",
    ),
    pytest.param(
        "good-plan.toml",
        plan_toml(top='colour = "green"\n'),
        ["good-plan.toml: colour: Extra inputs are not permitted"],
        id="unknown-plan-field",
    ),
    pytest.param(
        "good-plan.toml",
        plan_toml(WELCOME + 'colour = "green"\n', STORIES),
        ["good-plan.toml: phases[0].colour: Extra inputs are not permitted"],
        id="unknown-phase-field",
    ),
    pytest.param(
        "good-plan.toml",
        plan_toml(WELCOME + "turn_seconds = 60\n", STORIES),
        ["good-plan.toml: phases[0]: turn_seconds only applies to turn-based phases, not agreements"],
        id="turn-seconds-on-a-non-turn-phase",
    ),
    pytest.param(
        "good-plan.toml",
        plan_toml(WELCOME, STORIES.replace("turn_seconds = 300\n", "")),
        ["good-plan.toml: phases[1]: a story_round phase needs turn_seconds"],
        id="story-round-without-turn-seconds",
    ),
    pytest.param(
        "good-plan.toml",
        plan_toml(WELCOME, STORIES.replace("turn_seconds = 300", "turn_seconds = 5")),
        ["good-plan.toml: phases[1].turn_seconds: Input should be greater than or equal to 15"],
        id="turn-too-short",
    ),
    pytest.param(
        "good-plan.toml",
        plan_toml(WELCOME.replace("minutes = 10", "minutes = 0"), STORIES),
        ["good-plan.toml: phases[0].minutes: Input should be greater than or equal to 1"],
        id="zero-minutes",
    ),
    pytest.param(
        "good-plan.toml",
        plan_toml(WELCOME, STORIES, WELCOME),
        ["good-plan.toml: two phases share the key 'welcome'"],
        id="duplicate-phase-keys",
    ),
    pytest.param(
        "good-plan.toml",
        plan_toml(WELCOME, as_kind("cards")),
        ["good-plan.toml: phases[1]: a cards phase needs at least one entry in card_fields"],
        id="cards-without-card-fields",
    ),
    pytest.param(
        "good-plan.toml",
        plan_toml(
            WELCOME,
            as_kind("cards") + '[[phases.card_fields]]\nkey = "how_engaged"\nlabel = "How they were engaged"\n',
        ),
        ["good-plan.toml: phases[1].card_fields[0].key: String should match pattern"],
        id="card-field-key-not-a-slug",
    ),
    pytest.param(
        "good-plan.toml",
        plan_toml(WELCOME, as_kind("draft")),
        ["good-plan.toml: phases[1]: a draft phase needs at least one entry in sections"],
        id="draft-without-sections",
    ),
    pytest.param(
        "good-plan.toml",
        plan_toml(WELCOME.replace('kind = "agreements"', 'kind = "lecture"'), STORIES),
        ["good-plan.toml: phases[0].kind: Input should be 'agreements', 'story_round'"],
        id="unknown-kind",
    ),
    pytest.param(
        "other-name.toml",
        plan_toml(),
        ["other-name.toml: key: 'good-plan' does not match the file name; rename the file to good-plan.toml"],
        id="file-name-does-not-match-key",
    ),
    pytest.param(
        "good-plan.toml",
        plan_toml(WELCOME.replace('prompts = ["Please read our agreements."]', "prompts = []"), STORIES),
        ["good-plan.toml: phases[0].prompts: Tuple should have at least 1 item after validation, not 0"],
        id="empty-prompts-list",
    ),
    pytest.param(
        "good-plan.toml",
        plan_toml(WELCOME.replace('"Please read our agreements."', '"   "'), STORIES),
        ["good-plan.toml: phases[0].prompts[0]: String should have at least 1 character"],
        id="blank-prompt",
    ),
    pytest.param(
        "good-plan.toml",
        plan_toml(
            WELCOME.replace("minutes = 10", "minutes = 0"), STORIES.replace("turn_seconds = 300", "turn_seconds = 5")
        ),
        [
            "good-plan.toml: phases[0].minutes: Input should be greater than or equal to 1\n"
            "good-plan.toml: phases[1].turn_seconds: Input should be greater than or equal to 15"
        ],
        id="one-line-per-error",
    ),
]


@pytest.mark.parametrize(("file_name", "text", "expected"), BAD_FILES)
def test_a_bad_plan_file_is_refused_naming_file_and_field(
    tmp_path: Path, file_name: str, text: str, expected: list[str]
) -> None:
    path = tmp_path / file_name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlanFileError) as caught:
        load_plan_file(path)
    message = str(caught.value)
    for part in expected:
        assert part in message
    assert all(line.startswith(f"{file_name}: ") for line in message.splitlines())
    assert caught.value.source == file_name
    assert len(caught.value.problems) == len(message.splitlines())


def test_each_problem_is_reported_once_on_its_own_line(tmp_path: Path) -> None:
    path = tmp_path / "good-plan.toml"
    blank_prompt = WELCOME.replace('"Please read our agreements."', '"   "')
    path.write_text(plan_toml(blank_prompt, STORIES.replace("minutes = 30", "minutes = 0")), encoding="utf-8")
    with pytest.raises(PlanFileError) as caught:
        load_plan_file(path)
    # Not also "phases[0].prompts: Tuple should have at least 1 item": the list is not empty, one item is bad.
    assert caught.value.problems == (
        "phases[0].prompts[0]: String should have at least 1 character",
        "phases[1].minutes: Input should be greater than or equal to 1",
    )


def test_a_file_that_is_not_utf8_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "good-plan.toml"
    path.write_bytes(plan_toml().encode("utf-8").replace(b"For tests.", b"For t\xe9sts."))
    with pytest.raises(PlanFileError, match=r"^good-plan\.toml: line 3: the file is not valid UTF-8 text$"):
        load_plan_file(path)


def test_plan_file_error_is_a_value_error() -> None:
    assert issubclass(PlanFileError, ValueError)


# --- edited plans coming back as data ----------------------------------------------------------


def edited_story_exchange() -> dict[str, Any]:
    return get_template("story-exchange").model_dump(mode="json")


def test_parse_plan_accepts_an_edited_copy() -> None:
    data = edited_story_exchange()
    data["title"] = "Our exchange, March"
    data["phases"][1]["turn_seconds"] = 300
    plan = parse_plan(data, "edited plan")
    assert isinstance(plan, PhasePlan)
    assert plan.title == "Our exchange, March"
    assert plan.phases[1].turn_seconds == 300


@pytest.mark.parametrize(
    ("where", "value", "expected"),
    [
        pytest.param(
            ("phases", 2, "turn_seconds"),
            1,
            "edited plan: phases[2].turn_seconds: Input should be greater than or equal to 15",
            id="turn-too-short",
        ),
        pytest.param(
            ("phases", 2, "turn_seconds"),
            60,
            "edited plan: phases[2]: turn_seconds only applies to turn-based phases, not cards",
            id="turn-on-cards",
        ),
        pytest.param(
            ("phases", 6, "sections"),
            [],
            "edited plan: phases[6]: a draft phase needs at least one entry in sections",
            id="draft-without-sections",
        ),
        pytest.param(
            ("agreements",),
            [],
            "edited plan: agreements: Tuple should have at least 1 item after validation, not 0",
            id="no-agreements",
        ),
        pytest.param(
            ("phases", 1, "speaking_order"),
            "loudest",
            "edited plan: phases[1].speaking_order: Input should be 'joined', 'shuffled' or 'facilitator'",
            id="bad-speaking-order",
        ),
        pytest.param(
            ("phases", 3, "card_fields", 0, "hint"),
            "x",
            "edited plan: phases[3].card_fields[0].hint: Extra inputs are not permitted",
            id="extra-card-field-attribute",
        ),
    ],
)
def test_parse_plan_refuses_a_bad_edit_naming_source_and_field(
    where: tuple[str | int, ...], value: object, expected: str
) -> None:
    data: Any = edited_story_exchange()
    target = data
    for step in where[:-1]:
        target = target[step]
    target[where[-1]] = value
    with pytest.raises(PlanFileError) as caught:
        parse_plan(data, "edited plan")
    assert str(caught.value) == expected


def test_parse_plan_refuses_something_that_is_not_a_plan() -> None:
    with pytest.raises(PlanFileError, match=r"^edited plan: Input should be a valid dictionary"):
        parse_plan(["not", "a", "plan"], "edited plan")  # type: ignore[arg-type]
