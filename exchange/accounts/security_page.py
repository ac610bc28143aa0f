"""The programme's security log, for its leads: newest first, a page at a time.

It shows the programme's own events (links, handovers, members, exports, redactions) and the account
events (logins, failures, password changes) of the programme's current members. Facilitators and
anyone outside the programme get a 404, as for any page that isn't theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from sqlmodel import Session, and_, col, or_, select

from exchange.accounts.models import SecurityEvent, StaffRole, StaffUser
from exchange.audit import Kind
from exchange.deps import CurrentStaff, DbSession
from exchange.i18n import _
from exchange.programmes import service
from exchange.programmes.models import Exchange, Participant, Programme, ProgrammeMember
from exchange.templating import render

router = APIRouter()

PAGE_SIZE = 50
MAX_PAGE = 10_000


def _labels() -> dict[str, str]:
    """What each kind of event is called on the page (translated when the page is drawn)."""
    return {
        Kind.LOGIN: _("Logged in"),
        Kind.LOGIN_FAILED: _("Failed login"),
        Kind.LOGIN_THROTTLED: _("Login held back after repeated failures"),
        Kind.LOGOUT: _("Logged out"),
        Kind.LOGOUT_EVERYWHERE: _("Logged out everywhere"),
        Kind.PASSWORD_CHANGED: _("Changed their password"),
        Kind.PASSWORD_CHANGE_FAILED: _("Password change refused: wrong current password"),
        Kind.LINK_ISSUED: _("Personal link made"),
        Kind.LINK_OPENED: _("Personal link opened"),
        Kind.LINK_REVOKED: _("Personal link withdrawn"),
        Kind.LINK_REISSUED: _("Personal link replaced"),
        Kind.INVITE_EMAILED: _("Invitation emailed to a practitioner"),
        Kind.INVITE_EMAIL_FAILED: _("Invitation email to a practitioner failed"),
        Kind.STAFF_INVITE_SENT: _("Invited a colleague to the programme"),
        Kind.STAFF_INVITE_ACCEPTED: _("Joined the programme from an invitation"),
        Kind.STAFF_INVITE_REVOKED: _("Withdrew a colleague's invitation"),
        Kind.HANDOVER_STARTED: _("Handover code shown"),
        Kind.HANDOVER_DONE: _("Moved to another device with a handover code"),
        Kind.HANDOVER_FAILED: _("Handover code refused"),
        Kind.MEMBER_ADDED: _("Added to the programme"),
        Kind.MEMBER_REMOVED: _("Removed from the programme"),
        Kind.EXPORT_TRANSCRIPT: _("Downloaded a transcript"),
        Kind.EXPORT_PROGRAMME: _("Downloaded the whole programme"),
        Kind.EXPORT_OWN: _("Downloaded their own contributions"),
        Kind.REDACTION: _("Redacted a contribution"),
    }


@dataclass(frozen=True)
class Row:
    at: datetime
    what: str
    who: str
    about: str  # whom or what it concerns, when that is not the one who did it
    exchange_id: int | None
    exchange_title: str
    address: str
    note: str


def events_for(db: Session, *, programme: Programme, page: int) -> tuple[list[SecurityEvent], bool]:
    """One page of the programme's events, newest first, and whether older ones follow."""
    members = select(ProgrammeMember.user_id).where(ProgrammeMember.programme_id == programme.id)
    query = (
        select(SecurityEvent)
        .where(
            or_(
                col(SecurityEvent.programme_id) == programme.id,
                and_(col(SecurityEvent.programme_id).is_(None), col(SecurityEvent.user_id).in_(members)),
            )
        )
        .order_by(col(SecurityEvent.at).desc(), col(SecurityEvent.id).desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    )
    events = list(db.exec(query))
    return events[:PAGE_SIZE], len(events) > PAGE_SIZE


def _rows(db: Session, events: list[SecurityEvent]) -> list[Row]:
    labels = _labels()
    staff_ids = {e.user_id for e in events if e.user_id} | {
        int(v) for e in events if isinstance(v := e.detail.get("member"), int)
    }
    participant_ids = {int(e.actor[2:]) for e in events if e.actor.startswith("p:")} | {
        int(v) for e in events if isinstance(v := e.detail.get("participant"), int)
    }
    exchange_ids = {e.exchange_id for e in events if e.exchange_id}
    staff = {u.id: u.name for u in db.exec(select(StaffUser).where(col(StaffUser.id).in_(staff_ids)))} if staff_ids else {}
    people = (
        {p.id: p.name for p in db.exec(select(Participant).where(col(Participant.id).in_(participant_ids)))}
        if participant_ids
        else {}
    )
    titles = (
        {x.id: x.title for x in db.exec(select(Exchange).where(col(Exchange.id).in_(exchange_ids)))} if exchange_ids else {}
    )

    def person(pid: int) -> str:
        return people.get(pid) or _("practitioner no. {n} (no longer on record)").format(n=pid)

    def staff_name(uid: int) -> str:
        return staff.get(uid) or _("staff account no. {n}").format(n=uid)

    rows = []
    for event in events:
        if event.actor.startswith("staff:"):
            who = staff_name(int(event.actor[6:]))
        elif event.actor.startswith("p:"):
            who = person(int(event.actor[2:]))
        else:
            who = _("Someone (not signed in)")
        about = ""
        if event.user_id and not event.actor:
            about = _("Account: {name}").format(name=staff_name(event.user_id))
        if isinstance(member := event.detail.get("member"), int):
            about = staff_name(member)
        if isinstance(participant := event.detail.get("participant"), int):
            about = person(participant)
        rows.append(
            Row(
                at=event.at,
                what=labels.get(event.kind, event.kind),
                who=who,
                about=about,
                exchange_id=event.exchange_id,
                exchange_title=titles.get(event.exchange_id, "") if event.exchange_id else "",
                address=event.address,
                note=_note(event),
            )
        )
    return rows


def _note(event: SecurityEvent) -> str:
    detail = event.detail
    if isinstance(fmt := detail.get("format"), str):
        return _("Format: {format}").format(format=fmt.upper())
    if isinstance(wait := detail.get("wait_seconds"), int):
        return _("Asked to wait {n} s").format(n=wait)
    if isinstance(ended := detail.get("sessions_ended"), int):
        return _("Sessions ended: {n}").format(n=ended)
    if isinstance(item := detail.get("item"), str):
        return _("Item: {item}").format(item=item)
    if detail.get("reason") == "wrong":
        return _("Wrong code")
    if detail.get("reason") in {"no_code", "malformed"}:
        return _("No valid code")
    return ""


@router.get("/programmes/{programme_id}/security")
def security_log(request: Request, programme_id: int, db: DbSession, user: CurrentStaff, page: int = 1) -> Response:
    programme = service.programme_for(db, user=user, programme_id=programme_id)
    if programme is None or user.role != StaffRole.LEAD or not 1 <= page <= MAX_PAGE:
        raise HTTPException(status_code=404)
    events, more = events_for(db, programme=programme, page=page)
    return render(
        request,
        "programme/security.html",
        programme=programme,
        rows=_rows(db, events),
        page=page,
        newer=page - 1 if page > 1 else None,
        older=page + 1 if more else None,
    )
