"""Hostile input at the edge, without a server: frames of any shape, text that hides things, numbers
that aren't, calendar lines that would inject properties, and exports of a log that holds all that.

The same findings are driven against a real server in tests/integration/test_fuzz_ws.py and
tests/integration/test_access_matrix.py; here each rule is pinned where it lives.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from exchange.accounts.models import StaffUser
from exchange.cleantext import BIDI_CONTROLS, clean, clean_all, clean_line
from exchange.names import PERSON_NAME_MAX
from exchange.programmes import ics, plan_editor
from exchange.programmes.forms import ExchangeForm, FormErrors, ParticipantForm, ProgrammeForm, parse_form
from exchange.programmes.models import Exchange, Participant
from exchange.prompts.catalog import get_template
from exchange.sessions import protocol
from exchange.sessions.activities import cards_data as cd
from exchange.sessions.activities import stories_data as sd
from exchange.sessions.activities.fields import text
from exchange.sessions.commands import Actor, NextPhase, NextTurn, Role, command_adapter
from exchange.transcripts import build, csv_export, html, json_export, markdown
from exchange.transcripts.model import ExchangeMeta, RosterEntry
from tests.unit.test_activity_support import PLAN
from tests.unit.test_session_support import AMA, BEA, CHE, FACILITATOR, joined

#: What must never survive cleaning: C0 but tab and newline, DEL, C1, bidi controls, ESC sequences.
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
RTL = "قصة تغيير من القرية — סיפור של שינוי"
DIRTY = "Tea\x00 with\x07 the\x1b[31m imam\x1b[0m\u202e gnos\u202c\u2066x\u2069\x9b2J\x85 " + RTL
DIRTY_CLEAN = "Tea with the imam gnosx " + RTL


# --- the cleaner ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "multi", "single"),
    [
        ("plain", "plain", "plain"),
        ("a\x00b", "ab", "ab"),
        ("\x1b[1;31mred\x1b[0m", "red", "red"),
        ("\x1b]0;owned\x07title", "title", "title"),
        ("\x1b]8;;http://x\x1b\\link", "link", "link"),
        ("\x9b2Jwipe", "wipe", "wipe"),
        ("\x1bcreset", "reset", "reset"),
        ("user\u202egnp.exe", "usergnp.exe", "usergnp.exe"),
        ("\u2066isolated\u2069 \u2067r\u2069 \u2068f\u2069", "isolated r f", "isolated r f"),
        ("\u202a\u202b\u202c\u202d", "", ""),
        ("one\r\ntwo\rthree\nfour", "one\ntwo\nthree\nfour", "one two three four"),
        ("col\tumn", "col\tumn", "col umn"),
        ("a\u2028b\u2029c", "a\nb\nc", "a b c"),
        ("\x7f\x80\x9f", "", ""),
        ("lone \ud800 surrogate", "lone  surrogate", "lone  surrogate"),
        (RTL, RTL, RTL),
        ("\u200fמימין\u200e \u061cعربي", "\u200fמימין\u200e \u061cعربي", "\u200fמימין\u200e \u061cعربي"),
        ("emoji 👩🏾‍🌾 zwj", "emoji 👩🏾‍🌾 zwj", "emoji 👩🏾‍🌾 zwj"),
    ],
)
def test_clean_removes_what_hides_and_keeps_what_is_written(raw: str, multi: str, single: str) -> None:
    assert clean(raw) == multi
    assert clean_line(raw) == single


@given(st.text())
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_clean_leaves_nothing_forbidden_and_is_idempotent(raw: str) -> None:
    out = clean(raw)
    assert not FORBIDDEN.search(out)
    assert clean(out) == out
    line = clean_line(raw)
    assert not FORBIDDEN.search(line) and "\n" not in line and "\t" not in line
    assert clean_line(line) == line


def test_clean_all_reaches_every_string_of_a_json_value() -> None:
    value = {"a\x00": ["x\u202ey", {"k": "\x1b[2J"}], "n": 3, "f": None}
    assert clean_all(value) == {"a": ["xy", {"k": ""}], "n": 3, "f": None}
    assert set(BIDI_CONTROLS) == {chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]}


# --- text a person sends: websocket commands and HTTP forms -----------------------------------


def test_the_shared_text_field_cleans_before_it_counts() -> None:
    multi, line = TypeAdapter(text(10)), TypeAdapter(text(10, single_line=True))
    assert multi.validate_python("  a\x00\nb\u202e\t ") == "a\nb"
    assert line.validate_python(" a\nb\tc ") == "a b c"
    with pytest.raises(ValidationError, match="at least 1"):
        multi.validate_python("\x00\u202e\x1b[0m")  # nothing left: empty
    assert multi.validate_python("0123456789\x00\x1b[0m") == "0123456789"  # ten once cleaned
    with pytest.raises(ValidationError):
        multi.validate_python(12)  # not a string: refused, not crashed


def _string_fields(schema: dict, defs: dict, path: str = "") -> list[str]:
    """Dotted paths of every free string field in a command's JSON schema (no pattern, enum or const)."""
    if "$ref" in schema:
        return _string_fields(defs[schema["$ref"].rsplit("/", 1)[1]], defs, path)
    found = []
    for option in schema.get("anyOf", []):
        found += _string_fields(option, defs, path)
    if schema.get("type") == "string" and not {"pattern", "enum", "const", "format"} & schema.keys():
        found.append(path)
    for name, sub in schema.get("properties", {}).items():
        found += _string_fields(sub, defs, f"{path}.{name}" if path else name)
    return found


