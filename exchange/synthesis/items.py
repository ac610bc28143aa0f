"""PURE: the items a programme learns from, taken from each exchange's transcript as an export sees it.

An item is a story, a reflection on one, a recall or a card (levers, commonalities, challenges and
ideas), in the words it was recorded in. It exists only if the transcript holds it (so nothing
withdrawn, off the record or redacted), names its author only as the transcript does, and carries a
country only for a named (or initialled) author of a contribution that is not anonymous: a country
must not single out someone who chose not to be named.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from exchange.transcripts.build import Folded, people
from exchange.transcripts.model import RosterEntry, Transcript

THEMED_KINDS = ("story", "reflection", "recall", "card")


@dataclass(frozen=True, slots=True)
class Item:
    key: str  # "12:story-1": exchange id and the item's id in its log
    exchange_id: int
    exchange_title: str
    kind: str  # story, reflection, recall or card
    category: str  # story, reflection, recall, lever, commonality, challenge or card
    phase_index: int | None
    phase_title: str
    text: str  # verbatim, as recorded
    by: str | None  # as consent allows; None: anonymous
    country: str | None
    at: datetime | None


@dataclass(frozen=True, slots=True)
class Sourced:
    """An exchange's items, and (never shown) whose each story is: for placements and telling tellers."""

    items: tuple[Item, ...]
    tellers: Mapping[str, str]  # story key -> "p:17"
    released: bool = True


def item_key(exchange_id: int, item_id: str) -> str:
    return f"{exchange_id}:{item_id}"


def split_key(key: str) -> tuple[int, str]:
    exchange, _sep, item = key.partition(":")
    return int(exchange), item


def sort_key(key: str) -> tuple[int, str, int]:
    """Exchange, then the item's kind, then its number: story-2 before story-10."""
    exchange, item = split_key(key)
    stem, _sep, number = item.rpartition("-")
    return exchange, stem, int(number) if number.isdigit() else 0


def card_category(phase_key: str) -> str:
    key = phase_key.lower()
    if "lever" in key:
        return "lever"
    if "commonalit" in key:
        return "commonality"
    if "challenge" in key or "problem" in key or "solving" in key:
        return "challenge"
    return "card"


def countries_by_item(
    transcript: Transcript,
    folded: Folded,
    roster: Mapping[str, RosterEntry],
    countries: Mapping[str, str],
) -> dict[str, str]:
    """Item id -> its author's country, only for a named or initialled author of a non-anonymous item."""
    shown = people(folded.state, roster)
    by_ref = {s.ref: pid for pid, s in shown.items()}
    consent = {p.ref: p.consent for p in transcript.participants}
    out: dict[str, str] = {}
    for c in transcript.contributions:
        if c.anonymous or c.author_ref is None or consent.get(c.author_ref) not in ("name", "initials"):
            continue
        country = countries.get(by_ref.get(c.author_ref, ""), "")
        if country:
            out[c.item_id] = country
    return out


def items_of(
    transcript: Transcript,
    folded: Folded,
    roster: Mapping[str, RosterEntry],
    countries: Mapping[str, str],
) -> Sourced:
    """The transcript's stories, reflections, recalls and cards as items; `countries` is "p:17" -> country."""
    exchange = transcript.exchange
    by_item = countries_by_item(transcript, folded, roster, countries)
    items: list[Item] = []
    tellers: dict[str, str] = {}

    def add(item_id: str, kind: str, category: str, phase_index: int, phase_title: str, text: str,
            by: str | None, at: datetime | None) -> None:  # fmt: skip
        if text.strip():
            key = item_key(exchange.id, item_id)
            items.append(Item(key, exchange.id, exchange.title, kind, category, phase_index, phase_title,
                              text.strip(), by, by_item.get(item_id), at))  # fmt: skip
    teller_ids = {s.id: s.teller_id for s in folded.state.stories.stories}
    for phase in transcript.phases:
        for story in phase.stories:
            text = f"{story.title}. {story.summary}" if story.summary else story.title
            add(story.id, "story", "story", phase.index, phase.title, text, story.teller, story.at)
            if story.id in teller_ids:
                tellers[item_key(exchange.id, story.id)] = teller_ids[story.id]
            for reflection in story.reflections:
                add(reflection.id, "reflection", "reflection", phase.index, phase.title, reflection.text,
                    reflection.author, reflection.at)  # fmt: skip
        for recall in phase.recalls:
            add(recall.id, "recall", "recall", phase.index, phase.title, recall.text, recall.author, recall.at)
        category = card_category(phase.key)
        for group in phase.card_groups:
            for card in group.cards:
                text = " — ".join(f.value for f in card.fields if f.value)
                add(card.id, "card", category, phase.index, phase.title, text, card.author, card.at)
    items.sort(key=lambda item: sort_key(item.key))
    return Sourced(items=tuple(items), tellers=tellers, released=not exchange.draft)
