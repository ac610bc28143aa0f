"""PURE helpers every format shares: times in the exchange's zone, durations, labels."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

KIND_LABELS = {
    "agreements": "Ground rules",
    "story_round": "Story round",
    "cards": "Cards",
    "discussion": "Discussion",
    "selection": "Selection",
    "draft": "Shared draft",
    "feedback": "Closing reflection",
}
REFLECTION_LABELS = {"heard": "What I heard", "moment": "A moment that stayed with me", "question": "A question"}


def local(moment: datetime | None, tz_name: str) -> datetime | None:
    if moment is None:
        return None
    try:
        return moment.astimezone(ZoneInfo(tz_name))
    except (ZoneInfoNotFoundError, ValueError):
        return moment


def clock(moment: datetime | None, tz_name: str) -> str:
    """"14:05" in the exchange's zone, or an en dash."""
    value = local(moment, tz_name)
    return f"{value:%H:%M}" if value else "–"


def day(moment: datetime | None, tz_name: str) -> str:
    """"Saturday 8 March 2025, 14:00 (Europe/Paris)"."""
    value = local(moment, tz_name)
    if value is None:
        return "–"
    return f"{value:%A} {value.day} {value:%B %Y, %H:%M} ({tz_name})"


def duration(seconds: float) -> str:
    """"4 min 05 s"."""
    whole = int(round(seconds))
    return f"{whole // 60} min {whole % 60:02d} s"
