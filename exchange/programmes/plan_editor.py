"""The plan editor's form <-> PhasePlan, as pure functions: edit every setting, reorder, add and remove phases.

The form names a phase's fields by the phase's place in the stored plan (`p3_title`); the hidden
`order` inputs list those places in the order the page shows them. The editor's script moves and
removes phases in place and says so (`ordered`), so the server saves that order in one go; without
it, each move or removal is its own button and the order inputs are ignored. A card field is named by phase and place too (`p3_f1_label`), with `p3_fnew_label` for
one more.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from exchange.cleantext import clean, clean_line
from exchange.i18n import _
from exchange.programmes.forms import FormErrors
from exchange.prompts import placeholders
from exchange.prompts.defaults import NEW_CARD_FIELD_MAX, NEW_PHASE_MINUTES, phase_defaults
from exchange.prompts.models import ActivityKind, PhasePlan

MAX_LINES = 12
MAX_CARD_FIELDS = 8
_LARGEST = 1e6  # far above any bound of the plan: refused before arithmetic on it could overflow


def _lines(text: str) -> list[str]:
    """The non-empty lines of a textarea, each cleaned (exchange.cleantext) and stripped."""
    return [line.strip() for line in clean(text).splitlines() if line.strip()]


def _slug(title: str, taken: set[str], fallback: str = "phase") -> str:
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:32] or fallback
    if not base[0].isalnum():
        base = "p" + base
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key


def _number(raw: object, field: str, errors: dict[str, str]) -> float | None:
    """A finite number from a form field, or None with a message in `errors`."""
    try:
        value = float(str(raw).strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > _LARGEST:
        errors[field] = _("Enter a number.")
        return None
    return value


def _whole(value: float) -> int | float:
    """An int when the number is whole, so the plan's own check can say "Enter a whole number" otherwise."""
    return int(value) if value == int(value) else value


def apply_form(plan: PhasePlan, form: Mapping[str, str], order: Sequence[str] | None = None) -> dict[str, Any]:
    """The plan as a dict with the edits from the form applied (not yet validated).

    `order`: the stored places of the phases in the order the page showed them (None: unchanged);
    a phase left out of it was removed on the page.
    """
    data = plan.model_dump(mode="json")
    errors: dict[str, str] = {}
    if "agreements" in form:
        data["agreements"] = _lines(form["agreements"])
    for i, phase in enumerate(data["phases"]):
        prefix = f"p{i}_"
        if f"{prefix}title" not in form:
            continue
        _apply_phase(phase, prefix, form, errors)
    if errors:
        raise FormErrors(errors)
    if order is not None:
        reorder(data, order)
    return data


def _apply_phase(phase: dict[str, Any], prefix: str, form: Mapping[str, str], errors: dict[str, str]) -> None:
    kind = ActivityKind(phase["kind"])
    phase["title"] = clean_line(form[f"{prefix}title"]).strip()
    minutes = _number(form.get(f"{prefix}minutes", ""), f"{prefix}minutes", errors)
    if minutes is not None:
        phase["minutes"] = _whole(minutes)
    phase["prompts"] = _lines(form.get(f"{prefix}prompts", ""))
    if f"{prefix}listener_prompts" in form:
        phase["listener_prompts"] = _lines(form[f"{prefix}listener_prompts"])
    if f"{prefix}turn_minutes" in form and phase.get("turn_seconds") is not None:
        turn = _number(form[f"{prefix}turn_minutes"], f"{prefix}turn_minutes", errors)
        if turn is not None:
            phase["turn_seconds"] = round(turn * 60)
    for choice in ("on_expiry", "queue_order", "speaking_order", "card_anonymity"):
        if f"{prefix}{choice}" in form:
            phase[choice] = form[f"{prefix}{choice}"]
    if f"{prefix}votes" in form and kind in (ActivityKind.CARDS, ActivityKind.SELECTION):
        votes = _number(form[f"{prefix}votes"], f"{prefix}votes", errors)
        if votes is not None:
            phase["votes_per_person"] = _whole(votes)
    if f"{prefix}sections" in form and kind is ActivityKind.DRAFT:
        phase["sections"] = _lines(form[f"{prefix}sections"])
    if f"{prefix}domains" in form and kind is ActivityKind.SELECTION:
        phase["domains"] = _lines(form[f"{prefix}domains"])
    if kind is ActivityKind.CARDS:
        phase["card_fields"] = _card_fields(phase["card_fields"], prefix, form, errors)


def _card_fields(
    fields: list[dict[str, Any]], prefix: str, form: Mapping[str, str], errors: dict[str, str]
) -> list[dict[str, Any]]:
    """The card's fields renamed, resized and removed as the form says, plus the new one if named."""
    kept: list[dict[str, Any]] = []
    for j, field in enumerate(fields):
        name = f"{prefix}f{j}_"
        if form.get(f"{name}remove"):
            continue
        if f"{name}label" in form:
            field = {**field, "label": clean_line(form[f"{name}label"]).strip()}
        if f"{name}max" in form:
            size = _number(form[f"{name}max"], f"{prefix}f{len(kept)}_max", errors)
            if size is not None:
                field = {**field, "max_length": _whole(size)}
        kept.append(field)
    label = form.get(f"{prefix}fnew_label", "").strip()
    if label:
        if len(kept) >= MAX_CARD_FIELDS:
            errors[f"{prefix}fnew_label"] = _("A card can have at most {n} fields.").format(n=MAX_CARD_FIELDS)
        else:
            raw = form.get(f"{prefix}fnew_max", "").strip() or str(NEW_CARD_FIELD_MAX)
            size = _number(raw, f"{prefix}fnew_max", errors)
            taken = {field["key"] for field in kept} | {field["key"] for field in fields}
            new = {"key": _slug(label, taken, "field"), "label": label, "max_length": _whole(size or NEW_CARD_FIELD_MAX)}
            kept.append(new)
    return kept


