"""Invitations that arrive (issue 19), against a real server and a real SMTP server (aiosmtpd):

- inviting a practitioner with an email sends their personal link and the exchange's .ics, in the
  language chosen on the invite form (French here), and the page says it was sent;
- a refused address is shown on the page with the reason, never a 500, and "send again" works;
- reminders a day and an hour before the start, driven by a clock the test holds, sent once only
  even with two runners at the same time and runs after them (a restart);
- without SMTP settings, a ready `mailto:` link and the message text instead;
- leads invite colleagues by a single-use, expiring email link (only its hash stored), accepted by a
  new account or an existing one, revocable, logged in the security log; no token in any log line.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from html import unescape
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from icalendar import Calendar
from sqlalchemy import text
from sqlmodel import Session, select

from exchange.auth import token_hash
from exchange.db import make_engine
from exchange.programmes import invite_mail, mail_jobs, service
from exchange.programmes.invite_models import MailDelivery, StaffInvite
from exchange.programmes.models import Exchange, Participant
from exchange.settings import Settings
from exchange.timeutil import utcnow
from tests.support.mailbox import Inbox, inbox, smtp_env  # noqa: F401 - inbox is a fixture
from tests.support.servers import ServerProcess
from tests.support.web import PASSWORD, WebClient, created_id, seed_staff
from tests.support.world import SECRET

NEW_PASSWORD = "river lantern quietly"


@pytest.fixture(scope="module")
def server(database_url: str, inbox: Inbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server that mails the test's SMTP server and logs everything it would ever log."""
    env = {**smtp_env(inbox), "EXCHANGE_LOG_LEVEL": "debug", "EXCHANGE_REMINDER_INTERVAL_SECONDS": "1"}
    process = ServerProcess(database_url, log_path=tmp_path_factory.mktemp("logs") / "server.log", env=env)
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def secrets_seen() -> set[str]:
    """Every token that crossed the wire here, looked for in the server's log at the end."""
    return set()


def _settings(server: ServerProcess, inbox: Inbox) -> Settings:
    """The server's own settings, for running the reminder job here with a clock the test holds."""
    return Settings(
        database_url=server.database_url, smtp_host="127.0.0.1", smtp_port=inbox.port, smtp_tls="none",
        mail_from="Story Exchange <exchange@example.org>", secret_key=SECRET, host="127.0.0.1", port=server.port,
    )


def _programme_and_exchange(server: ServerProcess, *, start: datetime, language: str = "en") -> tuple[WebClient, int, int, str]:
    """A lead (logged in), their programme and an exchange starting at `start` (UTC)."""
    tag = uuid.uuid4().hex[:8]
    email = f"lead-{tag}@example.org"
    seed_staff(server.database_url, email=email, name=f"Lead {tag}", role="lead")
    lead = WebClient(server.url)
    lead.login(email)
    programme_id = created_id(lead.post("/programmes", {"name": f"Programme {tag}"}), r"/programmes/(\d+)")
    response = lead.post(f"/programmes/{programme_id}/exchanges", {
        "title": f"Stories of change, {tag}", "purpose": "Learning from each other",
        "start_date": start.date().isoformat(), "start_time": start.strftime("%H:%M"), "timezone": "Europe/Paris",
        "duration_minutes": "90", "language": language, "template_key": "story-exchange",
        "call_url": "https://call.example.org/room-1",
    })  # fmt: skip
    exchange_id = created_id(response, r"/exchanges/(\d+)")
    return lead, programme_id, exchange_id, email


def _sql(server: ServerProcess, statement: str, **params: object) -> None:
    engine = make_engine(server.database_url)
    try:
        with Session(engine) as db:
            db.execute(text(statement), params)
            db.commit()
    finally:
        engine.dispose()


def _once(server: ServerProcess, method: str, path: str, data: dict[str, str] | None = None) -> int:
    """The status a browser of its own (no cookies but its CSRF one) gets."""
    client = WebClient(server.url)
    try:
        return (client.get(path) if method == "GET" else client.post(path, data)).status_code
    finally:
        client.close()


def _exchange_row(server: ServerProcess, exchange_id: int) -> Exchange:
    engine = make_engine(server.database_url)
    try:
        with Session(engine) as db:
            exchange = db.get(Exchange, exchange_id)
            assert exchange is not None
            return exchange
    finally:
        engine.dispose()


