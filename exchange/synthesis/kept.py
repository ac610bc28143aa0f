"""PURE: the themes leads kept (renamed, merged, split or accepted), folded from the programme's events.

No scikit-learn here: the pages that only read the log import this without loading it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

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




def theme_id(keys: Sequence[str]) -> str:
    """A theme's id: a digest of its items' keys, so the same theme found again has the same id."""
    return "t-" + hashlib.sha1("\n".join(sorted(keys)).encode()).hexdigest()[:12]