#: Free string fields of commands that are not text: ids (matched against the roster, never shown)
#: and a date (validated as YYYY-MM-DD).
ID_FIELDS = {"participant_id", "order", "due"}
#: Strings inside the start command's plan: the edge replaces the plan with the stored one.
FROM_DATABASE = {"start_exchange"}


def test_every_text_a_command_carries_is_cleaned() -> None:
    """Each free-text field of each command comes out of validation without control characters."""
    schema = command_adapter.json_schema()
    defs = schema["$defs"]
    checked = 0
    for option in schema["oneOf"] if "oneOf" in schema else schema["anyOf"]:
        model = defs[option["$ref"].rsplit("/", 1)[1]]
        kind = model["properties"]["type"]["const"]
        if kind in FROM_DATABASE:
            continue
        for path in _string_fields(model, defs):
            if path.split(".")[0] in ID_FIELDS or path == "type":
                continue
            checked += 1
            assert _cleans(kind, model, path), f"{kind}.{path} keeps control characters"
    assert checked >= 19


def _cleans(kind: str, model: dict, path: str) -> bool:
    """Validate a minimal command of `kind` whose field `path` holds DIRTY; the field comes out clean."""
    samples = {
        "add_card": {"fields": {"text": DIRTY}},
        "edit_card": {"card_id": "card-1", "fields": {"text": DIRTY}},
        "edit_section": {"section": 0, "base_version": 0, "text": DIRTY},
        "add_action": {"what": "w", "who": "w"},
        "record_selection": {"reason": "r", "story_ids": ["story-1"]},
        "share_story": {"title": "t"},
        "reflect": {"story_id": "story-1", "kind": "heard", "text": "t"},
        "add_recall": {"text": "t"},
        "redact_contribution": {"item_id": "story-1", "reason": "r"},
        "open_selection_round": {"story_ids": ["story-1", "story-2"]},
        "submit_feedback": {"ratings": {}},
        "hide_item": {"ref": "card-1"},
        "prepare_story": {"title": "t", "text": "t", "delivery": "private"},
        "rename_cluster": {"cluster_id": "cluster-1"},
    }
    data = {"type": kind, **samples.get(kind, {})}
    head = path.split(".")[0]
    if kind not in {"add_card", "edit_card"}:
        data[head] = DIRTY[:60]
    try:
        command = command_adapter.validate_python(data)
    except ValidationError as exc:
        raise AssertionError(f"{kind}: {exc}") from None
    return not any(FORBIDDEN.search(value) for value in _strings(command.model_dump(mode="json")))


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def test_every_http_form_text_is_cleaned() -> None:
    start = datetime.now(UTC) + timedelta(days=3)
    exchange = parse_form(
        ExchangeForm,
        {
            "title": "Stories\r\nX-INJECT: 1\u202e",
            "purpose": "Line one\r\nline two\x00\x1b[2J",
            "start_date": start.date().isoformat(),
            "start_time": "10:00",
            "timezone": "UTC",
            "duration_minutes": "60",
            "call_url": "https://call.example.org/x\x00",
        },
    )
    assert (exchange.title, exchange.purpose, exchange.call_url) == (
        "Stories X-INJECT: 1",
        "Line one\nline two",
        "https://call.example.org/x",
    )
    person = parse_form(ParticipantForm, {"name": "Ama\u202e\x00 Mensah", "context": "NGO\nAccra"})
    assert (person.name, person.context) == ("Ama Mensah", "NGO Accra")
    programme = parse_form(ProgrammeForm, {"name": "\x1b[1mEquity\x1b[0m", "description": "a\rb"})
    assert (programme.name, programme.description) == ("Equity", "a\nb")
    with pytest.raises(FormErrors) as refused:
        parse_form(ParticipantForm, {"name": "\x00\u202e"})
    assert "name" in refused.value.errors
    assert parse_form(ParticipantForm, {"name": RTL[:40]}).name == RTL[:40].strip()


