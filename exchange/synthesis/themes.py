"""PURE (given the vectors): items grouped into themes, each named, quoted and counted.

k-means over the items' vectors for each k from 2 up, keeping the k with the best silhouette (on a
fixed sample for large sets); an item less similar to its theme's centre than `min_similarity`, and
every theme left with fewer than two items, go to "unassigned". The same items in the same order and
the same seed give the same themes. A theme's id is a digest of its items' keys, so the same theme
found again has the same id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_limits

from exchange.synthesis.embedding import tfidf
from exchange.synthesis.items import Item
from exchange.synthesis.kept import theme_id

QUOTES = 3


@dataclass(frozen=True, slots=True)
class Params:
    seed: int = 7
    #: Cosine similarity to the theme's centre below which an item fits nowhere.
    min_similarity: float = 0.2
    max_themes: int = 24
    #: Items per theme on average, at least: fewer themes for few items.
    min_average: int = 5
    #: Silhouette on at most this many items (chosen with the seed), for large sets.
    sample: int = 1500


@dataclass(frozen=True, slots=True)
class Theme:
    id: str
    label: str
    items: tuple[Item, ...]  # closest to the centre first
    status: str = "suggested"  # suggested, edited (by a lead) or accepted
    suggested_label: str = ""

    @property
    def quotes(self) -> tuple[Item, ...]:
        return self.items[:QUOTES]

    @property
    def by_exchange(self) -> tuple[tuple[str, int], ...]:
        counts = Counter(item.exchange_title for item in self.items)
        return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    @property
    def by_country(self) -> tuple[tuple[str | None, int], ...]:
        counts = Counter(item.country for item in self.items)
        return tuple(sorted(counts.items(), key=lambda kv: (kv[0] is None, -kv[1], kv[0] or "")))

    @property
    def exchanges(self) -> int:
        return len({item.exchange_id for item in self.items})


@dataclass(frozen=True, slots=True)
class Grouping:
    themes: tuple[Theme, ...]
    unassigned: tuple[Item, ...]
    embedder: str = ""
    extra: dict[str, object] = field(default_factory=dict)


def choose_k(vectors: np.ndarray, params: Params) -> tuple[int, np.ndarray]:
    """The number of themes with the best silhouette, and the labels for it.

    On one thread: many small k-means fits spend more time waking threads than computing, above all
    on a busy machine (five times slower here with two).
    """
    with threadpool_limits(limits=1):
        return _choose_k(vectors, params)


def _choose_k(vectors: np.ndarray, params: Params) -> tuple[int, np.ndarray]:
    n = len(vectors)
    best: tuple[float, int, np.ndarray] | None = None
    top = min(params.max_themes, max(2, n // params.min_average))  # a theme holds a few items on average
    sample = min(params.sample, n)
    for k in range(2, top + 1):
        model = KMeans(n_clusters=k, n_init=3, random_state=params.seed)
        labels = model.fit_predict(vectors)
        if len(set(labels)) < 2:
            continue
        score = silhouette_score(vectors, labels, metric="cosine", sample_size=sample, random_state=params.seed)
        if best is None or score > best[0] + 1e-9:
            best = (float(score), k, labels)
    if best is None:
        return 1, np.zeros(n, dtype=int)
    return best[1], best[2]


def label_for(members: Sequence[int], matrix, vocabulary: Sequence[str], overall: np.ndarray, taken: set[str]) -> str:  # noqa: ANN001
    """The words that set these items apart: mean TF-IDF in the theme less the mean over all items."""
    if not len(vocabulary):
        return ""
    inside = np.asarray(matrix[list(members)].mean(axis=0)).ravel()
    score = inside - overall
    order = sorted(range(len(vocabulary)), key=lambda i: (-round(float(score[i]), 9), vocabulary[i]))
    words: list[str] = []
    for i in order:
        term = vocabulary[i]
        if score[i] <= 0 or len(words) == 3:
            break
        if any(term in w or w in term for w in words):
            continue
        words.append(term)
    label = ", ".join(words)
    while label in taken and words:
        words = words[:-1]
        label = ", ".join(words) + "…"
    return label[:1].upper() + label[1:]


def group(items: Sequence[Item], vectors: np.ndarray, params: Params = Params(), *, taken: set[str] | None = None) -> Grouping:
    """Suggested themes for `items` (with one row of `vectors` each)."""
    n = len(items)
    if n < 4:
        return Grouping(themes=(), unassigned=tuple(items))
    _k, labels = choose_k(vectors, params)
    vectorizer, matrix = tfidf([item.text for item in items])
    vocabulary = list(vectorizer.get_feature_names_out()) if matrix.shape[1] else []
    overall = np.asarray(matrix.mean(axis=0)).ravel() if matrix.shape[1] else np.zeros(0)
    themes: list[Theme] = []
    unassigned: list[int] = []
    used = set(taken or ())
    for cluster in sorted(set(int(c) for c in labels)):
        members = [i for i in range(n) if labels[i] == cluster]
        centre = vectors[members].mean(axis=0)
        norm = float(np.linalg.norm(centre)) or 1.0
        similarity = {i: float(vectors[i] @ centre) / norm for i in members}
        fitting = [i for i in members if similarity[i] >= params.min_similarity]
        unassigned.extend(i for i in members if similarity[i] < params.min_similarity)
        if len(fitting) < 2:
            unassigned.extend(fitting)
            continue
        fitting.sort(key=lambda i: (-round(similarity[i], 9), items[i].key))
        label = label_for(fitting, matrix, vocabulary, overall, used) or f"Theme {len(themes) + 1}"
        used.add(label)
        members_items = tuple(items[i] for i in fitting)
        themes.append(Theme(id=theme_id([it.key for it in members_items]), label=label, items=members_items,
                            suggested_label=label))  # fmt: skip
    themes.sort(key=lambda t: (-len(t.items), t.label))
    return Grouping(themes=tuple(themes), unassigned=tuple(items[i] for i in sorted(set(unassigned))))
