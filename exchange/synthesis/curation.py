"""PURE: what leads made of the suggested themes (from the programme's events), and a new grouping
that keeps it.

Renaming, merging, splitting or accepting a theme records an event that holds the resulting theme
in full (id, label, item keys). Those themes are kept when the grouping runs again: their items stay
theirs (less any that left the record), a new item joins the kept theme it is closest to when it is
at least `join_similarity` alike, and only the rest is grouped afresh.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from exchange.synthesis.items import Item
from exchange.synthesis.kept import ACCEPTED, EDITED, Kept

if TYPE_CHECKING:
    import numpy as np

    from exchange.synthesis.themes import Grouping, Params, Theme

def combine(
    items: Sequence[Item],
    vectors: np.ndarray,
    kept: Mapping[str, Kept],
    params: Params | None = None,
    *,
    join_similarity: float = 0.5,
) -> Grouping:
    """Kept themes first (accepted, then edited), then fresh suggestions for the items left over."""
    import numpy as np

    from exchange.synthesis.themes import Grouping, Params, Theme, group

    params = params or Params()
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
