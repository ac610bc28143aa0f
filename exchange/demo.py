"""The demo seed behind `make run`: a lead, a facilitator, a programme and one story exchange."""

from __future__ import annotations

from datetime import time, timedelta

from sqlmodel import Session, select

from exchange.accounts.models import StaffRole, StaffUser
from exchange.accounts.service import create_user, get_user_by_email
from exchange.db import make_engine, session_scope
from exchange.programmes import service
from exchange.programmes.forms import ExchangeForm, ParticipantForm, ProgrammeForm
from exchange.programmes.models import Exchange, ExchangeStatus, Programme
from exchange.settings import Settings, resolve_secret
from exchange.timeutil import utcnow

DEMO_PASSWORD = "story-exchange-demo"  # a local demo only; printed on every run
LEAD = ("lead@example.org", "Grace Mensah (demo lead)")
FACILITATOR = ("facilitator@example.org", "Sam Okafor (demo facilitator)")
PROGRAMME = "Demo: allies for gender equity"
EXCHANGE_TITLE = "Stories of change across contexts"
PRACTITIONERS = (
    ("Amina Wanjiru", "Community health officer, Nairobi"),
    ("Rosa Quispe", "Women's network coordinator, Cusco"),
    ("Tomás Ribeiro", "Youth worker, Maputo"),
)


def _user(db: Session, email: str, name: str, role: StaffRole) -> StaffUser:
    return get_user_by_email(db, email=email) or create_user(
        db, email=email, name=name, role=role, password=DEMO_PASSWORD
    )


def seed_demo(settings: Settings) -> str:
    """Create what is missing of the demo and describe how to use it."""
    engine = make_engine(settings.database_url)
    secret = resolve_secret(settings)
    try:
        with session_scope(engine) as db:
            lead = _user(db, *LEAD, StaffRole.LEAD)
            facilitator = _user(db, *FACILITATOR, StaffRole.FACILITATOR)
            programme = db.exec(select(Programme).where(Programme.name == PROGRAMME)).first()
            if programme is None:
                programme = service.create_programme(
                    db,
                    lead=lead,
                    form=ProgrammeForm(
                        name=PROGRAMME,
                        description="Practitioners from three countries learn from each other's stories of change.",
                    ),
                )
            service.add_member(db, lead=lead, programme=programme, user=facilitator)
            exchange = db.exec(
                select(Exchange).where(Exchange.programme_id == programme.id, Exchange.title == EXCHANGE_TITLE)
            ).first()
            if exchange is None:
                start = utcnow() + timedelta(days=1)
                exchange = service.create_exchange(
                    db,
                    user=facilitator,
                    programme=programme,
                    form=ExchangeForm(
                        title=EXCHANGE_TITLE,
                        purpose="Two hours to hear each other's most impactful stories of change, name the "
                        "cultural levers behind them, and draft a message for our funding partners.",
                        start_date=start.date(),
                        start_time=time(14, 0),
                        timezone="UTC",
                        duration_minutes=120,
                        call_url="https://meet.example.org/story-exchange-demo",
                    ),
                )
                service.set_status(db, exchange=exchange, status=ExchangeStatus.SCHEDULED)
                for name, context in PRACTITIONERS:
                    service.add_participant(
                        db, secret=secret, exchange=exchange, form=ParticipantForm(name=name, context=context)
                    )
            participants = service.participants_of(db, exchange=exchange)
            links = [
                f"  {p.name:<16} {settings.base_url}/join/{service.invite_token(secret, p)}"
                for p in participants
                if p.revoked_at is None
            ][:3]
            exchange_id = exchange.id
    finally:
        engine.dispose()
    return "\n".join(
        [
            "",
            "Story Exchange demo is ready.",
            f"  Open {settings.base_url}/login",
            f"  Facilitator: {FACILITATOR[0]}  password: {DEMO_PASSWORD}",
            f"  Programme lead: {LEAD[0]}  password: {DEMO_PASSWORD}",
            f"  Demo exchange: {settings.base_url}/exchanges/{exchange_id}",
            "Practitioner links (open each in its own browser or private window):",
            *links,
            "",
        ]
    )
