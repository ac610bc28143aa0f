"""PURE helpers every format shares: times in the exchange's zone, durations, labels."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from exchange import i18n
from exchange.i18n import _, ngettext
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
    """"14:05" (or "2:05 PM": the reader's language) in the exchange's zone, or an en dash."""
    value = local(moment, tz_name)
    return i18n.clock(value) if value else "–"


def day(moment: datetime | None, tz_name: str) -> str:
    """"Saturday, March 8, 2025 at 2:00 PM (Europe/Paris)", in the reader's language."""
    value = local(moment, tz_name)
    if value is None:
        return "–"
    return _("{when} ({zone})").format(when=i18n.moment(value), zone=tz_name)


def duration(seconds: float) -> str:
    """"4 min 05 s"."""
    whole = int(round(seconds))
    return _("{minutes} min {seconds} s").format(minutes=whole // 60, seconds=f"{whole % 60:02d}")


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


# --- counts, each a whole sentence with the reader's language's plural forms ----------------------


def withheld_citations(count: int) -> str:
    return ngettext(
        "{count} cited contribution no longer in the record", "{count} cited contributions no longer in the record", count
    ).format(count=count)


def accepted_by(count: int) -> str:
    return ngettext("Accepted by {count} participant.", "Accepted by {count} participants.", count).format(count=count)


def votes(count: int) -> str:
    return ngettext("{count} vote", "{count} votes", count).format(count=count)


def feedback_counts(responses: int, comments: int, hidden: int = 0) -> str:
    """"3 responses, 2 written comments." and, if any, the comments the facilitator hid."""
    # Two counts, each with its own plural form, in one sentence the translator words as a whole.
    text = _("{responses}, {comments}.").format(
        responses=ngettext("{count} response", "{count} responses", responses).format(count=responses),
        comments=ngettext("{count} written comment", "{count} written comments", comments).format(count=comments),
    )
    if hidden:
        text += " " + ngettext(
            "{count} comment hidden by the facilitator.", "{count} comments hidden by the facilitator.", hidden
        ).format(count=hidden)
    return text


def rating(question: str, average: float | None, count: int) -> str:
    """A rating question's line: its average and how many rated, or that too few rated to show it."""
    if average is not None:
        return ngettext("{question} average {average} ({count} rating)", "{question} average {average} ({count} ratings)", count).format(
            question=question, average=average, count=count
        )
    return ngettext("{question}: {count} rating, too few to show", "{question}: {count} ratings, too few to show", count).format(
        question=question, count=count
    )


def redacted(count: int) -> str:
    return ngettext(
        "{count} contribution redacted by the programme lead.", "{count} contributions redacted by the programme lead.", count
    ).format(count=count)


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
