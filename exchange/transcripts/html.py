"""PURE: a transcript as one standalone HTML document (no external resources, no script).

Rendered with an autoescaping Jinja environment from web/templates/transcripts/, so everything a
person typed is text; the airtime chart is inline SVG drawn from numbers only. The document is
cleaned (exchange.cleantext) of control characters, terminal escapes and direction overrides.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import Markup

from exchange.cleantext import clean
from exchange import i18n
from exchange.i18n import _
from exchange.transcripts import text as sentences
from exchange.transcripts.model import Transcript
from exchange.transcripts.text import (
    KIND_LABELS,
    REFLECTION_LABELS,
    citation_text,
    clock,
    day,
    draft_notice,
    duration,
    lead_change_text,
)

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "web" / "templates" / "transcripts"

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.globals["_"] = _
_env.globals["sentences"] = sentences
_env.filters["bdi"] = lambda value: Markup("<bdi>{}</bdi>").format(value)

BAR_HEIGHT = 22
BAR_GAP = 8
LABEL_WIDTH = 160
CHART_WIDTH = 560


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    y: int
    width: float
    text: str


def airtime_bars(transcript: Transcript) -> tuple[list[Bar], int]:
    """One bar per participant, scaled to the longest airtime; and the chart's height."""
    longest = max((p.airtime_seconds for p in transcript.participants), default=0.0) or 1.0
    room = CHART_WIDTH - LABEL_WIDTH - 90
    bars = [
        Bar(
            label=p.label,
            y=i * (BAR_HEIGHT + BAR_GAP),
            width=round(room * p.airtime_seconds / longest, 1),
            text=duration(p.airtime_seconds),
        )
        for i, p in enumerate(transcript.participants)
    ]
    return bars, max(len(bars) * (BAR_HEIGHT + BAR_GAP), BAR_HEIGHT)


def render(transcript: Transcript) -> str:
    tz = transcript.exchange.timezone
    bars, height = airtime_bars(transcript)
    document = _env.get_template("transcript.html").render(
        t=transcript,
        tz=tz,
        lang=i18n.current(),  # the reader's language; the people's own words are isolated (dir="auto")
        dir=i18n.direction(i18n.current()),
        clock=lambda moment: clock(moment, tz),
        day=lambda moment: day(moment, tz),
        kinds=KIND_LABELS,
        reflections=REFLECTION_LABELS,
        bars=bars,
        chart_height=height,
        chart_width=CHART_WIDTH,
        label_width=LABEL_WIDTH,
        bar_height=BAR_HEIGHT,
        notice=draft_notice(transcript.exchange),
        cite=citation_text,
        lead_change=lead_change_text,
    )
    return clean(document)
