"""A Babel extractor for the shipped plans (babel.cfg): their words go into the catalogue.

Every text a person reads (the plan's title, description and agreements; each phase's title,
prompts, listener prompts, card field labels, draft sections and selection domains) becomes a
message; `exchange.prompts.translate` looks them up in the viewer's language when they are shown.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from typing import Any, BinaryIO

#: The fields of a plan, a phase and a card field that hold words for people.
PLAN_TEXT = ("title", "description", "agreements")
PHASE_TEXT = ("title", "prompts", "listener_prompts", "sections", "domains")
FIELD_TEXT = ("label",)


def texts(plan: dict[str, Any]) -> Iterator[str]:
    """Every text of a plan (as parsed from TOML or dumped from the model), in reading order."""
    yield from _fields(plan, PLAN_TEXT)
    for phase in plan.get("phases", ()):
        yield from _fields(phase, PHASE_TEXT)
        for field in phase.get("card_fields", ()):
            yield from _fields(field, FIELD_TEXT)


def _fields(data: dict[str, Any], names: tuple[str, ...]) -> Iterator[str]:
    for name in names:
        value = data.get(name)
        for text in [value] if isinstance(value, str) else (value or ()):
            if isinstance(text, str) and text.strip():
                yield text.strip()


def extract_plan(
    fileobj: BinaryIO, keywords: object, comment_tags: object, options: object
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """Babel's extractor protocol: (line number, function name, message, translator comments)."""
    raw = fileobj.read()
    source = raw.decode("utf-8")
    data = tomllib.loads(source)
    lines = source.splitlines()
    for text in texts(data):
        yield _line_of(text, lines), None, text, [f"Plan “{data.get('key', '')}”."]


def _line_of(text: str, lines: list[str]) -> int:
    start = text[:40]
    return next((number for number, line in enumerate(lines, 1) if start in line), 0)
