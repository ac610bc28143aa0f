"""A plan in the viewer's language: each text of a shipped plan looked up in the catalogue.

The shipped plans' texts are in the catalogue (exchange/prompts/extract.py); a text a facilitator
wrote or edited is not, so gettext gives it back as written. Nothing here changes what is stored.
"""

from __future__ import annotations

from exchange import i18n
from exchange.i18n import _
from exchange.prompts import placeholders
from exchange.prompts.models import Phase, PhasePlan


def _all(texts: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(_(text) for text in texts)


def phase(original: Phase) -> Phase:
    """One phase with its words in the active language."""
    return original.model_copy(
        update={
            "title": _(original.title),
            "prompts": _all(original.prompts),
            "listener_prompts": _all(original.listener_prompts),
            "sections": _all(original.sections),
            "domains": _all(original.domains),
            "card_fields": tuple(f.model_copy(update={"label": _(f.label)}) for f in original.card_fields),
        }
    )


def plan(original: PhasePlan) -> PhasePlan:
    """The whole plan with its words in the active language (for showing, never for storing)."""
    if i18n.current() == i18n.SOURCE:
        return original
    return original.model_copy(
        update={
            "title": _(original.title),
            "description": _(original.description),
            "agreements": _all(original.agreements),
            "phases": tuple(phase(p) for p in original.phases),
        }
    )


def live_texts(original: PhasePlan | None) -> dict[str, str]:
    """For a live page: each text the live view sends (in the source language, placeholders filled,
    as the session's hub fills them) -> the same text in the active language, where they differ.

    The live views are the same for everyone with the same role; each page swaps in its own
    person's language with this table (web/static/js/live/dom.js `planText`).
    """
    if original is None or i18n.current() == i18n.SOURCE:
        return {}
    local = plan(original)
    with i18n.use(i18n.SOURCE):
        source_filled = [placeholders.filled(p) for p in original.phases]
    pairs: list[tuple[str, str]] = [(original.title, local.title)]
    pairs += zip(original.agreements, local.agreements, strict=True)
    for before, after, (prompts, listener) in zip(original.phases, local.phases, source_filled, strict=True):
        pairs.append((before.title, after.title))
        local_prompts, local_listener = placeholders.filled(after)
        pairs += zip(prompts, local_prompts, strict=True)
        pairs += zip(listener, local_listener, strict=True)
        pairs += zip(before.sections, after.sections, strict=True)
        pairs += zip((f.label for f in before.card_fields), (f.label for f in after.card_fields), strict=True)
    return {a: b for a, b in pairs if a != b}
