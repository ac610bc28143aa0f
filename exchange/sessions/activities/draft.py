"""The shared draft: sections edited by several people at once, with a version check per section.

An edit names the version it was made from; if someone saved in between, the edit is refused
("stale_version") and the page shows the current text (in every view) to merge into: nobody's
words are overwritten without them seeing it. Citations must name standing stories and cards.
"""

from __future__ import annotations

from datetime import datetime

from exchange.i18n import _
from exchange.prompts.models import ActivityKind
from exchange.sessions.activities import cards, stories
from exchange.sessions.activities.base import (
    FACILITATOR_ONLY,
    JSON,
    PEOPLE,
    Applier,
    Decision,
    Rejected,
    Rule,
    check_kind,
)
from exchange.sessions.activities.draft_data import (
    DraftFinalSet,
    EditSection,
    Section,
    SectionEdited,
    SetDraftFinal,
)
from exchange.sessions.commands import Actor
from exchange.sessions.state import SessionState, evolve

DRAFT_KINDS = frozenset({ActivityKind.DRAFT})


def section(state: SessionState, phase_index: int, index: int) -> Section:
    """A section as it stands (version 0 and empty if nobody wrote to it yet)."""
    for written in state.draft.sections:
        if (written.phase_index, written.index) == (phase_index, index):
            return written
    return Section(phase_index=phase_index, index=index)


def _citable(state: SessionState) -> set[str]:
    hidden = state.moderation.refs
    return {s.id for s in stories.live_stories(state)} | {c.id for c in cards.live_cards(state) if c.id not in hidden}


def edit_section(state: SessionState, command: EditSection, actor: Actor, now: datetime) -> Decision:
    """Save a section made from its current version."""
    refusal = check_kind(state, DRAFT_KINDS, _("The shared draft is written in a draft phase."))
    if refusal is not None:
        return refusal
    assert state.phase is not None and state.phase_index is not None
    if command.section >= len(state.phase.sections):
        return Rejected("unknown_section", _("This draft has no such section."))
    if state.phase_index in state.draft.final:
        return Rejected("final", _("The draft is marked final. Only the facilitator can open it for editing again."))
    current = section(state, state.phase_index, command.section)
    if command.base_version != current.version:
        return Rejected(
            "stale_version",
            _(
                "Someone else changed this section while you were writing. Their text is shown now: "
                "add your words to it and save again. Your text has not been lost."
            ),
        )
    unknown = [ref for ref in command.citations if ref not in _citable(state)]
    if unknown:
        return Rejected(
            "unknown_citation",
            _("These can't be cited (unknown or withdrawn): {ids}.").format(ids=", ".join(unknown)),
        )
    citations = tuple(dict.fromkeys(command.citations))
    if (command.text, citations) == (current.text, current.citations):
        return []
    edited = SectionEdited(
        phase_index=state.phase_index,
        section=command.section,
        version=current.version + 1,
        text=command.text,
        citations=citations,
        editor_id=actor.id,
        at=now,
    )
    return [edited]


def set_draft_final(state: SessionState, command: SetDraftFinal, actor: Actor, now: datetime) -> Decision:
    """Mark the draft final (edits are refused from then on), or open it again."""
    refusal = check_kind(state, DRAFT_KINDS, _("The shared draft is written in a draft phase."))
    if refusal is not None:
        return refusal
    assert state.phase_index is not None
    if (state.phase_index in state.draft.final) == command.final:
        return []
    return [DraftFinalSet(phase_index=state.phase_index, final=command.final)]


def _edited(state: SessionState, event: SectionEdited) -> SessionState:
    written = Section(
        phase_index=event.phase_index,
        index=event.section,
        text=event.text,
        version=event.version,
        citations=event.citations,
        editor_id=event.editor_id,
    )
    others = tuple(
        s for s in state.draft.sections if (s.phase_index, s.index) != (event.phase_index, event.section)
    )
    return evolve(state, draft=evolve(state.draft, sections=(*others, written)))


def _final_set(state: SessionState, event: DraftFinalSet) -> SessionState:
    final = tuple(i for i in state.draft.final if i != event.phase_index)
    reopened = tuple(i for i in state.draft.reopened if i != event.phase_index)
    if event.final:
        final = (*final, event.phase_index)
    elif event.phase_index in state.draft.final:
        reopened = (*reopened, event.phase_index)  # "final" was not the last word: say so everywhere
    return evolve(state, draft=evolve(state.draft, final=final, reopened=reopened))


RULES: dict[str, Rule] = {
    "edit_section": Rule(PEOPLE, edit_section),
    "set_draft_final": Rule(FACILITATOR_ONLY, set_draft_final),
}

APPLIERS: dict[type, Applier] = {
    SectionEdited: _edited,
    DraftFinalSet: _final_set,
}


def view(state: SessionState) -> JSON:
    """Every draft phase's sections (the same for everyone): text, version, citations, last editor;
    a text the facilitator hid is left out (`hidden`), its version kept so the group can write anew."""
    drafts: list[JSON] = []
    plan = state.plan
    for index, phase in enumerate(plan.phases if plan else ()):
        if phase.kind is not ActivityKind.DRAFT:
            continue
        sections = []
        for number, title in enumerate(phase.sections):
            current = section(state, index, number)
            editor = current.editor_id
            hidden = state.moderation.section_hidden(index, number, current.version)
            sections.append(
                {
                    "index": number,
                    "title": title,
                    "text": "" if hidden else current.text,
                    "version": current.version,
                    "citations": [] if hidden else list(current.citations),
                    "last_editor": None if editor is None else {"id": editor, "name": state.name_of(editor)},
                    "hidden": hidden,
                }
            )
        drafts.append({
            "phase_index": index, "final": index in state.draft.final, "reopened": index in state.draft.reopened,
            "sections": sections,
        })  # fmt: skip
    return {"drafts": drafts}
