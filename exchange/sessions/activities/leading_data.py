"""Who leads the console when several facilitators run one exchange (data only).

One facilitator leads at a time: only they steer (phases, timers, turns, the floor, voting).
The lead hands over with an offer the receiver accepts; when the leading facilitator's last socket
goes, the core is told (by the hub's presence, as a SYSTEM command) and, unless they are back
within `OFFER_AFTER_SECONDS`, the lead is offered to every other facilitator. Every change is an
event, so the log and the transcript say who led when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, StringConstraints

from exchange.cleantext import cleaned_line
from exchange.names import PERSON_NAME_MAX

#: How long the console waits for a leading facilitator whose sockets all went (a reload, a
#: blip) before offering the lead to the others.
OFFER_AFTER_SECONDS = 4.0

#: A staff member's id as the edge spells it ("staff:3").
StaffId = Annotated[str, StringConstraints(pattern=r"^staff:[0-9]{1,18}$")]
#: In events: an export withholds it (the placeholder must still validate).
StaffRef = Annotated[str, StringConstraints(min_length=1, max_length=64)]
StaffName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=PERSON_NAME_MAX),
    BeforeValidator(cleaned_line),
]


class OfferReason(StrEnum):
    HANDOVER = "handover"  # the lead offered it
    LEAD_LEFT = "lead_left"  # the lead's sockets all went and did not come back in time


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OfferLead(_Message):
    """The leading facilitator offers the lead to one co-facilitator (or, without `to`, to any)."""

    type: Literal["offer_lead"] = "offer_lead"
    to: StaffId | None = None


class AcceptLead(_Message):
    """A facilitator takes the lead they were offered."""

    type: Literal["accept_lead"] = "accept_lead"


class LeadPresence(_Message):
    """SYSTEM only: whether the leading facilitator has a socket open anywhere (the hub's presence)."""

    type: Literal["lead_presence"] = "lead_presence"
    online: bool


class LeadTaken(_Message):
    """Nobody led: the first facilitator to steer leads from now on."""

    type: Literal["lead_taken"] = "lead_taken"
    facilitator_id: StaffRef
    name: StaffName
    at: AwareDatetime


class LeadOffered(_Message):
    """The lead is offered to `to_id` (None: to any other facilitator)."""

    type: Literal["lead_offered"] = "lead_offered"
    by_id: StaffRef | None
    to_id: StaffRef | None
    reason: OfferReason
    at: AwareDatetime


class LeadAccepted(_Message):
    """`facilitator_id` leads from now on, after `previous_id`."""

    type: Literal["lead_accepted"] = "lead_accepted"
    facilitator_id: StaffRef
    name: StaffName
    previous_id: StaffRef | None
    at: AwareDatetime


class LeadLeft(_Message):
    """The leading facilitator's last socket went; timers run on, the lead is offered at `offer_at`."""

    type: Literal["lead_left"] = "lead_left"
    facilitator_id: StaffRef
    at: AwareDatetime
    offer_at: AwareDatetime


class LeadReturned(_Message):
    """The leading facilitator is back; an offer made because they had gone is withdrawn."""

    type: Literal["lead_returned"] = "lead_returned"
    facilitator_id: StaffRef
    at: AwareDatetime


COMMANDS = (OfferLead, AcceptLead, LeadPresence)
EVENTS = (LeadTaken, LeadOffered, LeadAccepted, LeadLeft, LeadReturned)


@dataclass(frozen=True, slots=True)
class Offer:
    by_id: str | None
    to_id: str | None
    reason: OfferReason
    at: datetime


@dataclass(frozen=True, slots=True)
class LeadChange:
    """One change of the console's lead, as the record tells it (no staff member named)."""

    at: datetime
    kind: str  # offered, accepted, left, returned
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class LeadState:
    lead_id: str | None = None
    lead_name: str | None = None
    since: datetime | None = None
    away_since: datetime | None = None  # the lead has no socket open since then
    offer_due: datetime | None = None  # when to offer the lead to the others, if they stay away
    offer: Offer | None = None
    changes: tuple[LeadChange, ...] = ()  # every change after the first lead, in order
