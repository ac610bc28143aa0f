"""PURE: the programme report's content, from the pieces the pages already show: themes and their
quotes, the stories chosen up the programme with the reasons, the funder messages, the plots, and
participation per exchange (people, stories, and how evenly airtime was shared)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from typing import TYPE_CHECKING

from exchange.synthesis.items import Item
from exchange.synthesis.selection import ExchangeChoice, PanelView
from exchange.transcripts.model import DraftSection, Transcript

if TYPE_CHECKING:
    from exchange.synthesis.themes import Theme

MAX_THEMES = 12


@dataclass(frozen=True, slots=True)
class Participation:
    exchange_title: str
    people: int
    stories: int
    airtime_minutes: float
    evenness: float | None  # 1: everyone spoke as long; 0: one person spoke alone; None: too few to say


@dataclass(frozen=True, slots=True)
class FunderMessage:
    exchange_title: str
    sections: tuple[DraftSection, ...]
    final: bool


@dataclass(frozen=True, slots=True)
class Report:
    programme: str
    description: str
    generated_at: datetime
    exchanges: int
    themes: tuple[Theme, ...]
    unassigned: int
    exchange_choices: tuple[ExchangeChoice, ...]
    panels: tuple[PanelView, ...]
    messages: tuple[FunderMessage, ...]
    participation: tuple[Participation, ...]
    plots: object  # placement_views.Plotted
    draft_exchanges: tuple[str, ...]  # titles of exchanges whose record is still under review
    stories: Mapping[str, Item] = field(default_factory=dict)  # the stories in the records, by key


def evenness(airtimes: Sequence[float]) -> float | None:
    """1 - Gini of the airtime shares: 1 when everyone spoke equally long."""
    values = [max(0.0, a) for a in airtimes]
    total = sum(values)
    if len(values) < 2 or total <= 0:
        return None
    n = len(values)
    gini = sum(abs(a - b) for a in values for b in values) / (2 * n * total)
    return round(max(0.0, 1 - gini * n / (n - 1)), 2)


def participation(transcript: Transcript) -> Participation:
    airtimes = [p.airtime_seconds for p in transcript.participants]
    stories = sum(len(phase.stories) for phase in transcript.phases)
    return Participation(transcript.exchange.title, len(transcript.participants), stories,
                         round(sum(airtimes) / 60, 1), evenness(airtimes))  # fmt: skip


def build_report(
    *, programme: str, description: str, generated_at: datetime, transcripts: Sequence[Transcript],
    themes: Sequence[Theme], unassigned: int, exchange_choices: Sequence[ExchangeChoice],
    panels: Sequence[PanelView], plots: object, stories: Mapping[str, Item] | None = None,
) -> Report:  # fmt: skip
    ordered = sorted(themes, key=lambda t: (t.status != "accepted", -len(t.items), t.label))[:MAX_THEMES]
    messages = tuple(
        FunderMessage(t.exchange.title, t.final_sections, t.final_message_final) for t in transcripts if t.final_sections
    )
    return Report(
        programme=programme, description=description, generated_at=generated_at, exchanges=len(transcripts),
        themes=tuple(ordered), unassigned=unassigned, exchange_choices=tuple(exchange_choices),
        panels=tuple(p for p in panels if p.choice is not None), messages=messages,
        participation=tuple(participation(t) for t in transcripts), plots=plots,
        draft_exchanges=tuple(t.exchange.title for t in transcripts if t.exchange.draft),
        stories=dict(stories or {}),
    )  # fmt: skip
