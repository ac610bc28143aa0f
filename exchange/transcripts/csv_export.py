"""PURE: one CSV row per contribution, for spreadsheets; no cell can start a formula.

Every row says whether the record it comes from is a DRAFT (the tellers are still reviewing it) or
released, so a row copied elsewhere keeps the mark.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from exchange.cleantext import clean
from exchange.i18n import _
from exchange.transcripts.model import Transcript

#: Column names (English is the documented schema; a catalogue may translate them).
HEADER = ("exchange_id", "exchange", "phase", "kind", "author", "time", "text", "votes", "record")


def header() -> tuple[str, ...]:
    return tuple(_(name) for name in HEADER)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def defuse(value: str) -> str:
    """A cell a spreadsheet shows as text: cleaned (exchange.cleantext: no control characters,
    terminal escapes or direction overrides; newlines kept), and a leading formula character gets a
    single quote before it."""
    value = clean(value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def rows(transcript: Transcript) -> Iterable[tuple[str, ...]]:
    t = transcript
    record = _("DRAFT") if t.exchange.draft else _("released")
    for c in t.contributions:
        yield tuple(
            defuse(cell)
            for cell in (
                str(t.exchange.id),
                t.exchange.title,
                c.phase,
                c.kind,
                c.author if c.author is not None else (_("anonymous") if c.anonymous else ""),
                c.at.isoformat().replace("+00:00", "Z") if c.at else "",
                c.text,
                "" if c.votes is None else str(c.votes),
                record,
            )
        )


def render_many(transcripts: Iterable[Transcript]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header())
    for transcript in transcripts:
        writer.writerows(rows(transcript))
    return buffer.getvalue()


def render(transcript: Transcript) -> str:
    return render_many([transcript])
