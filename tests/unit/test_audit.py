"""The security log: rows and log lines, and nothing secret in either."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, select

import exchange.accounts.models  # noqa: F401 - registers tables
import exchange.programmes.models  # noqa: F401
import exchange.sessions.models  # noqa: F401
from exchange import audit
from exchange.accounts.models import SecurityEvent
from exchange.db import make_engine
from exchange.logs import JsonFormatter


@pytest.fixture
def db() -> Iterator[Session]:
    engine: Engine = make_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def test_an_event_is_a_row_and_a_structured_log_line(db: Session, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="exchange.security"):
        audit.record(
            db, audit.Kind.LINK_REVOKED, who=7, address="203.0.113.5", programme_id=3, exchange_id=12,
            detail={"participant": 40},
        )
        audit.record(db, audit.Kind.HANDOVER_DONE, who="p:40", address="198.51.100.1", programme_id=3, exchange_id=12)
        audit.record(db, audit.Kind.LOGIN_FAILED, who=None, address="192.0.2.9", user_id=7)
    db.commit()
    rows = list(db.exec(select(SecurityEvent).order_by(SecurityEvent.id)))
    assert [(r.kind, r.actor, r.user_id, r.programme_id) for r in rows] == [
        ("link.revoked", "staff:7", 7, 3),
        ("handover.done", "p:40", None, 3),
        ("login.failed", "", 7, None),
    ]
    assert rows[0].detail == {"participant": 40}
    [first, *_rest] = caplog.records
    line = json.loads(JsonFormatter().format(first))
    assert line["fields"]["event"] == "link.revoked" and line["fields"]["exchange_id"] == 12
    assert line["fields"]["address"] == "203.0.113.5"


@pytest.mark.parametrize("key", ["password", "new_password", "token", "invite_token", "code", "device_secret", "link"])
def test_secrets_are_refused_by_name(db: Session, key: str) -> None:
    with pytest.raises(ValueError):
        audit.record(db, audit.Kind.LOGIN, who=1, detail={key: "x"})


def test_details_are_small_plain_values_and_who_is_checked(db: Session) -> None:
    event = audit.record(db, audit.Kind.EXPORT_TRANSCRIPT, who=1, detail={"format": "x" * 500})
    assert len(event.detail["format"]) == 200
    with pytest.raises(TypeError):
        audit.record(db, audit.Kind.LOGIN, who=1, detail={"list": [1, 2]})  # type: ignore[dict-item]
    with pytest.raises(ValueError):
        audit.record(db, audit.Kind.LOGIN, who="staff:1")  # a staff member is given by their id
    with pytest.raises(ValueError):
        audit.record(db, "made.up", who=1)  # type: ignore[arg-type]
