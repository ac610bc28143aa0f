"""PURE: the one privacy policy. For every event type, what each audience may see of it.

Audiences:
- AUTHOR: the practitioner an event is about (who wrote, voted, answered). Their own private
  things reach them through their personal view (`views.personal_view`), never as shared events.
- PARTICIPANT: every practitioner of the exchange, live.
- FACILITATOR: the exchange's facilitator at the console, live.
- LEAD: a programme lead watching the console, live.
- EXPORT: everything that leaves the live session: every transcript format, the programme's
  lists and downloads, a practitioner's own download.

The live frames (`visible_event`) and the exports (`exported`) read this table and nothing else to
decide what of an event an audience gets; a unit test fails when an event type has no entry. What
the record keeps at all (consent, off the record, withdrawn, redacted) is the transcript's rule on
top of this table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

JSON = dict[str, Any]

#: What an anonymous author looks like wherever an event has to keep its shape (exports).
ANONYMOUS = "anonymous"
#: Who stands for the author of anything anonymous, in the envelope's actor field.
ANONYMOUS_ACTOR: JSON = {"role": "participant", "id": ANONYMOUS, "name": "Anonymous"}
#: Who stands for any staff member in an export: their role, never their name.
STAFF_ACTOR: JSON = {"role": "facilitator", "id": "staff", "name": "Facilitator"}
#: What replaces a withheld text in an export, where the event must keep its shape.
WITHHELD = "withheld"
STAFF_ROLES = frozenset({"facilitator", "lead"})


class Audience(StrEnum):
    AUTHOR = "author"
    PARTICIPANT = "participant"
    FACILITATOR = "facilitator"
    LEAD = "lead"
    EXPORT = "export"


LIVE_AUDIENCES = (Audience.PARTICIPANT, Audience.FACILITATOR, Audience.LEAD)


class Visibility:
    """How one audience sees one event type. `apply` gets the envelope as JSON and never edits it."""

    #: Whether an export lists the event (in the JSON document's events), besides folding it.
    listed: bool = True

    def apply(self, data: JSON, *, keep_shape: bool) -> JSON | None:
        """The envelope as this audience sees it, or None when it may not see it at all.

        `keep_shape`: withheld fields are replaced by placeholders rather than removed, so the event
        still validates and folds (exports rebuild the record from what they may see).
        """
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Hidden(Visibility):
    """Never seen (private to its author, whose personal view carries it, or to staff)."""

    def apply(self, data: JSON, *, keep_shape: bool) -> JSON | None:
        return None


@dataclass(frozen=True, slots=True)
class Shown(Visibility):
    """Seen, less the `withheld` fields (never anyone's identity: use Anonymous for that)."""

    withheld: tuple[str, ...] = ()

    def apply(self, data: JSON, *, keep_shape: bool) -> JSON | None:
        if not self.withheld:
            return data
        return {**data, "event": _without(data["event"], self.withheld, keep_shape)}


@dataclass(frozen=True, slots=True)
class Anonymous(Visibility):
    """Seen without who did it: the `identity` fields, the actor and the command id are withheld.

    With `when`, only events whose `when` field is true are anonymised (an anonymous card); the
    others are shown less `withheld`.
    """

    identity: tuple[str, ...]
    when: str | None = None
    withheld: tuple[str, ...] = ()

    def apply(self, data: JSON, *, keep_shape: bool) -> JSON | None:
        event = data["event"]
        if self.when is not None and not event.get(self.when):
            return {**data, "event": _without(event, self.withheld, keep_shape)} if self.withheld else data
        event = _without(event, self.withheld, keep_shape, identity=self.identity)
        return {**data, "actor": dict(ANONYMOUS_ACTOR), "command_id": None, "event": event}


@dataclass(frozen=True, slots=True)
class Counted(Visibility):
    """EXPORT only: folded into group summaries (totals, averages) that meet the threshold, never
    listed; each person becomes a pseudonym that nothing links to them ("voter-3")."""

    identity: tuple[str, ...]
    listed: bool = field(default=False, init=False)

    def apply(self, data: JSON, *, keep_shape: bool) -> JSON | None:
        return data  # pseudonyms are given by `exported`, which sees the whole log


@dataclass(frozen=True, slots=True)
class Applied(Visibility):
    """EXPORT only: shapes the record (what is off the record, redacted) but is never listed;
    `withheld` fields (a redaction's reason, who redacted) are replaced before anything reads them."""

    withheld: tuple[str, ...] = ()
    listed: bool = field(default=False, init=False)

    def apply(self, data: JSON, *, keep_shape: bool) -> JSON | None:
        return {**data, "event": _without(data["event"], self.withheld, keep_shape=True)}


def _without(event: JSON, names: Iterable[str], keep_shape: bool, *, identity: Iterable[str] = ()) -> JSON:
    """`event` less the `names` and `identity` fields: removed, or (`keep_shape`) replaced by
    placeholders: ANONYMOUS for a person, WITHHELD for a text, nothing for a list."""
    if not keep_shape:
        drop = {*names, *identity}
        return {key: value for key, value in event.items() if key not in drop}
    shaped = dict(event)
    for name in identity:
        if isinstance(shaped.get(name), str):
            shaped[name] = ANONYMOUS
    for name in names:
        value = shaped.get(name)
        if isinstance(value, list | tuple):
            shaped[name] = []
        elif isinstance(value, str):
            shaped[name] = WITHHELD
    return shaped


SHOWN = Shown()
HIDDEN = Hidden()


@dataclass(frozen=True, slots=True)
class Entry:
    """One event type's row of the policy: what each audience sees, and who it names.

    `people`: fields holding a person's id (exports show them as that person's consent allows);
    `author`: the field naming whose contribution or answer it is (their personal view carries
    what others may not see of it).
    """

    author: Visibility
    participant: Visibility
    facilitator: Visibility
    lead: Visibility
    export: Visibility
    people: tuple[str, ...] = ()
    author_field: str | None = None

    def visibility(self, audience: Audience) -> Visibility:
        return getattr(self, audience.value)


def public(*people: str, author: str | None = None) -> Entry:
    """Everyone sees it whole, and so does the record (as consent allows)."""
    return Entry(SHOWN, SHOWN, SHOWN, SHOWN, SHOWN, people=people, author_field=author)


def private_to_author(author: str, *people: str, export: Visibility = HIDDEN) -> Entry:
    """Only its author sees it, through their personal view; `export` for the record's summaries."""
    return Entry(SHOWN, HIDDEN, HIDDEN, HIDDEN, export, people=(author, *people), author_field=author)


def staff_only(*people: str, export: Visibility = HIDDEN) -> Entry:
    """The facilitator's own working notes: staff see them live; nobody else, ever."""
    return Entry(HIDDEN, HIDDEN, SHOWN, SHOWN, export, people=people)


def anonymous_when(flag: str, author: str, *, withheld: tuple[str, ...] = (), export: Visibility | None = None) -> Entry:
    """Named or anonymous by its `flag`: an anonymous one names its author to nobody but them."""
    everyone = Anonymous(identity=(author,), when=flag, withheld=withheld)
    return Entry(SHOWN, everyone, everyone, everyone, export or everyone, people=(author,), author_field=author)


def moderated(authors: str, *notes: str) -> Entry:
    """Staff act on someone's item: its authors see it whole; staff see it without the authors (the
    actor is staff, not the author: Anonymous would mislabel it); nobody else sees it; the record
    applies it without the authors or the `notes` to them."""
    staff = Shown(withheld=(authors,))
    return Entry(SHOWN, HIDDEN, staff, staff, Applied(withheld=(authors, *notes)), author_field=authors)


def _lead_change(*fields: str) -> Entry:
    """A change of lead as the record keeps it: when and why, without the staff members' ids or names."""
    return staff_only(export=Shown(withheld=fields))


POLICY: Mapping[str, Entry] = MappingProxyType(
    {
        # Who is there, the plan, phases, timers, turns and the floor: the shape of the exchange.
        "participant_joined": public("participant_id", author="participant_id"),
        "exchange_started": public(),
        "phase_started": public(),
        "phase_ended": public(),
        "exchange_ended": public(),
        "time_up": public(),
        "timer_paused": public(),
        "timer_resumed": public(),
        "time_added": public(),
        "speaking_order_set": public("order"),
        "participant_skipped": public("participant_id"),
        "turn_started": public("participant_id"),
        "turn_ended": public("participant_id"),
        "hand_raised": public("participant_id"),
        "hand_lowered": public("participant_id"),
        "floor_given": public("participant_id"),
        "floor_ended": public("participant_id"),
        "queue_order_set": public(),
        "agreements_accepted": public("participant_id", author="participant_id"),
        # Stories: told in the open, named as the teller consents; listening notes are the listener's.
        "story_shared": public("teller_id", author="teller_id"),
        "story_edited": public("teller_id", author="teller_id"),
        "story_withdrawn": public("teller_id", author="teller_id"),
        "listening_note_written": private_to_author("author_id", "teller_id"),
        # A story prepared before the call is its author's alone; what leaves them is the round's
        # story (story_shared) when they, or the facilitator reading it, share it (prepared.py).
        "story_prepared": private_to_author("teller_id"),
        "reflection_added": public("author_id", author="author_id"),
        "recall_added": public("author_id", author="author_id"),
        # Off the record: everyone sees the mark live (a badge); an anonymous item's mark names nobody.
        # The record applies it and never lists it.
        "off_record_set": anonymous_when("anonymous", "author_id", export=Applied(withheld=("author_id",))),
        # Cards: named or anonymous by the phase's mode; who placed which dot is nobody's business.
        "card_added": anonymous_when("anonymous", "author_id"),
        "card_edited": anonymous_when("anonymous", "author_id"),
        "card_withdrawn": anonymous_when("anonymous", "author_id", withheld=("released_voters",)),
        "cluster_created": public(),
        "card_moved": public(),
        "cluster_renamed": public(),
        "clusters_merged": public(),
        "cluster_removed": public(),
        "voting_opened": public(),
        "voting_closed": public(),
        "votes_revealed": public(),
        "vote_cast": private_to_author("voter_id", export=Counted(identity=("voter_id",))),
        "vote_retracted": private_to_author("voter_id", export=Counted(identity=("voter_id",))),
        # Discussion: actions and points made are the group's public record.
        "action_added": public("author_id", author="author_id"),
        "action_completed": public(),
        "action_removed": public(),
        "point_noted": public("participant_id", author="participant_id"),
        "point_removed": public(),
        # The shared draft: written together, in the open.
        "section_edited": public("editor_id"),
        "draft_final_set": public(),
        # The closing reflection is anonymous: summaries only, above the threshold.
        "feedback_submitted": private_to_author("participant_id", export=Counted(identity=("participant_id",))),
        # The facilitator's private notes and parking lot.
        "note_added": staff_only("participant_id"),
        "point_parked": staff_only(),
        "point_resolved": staff_only(),
        # Selection: rounds and the recorded choice are public; who voted for which story is not.
        "selection_round_opened": public(),
        "selection_vote_cast": private_to_author("voter_id", export=Counted(identity=("voter_id",))),
        "selection_vote_retracted": private_to_author("voter_id", export=Counted(identity=("voter_id",))),
        "selection_round_closed": public(),
        "selection_recorded": public(),
        # A lead's redaction: staff see why; its author only that it was removed; the record applies it.
        "contribution_redacted": Entry(
            Shown(withheld=("reason", "by")),
            HIDDEN,
            SHOWN,
            SHOWN,
            Applied(withheld=("reason", "by")),
        ),
        # Moderation: the facilitator hides an item. Its authors alone learn it was theirs (and the
        # reason), through their personal view; staff see what was hidden, never by whom; the other
        # practitioners just see it go (a comment's ref is a hash of its text: theirs to guess at).
        # The record applies it and never lists it.
        "item_hidden": moderated("author_ids", "reason"),
        "item_unhidden": moderated("author_ids"),
        # Who leads the console among co-facilitators: staff business, live; the record keeps that the
        # lead changed and when, never which staff member (exports name staff by their role only).
        "lead_taken": staff_only(),  # the first lead, who started the exchange: not a change
        "lead_offered": _lead_change("by_id", "to_id"),
        "lead_accepted": _lead_change("facilitator_id", "name", "previous_id"),
        "lead_left": _lead_change("facilitator_id"),
        "lead_returned": _lead_change("facilitator_id"),
    }
)


def entry(event_type: str) -> Entry:
    """The policy's row for an event type (KeyError: the table is missing a row, a bug)."""
    return POLICY[event_type]


def visible_event(data: JSON, audience: Audience) -> JSON | None:
    """The envelope (as JSON) as a live audience sees it, or None when it may not see it."""
    return POLICY[data["event"]["type"]].visibility(audience).apply(data, keep_shape=False)


@dataclass(frozen=True, slots=True)
class Exported:
    """An envelope as the record may use it: `listed` ones may appear as events in an export."""

    data: JSON
    listed: bool


class ExportView:
    """The EXPORT column applied to one log, envelope by envelope, in order.

    Staff appear as their role, never their name; a Counted event's people become pseudonyms
    numbered in order of appearance, the same person the same pseudonym within one export, so totals
    and "one answer each" still fold correctly while nothing links a pseudonym to anyone.
    """

    def __init__(self) -> None:
        self._pseudonyms: dict[str, str] = {}

    @staticmethod
    def unchanged(event_type: str, actor_role: str) -> bool:
        """Whether an export sees this envelope exactly as logged (most do: no need to copy it)."""
        return POLICY[event_type].export == SHOWN and actor_role not in STAFF_ROLES

    def see(self, data: JSON) -> Exported | None:
        visibility = POLICY[data["event"]["type"]].export
        shown = visibility.apply(data, keep_shape=True)
        if shown is None:
            return None
        if isinstance(visibility, Counted):
            event = dict(shown["event"])
            for name in visibility.identity:
                event[name] = self._pseudonym(event[name])
            shown = {**shown, "event": event, "actor": dict(ANONYMOUS_ACTOR), "command_id": None}
        elif shown["actor"]["role"] in STAFF_ROLES:
            shown = {**shown, "actor": dict(STAFF_ACTOR)}
        return Exported(shown, visibility.listed)

    def _pseudonym(self, person: str) -> str:
        if person not in self._pseudonyms:
            self._pseudonyms[person] = f"voter-{len(self._pseudonyms) + 1}"
        return self._pseudonyms[person]


def exported(dumped: Iterable[JSON]) -> list[Exported]:
    """The log (envelopes as JSON) as every export may use it, in order (see ExportView)."""
    view = ExportView()
    return [item for data in dumped if (item := view.see(data)) is not None]
