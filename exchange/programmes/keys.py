"""A personal link is a key for one device: claiming it, checking a device's cookie, handing it over.

The first browser that claims a link gets a random device secret in its cookie; the database keeps
only the secret's SHA-256. Another device gets in only with a short handover code shown on the first
one (which is then signed out), or with a new link from the facilitator. Callers own the transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import update
from sqlmodel import Session, col

from exchange.auth import CookieSigner, token_hash
from exchange.programmes.models import Participant
from exchange.timeutil import utcnow

COOKIE_SALT = "participant"
#: No 0/O, 1/I/L: a code read aloud or copied from a phone's screen can't be misread.
HANDOVER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
HANDOVER_LENGTH = 8
HANDOVER_LIFETIME = timedelta(minutes=10)
HANDOVER_TRIES = 5
_MAX_ID = 2**31 - 1
_NO_HANDOVER = {"handover_hash": None, "handover_expires_at": None, "handover_attempts": 0}


class HandoverRefused(StrEnum):
    """Why a handover code did not move the place."""

    MALFORMED = "malformed"  # not 8 characters of the alphabet: not counted as a try
    WRONG = "wrong"  # counted; tries remain
    NO_CODE = "no_code"  # none made, expired, already used, or voided by too many wrong tries


def cookie_value(signer: CookieSigner, participant: Participant, device_secret: str) -> str:
    """The signed practitioner cookie: who, which link version, and this device's secret."""
    return signer.dumps({"p": participant.id, "v": participant.token_version, "d": device_secret}, salt=COOKIE_SALT)


def participant_for_cookie(db: Session, *, signer: CookieSigner, raw: str | None, exchange_id: int) -> Participant | None:
    """The one check of a practitioner cookie: signed by us, for this exchange, the link's current
    version, not revoked, and carrying the secret of the device the link is bound to."""
    payload = signer.loads(raw, salt=COOKIE_SALT)
    if not isinstance(payload, dict):
        return None
    participant_id, device_secret = payload.get("p"), payload.get("d")
    if not isinstance(participant_id, int) or not 0 < participant_id <= _MAX_ID or not isinstance(device_secret, str):
        return None  # old cookies without a device secret are simply not valid any more
    participant = db.get(Participant, participant_id)
    if (
        participant is None
        or participant.exchange_id != exchange_id
        or participant.revoked_at is not None
        or participant.token_version != payload.get("v")
        or participant.device_hash is None
    ):
        return None
    if not hmac.compare_digest(token_hash(device_secret), participant.device_hash):
        return None
    return participant


def _bound(participant: Participant):  # noqa: ANN202
    """The WHERE clause of a write that must still find the link as the caller read it."""
    return (
        col(Participant.id) == participant.id,
        col(Participant.token_version) == participant.token_version,
        col(Participant.revoked_at).is_(None),
    )


def claim(db: Session, *, participant: Participant) -> str | None:
    """Bind a link nobody has opened to this device; its secret, or None if another device was first."""
    device_secret = secrets.token_urlsafe(32)
    now = utcnow()
    result = db.exec(
        update(Participant)
        .where(*_bound(participant), col(Participant.claimed_at).is_(None))
        .values(claimed_at=now, device_hash=token_hash(device_secret), **_NO_HANDOVER)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    db.refresh(participant)
    return device_secret



def forget_device(participant: Participant) -> None:
    """The link can be claimed again (a new link was issued): no device, no handover code."""
    participant.claimed_at = None
    participant.device_hash = None
    forget_handover(participant)


def forget_handover(participant: Participant) -> None:
    participant.handover_hash = None
    participant.handover_expires_at = None
    participant.handover_attempts = 0


def _code_hash(secret: str, participant: Participant, code: str) -> str:
    """Keyed with the app secret: a leaked database does not let anyone try all codes offline."""
    message = f"handover:{participant.id}:{participant.token_version}:{code}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def normalise_code(typed: str) -> str | None:
    """What the person typed, without spaces or dashes and in capitals; None if it can't be a code."""
    code = "".join(ch for ch in typed.upper() if ch not in " -\t")
    if len(code) != HANDOVER_LENGTH or any(ch not in HANDOVER_ALPHABET for ch in code):
        return None
    return code


def grouped(code: str) -> str:
    """K7QF3XPM -> K7QF-3XPM, easier to read and type."""
    return f"{code[:4]}-{code[4:]}"


def start_handover(db: Session, *, secret: str, participant: Participant) -> tuple[str, datetime]:
    """A fresh code (replacing any earlier one) and when it stops working."""
    code = "".join(secrets.choice(HANDOVER_ALPHABET) for _ in range(HANDOVER_LENGTH))
    expires = utcnow() + HANDOVER_LIFETIME
    participant.handover_hash = _code_hash(secret, participant, code)
    participant.handover_expires_at = expires
    participant.handover_attempts = 0
    db.add(participant)
    return code, expires


def redeem_handover(
    db: Session, *, secret: str, participant: Participant, typed: str
) -> str | tuple[HandoverRefused, int]:
    """Move the place to this device: its new secret; or why not and how many tries are left."""
    code = normalise_code(typed)
    if code is None:
        return HandoverRefused.MALFORMED, HANDOVER_TRIES - participant.handover_attempts
    expected = participant.handover_hash
    expires = participant.handover_expires_at
    if expected is None or expires is None or expires <= utcnow() or participant.handover_attempts >= HANDOVER_TRIES:
        return HandoverRefused.NO_CODE, 0
    if hmac.compare_digest(_code_hash(secret, participant, code), expected):
        device_secret = secrets.token_urlsafe(32)
        result = db.exec(
            update(Participant)
            .where(
                *_bound(participant),
                col(Participant.handover_hash) == expected,
                col(Participant.handover_attempts) < HANDOVER_TRIES,
            )
            .values(device_hash=token_hash(device_secret), **_NO_HANDOVER)
            .execution_options(synchronize_session=False)
        )
        db.refresh(participant)
        return device_secret if result.rowcount == 1 else (HandoverRefused.NO_CODE, 0)
    # A wrong try counts even when two arrive at once; the last allowed one voids the code.
    db.exec(
        update(Participant)
        .where(*_bound(participant), col(Participant.handover_hash) == expected)
        .values(handover_attempts=col(Participant.handover_attempts) + 1)
        .execution_options(synchronize_session=False)
    )
    db.exec(
        update(Participant)
        .where(*_bound(participant), col(Participant.handover_attempts) >= HANDOVER_TRIES)
        .values(handover_hash=None, handover_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    db.refresh(participant)
    left = HANDOVER_TRIES - participant.handover_attempts
    return (HandoverRefused.WRONG, left) if participant.handover_hash is not None and left > 0 else (HandoverRefused.NO_CODE, 0)
