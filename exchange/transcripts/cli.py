"""The `exchange export` command: one exchange to a file, or a programme to a ZIP with a progress bar."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from sqlmodel import Session

from exchange.cleantext import clean_line
from exchange.db import make_engine
from exchange.i18n import _
from exchange.programmes import service
from exchange.programmes.models import Exchange, Programme
from exchange.sessions.store import EventStore
from exchange.settings import get_settings
from exchange.transcripts.service import export, meta_of, programme_zip, roster_of


def progress(done: int, total: int, label: str, stream: TextIO = sys.stderr, width: int = 30) -> None:
    """[#########.....] 3/10 label, redrawn in place."""
    filled = width * done // total if total else width
    label = clean_line(label)[:40]  # an exchange's title, on a terminal: no escape sequence acts on it
    stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label:<40}")
    if done == total:
        stream.write("\n")
    stream.flush()


def export_exchange(exchange_id: int, fmt: str, out: Path | None) -> int:
    engine = make_engine(get_settings().database_url)
    try:
        with Session(engine) as db:
            exchange = db.get(Exchange, exchange_id) if service.valid_id(exchange_id) else None
            if exchange is None:
                print(f"No exchange {exchange_id}.", file=sys.stderr)
                return 1
            if exchange.purged_at is not None:
                message = _("The stories of exchange {id} were deleted on {date} under the programme's retention period.")
                deleted = f"{exchange.purged_at:%Y-%m-%d %H:%M} UTC"
                print(message.format(id=exchange_id, date=deleted), file=sys.stderr)
                return 1
            body = export(fmt, EventStore(engine).read_sync(exchange_id), meta_of(db, exchange), roster_of(db, exchange))
    finally:
        engine.dispose()
    if out is None:
        sys.stdout.write(body)
    else:
        out.write_text(body, encoding="utf-8", newline="")
        print(f"Wrote {out}", file=sys.stderr)
    return 0


def export_programme(programme_id: int, out: Path) -> int:
    engine = make_engine(get_settings().database_url)
    try:
        with Session(engine) as db:
            programme = db.get(Programme, programme_id) if service.valid_id(programme_id) else None
            if programme is None:
                print(f"No programme {programme_id}.", file=sys.stderr)
                return 1
            count = len(service.exchanges_in(db, programme=programme))
            out.write_bytes(programme_zip(db, EventStore(engine), programme, progress))
    finally:
        engine.dispose()
    print(f"Wrote {out} ({count} exchange(s))", file=sys.stderr)
    return 0
