"""Retention over HTTP against a real server whose own job purges: the form, then what a purge leaves behind."""

from __future__ import annotations

import asyncio
import io
import re
import time
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import websockets
from sqlalchemy import update
from sqlmodel import Session, col

from exchange.db import make_engine
from exchange.programmes.models import Exchange, Programme
from exchange.templating import human_time
from exchange.timeutil import utcnow
from tests.support.live import LiveClient
from tests.support.scenario import Setup, scheduled_exchange
from tests.support.servers import ServerProcess
from tests.support.web import WebClient, created_id, invite_links, seed_staff

FORMATS = ("md", "html", "json", "csv")
LEVERS = 2  # the story-exchange template's cultural-levers phase
RETENTION_ERROR = "Enter a whole number of days from 1 to 3650, or leave it empty to keep stories without limit."


@pytest.fixture(scope="module")
def purging_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server whose retention job runs every second, logging what it purges."""
    env = {"EXCHANGE_PURGE_INTERVAL_SECONDS": "1", "EXCHANGE_LOG_LEVEL": "info"}
    process = ServerProcess(database_url, log_path=tmp_path_factory.mktemp("logs") / "server.log", env=env)
    process.start()
    try:
        yield process
    finally:
        process.stop()


def _retention_of(database_url: str, programme_id: int) -> int | None:
    engine = make_engine(database_url)
    try:
        with Session(engine) as db:
            programme = db.get(Programme, programme_id)
            assert programme is not None
            return programme.retention_days
    finally:
        engine.dispose()


def _exchange(database_url: str, exchange_id: int) -> Exchange:
    engine = make_engine(database_url)
    try:
        with Session(engine) as db:
            exchange = db.get(Exchange, exchange_id)
            assert exchange is not None
            return exchange
    finally:
        engine.dispose()


def _end_long_ago(database_url: str, exchange_id: int, days: int) -> None:
    engine = make_engine(database_url)
    try:
        with Session(engine) as db:
            ended = utcnow() - timedelta(days=days)
            db.exec(update(Exchange).where(col(Exchange.id) == exchange_id).values(ended_at=ended))
            db.commit()
    finally:
        engine.dispose()


async def _purged(database_url: str, exchange_id: int, timeout: float = 30.0) -> Exchange:
    deadline = time.monotonic() + timeout
    while (exchange := _exchange(database_url, exchange_id)).purged_at is None:
        assert time.monotonic() < deadline, "the server's retention job did not purge the exchange"
        await asyncio.sleep(0.2)
    return exchange


async def test_leads_set_retention_and_the_server_purges_what_is_due(purging_server: ServerProcess) -> None:
    server = purging_server
    setup = scheduled_exchange(server, practitioners=2)
    eid, pid = setup.exchange_id, setup.programme_id
    exchange_page = setup.facilitator.get(f"/exchanges/{eid}").text
    links = [re.sub(r"^https?://[^/]+", "", link) for link in invite_links(exchange_page)]
    tag = re.search(r"Exchange ([0-9a-f]{8})", exchange_page).group(1)  # type: ignore[union-attr]
    facilitator = await LiveClient(server.ws_url, eid, Setup.cookie(setup.facilitator)).connect()
    amina, rosa = [await LiveClient(server.ws_url, eid, Setup.cookie(c)).connect() for c in setup.practitioners]
    await facilitator.wait_view(lambda v: len(v["roster"]) == 2)
    await facilitator.ok("start_exchange")
    await facilitator.ok("next_phase")
    await facilitator.ok("next_turn")
    await amina.wait_view(lambda v: v["turns"] and v["turns"]["speaker"])
    await amina.ok("share_story", title="The well <i>", summary="Women ran it.")
    await facilitator.ok("goto_phase", index=LEVERS)
    await rosa.ok("add_card", fields={"who": "The grandmothers", "influence": "Trusted", "how-engaged": "Tea"})
    await facilitator.ok("end_exchange")
    for client in (amina, rosa):
        await client.close()
    # The facilitator's console stays open on the ended exchange: its hub lives until the purge.

    upcoming = created_id(
        setup.facilitator.post(
            f"/programmes/{pid}/exchanges",
            {"title": "Next round", "start_date": (utcnow() + timedelta(days=3)).date().isoformat(),
             "start_time": "10:00", "timezone": "UTC", "duration_minutes": "90", "language": "en",
             "template_key": "story-exchange"},
        ),
        r"/exchanges/(\d+)",
    )  # fmt: skip
    lead = WebClient(server.url)
    lead.login(f"lead-{tag}@example.org")
    seed_staff(server.database_url, email=f"other-{tag}@example.org", name="Other lead", role="lead")
    other = WebClient(server.url)
    other.login(f"other-{tag}@example.org")
    try:
        # --- the setting: leads of the programme only, validated, CSRF protected ---------------
        page = lead.get(f"/programmes/{pid}").text
        assert f'action="/programmes/{pid}/retention#retention-h"' in page and "Stories are kept without limit." in page
        assert "downloaded before then are not affected" in page
        assert "Live and upcoming exchanges are never touched" in page
        assert "Nothing has been deleted under retention." in page
        facilitator_page = setup.facilitator.get(f"/programmes/{pid}").text
        assert "/retention" not in facilitator_page and "Stories are kept without limit." in facilitator_page
        assert setup.facilitator.post(f"/programmes/{pid}/retention", {"retention_days": "30"}).status_code == 403
        assert other.post(f"/programmes/{pid}/retention", {"retention_days": "30"}).status_code == 404
        assert lead.post(f"/programmes/{pid}/retention", {"retention_days": "30"}, csrf=False).status_code == 403
        for bad in ("0", "3651", "thirty", "2.5"):
            response = lead.post(f"/programmes/{pid}/retention", {"retention_days": bad})
            assert response.status_code == 400 and RETENTION_ERROR in response.text
            assert f'value="{bad}"' in response.text  # what was typed stays in the field
        assert _retention_of(server.database_url, pid) is None

        response = lead.post(f"/programmes/{pid}/retention", {"retention_days": "30"})
        assert response.status_code == 303 and response.headers["location"].startswith(f"/programmes/{pid}?saved=")
        page = lead.get(response.headers["location"]).text
        assert _retention_of(server.database_url, pid) == 30
        assert "The retention period was saved." in page
        assert "Stories are deleted 30 days after an exchange ends." in page
        assert "Stories kept until" in page and 'value="30"' in page
        assert lead.post(f"/programmes/{pid}/retention", {"retention_days": ""}).status_code == 303
        assert _retention_of(server.database_url, pid) is None
        assert "Stories are kept without limit." in lead.get(f"/programmes/{pid}").text
        assert lead.post(f"/programmes/{pid}/retention", {"retention_days": " 30 "}).status_code == 303

        # Before its time: everything is there, and nothing is purged.
        assert "The grandmothers" in lead.get(f"/programmes/{pid}").text
        assert lead.get(f"/exchanges/{eid}/transcript.md").status_code == 200
        assert setup.practitioners[0].get(f"/e/{eid}").status_code == 200
        await asyncio.sleep(1.5)  # the job has run at least once more
        assert _exchange(server.database_url, eid).purged_at is None

        # --- the exchange ended 31 days ago: the server's job purges it by itself -------------
        _end_long_ago(server.database_url, eid, days=31)
        purged = await _purged(server.database_url, eid)
        assert purged.purge_summary == {"events": purged.purge_summary["events"], "stories": 1, "participants": 2,
                                        "retention_days": 30} and purged.purge_summary["events"] > 5  # fmt: skip
        assert _exchange(server.database_url, upcoming).purged_at is None
        deleted_on = human_time(purged.purged_at, "UTC")  # type: ignore[arg-type]
        ended_on = human_time(purged.ended_at, "UTC")  # type: ignore[arg-type]

        # The console that was open is closed with "not allowed", and can't come back.
        for _ in range(100):
            if facilitator.close_code is not None:
                break
            await asyncio.sleep(0.1)
        assert facilitator.close_code == 1008
        with pytest.raises((ConnectionError, websockets.ConnectionClosed)):  # refused with 1008 before or after hello
            await LiveClient(server.ws_url, eid, Setup.cookie(setup.facilitator)).connect()
        assert f"retention: deleted the stories of exchange {eid}" in Path(server.log_path).read_text()

        # The programme page lists it, with when it ended and when its stories went, and what went.
        page = lead.get(f"/programmes/{pid}").text
        deleted = page.split('id="purged-h"', 1)[1].split("</section>", 1)[0]
        assert f"Exchange {tag}" in deleted and f'href="/exchanges/{eid}"' in deleted
        assert ended_on in deleted and deleted_on in deleted
        assert "1 story" in deleted and "names and links of 2 practitioners" in deleted
        assert "The grandmothers" not in page and f"/exchanges/{eid}/transcript." not in page
        assert "Stories deleted under retention on" in page

        exchange_page = lead.get(f"/exchanges/{eid}").text
        assert "Stories deleted under retention" in exchange_page and deleted_on in exchange_page
        assert "deleted 30 days after it ended, on" in exchange_page and "/transcript." not in exchange_page
        assert setup.practitioner_names[0] not in exchange_page and "/join/" not in exchange_page
        for who in (lead, setup.facilitator):
            for fmt in FORMATS:
                gone = who.get(f"/exchanges/{eid}/transcript.{fmt}")
                assert gone.status_code == 410 and "These stories were deleted" in gone.text
                assert deleted_on in gone.text and "The well" not in gone.text
        assert other.get(f"/exchanges/{eid}/transcript.md").status_code == 404  # outsiders learn nothing
        assert lead.get(f"/exchanges/{eid}/console").status_code == 410
        redaction = lead.post(f"/exchanges/{eid}/redactions", {"item_id": "story-1", "reason": "x"})
        assert redaction.status_code == 410

        with zipfile.ZipFile(io.BytesIO(lead.get(f"/programmes/{pid}/export.zip").content)) as archive:
            names = set(archive.namelist())
            assert not any(name.startswith(f"exchange-{eid}/") for name in names)
            assert f"exchange-{upcoming}/transcript.md" in names
            note = archive.read("deleted-under-retention.txt").decode()
            assert f"Exchange {tag} (exchange {eid})" in note and deleted_on in note
            assert "The well" not in archive.read(f"programme-{pid}-contributions.csv").decode()

        # Practitioners: their cookies and their personal links open nothing.
        for client in setup.practitioners:
            invalid = client.get(f"/e/{eid}")
            assert invalid.status_code == 404 and "This link is not valid" in invalid.text
            assert client.get(f"/e/{eid}/my-contributions.md").status_code == 404
        for link in links:
            stranger = WebClient(server.url)
            try:
                invalid = stranger.get(link)
            finally:
                stranger.close()
            assert invalid.status_code == 404 and "This link is not valid" in invalid.text
    finally:
        await facilitator.close()
        for client in (lead, other):
            client.close()
        setup.close()
