"""Personal links as keys for one device (exchange/programmes/keys.py), on an in-memory database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import Session, SQLModel

from exchange.accounts.models import StaffRole, StaffUser
from exchange.auth import CookieSigner
from exchange.db import make_engine
from exchange.programmes import keys, service
from exchange.programmes.forms import ExchangeForm, ParticipantForm, ProgrammeForm
from exchange.programmes.models import Participant
from exchange.timeutil import utcnow

SECRET = "k" * 48
signer = CookieSigner(SECRET)


@pytest.fixture
def db() -> Iterator[Session]:
    engine = make_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


def invited(db: Session, name: str = "Amina") -> Participant:
    lead = StaffUser(email=f"{name}@example.org", name="Lead", role=StaffRole.LEAD, password_hash="x")
    db.add(lead)
    db.flush()
    programme = service.create_programme(db, lead=lead, form=ProgrammeForm(name="Programme"))
    start = utcnow() + timedelta(days=2)
    form = ExchangeForm(
        title="Exchange", start_date=start.date(), start_time=start.time().replace(microsecond=0),
        timezone="UTC", duration_minutes=120, template_key="story-exchange",
    )  # fmt: skip
    exchange = service.create_exchange(db, user=lead, programme=programme, form=form)
    participant = service.add_participant(db, secret=SECRET, exchange=exchange, form=ParticipantForm(name=name))
    db.commit()
    return participant


def cookie_for(db: Session, participant: Participant, raw: str | None) -> Participant | None:
    return keys.participant_for_cookie(db, signer=signer, raw=raw, exchange_id=participant.exchange_id)


def test_a_link_is_claimed_once_and_the_cookie_needs_its_device_secret(db: Session) -> None:
    amina = invited(db)
    device = keys.claim(db, participant=amina)
    assert device is not None and amina.claimed_at is not None
    assert amina.device_hash is not None and device not in amina.device_hash
    assert keys.claim(db, participant=amina) is None  # a second device comes too late
    db.commit()

    assert cookie_for(db, amina, keys.cookie_value(signer, amina, device)) is amina
    for payload in (
        {"p": amina.id, "v": amina.token_version},  # an old cookie, without a device secret
        {"p": amina.id, "v": amina.token_version, "d": "someone else's"},
        {"p": amina.id, "v": amina.token_version + 1, "d": device},
        {"p": str(amina.id), "v": amina.token_version, "d": device},
        {"p": 2**40, "v": 1, "d": device},
        ["not", "a", "dict"],
    ):
        assert cookie_for(db, amina, signer.dumps(payload, salt="participant")) is None, payload
    assert cookie_for(db, amina, CookieSigner("x" * 48).dumps({"p": amina.id, "v": 1, "d": device}, salt="participant")) is None
    assert keys.participant_for_cookie(
        db, signer=signer, raw=keys.cookie_value(signer, amina, device), exchange_id=amina.exchange_id + 1
    ) is None

    service.revoke(db, participant=amina)
    assert cookie_for(db, amina, keys.cookie_value(signer, amina, device)) is None
    service.reissue(db, secret=SECRET, participant=amina)
    assert amina.claimed_at is None and amina.device_hash is None
    assert keys.claim(db, participant=amina) is not None  # the new link can be claimed again


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("K7QF-3XPM", "K7QF3XPM"), (" k7qf 3xpm ", "K7QF3XPM"), ("k7qf3xpm", "K7QF3XPM"),
     ("K7QF-3XP", None), ("K7QF-3XPM9", None), ("O0I1-L1O0", None), ("", None), ("K7QF_3XPM", None)],
)  # fmt: skip
def test_codes_are_read_loosely_but_only_from_their_alphabet(typed: str, expected: str | None) -> None:
    assert keys.normalise_code(typed) == expected


def test_a_handover_code_works_once_and_wrong_tries_void_it(db: Session) -> None:
    amina = invited(db)
    first = keys.claim(db, participant=amina)
    assert first is not None
    code, expires = keys.start_handover(db, secret=SECRET, participant=amina)
    assert len(code) == keys.HANDOVER_LENGTH and set(code) <= set(keys.HANDOVER_ALPHABET)
    assert amina.handover_hash is not None and code not in amina.handover_hash
    assert timedelta(minutes=9) < expires - utcnow() <= keys.HANDOVER_LIFETIME
    db.commit()

    wrong = "22222222" if code != "22222222" else "33333333"
    assert keys.redeem_handover(db, secret=SECRET, participant=amina, typed="nope") == (keys.HandoverRefused.MALFORMED, 5)
    for left in (4, 3, 2, 1):
        assert keys.redeem_handover(db, secret=SECRET, participant=amina, typed=wrong) == (keys.HandoverRefused.WRONG, left)
    assert keys.redeem_handover(db, secret=SECRET, participant=amina, typed=wrong) == (keys.HandoverRefused.NO_CODE, 0)
    assert keys.redeem_handover(db, secret=SECRET, participant=amina, typed=code) == (keys.HandoverRefused.NO_CODE, 0)

    code, _ = keys.start_handover(db, secret=SECRET, participant=amina)
    second = keys.redeem_handover(db, secret=SECRET, participant=amina, typed=keys.grouped(code).lower())
    assert isinstance(second, str) and second != first
    assert cookie_for(db, amina, keys.cookie_value(signer, amina, first)) is None
    assert cookie_for(db, amina, keys.cookie_value(signer, amina, second)) is amina
    assert keys.redeem_handover(db, secret=SECRET, participant=amina, typed=code) == (keys.HandoverRefused.NO_CODE, 0)

    code, _ = keys.start_handover(db, secret=SECRET, participant=amina)
    amina.handover_expires_at = utcnow() - timedelta(seconds=1)
    assert keys.redeem_handover(db, secret=SECRET, participant=amina, typed=code) == (keys.HandoverRefused.NO_CODE, 0)
