"""Seed many scheduled exchanges fast, straight through the service layer, and hand out cookies.

What the pages would do over HTTP (create staff, a programme, exchanges, invite practitioners who
accept the ground rules, log the facilitator in) is done here in one transaction, and the cookies
are made the way the app makes them: the staff session token, and the practitioner cookie of a
device that claimed its link (exchange/programmes/keys.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from exchange.accounts.models import StaffRole, StaffUser
from exchange.accounts.service import start_session
from exchange.auth import (
    STAFF_COOKIE,
    CookieSigner,
    hash_password,
    participant_cookie_name,
)
from exchange.db import make_engine, session_scope
from exchange.programmes import keys, service
from exchange.programmes.forms import ExchangeForm, ParticipantForm, ProgrammeForm
from exchange.programmes.models import Consent, ExchangeStatus, ProgrammeMember
from exchange.timeutil import utcnow

NAMES = [
    "Amina",
    "Rosa",
    "Tomás",
    "Lena",
    "Kofi",
    "Maya",
    "Ravi",
    "Ines",
    "Juno",
    "Sara",
    "Omar",
    "Yuki",
]


@dataclass
class SeededExchange:
    exchange_id: int
    facilitator_cookie: str
    practitioner_cookies: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.exchange_id,
            "facilitator": self.facilitator_cookie,
            "practitioners": self.practitioner_cookies,
        }


def seed_exchanges(
    database_url: str,
    *,
    secret: str,
    exchanges: int,
    practitioners: int,
    template: str = "story-exchange",
) -> list[SeededExchange]:
    """`exchanges` scheduled exchanges, each with its own facilitator and `practitioners` practitioners."""
    engine = make_engine(database_url)
    signer = CookieSigner(secret)
    password_hash = hash_password("bench-password-never-used")  # one hash: argon2 is slow on purpose
    seeded: list[SeededExchange] = []
    start = utcnow() + timedelta(days=2)
    try:
        with session_scope(engine) as db:
            lead = StaffUser(
                email="lead@bench.example.org",
                name="Bench lead",
                role=StaffRole.LEAD,
                password_hash=password_hash,
            )
            db.add(lead)
            db.flush()
            programme = service.create_programme(db, lead=lead, form=ProgrammeForm(name="Benchmark programme"))
            db.flush()
            form = ExchangeForm(
                title="Benchmark exchange",
                purpose="Load benchmark",
                start_date=start.date(),
                start_time=start.time().replace(microsecond=0),
                timezone="UTC",
                duration_minutes=120,
                language="en",
                template_key=template,
            )
            for index in range(exchanges):
                facilitator = StaffUser(
                    email=f"facilitator-{index}@bench.example.org",
                    name=f"Facilitator {index + 1}",
                    role=StaffRole.FACILITATOR,
                    password_hash=password_hash,
                )
                db.add(facilitator)
                db.flush()
                assert programme.id is not None and facilitator.id is not None
                db.add(ProgrammeMember(programme_id=programme.id, user_id=facilitator.id))
                exchange = service.create_exchange(db, user=facilitator, programme=programme, form=form)
                service.set_status(db, exchange=exchange, status=ExchangeStatus.SCHEDULED)
                assert exchange.id is not None
                token = start_session(db, user=facilitator, days=2)
                entry = SeededExchange(exchange.id, f"{STAFF_COOKIE}={token}")
                for number in range(practitioners):
                    name = f"{NAMES[number % len(NAMES)]} {number + 1}"
                    participant = service.add_participant(
                        db,
                        secret=secret,
                        exchange=exchange,
                        form=ParticipantForm(name=name),
                    )
                    service.accept_rules(db, participant=participant, consent=Consent.NAME)
                    device_secret = keys.claim(db, participant=participant)
                    assert device_secret is not None
                    value = keys.cookie_value(signer, participant, device_secret)
                    entry.practitioner_cookies.append(f"{participant_cookie_name(exchange.id)}={value}")
                seeded.append(entry)
    finally:
        engine.dispose()
    return seeded
