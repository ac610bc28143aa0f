"""One facilitator leads the console at a time: taking, handing over, and offering the lead when the
lead's sockets are gone (PURE; the hub reports presence as a SYSTEM command)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from exchange.i18n import _
from exchange.sessions.activities import timers
from exchange.sessions.activities.base import FACILITATOR_ONLY, JSON, Applier, Decision, Rejected, Rule, iso
from exchange.sessions.activities.leading_data import (
    OFFER_AFTER_SECONDS,
    AcceptLead,
    LeadAccepted,
    LeadChange,
    LeadLeft,
    LeadOffered,
    LeadPresence,
    LeadReturned,
    LeadState,
    LeadTaken,
    Offer,
    OfferLead,
    OfferReason,
)
from exchange.sessions.commands import Actor, Role
from exchange.sessions.events import Event
from exchange.sessions.state import SessionState, Status, evolve

#: The commands that move the session for everyone: only the leading facilitator sends them.
#: A co-facilitator still keeps notes and the parking lot, hides abuse (safety never waits for a
#: handover), groups cards, writes in the draft and raises hands for people.
STEERING = frozenset(
    {
        "start_exchange", "next_phase", "previous_phase", "goto_phase", "end_exchange",
        "pause_timer", "resume_timer", "add_time",
        "set_speaking_order", "next_turn", "finish_turn", "pass_turn", "skip_participant", "extend_turn", "move_speaker",
        "give_floor", "end_floor", "set_queue_order",
        "open_voting", "close_voting", "reveal_votes",
        "set_draft_final",
        "open_selection_round", "close_selection_round", "record_selection",
    }
)  # fmt: skip


def check_steering(state: SessionState, actor: Actor) -> Rejected | None:
    """Refuse a steering command from a facilitator who does not lead (nobody leading: anyone may)."""
    lead = state.lead
    if lead.lead_id is None or lead.lead_id == actor.id:
        return None
    return Rejected(
        "not_lead",
        _("%(name)s leads the console. Ask them to hand it over, or accept the lead when it is offered.")
        % {"name": lead.lead_name or _("Another facilitator")},
    )


def taken(state: SessionState, actor: Actor, now: datetime, events: list[Event]) -> list[Event]:
    """`events` of a steering command, then LeadTaken when nobody leads yet: whoever starts the
    exchange (or, in one started before co-facilitators existed, first steers it) leads."""
    if state.lead.lead_id is not None or not events:
        return events
    return [*events, LeadTaken(facilitator_id=actor.id, name=actor.name, at=now)]


def expire(state: SessionState, now: datetime) -> list[Event]:
    """The lead stayed away past its grace: offer it to every other facilitator (once)."""
    lead = state.lead
    if lead.offer_due is None or lead.offer_due > now or lead.lead_id is None:
        return []
    return [LeadOffered(by_id=None, to_id=None, reason=OfferReason.LEAD_LEFT, at=now)]


def deadline(state: SessionState) -> datetime | None:
    """When `expire` has something to do."""
    return state.lead.offer_due


def presence_command(state: SessionState, online: Iterable[str]) -> LeadPresence | None:
    """What the hub should tell the core about the lead's presence, if that differs from the state."""
    lead = state.lead
    if state.status is not Status.LIVE or lead.lead_id is None:
        return None
    here = lead.lead_id in set(online)
    away = lead.away_since is not None
    if here and away:
        return LeadPresence(online=True)
    if not here and not away:
        return LeadPresence(online=False)
    return None


# -- decide ------------------------------------------------------------------------------------


def offer_lead(state: SessionState, command: OfferLead, actor: Actor, now: datetime) -> Decision:
    lead = state.lead
    if lead.lead_id is None:
        return Rejected("not_lead", _("Nobody leads the console yet: start the exchange first."))
    if lead.lead_id != actor.id:
        return Rejected("not_lead", _("Only the facilitator leading the console can hand it over."))
    if command.to == actor.id:
        return Rejected("bad_offer", _("You lead the console already."))
    return [LeadOffered(by_id=actor.id, to_id=command.to, reason=OfferReason.HANDOVER, at=now)]


