"""PURE: prompts that name their phase's own settings, such as "You have {turn_length}".

A placeholder is a word in curly brackets. Which words a phase knows depends on its kind; they are
filled in from the phase's settings wherever prompts are shown (the live pages and every export), so
a prompt keeps its promise when the facilitator changes the turn length or the votes. The editor and
the plan importer refuse a prompt with a word the phase does not know, or one whose setting is off.
Other text in curly brackets (with spaces, say) is left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from babel.lists import format_list

from exchange import i18n
from exchange.i18n import _, ngettext
from exchange.prompts.models import ActivityKind, Phase

PATTERN = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

_COMMON = ("minutes", "duration")
_BY_KIND: Mapping[ActivityKind, tuple[str, ...]] = {
    ActivityKind.STORY_ROUND: ("turn_minutes", "turn_length"),
    ActivityKind.CARDS: ("votes", "votes_each", "fields"),
    ActivityKind.SELECTION: ("votes", "votes_each", "domains"),
    ActivityKind.DRAFT: ("sections",),
}


def names_for(kind: ActivityKind) -> tuple[str, ...]:
    """The placeholders a phase of this kind may use, in the order the editor lists them."""
    return _COMMON + _BY_KIND.get(kind, ())


def descriptions() -> dict[str, str]:
    """What each placeholder becomes, for the editor's hint (translated)."""
    return {
        "minutes": _("the phase's length in minutes, as a number"),
        "duration": _("the phase's length in words, such as “15 minutes”"),
        "turn_minutes": _("the turn length in minutes, as a number"),
        "turn_length": _("the turn length in words, such as “7 minutes” or “30 seconds”"),
        "votes": _("how many votes each person has, as a number"),
        "votes_each": _("the votes in words, such as “3 votes”"),
        "fields": _("the card's fields, in order"),
        "domains": _("the domains of change, in order"),
        "sections": _("the draft's sections, in order"),
    }


def _minutes_words(minutes: int) -> str:
    return ngettext("%(num)d minute", "%(num)d minutes", minutes) % {"num": minutes}


def _seconds_words(seconds: int) -> str:
    whole, rest = divmod(seconds, 60)
    if not rest:
        return _minutes_words(whole)
    secs = ngettext("%(num)d second", "%(num)d seconds", rest) % {"num": rest}
    return _("{minutes} and {seconds}").format(minutes=_minutes_words(whole), seconds=secs) if whole else secs


def _listed(items: Iterable[str]) -> str:
    """"a, b, c" the language's way (its list of units: no "and" in English)."""
    items = list(items)
    if not items:
        return ""
    try:
        return format_list(items, style="unit", locale=i18n.locale())
    except KeyError:  # a locale whose data lacks the unit list: its standard one
        return format_list(items, locale=i18n.locale())


def votes_of(phase: Phase) -> int:
    """Votes per person as the live session counts them (a selection phase always has at least one)."""
    if phase.kind is ActivityKind.SELECTION:
        return phase.votes_per_person or 1
    return phase.votes_per_person


def values(phase: Phase) -> dict[str, str]:
    """Every placeholder of the phase's kind with its value from the phase's settings."""
    out = {"minutes": str(phase.minutes), "duration": _minutes_words(phase.minutes)}
    if phase.kind is ActivityKind.STORY_ROUND and phase.turn_seconds is not None:
        out["turn_minutes"] = f"{phase.turn_seconds / 60:g}"
        out["turn_length"] = _seconds_words(phase.turn_seconds)
    if phase.kind in (ActivityKind.CARDS, ActivityKind.SELECTION):
        votes = votes_of(phase)
        out["votes"] = str(votes)
        out["votes_each"] = ngettext("%(num)d vote", "%(num)d votes", votes) % {"num": votes}
    if phase.kind is ActivityKind.CARDS:
        out["fields"] = _listed(field.label for field in phase.card_fields)
    if phase.kind is ActivityKind.SELECTION:
        out["domains"] = _listed(phase.domains)
    if phase.kind is ActivityKind.DRAFT:
        out["sections"] = _listed(phase.sections)
    return out


def fill(text: str, known: Mapping[str, str]) -> str:
    """The text with each known placeholder replaced; anything else is left as written."""
    return PATTERN.sub(lambda match: known.get(match[1], match[0]), text)


def filled(phase: Phase) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The phase's prompts and listener prompts as practitioners read them."""
    known = values(phase)
    return tuple(fill(p, known) for p in phase.prompts), tuple(fill(p, known) for p in phase.listener_prompts)


def problems(phase: Phase, texts: Iterable[str]) -> list[str]:
    """One sentence per placeholder in `texts` that this phase can't fill (empty: all is well)."""
    allowed = names_for(phase.kind)
    out: list[str] = []
    for name in dict.fromkeys(match[1] for text in texts for match in PATTERN.finditer(text)):
        if name not in allowed:
            choices = ", ".join(f"{{{known}}}" for known in allowed)
            out.append(
                _("“{{{name}}}” is not a placeholder this phase knows. In this phase you can use: {choices}.").format(
                    name=name, choices=choices
                )
            )
        elif name in ("votes", "votes_each") and votes_of(phase) == 0:
            out.append(_("“{{{name}}}” names the votes, but voting is off in this phase: give each person votes, or take it out.").format(name=name))
        elif name == "domains" and not phase.domains:
            out.append(_("“{domains}” names the domains, but this phase has none yet: add them, or take it out."))
    return out
