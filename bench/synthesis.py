"""The programme's theme grouping: seconds and memory for 500 and 5,000 items, and its agreement with
the hand-labelled set (adjusted Rand index). Not a test: figures for the issue note.

    python -m bench.synthesis                    # LSA (the default), 500 and 5,000 items, agreement
    python -m bench.synthesis --embedder minilm  # with the optional sentence model, when installed
    python -m bench.synthesis --sizes 500 --repeat 3

Each size runs in a fresh process, so its peak memory (ru_maxrss) is its own. The 500 and 5,000
items are the labelled sentences recombined: the first half of one sentence of a theme joined to the
second half of another of the same theme, so the texts are new but each keeps its theme.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time

from exchange.synthesis.items import Item, item_key


def synthetic_items(n: int, seed: int = 11) -> tuple[list[Item], list[str]]:
    from tests.support.themes import COUNTRIES, labelled

    rows = labelled()
    by_theme: dict[str, list[str]] = {}
    for theme, text in rows:
        by_theme.setdefault(theme, []).append(text)
    rng = random.Random(seed)
    items, truth = [], []
    themes = sorted(by_theme)
    for i in range(n):
        theme = themes[i % len(themes)]
        a, b = rng.sample(by_theme[theme], 2)
        wa, wb = a.split(), b.split()
        text = " ".join(wa[: len(wa) // 2] + wb[len(wb) // 2 :])
        exchange = i % 40 + 1
        items.append(Item(item_key(exchange, f"card-{i + 1}"), exchange, f"Exchange {exchange}", "card", "card", 2,
                          "Cards", text, None, COUNTRIES[i % len(COUNTRIES)], None))  # fmt: skip
        truth.append(theme)
    return items, truth


def ari(items: list[Item], truth: list[str], grouping) -> tuple[float, float]:  # noqa: ANN001
    """(strict: every unassigned item on its own, lenient: unassigned items as one group)."""
    from sklearn.metrics import adjusted_rand_score

    number = {item.key: n for n, theme in enumerate(grouping.themes) for item in theme.items}
    strict = [number.get(item.key, 10_000 + i) for i, item in enumerate(items)]
    lenient = [number.get(item.key, -1) for item in items]
    return round(adjusted_rand_score(truth, strict), 3), round(adjusted_rand_score(truth, lenient), 3)


def one(size: int, embedder: str, seed: int) -> dict:
    """Group `size` items (0: the hand-labelled set) in this process; time and peak memory."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    from exchange.synthesis.embedding import embedder as make
    from exchange.synthesis.themes import Params, group

    if size == 0:
        from tests.support.themes import labelled_items

        items, truth = labelled_items()
    else:
        items, truth = synthetic_items(size)
    loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    model = make(embedder)
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    vectors = model.embed([i.text for i in items], seed=seed)
    embedded = time.perf_counter()
    grouping = group(items, vectors, Params(seed=seed))
    done = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak = usage.ru_maxrss
    cpu_s = (usage.ru_utime + usage.ru_stime) - (cpu.ru_utime + cpu.ru_stime)
    strict, lenient = ari(items, truth, grouping)
    return {
        "items": len(items), "embedder": model.name, "embed_s": round(embedded - started, 2),
        "group_s": round(done - embedded, 2), "total_s": round(done - started, 2), "cpu_s": round(cpu_s, 2), "themes": len(grouping.themes),
        "unassigned": len(grouping.unassigned), "ari": strict, "ari_unassigned_as_one": lenient,
        "peak_rss_mb": round(peak / 1024, 1), "rss_before_mb": round(loaded / 1024, 1), "rss_start_mb": round(before / 1024, 1),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[500, 5000])
    parser.add_argument("--embedder", default="lsa", choices=["lsa", "words", "minilm", "auto"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(one(args.one, args.embedder, args.seed)))
        return
    rows = []
    for size in [0, *args.sizes]:
        for _ in range(args.repeat):
            out = subprocess.run([sys.executable, "-m", "bench.synthesis", "--one", str(size), "--embedder", args.embedder,
                                  "--seed", str(args.seed)], capture_output=True, text=True, check=True)  # fmt: skip
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"load average at the start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall seconds grow with it; CPU seconds less so)")
    print("| items | embedder | embed s | group s | total s | CPU s | peak RSS MB | themes | unassigned | ARI | ARI (unassigned as one) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        label = f"{r['items']} (hand-labelled)" if r is rows[0] or r["items"] == 225 else str(r["items"])
        print(f"| {label} | {r['embedder']} | {r['embed_s']} | {r['group_s']} | {r['total_s']} | {r['cpu_s']} | {r['peak_rss_mb']} | "
              f"{r['themes']} | {r['unassigned']} | {r['ari']} | {r['ari_unassigned_as_one']} |")  # fmt: skip


if __name__ == "__main__":
    main()