def _participant(server: ServerProcess, participant_id: int) -> Participant:
    engine = make_engine(server.database_url)
    try:
        with Session(engine) as db:
            participant = db.get(Participant, participant_id)
            assert participant is not None
            return participant
    finally:
        engine.dispose()


def _attachment(message) -> tuple[str, bytes]:  # noqa: ANN001
    parts = [part for part in message.iter_attachments()]
    assert len(parts) == 1, [p.get_content_type() for p in parts]
    return parts[0]["Content-Type"], parts[0].get_payload(decode=True)


def test_the_invitation_arrives_in_french_with_the_link_and_the_calendar(
    server: ServerProcess, inbox: Inbox, secrets_seen: set[str]
) -> None:
    start = (utcnow() + timedelta(days=5)).replace(hour=13, minute=0, second=0, microsecond=0)
    lead, programme_id, exchange_id, _email = _programme_and_exchange(server, start=start)
    start = _exchange_row(server, exchange_id).starts_at  # 13:00 in Paris
    address = f"amina-{uuid.uuid4().hex[:6]}@example.org"
    response = lead.post(f"/exchanges/{exchange_id}/participants",
                         {"name": "Amina Diallo", "email": address, "language": "fr"})  # fmt: skip
    assert response.status_code == 303, response.text[:500]
    pid = created_id(response, r"invited=(\d+)")
    participant = _participant(server, pid)
    assert participant.language == "fr"
    link = f"{server.url}/join/{service.invite_token(SECRET, participant)}"
    secrets_seen.add(link.rsplit("/", 1)[1])

    [message] = inbox.wait_for(address)
    assert message["To"] == address and message["X-Envelope-To"] == address
    assert message["Subject"].startswith("Votre invitation à « Stories of change")
    text = message.get_body(preferencelist=("plain",))
    assert text["Content-Language"] == "fr"
    body = text.get_content()
    assert "Bonjour Amina Diallo," in body
    assert f"Votre lien personnel (gardez-le pour vous) : {link}" in body
    assert f"le {invite_mail.when(start, 'Europe/Paris', 'fr')}." in body  # the date in French words
    assert "Nous parlerons sur : https://call.example.org/room-1" in body

    content_type, raw = _attachment(message)
    assert content_type.startswith("text/calendar") and 'method="PUBLISH"' in content_type
    calendar = Calendar.from_ical(raw)
    assert str(calendar["METHOD"]) == "PUBLISH"
    [event] = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == start
    assert event.decoded("DTEND") == start + timedelta(minutes=90)
    assert str(event["SUMMARY"]).startswith("Stories of change")
    assert str(event["URL"]) == link
    assert link in str(event["DESCRIPTION"]) and "Votre lien personnel" in str(event["DESCRIPTION"])

    page = lead.get(f"/exchanges/{exchange_id}").text
    item = page[page.index(f'id="participant-{pid}"'):]
    assert "Email sent" in item[:3000] and address in item[:3000]
    assert 'lang="en" selected' in page  # the next invite's language starts at the exchange's again
    assert "Invitation emailed to a practitioner" in lead.get(f"/programmes/{programme_id}/security").text
    lead.close()


def test_a_refused_address_is_shown_with_the_reason_and_can_be_sent_again(
    server: ServerProcess, inbox: Inbox, secrets_seen: set[str]
) -> None:
    lead, programme_id, exchange_id, _email = _programme_and_exchange(server, start=utcnow() + timedelta(days=4))
    address = f"bounce-{uuid.uuid4().hex[:6]}@example.org"
    response = lead.post(f"/exchanges/{exchange_id}/participants", {"name": "Rosa", "email": address})
    assert response.status_code == 303  # the invite is made; only the email failed
    pid = created_id(response, r"invited=(\d+)")
    page = lead.get(f"/exchanges/{exchange_id}")
    assert page.status_code == 200
    item = unescape(page.text[page.text.index(f'id="participant-{pid}"'):][:4000])
    assert "Email not sent" in item
    assert "550" in item and "No such mailbox here" in item
    assert "Send again" in item
    assert inbox.to(address) == []

    again = lead.post(f"/exchanges/{exchange_id}/participants/{pid}/email")
    assert again.status_code == 303
    item = unescape(lead.get(f"/exchanges/{exchange_id}").text)
    assert "No such mailbox here" in item
    assert "Invitation email to a practitioner failed" in lead.get(f"/programmes/{programme_id}/security").text

    # A good address: "send again" sends it again, and the page says so.
    kofi_address = f"kofi-{uuid.uuid4().hex[:6]}@example.org"
    response = lead.post(f"/exchanges/{exchange_id}/participants", {"name": "Kofi", "email": kofi_address})
    kofi = created_id(response, r"invited=(\d+)")
    assert len(inbox.wait_for(kofi_address)) == 1
    assert lead.post(f"/exchanges/{exchange_id}/participants/{kofi}/email").status_code == 303
    assert len(inbox.wait_for(kofi_address, 2)) == 2
    secrets_seen.add(service.invite_token(SECRET, _participant(server, kofi)))

    # A re-issued link is emailed only when asked, and only the new link.
    assert lead.post(f"/exchanges/{exchange_id}/participants/{kofi}/reissue").status_code == 303
    page = lead.get(f"/exchanges/{exchange_id}").text
    item = page[page.index(f'id="participant-{kofi}"'):][:3000]
    assert "Not emailed yet" in item
    assert len(inbox.to(kofi_address)) == 2
    assert lead.post(f"/exchanges/{exchange_id}/participants/{kofi}/reissue", {"email": "yes"}).status_code == 303
    [*_old, newest] = inbox.wait_for(kofi_address, 3)
    new_token = service.invite_token(SECRET, _participant(server, kofi))
    secrets_seen.add(new_token)
    assert new_token in newest.get_body(preferencelist=("plain",)).get_content()
    lead.close()


