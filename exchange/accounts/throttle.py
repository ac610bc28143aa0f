"""Login throttling per account and per client address, decided atomically before a password is checked.

Every attempt is counted *before* its password is evaluated, in one short transaction that locks the
account's and the address's rows (`reserve`); a success then takes its own attempt back (`forgive`).
So parallel guesses cannot all slip past the check while the first ones are still being hashed: each
sees the count the previous ones left, and at most `ACCOUNT_FREE` wrong passwords for an account (and
`ADDRESS_FREE` from an address) are evaluated before the waits begin. The waits grow, 2 s, 4 s, 8 s…
up to `MAX_WAIT`, and failures older than `WINDOW` are forgotten.

Why the owner cannot be locked out by someone else: an account's wait applies only to addresses that
have themselves been failing (`TRUSTED_BELOW` or more recent failures). Whoever hammers an account
from one address soon waits on both counts; the owner, from an address that has not been failing
(their office, their phone), is still let in with the right password however long the attack goes
on. What that costs: an attacker spread over many addresses gets `TRUSTED_BELOW` guesses per address
per window against a busy account, which the password rules (12 characters or more, not among the
10,000 most common, not a pattern, not the person's name) make worthless. Addresses wait for their
own failures only, so an attacker can slow down no one but the people sharing their address.

The rows are keyed by hashes, so the table holds neither email addresses nor client addresses.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from exchange.accounts.models import LoginThrottle

ACCOUNT_FREE = 5  # wrong passwords for one account before it waits
ADDRESS_FREE = 10  # wrong passwords from one address (for any accounts) before it waits
TRUSTED_BELOW = 3  # an address with fewer recent failures than this is not held by an account's wait
WINDOW = timedelta(minutes=15)  # failures older than this (since the last one) are forgotten
MAX_WAIT = timedelta(minutes=15)


def account_key(email: str) -> str:
    return hashlib.sha256(b"account:" + email.strip().lower().encode()).hexdigest()


def address_key(address: str) -> str:
    return hashlib.sha256(b"address:" + address.encode()).hexdigest()


def wait_after(failures: int, free: int) -> timedelta:
    """How long to wait after the last of `failures` recent failures: nothing up to `free`, then 2 s,
    4 s, 8 s… up to MAX_WAIT (the exponent is capped: a patient guesser would overflow timedelta)."""
    if failures < free:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - free + 1, 20)), MAX_WAIT)


@dataclass(frozen=True)
class Refusal:
    """Too many recent failures: try again after `retry_after`; `account` says whose count held it."""

    retry_after: timedelta
    account: bool


def _remaining(row: LoginThrottle, free: int, now: datetime) -> timedelta:
    return max(row.last_failure_at + wait_after(row.failures, free) - now, timedelta(0))


def reserve(db: Session, *, email: str, address: str, now: datetime) -> Refusal | None:
    """Count this attempt against the account and the address, or refuse it; commits either way.

    The commit is deliberate and the one exception to "callers own the transaction": the count must
    be visible to parallel attempts before this one's password is checked.
    """
    keys = {"account": account_key(email), "address": address_key(address)}
    insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    try:
        # Creating missing rows first (in key order) takes SQLite's write lock, so attempts run one
        # after another; on PostgreSQL, FOR UPDATE then locks both rows, in key order (no deadlock).
        fresh = [{"key": key, "failures": 0, "last_failure_at": now} for key in sorted(keys.values())]
        db.execute(insert(LoginThrottle).values(fresh).on_conflict_do_nothing(index_elements=["key"]))
        query = (
            select(LoginThrottle)
            .where(col(LoginThrottle.key).in_(keys.values()))
            .order_by(col(LoginThrottle.key))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        rows = {row.key: row for row in db.exec(query)}
        account, by_address = rows[keys["account"]], rows[keys["address"]]
        for row in (account, by_address):
            if now - row.last_failure_at > WINDOW:
                row.failures = 0
        waits = [(_remaining(by_address, ADDRESS_FREE, now), False)]
        if by_address.failures >= TRUSTED_BELOW:
            waits.append((_remaining(account, ACCOUNT_FREE, now), True))
        longest, held_by_account = max(waits, key=lambda item: item[0])
        if longest > timedelta(0):
            db.rollback()
            return Refusal(retry_after=longest, account=held_by_account)
        for row in (account, by_address):
            row.failures += 1
            row.last_failure_at = now
            db.add(row)
        db.commit()
        return None
    except BaseException:
        db.rollback()
        raise


def forgive(db: Session, *, email: str, address: str) -> None:
    """The password was right: take this attempt back. The account's record goes altogether unless
    it shows an attack (ACCOUNT_FREE or more failures), whose waits the owner must not lift for it."""
    for key in (account_key(email), address_key(address)):
        db.execute(
            update(LoginThrottle)
            .where(col(LoginThrottle.key) == key, col(LoginThrottle.failures) > 0)
            .values(failures=LoginThrottle.failures - 1)  # type: ignore[operator]
        )
    db.execute(
        delete(LoginThrottle).where(
            col(LoginThrottle.key) == account_key(email), col(LoginThrottle.failures) < ACCOUNT_FREE
        )
    )


def forget_old(db: Session, *, now: datetime) -> int:
    """Delete records with no failure within the window (housekeeping); returns how many."""
    result = db.execute(delete(LoginThrottle).where(col(LoginThrottle.last_failure_at) < now - WINDOW))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
