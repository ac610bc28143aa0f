"""PURE: most significant change up the programme.

Stories chosen in their exchanges go to the panels of the first level the lead defined (each panel
covers some exchanges); the stories a panel chooses go to the panels of the next level that cover it;
and so on. Every panel records its choice with a reason in full sentences and any dissent. A story
left out of its exchange's record (withdrawn, off the record, redacted) leaves the chain with it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from exchange.i18n import _
from exchange.synthesis.items import Item
from exchange.synthesis.log import Choice, Level, Panel, ProgrammeLog

MIN_REASON_WORDS = 8
MAX_REASON = 2000
MAX_DISSENT = 2000
_SENTENCE_END = re.compile(r"[.!?。؟…]['\")»”]*$")


@dataclass(frozen=True, slots=True)
class ExchangeChoice:
    """A selection recorded in an exchange (from its transcript's export fold): the first step."""

    exchange_id: int
    exchange_title: str
    story_keys: tuple[str, ...]
    reason: str
    dissent: str
    domain: str | None = None


@dataclass(frozen=True, slots=True)
class PanelView:
    panel: Panel
    level: Level
    candidates: tuple[Item, ...]
    choice: Choice | None
    sources: tuple[str, ...]  # the names of what it covers

    @property
    def chosen(self) -> tuple[Item, ...]:
        keys = set(self.choice.story_keys) if self.choice else set()
        return tuple(c for c in self.candidates if c.key in keys)


@dataclass(frozen=True, slots=True)
class Step:
    """Where one story stood at one level."""

    level: str  # "" for its own exchange
    panel: str  # the panel's name, or the exchange's title
    decided: bool
    chosen: bool
    reason: str
    dissent: str


def reason_problem(reason: str) -> str | None:
    """Why a reason is not yet in full sentences; None when it is."""
    text = " ".join(reason.split())
    if len(text) > MAX_REASON:
        return _("The reason is too long (at most {n} characters).").format(n=MAX_REASON)
    if len(text.split()) < MIN_REASON_WORDS or not _SENTENCE_END.search(text) or not any(c.isalpha() for c in text[:3]):
        return _("Please give the reason in full sentences (at least {n} words, ending with a full stop), "
                 "so the tellers and funders can follow it.").format(n=MIN_REASON_WORDS)  # fmt: skip
    return None


def panel_views(
    log: ProgrammeLog,
    exchange_choices: Sequence[ExchangeChoice],
    stories: Mapping[str, Item],
    exchange_titles: Mapping[int, str],
) -> tuple[PanelView, ...]:
    """Every panel with its candidates (stories still in their record) and its choice, level by level."""
    by_exchange: dict[str, list[str]] = {}
    for choice in exchange_choices:
        by_exchange.setdefault(str(choice.exchange_id), []).extend(choice.story_keys)
    chosen_by: dict[str, tuple[str, ...]] = {}
    names = {p.id: p.name for p in log.panels}
    views: list[PanelView] = []
    for depth, level in enumerate(log.levels):
        for panel in log.panels_at(level.id):
            keys: list[str] = []
            for source in panel.sources:
                keys.extend(by_exchange.get(source, ()) if depth == 0 else chosen_by.get(source, ()))
            unique = list(dict.fromkeys(k for k in keys if k in stories))
            choice = log.choices.get(panel.id)
            chosen_by[panel.id] = tuple(k for k in (choice.story_keys if choice else ()) if k in unique)
            source_names = tuple(
                exchange_titles.get(int(s), s) if depth == 0 and s.isdigit() else names.get(s, s) for s in panel.sources
            )
            views.append(PanelView(panel, level, tuple(stories[k] for k in unique), choice, source_names))
    return tuple(views)


def chain_of(story_key: str, exchange_choices: Sequence[ExchangeChoice], views: Sequence[PanelView]) -> tuple[Step, ...]:
    """The story's way up: chosen in its exchange (why), then each panel it came before."""
    steps: list[Step] = []
    for choice in exchange_choices:
        if story_key in choice.story_keys:
            steps.append(Step("", choice.exchange_title, True, True, choice.reason, choice.dissent))
    for view in views:
        if any(c.key == story_key for c in view.candidates):
            decided = view.choice is not None
            chosen = decided and story_key in view.choice.story_keys  # type: ignore[union-attr]
            reason = view.choice.reason if view.choice else ""
            dissent = view.choice.dissent if view.choice else ""
            steps.append(Step(view.level.name, view.panel.name, decided, chosen, reason, dissent))
    return tuple(steps)


def candidates_of(views: Sequence[PanelView], panel_id: str) -> tuple[Item, ...]:
    return next((v.candidates for v in views if v.panel.id == panel_id), ())
