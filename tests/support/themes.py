"""The hand-labelled items (tests/data/themes_labelled.txt) as synthesis items, spread over exchanges."""

from __future__ import annotations

from pathlib import Path

from exchange.synthesis.items import Item, item_key

DATA = Path(__file__).resolve().parents[1] / "data" / "themes_labelled.txt"
COUNTRIES = ("Kenya", "Peru", "Nepal", "Senegal", None)
KINDS = ("story", "card", "reflection")


def labelled() -> list[tuple[str, str]]:
    """(theme, text) in file order."""
    out: list[tuple[str, str]] = []
    theme = ""
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            theme = line[3:].strip()
        elif line.strip() and not line.startswith("#"):
            out.append((theme, line.strip()))
    return out


def labelled_items(exchanges: int = 6) -> tuple[list[Item], list[str]]:
    """Items spread over `exchanges` exchanges and four countries (and no country), with their themes."""
    items, themes = [], []
    for n, (theme, text) in enumerate(labelled()):
        exchange = n % exchanges + 1
        kind = KINDS[n % len(KINDS)]
        items.append(
            Item(
                key=item_key(exchange, f"{kind}-{n + 1}"), exchange_id=exchange, exchange_title=f"Exchange {exchange}",
                kind=kind, category=kind, phase_index=1, phase_title="Story sharing", text=text,
                by=f"Teller {n % 11}", country=COUNTRIES[n % len(COUNTRIES)], at=None,
            )
        )  # fmt: skip
        themes.append(theme)
    return items, themes