def test_the_plan_editor_cleans_titles_prompts_and_agreements() -> None:
    plan = get_template("story-exchange")
    form = {
        "agreements": "Listen\x00 fully\u202e\nNo self\x1b[31m-promotion",
        "p0_title": "Welcome\r\nagain",
        "p0_minutes": str(plan.phases[0].minutes),
        "p0_prompts": "What\u2066 changed?\x07",
    }
    data = plan_editor.apply_form(plan, form)
    assert data["agreements"] == ["Listen fully", "No self-promotion"]
    assert data["phases"][0]["title"] == "Welcome again"
    assert data["phases"][0]["prompts"] == ["What changed?"]


# --- numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["inf", "-inf", "Infinity", "nan", "NaN", "1e309", "-1e309", "1e400", "9" * 400, "²"])
@pytest.mark.parametrize("field", ["minutes", "turn_minutes"])
def test_the_plan_editor_refuses_numbers_that_are_not_finite(raw: str, field: str) -> None:
    plan = get_template("story-exchange")
    index = next(i for i, phase in enumerate(plan.phases) if phase.turn_seconds is not None)
    phase = plan.phases[index]
    form = {f"p{index}_title": phase.title, f"p{index}_minutes": str(phase.minutes), f"p{index}_turn_minutes": "5"}
    form[f"p{index}_{field}"] = raw
    with pytest.raises(FormErrors) as refused:
        plan_editor.apply_form(plan, form)
    assert refused.value.errors == {f"p{index}_{field}": "Enter a number."}


@pytest.mark.parametrize("raw", ["inf", "nan", "1e309", "-1", "1e3", "9" * 30, "²", "٣٠", " "])
def test_exchange_and_retention_forms_refuse_numbers_that_are_not_whole(raw: str) -> None:
    from exchange.programmes.forms import RetentionForm

    start = datetime.now(UTC) + timedelta(days=3)
    form = {"title": "t", "start_date": start.date().isoformat(), "start_time": "10:00", "timezone": "UTC"}
    with pytest.raises(FormErrors) as refused:
        parse_form(ExchangeForm, {**form, "duration_minutes": raw})
    assert set(refused.value.errors) == {"duration_minutes"}
    if raw.strip():
        with pytest.raises(FormErrors):
            parse_form(RetentionForm, {"retention_days": raw})


# --- frames of any shape ------------------------------------------------------------------------


