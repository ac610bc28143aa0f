"""PURE helpers every format shares: times in the exchange's zone, durations, labels."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from exchange.i18n import _
from exchange.transcripts.model import Citation, ExchangeMeta

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
CONTRIBUTION_LABELS = {
    "story": "story",
    "reflection": "reflection",
    "recall": "recall",
    "card": "card",
    "action": "action",
    "point": "point made",
    "draft_section": "shared draft",
    "selection": "selection",
    "feedback_comment": "closing comment",
}


def standing_labels() -> dict[str, str]:
    """Where a contribution stands in the record, in words (keys: own.Standing's values)."""
    return {
        "in_record": _("in the record"),
        "off_record": _("off the record"),
        "withdrawn": _("withdrawn"),
        "removed": _("removed from the record"),
        "hidden": _("hidden by the facilitator"),
    }


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


def citation_text(citation: Citation) -> str:
    """What a section of the funder message rests on, in words: a story with its teller, or a card."""
    if citation.kind == "story":
        return _("the story “{title}”, told by {teller}").format(title=citation.title, teller=citation.by or _("anonymous"))
    return _("the card “{text}” ({author})").format(text=citation.title, author=citation.by or _("anonymous"))


def draft_notice(meta: ExchangeMeta) -> str | None:
    """The DRAFT line every page of a draft export carries, or None once the record is released."""
    if not meta.draft:
        return None
    if meta.release_at is None:
        return _("DRAFT: the exchange is not over; this record is not final. Do not share it.")
    return _("DRAFT: the tellers are reviewing this record until {date}. Do not share it before then.").format(
        date=day(meta.release_at, meta.timezone)
    )


def lead_change_text(kind: str, reason: str | None) -> str:
    """One change of the console's lead, in a sentence naming no staff member."""
    if kind == "offered":
        if reason == "lead_left":
            return _("The facilitator leading the console had dropped off; the lead was offered to the other facilitators.")
        return _("The facilitator leading the console offered the lead to another facilitator.")
    if kind == "accepted":
        return _("Another facilitator took the lead of the console.")
    if kind == "left":
        return _("The facilitator leading the console dropped off; the timers kept running.")
    return _("The facilitator leading the console was back.")
