"""The `exchange purge` command: retention's purge from the command line, or what it would delete."""

from __future__ import annotations

import sys

from exchange.db import make_engine
from exchange.i18n import _
from exchange.programmes.retention import Purge, PurgeRun, purge_expired
from exchange.settings import get_settings


def purge(*, dry_run: bool) -> int:
    """Purge (or with `dry_run` only list) what is due; 1 if an exchange could not be purged."""
    engine = make_engine(get_settings().database_url)
    try:
        run = purge_expired(engine, dry_run=dry_run)
    finally:
        engine.dispose()
    print(report(run, dry_run=dry_run))
    if run.failed:
        ids = ", ".join(str(i) for i in run.failed)
        print(_("Exchange(s) {ids} could not be purged; see the messages above.").format(ids=ids), file=sys.stderr)
        return 1
    return 0


def report(run: PurgeRun, *, dry_run: bool) -> str:
    """One line per exchange, then the total."""
    if not run.purged:
        return _("Nothing is due for deletion under retention.")
    lines = [_line(p, dry_run=dry_run) for p in run.purged]
    totals = {
        "exchanges": len(run.purged),
        "events": sum(p.events for p in run.purged),
        "stories": sum(p.stories for p in run.purged),
        "participants": sum(p.participants for p in run.purged),
    }
    if dry_run:
        lines.append(_("Total: would delete {events} events, {stories} stories and {participants} participants "
                       "of {exchanges} exchange(s).").format(**totals))  # fmt: skip
        lines.append(_("This was a dry run: nothing was deleted."))
    else:
        lines.append(_("Total: deleted {events} events, {stories} stories and {participants} participants "
                       "of {exchanges} exchange(s).").format(**totals))  # fmt: skip
    return "\n".join(lines)


def _line(p: Purge, *, dry_run: bool) -> str:
    values = {
        "id": p.exchange_id,
        "title": printable(p.title),
        "ended": f"{p.ended_at:%Y-%m-%d %H:%M} UTC",
        "days": p.retention_days,
        "events": p.events,
        "stories": p.stories,
        "participants": p.participants,
    }
    if dry_run:
        message = _('Exchange {id} "{title}" (ended {ended}, kept {days} days): would delete {events} events, '
                    "{stories} stories, {participants} participants.")  # fmt: skip
    else:
        message = _('Exchange {id} "{title}" (ended {ended}, kept {days} days): deleted {events} events, '
                    "{stories} stories, {participants} participants.")  # fmt: skip
    return message.format(**values)


def printable(text: str) -> str:
    """User text for a terminal: control characters (escape sequences) shown as \N{REPLACEMENT CHARACTER}."""
    return "".join(c if c.isprintable() else "\N{REPLACEMENT CHARACTER}" for c in text)
