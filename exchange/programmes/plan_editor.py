"""The plan editor's form <-> PhasePlan, as pure functions: edit fields, reorder, add and remove phases."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from exchange.cleantext import clean, clean_line
from exchange.i18n import _
from exchange.programmes.forms import FormErrors
from exchange.prompts.models import ActivityKind, CardAnonymity, PhasePlan

MAX_LINES = 12

# Defaults that make a freshly added phase valid for its kind.
_NEW_PHASE_DEFAULTS: dict[ActivityKind, dict[str, Any]] = {
    ActivityKind.STORY_ROUND: {"turn_seconds": 300},
    ActivityKind.CARDS: {"card_fields": [{"key": "text", "label": "Your card", "max_length": 500}]},
    ActivityKind.DRAFT: {"sections": ["Draft"]},
}


def _lines(text: str) -> list[str]:
    """The non-empty lines of a textarea, each cleaned (exchange.cleantext) and stripped."""
    return [line.strip() for line in clean(text).splitlines() if line.strip()]


def _slug(title: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:32] or "phase"
    if not base[0].isalnum():
        base = "p" + base
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key


#: Far above any phase or turn (the plan's own bounds say how far): a number beyond it is refused
#: here, before arithmetic on it could overflow.
_LARGEST = 1e6


def _number(raw: object, field: str, errors: dict[str, str]) -> float | None:
    """A finite number of minutes from a form field, or None with a message in `errors`.

    `float` reads "inf", "nan", "1e309" (infinity) and the like: those are refused with the rest.
    """
    try:
        value = float(str(raw).strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > _LARGEST:
        errors[field] = _("Enter a number.")
        return None
    return value


def apply_form(plan: PhasePlan, form: Mapping[str, str]) -> dict[str, Any]:
    """The plan as a dict with the edits from the form applied (not yet validated)."""
    data = plan.model_dump(mode="json")
    errors: dict[str, str] = {}
    if "agreements" in form:
        data["agreements"] = _lines(form["agreements"])
    for i, phase in enumerate(data["phases"]):
        prefix = f"p{i}_"
        if f"{prefix}title" not in form:
            continue
        phase["title"] = clean_line(form[f"{prefix}title"]).strip()
        minutes = _number(form.get(f"{prefix}minutes", ""), f"{prefix}minutes", errors)
        if minutes is not None:
            phase["minutes"] = int(minutes) if minutes == int(minutes) else minutes
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
    if errors:
        raise FormErrors(errors)
    return data


def move(data: dict[str, Any], index: int, offset: int) -> None:
    """Swap a phase with its neighbour; out-of-range moves do nothing."""
    phases = data["phases"]
    target = index + offset
    if 0 <= index < len(phases) and 0 <= target < len(phases):
        phases[index], phases[target] = phases[target], phases[index]


def remove(data: dict[str, Any], index: int) -> None:
    if 0 <= index < len(data["phases"]):
        del data["phases"][index]


def add(data: dict[str, Any], *, kind: str, title: str) -> None:
    """Append a phase of the given kind with sensible defaults for the facilitator to fill in."""
    try:
        activity = ActivityKind(kind)
    except ValueError:
        raise FormErrors({"new_kind": _("Choose what kind of phase to add.")}) from None
    title = clean_line(title).strip() or activity.value.replace("_", " ").capitalize()
    taken = {phase["key"] for phase in data["phases"]}
    data["phases"].append(
        {
            "key": _slug(title, taken),
            "title": title[:200],
            "kind": activity.value,
            "minutes": 10,
            "prompts": [_("Describe what this phase is for.")],
            **_NEW_PHASE_DEFAULTS.get(activity, {}),
        }
    )


def validate(data: dict[str, Any]) -> PhasePlan:
    """The edited plan, or FormErrors keyed by the editor's field names."""
    try:
        plan = PhasePlan.model_validate(data)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            loc = error["loc"]
            if loc and loc[0] == "phases" and len(loc) >= 2 and isinstance(loc[1], int):
                field = str(loc[2]) if len(loc) > 2 else "title"
                field = "turn_minutes" if field == "turn_seconds" else field
                key = f"p{loc[1]}_{field}"
            elif loc and loc[0] == "phases":
                key = "phases"
            else:
                key = str(loc[0]) if loc else "plan"
            errors.setdefault(key, _humanise(error))
        raise FormErrors(errors) from None
    broken = {
        f"p{i}_card_anonymity": _("The prompts promise anonymous cards: choose “Always anonymous”, or change the prompts.")
        for i, phase in enumerate(plan.phases)
        if phase.kind is ActivityKind.CARDS
        and phase.card_anonymity is not CardAnonymity.ALWAYS
        and any("anonym" in prompt.lower() for prompt in phase.prompts)
    }
    if broken:
        raise FormErrors(broken)
    return plan


def _humanise(error: Mapping[str, Any]) -> str:
    kind, ctx = error["type"], error.get("ctx", {})
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
    return str(error["msg"]).removeprefix("Value error, ")
