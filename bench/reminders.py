"""The reminder job (exchange/programmes/mail_jobs.py): what one run costs. Not a test: figures for
the issue note.

    python -m bench.reminders                      # SQLite, 200 practitioners due
    python -m bench.reminders --backend postgresql --people 500

Every instance runs the job every EXCHANGE_REMINDER_INTERVAL_SECONDS, so the figure that matters most
is a run with nothing due (the baseline, paid once a minute per instance); then a run that sends one
reminder to each practitioner through a real SMTP server on loopback (aiosmtpd), and the run after it,
which finds every reminder already sent.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from aiosmtpd.controller import Controller

from exchange.accounts.models import StaffRole
from exchange.accounts.service import create_user
from exchange.db import make_engine, session_scope
from exchange.programmes import mail_jobs, service
from exchange.programmes.forms import ExchangeForm, ParticipantForm, ProgrammeForm
from exchange.settings import Settings
from exchange.timeutil import utcnow
from tests.support.databases import fresh_database, migrate
from tests.support.servers import free_port


class _Count:
    def __init__(self) -> None:
        self.n = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001, N802
        self.n += 1
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--people", type=int, default=200)
    args = parser.parse_args()
    inbox, port = _Count(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    with tempfile.TemporaryDirectory() as tmp, fresh_database(args.backend, Path(tmp)) as url:
        migrate(url)
        engine = make_engine(url)
        start = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)
        with session_scope(engine) as db:
            lead = create_user(db, email="lead@example.org", name="Lead", role=StaffRole.LEAD, password="river lantern quietly")
            programme = service.create_programme(db, lead=lead, form=ProgrammeForm(name="Bench"))
            form = ExchangeForm(title="Bench", start_date=start.date(), start_time=start.time(), timezone="UTC",
                                duration_minutes=90, language="en", template_key="story-exchange")  # fmt: skip
            exchange = service.create_exchange(db, user=lead, programme=programme, form=form)
            for i in range(args.people):
                service.add_participant(db, secret="s" * 40, exchange=exchange,
                                        form=ParticipantForm(name=f"Person {i}", email=f"p{i}@example.org"))  # fmt: skip
            start = exchange.starts_at
        settings = Settings(database_url=url, smtp_host="127.0.0.1", smtp_port=port, smtp_tls="none", secret_key="s" * 40)
        figures = {}
        for label, now in (("nothing due (baseline)", start - timedelta(days=3)),
                           (f"{args.people} reminders sent", start - timedelta(hours=23)),
                           ("all already sent", start - timedelta(hours=22))):  # fmt: skip
            began = time.perf_counter()
            run = mail_jobs.send_reminders(engine, settings, now=now)
            figures[label] = (time.perf_counter() - began, len(run.sent))
        engine.dispose()
    controller.stop()
    print(f"reminder job, {args.backend}, {args.people} practitioners in one exchange; {inbox.n} messages received")
    for label, (seconds, sent) in figures.items():
        print(f"  {label:<28} {seconds * 1000:9.1f} ms   sent {sent}")


if __name__ == "__main__":
    main()
