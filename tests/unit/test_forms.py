"""Form validation, the plan editor and the calendar file: pure functions, no server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from exchange.programmes import ics, plan_editor
from exchange.programmes.forms import (
    ExchangeForm,
    FormErrors,
    MemberForm,
    ParticipantForm,
    ProgrammeForm,
    RetentionForm,
    parse_form,
)
from exchange.programmes.models import Exchange
from exchange.prompts.catalog import get_template
from exchange.prompts.models import ActivityKind, PhasePlan

# --- the exchange form ------------------------------------------------------------------------

NEXT_MONTH = (datetime.now(UTC) + timedelta(days=30)).date()


def exchange_data(**overrides: str) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "  Stories of change  ",
        "purpose": "Why we meet.",
        "start_date": NEXT_MONTH.isoformat(),
        "start_time": "14:00",
        "timezone": "Africa/Nairobi",
        "duration_minutes": "120",
        "language": "pt-BR",
        "call_url": "https://meet.example.org/x",
        "template_key": "story-exchange",
        "unexpected": "ignored",
    }
    data.update(overrides)
    return data


def errors_of(model: type[Any], data: dict[str, object], context: dict[str, object] | None = None) -> dict[str, str]:
    with pytest.raises(FormErrors) as caught:
        parse_form(model, data, context)
    return caught.value.errors


def test_a_good_exchange_form_parses() -> None:
    form = parse_form(ExchangeForm, exchange_data())
    assert form.title == "Stories of change"
    assert form.duration_minutes == 120
    start = form.starts_at()
    assert start == datetime(NEXT_MONTH.year, NEXT_MONTH.month, NEXT_MONTH.day, 14, 0, tzinfo=ZoneInfo("Africa/Nairobi"))
    assert start.astimezone(UTC).hour == 11


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": "   "}, "title", "This can't be empty."),
        ({"title": "x" * 121}, "title", "This is too long (at most 120 characters)."),
        ({"duration_minutes": "0"}, "duration_minutes", "This must be at least 15."),
        ({"duration_minutes": "481"}, "duration_minutes", "This must be at most 480."),
        ({"duration_minutes": "1.5"}, "duration_minutes", "Enter a whole number."),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Choose a time zone from the list."),
        ({"timezone": "localtime"}, "timezone", "Choose a time zone from the list."),
        ({"timezone": "Factory"}, "timezone", "Choose a time zone from the list."),
        ({"timezone": "../../etc/passwd"}, "timezone", "Choose a time zone from the list."),
        ({"timezone": ""}, "timezone", "Choose a time zone from the list."),
        ({"start_date": "2020-01-01"}, "start_date", "The start must be in the future."),
        ({"start_date": "9999-12-31", "timezone": "America/Los_Angeles"}, "start_date", "The start must be within the next ten years."),
        ({"start_date": "tomorrow"}, "start_date", "Enter a date."),
        ({"start_time": "25:61"}, "start_time", "Enter a time."),
        ({"call_url": "javascript:alert(1)"}, "call_url", "Enter a web address starting with https://"),
        ({"call_url": "https://"}, "call_url", "Enter a web address starting with https://"),
        ({"language": "english"}, "language", "Enter a language code such as en, fr or pt-BR."),
    ],
)
def test_each_bad_field_gets_its_own_message(overrides: dict[str, str], field: str, message: str) -> None:
    assert errors_of(ExchangeForm, exchange_data(**overrides)) == {field: message}


def test_missing_fields_are_each_reported() -> None:
    errors = errors_of(ExchangeForm, {})
    assert set(errors) == {"title", "start_date", "start_time", "timezone", "duration_minutes"}
    assert set(errors.values()) == {"This is required."}


def test_several_errors_at_once_are_keyed_by_field() -> None:
    errors = errors_of(ExchangeForm, exchange_data(title="", duration_minutes="0", timezone="Nowhere"))
    assert errors == {
        "title": "This can't be empty.",
        "duration_minutes": "This must be at least 15.",
        "timezone": "Choose a time zone from the list.",
    }


def test_the_future_check_uses_the_named_zone() -> None:
    # A wall-clock time that is still ahead in one zone may already have passed in another.
    now = datetime.now(UTC)
    soon_in_kiribati = (now + timedelta(hours=1)).astimezone(ZoneInfo("Pacific/Kiritimati"))  # UTC+14
    data = exchange_data(
        start_date=soon_in_kiribati.date().isoformat(),
        start_time=soon_in_kiribati.strftime("%H:%M"),
        timezone="Pacific/Kiritimati",
    )
    assert parse_form(ExchangeForm, data).starts_at() > now
    # The same wall-clock time in Pago Pago (UTC-11) comes 25 hours later in real time.
    assert parse_form(ExchangeForm, {**data, "timezone": "Pacific/Pago_Pago"}).starts_at() > now
    past = (now - timedelta(hours=1)).astimezone(ZoneInfo("Pacific/Kiritimati"))
    with pytest.raises(FormErrors) as caught:
        parse_form(
            ExchangeForm,
            exchange_data(start_date=past.date().isoformat(), start_time=past.strftime("%H:%M"), timezone="Pacific/Kiritimati"),
        )
    assert caught.value.errors == {"start_date": "The start must be in the future."}


def test_an_edit_may_keep_a_start_that_has_passed_but_not_move_to_another() -> None:
    kept = datetime(2020, 1, 1, 14, 0, tzinfo=ZoneInfo("Africa/Nairobi"))
    data = exchange_data(start_date="2020-01-01", start_time="14:00")
    assert parse_form(ExchangeForm, data, {"current_start": kept}).starts_at() == kept
    moved = exchange_data(start_date="2020-01-02", start_time="14:00")
    assert errors_of(ExchangeForm, moved, {"current_start": kept}) == {"start_date": "The start must be in the future."}


def test_programme_member_and_participant_forms() -> None:
    assert parse_form(ProgrammeForm, {"name": " Allies ", "description": ""}).name == "Allies"
    assert errors_of(ProgrammeForm, {"name": ""}) == {"name": "This can't be empty."}
    assert errors_of(ProgrammeForm, {"name": "x", "description": "d" * 2001}) == {
        "description": "This is too long (at most 2000 characters)."
    }
    assert errors_of(MemberForm, {"email": "nope"}) == {"email": "Enter a valid email address."}

    participant = parse_form(ParticipantForm, {"name": " Amina ", "context": " Kisumu ", "email": "  "})
    assert (participant.name, participant.context, participant.email) == ("Amina", "Kisumu", None)
    assert parse_form(ParticipantForm, {"name": "A", "email": "a@example.org"}).email == "a@example.org"
    assert errors_of(ParticipantForm, {"name": " ", "email": "a@"}) == {
        "name": "This can't be empty.",
        "email": "Enter a valid email address.",
    }
    assert errors_of(ParticipantForm, {"name": "x" * 81}) == {"name": "This is too long (at most 80 characters)."}


RETENTION_ERROR = "Enter a whole number of days from 1 to 3650, or leave it empty to keep stories without limit."


@pytest.mark.parametrize(
    ("value", "days"), [("30", 30), (" 1 ", 1), ("3650", 3650), ("0090", 90), ("", None), ("  ", None)]
)
def test_the_retention_period_is_whole_days_or_empty(value: str, days: int | None) -> None:
    assert parse_form(RetentionForm, {"retention_days": value}).retention_days == days


@pytest.mark.parametrize("value", ["0", "3651", "-5", "1.5", "1e3", "thirty", "\u0661\u0662", "9" * 5000, "30 days"])
def test_a_bad_retention_period_gets_one_clear_message(value: str) -> None:
    assert errors_of(RetentionForm, {"retention_days": value}) == {"retention_days": RETENTION_ERROR}


def test_a_retention_form_without_the_field_changes_nothing() -> None:
    assert errors_of(RetentionForm, {}) == {"retention_days": "This is required."}


# --- the plan editor --------------------------------------------------------------------------

TEMPLATE = get_template("story-exchange")


def plan_form(plan: PhasePlan) -> dict[str, str]:
    """What the editor page submits for an unchanged plan."""
    form = {"agreements": "\n".join(plan.agreements)}
    for i, phase in enumerate(plan.phases):
        form[f"p{i}_title"] = phase.title
        form[f"p{i}_minutes"] = str(phase.minutes)
        form[f"p{i}_prompts"] = "\n".join(phase.prompts)
        form[f"p{i}_on_expiry"] = phase.on_expiry.value
        if phase.turn_seconds:
            form[f"p{i}_turn_minutes"] = str(phase.turn_seconds / 60)
            form[f"p{i}_listener_prompts"] = "\n".join(phase.listener_prompts)
            form[f"p{i}_speaking_order"] = phase.speaking_order.value
        else:
            form[f"p{i}_queue_order"] = phase.queue_order.value
        if phase.card_fields:
            form[f"p{i}_card_anonymity"] = phase.card_anonymity.value
    return form


def test_an_unchanged_form_gives_back_the_same_plan() -> None:
    assert plan_editor.validate(plan_editor.apply_form(TEMPLATE, plan_form(TEMPLATE))) == TEMPLATE


def test_apply_form_changes_fields() -> None:
    form = plan_form(TEMPLATE)
    form.update(
        {
            "p1_title": "  Our stories  ",
            "p1_minutes": "40",
            "p1_turn_minutes": "6.5",
            "p1_prompts": "  First prompt \n\n Second prompt  \n",
            "p1_speaking_order": "shuffled",
            "p4_queue_order": "progressive",
            "p0_on_expiry": "advance",
            "agreements": "Listen.\n\nBe kind.",
        }
    )
    plan = plan_editor.validate(plan_editor.apply_form(TEMPLATE, form))
    story = plan.phases[1]
    assert (story.title, story.minutes, story.turn_seconds) == ("Our stories", 40, 390)
    assert story.prompts == ("First prompt", "Second prompt")
    assert story.speaking_order.value == "shuffled"
    assert plan.phases[4].queue_order.value == "progressive"
    assert plan.phases[0].on_expiry.value == "advance"
    assert plan.agreements == ("Listen.", "Be kind.")
    assert TEMPLATE.phases[1].minutes == 35  # the template itself is untouched


def test_cards_anonymity_is_set_in_the_editor_and_must_keep_the_prompts_promise() -> None:
    levers, solving = 2, 5  # story-exchange: cultural levers (named), problem solving (always anonymous)
    plan = plan_editor.validate(plan_editor.apply_form(TEMPLATE, {**plan_form(TEMPLATE), f"p{levers}_card_anonymity": "optional"}))
    assert plan.phases[levers].card_anonymity.value == "optional"
    with pytest.raises(FormErrors) as caught:  # its prompt says "Cards are anonymous"
        plan_editor.validate(plan_editor.apply_form(TEMPLATE, {**plan_form(TEMPLATE), f"p{solving}_card_anonymity": "named"}))
    assert set(caught.value.errors) == {f"p{solving}_card_anonymity"} and "promise" in caught.value.errors[f"p{solving}_card_anonymity"]
    with pytest.raises(FormErrors):
        plan_editor.validate(plan_editor.apply_form(TEMPLATE, {**plan_form(TEMPLATE), f"p{levers}_card_anonymity": "sometimes"}))


def test_apply_form_reports_numbers_that_are_not_numbers() -> None:
    form = {**plan_form(TEMPLATE), "p0_minutes": "ten", "p1_turn_minutes": "5 min"}
    with pytest.raises(FormErrors) as caught:
        plan_editor.apply_form(TEMPLATE, form)
    assert caught.value.errors == {"p0_minutes": "Enter a number.", "p1_turn_minutes": "Enter a number."}


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"p0_minutes": "0"}, {"p0_minutes": "This must be at least 1."}),
        ({"p2_minutes": "481"}, {"p2_minutes": "This must be at most 480."}),
        ({"p3_minutes": "2.5"}, {"p3_minutes": "Enter a whole number."}),
        ({"p2_title": "   "}, {"p2_title": "This can't be empty."}),
        ({"p1_prompts": "\n \n"}, {"p1_prompts": "This needs at least one line."}),
        ({"p0_prompts": "\n".join(f"Prompt {n}" for n in range(13))}, {"p0_prompts": "There can be at most 12 of these."}),
        ({"p1_turn_minutes": "0.1"}, {"p1_turn_minutes": "This must be at least 15."}),
        ({"agreements": ""}, {"agreements": "This needs at least one line."}),
        ({"p0_minutes": "0", "p1_title": ""}, {"p0_minutes": "This must be at least 1.", "p1_title": "This can't be empty."}),
    ],
)
def test_validate_keys_errors_by_the_editor_field(changes: dict[str, str], errors: dict[str, str]) -> None:
    data = plan_editor.apply_form(TEMPLATE, {**plan_form(TEMPLATE), **changes})
    with pytest.raises(FormErrors) as caught:
        plan_editor.validate(data)
    assert caught.value.errors == errors


def titles(data: dict[str, Any]) -> list[str]:
    return [phase["title"] for phase in data["phases"]]


def test_move_swaps_neighbours_and_ignores_the_edges() -> None:
    data = TEMPLATE.model_dump(mode="json")
    original = titles(data)
    plan_editor.move(data, 2, -1)
    assert titles(data)[:3] == [original[0], original[2], original[1]]
    plan_editor.move(data, 2, +1)
    assert titles(data)[1:4] == [original[2], original[3], original[1]]
    snapshot = titles(data)
    for index, offset in ((0, -1), (len(original) - 1, +1), (-1, +1), (99, -1)):
        plan_editor.move(data, index, offset)
        assert titles(data) == snapshot
    plan_editor.validate(data)


def test_remove_drops_one_phase_and_ignores_bad_indexes() -> None:
    data = TEMPLATE.model_dump(mode="json")
    original = titles(data)
    plan_editor.remove(data, 3)
    assert titles(data) == original[:3] + original[4:]
    plan_editor.remove(data, -1)
    plan_editor.remove(data, 99)
    assert len(data["phases"]) == len(original) - 1


def test_removing_every_phase_is_refused() -> None:
    data = TEMPLATE.model_dump(mode="json")
    for _ in range(len(data["phases"])):
        plan_editor.remove(data, 0)
    with pytest.raises(FormErrors) as caught:
        plan_editor.validate(data)
    assert caught.value.errors == {"phases": "This needs at least one line."}


@pytest.mark.parametrize("kind", list(ActivityKind))
def test_an_added_phase_of_every_kind_is_valid(kind: ActivityKind) -> None:
    data = TEMPLATE.model_dump(mode="json")
    plan_editor.add(data, kind=kind.value, title=f"  New {kind.value} ")
    plan = plan_editor.validate(data)
    added = plan.phases[-1]
    assert added.kind is kind
    assert added.title == f"New {kind.value}"
    assert (added.turn_seconds is not None) == (kind is ActivityKind.STORY_ROUND)


def test_added_phases_get_unique_keys_and_a_default_title() -> None:
    data = TEMPLATE.model_dump(mode="json")
    for _ in range(3):
        plan_editor.add(data, kind="discussion", title="Story sharing")
    plan_editor.add(data, kind="discussion", title="   ")
    plan_editor.add(data, kind="discussion", title="¿¡!")
    plan = plan_editor.validate(data)
    keys = [phase.key for phase in plan.phases]
    assert len(keys) == len(set(keys))
    assert plan.phases[-2].title == "Discussion"


def test_adding_an_unknown_kind_is_refused() -> None:
    data = TEMPLATE.model_dump(mode="json")
    with pytest.raises(FormErrors) as caught:
        plan_editor.add(data, kind="karaoke", title="Sing")
    assert caught.value.errors == {"new_kind": "Choose what kind of phase to add."}
    assert len(data["phases"]) == len(TEMPLATE.phases)


def test_an_added_phase_has_real_prompts_that_fill_in_for_its_kind() -> None:
    from exchange.prompts import placeholders

    data = TEMPLATE.model_dump(mode="json")
    for kind in ActivityKind:
        plan_editor.add(data, kind=kind.value, title="")
    plan = plan_editor.validate(data)
    for added in plan.phases[len(TEMPLATE.phases):]:
        text = " ".join(added.prompts)
        assert "Describe what this phase is for" not in text
        prompts, _listeners = placeholders.filled(added)
        assert not any(placeholders.PATTERN.search(p) for p in prompts), added.kind
        assert added.title == plan_editor.kind_label(added.kind)


def test_card_fields_are_renamed_resized_removed_and_added() -> None:
    levers = 2
    form = {
        **plan_form(TEMPLATE),
        f"p{levers}_f0_label": "  Who moves change ",
        f"p{levers}_f0_max": "150",
        f"p{levers}_f1_remove": "1",
        f"p{levers}_fnew_label": "Who they are",  # the key "who" is taken: the new one gets another
        f"p{levers}_votes": "4",
    }
    plan = plan_editor.validate(plan_editor.apply_form(TEMPLATE, form))
    fields = plan.phases[levers].card_fields
    assert [(f.key, f.label, f.max_length) for f in fields] == [
        ("who", "Who moves change", 150),
        ("how-engaged", "How they were engaged", 500),
        ("who-they-are", "Who they are", 500),
    ]
    assert plan.phases[levers].votes_per_person == 4
    with pytest.raises(FormErrors) as caught:
        plan_editor.validate(plan_editor.apply_form(TEMPLATE, {**form, f"p{levers}_f0_max": "0"}))
    assert caught.value.errors == {f"p{levers}_f0_max": "This must be at least 1."}
    gone = {f"p{levers}_f{j}_remove": "1" for j in range(3)}
    with pytest.raises(FormErrors) as caught:
        plan_editor.validate(plan_editor.apply_form(TEMPLATE, {**plan_form(TEMPLATE), **gone}))
    assert caught.value.errors == {f"p{levers}_card_fields": "A cards phase needs at least one field."}


def test_sections_domains_and_votes_belong_to_their_kinds() -> None:
    msc = get_template("most-significant-change")
    selection = next(i for i, p in enumerate(msc.phases) if p.kind is ActivityKind.SELECTION)
    form = {**plan_form(msc), f"p{selection}_domains": "Lives\nVoice", f"p{selection}_votes": "2", "p0_domains": "Nope"}
    plan = plan_editor.validate(plan_editor.apply_form(msc, form))
    assert (plan.phases[selection].domains, plan.phases[selection].votes_per_person) == (("Lives", "Voice"), 2)
    assert plan.phases[0].domains == ()  # only a selection phase takes domains
    draft = next(i for i, p in enumerate(TEMPLATE.phases) if p.kind is ActivityKind.DRAFT)
    plan = plan_editor.validate(plan_editor.apply_form(TEMPLATE, {**plan_form(TEMPLATE), f"p{draft}_sections": "One\nTwo"}))
    assert plan.phases[draft].sections == ("One", "Two")


def test_prompts_with_placeholders_the_phase_cannot_fill_are_refused() -> None:
    form = {**plan_form(TEMPLATE), "p1_prompts": "You have {turn_length}.", "p1_listener_prompts": "In {votes}..."}
    with pytest.raises(FormErrors) as caught:
        plan_editor.validate(plan_editor.apply_form(TEMPLATE, form))
    assert set(caught.value.errors) == {"p1_listener_prompts"}
    assert "“{votes}” is not a placeholder this phase knows" in caught.value.errors["p1_listener_prompts"]


def test_the_pages_order_moves_and_removes_in_one_go() -> None:
    n = len(TEMPLATE.phases)
    data = plan_editor.apply_form(TEMPLATE, plan_form(TEMPLATE), order=[str(i) for i in (3, 0, 1, *range(5, n))])
    assert titles(data) == [TEMPLATE.phases[i].title for i in (3, 0, 1, *range(5, n))]
    for bad in (["0", "0"], ["99"], ["-1"], ["x"], ["²"]):
        with pytest.raises(FormErrors) as caught:
            plan_editor.apply_form(TEMPLATE, plan_form(TEMPLATE), order=bad)
        assert set(caught.value.errors) == {"phases"}
    with pytest.raises(FormErrors):  # removing every phase in place is refused at validation
        plan_editor.validate(plan_editor.apply_form(TEMPLATE, plan_form(TEMPLATE), order=[]))


# --- the calendar file ------------------------------------------------------------------------


def an_exchange(**overrides: Any) -> Exchange:
    values: dict[str, Any] = {
        "id": 7,
        "programme_id": 1,
        "title": "Stories; change, and \\ more",
        "purpose": "Line one\nLine two",
        "starts_at": datetime(2031, 3, 4, 14, 0, tzinfo=ZoneInfo("Africa/Nairobi")).astimezone(UTC),
        "timezone": "Africa/Nairobi",
        "duration_minutes": 90,
        "call_url": "https://meet.example.org/abc",
        "template_key": "story-exchange",
        "plan": {},
        "created_by": 1,
    }
    values.update(overrides)
    return Exchange(**values)


def unfold(body: str) -> list[str]:
    return body.replace("\r\n ", "").split("\r\n")


def test_the_calendar_uses_crlf_utc_and_escapes_text() -> None:
    body = ics.calendar(an_exchange(), url="http://127.0.0.1:8000/exchanges/7")
    assert body.endswith("\r\n")
    assert "\n" not in body.replace("\r\n", "")
    lines = unfold(body)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR" and lines[-1] == ""
    assert "DTSTART:20310304T110000Z" in lines
    assert "DTEND:20310304T123000Z" in lines
    assert "SUMMARY:Stories\\; change\\, and \\\\ more" in lines
    assert "DESCRIPTION;LANGUAGE=en:Line one\\nLine two\\n\\nThe call: https://meet.example.org/abc" in lines
    assert "LOCATION:https://meet.example.org/abc" in lines
    assert "UID:exchange-7@story-exchange" in lines
    assert not any(line.startswith("LOCATION") for line in unfold(ics.calendar(an_exchange(call_url=""), url="x")))


def test_escape() -> None:
    assert ics._escape("a;b,c\\d\ne\r\nf") == "a\\;b\\,c\\\\d\\ne\\nf"


@pytest.mark.parametrize("text", ["x" * 200, "é" * 100, "🙂" * 60, "ab" + "é" * 80, "a" * 74, "a" * 75, "a" * 76])
def test_long_lines_fold_at_75_octets_without_splitting_characters(text: str) -> None:
    line = f"SUMMARY:{text}"
    folded = ics._fold(line)
    physical = folded.split("\r\n")
    assert all(len(part.encode()) <= 75 for part in physical)
    assert all(part.startswith(" ") for part in physical[1:])
    assert folded.replace("\r\n ", "") == line
    if len(line.encode()) <= 75:
        assert folded == line


def test_a_whole_calendar_with_long_unicode_text_folds_every_line() -> None:
    body = ics.calendar(an_exchange(title="Échanges " * 20, purpose="🙂 " * 100), url="http://h/x")
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    assert f"SUMMARY:{'Échanges ' * 20}" in unfold(body)
