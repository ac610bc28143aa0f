"""The shared draft: commands, events and state (data only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from exchange.sessions.activities.fields import ItemId, PersonId, text

MAX_SECTION_TEXT = 8000
MAX_CITATIONS = 30
MAX_SECTIONS = 12  # as many as a Phase may define

SectionText = text(MAX_SECTION_TEXT, min_length=0)
SectionIndex = Annotated[int, Field(ge=0, lt=MAX_SECTIONS)]
Version = Annotated[int, Field(ge=0)]
Citations = Annotated[tuple[ItemId, ...], Field(max_length=MAX_CITATIONS)]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EditSection(_Message):
    """Replace a section's text, made from the text at `base_version`; cites stories and cards by id."""

    type: Literal["edit_section"] = "edit_section"
    section: SectionIndex
    base_version: Version
    text: SectionText
    citations: Citations = ()


class SetDraftFinal(_Message):
    """The facilitator marks this phase's draft final (or, with final=False, opens it again)."""

    type: Literal["set_draft_final"] = "set_draft_final"
    final: bool = True


class SectionEdited(_Message):
    """A section of a draft phase is at `version` now, with this text and these citations."""

    type: Literal["section_edited"] = "section_edited"
    phase_index: int = Field(ge=0)
    section: SectionIndex
    version: Version
    text: SectionText
    citations: Citations
    editor_id: PersonId
    at: AwareDatetime


class DraftFinalSet(_Message):
    type: Literal["draft_final_set"] = "draft_final_set"
    phase_index: int = Field(ge=0)
    final: bool


COMMANDS = (EditSection, SetDraftFinal)
EVENTS = (SectionEdited, DraftFinalSet)


@dataclass(frozen=True, slots=True)
class Section:
    """One section's latest accepted text; version 0 is the empty section nobody has written yet."""

    phase_index: int
    index: int
    text: str = ""
    version: int = 0
    citations: tuple[str, ...] = ()
    editor_id: str | None = None


@dataclass(frozen=True, slots=True)
class DraftState:
    sections: tuple[Section, ...] = ()  # only those written to
    final: tuple[int, ...] = ()  # phase indices
    reopened: tuple[int, ...] = ()  # phase indices marked final once, then opened again (the pages say so)
