"""PURE: how many contributions of a kind one person may have, counted on what they have standing.

No limit here is shared by the exchange: each person has a quota of their own, so nobody can use
up anyone else's (a flood of 500 anonymous cards used to block cards for everyone). A standing
item is one that is neither withdrawn by its author nor hidden or removed by the facilitator:
withdrawing one, or the facilitator hiding it, frees the quota again.

Alongside, a person may write at most LIFETIME_FACTOR times their quota of a kind in all (withdrawn
and hidden ones too): that bounds the log and the folded state whatever one person churns, and only
ever stops that person.

Stories are one per person and story round already (`stories.share_story`); listening notes are
private and bounded per person (MAX_NOTES_PER_PERSON); a draft section is replaced in place, so the
draft never grows with edits (a section holds at most MAX_SECTION_TEXT whoever wrote it): none of
them has a shared limit one person could exhaust.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum

from exchange.i18n import _
from exchange.sessions.activities.base import Rejected
from exchange.sessions.state import SessionState


class Quota(StrEnum):
    CARDS = "cards"
    REFLECTIONS = "reflections"
    RECALLS = "recalls"
    ACTIONS = "actions"
    STORIES = "stories"


#: What one practitioner may have standing at once, across the exchange. A story exchange asks for
#: a handful of cards per cards phase and a reflection or two per story: these leave ample room.
PER_PERSON: dict[Quota, int] = {
    Quota.CARDS: 50,
    Quota.REFLECTIONS: 50,
    Quota.RECALLS: 20,
    Quota.ACTIONS: 30,
    Quota.STORIES: 10,  # one per story round, withdrawn ones not counted
}
#: Facilitators often write the room's cards and actions for it: they get this many times as much.
STAFF_FACTOR = 5
#: Written in all, withdrawn and hidden ones included, as a multiple of the standing quota.
LIFETIME_FACTOR = 4


def _mine(items: Iterable[object], person: str, author: str) -> list:  # noqa: ANN401 - dataclasses of the kind
    return [item for item in items if getattr(item, author) == person]


#: kind -> (everything of the person's ever written, and whether one still stands).
def _written(state: SessionState, quota: Quota, person: str) -> list:
    match quota:
        case Quota.CARDS:
            return _mine(state.cards.cards, person, "author_id")
        case Quota.REFLECTIONS:
            return _mine(state.stories.reflections, person, "author_id")
        case Quota.RECALLS:
            return _mine(state.stories.recalls, person, "author_id")
        case Quota.ACTIONS:
            return _mine(state.discussion.actions, person, "author_id")
        case Quota.STORIES:
            return _mine(state.stories.stories, person, "teller_id")


def _stands(hidden: frozenset[str]) -> Callable[[object], bool]:
    def stands(item: object) -> bool:
        if getattr(item, "withdrawn", False) or getattr(item, "removed", False):
            return False
        return getattr(item, "id") not in hidden

    return stands


def limit(quota: Quota, person: str) -> int:
    """The person's standing quota of a kind (staff ids are `staff:<n>`)."""
    return PER_PERSON[quota] * (STAFF_FACTOR if person.startswith("staff:") else 1)


def standing(state: SessionState, quota: Quota, person: str) -> int:
    """How many of the person's items of this kind stand now."""
    return sum(map(_stands(state.moderation.refs), _written(state, quota, person)))


def remaining(state: SessionState, quota: Quota, person: str) -> int:
    """How many more the person may add now: the lesser of what their quota and their lifetime cap leave."""
    written = _written(state, quota, person)
    stand = sum(map(_stands(state.moderation.refs), written))
    cap = limit(quota, person)
    return max(0, min(cap - stand, cap * LIFETIME_FACTOR - len(written)))


_MESSAGES: dict[Quota, Callable[[int], str]] = {
    Quota.CARDS: lambda n: _("You already have {n} cards up, the most one person may have. Withdraw one to add another.").format(n=n),
    Quota.REFLECTIONS: lambda n: _("You have already given {n} reflections, the most one person may give.").format(n=n),
    Quota.RECALLS: lambda n: _("You have already added {n} recalls, the most one person may add.").format(n=n),
    Quota.ACTIONS: lambda n: _("You already have {n} actions listed, the most one person may list.").format(n=n),
    Quota.STORIES: lambda n: _("You have already shared {n} stories, the most one person may share.").format(n=n),
}


def check(state: SessionState, quota: Quota, person: str) -> Rejected | None:
    """Refuse another item of this kind once the person has used up their own quota (code `quota`)."""
    if remaining(state, quota, person) > 0:
        return None
    return Rejected("quota", _MESSAGES[quota](limit(quota, person)))
