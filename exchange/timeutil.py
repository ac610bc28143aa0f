"""Time helpers: everything is stored in UTC and shown in the viewer's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def iso_utc(moment: datetime) -> str:
    """A moment as the live pages read it: ISO 8601 in UTC with a "Z"."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def as_utc(moment: datetime) -> datetime:
    """A datetime read back from a database that drops tzinfo (SQLite) is UTC; say so."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@cache
def timezone_names() -> tuple[str, ...]:
    """Every IANA zone name, sorted, for pickers and validation."""
    return tuple(sorted(available_timezones() - {"Factory", "localtime"}))


def zone(name: str) -> ZoneInfo | None:
    """The zone for an IANA name, or None when there is no such zone."""
    if name not in timezone_names():
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
