"""Retention's purge on SQLite and PostgreSQL: exactly what is due goes, once, and `exchange purge` says so."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from exchange.accounts.models import StaffRole, StaffUser
from exchange.db import make_engine, session_scope
from exchange.programmes.models import Exchange, ExchangeStatus, Participant, Programme
from exchange.programmes.retention import purge_expired
from exchange.sessions.models import SessionEvent
from exchange.timeutil import utcnow
from tests.support.servers import ROOT


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@dataclass(frozen=True)
class Spec:
    """One exchange to seed: its status, how long ago it ended, its log and its roster."""

    status: ExchangeStatus
    ended_days_ago: float | None = None
    events: int = 0
    stories: int = 0
    participants: int = 0
    title: str = "An exchange"


def seed(engine: Engine, *, retention_days: int | None, specs: list[Spec], now: datetime) -> tuple[int, list[int]]:
    """A programme with the given retention and exchanges; (programme id, exchange ids in order)."""
    tag = uuid.uuid4().hex[:10]
    with session_scope(engine) as db:
        lead = StaffUser(email=f"lead-{tag}@example.org", name="Lead", role=StaffRole.LEAD, password_hash="x")
        db.add(lead)
        db.flush()
        assert lead.id is not None
        programme = Programme(name=f"Programme {tag}", created_by=lead.id, retention_days=retention_days)
        db.add(programme)
        db.flush()
        assert programme.id is not None
        ids = []
        for spec in specs:
            ended = None if spec.ended_days_ago is None else now - timedelta(days=spec.ended_days_ago)
            exchange = Exchange(
                programme_id=programme.id, title=spec.title, starts_at=now - timedelta(days=400), timezone="UTC",
                duration_minutes=90, template_key="story-exchange", plan={}, status=spec.status,
                created_by=lead.id, ended_at=ended,
            )  # fmt: skip
            db.add(exchange)
            db.flush()
            assert exchange.id is not None
            ids.append(exchange.id)
            for seq in range(1, spec.events + 1):
                kind = "story_shared" if seq <= spec.stories else "hand_raised"
                db.add(SessionEvent(exchange_id=exchange.id, seq=seq, at=now, actor={"role": "system"}, type=kind,
                                    payload={"type": kind}))  # fmt: skip
            for n in range(spec.participants):
                db.add(Participant(exchange_id=exchange.id, name=f"Person {n}", email=f"p{n}@example.org",
                                   token_salt="salt", token_hash=f"{tag}-{exchange.id}-{n}"))  # fmt: skip
    return programme.id, ids


def holdings(engine: Engine, exchange_id: int) -> tuple[int, int]:
    """(events, participants) the exchange still has."""
    with Session(engine) as db:
        events = db.exec(select(func.count()).where(col(SessionEvent.exchange_id) == exchange_id)).one()
        people = db.exec(select(func.count()).where(col(Participant.exchange_id) == exchange_id)).one()
        return int(events), int(people)


def row(engine: Engine, exchange_id: int) -> Exchange:
    with Session(engine) as db:
        exchange = db.get(Exchange, exchange_id)
        assert exchange is not None
        return exchange


def test_purge_deletes_exactly_what_is_due_and_only_once(engine: Engine) -> None:
    now = utcnow()
    ended = ExchangeStatus.ENDED
    _pid, (expired, boundary, recent, live, scheduled, draft) = seed(
        engine,
        retention_days=30,
        specs=[
            Spec(ended, 31, events=7, stories=2, participants=3, title="Expired"),
            Spec(ended, 30, events=2, stories=0, participants=1, title="Exactly due"),
            Spec(ended, 29.9, events=4, stories=1, participants=2),
            Spec(ExchangeStatus.LIVE, None, events=5, stories=1, participants=2),
            Spec(ExchangeStatus.SCHEDULED, None, participants=2),
            Spec(ExchangeStatus.DRAFT, None, participants=1),
        ],
        now=now,
    )
    _, (kept_forever,) = seed(engine, retention_days=None, specs=[Spec(ended, 2000, 3, 1, 2)], now=now)
    _, (other_recent,) = seed(engine, retention_days=60, specs=[Spec(ended, 31, 3, 1, 2)], now=now)
    untouched = {i: holdings(engine, i) for i in (recent, live, scheduled, draft, kept_forever, other_recent)}

    dry = purge_expired(engine, now=now, dry_run=True)
    assert [(p.exchange_id, p.events, p.stories, p.participants) for p in dry.purged] == [
        (expired, 7, 2, 3),
        (boundary, 2, 0, 1),
    ] and not dry.failed
    assert holdings(engine, expired) == (7, 3) and row(engine, expired).purged_at is None

    run = purge_expired(engine, now=now)
    assert [p.exchange_id for p in run.purged] == [expired, boundary] and not run.failed
    for exchange_id in (expired, boundary):
        assert holdings(engine, exchange_id) == (0, 0)
    purged = row(engine, expired)
    assert purged.purged_at is not None and abs((purged.purged_at - now).total_seconds()) < 1
    assert purged.purge_summary == {"events": 7, "stories": 2, "participants": 3, "retention_days": 30}
    assert purged.title == "Expired" and purged.status == ExchangeStatus.ENDED  # the row itself stays
    assert row(engine, boundary).purge_summary == {"events": 2, "stories": 0, "participants": 1, "retention_days": 30}
    for exchange_id, held in untouched.items():
        assert holdings(engine, exchange_id) == held
        assert row(engine, exchange_id).purged_at is None

    again = purge_expired(engine, now=now + timedelta(hours=1))
    assert again.purged == [] and again.failed == []
    unchanged = row(engine, expired)
    assert (unchanged.purged_at, unchanged.purge_summary) == (purged.purged_at, purged.purge_summary)
    for exchange_id, held in untouched.items():
        assert holdings(engine, exchange_id) == held

    # A day later the next one is due; the live exchange and the other programmes still are not.
    later = purge_expired(engine, now=now + timedelta(days=1))
    assert [p.exchange_id for p in later.purged] == [recent]
    assert holdings(engine, live) == untouched[live] and holdings(engine, kept_forever) == untouched[kept_forever]
    assert holdings(engine, other_recent) == untouched[other_recent]


def test_two_instances_purging_at_once_purge_each_exchange_once(engine: Engine, database_url: str) -> None:
    now = utcnow()
    specs = [Spec(ExchangeStatus.ENDED, 40, events=20, stories=3, participants=4) for _ in range(6)]
    _pid, ids = seed(engine, retention_days=7, specs=specs, now=now)
    engines = [make_engine(database_url) for _ in range(2)]  # two instances: their own pools
    runs = []
    start = threading.Barrier(2)

    def instance(engine: Engine) -> None:
        start.wait()
        runs.append(purge_expired(engine, now=now))

    threads = [threading.Thread(target=instance, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for e in engines:
        e.dispose()

    assert len(runs) == 2 and all(not run.failed for run in runs)
    purged = [p.exchange_id for run in runs for p in run.purged]
    assert sorted(purged) == sorted(ids)  # every exchange once: no double purge, none missed
    for exchange_id in ids:
        assert holdings(engine, exchange_id) == (0, 0)
        summary = row(engine, exchange_id).purge_summary
        assert summary == {"events": 20, "stories": 3, "participants": 4, "retention_days": 7}


def _purge_cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EXCHANGE_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "exchange.cli", "purge", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip


def test_exchange_purge_command_dry_run_then_purge(engine: Engine, database_url: str) -> None:
    purge_expired(engine)  # whatever earlier tests left due is gone: the totals below are this test's
    now = utcnow()
    _pid, (expired, recent) = seed(
        engine,
        retention_days=14,
        specs=[
            Spec(ExchangeStatus.ENDED, 20, events=9, stories=2, participants=3, title="Wells \x1b[31mand\x1b[0m water"),
            Spec(ExchangeStatus.ENDED, 3, events=4, stories=1, participants=2),
        ],
        now=now,
    )

    dry = _purge_cli(database_url, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    shown = "Wells \N{REPLACEMENT CHARACTER}[31mand\N{REPLACEMENT CHARACTER}[0m water"  # no escape sequence
    assert f'Exchange {expired} "{shown}"' in dry.stdout
    assert "\x1b" not in dry.stdout
    assert "kept 14 days): would delete 9 events, 2 stories, 3 participants." in dry.stdout
    assert "Total: would delete 9 events, 2 stories and 3 participants of 1 exchange(s)." in dry.stdout
    assert "dry run: nothing was deleted" in dry.stdout and f"Exchange {recent} " not in dry.stdout
    assert holdings(engine, expired) == (9, 3) and row(engine, expired).purged_at is None

    done = _purge_cli(database_url)
    assert done.returncode == 0, done.stderr
    assert f"Exchange {expired} " in done.stdout and "deleted 9 events, 2 stories, 3 participants." in done.stdout
    assert "Total: deleted 9 events, 2 stories and 3 participants of 1 exchange(s)." in done.stdout
    assert "dry run" not in done.stdout
    assert holdings(engine, expired) == (0, 0) and holdings(engine, recent) == (4, 2)
    assert row(engine, expired).purge_summary == {"events": 9, "stories": 2, "participants": 3, "retention_days": 14}

    nothing = _purge_cli(database_url)
    assert nothing.returncode == 0 and nothing.stdout.strip() == "Nothing is due for deletion under retention."

    helped = subprocess.run(
        [sys.executable, "-m", "exchange.cli", "purge", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert helped.returncode == 0 and "--dry-run" in helped.stdout and "Retention: " in helped.stdout