HOSTILE_FRAMES = [
    '{"type": []}',
    '{"type": {}}',
    '{"type": null}',
    '{"type": 1}',
    "[]",
    '"hello"',
    "null",
    "",
    "{",
    "[" * 100_000,
    '{"a":' * 50_000 + "1" + "}" * 50_000,
    '{"type":"ping","t":NaN}',
    '{"type":"ping","t":Infinity}',
    '{"type":"ping","t":-Infinity}',
    '{"type":"ping","t":1e309}',
    '{"type":"ping","t":' + "9" * 5000 + "}",
    '{"type":"ping","t":' + "9" * 400 + "}",
    '{"type":"hello","last_seq":' + "9" * 30 + "}",
    '{"type":"command","id":"abcdefgh","command":{"type":[]}}',
    '{"type":"command","id":"abcdefgh","command":{"type":"add_time","timer":"phase","seconds":1e309}}',
    '{"type":"command","id":"abcdefgh","command":' + '{"x":' * 40 + "1" + "}" * 40 + "}",
    '{"type":"command","id":"abcdefgh","command":{"type":"join","name":"x","' + "k" * 5000 + '":1}}',
    '{"type":"command","id":["a"],"command":{"type":"next_phase"}}',
    '{"type":"command","id":"abcdefgh","command":"next_phase"}',
    '{"type":"hello","protocol":2}',
    '{"type":"command","id":"abcdefgh","command":{"type":"share_story","title":"\\ud800"}}',
]


@pytest.mark.parametrize("frame", HOSTILE_FRAMES, ids=range(len(HOSTILE_FRAMES)))
def test_a_hostile_frame_is_a_bad_frame_never_a_crash(frame: str) -> None:
    try:
        parsed = protocol.parse_client_frame(frame)
    except protocol.BadFrame as refused:
        assert refused.code in {"malformed", "unknown_type", "unknown_command", "invalid"}
        assert refused.message.isprintable() and len(refused.message) < 300
    else:  # what gets through is valid, and encodes back as JSON
        json.loads(protocol.error(code="x", message=repr(parsed)))


@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30,
))
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_any_json_value_is_refused_or_valid(value: object) -> None:
    for wrapped in (value, {"type": value}, {"type": "command", "id": "abcdefgh", "command": value},
                    {"type": "command", "id": "abcdefgh", "command": {"type": "share_story", "title": value}}):  # fmt: skip
        raw = json.dumps(wrapped, allow_nan=True)
        try:
            protocol.parse_client_frame(raw)
        except protocol.BadFrame:
            pass


def test_a_ping_answer_is_always_json() -> None:
    frame = protocol.parse_client_frame('{"type":"ping","t":1.5e300}')
    assert isinstance(frame, protocol.Ping)
    json.loads(protocol.pong(t=frame.t, now=datetime.now(UTC)))


# --- names: an Actor holds every name a table can ---------------------------------------------


def test_an_actor_holds_any_staff_or_practitioner_name() -> None:
    staff_max = StaffUser.model_fields["name"].metadata[0].max_length
    participant_max = Participant.model_fields["name"].metadata[0].max_length
    assert PERSON_NAME_MAX >= max(staff_max, participant_max)
    for length in (80, 81, 100, 120):
        Actor(role=Role.FACILITATOR, id="staff:1", name="N" * length)
    assert Actor(role=Role.LEAD, id="staff:2", name="Lead\x00\u202e\nName").name == "Lead Name"


# --- the calendar file ------------------------------------------------------------------------


def _exchange(**fields: object) -> Exchange:
    base = {
        "id": 4,
        "programme_id": 1,
        "title": "Stories",
        "purpose": "",
        "starts_at": datetime(2030, 1, 2, 10, 0, tzinfo=UTC),
        "timezone": "UTC",
        "duration_minutes": 90,
        "template_key": "story-exchange",
        "plan": {},
        "created_by": 1,
        "call_url": "",
    }
    return Exchange(**{**base, **fields})


def _unfold(body: str) -> list[str]:
    assert body.endswith("\r\n")
    physical = body[:-2].split("\r\n")
    for line in physical:
        assert "\r" not in line and "\n" not in line
        assert len(line.encode()) <= 75, line
    logical: list[str] = []
    for line in physical:
        if line.startswith(" "):
            logical[-1] += line[1:]
        else:
            logical.append(line)
    return logical


PROPERTIES = {"BEGIN", "END", "VERSION", "PRODID", "CALSCALE", "METHOD", "UID", "DTSTAMP", "DTSTART", "DTEND",
              "SUMMARY", "DESCRIPTION", "URL", "LOCATION"}  # fmt: skip


