"""Theme grouping on the hand-labelled set: deterministic, in agreement with the labels, quoted."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from exchange.synthesis.curation import combine
from exchange.synthesis.embedding import Lsa, concepts, words
from exchange.synthesis.items import Item
from exchange.synthesis.kept import Kept, kept_themes, theme_id
from exchange.synthesis.themes import Grouping, Params, group
from tests.support.themes import labelled, labelled_items

#: Agreement (adjusted Rand index) the default grouping must reach on the hand-labelled set. It
#: measures 0.82 with this code and seed (bench/synthesis.py); the floor leaves room for small
#: numerical changes in scikit-learn and numpy between versions, and is still well above the 0.5 the
#: issue asks for and far above chance (0.0) and the glossary-free grouping (about 0.3).
ARI_FLOOR = 0.6


@cache
def _grouped(seed: int = 7) -> tuple[list[Item], list[str], Grouping]:
    items, truth = labelled_items()
    vectors = Lsa().embed([i.text for i in items], seed=seed)
    return items, truth, group(items, vectors, Params(seed=seed))


def predicted(items: list[Item], grouping: Grouping) -> list[int]:
    """Each item's theme number; every unassigned item is a group of its own (the strict reading)."""
    number = {item.key: n for n, theme in enumerate(grouping.themes) for item in theme.items}
    return [number.get(item.key, 1000 + i) for i, item in enumerate(items)]


def test_the_labelled_set_is_big_enough_and_balanced() -> None:
    rows = labelled()
    themes = {theme for theme, _text in rows}
    assert len(rows) >= 200 and len(themes) >= 8
    assert min(sum(1 for t, _ in rows if t == theme) for theme in themes) >= 20


def test_grouping_agrees_with_the_hand_labels() -> None:
    items, truth, grouping = _grouped()
    assert adjusted_rand_score(truth, predicted(items, grouping)) >= ARI_FLOOR
    assert 6 <= len(grouping.themes) <= 14


def test_the_same_input_and_seed_give_the_same_themes() -> None:
    items, _truth, first = _grouped()
    again = group(items, Lsa().embed([i.text for i in items], seed=7), Params(seed=7))
    assert [(t.id, t.label, [i.key for i in t.items]) for t in first.themes] == [
        (t.id, t.label, [i.key for i in t.items]) for t in again.themes
    ]
    assert [i.key for i in first.unassigned] == [i.key for i in again.unassigned]


def test_every_theme_has_a_label_quotes_and_counts() -> None:
    items, _truth, grouping = _grouped()
    texts = {item.text for item in items}
    seen: set[str] = set()
    for theme in grouping.themes:
        assert theme.label and theme.label not in seen
        seen.add(theme.label)
        assert len(theme.quotes) >= 2 and all(q.text in texts for q in theme.quotes)  # verbatim
        assert theme.id == theme_id([i.key for i in theme.items])
        assert sum(n for _title, n in theme.by_exchange) == len(theme.items)
        assert sum(n for _country, n in theme.by_country) == len(theme.items)
    assigned = [i.key for t in grouping.themes for i in t.items] + [i.key for i in grouping.unassigned]
    assert sorted(assigned) == sorted(i.key for i in items)  # every item once, themed or unassigned


def test_items_that_fit_nowhere_are_unassigned() -> None:
    items, _truth = labelled_items()
    odd = [
        Item(f"99:card-{n}", 99, "Odd", "card", "card", 2, "Cards", text, None, None, None)
        for n, text in enumerate(("Zebra xylophone quartz.", "Umbrella volcano jigsaw."), start=1)
    ]  # fmt: skip
    every = items + odd
    grouping = group(every, Lsa().embed([i.text for i in every], seed=7), Params(seed=7))
    unassigned = {i.key for i in grouping.unassigned}
    assert {o.key for o in odd} <= unassigned


def test_too_few_items_make_no_theme() -> None:
    items, _truth = labelled_items()
    grouping = group(items[:3], np.eye(3), Params())
    assert grouping.themes == () and len(grouping.unassigned) == 3


def test_the_glossary_finds_concepts_by_word_beginnings() -> None:
    assert concepts("The Imam's sermon at the mosque") == ["faith"]
    assert "marriage" in concepts("She was married at fourteen") and "education" in concepts("back to school")
    assert words("The élan of Religious leaders") == ["elan", "religious", "leaders"]


@pytest.mark.parametrize("status", ["accepted", "edited"])
def test_kept_themes_survive_a_new_grouping_and_new_items_join_them(status: str) -> None:
    items, _truth, grouping = _grouped()
    theme = grouping.themes[0]
    kind = "theme_accepted" if status == "accepted" else "theme_renamed"
    kept = kept_themes([(kind, {"themes": [{"id": theme.id, "label": "Our name", "keys": [i.key for i in theme.items[1:]]}]})])
    vectors = Lsa().embed([i.text for i in items], seed=7)
    again = combine(items, vectors, kept, Params(seed=7))
    first = again.themes[0]
    assert (first.id, first.label, first.status) == (theme.id, "Our name", status)
    assert theme.items[0].key in {i.key for i in first.items}  # the item left out came back as a new one
    others = [i.key for t in again.themes[1:] for i in t.items]
    assert not set(others) & {i.key for i in first.items}


def test_an_item_that_left_the_record_leaves_its_kept_theme() -> None:
    items, _truth, grouping = _grouped()
    theme = grouping.themes[0]
    kept = {theme.id: Kept(theme.id, "Kept", tuple(i.key for i in theme.items), True)}
    gone = theme.items[0].key
    remaining = [i for i in items if i.key != gone]
    again = combine(remaining, Lsa().embed([i.text for i in remaining], seed=7), kept, Params(seed=7))
    assert gone not in {i.key for t in again.themes for i in t.items}
    assert again.themes[0].label == "Kept"


def test_merge_and_split_events_replace_the_themes_they_name() -> None:
    events = [
        ("theme_accepted", {"themes": [{"id": "t-a", "label": "A", "keys": ["1:story-1", "1:story-2"]}]}),
        ("theme_renamed", {"themes": [{"id": "t-b", "label": "B", "keys": ["1:card-1", "1:card-2"], "accepted": False}]}),
        ("themes_merged", {"replaces": ["t-a", "t-b"], "themes": [{"id": "t-ab", "label": "AB", "accepted": True,
                                                                   "keys": ["1:story-1", "1:story-2", "1:card-1", "1:card-2"]}]}),
        ("theme_split", {"replaces": ["t-ab"], "themes": [
            {"id": "t-x", "label": "AB", "keys": ["1:story-1", "1:story-2"], "accepted": True},
            {"id": "t-y", "label": "Cards", "keys": ["1:card-1", "1:card-2"]}]}),
        ("panel_added", {"panel_id": "p-1"}),
    ]  # fmt: skip
    kept = kept_themes(events)
    assert list(kept) == ["t-x", "t-y"]
    assert kept["t-x"].accepted and not kept["t-y"].accepted and kept["t-y"].label == "Cards"
