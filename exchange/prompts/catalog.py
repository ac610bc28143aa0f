"""Load phase plans from TOML files and report what is wrong with them in words a person can act on."""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from exchange.i18n import _
from exchange.prompts import placeholders
from exchange.prompts.models import PhasePlan

TEMPLATES_DIR = Path(__file__).parent / "templates"

_TOML_POSITION = re.compile(r"^(?P<message>.*) \(at line (?P<line>\d+), column (?P<column>\d+)\)$", re.DOTALL)
_TOML_AT_END = " (at end of document)"


class PlanFileError(ValueError):
    """A plan that cannot be used; each line names the source and the field at fault."""

    def __init__(self, source: str, problems: Iterable[str]) -> None:
        self.source = source
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("\n".join(f"{source}: {problem}" for problem in self.problems))


def load_plan_file(path: Path) -> PhasePlan:
    """Read, parse and validate one plan file whose name (without .toml) must equal its key."""
    source = path.name
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PlanFileError(source, [f"line {line}: the file is not valid UTF-8 text"]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanFileError(source, [_describe_toml_error(str(exc), text)]) from None
    plan = parse_plan(data, source)
    if plan.key != path.stem:
        raise PlanFileError(
            source, [f"key: {plan.key!r} does not match the file name; rename the file to {plan.key}.toml"]
        )
    return plan


def parse_plan(data: Mapping[str, Any], source: str) -> PhasePlan:
    """Validate an already-parsed plan (a template, or a facilitator's edited copy)."""
    try:
        plan = PhasePlan.model_validate(data)
    except ValidationError as exc:
        errors = _without_echoes(exc.errors())
        raise PlanFileError(source, [_describe_validation_error(error) for error in errors]) from None
    if problems := plan_problems(plan):
        raise PlanFileError(source, problems)
    return plan


def plan_problems(plan: PhasePlan, where: str = "phases") -> list[str]:
    """What a valid plan still may not do: placeholders its phases can't fill, a broken anonymity promise."""
    problems = [
        f"{where}[{index}].{field}: {problem}"
        for index, phase in enumerate(plan.phases)
        for field, texts in (("prompts", phase.prompts), ("listener_prompts", phase.listener_prompts))
        for problem in placeholders.problems(phase, texts)
    ]
    problems += [
        f"{where}[{index}].card_anonymity: " + _("the prompts promise anonymous cards, so it must be “always”")
        for index, phase in enumerate(plan.phases)
        if phase.breaks_anonymity_promise
    ]
    return problems


def list_templates() -> list[PhasePlan]:
    """Every shipped template, sorted by title (a fresh list; the plans themselves are frozen)."""
    return list(_templates().values())


def get_template(key: str) -> PhasePlan:
    """The shipped template with this key; KeyError naming the known keys otherwise."""
    templates = _templates()
    try:
        return templates[key]
    except KeyError:
        known = ", ".join(sorted(templates)) or "none"
        raise KeyError(f"no phase plan template with the key {key!r} (known templates: {known})") from None


@functools.cache
def _templates() -> dict[str, PhasePlan]:
    # File names are unique in a folder and each must equal its plan's key, so keys are unique too.
    plans = [load_plan_file(path) for path in sorted(TEMPLATES_DIR.glob("*.toml"))]
    return {plan.key: plan for plan in sorted(plans, key=lambda plan: (plan.title.casefold(), plan.key))}


def _describe_toml_error(message: str, text: str) -> str:
    if match := _TOML_POSITION.match(message):
        return f"line {match['line']}, column {match['column']}: {match['message']}"
    if message.endswith(_TOML_AT_END):
        last_line = max(text.count("\n") + (0 if text.endswith("\n") else 1), 1)
        return f"line {last_line}: {message.removesuffix(_TOML_AT_END)} at the end of the file"
    return message


def _without_echoes(errors: list[ErrorDetails]) -> list[ErrorDetails]:
    """Drop a list's "too short" error when it only echoes errors in its own items.

    Pydantic counts only the items that validated, so one blank prompt also reports its list as empty.
    """
    inner = {error["loc"][:depth] for error in errors for depth in range(len(error["loc"]))}
    return [error for error in errors if not (error["type"] == "too_short" and error["loc"] in inner)]


def _describe_validation_error(error: ErrorDetails) -> str:
    where = _format_location(error["loc"])
    if error["type"] == "value_error" and "error" in error.get("ctx", {}):
        # Our own model validators: drop pydantic's "Value error, " prefix.
        message = str(error["ctx"]["error"])
    else:
        message = error["msg"]
    return f"{where}: {message}" if where else message


def _format_location(loc: tuple[int | str, ...]) -> str:
    """('phases', 2, 'turn_seconds') -> 'phases[2].turn_seconds'."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text