def accept_lead(state: SessionState, command: AcceptLead, actor: Actor, now: datetime) -> Decision:
    lead = state.lead
    if lead.lead_id == actor.id:
        return Rejected("already_lead", _("You lead the console already."))
    offer = lead.offer
    if offer is None or (offer.to_id is not None and offer.to_id != actor.id):
        return Rejected("no_offer", _("The lead hasn't been offered to you."))
    return [LeadAccepted(facilitator_id=actor.id, name=actor.name, previous_id=lead.lead_id, at=now)]


def lead_presence(state: SessionState, command: LeadPresence, actor: Actor, now: datetime) -> Decision:
    lead = state.lead
    if lead.lead_id is None:
        return []
    away = lead.away_since is not None
    if command.online and away:
        return [LeadReturned(facilitator_id=lead.lead_id, at=now)]
    if not command.online and not away:
        return [LeadLeft(facilitator_id=lead.lead_id, at=now, offer_at=timers.after(now, OFFER_AFTER_SECONDS))]
    return []


# -- apply -------------------------------------------------------------------------------------


def _noted(state: SessionState, at: datetime, kind: str, reason: str | None = None) -> tuple[LeadChange, ...]:
    return (*state.lead.changes, LeadChange(at=at, kind=kind, reason=reason))


def _taken(state: SessionState, event: LeadTaken) -> SessionState:
    lead = LeadState(lead_id=event.facilitator_id, lead_name=event.name, since=event.at, changes=state.lead.changes)
    return evolve(state, lead=lead)


def _offered(state: SessionState, event: LeadOffered) -> SessionState:
    offer = Offer(by_id=event.by_id, to_id=event.to_id, reason=event.reason, at=event.at)
    changes = _noted(state, event.at, "offered", event.reason.value)
    return evolve(state, lead=evolve(state.lead, offer=offer, offer_due=None, changes=changes))


def _accepted(state: SessionState, event: LeadAccepted) -> SessionState:
    changes = _noted(state, event.at, "accepted")
    return evolve(state, lead=LeadState(lead_id=event.facilitator_id, lead_name=event.name, since=event.at, changes=changes))


def _left(state: SessionState, event: LeadLeft) -> SessionState:
    changes = _noted(state, event.at, "left")
    return evolve(state, lead=evolve(state.lead, away_since=event.at, offer_due=event.offer_at, changes=changes))


def _returned(state: SessionState, event: LeadReturned) -> SessionState:
    lead = state.lead
    offer = None if lead.offer is not None and lead.offer.reason is OfferReason.LEAD_LEFT else lead.offer
    changes = _noted(state, event.at, "returned")
    return evolve(state, lead=evolve(lead, away_since=None, offer_due=None, offer=offer, changes=changes))


RULES: dict[str, Rule] = {
    "offer_lead": Rule(FACILITATOR_ONLY, offer_lead),
    "accept_lead": Rule(FACILITATOR_ONLY, accept_lead),
    "lead_presence": Rule(frozenset({Role.SYSTEM}), lead_presence),
}

APPLIERS: dict[type, Applier] = {
    LeadTaken: _taken,
    LeadOffered: _offered,
    LeadAccepted: _accepted,
    LeadLeft: _left,
    LeadReturned: _returned,
}


# -- view --------------------------------------------------------------------------------------


def facilitator(state: SessionState) -> JSON:
    """Who leads the console, whether they are connected, and any open offer (staff only)."""
    lead = state.lead
    offer = lead.offer
    return {
        "lead": {
            "id": lead.lead_id,
            "name": lead.lead_name,
            "since": iso(lead.since),
            "away": lead.away_since is not None,
            "offer": None
            if offer is None
            else {"by": offer.by_id, "to": offer.to_id, "reason": offer.reason.value, "at": iso(offer.at)},
        }
    }
