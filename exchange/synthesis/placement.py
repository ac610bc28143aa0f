"""PURE: a teller's placement of their story, read from a form: a triangle's three weights and the sliders."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from exchange.i18n import _
from exchange.synthesis.log import Scale


class PlacementError(ValueError):
    """A sentence for the teller; nothing was saved."""


@dataclass(frozen=True, slots=True)
class Placed:
    triangle: tuple[int, int, int] | None
    sliders: tuple[int, ...]

    def data(self, story_key: str) -> dict:
        return {"story_key": story_key, "triangle": list(self.triangle) if self.triangle else None,
                "sliders": list(self.sliders)}  # fmt: skip


def _number(raw: object, low: int, high: int) -> int:
    try:
        value = float(str(raw).strip().replace(",", "."))
    except ValueError:
        raise PlacementError(_("Please enter whole numbers.")) from None
    if value != value or not low <= value <= high:  # NaN, or out of range
        raise PlacementError(_("Each number must be between {low} and {high}.").format(low=low, high=high))
    return round(value)


def weights(raw: tuple[object, object, object]) -> tuple[int, int, int]:
    """Three non-negative weights, scaled to add up to 100 (the largest remainder takes the rounding)."""
    values = [_number(v, 0, 100) for v in raw]
    total = sum(values)
    if total == 0:
        raise PlacementError(_("Give at least one of the three qualities some weight."))
    exact = [v * 100 / total for v in values]
    floors = [int(x) for x in exact]
    order = sorted(range(3), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[: 100 - sum(floors)]:
        floors[i] += 1
    return floors[0], floors[1], floors[2]


def read_form(scale: Scale, form: Mapping[str, object]) -> Placed:
    """The placement from the record page's form (fields t0, t1, t2 and s0..s2)."""
    triangle = weights((form.get("t0", ""), form.get("t1", ""), form.get("t2", ""))) if scale.triangle else None
    sliders = tuple(_number(form.get(f"s{i}", ""), 0, 100) for i in range(len(scale.sliders)))
    return Placed(triangle, sliders)
