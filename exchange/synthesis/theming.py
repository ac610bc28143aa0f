"""Running the grouping for a programme: vectors from the configured embedder, kept themes applied,
the result remembered for the same input (the grouping is deterministic, so it is safe to reuse)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence

from exchange.synthesis.curation import Kept, combine
from exchange.synthesis.embedding import embedder
from exchange.synthesis.items import Item
from exchange.synthesis.themes import Grouping, Params

_CACHE: OrderedDict[str, Grouping] = OrderedDict()
_LOCK = threading.Lock()
_CACHE_SIZE = 32


def digest(items: Sequence[Item], kept: Mapping[str, Kept], choice: str, seed: int) -> str:
    payload = json.dumps(
        [choice, seed, [[i.key, i.text, i.by, i.country, i.exchange_title] for i in items],
         [[k.id, k.label, list(k.keys), k.accepted] for k in kept.values()]],
        ensure_ascii=False,
    )  # fmt: skip
    return hashlib.sha256(payload.encode()).hexdigest()


def themes_for(items: Sequence[Item], kept: Mapping[str, Kept], *, choice: str = "auto", seed: int = 7) -> Grouping:
    """The programme's themes: kept ones first, then suggestions, then what fits nowhere."""
    key = digest(items, kept, choice, seed)
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    model = embedder(choice)
    vectors = model.embed([item.text for item in items], seed=seed)
    grouping = dataclasses.replace(combine(items, vectors, kept, Params(seed=seed)), embedder=model.name)
    with _LOCK:
        _CACHE[key] = grouping
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return grouping