def test_reminders_a_day_and_an_hour_before_are_sent_once_whoever_runs_them(
    server: ServerProcess, inbox: Inbox, secrets_seen: set[str]
) -> None:
    start = (utcnow() + timedelta(days=3)).replace(second=0, microsecond=0)
    lead, _programme, exchange_id, _email = _programme_and_exchange(server, start=start, language="fr")
    tag = uuid.uuid4().hex[:6]
    people = {f"lena-{tag}@example.org": "es", f"omar-{tag}@example.org": "", f"gone-{tag}@example.org": ""}
    ids = {}
    for address, language in people.items():
        response = lead.post(f"/exchanges/{exchange_id}/participants",
                             {"name": address.split("-")[0].title(), "email": address, "language": language})  # fmt: skip
        ids[address] = created_id(response, r"invited=(\d+)")
        inbox.wait_for(address)
    lead.post(f"/exchanges/{exchange_id}/participants/{ids[f'gone-{tag}@example.org']}/revoke", {"confirm": "yes"})
    lead.post(f"/exchanges/{exchange_id}/participants", {"name": "Nobody's address"})  # no email: nothing to send
    start = _exchange_row(server, exchange_id).starts_at
    settings = _settings(server, inbox)
    engine = make_engine(server.database_url)
    try:
        live = [ids[f"lena-{tag}@example.org"], ids[f"omar-{tag}@example.org"]]

        def ours(run: mail_jobs.ReminderRun) -> list[tuple[int, str]]:  # other tests' exchanges share the database
            return [item for item in run.sent if item[0] in ids.values()]

        # Too early: nothing.
        assert ours(mail_jobs.send_reminders(engine, settings, now=start - timedelta(hours=25))) == []

        # A day before: two runners at once (two instances), then a third run (a restart): once each.
        day = start - timedelta(hours=23, minutes=30)
        runs: list[mail_jobs.ReminderRun] = []
        runners = [threading.Thread(target=lambda: runs.append(mail_jobs.send_reminders(engine, settings, now=day)))
                   for _ in range(2)]  # fmt: skip
        for runner in runners:
            runner.start()
        for runner in runners:
            runner.join()
        runs.append(mail_jobs.send_reminders(engine, settings, now=day + timedelta(minutes=5)))
        sent = sorted(item for run in runs for item in ours(run))
        key = mail_jobs.reminder_key("day", start)
        assert sent == sorted((pid, key) for pid in live)
        lena = inbox.to(f"lena-{tag}@example.org")
        omar = inbox.to(f"omar-{tag}@example.org")
        assert len(lena) == 2 and len(omar) == 2  # the invitation, then one reminder
        assert inbox.to(f"gone-{tag}@example.org")[1:] == []
        assert lena[-1]["Subject"].startswith("Mañana: «Stories of change")  # her own language
        assert omar[-1]["Subject"].startswith("Demain : « Stories of change")  # the exchange's language
        omar_link = service.invite_token(SECRET, _participant(server, ids[f"omar-{tag}@example.org"]))
        secrets_seen.add(omar_link)
        assert omar_link in omar[-1].get_body(preferencelist=("plain",)).get_content()

        # An hour before: the hour reminder, once, however often the job runs.
        hour = start - timedelta(minutes=50)
        for moment in (hour, hour, hour + timedelta(minutes=1)):
            mail_jobs.send_reminders(engine, settings, now=moment)
        assert len(inbox.to(f"omar-{tag}@example.org")) == 3
        assert inbox.to(f"omar-{tag}@example.org")[-1]["Subject"].startswith("Dans une heure : ")
        page = lead.get(f"/exchanges/{exchange_id}").text
        omar_item = page[page.index(f'id="participant-{ids[f"omar-{tag}@example.org"]}"'):][:4000]
        assert "Reminder a day before: sent." in omar_item and "Reminder an hour before: sent." in omar_item
        # After the start, nothing more.
        assert ours(mail_jobs.send_reminders(engine, settings, now=start + timedelta(minutes=1))) == []
        with Session(engine) as db:
            rows = db.exec(select(MailDelivery).where(MailDelivery.participant_id.in_(live))).all()  # type: ignore[attr-defined]
            assert sorted(r.key.split(":")[0] for r in rows) == ["day", "day", "hour", "hour", "invite", "invite"]
            assert {r.status for r in rows} == {"sent"}
    finally:
        engine.dispose()
        lead.close()


