"""Sending the practitioners' emails and recording what was sent: the invitation when a link is issued
(and again when a facilitator asks), and the reminders a day and an hour before the start.

The reminders are a background job in every instance (like the retention purge). It is idempotent
across restarts and instances: each due reminder gets one `mail_delivery` row (unique per
practitioner and key, the key naming the start it announces), and a sender first claims the row
with one atomic UPDATE that only one can win. Sending happens in a worker thread (smtplib blocks).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from exchange import mail
from exchange.db import session_scope
from exchange.programmes import invite_mail, service
from exchange.programmes.invite_models import MailDelivery, MailStatus
from exchange.programmes.models import Exchange, ExchangeStatus, Participant
from exchange.settings import Settings, resolve_secret
from exchange.timeutil import utcnow

log = logging.getLogger(__name__)

INVITE = "invite"
#: How long before the start each reminder goes out (and the window it may go out in).
LEADS = {invite_mail.DAY: timedelta(days=1), invite_mail.HOUR: timedelta(hours=1)}
#: A failed reminder is tried again at the next runs, this many times in all.
MAX_ATTEMPTS = 3
#: A claim older than this was lost with its instance (a send takes seconds): it may be taken again.
STALE_CLAIM = timedelta(minutes=15)
#: Seconds from start to the first run: the server is up and answering first.
FIRST_RUN_AFTER = 5.0


def personal_link(settings: Settings, participant: Participant) -> str:
    return f"{settings.base_url}/join/{service.invite_token(resolve_secret(settings), participant)}"


# --- the invitation -----------------------------------------------------------------------------


def may_email(participant: Participant) -> bool:
    """An invitation can go out while the link is unopened and not revoked, to a known address."""
    return bool(participant.email) and participant.claimed_at is None and participant.revoked_at is None


def _record(db: Session, participant_id: int, key: str, error: str | None, now: datetime) -> None:
    row = db.exec(
        select(MailDelivery).where(MailDelivery.participant_id == participant_id, MailDelivery.key == key)
    ).first() or MailDelivery(participant_id=participant_id, key=key)
    row.status = MailStatus.SENT if error is None else MailStatus.FAILED
    row.error = "" if error is None else error[:300]
    row.attempts += 1
    row.claimed_at = now
    row.sent_at = now if error is None else row.sent_at
    db.add(row)


async def send_invitation(db: Session, settings: Settings, exchange: Exchange, participant: Participant) -> str | None:
    """Email the invitation (with the calendar file) now, off the event loop, and record how it went.
    None when it was handed to the mail server; else why not. The caller commits."""
    assert participant.id is not None
    message = invite_mail.invitation_mail(exchange, participant, link=personal_link(settings, participant))
    error = await asyncio.to_thread(mail.deliver, settings, message)
    _record(db, participant.id, INVITE, error, utcnow())
    return error


def forget_invitation(db: Session, participant_id: int) -> None:
    """A new link was issued: what was emailed before was the old link, so the new one is "not sent"."""
    row = db.exec(
        select(MailDelivery).where(MailDelivery.participant_id == participant_id, MailDelivery.key == INVITE)
    ).first()
    if row is not None:
        db.delete(row)


def reminders_of(db: Session, participants: list[Participant]) -> dict[int, list[MailDelivery]]:
    """The reminders recorded for each practitioner (sent, failed or on their way), oldest first."""
    ids = [p.id for p in participants if p.id is not None]
    if not ids:
        return {}
    found: dict[int, list[MailDelivery]] = {}
    query = select(MailDelivery).where(col(MailDelivery.participant_id).in_(ids), MailDelivery.key != INVITE)
    for row in db.exec(query.order_by(col(MailDelivery.id))):
        found.setdefault(row.participant_id, []).append(row)
    return found


def invite_status(db: Session, participants: list[Participant]) -> dict[int, MailDelivery]:
    """The invitation's delivery record for each practitioner that has one."""
    ids = [p.id for p in participants if p.id is not None]
    if not ids:
        return {}
    rows = db.exec(select(MailDelivery).where(col(MailDelivery.participant_id).in_(ids), MailDelivery.key == INVITE))
    return {row.participant_id: row for row in rows}


