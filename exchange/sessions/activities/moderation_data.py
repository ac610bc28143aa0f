"""Moderation: the facilitator hides an item from every screen and export, and can undo it (data only).

An item is named by a ref that names no one: a card's, reflection's or recall's id, a draft
section ("section-6-0": phase 6, section 0) or a closing comment by a hash of its text
("comment-7-<16 hex>": every answer of phase 7 whose text is that one). The events keep the
authors, so their own pages can tell them; the privacy policy gives those to nobody else.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from exchange.sessions.activities.fields import PersonId, text

MAX_HIDE_REASON = 300
#: Bounds on what one exchange collects (a comment's text may be shared by everyone in the roster).
MAX_HIDDEN = 2000
MAX_AUTHORS = 500

HideRef = Annotated[
    str,
    StringConstraints(
        pattern=r"^(?:(?:card|reflection|recall)-[0-9]{1,7}|section-[0-9]{1,2}-[0-9]{1,2}|comment-[0-9]{1,2}-[0-9a-f]{16})$"
    ),
]
HideReason = text(MAX_HIDE_REASON, min_length=0)


class HiddenKind(StrEnum):
    """What a ref names."""

    CARD = "card"
    REFLECTION = "reflection"
    RECALL = "recall"
    SECTION = "section"  # a draft section's text at one version
    COMMENT = "comment"  # a closing-feedback comment, by its text


def kind_of(ref: str) -> HiddenKind:
    """The kind of item a (valid) ref names."""
    return HiddenKind(ref.split("-", 1)[0])


def section_ref(phase_index: int, section: int) -> str:
    return f"section-{phase_index}-{section}"


def comment_ref(phase_index: int, comment: str) -> str:
    """A closing comment's ref: its phase and a hash of its text, so it names no answer and no one."""
    return f"comment-{phase_index}-{hashlib.sha256(comment.encode('utf-8')).hexdigest()[:16]}"


def phase_of(ref: str) -> int | None:
    """The phase a section or comment ref is about (None for an item id)."""
    kind = kind_of(ref)
    if kind in (HiddenKind.SECTION, HiddenKind.COMMENT):
        return int(ref.split("-")[1])
    return None


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HideItem(_Message):
    """The facilitator hides an item from every screen and every export; `reason` is for its author."""

    type: Literal["hide_item"] = "hide_item"
    ref: HideRef
    reason: HideReason = ""


class UnhideItem(_Message):
    """The facilitator shows a hidden item again."""

    type: Literal["unhide_item"] = "unhide_item"
    ref: HideRef


AuthorIds = Annotated[tuple[PersonId, ...], Field(max_length=MAX_AUTHORS)]


class ItemHidden(_Message):
    """An item is hidden from now on; `author_ids` reach only those authors (their personal view);
    `version`: the draft section's version whose text is hidden (a later edit shows again)."""

    type: Literal["item_hidden"] = "item_hidden"
    ref: HideRef
    reason: HideReason
    version: int | None = Field(default=None, ge=1)
    author_ids: AuthorIds = ()


class ItemUnhidden(_Message):
    """A hidden item is shown again; `author_ids` as for ItemHidden."""

    type: Literal["item_unhidden"] = "item_unhidden"
    ref: HideRef
    author_ids: AuthorIds = ()


COMMANDS = (HideItem, UnhideItem)
EVENTS = (ItemHidden, ItemUnhidden)


@dataclass(frozen=True, slots=True)
class HiddenItem:
    ref: str
    reason: str
    author_ids: tuple[str, ...]  # never in any view but these authors' own
    version: int | None = None


@dataclass(frozen=True, slots=True)
class ModerationState:
    hidden: tuple[HiddenItem, ...] = ()  # in the order they were hidden

    def find(self, ref: str) -> HiddenItem | None:
        return next((item for item in self.hidden if item.ref == ref), None)

    @property
    def refs(self) -> frozenset[str]:
        """Every ref hidden (a draft section's hides one version of its text: see section_hidden)."""
        return frozenset(item.ref for item in self.hidden)

    def section_hidden(self, phase_index: int, section: int, version: int) -> bool:
        """Whether this version of a draft section is hidden."""
        item = self.find(section_ref(phase_index, section))
        return item is not None and item.version == version
