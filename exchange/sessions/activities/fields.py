"""Bounded field types shared by the activities' commands and events (data only, imports nothing above)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, StringConstraints

from exchange.cleantext import cleaned, cleaned_line

#: A participant's id as the edge spells it ("p:17"); same bound as commands.ActorId.
PersonId = Annotated[str, StringConstraints(min_length=1, max_length=64)]

#: An item an activity created: a prefix and a counter ("card-3", "story-12").
ItemId = Annotated[str, StringConstraints(pattern=r"^[a-z]{1,12}-[0-9]{1,7}$")]


def text(max_length: int, *, min_length: int = 1, single_line: bool = False) -> Any:
    """A stripped text of at most `max_length` characters (and, by default, not empty), cleaned first.

    Cleaning (exchange.cleantext) removes control characters, terminal escapes and direction
    overrides before the bounds are checked, so a text of nothing but those is empty. A single line
    (a title, a name) has its newlines and tabs turned into spaces; other texts keep them.
    """
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        # Last, so it wraps the bounds: they see the cleaned text.
        BeforeValidator(cleaned_line if single_line else cleaned),
    ]


def item_id(prefix: str, count: int) -> str:
    """The id of the `count`-th item of a kind (counting from 1): deterministic on every replica."""
    return f"{prefix}-{count}"