# --- the reminders ------------------------------------------------------------------------------


@dataclass
class ReminderRun:
    sent: list[tuple[int, str]] = field(default_factory=list)  # (participant id, key)
    failed: list[tuple[int, str]] = field(default_factory=list)


def reminder_key(which: str, starts_at: datetime) -> str:
    return f"{which}:{starts_at:%Y%m%dT%H%M%SZ}"


def _which(starts_at: datetime, now: datetime) -> str | None:
    """Which reminder is due now: the hour one in the last hour, the day one in the day before that."""
    if not now < starts_at:
        return None
    if now >= starts_at - LEADS[invite_mail.HOUR]:
        return invite_mail.HOUR
    if now >= starts_at - LEADS[invite_mail.DAY]:
        return invite_mail.DAY
    return None


def _due(db: Session, now: datetime) -> list[tuple[Exchange, Participant, str]]:
    """(exchange, practitioner, which) for every reminder due at `now`: exchanges not yet live that
    start within a day, practitioners with an address and a live link, invited before the window
    opened (someone invited an hour ahead has the invitation fresh in their inbox)."""
    exchanges = db.exec(
        select(Exchange).where(
            col(Exchange.status).in_([ExchangeStatus.DRAFT, ExchangeStatus.SCHEDULED]),
            col(Exchange.starts_at) > now,
            col(Exchange.starts_at) <= now + LEADS[invite_mail.DAY],
            col(Exchange.purged_at).is_(None),
        )
    ).all()
    due = []
    for exchange in exchanges:
        which = _which(exchange.starts_at, now)
        if which is None:
            continue
        opened = exchange.starts_at - LEADS[which]
        people = db.exec(
            select(Participant).where(
                Participant.exchange_id == exchange.id,
                col(Participant.revoked_at).is_(None),
                Participant.email != "",
                col(Participant.created_at) <= opened,
            )
        ).all()
        due.extend((exchange, person, which) for person in people)
    return due


def _settled(db: Session, wanted: list[tuple[int | None, str]], now: datetime) -> set[tuple[int, str]]:
    """Of the (practitioner, key) pairs due, those no runner may claim now: sent, being sent, given up."""
    ids = sorted({pid for pid, _key in wanted if pid is not None})
    keys = sorted({key for _pid, key in wanted})
    if not ids:
        return set()
    rows = db.exec(
        select(MailDelivery).where(col(MailDelivery.participant_id).in_(ids), col(MailDelivery.key).in_(keys))
    ).all()
    settled = set()
    for row in rows:
        claimable = (
            row.status == MailStatus.PENDING
            or (row.status == MailStatus.FAILED and row.attempts < MAX_ATTEMPTS)
            or (row.status == MailStatus.SENDING and row.claimed_at is not None and row.claimed_at < now - STALE_CLAIM)
        )
        if not claimable:
            settled.add((row.participant_id, row.key))
    return settled


def _ensure_rows(engine: Engine, wanted: list[tuple[int, str]]) -> None:
    """The rows of every due reminder, made in one transaction; if another runner made some of them
    meanwhile (the unique constraint refuses the batch), one by one."""
    if not wanted:
        return
    with Session(engine) as db:
        have = set(
            db.exec(
                select(MailDelivery.participant_id, MailDelivery.key).where(
                    col(MailDelivery.participant_id).in_(sorted({pid for pid, _k in wanted})),
                    col(MailDelivery.key).in_(sorted({key for _p, key in wanted})),
                )
            ).all()
        )
        missing = [pair for pair in dict.fromkeys(wanted) if pair not in have]
        if not missing:
            return
        db.add_all(MailDelivery(participant_id=pid, key=key) for pid, key in missing)
        try:
            db.commit()
            return
        except IntegrityError:
            db.rollback()
    for pid, key in missing:
        _ensure_row(engine, pid, key)


