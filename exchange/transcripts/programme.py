"""PURE: what a programme's exchanges raised, across their transcripts: cultural levers and challenges.

Drawn from the cards phases of each transcript, so consent, redaction and anonymity already hold:
an anonymous card has no author here, and nothing left out of a transcript can come back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from exchange.transcripts.model import CardField, PhaseSection, Transcript


@dataclass(frozen=True, slots=True)
class Raised:
    """One card, with the exchange it came from."""

    exchange_id: int
    exchange_title: str
    phase_title: str
    fields: tuple[CardField, ...]
    author: str | None  # None: an anonymous card, never attributed
    votes: int


@dataclass(frozen=True, slots=True)
class Highlights:
    levers: tuple[Raised, ...]
    challenges: tuple[Raised, ...]


def kind_of(phase: PhaseSection) -> str | None:
    """"lever", "challenge" or None: levers phases by key; challenges by key or by a field so labelled."""
    if phase.kind != "cards":
        return None
    key = phase.key.lower()
    if "lever" in key:
        return "lever"
    labels = {f.label.lower() for group in phase.card_groups for card in group.cards for f in card.fields}
    if "challenge" in key or "problem" in key or any("challenge" in label for label in labels):
        return "challenge"
    return None


def highlights(transcripts: Iterable[Transcript]) -> Highlights:
    levers: list[Raised] = []
    challenges: list[Raised] = []
    for t in transcripts:
        for phase in t.phases:
            kind = kind_of(phase)
            if kind is None:
                continue
            for group in phase.card_groups:
                for card in group.cards:
                    raised = Raised(
                        exchange_id=t.exchange.id, exchange_title=t.exchange.title, phase_title=phase.title,
                        fields=card.fields, author=card.author, votes=card.votes,
                    )  # fmt: skip
                    (levers if kind == "lever" else challenges).append(raised)
    return Highlights(levers=tuple(levers), challenges=tuple(challenges))