def test_a_reminder_names_the_start_it_announces_and_a_late_invite_gets_none(server: ServerProcess, inbox: Inbox) -> None:
    start = (utcnow() + timedelta(days=3)).replace(second=0, microsecond=0)
    lead, _programme, exchange_id, _email = _programme_and_exchange(server, start=start)
    address = f"ravi-{uuid.uuid4().hex[:6]}@example.org"
    pid = created_id(lead.post(f"/exchanges/{exchange_id}/participants", {"name": "Ravi", "email": address}), r"invited=(\d+)")
    inbox.wait_for(address)
    settings = _settings(server, inbox)
    engine = make_engine(server.database_url)
    try:
        # Invited when the day window had already opened: no "tomorrow" reminder, only the hour one.
        late = utcnow() - timedelta(days=2)
        start_soon = utcnow() + timedelta(hours=20)
        _sql(server, "UPDATE exchange SET starts_at = :s WHERE id = :id", s=start_soon, id=exchange_id)
        assert [k for p, k in mail_jobs.send_reminders(engine, settings, now=utcnow()).sent if p == pid] == []
        # Invited long before: the moved exchange's day reminder names its new start.
        _sql(server, "UPDATE participant SET created_at = :c WHERE exchange_id = :id", c=late, id=exchange_id)
        mail_jobs.send_reminders(engine, settings, now=utcnow())  # the server's own job may be the one that sends it
        [_invitation, tomorrow] = inbox.wait_for(address, 2)
        assert tomorrow["Subject"].startswith("Tomorrow: ")
        key = mail_jobs.reminder_key("day", _exchange_row(server, exchange_id).starts_at)
        with Session(engine) as db:
            rows = db.exec(select(MailDelivery).where(MailDelivery.participant_id == pid)).all()
            assert sorted(r.key for r in rows) == sorted([key, "invite"])
        mail_jobs.send_reminders(engine, settings, now=utcnow())
        assert len(inbox.to(address)) == 2
    finally:
        engine.dispose()
        lead.close()


def test_without_mail_each_invite_has_a_ready_mailto_link(fresh_server: ServerProcess) -> None:
    lead, _programme, exchange_id, _email = _programme_and_exchange(fresh_server, start=utcnow() + timedelta(days=6))
    address = "tomás+exchange@example.org"
    response = lead.post(f"/exchanges/{exchange_id}/participants",
                         {"name": "Tomás & Co", "email": "tomas+exchange@example.org", "language": "fr"})  # fmt: skip
    pid = created_id(response, r"invited=(\d+)")
    link = f"{fresh_server.url}/join/{service.invite_token(SECRET, _participant(fresh_server, pid))}"
    page = lead.get(f"/exchanges/{exchange_id}").text
    hrefs = [unescape(h) for h in re.findall(r'href="(mailto:[^"]+)"', page)]
    assert len(hrefs) == 1
    mailto = urlsplit(hrefs[0])
    assert unquote(mailto.path) == "tomas+exchange@example.org" and address != mailto.path
    query = parse_qs(mailto.query)
    assert query["subject"] == ["Votre invitation à « " + _exchange_row(fresh_server, exchange_id).title + " »"]
    [body] = query["body"]
    assert body.startswith("Bonjour Tomás & Co,\r\n\r\n")
    assert link in body and "\r\n" in body and "\n\n" not in body.replace("\r\n", "")
    assert "fichier de calendrier" not in body  # nothing is attached to a message written by hand
    # Every reserved character is encoded: nothing in the URL can end a parameter early.
    assert "&" not in hrefs[0].split("?", 1)[1].replace("&body=", "", 1)
    # The same message, to copy, in the textarea the copy button reads.
    textarea = unescape(re.search(rf'<textarea id="invite-{pid}"[^>]*>(.*?)</textarea>', page, re.S).group(1))
    assert textarea.replace("\n", "\r\n") == body
    assert f'data-copy="invite-{pid}"' in page
    # Nothing can be "sent again" from a server without mail: a clear refusal, nothing changed.
    assert lead.post(f"/exchanges/{exchange_id}/participants/{pid}/email").status_code == 409
    lead.close()


