"""A lead invites a colleague to a programme by email: a single-use link that expires.

The link carries a random token; the table keeps only its SHA-256 (exchange.auth.token_hash), so a
database dump opens nothing. Accepting is one atomic UPDATE (pending, unexpired, unrevoked), so a link
used twice at once makes one member. Callers own the transaction.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from exchange.accounts.models import StaffRole, StaffUser
from exchange.accounts.service import normalise_email
from exchange.auth import looks_like_token, token_hash
from exchange.i18n import _
from exchange.mail import Mail
from exchange.programmes.invite_models import StaffInvite
from exchange.programmes.models import Programme, ProgrammeMember
from exchange.timeutil import utcnow

ROLES = (StaffRole.FACILITATOR.value, StaffRole.LEAD.value)


@dataclass(frozen=True)
class Issued:
    invite: StaffInvite
    token: str  # only for the email (or, without mail, for the lead to pass on once)


def issue(db: Session, *, programme: Programme, lead: StaffUser, email: str, role: str, days: int) -> Issued:
    """A new invitation; an earlier pending one to the same address for this programme stops working."""
    assert programme.id is not None and lead.id is not None and role in ROLES
    email = normalise_email(email)
    now = utcnow()
    for earlier in pending(db, programme=programme):
        if earlier.email == email:
            earlier.revoked_at = now
            db.add(earlier)
    token = secrets.token_urlsafe(32)
    invite = StaffInvite(
        programme_id=programme.id, email=email, role=role, token_hash=token_hash(token), created_by=lead.id,
        created_at=now, expires_at=now + timedelta(days=days),
    )
    db.add(invite)
    db.flush()
    return Issued(invite=invite, token=token)


def pending(db: Session, *, programme: Programme) -> list[StaffInvite]:
    """Invitations not accepted or revoked (expired ones too, marked so on the page), newest first."""
    query = (
        select(StaffInvite)
        .where(
            StaffInvite.programme_id == programme.id,
            col(StaffInvite.accepted_at).is_(None),
            col(StaffInvite.revoked_at).is_(None),
        )
        .order_by(col(StaffInvite.id).desc())
    )
    return list(db.exec(query))


def invite_in(db: Session, *, programme: Programme, invite_id: int) -> StaffInvite | None:
    invite = db.get(StaffInvite, invite_id) if 0 < invite_id <= 2**31 - 1 else None
    return invite if invite is not None and invite.programme_id == programme.id else None


def by_token(db: Session, token: str, *, now: datetime | None = None) -> StaffInvite | None:
    """The live invitation behind a link: unknown, used, revoked and expired links all give None."""
    if not looks_like_token(token):
        return None
    invite = db.exec(select(StaffInvite).where(StaffInvite.token_hash == token_hash(token))).first()
    now = now or utcnow()
    if invite is None or invite.accepted_at or invite.revoked_at or invite.expires_at <= now:
        return None
    return invite


def accept(db: Session, *, invite: StaffInvite, user: StaffUser, now: datetime | None = None) -> bool:
    """Use the link up for `user` and make them a member (a lead's invitation makes a facilitator a lead);
    False when it was used, revoked or expired meanwhile."""
    now = now or utcnow()
    result = db.exec(  # type: ignore[call-overload]
        update(StaffInvite)
        .where(
            col(StaffInvite.id) == invite.id,
            col(StaffInvite.accepted_at).is_(None),
            col(StaffInvite.revoked_at).is_(None),
            col(StaffInvite.expires_at) > now,
        )
        .values(accepted_at=now, accepted_by=user.id)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    if invite.role == StaffRole.LEAD and user.role != StaffRole.LEAD:
        user.role = StaffRole.LEAD
        db.add(user)
    if db.get(ProgrammeMember, (invite.programme_id, user.id)) is None:
        assert user.id is not None
        db.add(ProgrammeMember(programme_id=invite.programme_id, user_id=user.id))
    return True


def revoke(db: Session, *, invite: StaffInvite) -> None:
    invite.revoked_at = utcnow()
    db.add(invite)


def invitation(*, programme: Programme, inviter: StaffUser, invite: StaffInvite, link: str) -> tuple[str, str]:
    """(subject, body) of the invitation email, in the inviting lead's language."""
    role = _("a programme lead") if invite.role == StaffRole.LEAD else _("a facilitator")
    subject = _("{name} invites you to “{programme}” on Story Exchange").format(name=inviter.name, programme=programme.name)
    paragraphs = [
        _("{name} invites you to join the programme “{programme}” as {role}.").format(
            name=inviter.name, programme=programme.name, role=role
        ),
        _("Open this link to accept. It works once, until {date} (UTC): {link}").format(
            date=f"{invite.expires_at:%Y-%m-%d %H:%M}", link=link
        ),
        _(
            "If you have no account yet, you will choose your name and a password there. If you already have one, "
            "log in with this email address to accept."
        ),
        _("If you did not expect this invitation, you can ignore this message."),
    ]
    return subject, "\n\n".join(paragraphs) + "\n"


def invitation_mail(*, programme: Programme, inviter: StaffUser, invite: StaffInvite, link: str) -> Mail:
    subject, body = invitation(programme=programme, inviter=inviter, invite=invite, link=link)
    return Mail(to=invite.email, subject=subject, body=body)
