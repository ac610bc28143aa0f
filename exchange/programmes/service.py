"""Programmes, exchanges and invites. Callers own the transaction; nothing here commits."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from exchange.names import initials
from exchange.accounts.models import StaffRole, StaffUser
from exchange.auth import token_hash
from exchange.programmes.forms import ExchangeForm, ParticipantForm, ProgrammeForm
from exchange.programmes.keys import forget_device, forget_handover
from exchange.programmes.models import (
    Consent,
    Exchange,
    ExchangeStatus,
    Participant,
    Programme,
    ProgrammeMember,
)
from exchange.prompts.catalog import get_template
from exchange.sessions.models import SessionEvent
from exchange.prompts.models import PhasePlan
from exchange.timeutil import utcnow

EDITABLE = frozenset({ExchangeStatus.DRAFT, ExchangeStatus.SCHEDULED})
#: The largest id an INTEGER column holds on PostgreSQL; a larger id from a URL names nothing.
MAX_ID = 2**31 - 1


def valid_id(value: int) -> bool:
    """Whether an id from a URL can exist at all (larger ones make the database driver raise)."""
    return 0 < value <= MAX_ID


class NotAllowed(PermissionError):
    """The user may not do this; shown as a 404 or a plain message, never a stack trace."""


# --- programmes -------------------------------------------------------------------------------


def create_programme(db: Session, *, lead: StaffUser, form: ProgrammeForm) -> Programme:
    """A lead creates a programme and becomes its first member."""
    if lead.role != StaffRole.LEAD:
        raise NotAllowed("only programme leads create programmes")
    assert lead.id is not None
    programme = Programme(name=form.name, description=form.description, created_by=lead.id)
    db.add(programme)
    db.flush()
    assert programme.id is not None
    db.add(ProgrammeMember(programme_id=programme.id, user_id=lead.id))
    return programme


def programmes_for(db: Session, *, user: StaffUser) -> list[Programme]:
    """The programmes a staff user belongs to, newest first."""
    query = (
        select(Programme)
        .join(ProgrammeMember, col(ProgrammeMember.programme_id) == col(Programme.id))
        .where(ProgrammeMember.user_id == user.id)
        .order_by(col(Programme.created_at).desc())
    )
    return list(db.exec(query))


def programme_for(db: Session, *, user: StaffUser, programme_id: int) -> Programme | None:
    """The programme if the user belongs to it; None otherwise (the caller answers 404)."""
    if not valid_id(programme_id):
        return None
    member = db.get(ProgrammeMember, (programme_id, user.id))
    return db.get(Programme, programme_id) if member else None


def members_of(db: Session, *, programme: Programme) -> list[StaffUser]:
    query = (
        select(StaffUser)
        .join(ProgrammeMember, col(ProgrammeMember.user_id) == col(StaffUser.id))
        .where(ProgrammeMember.programme_id == programme.id)
        .order_by(col(StaffUser.name))
    )
    return list(db.exec(query))


def add_member(db: Session, *, lead: StaffUser, programme: Programme, user: StaffUser) -> bool:
    """A lead adds a staff user to a programme; False if they were already in it."""
    if lead.role != StaffRole.LEAD:
        raise NotAllowed("only programme leads add members")
    if db.get(ProgrammeMember, (programme.id, user.id)):
        return False
    assert programme.id is not None and user.id is not None
    db.add(ProgrammeMember(programme_id=programme.id, user_id=user.id))
    return True


def remove_member(db: Session, *, lead: StaffUser, programme: Programme, user: StaffUser) -> bool:
    """A lead takes a staff user out of a programme; False if they weren't in it."""
    if lead.role != StaffRole.LEAD:
        raise NotAllowed("only programme leads remove members")
    member = db.get(ProgrammeMember, (programme.id, user.id))
    if member is None:
        return False
    db.delete(member)
    return True


