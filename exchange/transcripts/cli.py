"""The `exchange export` command: one exchange to a file, or a programme to a ZIP with a progress bar."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path
from typing import TextIO

from sqlmodel import Session

from exchange.db import make_engine
from exchange.programmes import service
from exchange.programmes.models import Exchange, Programme
from exchange.sessions.store import EventStore
from exchange.settings import get_settings
from exchange.transcripts import build, csv_export
from exchange.transcripts.service import FORMATS, export, meta_of, roster_of


def progress(done: int, total: int, label: str, stream: TextIO = sys.stderr, width: int = 30) -> None:
    """[#########.....] 3/10 label, redrawn in place."""
    filled = width * done // total if total else width
    stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label[:40]:<40}")
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
            exchanges = service.exchanges_in(db, programme=programme)
            store = EventStore(engine)
            transcripts = []
            with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for done, exchange in enumerate(exchanges):
                    progress(done, len(exchanges), exchange.title)
                    envelopes = store.read_sync(exchange.id or 0)
                    meta, roster = meta_of(db, exchange), roster_of(db, exchange)
                    for fmt in FORMATS:
                        archive.writestr(f"exchange-{exchange.id}/transcript.{fmt}", export(fmt, envelopes, meta, roster))
                    transcripts.append(build.build(envelopes, exchange=meta, roster=roster))
                progress(len(exchanges), len(exchanges), "all exchanges")
                archive.writestr(f"programme-{programme_id}-contributions.csv", csv_export.render_many(transcripts))
    finally:
        engine.dispose()
    print(f"Wrote {out} ({len(exchanges)} exchange(s))", file=sys.stderr)
    return 0
