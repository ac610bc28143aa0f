"""PURE: what leads made of the suggested themes (from the programme's events), and a new grouping
that keeps it.

Renaming, merging, splitting or accepting a theme records an event that holds the resulting theme
in full (id, label, item keys). Those themes are kept when the grouping runs again: their items stay
theirs (less any that left the record), a new item joins the kept theme it is closest to when it is
at least `join_similarity` alike, and only the rest is grouped afresh.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from exchange.synthesis.items import Item
from exchange.synthesis.themes import Grouping, Params, Theme, group

ACCEPTED, EDITED, SUGGESTED = "accepted", "edited", "suggested"
THEME_EVENTS = frozenset({"theme_accepted", "theme_renamed", "themes_merged", "theme_split"})


@dataclass(frozen=True, slots=True)
class Kept:
    id: str
    label: str
    keys: tuple[str, ...]
    accepted: bool


def kept_themes(events: Iterable[tuple[str, Mapping]]) -> dict[str, Kept]:
    """Fold (type, data) of the programme's theme events, in order, into the themes leads kept."""
    kept: dict[str, Kept] = {}
    for kind, data in events:
        if kind not in THEME_EVENTS:
            continue
        for gone in data.get("replaces", ()):
            kept.pop(gone, None)
        for theme in data.get("themes", ()):
            previous = kept.get(theme["id"])
            accepted = kind == "theme_accepted" or bool(previous and previous.accepted) or bool(theme.get("accepted"))
            kept[theme["id"]] = Kept(theme["id"], theme["label"], tuple(theme["keys"]), accepted)
    return kept


def combine(
    items: Sequence[Item],
    vectors: np.ndarray,
    kept: Mapping[str, Kept],
    params: Params = Params(),
    *,
    join_similarity: float = 0.5,
) -> Grouping:
    """Kept themes first (accepted, then edited), then fresh suggestions for the items left over."""
    index = {item.key: i for i, item in enumerate(items)}
    members: dict[str, list[int]] = {}
    claimed: set[int] = set()
    for theme in kept.values():
        rows = [index[k] for k in theme.keys if k in index and index[k] not in claimed]
        claimed.update(rows)
        members[theme.id] = rows
    centres = {
        tid: vectors[rows].mean(axis=0) / (np.linalg.norm(vectors[rows].mean(axis=0)) or 1.0)
        for tid, rows in members.items()
        if rows
    }
    rest: list[int] = []
    for i in range(len(items)):
        if i in claimed:
            continue
        if centres:
            scores = sorted(((float(vectors[i] @ c), tid) for tid, c in centres.items()), key=lambda s: (-s[0], s[1]))
            if scores[0][0] >= join_similarity:
                members[scores[0][1]].append(i)
                continue
        rest.append(i)
    themes: list[Theme] = []
    for theme in kept.values():
        rows = members[theme.id]
        if rows and theme.id in centres:
            centre = centres[theme.id]
            rows = sorted(rows, key=lambda i: (-round(float(vectors[i] @ centre), 9), items[i].key))
        status = ACCEPTED if theme.accepted else EDITED
        themes.append(Theme(id=theme.id, label=theme.label, items=tuple(items[i] for i in rows), status=status))
    themes.sort(key=lambda t: (t.status != ACCEPTED, -len(t.items), t.label))
    fresh = group([items[i] for i in rest], vectors[rest] if rest else vectors[:0], params,
                  taken={t.label for t in themes})  # fmt: skip
    return Grouping(themes=tuple(themes) + fresh.themes, unassigned=fresh.unassigned, embedder=fresh.embedder)


def find(grouping: Grouping, theme_id: str) -> Theme | None:
    return next((t for t in grouping.themes if t.id == theme_id), None)


def as_data(theme_id: str, label: str, items: Iterable[Item] | Iterable[str]) -> dict:
    keys = [i if isinstance(i, str) else i.key for i in items]
    return {"id": theme_id, "label": label, "keys": keys}