def set_retention(db: Session, *, lead: StaffUser, programme: Programme, days: int | None) -> None:
    """A lead sets how many days ended exchanges keep their stories (None: without limit)."""
    if lead.role != StaffRole.LEAD:
        raise NotAllowed("only programme leads set the retention period")
    programme.retention_days = days
    db.add(programme)


# --- exchanges --------------------------------------------------------------------------------


def create_exchange(
    db: Session,
    *,
    user: StaffUser,
    programme: Programme,
    form: ExchangeForm,
    plan: PhasePlan | None = None,
    version_id: int | None = None,
) -> Exchange:
    """A new draft exchange whose plan is a copy of the chosen template.

    `plan` and `version_id`: a method-library version (the caller checked the programme sees it);
    otherwise the shipped template named by the form.
    """
    plan = plan or get_template(form.template_key)
    assert programme.id is not None and user.id is not None
    exchange = Exchange(
        programme_id=programme.id,
        title=form.title,
        purpose=form.purpose,
        starts_at=form.starts_at(),
        timezone=form.timezone,
        duration_minutes=form.duration_minutes,
        language=form.language,
        call_url=form.call_url,
        template_key=plan.key,
        template_version_id=version_id,
        plan=plan.model_dump(mode="json"),
        created_by=user.id,
    )
    db.add(exchange)
    db.flush()
    return exchange


def update_exchange(db: Session, *, exchange: Exchange, form: ExchangeForm) -> Exchange:
    """Change the facts of an exchange that has not started."""
    if exchange.status not in EDITABLE:
        raise NotAllowed("a live or ended exchange can't be edited")
    exchange.title = form.title
    exchange.purpose = form.purpose
    exchange.starts_at = form.starts_at()
    exchange.timezone = form.timezone
    exchange.duration_minutes = form.duration_minutes
    exchange.language = form.language
    exchange.call_url = form.call_url
    exchange.updated_at = utcnow()
    db.add(exchange)
    return exchange


def exchange_for(db: Session, *, user: StaffUser, exchange_id: int) -> Exchange | None:
    """The exchange if the user belongs to its programme; None otherwise."""
    exchange = db.get(Exchange, exchange_id) if valid_id(exchange_id) else None
    if exchange is None or db.get(ProgrammeMember, (exchange.programme_id, user.id)) is None:
        return None
    return exchange


def exchanges_in(db: Session, *, programme: Programme) -> list[Exchange]:
    query = select(Exchange).where(Exchange.programme_id == programme.id).order_by(col(Exchange.starts_at))
    return list(db.exec(query))


def ran_on(db: Session, *, exchanges: list[Exchange]) -> dict[int, datetime]:
    """When each exchange that went live started: its log's exchange_started, else when it ended.

    (Retention deletes the log of an exchange long ended; its end stays on the row.)
    """
    ran = [e.id for e in exchanges if e.id is not None and e.status in (ExchangeStatus.LIVE, ExchangeStatus.ENDED)]
    if not ran:
        return {}
    query = (
        select(SessionEvent.exchange_id, func.min(SessionEvent.at))
        .where(col(SessionEvent.exchange_id).in_(ran), SessionEvent.type == "exchange_started")
        .group_by(col(SessionEvent.exchange_id))
    )
    started: dict[int, datetime] = {exchange_id: at for exchange_id, at in db.exec(query)}
    for exchange in exchanges:
        if exchange.id in ran and exchange.id not in started and exchange.ended_at is not None:
            started[exchange.id] = exchange.ended_at
    return started


def plan_of(exchange: Exchange) -> PhasePlan:
    return PhasePlan.model_validate(exchange.plan)


def save_plan(db: Session, *, exchange: Exchange, plan: PhasePlan) -> None:
    """Replace the plan of an exchange that has not started."""
    if exchange.status not in EDITABLE:
        raise NotAllowed("the plan is fixed once the exchange is live")
    exchange.plan = plan.model_dump(mode="json")
    exchange.updated_at = utcnow()
    db.add(exchange)