def test_leads_invite_colleagues_by_email_link(server: ServerProcess, inbox: Inbox, secrets_seen: set[str]) -> None:
    lead, programme_id, _exchange_id, lead_email = _programme_and_exchange(server, start=utcnow() + timedelta(days=6))
    address = f"colleague-{uuid.uuid4().hex[:6]}@example.org"
    response = lead.post(f"/programmes/{programme_id}/invites", {"invite_email": address, "invite_role": "facilitator"})
    assert response.status_code == 303
    [message] = inbox.wait_for(address)
    body = message.get_body(preferencelist=("plain",)).get_content()
    token = re.search(r"/invite/([A-Za-z0-9_-]{40,64})", body).group(1)
    secrets_seen.add(token)
    assert f"“Programme " in message["Subject"]
    # Only the token's hash is kept.
    engine = make_engine(server.database_url)
    try:
        with Session(engine) as db:
            invite = db.exec(select(StaffInvite).where(StaffInvite.email == address)).one()
            assert invite.token_hash == token_hash(token) and token not in invite.token_hash
            assert invite.expires_at - invite.created_at == timedelta(days=7)
    finally:
        engine.dispose()
    page = lead.get(f"/programmes/{programme_id}").text
    assert address in page and "Waiting for them to accept" in page

    # The invitee: a weak password is refused with the accounts' own rules; then the account is made.
    invitee = WebClient(server.url)
    landing = invitee.get(f"/invite/{token}")
    assert landing.status_code == 200 and "Create my account and join" in landing.text
    weak = invitee.post(f"/invite/{token}", {"name": "Ines", "password": "password1234", "confirm_password": "password1234"})
    assert weak.status_code == 400 and "most common passwords" in weak.text
    short = invitee.post(f"/invite/{token}", {"name": "Ines", "password": "short", "confirm_password": "short"})
    assert short.status_code == 400 and "at least 12" in short.text
    done = invitee.post(f"/invite/{token}", {"name": "Ines Moreau", "password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert done.status_code == 303 and done.headers["location"] == f"/programmes/{programme_id}"
    assert invitee.get(f"/programmes/{programme_id}").status_code == 200  # logged in, a member
    # Single use: the link works no more, for anyone.
    assert _once(server, "GET", f"/invite/{token}") == 404
    assert _once(server, "POST", f"/invite/{token}", {"name": "X", "password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}) == 404
    fresh = WebClient(server.url)
    fresh.login(address, NEW_PASSWORD)
    invitee.close()

    # An existing account (a facilitator elsewhere) accepts by logging in; a lead's invitation makes them a lead.
    other = f"existing-{uuid.uuid4().hex[:6]}@example.org"
    seed_staff(server.database_url, email=other, name="Existing Person", role="facilitator")
    lead.post(f"/programmes/{programme_id}/invites", {"invite_email": other, "invite_role": "lead"})
    token2 = re.search(r"/invite/([A-Za-z0-9_-]{40,64})", inbox.wait_for(other)[0].get_body(preferencelist=("plain",)).get_content()).group(1)
    secrets_seen.add(token2)
    stranger = WebClient(server.url)
    page = stranger.get(f"/invite/{token2}")
    assert "Log in to accept" in page.text
    assert stranger.post(f"/invite/{token2}", {"name": "Hijack", "password": NEW_PASSWORD,
                                               "confirm_password": NEW_PASSWORD}).status_code == 409  # fmt: skip
    assert fresh.get(f"/invite/{token2}").status_code == 403  # logged in as someone else
    assert fresh.post(f"/invite/{token2}").status_code == 403
    stranger.login(other)
    assert stranger.post(f"/invite/{token2}").status_code == 303
    assert stranger.get(f"/programmes/{programme_id}").status_code == 200
    assert "Send invitation" in stranger.get(f"/programmes/{programme_id}").text  # now a lead

    # A lead withdraws a pending invitation: the link stops working.
    third = f"third-{uuid.uuid4().hex[:6]}@example.org"
    lead.post(f"/programmes/{programme_id}/invites", {"invite_email": third, "invite_role": "facilitator"})
    token3 = re.search(r"/invite/([A-Za-z0-9_-]{40,64})", inbox.wait_for(third)[0].get_body(preferencelist=("plain",)).get_content()).group(1)
    secrets_seen.add(token3)
    invite_id = int(re.search(r'id="staff-invite-(\d+)"', lead.get(f"/programmes/{programme_id}").text).group(1))
    assert fresh.post(f"/programmes/{programme_id}/invites/{invite_id}/revoke").status_code == 403  # a facilitator
    assert lead.post(f"/programmes/{programme_id}/invites/{invite_id}/revoke").status_code == 303
    assert _once(server, "GET", f"/invite/{token3}") == 404
    # Expired links work no more either.
    lead.post(f"/programmes/{programme_id}/invites", {"invite_email": third, "invite_role": "facilitator"})
    token4 = re.search(r"/invite/([A-Za-z0-9_-]{40,64})", inbox.wait_for(third, 2)[1].get_body(preferencelist=("plain",)).get_content()).group(1)
    secrets_seen.add(token4)
    _sql(server, "UPDATE staff_invite SET expires_at = :t WHERE token_hash = :h",
            t=utcnow() - timedelta(seconds=1), h=token_hash(token4))  # fmt: skip
    assert _once(server, "GET", f"/invite/{token4}") == 404

    # The security log: sent, accepted, revoked.
    security = lead.get(f"/programmes/{programme_id}/security").text
    for label in ("Invited a colleague to the programme", "Joined the programme from an invitation",
                  "Withdrew a colleague&#39;s invitation"):  # fmt: skip
        assert label in security, label
    # Bad input: not an email, not a role.
    assert lead.post(f"/programmes/{programme_id}/invites", {"invite_email": "nope", "invite_role": "lead"}).status_code == 400
    assert lead.post(f"/programmes/{programme_id}/invites", {"invite_email": third, "invite_role": "admin"}).status_code == 400
    assert lead.post(f"/programmes/{programme_id}/invites", {"invite_email": lead_email}).status_code == 400  # a member
    fresh.close()
    lead.close()
    stranger.close()


def test_one_connection_serves_a_run_and_a_dropped_one_is_reopened(server: ServerProcess, inbox: Inbox) -> None:
    """The reminder run's Outbox: several messages on one connection; when the mail server restarted
    in between, the next message goes out on a new connection; a refused address spoils nothing."""
    from aiosmtpd.controller import Controller

    from exchange.mail import Mail, Outbox

    settings = _settings(server, inbox)
    tag = uuid.uuid4().hex[:6]
    with Outbox(settings) as outbox:
        assert outbox.deliver(Mail(to=f"one-{tag}@example.org", subject="1", body="one")) is None
        first = outbox.client
        assert "550" in (outbox.deliver(Mail(to=f"bounce-{tag}@example.org", subject="x", body="x")) or "")
        assert outbox.deliver(Mail(to=f"two-{tag}@example.org", subject="2", body="two")) is None
        assert outbox.client is first  # the same connection throughout
        inbox.controller.stop()  # the mail server restarts, on the same port
        inbox.controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
        inbox.controller.start()
        assert outbox.deliver(Mail(to=f"three-{tag}@example.org", subject="3", body="three")) is None
        assert outbox.client is not first
    assert [len(inbox.to(f"{n}-{tag}@example.org")) for n in ("one", "two", "three", "bounce")] == [1, 1, 1, 0]


def test_no_token_reaches_the_log(server: ServerProcess, secrets_seen: set[str]) -> None:
    """Last in the module: every personal link and staff invitation token seen above, in no log line."""
    assert len(secrets_seen) >= 6
    log = server.log_path.read_text(errors="replace")
    assert "/invite/[link]" in log  # the access lines were written, scrubbed
    for secret in secrets_seen:
        assert secret not in log
