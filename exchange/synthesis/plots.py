"""PURE: SVG plots from numbers. Every text is escaped; a dot links to its story only when given a link.

The triangle puts a story where its three weights balance (a corner: all of one quality); each slider
is a line from its low end to its high end with one dot per story. Colours follow the exchange
(Okabe-Ito, readable with colour blindness); each dot also has a title for screen readers and hover.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
#: The triangle's corners in its 300 x 270 box: top, bottom left, bottom right.
CORNERS = ((150.0, 28.0), (24.0, 238.0), (276.0, 238.0))


@dataclass(frozen=True, slots=True)
class Dot:
    title: str  # what the dot says on hover and to a screen reader
    group: int  # colour index (the exchange's)
    href: str | None = None
    triangle: tuple[int, int, int] | None = None
    sliders: tuple[int, ...] = ()


def colour(group: int) -> str:
    return PALETTE[group % len(PALETTE)]


def point(weights: tuple[int, int, int]) -> tuple[float, float]:
    total = sum(weights) or 1
    x = sum(w * c[0] for w, c in zip(weights, CORNERS, strict=True)) / total
    y = sum(w * c[1] for w, c in zip(weights, CORNERS, strict=True)) / total
    return round(x, 1), round(y, 1)


def _dot(x: float, y: float, dot: Dot, radius: float = 6.5) -> str:
    circle = (f'<circle cx="{x}" cy="{y}" r="{radius}" fill="{colour(dot.group)}" fill-opacity="0.85" '
              f'stroke="#fff" stroke-width="1.5"><title>{escape(dot.title)}</title></circle>')  # fmt: skip
    if dot.href:
        return f'<a href="{escape(dot.href)}" class="plot__dot" aria-label="{escape(dot.title)}">{circle}</a>'
    return f'<g class="plot__dot plot__dot--closed" role="img" aria-label="{escape(dot.title)}">{circle}</g>'


def triangle_svg(corners: Sequence[str], dots: Sequence[Dot], *, title: str) -> Markup:
    (ax, ay), (bx, by), (cx, cy) = CORNERS
    parts = [
        f'<svg class="plot plot--triangle" viewBox="0 0 300 270" width="300" height="270" role="group" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<polygon points="{ax},{ay} {bx},{by} {cx},{cy}" fill="#f6f4ef" stroke="#555" stroke-width="1.5"/>',
        f'<text x="{ax}" y="{ay - 10}" text-anchor="middle" class="plot__corner">{escape(corners[0])}</text>',
        f'<text x="{bx}" y="{by + 22}" text-anchor="start" class="plot__corner">{escape(corners[1])}</text>',
        f'<text x="{cx}" y="{cy + 22}" text-anchor="end" class="plot__corner">{escape(corners[2])}</text>',
    ]
    for dot in dots:
        if dot.triangle is not None:
            parts.append(_dot(*point(dot.triangle), dot))
    parts.append("</svg>")
    return Markup("".join(parts))


def slider_svg(label: str, low: str, high: str, index: int, dots: Sequence[Dot]) -> Markup:
    left, right, line_y = 16.0, 284.0, 52.0
    parts = [
        f'<svg class="plot plot--slider" viewBox="0 0 300 96" width="300" height="96" role="group" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(label)}</title>",
        f'<text x="{left}" y="16" text-anchor="start" class="plot__label">{escape(label)}</text>',
        f'<line x1="{left}" y1="{line_y}" x2="{right}" y2="{line_y}" stroke="#555" stroke-width="2"/>',
        f'<text x="{left}" y="88" text-anchor="start" class="plot__end">{escape(low)}</text>',
        f'<text x="{right}" y="88" text-anchor="end" class="plot__end">{escape(high)}</text>',
    ]
    placed = [d for d in dots if index < len(d.sliders)]
    for n, dot in enumerate(placed):
        x = round(left + (right - left) * dot.sliders[index] / 100, 1)
        y = line_y + ((n % 5) - 2) * 6  # a little apart, so equal values stay visible
        parts.append(_dot(x, y, dot, radius=6))
    parts.append("</svg>")
    return Markup("".join(parts))