def reorder(data: dict[str, Any], order: Sequence[str]) -> None:
    """Put the phases in the page's order; a phase missing from it was removed."""
    phases = data["phases"]
    places: list[int] = []
    for raw in order:
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 3) or int(raw) >= len(phases) or int(raw) in places:
            raise FormErrors({"phases": _("The order of the phases could not be read. Nothing was saved: please try again.")})
        places.append(int(raw))
    data["phases"] = [phases[place] for place in places]


def move(data: dict[str, Any], index: int, offset: int) -> None:
    """Swap a phase with its neighbour; out-of-range moves do nothing."""
    phases = data["phases"]
    target = index + offset
    if 0 <= index < len(phases) and 0 <= target < len(phases):
        phases[index], phases[target] = phases[target], phases[index]


def remove(data: dict[str, Any], index: int) -> None:
    if 0 <= index < len(data["phases"]):
        del data["phases"][index]


def kind_label(kind: ActivityKind) -> str:
    """The kind as the editor names it (translated)."""
    return {
        ActivityKind.AGREEMENTS: _("Ground rules"),
        ActivityKind.STORY_ROUND: _("Story round"),
        ActivityKind.CARDS: _("Cards"),
        ActivityKind.DISCUSSION: _("Discussion"),
        ActivityKind.SELECTION: _("Selection"),
        ActivityKind.DRAFT: _("Shared draft"),
        ActivityKind.FEEDBACK: _("Closing feedback"),
    }[kind]


def add(data: dict[str, Any], *, kind: str, title: str) -> None:
    """Append a phase of the given kind with real prompts and settings for the facilitator to adapt."""
    try:
        activity = ActivityKind(kind)
    except ValueError:
        raise FormErrors({"new_kind": _("Choose what kind of phase to add.")}) from None
    title = clean_line(title).strip() or kind_label(activity)
    taken = {phase["key"] for phase in data["phases"]}
    data["phases"].append(
        {"key": _slug(title, taken), "title": title[:200], "kind": activity.value, "minutes": NEW_PHASE_MINUTES}
        | phase_defaults(activity)
    )


_PHASE_LEVEL = (  # a phase's own checks, keyed to the field that can fix them
    ("card_fields", "card_fields", lambda: _("A cards phase needs at least one field.")),
    ("sections", "sections", lambda: _("A shared draft needs at least one section.")),
    ("turn_seconds", "turn_minutes", lambda: _("Set a turn length.")),
    ("domains", "domains", lambda: _("Only a selection phase has domains.")),
)


def _field_key(loc: tuple[int | str, ...], error: Mapping[str, Any]) -> str:
    if not (loc and loc[0] == "phases"):
        return str(loc[0]) if loc else "plan"
    if len(loc) < 2 or not isinstance(loc[1], int):
        return "phases"
    prefix = f"p{loc[1]}_"
    if len(loc) == 2:
        message = str(error.get("msg", ""))
        for needle, field, _message in _PHASE_LEVEL:
            if needle in message:
                return prefix + field
        return prefix + "title"
    field = str(loc[2])
    if field == "card_fields" and len(loc) >= 5 and isinstance(loc[3], int):
        return f"{prefix}f{loc[3]}_{'max' if loc[4] == 'max_length' else loc[4]}"
    if field == "votes_per_person":
        return prefix + "votes"
    return prefix + ("turn_minutes" if field == "turn_seconds" else field)


def validate(data: dict[str, Any]) -> PhasePlan:
    """The edited plan, or FormErrors keyed by the editor's field names."""
    try:
        plan = PhasePlan.model_validate(data)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            key = _field_key(error["loc"], error)
            errors.setdefault(key, _humanise(error))
        raise FormErrors(errors) from None
    errors = {}
    for i, phase in enumerate(plan.phases):
        for field, texts in (("prompts", phase.prompts), ("listener_prompts", phase.listener_prompts)):
            if found := placeholders.problems(phase, texts):
                errors[f"p{i}_{field}"] = " ".join(found)
        if phase.breaks_anonymity_promise:
            errors[f"p{i}_card_anonymity"] = _(
                "The prompts promise anonymous cards: choose “Always anonymous”, or change the prompts."
            )
    if errors:
        raise FormErrors(errors)
    return plan


def _humanise(error: Mapping[str, Any]) -> str:
    kind, ctx, loc = error["type"], error.get("ctx", {}), error["loc"]
    if kind == "value_error" and len(loc) == 2 and loc[0] == "phases":
        message = str(error["msg"])
        for needle, _field, friendly in _PHASE_LEVEL:
            if needle in message:
                return friendly()
    if kind == "too_short":
        return _("This needs at least one line.")
    if kind == "too_long":
        return _("There can be at most {n} of these.").format(n=ctx.get("max_length", MAX_LINES))
    if kind == "string_too_short":
        return _("This can't be empty.")
    if kind == "string_too_long":
        return _("This is too long (at most {n} characters).").format(n=ctx.get("max_length", ""))
    if kind == "greater_than_equal":
        return _("This must be at least {n}.").format(n=ctx.get("ge", ""))
    if kind == "less_than_equal":
        return _("This must be at most {n}.").format(n=ctx.get("le", ""))
    if kind in {"int_from_float", "int_parsing"}:
        return _("Enter a whole number.")
    if kind == "enum":
        return _("Choose one of the options.")
    return str(error["msg"]).removeprefix("Value error, ")