def _ensure_row(engine: Engine, participant_id: int, key: str) -> None:
    """The reminder's row, made once: a second instance making it too hits the unique constraint."""
    with Session(engine) as db:
        exists = db.exec(
            select(MailDelivery.id).where(MailDelivery.participant_id == participant_id, MailDelivery.key == key)
        ).first()
        if exists is not None:
            return
        db.add(MailDelivery(participant_id=participant_id, key=key))
        try:
            db.commit()
        except IntegrityError:
            db.rollback()  # another runner made it first


def _claim(engine: Engine, participant_id: int, key: str, now: datetime) -> bool:
    """Take the reminder for sending, in one atomic UPDATE: True for the one runner that wins it."""
    claimable = or_(
        col(MailDelivery.status) == MailStatus.PENDING,
        and_(col(MailDelivery.status) == MailStatus.FAILED, col(MailDelivery.attempts) < MAX_ATTEMPTS),
        and_(col(MailDelivery.status) == MailStatus.SENDING, col(MailDelivery.claimed_at) < now - STALE_CLAIM),
    )
    with session_scope(engine) as db:
        result = db.exec(  # type: ignore[call-overload]
            update(MailDelivery)
            .where(col(MailDelivery.participant_id) == participant_id, col(MailDelivery.key) == key, claimable)
            .values(status=MailStatus.SENDING, claimed_at=now, attempts=col(MailDelivery.attempts) + 1)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


def _finish(engine: Engine, participant_id: int, key: str, error: str | None, now: datetime) -> None:
    with session_scope(engine) as db:
        db.exec(  # type: ignore[call-overload]
            update(MailDelivery)
            .where(col(MailDelivery.participant_id) == participant_id, col(MailDelivery.key) == key)
            .values(
                status=MailStatus.SENT if error is None else MailStatus.FAILED,
                error="" if error is None else error[:300],
                sent_at=now if error is None else None,
            )
            .execution_options(synchronize_session=False)
        )


def send_reminders(engine: Engine, settings: Settings, *, now: datetime | None = None) -> ReminderRun:
    """Send every reminder due at `now` that no runner has sent or is sending (blocking: run it in a thread)."""
    now = now or utcnow()
    run = ReminderRun()
    if not mail.configured(settings):
        return run
    with Session(engine, expire_on_commit=False) as db:
        due = _due(db, now)
        done = _settled(db, [(p.id, reminder_key(which, e.starts_at)) for e, p, which in due], now)
    todo = [(e, p, which) for e, p, which in due if (p.id, reminder_key(which, e.starts_at)) not in done]
    _ensure_rows(engine, [(p.id, reminder_key(which, e.starts_at)) for e, p, which in todo])  # type: ignore[misc]
    with mail.Outbox(settings) as outbox:  # one SMTP connection for the run
        for exchange, participant, which in todo:  # once a window's reminders went out, nothing is written
            assert participant.id is not None
            key = reminder_key(which, exchange.starts_at)
            if not _claim(engine, participant.id, key, now):
                continue  # sent, being sent, or given up on
            link = personal_link(settings, participant)
            error = outbox.deliver(invite_mail.reminder_mail(exchange, participant, link=link, which=which))
            _finish(engine, participant.id, key, error, utcnow())
            (run.sent if error is None else run.failed).append((participant.id, key))
    return run


async def remind_periodically(*, engine: Engine, settings: Settings, interval: float) -> None:
    """Run the reminders until cancelled (at shutdown)."""
    delay = min(FIRST_RUN_AFTER, interval)
    while True:
        await asyncio.sleep(delay)
        delay = interval
        try:
            run = await asyncio.to_thread(send_reminders, engine, settings)
            if run.sent or run.failed:
                log.info("reminders: %d sent, %d failed (tried again later)", len(run.sent), len(run.failed))
        except Exception:  # noqa: BLE001 - the database or mail server may be away: try again later
            log.exception("reminders: the run failed; trying again in %s s", interval)