def set_status(db: Session, *, exchange: Exchange, status: ExchangeStatus) -> None:
    allowed = {
        ExchangeStatus.DRAFT: {ExchangeStatus.SCHEDULED},
        ExchangeStatus.SCHEDULED: {ExchangeStatus.DRAFT, ExchangeStatus.LIVE},
        ExchangeStatus.LIVE: {ExchangeStatus.ENDED},
        ExchangeStatus.ENDED: set(),
    }
    if status not in allowed[ExchangeStatus(exchange.status)]:
        raise NotAllowed(f"an exchange can't go from {exchange.status} to {status}")
    exchange.status = status
    exchange.updated_at = utcnow()
    db.add(exchange)


# --- practitioners and their invite links -----------------------------------------------------


def invite_token(secret: str, participant: Participant) -> str:
    """The participant's link token: derived from the app secret, a per-person salt and a version.

    The database holds only the salt and the token's hash, so neither a database dump nor the
    secret alone opens a link, yet the facilitator can show the invite again until it is opened
    (from then on the link is bound to the practitioner's device: see `keys.py`).
    """
    message = f"invite:{participant.id}:{participant.token_version}:{participant.token_salt}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _issue(secret: str, participant: Participant) -> None:
    participant.token_salt = secrets.token_urlsafe(16)
    participant.token_hash = token_hash(invite_token(secret, participant))


def add_participant(db: Session, *, secret: str, exchange: Exchange, form: ParticipantForm) -> Participant:
    """Invite a practitioner; their personal link is `invite_token(secret, participant)`."""
    if exchange.status == ExchangeStatus.ENDED:
        raise NotAllowed("the exchange has ended")
    assert exchange.id is not None
    participant = Participant(
        exchange_id=exchange.id,
        name=form.name,
        context=form.context,
        country=" ".join(form.country.split()),
        email=str(form.email or ""),
        language=form.language or None,
        token_salt="pending",
        token_hash=f"pending-{secrets.token_hex(16)}",
    )
    db.add(participant)
    db.flush()  # the id is part of the token
    _issue(secret, participant)
    db.add(participant)
    return participant


def participants_of(db: Session, *, exchange: Exchange) -> list[Participant]:
    query = select(Participant).where(Participant.exchange_id == exchange.id).order_by(col(Participant.id))
    return list(db.exec(query))


def participant_in(db: Session, *, exchange: Exchange, participant_id: int) -> Participant | None:
    participant = db.get(Participant, participant_id) if valid_id(participant_id) else None
    return participant if participant and participant.exchange_id == exchange.id else None


def revoke(db: Session, *, participant: Participant) -> None:
    """The link and every cookie made from it stop working."""
    participant.revoked_at = utcnow()
    forget_handover(participant)
    db.add(participant)


def reissue(db: Session, *, secret: str, participant: Participant) -> None:
    """A new link replaces the old one (which stops working), and a revoked person is let back in.

    The new link is not bound to any device yet: whoever opens it first (on a device they still
    have) claims it, and the device the old link was opened on is signed out.
    """
    participant.token_version += 1
    participant.revoked_at = None
    forget_device(participant)
    _issue(secret, participant)
    db.add(participant)


def participant_by_token(db: Session, *, token: str) -> Participant | None:
    """The live invite behind a link token; None for unknown or revoked links."""
    participant = db.exec(select(Participant).where(Participant.token_hash == token_hash(token))).first()
    if participant is None or participant.revoked_at is not None:
        return None
    return participant


def accept_rules(db: Session, *, participant: Participant, consent: Consent) -> None:
    """The practitioner accepts the ground rules and chooses how the transcript names them."""
    participant.rules_accepted_at = participant.rules_accepted_at or utcnow()
    participant.consent = consent
    db.add(participant)


def display_initials(name: str) -> str:
    """"Amina Diallo" -> "A.D."; Arabic names too (exchange.names.initials)."""
    return initials(name)


def plan_summary(plan: dict[str, Any]) -> list[tuple[str, int]]:
    """(title, minutes) per phase, for lobby and invite pages."""
    return [(phase["title"], phase["minutes"]) for phase in plan.get("phases", [])]
