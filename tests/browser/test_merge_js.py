"""The draft's "Add their changes to my text" (web/static/js/live/merge.js), run in Chromium: a
three-way merge from the text both started from, that never repeats the shared starting text."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.support.servers import ServerProcess

pytestmark = pytest.mark.browser

CASES = [
    # (base, mine, theirs, merged, clash)
    ("Communities lead change.", "Communities lead change, with funders.", "Local communities lead change.",
     "Local communities lead change, with funders.", False),
    ("Communities lead change.", "Communities lead change.", "Women lead change.", "Women lead change.", False),
    ("Communities lead change.", "Women lead change.", "Communities lead change.", "Women lead change.", False),
    ("Communities lead change.", "Women lead change.", "Women lead change.", "Women lead change.", False),
    ("We ask for three years.", "We ask for five years.", "We ask for ten years.", "We ask for ten five years.", True),
    ("Need.\n\nAsk: fund the groups.", "Need: trust.\n\nAsk: fund the groups.", "Need.\n\nAsk: fund the groups for years.\n\nThanks.",
     "Need: trust.\n\nAsk: fund the groups for years.\n\nThanks.", False),
    ("", "Mine.", "Theirs.", "Theirs.\n\nMine.", True),  # two whole texts: paragraphs
]  # fmt: skip


def test_the_merge_keeps_each_change_once(server: ServerProcess, browser: Browser) -> None:
    page = browser.new_page()
    try:
        page.goto(f"{server.url}/healthz")
        results = page.evaluate(
            """async (cases) => {
                const { mergeTexts } = await import('/static/js/live/merge.js');
                return cases.map(([base, mine, theirs]) => mergeTexts(base, mine, theirs));
            }""",
            [list(case[:3]) for case in CASES],
        )
        for (base, mine, theirs, text, clash), got in zip(CASES, results, strict=True):
            assert (got["text"], got["clash"]) == (text, clash), (base, mine, theirs)
        # Many random pairs of edits in different places: the result is the base with both edits,
        # so no word of the shared text ever appears twice.
        checked = page.evaluate(
            """async () => {
                const { mergeTexts } = await import('/static/js/live/merge.js');
                let seed = 7;
                const rand = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
                const words = Array.from({ length: 40 }, (_, i) => `w${i}`);
                let ok = 0;
                for (let round = 0; round < 300; round += 1) {
                    const p = rand(40);
                    let q = rand(40);
                    if (q === p) q = (q + 1) % 40;
                    const mine = [...words]; mine.splice(p, 0, 'MINE');
                    const theirs = [...words]; theirs[q] = 'THEIRS';
                    const expected = [...words]; expected[q] = 'THEIRS'; expected.splice(p, 0, 'MINE');
                    const got = mergeTexts(words.join(' '), mine.join(' '), theirs.join(' '));
                    if (got.text !== expected.join(' ') && !got.clash) return { round, p, q, got: got.text };
                    const counts = {};
                    for (const w of got.text.split(/\\s+/)) counts[w] = (counts[w] || 0) + 1;
                    if (Object.values(counts).some((n) => n > 1)) return { round, p, q, repeated: got.text };
                    ok += 1;
                }
                return ok;
            }"""
        )
        assert checked == 300, checked
    finally:
        page.close()