@pytest.mark.parametrize(
    "title",
    [
        "Stories\rATTENDEE:mailto:evil@example.org",
        "Stories\nATTENDEE:mailto:evil@example.org",
        "Stories\r\nEND:VEVENT\r\nBEGIN:VEVENT",
        "Stories\x0bX-INJECT:1",
        "Stories\u2028X-INJECT:1",
    ],
)
def test_a_line_break_in_any_text_cannot_inject_a_property(title: str) -> None:
    body = ics.calendar(
        _exchange(title=title, purpose=title, call_url="https://x.example/" + title),
        url="http://127.0.0.1/exchanges/4\r\nX-URL-INJECT:1",
        description_extra=title,
    )
    lines = _unfold(body)
    assert {line.split(":", 1)[0].split(";", 1)[0] for line in lines} <= PROPERTIES
    assert [line for line in lines if line.startswith("BEGIN:")] == ["BEGIN:VCALENDAR", "BEGIN:VEVENT"]


def test_text_values_escape_commas_semicolons_and_backslashes() -> None:
    body = ics.calendar(
        _exchange(title="a,b;c\\d\u202e" + RTL, purpose="one\ntwo\x00"), url="http://h/x", description_extra=""
    )
    lines = _unfold(body)
    assert "SUMMARY:a\\,b\\;c\\\\d" + RTL in lines
    assert "DESCRIPTION;LANGUAGE=en:one\\ntwo" in lines


def test_long_lines_are_folded_without_splitting_a_character() -> None:
    title = ("Wide 字 éß " * 40) + RTL
    body = ics.calendar(_exchange(title=title, purpose="x" * 500), url="http://h/x")
    assert "SUMMARY:" + title in _unfold(body)
    body.encode().decode("utf-8")  # every fold fell between characters


# --- exports of a log that holds hostile text ---------------------------------------------------


def test_every_export_format_is_clean_even_of_a_dirty_log() -> None:
    """A log written before the edge cleaned text (commands built without validation) still exports clean,
    and the right-to-left text in it stays as it was."""
    session = joined(AMA, BEA, CHE, plan=PLAN)
    session.wait(30)
    # model_construct skips validation: this is what an older server would have logged.
    session.do(FACILITATOR, NextPhase())
    session.do(FACILITATOR, NextTurn())
    session.do(AMA, sd.ShareStory.model_construct(type="share_story", title=DIRTY, summary=DIRTY + "\nline\ttwo"))
    session.do(BEA, sd.Reflect.model_construct(type="reflect", story_id="story-1", kind=sd.ReflectionKind.HEARD, text=DIRTY))
    meta = ExchangeMeta(id=9, title="Title\x1b[2J\u202e " + RTL, purpose=DIRTY, programme_name="P\x00", timezone="UTC")
    roster = {
        AMA.id: RosterEntry(name="Ama\u202e\x00", consent="name"),
        BEA.id: RosterEntry(name="Bea", consent="name"),
        CHE.id: RosterEntry(name="Che", consent="name"),
    }
    transcript = build.build(session.log, exchange=meta, roster=roster)
    outputs = {
        "md": markdown.render(transcript),
        "html": html.render(transcript),
        "json": json_export.render(session.log, exchange=meta, roster=roster),
        "csv": csv_export.render(transcript),
    }
    for fmt, body in outputs.items():
        assert not FORBIDDEN.search(body.replace("\r\n", "\n")), fmt
        assert RTL in (json.loads(body)["exchange"]["title"] if fmt == "json" else body), fmt
    document = json.loads(outputs["json"])
    assert document["exchange"]["title"] == "Title " + RTL
    assert not FORBIDDEN.search(json.dumps(document, ensure_ascii=False))
    cells = [cell for row in csv.reader(io.StringIO(outputs["csv"])) for cell in row]
    assert DIRTY_CLEAN in cells
    assert any("line\ttwo" in cell for cell in cells)  # a multi-line text keeps its tab and newline
    assert "Ama" in outputs["md"] and "\u202e" not in outputs["md"]


def test_card_fields_are_cleaned_like_any_text() -> None:
    command = cd.AddCard(fields={"who": "The\x00 imam\u202e", "how": "Tea\r\nafter prayers"})
    assert dict(command.fields) == {"who": "The imam", "how": "Tea\nafter prayers"}
