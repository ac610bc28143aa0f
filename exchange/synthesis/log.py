"""PURE: the programme's own events folded into what it decided: themes kept, selection levels and
panels with their choices, the placement scale and where tellers placed their stories."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from exchange.synthesis.kept import Kept, kept_themes

MAX_SLIDERS = 3


@dataclass(frozen=True, slots=True)
class Level:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Panel:
    id: str
    level_id: str
    name: str
    #: At the first level: exchange ids; at a later level: panel ids of the level before it.
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Choice:
    panel_id: str
    story_keys: tuple[str, ...]
    reason: str
    dissent: str
    at: datetime | None


@dataclass(frozen=True, slots=True)
class Slider:
    label: str
    low: str
    high: str


@dataclass(frozen=True, slots=True)
class Scale:
    """What tellers place their story on: a triangle of three qualities and up to three sliders."""

    triangle: tuple[str, str, str] | None
    sliders: tuple[Slider, ...]

    @property
    def empty(self) -> bool:
        return self.triangle is None and not self.sliders


@dataclass(frozen=True, slots=True)
class Placement:
    story_key: str
    triangle: tuple[int, int, int] | None  # weights summing to 100
    sliders: tuple[int, ...]  # 0..100 each, one per slider of the scale
    at: datetime | None


@dataclass(frozen=True, slots=True)
class ProgrammeLog:
    kept: Mapping[str, Kept]
    levels: tuple[Level, ...]
    panels: tuple[Panel, ...]
    choices: Mapping[str, Choice]  # panel id -> its (latest) choice
    scale: Scale
    placements: Mapping[str, Placement] = field(default_factory=dict)

    def level_index(self, level_id: str) -> int:
        return next((i for i, level in enumerate(self.levels) if level.id == level_id), -1)

    def panels_at(self, level_id: str) -> tuple[Panel, ...]:
        return tuple(p for p in self.panels if p.level_id == level_id)


def fold(events: Iterable[tuple[str, Mapping, datetime | None]]) -> ProgrammeLog:
    """(type, data, at) in the order recorded."""
    events = list(events)
    levels: list[Level] = []
    panels: list[Panel] = []
    choices: dict[str, Choice] = {}
    scale = Scale(None, ())
    placements: dict[str, Placement] = {}
    for kind, data, at in events:
        if kind == "level_added":
            levels.append(Level(data["level_id"], data["name"]))
        elif kind == "panel_added":
            panels.append(Panel(data["panel_id"], data["level_id"], data["name"], tuple(data.get("sources", ()))))
        elif kind == "panel_chose":
            choices[data["panel_id"]] = Choice(data["panel_id"], tuple(data["story_keys"]), data["reason"],
                                               data.get("dissent", ""), at)  # fmt: skip
        elif kind == "scale_defined":
            triangle = data.get("triangle")
            sliders = tuple(Slider(s["label"], s.get("low", ""), s.get("high", "")) for s in data.get("sliders", ()))
            scale = Scale(tuple(triangle) if triangle else None, sliders[:MAX_SLIDERS])  # type: ignore[arg-type]
        elif kind == "story_placed":
            triangle = data.get("triangle")
            placements[data["story_key"]] = Placement(data["story_key"], tuple(triangle) if triangle else None,
                                                      tuple(data.get("sliders", ())), at)  # type: ignore[arg-type]
    kept = kept_themes((kind, data) for kind, data, _at in events)
    return ProgrammeLog(kept, tuple(levels), tuple(panels), choices, scale, placements)
